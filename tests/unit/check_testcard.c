/* check_testcard.c - the "test" card, driven through its process() directly. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "check_util.h"
#include "testcard/testcard.h"

static const struct sim_card_ops *ops = &testcard_card_ops;
static void *card;
static uint8_t rbuf[SIM_RAPDU_MIN + 16];
static size_t rlen;

static void setup(void)
{
	struct sim_card_config cfg = { 0 };

	card = ops->create(&cfg);
	ck_assert_ptr_nonnull(card);
	ops->power_on(card);
}

static void teardown(void)
{
	ops->destroy(card);
	card = NULL;
}

/* Sends a C-APDU given in bytes; returns the SW; the data is rbuf[0..rlen-2). */
static unsigned send_bytes(const uint8_t *capdu, size_t len)
{
	rlen = ops->process(card, capdu, len, rbuf, sizeof(rbuf));
	ck_assert_uint_ge(rlen, 2);
	ck_assert_uint_le(rlen, sizeof(rbuf));
	return (unsigned)rbuf[rlen - 2] << 8 | rbuf[rlen - 1];
}

/* Same, with the C-APDU in hex ("00 A4 04 00 ..."). */
static unsigned send_hex(const char *hex)
{
	uint8_t capdu[300];
	size_t n = 0;

	while (*hex) {
		if (*hex == ' ') {
			hex++;
			continue;
		}
		ck_assert_uint_lt(n, sizeof(capdu));
		capdu[n++] = (uint8_t)strtoul((char[]){ hex[0], hex[1], 0 }, NULL, 16);
		hex += 2;
	}
	return send_bytes(capdu, n);
}

static size_t data_len(void)
{
	return rlen - 2;
}

static const uint8_t aid[] = TESTCARD_AID;

/* --- ATR ----------------------------------------------------------------- */

START_TEST(test_atr)
{
	static const uint8_t want[] = { 0x3B, 0x09, 0x80, 0x57, 0x53, 0x54, 0x43, 0x54, 0x45, 0x53, 0x54 };
	uint8_t atr[SIM_ATR_MAX];

	ck_assert_uint_eq(ops->atr(card, atr, sizeof(atr)), sizeof(want));
	ck_assert_mem_eq(atr, want, sizeof(want));
	ck_assert_uint_eq(ops->atr(card, atr, 4), 0);
	ck_assert_str_eq(ops->name, "test");
}
END_TEST

/* --- SELECT and GET RESPONSE ------------------------------------------- */

START_TEST(test_select_no_fci)
{
	ck_assert_uint_eq(send_hex("00 A4 04 0C 08 F0 53 54 43 54 45 53 54"), 0x9000);
	ck_assert_uint_eq(data_len(), 0);
}
END_TEST

START_TEST(test_select_fci)
{
	ck_assert_uint_eq(send_hex("00 A4 04 00 08 F0 53 54 43 54 45 53 54"), 0x610C);
	ck_assert_uint_eq(data_len(), 0);
	ck_assert_uint_eq(send_hex("00 C0 00 00 0C"), 0x9000);
	ck_assert_uint_eq(data_len(), 12);
	ck_assert_mem_eq(rbuf, "\x6F\x0A\x84\x08", 4);
	ck_assert_mem_eq(rbuf + 4, aid, sizeof(aid));
	/* All fetched: nothing pending any more. */
	ck_assert_uint_eq(send_hex("00 C0 00 00 0C"), 0x6985);
}
END_TEST

START_TEST(test_select_case4_form)
{
	ck_assert_uint_eq(send_hex("00 A4 04 00 08 F0 53 54 43 54 45 53 54 00"), 0x610C);
}
END_TEST

START_TEST(test_select_errors)
{
	ck_assert_uint_eq(send_hex("00 A4 04 00 08 F0 53 54 43 54 45 53 55"), 0x6A82);
	ck_assert_uint_eq(send_hex("00 A4 04 00 03 F0 53 54"), 0x6A82);
	ck_assert_uint_eq(send_hex("00 A4 00 00 08 F0 53 54 43 54 45 53 54"), 0x6A86);
	ck_assert_uint_eq(send_hex("00 A4 04 04 08 F0 53 54 43 54 45 53 54"), 0x6A86);
	ck_assert_uint_eq(send_hex("00 A4 04 00"), 0x6700);
}
END_TEST

