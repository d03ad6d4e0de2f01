/* check_atr.c - unit tests for the ATR parser (src/lib/atr.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "santecard.h"
#include "check_util.h"

/* XOR of atr[1..n-1] stored in atr[n]: makes a correct TCK; returns n + 1. */
static size_t add_tck(uint8_t *atr, size_t n)
{
	uint8_t x = 0;
	size_t i;

	for (i = 1; i < n; i++)
		x ^= atr[i];
	atr[n] = x;
	return n + 1;
}

/* Real ATRs (reference/cards.md) and what the parser must find in them. */
static const struct known {
	const char *name;
	const char *atr;
	unsigned protocols;
	int first_protocol;
	int inverse;
	unsigned fi, di, fmax_khz;
	size_t hist_len;
	int tck_present;
	const char *text;
} known[] = {
	{ "CPS3 contact", "3B AC 00 40 2A 00 12 25 00 64 80 00 03 10 00 90 00",
	  STC_PROTO_T0, 0, 0, 372, 1, 5000, 12, 0,
	  "T=0, direct convention, Fi=372 Di=1 (f max 5 MHz), 12 historical bytes" },
	{ "CPS4", "3B 9B 18 80 01 00 12 25 00 64 80 04 01 00 00 90 44",
	  STC_PROTO_T0 | STC_PROTO_T1, 0, 0, 372, 12, 5000, 11, 1,
	  "T=0/T=1, direct convention, Fi=372 Di=12 (f max 5 MHz), 11 historical bytes" },
	{ "Vitale 2", "3B 75 13 00 00 49 09 EA 90 00",
	  STC_PROTO_T0, 0, 0, 372, 4, 5000, 5, 0,
	  "T=0, direct convention, Fi=372 Di=4 (f max 5 MHz), 5 historical bytes" },
	{ "Vitale 1", "3F 65 25 00 2C 09 69 90 00",
	  STC_PROTO_T0, 0, 1, 372, 1, 5000, 5, 0,
	  "T=0, inverse convention, Fi=372 Di=1 (f max 5 MHz), 5 historical bytes" },
	{ "CPS3 contactless", "3B 8F 80 01 00 31 B8 64 04 B0 EC C1 73 94 01 80 82 90 00 0E",
	  STC_PROTO_T0 | STC_PROTO_T1, 0, 0, 372, 1, 5000, 15, 1,
	  "T=0/T=1, direct convention, Fi=372 Di=1 (f max 5 MHz), 15 historical bytes" },
	{ "vsmartcard", "3B 95 13 81 01 80 73 FF 01 00 0B",
	  STC_PROTO_T1, 1, 0, 372, 4, 5000, 5, 1,
	  "T=1, direct convention, Fi=372 Di=4 (f max 5 MHz), 5 historical bytes" },
};
#define N_KNOWN (sizeof(known) / sizeof(known[0]))

START_TEST(test_known_atrs)
{
	const struct known *k = &known[_i];
	uint8_t b[STC_ATR_MAX];
	size_t n = hex(k->atr, b, sizeof(b));
	char text[128];
	stc_atr a;

	ck_assert_msg(stc_atr_parse(b, n, &a) == STC_OK, "%s", k->name);
	ck_assert_uint_eq(a.raw_len, n);
	ck_assert_mem_eq(a.raw, b, n);
	ck_assert_uint_eq(a.protocols, k->protocols);
	ck_assert_int_eq(a.first_protocol, k->first_protocol);
	ck_assert_int_eq(a.inverse, k->inverse);
	ck_assert_uint_eq(a.fi, k->fi);
	ck_assert_uint_eq(a.di, k->di);
	ck_assert_uint_eq(a.fmax_khz, k->fmax_khz);
	ck_assert_uint_eq(a.hist_len, k->hist_len);
	ck_assert_mem_eq(a.hist, b + n - k->hist_len - (size_t)k->tck_present, k->hist_len);
	ck_assert_int_eq(a.tck_present, k->tck_present);
	ck_assert_int_eq(a.tck_ok, k->tck_present);
	ck_assert_int_eq(a.specific_mode, 0);
	ck_assert_int_eq(stc_atr_describe(&a, text, sizeof(text)), STC_OK);
	ck_assert_str_eq(text, k->text);
}
END_TEST

