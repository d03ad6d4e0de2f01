/* nfc_atr.c - PC/SC part 3 ATRs for contactless cards (see nfc_atr.h). */
#include "nfc_atr.h"

#include <string.h>

static size_t build(const uint8_t *hist, size_t n, uint8_t *atr, size_t cap)
{
	uint8_t tck = 0;

	if (n > 15 || cap < n + 5)
		return 0;
	atr[0] = 0x3B;
	atr[1] = (uint8_t)(0x80 | n);	/* TD1 follows, n historical bytes */
	atr[2] = 0x80;			/* TD1: TD2 follows, T=0 */
	atr[3] = 0x01;			/* TD2: T=1 */
	if (n)
		memcpy(atr + 4, hist, n);
	for (size_t i = 1; i < n + 4; i++)
		tck ^= atr[i];
	atr[n + 4] = tck;
	return n + 5;
}

/* Offset of the historical bytes in the ATS (T0 first), or 0 if malformed. */
static size_t ats_hist_offset(const uint8_t *ats, size_t ats_len)
{
	size_t off = 1;

	if (ats_len < 1)
		return 0;
	off += (size_t)((ats[0] >> 4) & 1) + ((ats[0] >> 5) & 1) + ((ats[0] >> 6) & 1);
	return off <= ats_len ? off : 0;
}

size_t nfc_atr_type_a(const uint8_t *ats, size_t ats_len, uint8_t *atr, size_t cap)
{
	size_t off = ats_hist_offset(ats, ats_len);

	if (off == 0)
		return 0;
	/* the count is 4 bits: a longer ATS gives its first 15 (as ifdnfc) */
	return build(ats + off, ats_len - off > 15 ? 15 : ats_len - off, atr, cap);
}

size_t nfc_atr_type_b(const uint8_t app_data[4], const uint8_t protocol_info[3], uint8_t mbli,
		      uint8_t *atr, size_t cap)
{
	uint8_t hist[8];

	memcpy(hist, app_data, 4);
	memcpy(hist + 4, protocol_info, 3);
	hist[7] = (uint8_t)(mbli << 4);
	return build(hist, sizeof(hist), atr, cap);
}

unsigned nfc_fwt_ms(unsigned fwi)
{
	if (fwi > 14)
		fwi = 4;
	/* 4096 / 13.56 MHz = 302.06 us per unit, rounded up to whole ms */
	return (unsigned)((302u * (1u << fwi) + 999u) / 1000u);
}

unsigned nfc_fwi_type_a(const uint8_t *ats, size_t ats_len)
{
	size_t tb;

	if (ats_len < 1 || !(ats[0] & 0x20))
		return 4;
	tb = (ats[0] & 0x10) ? 2 : 1;
	return tb < ats_len ? (unsigned)(ats[tb] >> 4) : 4;
}

unsigned nfc_fwi_type_b(const uint8_t protocol_info[3])
{
	return protocol_info[2] >> 4;
}
