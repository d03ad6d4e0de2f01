/* check_readertest.c - the reader-test applet, driven through its process() directly. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check_util.h"
#include "readertest/readertest.h"

static const struct sim_card_ops *ops = &readertest_card_ops;
static void *card;
/* Room for the largest answer: 65536 data bytes + SW. */
static uint8_t *rbuf;
#define RBUF_CAP (65536 + 2)
static size_t rlen;

static void setup(void)
{
	struct sim_card_config cfg = { 0 };

	card = ops->create(&cfg);
	ck_assert_ptr_nonnull(card);
	rbuf = malloc(RBUF_CAP);
	ck_assert_ptr_nonnull(rbuf);
	ops->power_on(card);
}

static void teardown(void)
{
	ops->destroy(card);
	card = NULL;
	free(rbuf);
	rbuf = NULL;
}

static unsigned send_bytes(const uint8_t *capdu, size_t len)
{
	rlen = ops->process(card, capdu, len, rbuf, RBUF_CAP);
	ck_assert_uint_ge(rlen, 2);
	ck_assert_uint_le(rlen, RBUF_CAP);
	return (unsigned)rbuf[rlen - 2] << 8 | rbuf[rlen - 1];
}

static unsigned send_hex(const char *h)
{
	uint8_t capdu[300];
	return send_bytes(capdu, hex(h, capdu, sizeof(capdu)));
}

static size_t data_len(void)
{
	return rlen - 2;
}

static void assert_pattern(const uint8_t *d, size_t n, size_t start)
{
	for (size_t i = 0; i < n; i++)
		if (d[i] != (uint8_t)((start + i) & 0xFF))
			ck_abort_msg("byte %zu is %02X, want %02X", i, d[i], (unsigned)((start + i) & 0xFF));
}

/* Builds 80 INS P1 P2 with Lc bytes of pattern (offset P2, optionally one byte
 * spoiled) and an optional Le (ne 0: none), short or extended. */
static size_t build(uint8_t *buf, uint8_t ins, uint8_t p1, uint8_t p2, size_t lc, size_t ne,
		    bool extended, long spoil)
{
	size_t n = 0;

	buf[n++] = 0x80;
	buf[n++] = ins;
	buf[n++] = p1;
	buf[n++] = p2;
	if (extended && (lc || ne))
		buf[n++] = 0x00;
	if (lc) {
		if (extended) {
			buf[n++] = (uint8_t)(lc >> 8);
			buf[n++] = (uint8_t)lc;
		} else {
			buf[n++] = (uint8_t)lc;
		}
		for (size_t i = 0; i < lc; i++)
			buf[n++] = (uint8_t)((i + p2) & 0xFF);
		if (spoil >= 0)
			buf[n - lc + (size_t)spoil] ^= 0x01;
	}
	if (ne) {
		if (extended) {
			buf[n++] = (uint8_t)(ne >> 8);	/* 65536 -> 00 00 */
			buf[n++] = (uint8_t)ne;
		} else {
			buf[n++] = (uint8_t)ne;		/* 256 -> 00 */
		}
	}
	return n;
}

static uint8_t *cmd_buf(void)
{
	uint8_t *b = malloc(65535 + 9);
	ck_assert_ptr_nonnull(b);
	return b;
}

START_TEST(test_atr)
{
	static const uint8_t want[] = READERTEST_ATR;
	uint8_t atr[SIM_ATR_MAX];
	uint8_t tck = 0;

	ck_assert_uint_eq(ops->atr(card, atr, sizeof(atr)), READERTEST_ATR_LEN);
	ck_assert_mem_eq(atr, want, sizeof(want));
	ck_assert_uint_eq(ops->atr(card, atr, 4), 0);
	ck_assert_str_eq(ops->name, "readertest");
	/* TCK: XOR of T0..TCK is 0. */
	for (size_t i = 1; i < sizeof(want); i++)
		tck ^= want[i];
	ck_assert_uint_eq(tck, 0);
	/* T0 = 8B: 11 historical bytes; TD1 = 81: T=1 only; category 80, card
	 * capabilities tag 73, third byte has bit 0x40 (extended Lc/Le). */
	ck_assert_uint_eq(want[1] & 0x0F, 11);
	ck_assert_uint_eq(want[2] & 0x0F, 1);
	ck_assert_uint_eq(want[6], 0x80);
	ck_assert_uint_eq(want[7], 0x73);
	ck_assert_uint_eq(want[10] & 0x40, 0x40);
}
END_TEST

