/* atr.c - what the driver needs from an ATR (ISO 7816-3 §8): the protocols
 * offered, FiDi, guard time, T=0 WI, T=1 IFSC/BWI/CWI/EDC; and PPS (§9). */
#include <string.h>

#include "ccid.h"

bool ccid_atr_parse(const uint8_t *atr, size_t len, struct ccid_atr *a)
{
	size_t i = 2, k;
	uint8_t td, y;
	unsigned level = 1;
	bool t1_seen = false, t1_done = false, any_td = false;

	memset(a, 0, sizeof(*a));
	a->ta1 = 0x11;
	a->wi = 10;
	a->ifsc = 32;
	a->bwi_cwi = 0x4D;
	if (len < 2 || len > 33 || (atr[0] != 0x3B && atr[0] != 0x3F))
		return false;
	y = atr[1] >> 4;
	k = atr[1] & 0x0F;
	for (;;) {
		uint8_t ta = 0, tb = 0, tc = 0;
		bool has_ta = y & 1, has_tb = y & 2, has_tc = y & 4;

		if (has_ta) {
			if (i >= len)
				return false;
			ta = atr[i++];
		}
		if (has_tb) {
			if (i >= len)
				return false;
			tb = atr[i++];
		}
		if (has_tc) {
			if (i >= len)
				return false;
			tc = atr[i++];
		}
		if (level == 1) {
			if (has_ta) {
				a->has_ta1 = true;
				a->ta1 = ta;
			}
			if (has_tc)
				a->tc1 = tc;
		} else if (level == 2) {
			if (has_ta) {
				a->specific = true;
				a->specific_protocol = ta & 0x0F;
			}
			if (has_tc)
				a->wi = tc;
		} else if (t1_seen) {
			/* first interface bytes following a T=1 TD */
			if (has_ta && ta >= 1 && ta != 0xFF)
				a->ifsc = ta;
			if (has_tb)
				a->bwi_cwi = tb;
			if (has_tc)
				a->crc = tc & 1;
			t1_seen = false;
		}
		if (!(y & 8))
			break;
		if (i >= len)
			return false;
		td = atr[i++];
		any_td = true;
		if ((td & 0x0F) == 0)
			a->t0 = true;
		if ((td & 0x0F) == 1) {
			/* the T=1 bytes follow the first TDi (i >= 2) naming T=1 */
			if (level >= 2 && !t1_done) {
				t1_seen = true;
				t1_done = true;
			}
			a->t1 = true;
		}
		if (level == 1)
			a->first_protocol = td & 0x0F;
		y = td >> 4;
		level++;
	}
	if (!any_td)
		a->t0 = true;
	if (i + k > len)
		return false;
	/* TCK follows unless only T=0 is indicated */
	if (a->t1 || (any_td && a->first_protocol != 0)) {
		uint8_t x = 0;

		if (i + k + 1 != len)
			return false;
		for (size_t j = 1; j < len; j++)
			x ^= atr[j];
		if (x != 0)
			return false;
	} else if (i + k != len) {
		return false;
	}
	if (a->first_protocol > 1)
		a->first_protocol = a->t0 ? 0 : 1;
	a->valid = true;
	return true;
}

size_t ccid_pps_build(uint8_t protocol, uint8_t fidi, uint8_t out[4])
{
	out[0] = 0xFF;
	out[1] = (uint8_t)(0x10 | (protocol & 0x0F));	/* PPS1 present */
	out[2] = fidi;
	out[3] = out[0] ^ out[1] ^ out[2];
	return 4;
}

bool ccid_pps_accepted(const uint8_t *req, size_t reqlen, const uint8_t *ans, size_t anslen)
{
	/* ISO 7816-3 §9.3: the echo means success; PPS1 absent means default FiDi */
	if (anslen < 3 || ans[0] != 0xFF || (ans[1] & 0x0F) != (req[1] & 0x0F))
		return false;
	if (anslen == reqlen && memcmp(req, ans, reqlen) == 0)
		return true;
	return false;
}