START_TEST(test_get_response_none_pending)
{
	ck_assert_uint_eq(send_hex("00 C0 00 00 10"), 0x6985);
	ck_assert_uint_eq(data_len(), 0);
}
END_TEST

START_TEST(test_get_response_le_too_big_keeps_pending)
{
	ck_assert_uint_eq(send_hex("00 A4 04 00 08 F0 53 54 43 54 45 53 54"), 0x610C);
	ck_assert_uint_eq(send_hex("00 C0 00 00 20"), 0x6C0C);
	ck_assert_uint_eq(data_len(), 0);
	ck_assert_uint_eq(send_hex("00 C0 00 00 0D"), 0x6C0C);
	ck_assert_uint_eq(send_hex("00 C0 00 00 00"), 0x6C0C);
	ck_assert_uint_eq(send_hex("00 C0 00 00 0C"), 0x9000);
	ck_assert_uint_eq(data_len(), 12);
}
END_TEST

START_TEST(test_get_response_partial)
{
	ck_assert_uint_eq(send_hex("00 A4 04 00 08 F0 53 54 43 54 45 53 54"), 0x610C);
	ck_assert_uint_eq(send_hex("00 C0 00 00 04"), 0x6108);
	ck_assert_uint_eq(data_len(), 4);
	ck_assert_mem_eq(rbuf, "\x6F\x0A\x84\x08", 4);
	ck_assert_uint_eq(send_hex("00 C0 00 00 08"), 0x9000);
	ck_assert_mem_eq(rbuf, aid, sizeof(aid));
}
END_TEST

START_TEST(test_get_response_errors)
{
	ck_assert_uint_eq(send_hex("00 A4 04 00 08 F0 53 54 43 54 45 53 54"), 0x610C);
	ck_assert_uint_eq(send_hex("00 C0 01 00 0C"), 0x6A86);
	ck_assert_uint_eq(send_hex("00 C0 00 00"), 0x6700);
	/* Neither error discarded the pending data. */
	ck_assert_uint_eq(send_hex("00 C0 00 00 0C"), 0x9000);
}
END_TEST

START_TEST(test_other_command_discards_pending)
{
	ck_assert_uint_eq(send_hex("00 A4 04 00 08 F0 53 54 43 54 45 53 54"), 0x610C);
	ck_assert_uint_eq(send_hex("80 CA 01 00 14"), 0x9000);
	ck_assert_uint_eq(send_hex("00 C0 00 00 0C"), 0x6985);
}
END_TEST

/* --- GET CHALLENGE, GET DATA --------------------------------------------- */

START_TEST(test_get_challenge)
{
	uint8_t first[8];

	ck_assert_uint_eq(send_hex("00 84 00 00 08"), 0x9000);
	ck_assert_uint_eq(data_len(), 8);
	memcpy(first, rbuf, 8);
	ck_assert_uint_eq(send_hex("00 84 00 00 08"), 0x9000);
	ck_assert_mem_ne(rbuf, first, 8);
	ck_assert_uint_eq(send_hex("00 84 00 00 00"), 0x9000);
	ck_assert_uint_eq(data_len(), 256);
	ck_assert_uint_eq(send_hex("00 84 00 00 01"), 0x9000);
	ck_assert_uint_eq(data_len(), 1);
	ck_assert_uint_eq(send_hex("00 84 01 00 08"), 0x6A86);
	ck_assert_uint_eq(send_hex("00 84 00 00"), 0x6700);
}
END_TEST

START_TEST(test_get_data)
{
	ck_assert_uint_eq(send_hex("80 CA 01 00 14"), 0x9000);
	ck_assert_uint_eq(data_len(), 20);
	for (unsigned i = 0; i < 20; i++)
		ck_assert_uint_eq(rbuf[i], i);
}
END_TEST