START_TEST(test_cps3_interface_bytes)
{
	uint8_t b[STC_ATR_MAX];
	size_t n = hex(known[0].atr, b, sizeof(b));
	stc_atr a;

	ck_assert_int_eq(stc_atr_parse(b, n, &a), STC_OK);
	ck_assert_uint_eq(a.present[1], 0x0A);   /* TB1, TD1 */
	ck_assert_uint_eq(a.tb[1], 0x00);
	ck_assert_uint_eq(a.td[1], 0x40);
	ck_assert_uint_eq(a.present[2], 0x04);   /* TC2 */
	ck_assert_uint_eq(a.tc[2], 0x2A);
	ck_assert_uint_eq(a.present[3], 0);
	ck_assert_uint_eq(a.hist[0], 0x00);
	ck_assert_uint_eq(a.hist[11], 0x00);
	ck_assert_uint_eq(a.hist[10], 0x90);
}
END_TEST

START_TEST(test_cps4_interface_bytes)
{
	uint8_t b[STC_ATR_MAX];
	size_t n = hex(known[1].atr, b, sizeof(b));
	stc_atr a;

	ck_assert_int_eq(stc_atr_parse(b, n, &a), STC_OK);
	ck_assert_uint_eq(a.present[1], 0x09);   /* TA1, TD1 */
	ck_assert_uint_eq(a.ta[1], 0x18);
	ck_assert_uint_eq(a.present[2], 0x08);   /* TD2 */
	ck_assert_uint_eq(a.td[2], 0x01);
	ck_assert_uint_eq(a.present[3], 0);
}
END_TEST

/* Every proper prefix of a real ATR is truncated, and fields are filled as far as
 * they go. The input is an exact-size heap copy so ASan sees any over-read. */
START_TEST(test_truncated_everywhere)
{
	const struct known *k = &known[_i];
	uint8_t b[STC_ATR_MAX];
	size_t n = hex(k->atr, b, sizeof(b)), len;

	for (len = 0; len < n; len++) {
		uint8_t *copy = malloc(len ? len : 1);
		stc_atr a;

		ck_assert_ptr_nonnull(copy);
		memcpy(copy, b, len);
		ck_assert_msg(stc_atr_parse(copy, len, &a) == STC_ERR_INVALID_DATA,
			      "%s cut at %zu", k->name, len);
		ck_assert_uint_eq(a.raw_len, len);
		if (len >= 1)
			ck_assert_int_eq(a.inverse, k->inverse);
		ck_assert_uint_le(a.hist_len, k->hist_len);
		free(copy);
	}
}
END_TEST

START_TEST(test_partial_fill)
{
	uint8_t b[STC_ATR_MAX];
	stc_atr a;

	/* CPS3 cut after TD1: TB1 and TD1 known, TC2 missing. */
	hex(known[0].atr, b, sizeof(b));
	ck_assert_int_eq(stc_atr_parse(b, 4, &a), STC_ERR_INVALID_DATA);
	ck_assert_uint_eq(a.present[1], 0x0A);
	ck_assert_uint_eq(a.td[1], 0x40);
	ck_assert_uint_eq(a.present[2], 0);
	ck_assert_uint_eq(a.protocols, STC_PROTO_T0);
	/* CPS4 cut in the historical bytes: interface known, 4 historical bytes. */
	hex(known[1].atr, b, sizeof(b));
	ck_assert_int_eq(stc_atr_parse(b, 9, &a), STC_ERR_INVALID_DATA);
	ck_assert_uint_eq(a.di, 12);
	ck_assert_uint_eq(a.protocols, STC_PROTO_T0 | STC_PROTO_T1);
	ck_assert_uint_eq(a.hist_len, 4);
	ck_assert_uint_eq(a.hist[3], 0x00);
	ck_assert_uint_eq(a.hist[2], 0x25);
	ck_assert_int_eq(a.tck_present, 0);
}
END_TEST

