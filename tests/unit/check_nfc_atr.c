/* check_nfc_atr.c - the NFC driver's PC/SC part 3 ATRs and timeouts. */
#include "config.h"

#include <check.h>
#include <string.h>

#include "check_util.h"
#include "nfc_atr.h"

/* The CPS3 contactless ATR (cards.md 1.2) from an ATS carrying its historical
 * bytes: the pseudo-ATR is rebuilt byte for byte, TCK included. */
START_TEST(type_a_cps3)
{
	uint8_t ats[32], atr[NFC_ATR_MAX], want[32];
	size_t n = hex("78 00 80 02 00 31 B8 64 04 B0 EC C1 73 94 01 80 82 90 00", ats, sizeof(ats));
	size_t w = hex("3B 8F 80 01 00 31 B8 64 04 B0 EC C1 73 94 01 80 82 90 00 0E", want,
		       sizeof(want));

	ck_assert_uint_eq(nfc_atr_type_a(ats, n, atr, sizeof(atr)), w);
	ck_assert_mem_eq(atr, want, w);
}
END_TEST

START_TEST(type_a_interface_bytes)
{
	uint8_t atr[NFC_ATR_MAX];
	/* T0 = 0x45: only TC1 present, then two historical bytes */
	const uint8_t ats[] = { 0x45, 0x02, 0xAA, 0xBB };

	ck_assert_uint_eq(nfc_atr_type_a(ats, sizeof(ats), atr, sizeof(atr)), 7);
	ck_assert_uint_eq(atr[1], 0x82);
	ck_assert_uint_eq(atr[4], 0xAA);
	ck_assert_uint_eq(atr[5], 0xBB);
	ck_assert_uint_eq(atr[6], 0x82 ^ 0x80 ^ 0x01 ^ 0xAA ^ 0xBB);
	/* no historical bytes at all: 3B 80 80 01 01 */
	ck_assert_uint_eq(nfc_atr_type_a(ats, 2, atr, sizeof(atr)), 5);
	ck_assert_uint_eq(atr[4], 0x01);
}
END_TEST

START_TEST(type_a_malformed)
{
	uint8_t atr[NFC_ATR_MAX], ats[20];

	/* T0 announces TA TB TC but the ATS stops after TA */
	ck_assert_uint_eq(nfc_atr_type_a((const uint8_t[]){ 0x75, 0x00 }, 2, atr, sizeof(atr)), 0);
	ck_assert_uint_eq(nfc_atr_type_a(ats, 0, atr, sizeof(atr)), 0);
	/* 16 historical bytes do not fit in the 4-bit count: the first 15 */
	memset(ats, 0x11, sizeof(ats));
	ats[0] = 0x00;
	ck_assert_uint_eq(nfc_atr_type_a(ats, 17, atr, sizeof(atr)), 20);
	ck_assert_uint_eq(atr[1], 0x8F);
	ck_assert_uint_eq(atr[19], 0x8F ^ 0x80 ^ 0x01 ^ 0x11);	/* 15 x 11 = 11 */
	/* output too small */
	ck_assert_uint_eq(nfc_atr_type_a(ats, 3, atr, 6), 0);
}
END_TEST

START_TEST(type_b)
{
	uint8_t atr[NFC_ATR_MAX], want[32];
	const uint8_t app[4] = { 0x00, 0x31, 0xB8, 0x64 }, pi[3] = { 0x00, 0x51, 0x81 };
	size_t w = hex("3B 88 80 01 00 31 B8 64 00 51 81 00", want, sizeof(want));
	uint8_t tck = 0;

	ck_assert_uint_eq(nfc_atr_type_b(app, pi, 0, atr, sizeof(atr)), w + 1);
	ck_assert_mem_eq(atr, want, w);
	for (size_t i = 1; i < w; i++)
		tck ^= want[i];
	ck_assert_uint_eq(atr[w], tck);
	/* MBLI goes in the high nibble of the 8th byte */
	nfc_atr_type_b(app, pi, 0x3, atr, sizeof(atr));
	ck_assert_uint_eq(atr[11], 0x30);
}
END_TEST

START_TEST(fwt)
{
	const uint8_t ats[] = { 0x78, 0x00, 0x80, 0x02 }, ats_no_tb[] = { 0x50, 0x00 };
	const uint8_t pi[3] = { 0x00, 0x51, 0xE1 };

	ck_assert_uint_eq(nfc_fwt_ms(0), 1);
	ck_assert_uint_eq(nfc_fwt_ms(8), 78);	/* 77.3 ms */
	ck_assert_uint_eq(nfc_fwt_ms(14), 4948);
	ck_assert_uint_eq(nfc_fwt_ms(15), nfc_fwt_ms(4));
	ck_assert_uint_eq(nfc_fwi_type_a(ats, sizeof(ats)), 8);
	ck_assert_uint_eq(nfc_fwi_type_a(ats_no_tb, sizeof(ats_no_tb)), 4);
	ck_assert_uint_eq(nfc_fwi_type_a(ats, 2), 4);	/* TB announced, missing */
	ck_assert_uint_eq(nfc_fwi_type_b(pi), 14);
}
END_TEST

static Suite *nfc_atr_suite(void)
{
	Suite *s = suite_create("nfc_atr");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, type_a_cps3);
	tcase_add_test(tc, type_a_interface_bytes);
	tcase_add_test(tc, type_a_malformed);
	tcase_add_test(tc, type_b);
	tcase_add_test(tc, fwt);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(nfc_atr_suite());
}