START_TEST(test_get_data_wrong_le)
{
	ck_assert_uint_eq(send_hex("80 CA 01 00 10"), 0x6C14);
	ck_assert_uint_eq(data_len(), 0);
	ck_assert_uint_eq(send_hex("80 CA 01 00 00"), 0x6C14);
	ck_assert_uint_eq(send_hex("80 CA 01 00"), 0x6C14);
	ck_assert_uint_eq(send_hex("80 CA 02 00 14"), 0x6A88);
	ck_assert_uint_eq(send_hex("80 CA 01 01 14"), 0x6A88);
}
END_TEST

/* --- ECHO, BIG, HOSTILE --------------------------------------------------- */

START_TEST(test_echo_short)
{
	ck_assert_uint_eq(send_hex("80 E0 00 00 05 11 22 33 44 55"), 0x6105);
	ck_assert_uint_eq(send_hex("00 C0 00 00 05"), 0x9000);
	ck_assert_mem_eq(rbuf, "\x11\x22\x33\x44\x55", 5);
	/* ISO case 4 form, trailing Le accepted. */
	ck_assert_uint_eq(send_hex("80 E0 00 00 02 AB CD 00"), 0x6102);
	ck_assert_uint_eq(send_hex("00 C0 00 00 02"), 0x9000);
	ck_assert_mem_eq(rbuf, "\xAB\xCD", 2);
}
END_TEST

START_TEST(test_echo_255)
{
	uint8_t capdu[5 + 255] = { 0x80, 0xE0, 0x00, 0x00, 0xFF };

	for (size_t i = 0; i < 255; i++)
		capdu[5 + i] = (uint8_t)(255 - i);
	ck_assert_uint_eq(send_bytes(capdu, sizeof(capdu)), 0x61FF);
	ck_assert_uint_eq(send_hex("00 C0 00 00 FF"), 0x9000);
	ck_assert_mem_eq(rbuf, capdu + 5, 255);
}
END_TEST

START_TEST(test_echo_empty)
{
	ck_assert_uint_eq(send_hex("80 E0 00 00"), 0x9000);
	ck_assert_uint_eq(send_hex("00 C0 00 00 01"), 0x6985);
}
END_TEST

/* Extended Lc: the whole body comes back through GET RESPONSE. */
static void echo_extended(size_t n, int with_le)
{
	size_t len = 7 + n + (with_le ? 2 : 0);
	uint8_t *capdu = malloc(len);
	uint8_t *got = malloc(n);
	size_t have = 0;

	ck_assert_ptr_nonnull(capdu);
	ck_assert_ptr_nonnull(got);
	memcpy(capdu, "\x80\xE0\x00\x00\x00", 5);
	capdu[5] = (uint8_t)(n >> 8);
	capdu[6] = (uint8_t)n;
	for (size_t i = 0; i < n; i++)
		capdu[7 + i] = (uint8_t)(i * 7 + 3);
	if (with_le)
		capdu[7 + n] = capdu[8 + n] = 0;
	unsigned sw = send_bytes(capdu, len);
	ck_assert_uint_eq(sw, n >= 256 ? 0x6100 : 0x6100 | n);
	while ((sw & 0xFF00) == 0x6100) {
		uint8_t gr[5] = { 0x00, 0xC0, 0x00, 0x00, (uint8_t)sw };
		sw = send_bytes(gr, 5);
		ck_assert_uint_le(have + data_len(), n);
		memcpy(got + have, rbuf, data_len());
		have += data_len();
	}
	ck_assert_uint_eq(sw, 0x9000);
	ck_assert_uint_eq(have, n);
	ck_assert_mem_eq(got, capdu + 7, n);
	free(capdu);
	free(got);
}

START_TEST(test_echo_extended)
{
	echo_extended(300, 0);
	echo_extended(300, 1);
	echo_extended(65535, 0);
}
END_TEST