START_TEST(test_bad_ts)
{
	static const uint8_t ts[] = { 0x00, 0x3A, 0x3C, 0x03, 0xFF, 0x2B };
	uint8_t b[STC_ATR_MAX];
	size_t n = hex(known[2].atr, b, sizeof(b)), i;
	stc_atr a;

	for (i = 0; i < sizeof(ts); i++) {
		b[0] = ts[i];
		ck_assert_int_eq(stc_atr_parse(b, n, &a), STC_ERR_INVALID_DATA);
		ck_assert_uint_eq(a.raw_len, n);
		ck_assert_uint_eq(a.hist_len, 0);
	}
}
END_TEST

START_TEST(test_bad_tck)
{
	uint8_t b[STC_ATR_MAX];
	size_t n = hex(known[1].atr, b, sizeof(b));
	stc_atr a;

	b[n - 1] ^= 0x01;
	ck_assert_int_eq(stc_atr_parse(b, n, &a), STC_ERR_INVALID_DATA);
	ck_assert_int_eq(a.tck_present, 1);
	ck_assert_int_eq(a.tck_ok, 0);
	ck_assert_uint_eq(a.hist_len, 11);          /* everything else parsed */
	ck_assert_uint_eq(a.protocols, STC_PROTO_T0 | STC_PROTO_T1);
	/* A flipped historical byte is caught too. */
	b[n - 1] ^= 0x01;
	b[8] ^= 0x40;
	ck_assert_int_eq(stc_atr_parse(b, n, &a), STC_ERR_INVALID_DATA);
	ck_assert_int_eq(a.tck_ok, 0);
}
END_TEST

START_TEST(test_trailing_bytes)
{
	uint8_t b[STC_ATR_MAX];
	size_t n;
	stc_atr a;

	/* T=0 only: no TCK allowed, so one more byte is trailing garbage. */
	n = hex("3B 75 13 00 00 49 09 EA 90 00 00", b, sizeof(b));
	ck_assert_int_eq(stc_atr_parse(b, n, &a), STC_ERR_INVALID_DATA);
	ck_assert_uint_eq(a.hist_len, 5);
	ck_assert_int_eq(a.tck_present, 0);
	/* After a valid TCK. */
	n = hex("3B 95 13 81 01 80 73 FF 01 00 0B 0B", b, sizeof(b));
	ck_assert_int_eq(stc_atr_parse(b, n, &a), STC_ERR_INVALID_DATA);
	ck_assert_int_eq(a.tck_ok, 1);
}
END_TEST

START_TEST(test_too_long)
{
	uint8_t b[64];
	size_t n, i;
	stc_atr a;

	/* TS T0=FF, levels 1-3 with all four bytes (TDi = F1), TD4 = 01, 15 historical
	 * bytes, TCK: 2 + 16 + 15 + 1 = 34 bytes, one more than ISO allows. */
	n = 0;
	b[n++] = 0x3B;
	b[n++] = 0xFF;
	for (i = 0; i < 4; i++) {
		b[n++] = 0x11;
		b[n++] = 0x00;
		b[n++] = 0x00;
		b[n++] = i < 3 ? 0xF1 : 0x01;
	}
	for (i = 0; i < 15; i++)
		b[n++] = (uint8_t)i;
	n = add_tck(b, n);
	ck_assert_uint_eq(n, 34);
	ck_assert_int_eq(stc_atr_parse(b, n, &a), STC_ERR_INVALID_DATA);
	ck_assert_uint_eq(a.raw_len, STC_ATR_MAX);
	ck_assert_uint_eq(a.hist_len, 15);
	ck_assert_int_eq(a.tck_ok, 1);
	ck_assert_uint_eq(a.present[4], 0x0F);
	/* Any length past 33 with garbage after a valid ATR. */
	n = hex(known[4].atr, b, sizeof(b));
	memset(b + n, 0, sizeof(b) - n);
	ck_assert_int_eq(stc_atr_parse(b, sizeof(b), &a), STC_ERR_INVALID_DATA);
	ck_assert_uint_eq(a.raw_len, STC_ATR_MAX);
}
END_TEST

