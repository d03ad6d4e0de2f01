/* apdu.h - C-APDU parsing for the simulated cards (firmware side: no src/lib). */
#ifndef SANTECARD_FIRMWARE_APDU_H
#define SANTECARD_FIRMWARE_APDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A parsed C-APDU, any ISO 7816-4 case, short or extended. */
struct sim_apdu {
	uint8_t cla, ins, p1, p2;
	const uint8_t *data;	/* points into the parsed buffer; NULL when lc is 0 */
	size_t lc;
	bool has_le;		/* a Le field was present */
	bool extended;		/* extended length fields */
	size_t ne;		/* Le as a byte count: 00 means 256 (short) or 65536 */
};

/*
 * Parse b[0..n) by ISO 7816-3 12.1.3: the case follows from the length and the
 * first body bytes. A 5-byte command is case 2 (in T=0 also "case 1 with
 * P3=00": the card decides). false for anything inconsistent (Lc past the end,
 * stray bytes, extended Lc of 0), which cards answer with 67 00.
 */
bool sim_apdu_parse(const uint8_t *b, size_t n, struct sim_apdu *a);

#endif