START_TEST(test_big)
{
	ck_assert_uint_eq(send_hex("80 E2 00 00 00"), 0x6100);
	ck_assert_uint_eq(send_hex("00 C0 00 00 00"), 0x6100);
	ck_assert_uint_eq(data_len(), 256);
	for (unsigned i = 0; i < 256; i++)
		ck_assert_uint_eq(rbuf[i], i & 0xFF);
	ck_assert_uint_eq(send_hex("00 C0 00 00 00"), 0x6158);
	ck_assert_uint_eq(data_len(), 256);
	for (unsigned i = 0; i < 256; i++)
		ck_assert_uint_eq(rbuf[i], (256 + i) & 0xFF);
	ck_assert_uint_eq(send_hex("00 C0 00 00 00"), 0x6C58);
	ck_assert_uint_eq(send_hex("00 C0 00 00 58"), 0x9000);
	ck_assert_uint_eq(data_len(), 88);
	for (unsigned i = 0; i < 88; i++)
		ck_assert_uint_eq(rbuf[i], (512 + i) & 0xFF);
	ck_assert_uint_eq(send_hex("00 C0 00 00 00"), 0x6985);
}
END_TEST

START_TEST(test_hostile)
{
	ck_assert_uint_eq(send_hex("80 E4 00 00 00"), 0x6110);
	for (int i = 0; i < 1000; i++) {
		ck_assert_uint_eq(send_hex("00 C0 00 00 10"), 0x6110);
		ck_assert_uint_eq(data_len(), 16);
	}
	ck_assert_uint_eq(send_hex("00 C0 00 00 00"), 0x6C10);
	/* Any other command ends it. */
	ck_assert_uint_eq(send_hex("80 CA 01 00 14"), 0x9000);
	ck_assert_uint_eq(send_hex("00 C0 00 00 10"), 0x6985);
}
END_TEST

/* --- CHAIN ---------------------------------------------------------------- */

static void expect_chain_result(const uint8_t *all, size_t n)
{
	uint8_t md[32];
	unsigned int mdlen = 0;

	ck_assert_int_eq(EVP_Digest(all, n, md, &mdlen, EVP_sha256(), NULL), 1);
	ck_assert_uint_eq(send_hex("00 C0 00 00 22"), 0x9000);
	ck_assert_uint_eq(data_len(), 34);
	ck_assert_uint_eq((unsigned)rbuf[0] << 8 | rbuf[1], n);
	ck_assert_mem_eq(rbuf + 2, md, 32);
}

START_TEST(test_chain)
{
	ck_assert_uint_eq(send_hex("90 E6 00 00 03 61 62 63"), 0x9000);
	ck_assert_uint_eq(send_hex("90 E6 00 00 02 64 65"), 0x9000);
	ck_assert_uint_eq(send_hex("80 E6 00 00 01 66"), 0x6122);
	expect_chain_result((const uint8_t *)"abcdef", 6);
}
END_TEST

START_TEST(test_chain_single)
{
	ck_assert_uint_eq(send_hex("80 E6 00 00 03 61 62 63"), 0x6122);
	expect_chain_result((const uint8_t *)"abc", 3);
}
END_TEST

START_TEST(test_chain_interrupted)
{
	ck_assert_uint_eq(send_hex("90 E6 00 00 03 61 62 63"), 0x9000);
	ck_assert_uint_eq(send_hex("80 CA 01 00 14"), 0x9000);
	ck_assert_uint_eq(send_hex("80 E6 00 00 02 78 79"), 0x6122);
	expect_chain_result((const uint8_t *)"xy", 2);
}
END_TEST

START_TEST(test_chain_too_long)
{
	size_t n = 65535;
	uint8_t *capdu = calloc(1, 7 + n);

	ck_assert_ptr_nonnull(capdu);
	memcpy(capdu, "\x90\xE6\x00\x00\x00\xFF\xFF", 7);
	ck_assert_uint_eq(send_bytes(capdu, 7 + n), 0x9000);
	ck_assert_uint_eq(send_hex("90 E6 00 00 01 00"), 0x6700);
	/* The chain was reset: the next one starts from nothing. */
	ck_assert_uint_eq(send_hex("80 E6 00 00 03 61 62 63"), 0x6122);
	expect_chain_result((const uint8_t *)"abc", 3);

	/* Exactly 65535 bytes is allowed: 65531 + 4. */
	capdu[5] = 0xFF;
	capdu[6] = 0xFB;
	ck_assert_uint_eq(send_bytes(capdu, 7 + 65531), 0x9000);
	ck_assert_uint_eq(send_hex("80 E6 00 00 04 00 00 00 00"), 0x6122);
	expect_chain_result(capdu + 7, n);
	free(capdu);
}
END_TEST