START_TEST(test_too_many_historical_bytes)
{
	uint8_t b[STC_ATR_MAX];
	size_t n;
	stc_atr a;

	/* T0 announces 15 historical bytes, 16 follow. */
	n = hex("3B 0F 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10", b, sizeof(b));
	ck_assert_int_eq(stc_atr_parse(b, n, &a), STC_ERR_INVALID_DATA);
	ck_assert_uint_eq(a.hist_len, 15);
	ck_assert_uint_eq(a.hist[14], 0x0F);
	/* Exactly 15 is fine. */
	ck_assert_int_eq(stc_atr_parse(b, n - 1, &a), STC_OK);
	/* 14 of 15 is truncated. */
	ck_assert_int_eq(stc_atr_parse(b, n - 2, &a), STC_ERR_INVALID_DATA);
	ck_assert_uint_eq(a.hist_len, 14);
}
END_TEST

START_TEST(test_td_chain_levels)
{
	uint8_t b[STC_ATR_MAX];
	size_t n, i;
	stc_atr a;

	/* TD1..TD7 = 80 (T=0, TD next), TD8 = 00: eight levels, the maximum. */
	n = 0;
	b[n++] = 0x3B;
	b[n++] = 0x80;
	for (i = 1; i <= 8; i++)
		b[n++] = i < 8 ? 0x80 : 0x00;
	ck_assert_int_eq(stc_atr_parse(b, n, &a), STC_OK);
	ck_assert_uint_eq(a.present[8], 0x08);
	ck_assert_uint_eq(a.protocols, STC_PROTO_T0);
	ck_assert_int_eq(a.tck_present, 0);
	/* TD8 = 80 announces TD9: nine levels. */
	b[n - 1] = 0x80;
	b[n++] = 0x00;
	ck_assert_int_eq(stc_atr_parse(b, n, &a), STC_ERR_INVALID_DATA);
	ck_assert_uint_eq(a.present[8], 0x08);
	/* Same with T=1 and a TCK, so only the depth can be the reason. */
	n = 0;
	b[n++] = 0x3B;
	b[n++] = 0x80;
	for (i = 1; i <= 9; i++)
		b[n++] = i < 9 ? 0x81 : 0x01;
	n = add_tck(b, n);
	ck_assert_int_eq(stc_atr_parse(b, n, &a), STC_ERR_INVALID_DATA);
	ck_assert_uint_eq(a.protocols, STC_PROTO_T1);
}
END_TEST

START_TEST(test_truncated_at_each_interface_byte)
{
	uint8_t b[STC_ATR_MAX];
	size_t n, len;
	stc_atr a;

	/* TA1 TB1 TC1 TD1(T=1) TA2 TB2 TC2 TD2(T=15) TA3, no historical bytes, TCK. */
	n = hex("3B F0 96 00 00 F1 11 22 33 1F 07", b, sizeof(b));
	n = add_tck(b, n);
	ck_assert_int_eq(stc_atr_parse(b, n, &a), STC_OK);
	ck_assert_uint_eq(a.protocols, STC_PROTO_T1 | STC_PROTO_T15);
	ck_assert_int_eq(a.first_protocol, 1);
	ck_assert_int_eq(a.specific_mode, 1);
	ck_assert_uint_eq(a.ta[3], 0x07);
	ck_assert_uint_eq(a.fi, 512);
	ck_assert_uint_eq(a.di, 32);
	ck_assert_uint_eq(a.fmax_khz, 5000);
	for (len = 2; len < n; len++) {
		ck_assert_msg(stc_atr_parse(b, len, &a) == STC_ERR_INVALID_DATA, "cut at %zu", len);
		/* The bytes read before the cut are kept. */
		ck_assert_uint_eq(a.present[1] & 0x01, len > 2);
		ck_assert_uint_eq(a.present[2] & 0x01, len > 6);
		ck_assert_uint_eq(a.present[3] & 0x01, len > 10);
	}
}
END_TEST

