/* reader.h - the reader's side of USB CCID (CCID 1.1): a firmware core that
 * turns PC_to_RDR messages into RDR_to_PC replies for up to 8 slots holding
 * simulated cards (card.h). Pure C: no I/O, no threads, no clock. A transport
 * moves the bytes: FunctionFS in a guest, or the in-process transport of the
 * driver's unit tests (inproc.c).
 *
 * Exchange levels: TPDU (T=0 TPDU pass-through, T=1 blocks with the card's
 * side of the block protocol), short APDU, extended APDU (wLevelParameter /
 * bChainParameter chaining both ways). Also: time extension replies before
 * slow answers, PC_to_RDR_Secure with a scripted keypad, Escape, automatic
 * or host-driven PPS, and NotifySlotChange on the interrupt endpoint. */
#ifndef SANTECARD_FIRMWARE_CCID_READER_H
#define SANTECARD_FIRMWARE_CCID_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "card.h"

#define CCIDFW_MAX_SLOTS 8
/* Replies queued on bulk IN before the host reads them. */
#define CCIDFW_QUEUE 16

struct ccidfw_config {
	unsigned nslots;		/* 1..8 */
	uint32_t features;		/* dwFeatures: exchange level and automatic features */
	uint32_t protocols;		/* dwProtocols: 1 T=0, 2 T=1 */
	uint32_t max_msg;		/* dwMaxCCIDMessageLength, >= 271 */
	uint8_t pin_support;		/* bPINSupport */
	uint8_t max_busy;		/* bMaxCCIDBusySlots */
	uint16_t lcd;			/* wLcdLayout */
};

/* Ready-made readers: one slot at each level, and the two-slot CPS + Vitale
 * reader (TPDU, pinpad, two busy slots). */
void ccidfw_config_default(struct ccidfw_config *c, uint32_t level);
void ccidfw_config_two_slot(struct ccidfw_config *c);

struct ccidfw;

struct ccidfw *ccidfw_new(const struct ccidfw_config *c);
void ccidfw_free(struct ccidfw *fw);

/* The class descriptor (54 bytes) as the reader presents it. */
void ccidfw_descriptor(const struct ccidfw *fw, uint8_t out[54]);

/* Card movement. The card (created by the caller, who keeps owning it) goes
 * in unpowered; removal powers it off. Both queue a NotifySlotChange. */
bool ccidfw_insert(struct ccidfw *fw, unsigned slot, const struct sim_card_ops *ops, void *card);
void ccidfw_remove(struct ccidfw *fw, unsigned slot);

/* Host -> reader: one whole bulk OUT message. Replies are queued. */
void ccidfw_bulk_out(struct ccidfw *fw, const uint8_t *msg, size_t len);
/* Reader -> host: the next queued bulk IN reply (0 when none; a reply larger
 * than cap is dropped and 0 returned, like a babbling device). */
size_t ccidfw_bulk_in(struct ccidfw *fw, uint8_t *buf, size_t cap);
/* Reader -> host: the interrupt message, if a slot changed since the last one. */
size_t ccidfw_interrupt_in(struct ccidfw *fw, uint8_t *buf, size_t cap);

/* ---- test controls (a real reader's environment, scripted) */
/* The keys typed at the next PIN entry: digits, '\n' or 'E' validate, 'C'
 * cancels, 'B' backspace; running out of keys is the PIN entry timeout. */
void ccidfw_keypad(struct ccidfw *fw, const char *keys);
/* Time extension replies (multiplier mult) before every XfrBlock/Secure answer. */
void ccidfw_time_extensions(struct ccidfw *fw, unsigned count, uint8_t mult);
/* The T=1 card side: S(WTX) requests before each answer; damage the EDC of
 * the next n blocks the card sends; make the card forget its sequence numbers
 * (so only S(RESYNCH) helps). */
void ccidfw_t1_wtx(struct ccidfw *fw, unsigned slot, unsigned count);
void ccidfw_t1_corrupt(struct ccidfw *fw, unsigned slot, unsigned n);
void ccidfw_t1_desync(struct ccidfw *fw, unsigned slot);

/* Statistics, for tests and benchmarks. */
struct ccidfw_stats {
	unsigned messages, xfr_blocks, apdus, t1_blocks, t1_resynch, t1_ifs, pps, set_params,
		secure, escape, time_ext;
	uint8_t last_params[7];
	uint8_t last_protocol;
	size_t last_pin_apdu_len;
};
void ccidfw_stats(const struct ccidfw *fw, unsigned slot, struct ccidfw_stats *out);

#endif
