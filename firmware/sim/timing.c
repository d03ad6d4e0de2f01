/* timing.c - the `--timing realistic` delay model (see timing.h). */
#include "config.h"

#include "sim/timing.h"

/* ISO 7816-3 tables 7 and 8; RFU entries fall back to the defaults. */
static const unsigned fi_table[16] = { 372, 372, 558, 744, 1116, 1488, 1860, 372,
				       372, 512, 768, 1024, 1536, 2048, 372, 372 };
static const unsigned di_table[16] = { 1, 1, 2, 4, 8, 16, 32, 64, 12, 20, 1, 1, 1, 1, 1, 1 };

void sim_timing_from_atr(struct sim_timing *t, const uint8_t *atr, size_t len)
{
	unsigned fi = 372, di = 1;
	double etu;

	t->t1 = false;
	t->contactless = false;
	if (len >= 4 && atr[0] == 0x3B && (atr[1] & 0xF0) == 0x80 && atr[2] == 0x80 &&
	    atr[3] == 0x01) {
		/* PC/SC part 3 pseudo-ATR of a contactless card: 106 kbit/s, 9 bits a byte */
		t->contactless = true;
		t->t1 = true;
		t->char_us = 9.0 * 1e6 / 106000.0;
		return;
	}
	if (len >= 3 && (atr[1] & 0x10)) {
		fi = fi_table[atr[2] >> 4];
		di = di_table[atr[2] & 0x0F];
	}
	/* T=1 when the first TD byte offers it */
	if (len >= 2 && (atr[1] & 0x80)) {
		size_t i = 2 + !!(atr[1] & 0x10) + !!(atr[1] & 0x20) + !!(atr[1] & 0x40);
		if (i < len)
			t->t1 = (atr[i] & 0x0F) == 1;
	}
	etu = (double)fi / ((double)di * (double)SIM_CLOCK_HZ) * 1e6;
	t->char_us = etu * (t->t1 ? 11.0 : 12.0);
}

unsigned long sim_timing_delay_us(const struct sim_timing *t, size_t cmd_len,
				  size_t resp_len, unsigned long work_us)
{
	double bytes;

	if (!t->realistic)
		return 0;
	if (t->contactless || t->t1)
		bytes = (double)(cmd_len + resp_len + 8);   /* framing both ways */
	else
		bytes = (double)(cmd_len + 1 + resp_len);   /* + the procedure byte */
	return (unsigned long)(bytes * t->char_us) + SIM_COMMAND_US + work_us;
}