START_TEST(test_case1)
{
	ck_assert_uint_eq(send_hex("80 30 00 00"), 0x9000);
	ck_assert_uint_eq(data_len(), 0);
	ck_assert_uint_eq(send_hex("80 30 00 00 01 00"), 0x6700);
	ck_assert_uint_eq(send_hex("80 30 00 00 10"), 0x6700);
	ck_assert_uint_eq(send_hex("80 30 01 00"), 0x6A86);
}
END_TEST

START_TEST(test_case3)
{
	uint8_t *b = cmd_buf();
	static const size_t sizes[] = { 1, 2, 127, 255 };
	static const size_t ext_sizes[] = { 1, 255, 256, 1000, 65535 };

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		for (unsigned p2 = 0; p2 < 256; p2 += 85) {
			ck_assert_uint_eq(send_bytes(b, build(b, 0x32, 0, (uint8_t)p2, sizes[k], 0, false, -1)), 0x9000);
			ck_assert_uint_eq(data_len(), 0);
		}
		/* One wrong byte anywhere -> 6A80. */
		ck_assert_uint_eq(send_bytes(b, build(b, 0x32, 0, 7, sizes[k], 0, false, (long)sizes[k] - 1)), 0x6A80);
		ck_assert_uint_eq(send_bytes(b, build(b, 0x32, 0, 7, sizes[k], 0, false, 0)), 0x6A80);
	}
	for (size_t k = 0; k < sizeof(ext_sizes) / sizeof(ext_sizes[0]); k++) {
		ck_assert_uint_eq(send_bytes(b, build(b, 0x32, 0, 0x11, ext_sizes[k], 0, true, -1)), 0x9000);
		ck_assert_uint_eq(send_bytes(b, build(b, 0x32, 0, 0x11, ext_sizes[k], 0, true,
						      (long)ext_sizes[k] / 2)), 0x6A80);
	}
	/* Case 3 only: no Le, some data. */
	ck_assert_uint_eq(send_bytes(b, build(b, 0x32, 0, 0, 4, 4, false, -1)), 0x6700);
	ck_assert_uint_eq(send_hex("80 32 00 00"), 0x6700);
	ck_assert_uint_eq(send_hex("80 32 00 00 10"), 0x6700);
	ck_assert_uint_eq(send_hex("80 32 01 00 01 00"), 0x6A86);
	/* Lc says 3, 2 bytes present. */
	ck_assert_uint_eq(send_hex("80 32 00 00 03 00 01"), 0x6700);
	free(b);
}
END_TEST

START_TEST(test_case2)
{
	uint8_t *b = cmd_buf();
	static const size_t sizes[] = { 1, 2, 200, 255, 256 };
	static const size_t ext_sizes[] = { 1, 256, 257, 4096, 65535, 65536 };

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		ck_assert_uint_eq(send_bytes(b, build(b, 0x34, 0, 0x55, 0, sizes[k], false, -1)), 0x9000);
		ck_assert_uint_eq(data_len(), sizes[k]);
		assert_pattern(rbuf, sizes[k], 0);
	}
	for (size_t k = 0; k < sizeof(ext_sizes) / sizeof(ext_sizes[0]); k++) {
		ck_assert_uint_eq(send_bytes(b, build(b, 0x34, 0, 0, 0, ext_sizes[k], true, -1)), 0x9000);
		ck_assert_uint_eq(data_len(), ext_sizes[k]);
		assert_pattern(rbuf, ext_sizes[k], 0);
	}
	ck_assert_uint_eq(send_hex("80 34 00 00 00"), 0x9000);
	ck_assert_uint_eq(data_len(), 256);
	ck_assert_uint_eq(send_hex("80 34 00 00 00 00 00"), 0x9000);
	ck_assert_uint_eq(data_len(), 65536);
	ck_assert_uint_eq(send_hex("80 34 00 00"), 0x6700);
	ck_assert_uint_eq(send_hex("80 34 00 00 01 00 10"), 0x6700);
	ck_assert_uint_eq(send_hex("80 34 02 00 10"), 0x6A86);
	free(b);
}
END_TEST

