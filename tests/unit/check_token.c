/*
 * check_token.c - the token layer against canned cards: a transport that
 * checks every command against a script and answers with the scripted bytes
 * (the model of OpenSC's fuzzer_reader). Recognition (ATR, probing, the
 * unknown-card memory) and the Vitale read sequence and its error paths.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "santecard.h"
#include "check_util.h"
#include "canned.h"

static stc_card *canned_card(struct canned *c, const char *atr_hex, const char *reader)
{
	uint8_t atr[STC_ATR_MAX];
	stc_transport t = { .transmit = canned_xmit, .io = c, .atr = atr,
			    .atr_len = hex(atr_hex, atr, sizeof(atr)), .protocol = STC_PROTO_T0,
			    .name = reader };
	stc_card *card;

	ck_assert_int_eq(stc_card_from_transport(&t, &card), STC_OK);
	return card;
}

#define SCRIPT(...) { (const struct step[]){ __VA_ARGS__ }, \
	sizeof((const struct step[]){ __VA_ARGS__ }) / sizeof(struct step), 0 }

#define SEL_CPS "00 A4 04 0C 0D E8 28 BD 08 0F 80 25 00 00 01 FF 00 10"
#define SEL_CPS_CL "00 A4 04 0C 0D E8 28 BD 08 0F 80 25 00 00 01 FF 00 20"
#define SEL_MF_VITALE "00 A4 04 0C 0E D2 50 00 00 02 4D 46 5F 56 49 54 41 4C 45"
#define SEL_VITALE_0C "00 A4 04 0C 0B D2 50 00 00 02 56 49 54 41 4C 45"
#define VITALE2_ATR "3B 75 13 00 00 49 09 EA 90 00"

START_TEST(known_atr_needs_no_apdu)
{
	struct canned c = { NULL, 0, 0 };
	stc_card *card = canned_card(&c, VITALE2_ATR, "r0");
	stc_token *tok;

	ck_assert_int_eq(stc_token_open(card, &tok), STC_OK);
	ck_assert_int_eq(stc_token_kind(tok), STC_CARD_VITALE2);
	ck_assert_str_eq(stc_token_description(tok), "carte Vitale 2");
	ck_assert_ptr_eq(stc_token_card(tok), card);
	ck_assert_uint_eq(c.next, 0);
	stc_token_close(tok);
	stc_disconnect(card, 0);
}
END_TEST

START_TEST(probe_finds_a_cps)
{
	struct canned c = SCRIPT({ SEL_CPS, "90 00", STC_OK });
	stc_card *card = canned_card(&c, "3B 02 14 50", "r-cps");
	stc_token *tok;

	ck_assert_int_eq(stc_token_open(card, &tok), STC_OK);
	ck_assert_int_eq(stc_token_kind(tok), STC_CARD_CPS3);
	ck_assert_str_eq(stc_token_description(tok), "CPS (found by its application)");
	ck_assert_uint_eq(c.next, c.n);
	stc_token_close(tok);
	stc_disconnect(card, 0);
}
END_TEST

START_TEST(probe_finds_a_vitale)
{
	struct canned c = SCRIPT({ SEL_CPS, "6A 82", STC_OK }, { SEL_CPS_CL, "6A 82", STC_OK },
				 { SEL_MF_VITALE, "6D 00", STC_OK }, { SEL_VITALE_0C, "90 00", STC_OK });
	stc_card *card = canned_card(&c, "3B 02 14 51", "r-vitale");
	stc_token *tok;

	ck_assert_int_eq(stc_token_open(card, &tok), STC_OK);
	ck_assert_int_eq(stc_token_kind(tok), STC_CARD_VITALE2);
	ck_assert_uint_eq(c.next, c.n);
	stc_token_close(tok);
	stc_disconnect(card, 0);
}
END_TEST

START_TEST(unknown_card_is_probed_once)
{
	struct canned c = SCRIPT({ SEL_CPS, "6A 82", STC_OK }, { SEL_CPS_CL, "6A 82", STC_OK },
				 { SEL_MF_VITALE, "6A 82", STC_OK }, { SEL_VITALE_0C, "6E 00", STC_OK });
	stc_card *card = canned_card(&c, "3B 02 14 52", "r-unknown");
	stc_token *tok = NULL;

	ck_assert_int_eq(stc_token_open(card, &tok), STC_ERR_CARD_UNSUPPORTED);
	ck_assert_ptr_null(tok);
	ck_assert_uint_eq(c.next, 4);
	/* applications poll: the same card in the same reader gets no more APDUs */
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(stc_token_open(card, &tok), STC_ERR_CARD_UNSUPPORTED);
	ck_assert_uint_eq(c.next, 4);
	stc_disconnect(card, 0);
}
END_TEST