/* --- SLEEP ---------------------------------------------------------------- */

START_TEST(test_sleep)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	ck_assert_uint_eq(send_hex("80 E8 00 64"), 0x9000);
	clock_gettime(CLOCK_MONOTONIC, &b);
	long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	ck_assert_int_ge(ms, 100);
	ck_assert_int_lt(ms, 1000);
	ck_assert_uint_eq(send_hex("80 E8 00 00"), 0x9000);
}
END_TEST

/* --- VERIFY --------------------------------------------------------------- */

START_TEST(test_verify_right)
{
	ck_assert_uint_eq(send_hex("00 20 00 01"), 0x63C3);
	ck_assert_uint_eq(send_hex("00 20 00 01 00"), 0x63C3);
	ck_assert_uint_eq(send_hex("00 20 00 01 04 31 32 33 34"), 0x9000);
	ck_assert_uint_eq(send_hex("00 20 00 01 00"), 0x9000);
	/* Reset clears the security status but not the counter. */
	ops->reset(card);
	ck_assert_uint_eq(send_hex("00 20 00 01 00"), 0x63C3);
}
END_TEST

START_TEST(test_verify_wrong_then_right_resets_tries)
{
	ck_assert_uint_eq(send_hex("00 20 00 01 04 31 32 33 35"), 0x63C2);
	ck_assert_uint_eq(send_hex("00 20 00 01 00"), 0x63C2);
	/* A power cycle keeps the counter. */
	ops->power_off(card);
	ops->power_on(card);
	ck_assert_uint_eq(send_hex("00 20 00 01"), 0x63C2);
	ck_assert_uint_eq(send_hex("00 20 00 01 03 31 32 33"), 0x63C1);
	ck_assert_uint_eq(send_hex("00 20 00 01 04 31 32 33 34"), 0x9000);
	ck_assert_uint_eq(send_hex("00 20 00 01 04 31 32 33 35"), 0x63C2);
	/* A wrong PIN also drops the verified state. */
	ck_assert_uint_eq(send_hex("00 20 00 01"), 0x63C2);
}
END_TEST

START_TEST(test_verify_blocks)
{
	ck_assert_uint_eq(send_hex("00 20 00 01 04 30 30 30 30"), 0x63C2);
	ck_assert_uint_eq(send_hex("00 20 00 01 04 30 30 30 30"), 0x63C1);
	ck_assert_uint_eq(send_hex("00 20 00 01 04 30 30 30 30"), 0x63C0);
	ck_assert_uint_eq(send_hex("00 20 00 01 04 31 32 33 34"), 0x6983);
	ck_assert_uint_eq(send_hex("00 20 00 01 04 30 30 30 30"), 0x6983);
	ck_assert_uint_eq(send_hex("00 20 00 01 00"), 0x6983);
	ops->power_off(card);
	ops->power_on(card);
	ck_assert_uint_eq(send_hex("00 20 00 01 04 31 32 33 34"), 0x6983);
}
END_TEST

START_TEST(test_verify_errors)
{
	ck_assert_uint_eq(send_hex("00 20 00 02 04 31 32 33 34"), 0x6A88);
	ck_assert_uint_eq(send_hex("00 20 01 01 04 31 32 33 34"), 0x6A86);
	/* P3 promises 4 bytes that are not there. */
	ck_assert_uint_eq(send_hex("00 20 00 01 04"), 0x6700);
	/* None of these counted as a try. */
	ck_assert_uint_eq(send_hex("00 20 00 01"), 0x63C3);
}
END_TEST

/* --- Errors, reset ------------------------------------------------------- */

