/* apdu.c - C-APDU parsing shared by every simulated card (see apdu.h). */
#include "config.h"

#include <string.h>

#include "apdu.h"

bool sim_apdu_parse(const uint8_t *b, size_t n, struct sim_apdu *a)
{
	size_t x;

	memset(a, 0, sizeof(*a));
	if (n < 4)
		return false;
	a->cla = b[0];
	a->ins = b[1];
	a->p1 = b[2];
	a->p2 = b[3];
	if (n == 4)
		return true;
	if (n == 5) {
		a->has_le = true;
		a->ne = b[4] ? b[4] : 256;
		return true;
	}
	if (b[4] != 0) {
		a->lc = b[4];
		a->data = b + 5;
		if (n == 5 + a->lc)
			return true;
		if (n == 6 + a->lc) {
			a->has_le = true;
			a->ne = b[5 + a->lc] ? b[5 + a->lc] : 256;
			return true;
		}
		return false;
	}
	if (n < 7)
		return false;
	a->extended = true;
	x = (size_t)b[5] << 8 | b[6];
	if (n == 7) {
		a->has_le = true;
		a->ne = x ? x : 65536;
		return true;
	}
	if (x == 0)
		return false;
	a->lc = x;
	a->data = b + 7;
	if (n == 7 + x)
		return true;
	if (n == 9 + x) {
		size_t le = (size_t)b[7 + x] << 8 | b[8 + x];
		a->has_le = true;
		a->ne = le ? le : 65536;
		return true;
	}
	return false;
}