START_TEST(probe_stops_when_the_card_is_pulled)
{
	struct canned c = SCRIPT({ SEL_CPS, NULL, STC_ERR_CARD_REMOVED });
	stc_card *card = canned_card(&c, "3B 02 14 53", "r-pulled");
	stc_token *tok = NULL;

	ck_assert_int_eq(stc_token_open(card, &tok), STC_ERR_CARD_REMOVED);
	ck_assert_uint_eq(c.next, 1);
	stc_disconnect(card, 0);
}
END_TEST

/* 65 {80 MARTIN, 81 LÉA (Latin-1), 82 20100315} and 65 {93 210037512345677} */
#define IDENT "65 17 80 06 4D 41 52 54 49 4E 81 03 4C C9 41 82 08 32 30 31 30 30 33 31 35"
#define NIRS "65 11 93 0F 32 31 30 30 33 37 35 31 32 33 34 35 36 37 37"

START_TEST(vitale_read_sequence)
{
	struct canned c = SCRIPT(
		{ "00 A4 00 00 02 3F 00", "61 04", STC_OK },
		{ "00 C0 00 00 04", "6F 02 83 00 90 00", STC_OK },
		{ "00 B0 82 00 00", "6C 19", STC_OK },
		{ "00 B0 82 00 19", IDENT " 90 00", STC_OK },
		{ "00 A4 04 00 0B D2 50 00 00 02 56 49 54 41 4C 45", "90 00", STC_OK },
		{ "00 B0 82 00 00", "6C 13", STC_OK },
		{ "00 B0 82 00 13", NIRS " 90 00", STC_OK });
	stc_card *card = canned_card(&c, VITALE2_ATR, "r-v");
	stc_beneficiary b[4];
	stc_token *tok;
	size_t n;

	ck_assert_int_eq(stc_token_open(card, &tok), STC_OK);
	ck_assert_int_eq(stc_token_vitale_read(tok, b, 4, &n), STC_OK);
	ck_assert_uint_eq(c.next, c.n);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(b[0].surname, "MARTIN");
	ck_assert_str_eq(b[0].given, "L\xC3\x89" "A");
	ck_assert_str_eq(b[0].birth, "20100315");
	ck_assert_str_eq(b[0].nir, "210037512345677");
	ck_assert_int_eq(b[0].nir_valid, 1);
	stc_token_close(tok);
	stc_disconnect(card, 0);
}
END_TEST