START_TEST(test_case4)
{
	uint8_t *b = cmd_buf();

	ck_assert_uint_eq(send_bytes(b, build(b, 0x36, 0, 3, 10, 20, false, -1)), 0x9000);
	ck_assert_uint_eq(data_len(), 20);
	assert_pattern(rbuf, 20, 0);
	ck_assert_uint_eq(send_bytes(b, build(b, 0x36, 0, 3, 255, 256, false, -1)), 0x9000);
	ck_assert_uint_eq(data_len(), 256);
	assert_pattern(rbuf, 256, 0);
	ck_assert_uint_eq(send_bytes(b, build(b, 0x36, 0, 0xFF, 300, 1000, true, -1)), 0x9000);
	ck_assert_uint_eq(data_len(), 1000);
	assert_pattern(rbuf, 1000, 0);
	ck_assert_uint_eq(send_bytes(b, build(b, 0x36, 0, 0, 65535, 65536, true, -1)), 0x9000);
	ck_assert_uint_eq(data_len(), 65536);
	assert_pattern(rbuf, 65536, 0);
	/* Wrong data byte: 6A80 and no data. */
	ck_assert_uint_eq(send_bytes(b, build(b, 0x36, 0, 3, 10, 20, false, 9)), 0x6A80);
	ck_assert_uint_eq(data_len(), 0);
	ck_assert_uint_eq(send_bytes(b, build(b, 0x36, 0, 3, 4000, 20, true, 3999)), 0x6A80);
	/* Missing Le or data. */
	ck_assert_uint_eq(send_bytes(b, build(b, 0x36, 0, 0, 10, 0, false, -1)), 0x6700);
	ck_assert_uint_eq(send_hex("80 36 00 00 10"), 0x6700);
	ck_assert_uint_eq(send_hex("80 36 05 00 01 00 01"), 0x6A86);
	free(b);
}
END_TEST

/* The response does not fit the runner's buffer: 6F00 (vpcd's limit is 65535). */
START_TEST(test_too_big_for_buffer)
{
	static const uint8_t cmd[] = { 0x80, 0x34, 0x00, 0x00, 0x00, 0x01, 0x00 };	/* Le 256 ext */

	rlen = ops->process(card, cmd, sizeof(cmd), rbuf, 100);
	ck_assert_uint_eq(rlen, 2);
	ck_assert_mem_eq(rbuf, "\x6F\x00", 2);
}
END_TEST

START_TEST(test_t0_style_short)
{
	ck_assert_uint_eq(send_hex("80 34 01 00 20"), 0x6120);
	ck_assert_uint_eq(data_len(), 0);
	ck_assert_uint_eq(send_hex("00 C0 00 00 21"), 0x6C20);
	ck_assert_uint_eq(send_hex("00 C0 00 00 10"), 0x6110);
	assert_pattern(rbuf, 16, 0);
	ck_assert_uint_eq(send_hex("80 C0 00 00 10"), 0x9000);
	ck_assert_uint_eq(data_len(), 16);
	assert_pattern(rbuf, 16, 16);
	ck_assert_uint_eq(send_hex("00 C0 00 00 10"), 0x6985);
	/* Case 4 the same way. */
	ck_assert_uint_eq(send_hex("80 36 01 02 02 02 03 05"), 0x6105);
	ck_assert_uint_eq(send_hex("00 C0 00 00 05"), 0x9000);
	assert_pattern(rbuf, 5, 0);
	ck_assert_uint_eq(send_hex("80 36 01 02 02 02 04 05"), 0x6A80);
	ck_assert_uint_eq(send_hex("00 C0 00 00 05"), 0x6985);
}
END_TEST

START_TEST(test_t0_style_long)
{
	size_t have = 0;
	unsigned sw;

	/* 600 bytes: 61 00, 61 00, 61 58. */
	ck_assert_uint_eq(send_hex("80 34 01 00 00 02 58"), 0x6100);
	sw = 0x6100;
	while ((sw & 0xFF00) == 0x6100) {
		uint8_t gr[5] = { 0x00, 0xC0, 0x00, 0x00, (uint8_t)sw };
		sw = send_bytes(gr, 5);
		assert_pattern(rbuf, data_len(), have);
		have += data_len();
		if (have == 512)
			ck_assert_uint_eq(sw, 0x6158);
	}
	ck_assert_uint_eq(sw, 0x9000);
	ck_assert_uint_eq(have, 600);
	/* Extended GET RESPONSE gets all that remains at once. */
	ck_assert_uint_eq(send_hex("80 34 01 00 00 10 00"), 0x6100);
	ck_assert_uint_eq(send_hex("00 C0 00 00 00 00 00"), 0x9000);
	ck_assert_uint_eq(data_len(), 4096);
	assert_pattern(rbuf, 4096, 0);
}
END_TEST