START_TEST(test_malformed)
{
	ck_assert_uint_eq(send_hex("00 A4 04"), 0x6700);
	ck_assert_uint_eq(send_hex(""), 0x6700);
	ck_assert_uint_eq(send_hex("80 E0 00 00 05 11 22"), 0x6700);
	ck_assert_uint_eq(send_hex("80 E0 00 00 02 11 22 33 44"), 0x6700);
	ck_assert_uint_eq(send_hex("80 E0 00 00 00 11"), 0x6700);
	ck_assert_uint_eq(send_hex("80 E0 00 00 00 00 05 11 22"), 0x6700);
	ck_assert_uint_eq(send_hex("80 E0 00 00 00 00 00 11"), 0x6700);
	ck_assert_uint_eq(data_len(), 0);
}
END_TEST

START_TEST(test_wrong_cla_ins)
{
	ck_assert_uint_eq(send_hex("A0 A4 04 00 08 F0 53 54 43 54 45 53 54"), 0x6E00);
	ck_assert_uint_eq(send_hex("00 CA 01 00 14"), 0x6E00);
	ck_assert_uint_eq(send_hex("90 E0 00 00 01 11"), 0x6E00);
	ck_assert_uint_eq(send_hex("80 A4 04 00 08 F0 53 54 43 54 45 53 54"), 0x6E00);
	ck_assert_uint_eq(send_hex("80 50 00 00"), 0x6D00);
	ck_assert_uint_eq(send_hex("00 B0 00 00 10"), 0x6D00);
}
END_TEST

START_TEST(test_reset_clears_pending_and_chain)
{
	ck_assert_uint_eq(send_hex("80 E2 00 00 00"), 0x6100);
	ops->reset(card);
	ck_assert_uint_eq(send_hex("00 C0 00 00 00"), 0x6985);

	ck_assert_uint_eq(send_hex("90 E6 00 00 03 61 62 63"), 0x9000);
	ops->power_off(card);
	ops->power_on(card);
	ck_assert_uint_eq(send_hex("80 E6 00 00 01 7A"), 0x6122);
	expect_chain_result((const uint8_t *)"z", 1);

	ck_assert_uint_eq(send_hex("80 E4 00 00 00"), 0x6110);
	ops->reset(card);
	ck_assert_uint_eq(send_hex("00 C0 00 00 10"), 0x6985);
}
END_TEST

START_TEST(test_small_buffer)
{
	static const uint8_t cmd[] = { 0x80, 0xCA, 0x01, 0x00, 0x14 };
	uint8_t small[10];

	ck_assert_uint_eq(ops->process(card, cmd, sizeof(cmd), small, sizeof(small)), 2);
	ck_assert_mem_eq(small, "\x6F\x00", 2);
	ck_assert_uint_eq(ops->process(card, cmd, sizeof(cmd), small, 1), 0);
}
END_TEST

static Suite *testcard_suite(void)
{
	Suite *s = suite_create("testcard");
	struct {
		const char *name;
		const TTest *tests[8];
	} groups[] = {
		{ "atr", { test_atr } },
		{ "select", { test_select_no_fci, test_select_fci, test_select_case4_form, test_select_errors } },
		{ "get_response", { test_get_response_none_pending, test_get_response_le_too_big_keeps_pending,
				    test_get_response_partial, test_get_response_errors,
				    test_other_command_discards_pending } },
		{ "challenge_data", { test_get_challenge, test_get_data, test_get_data_wrong_le } },
		{ "echo", { test_echo_short, test_echo_255, test_echo_empty, test_echo_extended } },
		{ "big_hostile", { test_big, test_hostile } },
		{ "chain", { test_chain, test_chain_single, test_chain_interrupted, test_chain_too_long } },
		{ "sleep", { test_sleep } },
		{ "verify", { test_verify_right, test_verify_wrong_then_right_resets_tries, test_verify_blocks,
			      test_verify_errors } },
		{ "errors", { test_malformed, test_wrong_cla_ins, test_reset_clears_pending_and_chain,
			      test_small_buffer } },
	};

	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		TCase *tc = tcase_create(groups[g].name);
		tcase_add_checked_fixture(tc, setup, teardown);
		for (size_t i = 0; i < 8 && groups[g].tests[i]; i++)
			tcase_add_test(tc, groups[g].tests[i]);
		suite_add_tcase(s, tc);
	}
	return s;
}

int main(void)
{
	return run_suite(testcard_suite());
}