START_TEST(vitale_read_errors)
{
	/* the NIR file is missing: the card's 6A82 comes back as NOT_FOUND */
	struct canned c = SCRIPT(
		{ "00 A4 00 00 02 3F 00", "90 00", STC_OK },
		{ "00 B0 82 00 00", IDENT " 90 00", STC_OK },
		{ "00 A4 04 00 0B D2 50 00 00 02 56 49 54 41 4C 45", "6A 82", STC_OK });
	struct canned pulled = SCRIPT(
		{ "00 A4 00 00 02 3F 00", "90 00", STC_OK },
		{ "00 B0 82 00 00", NULL, STC_ERR_CARD_REMOVED });
	struct canned corrupt = SCRIPT(
		{ "00 A4 00 00 02 3F 00", "90 00", STC_OK },
		{ "00 B0 82 00 00", "65 17 80 06 4D 41 90 00", STC_OK },
		{ "00 A4 04 00 0B D2 50 00 00 02 56 49 54 41 4C 45", "90 00", STC_OK },
		{ "00 B0 82 00 00", NIRS " 90 00", STC_OK });
	stc_beneficiary b[4];
	stc_card *card;
	stc_token *tok;
	size_t n = 99;

	card = canned_card(&c, VITALE2_ATR, "r-v1");
	ck_assert_int_eq(stc_token_open(card, &tok), STC_OK);
	ck_assert_int_eq(stc_token_vitale_read(tok, b, 4, &n), STC_ERR_NOT_FOUND);
	ck_assert_uint_eq(n, 0);
	stc_token_close(tok);
	stc_disconnect(card, 0);

	card = canned_card(&pulled, VITALE2_ATR, "r-v2");
	ck_assert_int_eq(stc_token_open(card, &tok), STC_OK);
	ck_assert_int_eq(stc_token_vitale_read(tok, b, 4, &n), STC_ERR_CARD_REMOVED);
	stc_token_close(tok);
	stc_disconnect(card, 0);

	card = canned_card(&corrupt, VITALE2_ATR, "r-v3");
	ck_assert_int_eq(stc_token_open(card, &tok), STC_OK);
	ck_assert_int_eq(stc_token_vitale_read(tok, b, 4, &n), STC_ERR_INVALID_DATA);
	stc_token_close(tok);
	stc_disconnect(card, 0);
}
END_TEST

START_TEST(vitale_read_on_a_cps)
{
	struct canned c = { NULL, 0, 0 };
	stc_card *card = canned_card(&c, "3B AC 00 40 2A 00 12 25 00 64 80 00 03 10 00 90 00", "r-c");
	stc_beneficiary b[1];
	stc_token *tok;
	size_t n;

	ck_assert_int_eq(stc_token_open(card, &tok), STC_OK);
	ck_assert_int_eq(stc_token_kind(tok), STC_CARD_CPS3);
	ck_assert_int_eq(stc_token_vitale_read(tok, b, 1, &n), STC_ERR_NOT_SUPPORTED);
	ck_assert_uint_eq(c.next, 0);
	stc_token_close(tok);
	stc_disconnect(card, 0);
}
END_TEST

START_TEST(transport_card_contract)
{
	stc_transport t = { 0 };
	stc_card *card;

	ck_assert_int_eq(stc_card_from_transport(&t, &card), STC_ERR_INVALID_ARGS);
	t.transmit = canned_xmit;
	t.protocol = 7;
	ck_assert_int_eq(stc_card_from_transport(&t, &card), STC_ERR_INVALID_ARGS);
	t.protocol = STC_PROTO_T1;
	ck_assert_int_eq(stc_card_from_transport(&t, &card), STC_OK);
	ck_assert_uint_eq(stc_card_protocol(card), STC_PROTO_T1);
	ck_assert_str_eq(stc_card_reader(card), "custom transport");
	ck_assert_int_eq(stc_reconnect(card, 0), STC_ERR_NOT_SUPPORTED);
	ck_assert_int_eq(stc_begin(card), STC_OK);
	ck_assert_int_eq(stc_end(card), STC_OK);
	stc_disconnect(card, 0);
}
END_TEST

static Suite *token_suite(void)
{
	Suite *s = suite_create("token");
	TCase *tc = tcase_create("canned");

	tcase_add_test(tc, known_atr_needs_no_apdu);
	tcase_add_test(tc, probe_finds_a_cps);
	tcase_add_test(tc, probe_finds_a_vitale);
	tcase_add_test(tc, unknown_card_is_probed_once);
	tcase_add_test(tc, probe_stops_when_the_card_is_pulled);
	tcase_add_test(tc, vitale_read_sequence);
	tcase_add_test(tc, vitale_read_errors);
	tcase_add_test(tc, vitale_read_on_a_cps);
	tcase_add_test(tc, transport_card_contract);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(token_suite());
}
