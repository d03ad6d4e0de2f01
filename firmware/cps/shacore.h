/* shacore.h - SHA-1 / SHA-256 whose state can be loaded from outside.
 *
 * PSO HASH hands the card an intermediate hash state (H0..Hn after whole
 * 64-byte blocks) plus the bit count, and the card finishes the hash. OpenSSL
 * 3 offers no supported way to load a state into a digest, so the two
 * compression functions are written out here (FIPS 180-4). */
#ifndef SANTECARD_FIRMWARE_SHACORE_H
#define SANTECARD_FIRMWARE_SHACORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct shacore {
	bool sha256;		/* else SHA-1 */
	uint32_t h[8];
	uint64_t bits;		/* bits hashed so far (whole blocks) */
	uint8_t buf[64];
	size_t buf_len;
};

/* Starts from the standard initial values. */
void shacore_init(struct shacore *s, bool sha256);
/* Starts from a big-endian state (20 or 32 bytes) and a bit count (a multiple
 * of 512). false if the lengths do not fit. */
bool shacore_load(struct shacore *s, bool sha256, const uint8_t *state, size_t state_len,
		  uint64_t bits);
void shacore_update(struct shacore *s, const uint8_t *d, size_t n);
/* Writes the 20- or 32-byte digest; returns its length. */
size_t shacore_final(struct shacore *s, uint8_t *out);
/* The raw state after the whole blocks seen so far (for tests): 20 or 32 bytes. */
size_t shacore_state(const struct shacore *s, uint8_t *out);

#endif
