/* check_ccid.h - shared by the CCID driver suites: a reader firmware core
 * (firmware/ccid) on the in-process transport, opened by the driver's
 * message layer; readertest APDU builders. */
#ifndef SANTECARD_CHECK_CCID_H
#define SANTECARD_CHECK_CCID_H

#include <check.h>
#include <string.h>
#include <time.h>

#include "ccid.h"
#include "inproc.h"
#include "readertest/readertest.h"

static inline double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* readertest case 3 (80 32), Lc = n, data (i + p2) & FF; returns the APDU length. */
static inline size_t rt_case3(uint8_t *a, size_t n, bool ext)
{
	size_t h, i;

	a[0] = 0x80;
	a[1] = 0x32;
	a[2] = 0x00;
	a[3] = 0x07;
	if (ext || n > 255) {
		a[4] = 0;
		a[5] = (uint8_t)(n >> 8);
		a[6] = (uint8_t)n;
		h = 7;
	} else {
		a[4] = (uint8_t)n;
		h = 5;
	}
	for (i = 0; i < n; i++)
		a[h + i] = (uint8_t)(i + 7);
	return h + n;
}

/* readertest case 2 (80 34), Ne = n (1..65536). */
static inline size_t rt_case2(uint8_t *a, size_t n, bool ext)
{
	a[0] = 0x80;
	a[1] = 0x34;
	a[2] = 0x00;
	a[3] = 0x00;
	if (ext || n > 256) {
		a[4] = 0;
		a[5] = (uint8_t)(n >> 8);	/* 65536 -> 00 00 */
		a[6] = (uint8_t)n;
		return 7;
	}
	a[4] = (uint8_t)n;	/* 256 -> 00 */
	return 5;
}

/* readertest case 4 (80 36): nc data bytes, ne expected. */
static inline size_t rt_case4(uint8_t *a, size_t nc, size_t ne, bool ext)
{
	size_t n;

	ext = ext || nc > 255 || ne > 256;
	n = rt_case3(a, nc, ext);
	a[1] = 0x36;
	if (ext) {
		a[n++] = (uint8_t)(ne >> 8);
		a[n++] = (uint8_t)ne;
	} else {
		a[n++] = (uint8_t)ne;
	}
	return n;
}

/* The answer of readertest to case 2/4: ne bytes i & FF then 90 00. */
static inline void rt_check_pattern(const uint8_t *r, size_t rlen, size_t ne)
{
	size_t i;

	ck_assert_uint_eq(rlen, ne + 2);
	for (i = 0; i < ne; i++)
		if (r[i] != (uint8_t)i)
			ck_abort_msg("byte %zu is %02X", i, r[i]);
	ck_assert_uint_eq(r[ne], 0x90);
	ck_assert_uint_eq(r[ne + 1], 0x00);
}

static inline void sw_is(const uint8_t *r, size_t rlen, unsigned sw)
{
	ck_assert_uint_ge(rlen, 2);
	ck_assert_uint_eq((unsigned)r[rlen - 2] << 8 | r[rlen - 1], sw);
}

#endif