START_TEST(test_pending_discarded)
{
	ck_assert_uint_eq(send_hex("80 34 01 00 20"), 0x6120);
	ck_assert_uint_eq(send_hex("80 30 00 00"), 0x9000);
	ck_assert_uint_eq(send_hex("00 C0 00 00 20"), 0x6985);
	ck_assert_uint_eq(send_hex("80 34 01 00 20"), 0x6120);
	ops->reset(card);
	ck_assert_uint_eq(send_hex("00 C0 00 00 20"), 0x6985);
	ck_assert_uint_eq(send_hex("80 34 01 00 20"), 0x6120);
	ck_assert_uint_eq(send_hex("00 C0 01 00 20"), 0x6A86);
	ck_assert_uint_eq(send_hex("00 C0 00 00"), 0x6700);
	ck_assert_uint_eq(send_hex("00 C0 00 00 20"), 0x9000);
}
END_TEST

START_TEST(test_wait)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	ck_assert_uint_eq(send_hex("80 38 00 C8"), 0x9000);
	clock_gettime(CLOCK_MONOTONIC, &b);
	long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	ck_assert_int_ge(ms, 200);
	ck_assert_int_lt(ms, 2000);
	ck_assert_uint_eq(send_hex("80 38 00 00"), 0x9000);
	ck_assert_uint_eq(send_hex("80 38 00 00 00"), 0x6700);
}
END_TEST

START_TEST(test_errors)
{
	ck_assert_uint_eq(send_hex("80 50 00 00"), 0x6D00);
	ck_assert_uint_eq(send_hex("80 A4 04 00 02 3F 00"), 0x6D00);
	ck_assert_uint_eq(send_hex("00 30 00 00"), 0x6E00);
	ck_assert_uint_eq(send_hex("A0 30 00 00"), 0x6E00);
	ck_assert_uint_eq(send_hex("84 34 00 00 10"), 0x6E00);
	ck_assert_uint_eq(send_hex("80 30 00"), 0x6700);
	ck_assert_uint_eq(send_hex(""), 0x6700);
	/* Malformed extended forms. */
	ck_assert_uint_eq(send_hex("80 32 00 00 00 00 05 00 01"), 0x6700);
	ck_assert_uint_eq(send_hex("80 32 00 00 00 11"), 0x6700);
	ck_assert_uint_eq(send_hex("80 32 00 00 00 00 00 11"), 0x6700);
}
END_TEST

START_TEST(test_small_cap)
{
	static const uint8_t cmd[] = { 0x80, 0x30, 0x00, 0x00 };

	ck_assert_uint_eq(ops->process(card, cmd, sizeof(cmd), rbuf, 1), 0);
	ck_assert_uint_eq(ops->process(card, cmd, sizeof(cmd), rbuf, 2), 2);
	ck_assert_mem_eq(rbuf, "\x90\x00", 2);
}
END_TEST

static Suite *readertest_suite(void)
{
	Suite *s = suite_create("readertest");
	struct {
		const char *name;
		const TTest *tests[8];
	} groups[] = {
		{ "atr", { test_atr } },
		{ "cases", { test_case1, test_case3, test_case2, test_case4, test_too_big_for_buffer } },
		{ "t0_style", { test_t0_style_short, test_t0_style_long, test_pending_discarded } },
		{ "wait", { test_wait } },
		{ "errors", { test_errors, test_small_cap } },
	};

	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		TCase *tc = tcase_create(groups[g].name);
		tcase_add_checked_fixture(tc, setup, teardown);
		tcase_set_timeout(tc, 30);
		for (size_t i = 0; i < 8 && groups[g].tests[i]; i++)
			tcase_add_test(tc, groups[g].tests[i]);
		suite_add_tcase(s, tc);
	}
	return s;
}

int main(void)
{
	return run_suite(readertest_suite());
}