START_TEST(test_ta1_tables)
{
	static const struct {
		uint8_t ta1;
		unsigned fi, di, fmax;
		const char *clock;
	} cases[] = {
		{ 0x11, 372, 1, 5000, "Fi=372 Di=1 (f max 5 MHz)" },
		{ 0x01, 372, 1, 4000, "Fi=372 Di=1 (f max 4 MHz)" },
		{ 0x96, 512, 32, 5000, "Fi=512 Di=32 (f max 5 MHz)" },
		{ 0xA8, 768, 12, 7500, "Fi=768 Di=12 (f max 7.5 MHz)" },
		{ 0xD9, 2048, 20, 20000, "Fi=2048 Di=20 (f max 20 MHz)" },
		{ 0x67, 1860, 64, 20000, "Fi=1860 Di=64 (f max 20 MHz)" },
		{ 0x70, 0, 0, 0, "Fi=RFU Di=RFU" },
		{ 0xFA, 0, 0, 0, "Fi=RFU Di=RFU" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t b[3] = { 0x3B, 0x10, cases[i].ta1 };
		char text[128], want[128];
		stc_atr a;

		ck_assert_int_eq(stc_atr_parse(b, sizeof(b), &a), STC_OK);
		ck_assert_uint_eq(a.fi, cases[i].fi);
		ck_assert_uint_eq(a.di, cases[i].di);
		ck_assert_uint_eq(a.fmax_khz, cases[i].fmax);
		ck_assert_int_eq(stc_atr_describe(&a, text, sizeof(text)), STC_OK);
		snprintf(want, sizeof(want), "T=0, direct convention, %s, 0 historical bytes",
			 cases[i].clock);
		ck_assert_str_eq(text, want);
	}
}
END_TEST

START_TEST(test_specific_mode_and_t15)
{
	uint8_t b[STC_ATR_MAX];
	size_t n;
	char text[128];
	stc_atr a;

	/* TD1 = 10: T=0, TA2 follows (specific mode); T=0 only, so no TCK. */
	n = hex("3B 81 10 00 80", b, sizeof(b));
	ck_assert_int_eq(stc_atr_parse(b, n, &a), STC_OK);
	ck_assert_int_eq(a.specific_mode, 1);
	ck_assert_int_eq(a.tck_present, 0);
	ck_assert_int_eq(stc_atr_describe(&a, text, sizeof(text)), STC_OK);
	ck_assert_str_eq(text, "T=0, direct convention, Fi=372 Di=1 (f max 5 MHz),"
			 " specific mode, 1 historical byte");
	/* T=0 plus T=15 global bytes: TCK required (ISO 7816-3 8.2.5). */
	n = hex("3B 80 80 1F 07", b, sizeof(b));
	ck_assert_int_eq(stc_atr_parse(b, n, &a), STC_ERR_INVALID_DATA);
	n = add_tck(b, n);
	ck_assert_int_eq(stc_atr_parse(b, n, &a), STC_OK);
	ck_assert_uint_eq(a.protocols, STC_PROTO_T0 | STC_PROTO_T15);
	ck_assert_int_eq(a.tck_ok, 1);
	ck_assert_int_eq(stc_atr_describe(&a, text, sizeof(text)), STC_OK);
	ck_assert_str_eq(text, "T=0, direct convention, Fi=372 Di=1 (f max 5 MHz), 0 historical bytes");
}
END_TEST

START_TEST(test_describe_too_small)
{
	uint8_t b[STC_ATR_MAX];
	size_t n = hex(known[1].atr, b, sizeof(b)), need, cap;
	char text[128];
	stc_atr a;

	ck_assert_int_eq(stc_atr_parse(b, n, &a), STC_OK);
	need = strlen(known[1].text) + 1;
	for (cap = 0; cap < need; cap++) {
		memset(text, 'Z', sizeof(text));
		ck_assert_int_eq(stc_atr_describe(&a, text, cap), STC_ERR_BUFFER_TOO_SMALL);
		ck_assert_int_eq(text[cap], 'Z');       /* nothing written past cap */
		if (cap)
			ck_assert_int_eq(text[0], '\0');  /* no half sentence */
	}
	ck_assert_int_eq(stc_atr_describe(&a, text, need), STC_OK);
	ck_assert_str_eq(text, known[1].text);
}
END_TEST

START_TEST(test_args)
{
	uint8_t b[2] = { 0x3B, 0x00 };
	char text[8];
	stc_atr a;

	ck_assert_int_eq(stc_atr_parse(b, 2, NULL), STC_ERR_INVALID_ARGS);
	ck_assert_int_eq(stc_atr_parse(NULL, 2, &a), STC_ERR_INVALID_ARGS);
	ck_assert_int_eq(stc_atr_parse(NULL, 0, &a), STC_ERR_INVALID_DATA);
	ck_assert_uint_eq(a.raw_len, 0);
	ck_assert_int_eq(stc_atr_parse(b, 2, &a), STC_OK);   /* the shortest ATR */
	ck_assert_uint_eq(a.protocols, STC_PROTO_T0);
	ck_assert_int_eq(stc_atr_describe(NULL, text, sizeof(text)), STC_ERR_INVALID_ARGS);
	ck_assert_int_eq(stc_atr_describe(&a, NULL, 8), STC_ERR_INVALID_ARGS);
}
END_TEST

/* ------------------------------------------------ identification by ATR */

static stc_card_kind identify(const char *hexatr, const char **name)
{
	uint8_t atr[STC_ATR_MAX];
	size_t n = hex(hexatr, atr, sizeof(atr));
	stc_card_kind kind;
	stc_rv rv = stc_atr_identify(atr, n, &kind, name);

	ck_assert(rv == STC_OK || (rv == STC_ERR_NOT_FOUND && kind == STC_CARD_UNKNOWN));
	return kind;
}

START_TEST(identify_known)
{
	const char *name;

	ck_assert_int_eq(identify("3B AC 00 40 2A 00 12 25 00 64 80 00 03 10 00 90 00", &name),
			 STC_CARD_CPS3);
	ck_assert_str_eq(name, "CPS3 (contact)");
	/* the other CPS ATR of pcsc-tools' list fits OpenSC's mask only */
	ck_assert_int_eq(identify("3B AC 00 40 2A 00 12 25 00 64 80 82 02 12 00 90 00", &name),
			 STC_CARD_CPS3);
	ck_assert_str_eq(name, "CPS (CPx family, contact)");
	/* CPS4 fits the same mask, but its exact entry comes first */
	ck_assert_int_eq(identify("3B DC 18 FF 00 00 12 25 00 64 80 00 04 01 00 90 00", &name),
			 STC_CARD_CPS4);
	ck_assert_int_eq(identify("3B 9B 18 80 01 00 12 25 00 64 80 04 01 00 00 90 44", NULL),
			 STC_CARD_CPS4);
	ck_assert_int_eq(identify("3B 8F 80 01 00 31 B8 64 04 B0 EC C1 73 94 01 80 82 90 00 0E", NULL),
			 STC_CARD_CPS3_CL);
	ck_assert_int_eq(identify("3B 8F 80 01 00 31 B8 64 00 00 EC C0 73 94 01 80 82 90 00 0E", NULL),
			 STC_CARD_CPS3_CL);
	ck_assert_int_eq(identify("3B 75 13 00 00 49 09 EA 90 00", &name), STC_CARD_VITALE2);
	ck_assert_str_eq(name, "carte Vitale 2");
	ck_assert_int_eq(identify("3B 75 13 00 00 43 09 EA 90 00", NULL), STC_CARD_VITALE2);
	ck_assert_int_eq(identify("3B 75 13 00 00 45 09 FA 90 00", NULL), STC_CARD_VITALE2);
	ck_assert_int_eq(identify("3F 65 25 00 22 09 F9 90 00", NULL), STC_CARD_VITALE1);
	ck_assert_int_eq(identify("3F 65 25 00 A4 09 6A 90 00", NULL), STC_CARD_VITALE1);
	ck_assert_int_eq(identify("3B 09 80 57 53 54 43 54 45 53 54", NULL), STC_CARD_SIM_TEST);
	ck_assert_str_eq(stc_card_kind_id(STC_CARD_VITALE2), "vitale2");
	ck_assert_str_eq(stc_card_kind_id((stc_card_kind)99), "unknown");
}
END_TEST

START_TEST(identify_unknown)
{
	const char *name;

	/* vsmartcard's iso7816 card, a Vitale 2 with a byte changed, a truncated CPS3 */
	ck_assert_int_eq(identify("3B 95 13 81 01 80 73 FF 01 00 0B", &name), STC_CARD_UNKNOWN);
	ck_assert_str_eq(name, "unknown card");
	ck_assert_int_eq(identify("3B 75 13 00 00 49 09 EB 90 00", NULL), STC_CARD_UNKNOWN);
	ck_assert_int_eq(identify("3B AC 00 40 2A 00 12 25 00 64 80 00 03 10 00 90", NULL),
			 STC_CARD_UNKNOWN);
	ck_assert_int_eq(stc_atr_identify(NULL, 3, &(stc_card_kind){ 0 }, NULL), STC_ERR_INVALID_ARGS);
}
END_TEST

static Suite *atr_suite(void)
{
	Suite *s = suite_create("atr");
	TCase *real = tcase_create("real");
	TCase *hostile = tcase_create("hostile");
	TCase *fields = tcase_create("fields");

	tcase_add_loop_test(real, test_known_atrs, 0, N_KNOWN);
	tcase_add_test(real, test_cps3_interface_bytes);
	tcase_add_test(real, test_cps4_interface_bytes);
	tcase_add_loop_test(hostile, test_truncated_everywhere, 0, N_KNOWN);
	tcase_add_test(hostile, test_partial_fill);
	tcase_add_test(hostile, test_bad_ts);
	tcase_add_test(hostile, test_bad_tck);
	tcase_add_test(hostile, test_trailing_bytes);
	tcase_add_test(hostile, test_too_long);
	tcase_add_test(hostile, test_too_many_historical_bytes);
	tcase_add_test(hostile, test_td_chain_levels);
	tcase_add_test(hostile, test_truncated_at_each_interface_byte);
	tcase_add_test(hostile, test_args);
	tcase_add_test(fields, test_ta1_tables);
	tcase_add_test(fields, test_specific_mode_and_t15);
	tcase_add_test(fields, test_describe_too_small);
	suite_add_tcase(s, real);
	suite_add_tcase(s, hostile);
	suite_add_tcase(s, fields);
	{
		TCase *ident = tcase_create("identify");

		tcase_add_test(ident, identify_known);
		tcase_add_test(ident, identify_unknown);
		suite_add_tcase(s, ident);
	}
	return s;
}

int main(void)
{
	return run_suite(atr_suite());
}
