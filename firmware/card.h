/* card.h - the contract between a simulated card and whatever carries its APDUs.
 *
 * A card is a function from C-APDU to R-APDU plus power and reset. It knows
 * nothing about transports (vpcd socket, CCID, QEMU chardev): the host runner
 * and the reader cores call these operations and move the bytes.
 *
 * Rules every card follows:
 * - All state lives behind the handle returned by create(); no globals, so two
 *   instances of one card can run side by side (e.g. one per reader slot).
 * - process() is called only between power_on()/reset() and power_off(), but
 *   must not crash if called otherwise; it always answers at least a status
 *   word (2 bytes) and never writes more than cap bytes. It answers 6F 00 if
 *   an R-APDU would not fit in cap (runners pass at least SIM_RAPDU_MIN).
 * - reset() and power_off() clear volatile state (selected file, pending
 *   response data, security status); persistent state (PIN try counters,
 *   files written) survives them, and survives destroy() only through the
 *   state file named in the config.
 */
#ifndef SANTECARD_FIRMWARE_CARD_H
#define SANTECARD_FIRMWARE_CARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest ATR (ISO 7816-3: TS + 32 bytes). */
#define SIM_ATR_MAX 33
/* Smallest R-APDU buffer a runner passes to process(): 256 data bytes + SW. */
#define SIM_RAPDU_MIN 258

struct sim_profile;

struct sim_card_config {
	/* Where a card keeps persistent state between runs (NULL: memory only). */
	const char *state_path;
	/* Card profile (holder, PINs, data; firmware/profile.h), NULL for cards that
	 * need none. The card reads what it needs in create() and keeps no pointer. */
	const struct sim_profile *profile;
	/* The profile's generated keys and certificates: PKI_DIR/<profile name>
	 * (tests/pki/make-pki); NULL when there is no profile. */
	const char *pki_dir;
	/* Present the contactless interface (a card with both, like the CPS3). */
	bool contactless;
	/* 0 quiet, 1 events, 2 APDU-level detail; cards log to stderr only above 0. */
	int verbose;
};

struct sim_card_ops {
	/* Short name used on the command line (--card NAME). */
	const char *name;
	/* One line for --list-cards. */
	const char *description;
	/* New card instance, powered off; NULL on failure (out of memory, bad state file). */
	void *(*create)(const struct sim_card_config *config);
	void (*destroy)(void *card);
	/* Copies the ATR into out; returns its length (0 if cap is too small). */
	size_t (*atr)(void *card, uint8_t *out, size_t cap);
	void (*power_on)(void *card);
	void (*power_off)(void *card);
	/* Warm reset: volatile state cleared, card stays powered. */
	void (*reset)(void *card);
	/* Runs one C-APDU; writes the R-APDU (data + SW1 SW2) and returns its length (>= 2). */
	size_t (*process)(void *card, const uint8_t *capdu, size_t len,
			  uint8_t *rapdu, size_t cap);
	/* Optional (may be NULL): microseconds the real card would have spent
	 * computing the last command (e.g. ~250 000 for an RSA-2048 signature), used
	 * by `--timing realistic`. Transfer time is added by the runner from the ATR. */
	unsigned long (*work_us)(void *card);
};

#endif
