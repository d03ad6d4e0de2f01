/*
 * check_cps_driver.c - the CPS driver (objects, PINs) against a canned CPS3:
 * the transport checks every command against a script and answers with bytes
 * captured from the simulated CPS3 (`santecard apdu --raw`), as check_token.c
 * does. The APDU sequences and counts, the 0xE7 chunking, the PIN status
 * words, a card pulled at each step and malformed answers.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "santecard.h"
#include "check_util.h"
#include "canned.h"

#define CPS3_ATR "3B AC 00 40 2A 00 12 25 00 64 80 00 03 10 00 90 00"

static stc_card *canned_card(struct canned *c)
{
	uint8_t atr[STC_ATR_MAX];
	stc_transport t = { .transmit = canned_xmit, .io = c, .atr = atr,
			    .atr_len = hex(CPS3_ATR, atr, sizeof(atr)), .protocol = STC_PROTO_T0,
			    .name = "r-cps" };
	stc_card *card;

	ck_assert_int_eq(stc_card_from_transport(&t, &card), STC_OK);
	return card;
}

static stc_token *open_token(struct canned *c, stc_card **card)
{
	stc_token *tok;

	*card = canned_card(c);
	ck_assert_int_eq(stc_token_open(*card, &tok), STC_OK);
	ck_assert_int_eq(stc_token_kind(tok), STC_CARD_CPS3);
	ck_assert_uint_eq(c->next, 0);   /* opening sends nothing */
	return tok;
}

/* ---------------------------------------------- the simulator's answers */

#define SEL_CPS "00 A4 04 0C 0D E8 28 BD 08 0F 80 25 00 00 01 FF 00 10"
#define SEL_ODF "00 A4 02 0C 02 50 31"
#define SEL_TI "00 A4 02 0C 02 50 32"
#define SEL(fid) "00 A4 09 0C 06 3F 00 00 01 " fid
#define SEL_MF "00 A4 09 0C 02 3F 00"
#define READ0 "00 B0 00 00 E7"
#define OK "90 00"

#define ODF "A0 0A 30 08 04 06 3F 00 00 01 50 01 A4 0A 30 08 04 06 3F 00 00 01 50 02 " \
	"A7 0A 30 08 04 06 3F 00 00 01 50 04 A8 0A 30 08 04 06 3F 00 00 01 50 03 62 82"
#define TOKENINFO "30 81 D9 02 01 00 04 08 00 00 01 99 21 00 01 01 0C 0A 41 53 49 50 20 53 41 " \
	"4E 54 45 80 11 43 50 53 33 76 33 2D 39 39 32 31 30 30 30 31 30 31 03 02 06 C0 A2 81 A6 " \
	"30 17 02 01 01 02 02 02 20 05 00 03 02 01 02 06 05 2B 0E 03 02 1A 02 01 10 30 1B 02 01 " \
	"02 02 02 02 50 05 00 03 02 01 02 06 09 60 86 48 01 65 03 04 02 01 02 01 40 30 1A 02 01 " \
	"03 02 01 06 05 00 03 02 06 40 06 09 2A 86 48 86 F7 0D 01 01 05 02 01 12 30 1A 02 01 04 " \
	"02 01 40 05 00 03 02 06 40 06 09 2A 86 48 86 F7 0D 01 01 0B 02 01 42 30 1A 02 01 05 02 " \
	"01 01 05 00 03 02 06 40 06 09 2A 86 48 86 F7 0D 01 01 01 02 01 02 30 1A 02 01 06 02 01 " \
	"01 05 00 03 02 02 04 06 09 2A 86 48 86 F7 0D 01 01 01 02 01 1A 62 82"
#define PRKDF "30 54 30 15 0C 0C 43 50 53 5F 50 52 49 56 5F 53 49 47 03 02 07 80 04 01 01 30 " \
	"20 04 0E E8 28 BD 08 0F 80 25 00 00 01 FF 00 10 01 03 03 06 00 40 01 01 FF 03 02 04 B0 " \
	"02 02 00 81 A1 19 30 17 30 11 04 00 4F 0D E8 28 BD 08 0F 80 25 00 00 01 FF 00 10 02 02 " \
	"08 00 30 53 30 15 0C 0C 43 50 53 5F 50 52 49 56 5F 41 55 54 03 02 06 C0 04 01 01 30 1F " \
	"04 0E E8 28 BD 08 0F 80 25 00 00 01 FF 00 10 02 03 02 05 60 01 01 FF 03 02 04 B0 02 02 " \
	"00 82 A1 19 30 17 30 11 04 00 4F 0D E8 28 BD 08 0F 80 25 00 00 01 FF 00 10 02 02 08 00 62 82"
#define CDF "30 45 30 23 0C 21 43 65 72 74 69 66 69 63 61 74 20 64 27 41 75 74 68 65 6E 74 69 " \
	"66 69 63 61 74 69 6F 6E 20 43 50 53 30 10 04 0E E8 28 BD 08 0F 80 25 00 00 01 FF 00 10 " \
	"02 A1 0C 30 0A 30 08 04 06 3F 00 00 01 C1 01 30 3F 30 1D 0C 1B 43 65 72 74 69 66 69 63 " \
	"61 74 20 64 65 20 53 69 67 6E 61 74 75 72 65 20 43 50 53 30 10 04 0E E8 28 BD 08 0F 80 " \
	"25 00 00 01 FF 00 10 01 A1 0C 30 0A 30 08 04 06 3F 00 00 01 C1 02 62 82"
#define DODF "30 22 30 0D 0C 0B 43 50 53 5F 49 44 5F 43 41 52 44 30 05 0C 03 43 50 53 A1 0A " \
	"30 08 04 06 3F 00 00 01 D1 01 30 22 30 0D 0C 0B 43 50 53 5F 4E 41 4D 45 5F 50 53 30 05 " \
	"0C 03 43 50 53 A1 0A 30 08 04 06 3F 00 00 01 D1 02 30 22 30 0D 0C 0B 43 50 53 5F 49 4E " \
	"46 4F 5F 50 53 30 05 0C 03 43 50 53 A1 0A 30 08 04 06 3F 00 00 01 D1 03 30 1F 30 0A 0C " \
	"08 43 50 53 5F 44 41 54 41 30 05 0C 03 43 50 53 A1 0A 30 08 04 06 3F 00 00 01 D1 07 30 " \
	"30 30 1B 0C 12 43 50 53 5F 41 43 54 49 56 49 54 59 5F 30 31 5F 50 53 03 02 07 80 04 01 " \
	"01 30 05 0C 03 43 50 53 A1 0A 30 08 04 06 3F 00 00 01 D1 20 62 82"
#define AODF "30 2F 30 11 0C 0C 43 6F 64 65 20 70 6F 72 74 65 75 72 04 01 02 30 03 04 01 01 " \
	"A1 15 30 13 03 02 03 08 0A 01 01 02 01 04 02 01 08 02 01 08 80 01 01 30 31 30 13 0C 11 " \
	"43 6F 64 65 20 64 65 20 64 65 62 6C 6F 63 61 67 65 30 03 04 01 02 A1 15 30 13 03 02 01 " \
	"0A 0A 01 01 02 01 04 02 01 08 02 01 08 80 01 02 62 82"

/* The object listing: 11 APDUs (the AODF waits for a PIN operation). */
#define LISTING \
	{ SEL_CPS, OK, STC_OK }, { SEL_ODF, OK, STC_OK }, { READ0, ODF, STC_OK }, \
	{ SEL_TI, OK, STC_OK }, { READ0, TOKENINFO, STC_OK }, \
	{ SEL("50 01"), OK, STC_OK }, { READ0, PRKDF, STC_OK }, \
	{ SEL("50 02"), OK, STC_OK }, { READ0, CDF, STC_OK }, \
	{ SEL("50 04"), OK, STC_OK }, { READ0, DODF, STC_OK }
#define LISTING_N 11
#define AODF_READ { SEL("50 03"), OK, STC_OK }, { READ0, AODF, STC_OK }

#define VERIFY_EMPTY "00 20 00 01 00"
#define GET_DOCP1 "00 CB 3F FF 0A 4D 08 70 06 BF 81 01 02 A0 80"
#define DOCP1(left) "70 16 BF 81 01 12 A0 10 9A 01 03 9B 01 " left \
	" A1 08 8C 06 F3 00 00 13 FF 00 90 00"

#define SCRIPT(...) { (const struct step[]){ __VA_ARGS__ }, \
	sizeof((const struct step[]){ __VA_ARGS__ }) / sizeof(struct step), 0 }

/* ----------------------------------------------------------- objects */

START_TEST(listing_sequence_and_cache)
{
	struct canned c = SCRIPT(LISTING);
	stc_card *card;
	stc_token *tok = open_token(&c, &card);
	const stc_object *o, *o2;
	size_t n, n2;
	static const uint8_t id_aut[] = { 0xE8, 0x28, 0xBD, 0x08, 0x0F, 0x80, 0x25, 0x00, 0x00,
					  0x01, 0xFF, 0x00, 0x10, 0x02 };

	ck_assert_int_eq(stc_token_objects(tok, &o, &n), STC_OK);
	ck_assert_uint_eq(c.next, LISTING_N);
	ck_assert_uint_eq(n, 9);
	ck_assert_str_eq(o[0].label, "CPS_PRIV_SIG");
	ck_assert_int_eq(o[0].cls, STC_OBJ_PRIVATE_KEY);
	ck_assert_uint_eq(o[0].usage, STC_USAGE_NONREPUDIATION);
	ck_assert_uint_eq(o[0].key_bits, 2048);
	ck_assert_int_eq(o[0].needs_pin, 1);
	ck_assert_str_eq(o[1].label, "CPS_PRIV_AUT");
	ck_assert_uint_eq(o[1].usage, STC_USAGE_SIGN | STC_USAGE_DECRYPT);
	ck_assert_uint_eq(o[1].id_len, sizeof(id_aut));
	ck_assert_mem_eq(o[1].id, id_aut, sizeof(id_aut));
	ck_assert_str_eq(o[2].label, "Certificat d'Authentification CPS");
	ck_assert_int_eq(o[2].cls, STC_OBJ_CERTIFICATE);
	ck_assert_int_eq(o[2].needs_pin, 0);
	ck_assert_mem_eq(o[2].id, id_aut, sizeof(id_aut));
	ck_assert_str_eq(o[3].label, "Certificat de Signature CPS");
	ck_assert_str_eq(o[4].label, "CPS_ID_CARD");
	ck_assert_int_eq(o[4].cls, STC_OBJ_DATA);
	ck_assert_str_eq(o[4].application, "CPS");
	ck_assert_int_eq(o[4].needs_pin, 0);
	ck_assert_str_eq(o[8].label, "CPS_ACTIVITY_01_PS");
	ck_assert_int_eq(o[8].needs_pin, 1);
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_eq(o[i].handle, i + 1);
	/* the second call sends nothing */
	ck_assert_int_eq(stc_token_objects(tok, &o2, &n2), STC_OK);
	ck_assert_uint_eq(c.next, LISTING_N);
	ck_assert_ptr_eq(o2, o);
	ck_assert_uint_eq(n2, n);
	stc_token_close(tok);
	stc_disconnect(card, 0);
}
END_TEST

/* A card pulled at APDU i of the listing: CARD_REMOVED, and nothing kept. */
START_TEST(listing_card_pulled)
{
	static const struct step full[] = { LISTING };
	struct step s[LISTING_N];
	int i = _i;
	struct canned c = { s, (size_t)i + 1, 0 };
	stc_card *card;
	stc_token *tok;
	const stc_object *o;
	size_t n = 5;

	memcpy(s, full, sizeof(s));
	s[i].resp = NULL;
	s[i].rv = STC_ERR_CARD_REMOVED;
	tok = open_token(&c, &card);
	ck_assert_int_eq(stc_token_objects(tok, &o, &n), STC_ERR_CARD_REMOVED);
	ck_assert_uint_eq(c.next, (size_t)i + 1);
	ck_assert_uint_eq(n, 0);
	/* the card came back: the listing starts over */
	c.steps = full;
	c.n = LISTING_N;
	c.next = 0;
	ck_assert_int_eq(stc_token_objects(tok, &o, &n), STC_OK);
	ck_assert_uint_eq(n, 9);
	stc_token_close(tok);
	stc_disconnect(card, 0);
}
END_TEST

START_TEST(malformed_odf)
{
	struct canned c = SCRIPT({ SEL_CPS, OK, STC_OK }, { SEL_ODF, OK, STC_OK },
				 { READ0, "A0 0A 30 08 04 09 3F 00 00 01 50 01 62 82", STC_OK });
	stc_card *card;
	stc_token *tok = open_token(&c, &card);
	const stc_object *o;
	size_t n;

	ck_assert_int_eq(stc_token_objects(tok, &o, &n), STC_ERR_INVALID_DATA);
	ck_assert_uint_eq(c.next, c.n);
	stc_token_close(tok);
	stc_disconnect(card, 0);
}
END_TEST

/* A 500-byte certificate: chunks of 0xE7, the last one ended by 62 82. */
static char cert_chunk[3][1024];

static const char *chunk(int k, size_t n, const char *sw)
{
	char *p = cert_chunk[k];

	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%02X ", (unsigned)((k * 0xE7 + i) & 0xFF));
	strcpy(p, sw);
	return cert_chunk[k];
}

START_TEST(read_certificate_in_chunks)
{
	struct step s[LISTING_N + 4] = { LISTING };
	struct canned c = { s, LISTING_N + 4, 0 };
	stc_card *card;
	stc_token *tok = open_token(&c, &card);
	const stc_object *o;
	size_t n, len;
	uint8_t *data;

	s[LISTING_N] = (struct step){ SEL("C1 01"), OK, STC_OK };
	s[LISTING_N + 1] = (struct step){ READ0, chunk(0, 0xE7, "90 00"), STC_OK };
	s[LISTING_N + 2] = (struct step){ "00 B0 00 E7 E7", chunk(1, 0xE7, "90 00"), STC_OK };
	s[LISTING_N + 3] = (struct step){ "00 B0 01 CE E7", chunk(2, 500 - 2 * 0xE7, "62 82"),
					  STC_OK };
	ck_assert_int_eq(stc_token_objects(tok, &o, &n), STC_OK);
	ck_assert_int_eq(stc_token_read_object(tok, o[2].handle, &data, &len), STC_OK);
	ck_assert_uint_eq(c.next, c.n);
	ck_assert_uint_eq(len, 500);
	for (size_t i = 0; i < len; i++)
		ck_assert_uint_eq(data[i], i & 0xFF);
	stc_free(data, len);
	/* a key is not readable; an unknown handle neither; nothing sent */
	ck_assert_int_eq(stc_token_read_object(tok, o[0].handle, &data, &len), STC_ERR_INVALID_ARGS);
	ck_assert_int_eq(stc_token_read_object(tok, 99, &data, &len), STC_ERR_INVALID_ARGS);
	ck_assert_uint_eq(c.next, c.n);
	stc_token_close(tok);
	stc_disconnect(card, 0);
}
END_TEST

START_TEST(private_data_needs_the_pin)
{
	struct canned c = SCRIPT(LISTING, { SEL("D1 20"), OK, STC_OK }, { READ0, "69 82", STC_OK });
	stc_card *card;
	stc_token *tok = open_token(&c, &card);
	const stc_object *o;
	size_t n, len;
	uint8_t *data;

	ck_assert_int_eq(stc_token_objects(tok, &o, &n), STC_OK);
	ck_assert_int_eq(stc_token_read_object(tok, o[8].handle, &data, &len),
			 STC_ERR_SECURITY_STATUS);
	ck_assert_ptr_null(data);
	ck_assert_uint_eq(c.next, c.n);
	stc_token_close(tok);
	stc_disconnect(card, 0);
}
END_TEST

/* -------------------------------------------------------------- PINs */

START_TEST(pin_info)
{
	struct canned c = SCRIPT(LISTING, AODF_READ, { VERIFY_EMPTY, "63 C3", STC_OK },
				 { SEL_MF, OK, STC_OK }, { GET_DOCP1, "61 18", STC_OK },
				 { "00 C0 00 00 18", DOCP1("03"), STC_OK },
				 /* PUK */
				 { "00 20 00 02 00", "63 CA", STC_OK }, { SEL_MF, OK, STC_OK },
				 { "00 CB 3F FF 0A 4D 08 70 06 BF 81 02 02 A0 80", "61 1C", STC_OK },
				 { "00 C0 00 00 1C", "70 1A BF 81 02 16 A0 14 9A 01 0A 9B 01 0A 9D 02 00 "
				   "64 A1 08 8C 06 F3 FF 00 FF FF 00 90 00", STC_OK });
	stc_card *card;
	stc_token *tok = open_token(&c, &card);
	stc_pin_info pi;

	ck_assert_int_eq(stc_token_pin_info(tok, STC_PIN_USER, &pi), STC_OK);
	ck_assert_uint_eq(c.next, LISTING_N + 2 + 4);
	ck_assert_int_eq(pi.tries_left, 3);
	ck_assert_int_eq(pi.max_tries, 3);
	ck_assert_int_eq(pi.uses_left, -1);
	ck_assert_int_eq(pi.verified, 0);
	ck_assert_int_eq(pi.blocked, 0);
	ck_assert_uint_eq(pi.min_len, 4);
	ck_assert_uint_eq(pi.max_len, 8);
	ck_assert_int_eq(stc_token_pin_info(tok, STC_PIN_PUK, &pi), STC_OK);
	ck_assert_int_eq(pi.tries_left, 10);
	ck_assert_int_eq(pi.max_tries, 10);
	ck_assert_int_eq(pi.uses_left, 100);
	ck_assert_uint_eq(c.next, c.n);
	stc_token_close(tok);
	stc_disconnect(card, 0);
}
END_TEST

START_TEST(pin_info_blocked_and_verified)
{
	struct canned c = SCRIPT(LISTING, AODF_READ, { VERIFY_EMPTY, "69 83", STC_OK },
				 { SEL_MF, OK, STC_OK }, { GET_DOCP1, "61 18", STC_OK },
				 { "00 C0 00 00 18", DOCP1("00"), STC_OK },
				 { VERIFY_EMPTY, "90 00", STC_OK },
				 { SEL_MF, OK, STC_OK }, { GET_DOCP1, "61 18", STC_OK },
				 { "00 C0 00 00 18", DOCP1("03"), STC_OK });
	stc_card *card;
	stc_token *tok = open_token(&c, &card);
	stc_pin_info pi;

	ck_assert_int_eq(stc_token_pin_info(tok, STC_PIN_USER, &pi), STC_OK);
	ck_assert_int_eq(pi.blocked, 1);
	ck_assert_int_eq(pi.tries_left, 0);
	ck_assert_int_eq(stc_token_pin_info(tok, STC_PIN_USER, &pi), STC_OK);
	ck_assert_int_eq(pi.blocked, 0);
	ck_assert_int_eq(pi.verified, 1);
	ck_assert_uint_eq(c.next, c.n);
	stc_token_close(tok);
	stc_disconnect(card, 0);
}
END_TEST

START_TEST(malformed_docp)
{
	struct canned c = SCRIPT(LISTING, AODF_READ, { VERIFY_EMPTY, "63 C3", STC_OK },
				 { SEL_MF, OK, STC_OK }, { GET_DOCP1, "61 06", STC_OK },
				 { "00 C0 00 00 06", "70 16 BF 81 01 12 90 00", STC_OK });
	stc_card *card;
	stc_token *tok = open_token(&c, &card);
	stc_pin_info pi;

	ck_assert_int_eq(stc_token_pin_info(tok, STC_PIN_USER, &pi), STC_ERR_INVALID_DATA);
	ck_assert_uint_eq(c.next, c.n);
	stc_token_close(tok);
	stc_disconnect(card, 0);
}
END_TEST

START_TEST(verify_ok_wrong_blocked)
{
	struct canned c = SCRIPT(LISTING, AODF_READ,
				 { "00 20 00 01 04 31 32 33 35", "63 C2", STC_OK },
				 { "00 20 00 01 04 31 32 33 34", "90 00", STC_OK },
				 { "00 20 00 01 08 31 32 33 34 35 36 37 38", "69 83", STC_OK });
	stc_card *card;
	stc_token *tok = open_token(&c, &card);
	int tries = 7;

	ck_assert_int_eq(stc_token_pin_verify(tok, "1235", 4, &tries), STC_ERR_PIN_INCORRECT);
	ck_assert_int_eq(tries, 2);
	ck_assert_int_eq(stc_token_pin_verify(tok, "1234", 4, &tries), STC_OK);
	ck_assert_int_eq(stc_token_pin_verify(tok, "12345678", 8, &tries), STC_ERR_PIN_BLOCKED);
	ck_assert_int_eq(tries, 0);
	ck_assert_uint_eq(c.next, c.n);
	/* outside the AODF's 4..8, or not digits: refused without any APDU */
	ck_assert_int_eq(stc_token_pin_verify(tok, "123", 3, &tries), STC_ERR_INVALID_ARGS);
	ck_assert_int_eq(stc_token_pin_verify(tok, "123456789", 9, &tries), STC_ERR_INVALID_ARGS);
	ck_assert_int_eq(stc_token_pin_verify(tok, "12a4", 4, &tries), STC_ERR_INVALID_ARGS);
	ck_assert_int_eq(stc_token_pin_change(tok, "1234", 4, "12", 2, &tries), STC_ERR_INVALID_ARGS);
	ck_assert_uint_eq(c.next, c.n);
	stc_token_close(tok);
	stc_disconnect(card, 0);
}
END_TEST

START_TEST(change_and_unblock)
{
	struct canned c = SCRIPT(LISTING, AODF_READ,
				 { "00 24 00 01 08 31 32 33 34 35 36 37 38", "90 00", STC_OK },
				 { "00 2C 00 01 0C 31 32 33 34 35 36 37 38 31 32 33 34", "90 00", STC_OK },
				 { "00 2C 00 01 0C 31 31 31 31 31 31 31 31 31 32 33 34", "63 C9", STC_OK });
	stc_card *card;
	stc_token *tok = open_token(&c, &card);
	int tries = 7;

	ck_assert_int_eq(stc_token_pin_change(tok, "1234", 4, "5678", 4, &tries), STC_OK);
	ck_assert_int_eq(stc_token_pin_unblock(tok, "12345678", 8, "1234", 4, &tries), STC_OK);
	ck_assert_int_eq(stc_token_pin_unblock(tok, "11111111", 8, "1234", 4, &tries),
			 STC_ERR_PIN_INCORRECT);
	ck_assert_int_eq(tries, 9);
	ck_assert_uint_eq(c.next, c.n);
	stc_token_close(tok);
	stc_disconnect(card, 0);
}
END_TEST

START_TEST(card_pulled_during_verify)
{
	struct canned c = SCRIPT(LISTING, AODF_READ,
				 { "00 20 00 01 04 31 32 33 34", NULL, STC_ERR_CARD_REMOVED });
	stc_card *card;
	stc_token *tok = open_token(&c, &card);
	int tries = 7;

	ck_assert_int_eq(stc_token_pin_verify(tok, "1234", 4, &tries), STC_ERR_CARD_REMOVED);
	ck_assert_uint_eq(c.next, c.n);
	stc_token_close(tok);
	stc_disconnect(card, 0);
}
END_TEST

START_TEST(contactless_has_no_pin)
{
	uint8_t atr[STC_ATR_MAX];
	struct canned c = { NULL, 0, 0 };
	stc_transport t = { .transmit = canned_xmit, .io = &c, .atr = atr,
			    .atr_len = hex("3B 8F 80 01 00 31 B8 64 04 B0 EC C1 73 94 01 80 82 90 00 0E",
					   atr, sizeof(atr)),
			    .protocol = STC_PROTO_T1, .name = "r-cl" };
	stc_card *card;
	stc_token *tok;
	stc_pin_info pi;
	int tries;

	ck_assert_int_eq(stc_card_from_transport(&t, &card), STC_OK);
	ck_assert_int_eq(stc_token_open(card, &tok), STC_OK);
	ck_assert_int_eq(stc_token_kind(tok), STC_CARD_CPS3_CL);
	ck_assert_int_eq(stc_token_pin_info(tok, STC_PIN_USER, &pi), STC_ERR_NOT_SUPPORTED);
	ck_assert_int_eq(stc_token_pin_verify(tok, "1234", 4, &tries), STC_ERR_NOT_SUPPORTED);
	ck_assert_uint_eq(c.next, 0);
	stc_token_close(tok);
	stc_disconnect(card, 0);
}
END_TEST


/* ---------------------------------------------------- the CPS2ter volet */

#define C2SEL(fid) "A0 A4 00 00 02 " fid
#define C2_9F "9F 09"
#define C2_NF "94 04"

/* 3F00, 4010..401F, then 3F00 7F01 4000: here only 4010, 4012 and SIT_FACT. */
#define C2_PROBE \
	{ C2SEL("3F 00"), C2_9F, STC_OK }, \
	{ C2SEL("40 10"), C2_9F, STC_OK }, { C2SEL("40 11"), C2_NF, STC_OK }, \
	{ C2SEL("40 12"), C2_9F, STC_OK }, { C2SEL("40 13"), C2_NF, STC_OK }, \
	{ C2SEL("40 14"), C2_NF, STC_OK }, { C2SEL("40 15"), C2_NF, STC_OK }, \
	{ C2SEL("40 16"), C2_NF, STC_OK }, { C2SEL("40 17"), C2_NF, STC_OK }, \
	{ C2SEL("40 18"), C2_NF, STC_OK }, { C2SEL("40 19"), C2_NF, STC_OK }, \
	{ C2SEL("40 1A"), C2_NF, STC_OK }, { C2SEL("40 1B"), C2_NF, STC_OK }, \
	{ C2SEL("40 1C"), C2_NF, STC_OK }, { C2SEL("40 1D"), C2_NF, STC_OK }, \
	{ C2SEL("40 1E"), C2_NF, STC_OK }, { C2SEL("40 1F"), C2_NF, STC_OK }, \
	{ C2SEL("3F 00"), C2_9F, STC_OK }, { C2SEL("7F 01"), C2_9F, STC_OK }, \
	{ C2SEL("40 00"), C2_9F, STC_OK }

START_TEST(cps2ter_list_and_read)
{
	struct canned c = SCRIPT(C2_PROBE,
		/* read 4012: MF, the file, its FCI (size 5), READ BINARY */
		{ C2SEL("3F 00"), C2_9F, STC_OK }, { C2SEL("40 12"), C2_9F, STC_OK },
		{ "A0 C0 00 00 09", "85 07 00 05 40 12 04 00 00 90 00", STC_OK },
		{ "A0 B0 00 00 05", "30 03 02 01 03 90 00", STC_OK },
		/* SIT_FACT before the PIN: 98 04 */
		{ C2SEL("3F 00"), C2_9F, STC_OK }, { C2SEL("7F 01"), C2_9F, STC_OK },
		{ C2SEL("40 00"), C2_9F, STC_OK },
		{ "A0 C0 00 00 09", "85 07 00 04 40 00 04 00 00 90 00", STC_OK },
		{ "A0 B0 00 00 04", "98 04", STC_OK });
	stc_card *card;
	stc_token *tok = open_token(&c, &card);
	const stc_object *o, *o2;
	size_t n, n2, len = 0;
	uint8_t *data = NULL;
	uint8_t want[] = { 0x30, 0x03, 0x02, 0x01, 0x03 };

	ck_assert_int_eq(stc_token_cps2ter_objects(tok, &o, &n), STC_OK);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(o[0].label, "CPS2TER_ACTIVITY_01_PS");
	ck_assert_str_eq(o[1].label, "CPS2TER_ACTIVITY_03_PS");
	ck_assert_str_eq(o[2].label, "CPS_SIT_FACT");
	ck_assert_str_eq(o[1].application, "CPS");
	ck_assert_int_eq(o[1].cls, STC_OBJ_DATA);
	ck_assert_int_eq(o[1].needs_pin, 1);
	/* a second listing sends nothing */
	ck_assert_int_eq(stc_token_cps2ter_objects(tok, &o2, &n2), STC_OK);
	ck_assert_ptr_eq(o, o2);
	ck_assert_uint_eq(c.next, 20);
	ck_assert_int_eq(stc_token_read_object(tok, o[1].handle, &data, &len), STC_OK);
	ck_assert_uint_eq(len, sizeof(want));
	ck_assert_mem_eq(data, want, len);
	stc_free(data, len);
	data = NULL;
	ck_assert_int_eq(stc_token_read_object(tok, o[2].handle, &data, &len),
			 STC_ERR_SECURITY_STATUS);
	ck_assert_ptr_null(data);
	/* a handle the listing did not give */
	ck_assert_int_eq(stc_token_read_object(tok, 0x1001, &data, &len), STC_ERR_INVALID_ARGS);
	ck_assert_uint_eq(c.next, c.n);
	stc_token_close(tok);
	stc_disconnect(card, 0);
}
END_TEST

START_TEST(cps2ter_absent_volet)
{
	struct canned c = SCRIPT({ C2SEL("3F 00"), "6E 00", STC_OK });
	stc_card *card;
	stc_token *tok = open_token(&c, &card);
	const stc_object *o;
	size_t n;

	ck_assert_int_eq(stc_token_cps2ter_objects(tok, &o, &n), STC_ERR_NOT_SUPPORTED);
	ck_assert_uint_eq(n, 0);
	ck_assert_uint_eq(c.next, c.n);
	stc_token_close(tok);
	stc_disconnect(card, 0);
}
END_TEST

/* Hostile answers while reading: an FCI that is not 85, and a short READ. */
START_TEST(cps2ter_bad_fci_and_short_read)
{
	struct canned c = SCRIPT(C2_PROBE,
		{ C2SEL("3F 00"), C2_9F, STC_OK }, { C2SEL("40 10"), C2_9F, STC_OK },
		{ "A0 C0 00 00 09", "62 07 00 05 40 10 04 00 00 90 00", STC_OK },
		{ C2SEL("3F 00"), C2_9F, STC_OK }, { C2SEL("40 10"), C2_9F, STC_OK },
		{ "A0 C0 00 00 09", "85 07 00 05 40 10 04 00 00 90 00", STC_OK },
		{ "A0 B0 00 00 05", "30 03 90 00", STC_OK });
	stc_card *card;
	stc_token *tok = open_token(&c, &card);
	const stc_object *o;
	size_t n, len = 0;
	uint8_t *data = NULL;

	ck_assert_int_eq(stc_token_cps2ter_objects(tok, &o, &n), STC_OK);
	ck_assert_int_eq(stc_token_read_object(tok, o[0].handle, &data, &len), STC_ERR_INVALID_DATA);
	ck_assert_int_eq(stc_token_read_object(tok, o[0].handle, &data, &len), STC_ERR_PROTOCOL);
	ck_assert_ptr_null(data);
	ck_assert_uint_eq(c.next, c.n);
	stc_token_close(tok);
	stc_disconnect(card, 0);
}
END_TEST

/* ------------------------------------------------------------ the keypad */

/* A scripted pinpad reader: the feature list, then each structure expected
 * (hex) and the reader's answer. */
struct keypad {
	const char *features;       /* answer to CM_IOCTL_GET_FEATURE_REQUEST, hex */
	const char *want[4];        /* structures expected, in order */
	const char *answer[4];      /* what the reader answers to each */
	size_t next;
	unsigned long codes[4];
};

static struct keypad *kp;

static stc_rv kp_control(void *io, unsigned long code, const uint8_t *in, size_t in_len,
			 uint8_t *out, size_t *out_len)
{
	uint8_t want[128];
	size_t n;

	(void)io;
	if (code == 0x42000D48) {   /* CM_IOCTL_GET_FEATURE_REQUEST */
		if (!kp->features)
			return STC_ERR_NOT_SUPPORTED;
		*out_len = hex(kp->features, out, *out_len);
		return STC_OK;
	}
	ck_assert_msg(kp->next < 4 && kp->want[kp->next], "unexpected control #%zu", kp->next);
	kp->codes[kp->next] = code;
	n = hex(kp->want[kp->next], want, sizeof(want));
	ck_assert_msg(in_len == n && !memcmp(in, want, n), "structure #%zu differs", kp->next);
	*out_len = hex(kp->answer[kp->next], out, *out_len);
	kp->next++;
	return STC_OK;
}

static stc_token *open_keypad_token(struct canned *c, stc_card **card)
{
	uint8_t atr[STC_ATR_MAX];
	stc_transport t = { .transmit = canned_xmit, .io = c, .atr = atr,
			    .atr_len = hex(CPS3_ATR, atr, sizeof(atr)), .protocol = STC_PROTO_T0,
			    .name = "r-keypad", .control = kp_control };
	stc_token *tok;

	ck_assert_int_eq(stc_card_from_transport(&t, card), STC_OK);
	ck_assert_int_eq(stc_token_open(*card, &tok), STC_OK);
	return tok;
}

#define FEATURES "06 04 42 33 00 06 07 04 42 33 00 07"
/* PIN_VERIFY_STRUCTURE for the CPS3's unpadded ASCII PIN: bytes, ASCII, block
 * 0 (variable), min 4 max 8, OK key, French, ulDataLength 5, 00 20 00 01 00 */
#define VERIFY_VAR "00 00 82 00 00 08 04 02 01 0C 04 00 00 00 00 05 00 00 00 00 20 00 01 00"

START_TEST(keypad_verify_structure_and_answers)
{
	struct keypad k = { FEATURES,
		{ VERIFY_VAR, VERIFY_VAR, VERIFY_VAR, VERIFY_VAR },
		{ "90 00", "63 C1", "64 01", "6B 80" }, 0, { 0 } };
	struct canned c = SCRIPT(LISTING, AODF_READ);
	stc_card *card;
	stc_token *tok;
	stc_pinpad_info pi;
	int tries = 7;

	kp = &k;
	tok = open_keypad_token(&c, &card);
	ck_assert_int_eq(stc_card_pinpad(card, &pi), STC_OK);
	ck_assert_int_eq(pi.verify, 1);
	ck_assert_int_eq(pi.modify, 1);
	ck_assert_int_eq(stc_token_pin_verify_pinpad(tok, &tries), STC_OK);
	ck_assert_uint_eq(k.codes[0], 0x42330006);
	ck_assert_int_eq(stc_token_pin_verify_pinpad(tok, &tries), STC_ERR_PIN_INCORRECT);
	ck_assert_int_eq(tries, 1);
	ck_assert_int_eq(stc_token_pin_verify_pinpad(tok, &tries), STC_ERR_CANCELLED);
	ck_assert_int_eq(stc_token_pin_verify_pinpad(tok, &tries), STC_ERR_INVALID_ARGS);
	/* an unpadded PIN cannot be changed on the keypad: nothing asked */
	ck_assert_int_eq(stc_token_pin_change_pinpad(tok, &tries), STC_ERR_NOT_SUPPORTED);
	ck_assert_uint_eq(k.next, 4);
	ck_assert_uint_eq(c.next, c.n);
	stc_token_close(tok);
	stc_disconnect(card, 0);
}
END_TEST

/* The same card with a padded PIN (needs-padding, stored length 8, pad FF). */
#define AODF_PADDED_READ { SEL("50 03"), OK, STC_OK }, { READ0, \
	"30 2F 30 11 0C 0C 43 6F 64 65 20 70 6F 72 74 65 75 72 04 01 02 30 03 04 01 01 " \
	"A1 15 30 13 03 02 02 0C 0A 01 01 02 01 04 02 01 08 02 01 08 80 01 01 30 31 30 13 0C 11 " \
	"43 6F 64 65 20 64 65 20 64 65 62 6C 6F 63 61 67 65 30 03 04 01 02 A1 15 30 13 03 02 01 " \
	"0A 0A 01 01 02 01 04 02 01 08 02 01 08 80 01 02 62 82", STC_OK }
#define VERIFY_PAD "00 00 82 08 00 08 04 02 01 0C 04 00 00 00 00 0D 00 00 00 " \
	"00 20 00 01 08 FF FF FF FF FF FF FF FF"
/* PIN_MODIFY_STRUCTURE: old block at 0, new at 8, confirm, 3 messages */
#define MODIFY_PAD "00 00 82 08 00 00 08 08 04 01 02 03 0C 04 00 01 02 00 00 00 15 00 00 00 " \
	"00 24 00 01 10 FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF"

START_TEST(keypad_padded_pin_verify_and_change)
{
	struct keypad k = { FEATURES, { VERIFY_PAD, MODIFY_PAD, MODIFY_PAD, NULL },
		{ "90 00", "90 00", "64 02", NULL }, 0, { 0 } };
	struct canned c = SCRIPT(LISTING, AODF_PADDED_READ);
	stc_card *card;
	stc_token *tok;
	int tries = 7;

	kp = &k;
	tok = open_keypad_token(&c, &card);
	ck_assert_int_eq(stc_token_pin_verify_pinpad(tok, &tries), STC_OK);
	ck_assert_int_eq(stc_token_pin_change_pinpad(tok, &tries), STC_OK);
	ck_assert_uint_eq(k.codes[1], 0x42330007);
	ck_assert_int_eq(stc_token_pin_change_pinpad(tok, &tries), STC_ERR_INVALID_ARGS);
	ck_assert_uint_eq(k.next, 3);
	stc_token_close(tok);
	stc_disconnect(card, 0);
}
END_TEST

/* No keypad, a reader without the control, a malformed feature list, a
 * one-byte answer to the structure. */
START_TEST(keypad_absent_or_hostile)
{
	struct keypad none = { NULL, { NULL }, { NULL }, 0, { 0 } };
	struct keypad other = { "12 04 42 00 00 01", { NULL }, { NULL }, 0, { 0 } };
	struct keypad bad = { "06 04 42 33", { NULL }, { NULL }, 0, { 0 } };
	struct keypad shortans = { FEATURES, { VERIFY_VAR }, { "90" }, 0, { 0 } };
	struct keypad *all[] = { &none, &other, &bad, &shortans };
	stc_rv want[] = { STC_ERR_NOT_SUPPORTED, STC_ERR_NOT_SUPPORTED, STC_ERR_INVALID_DATA,
			  STC_ERR_PROTOCOL };

	for (size_t i = 0; i < 4; i++) {
		struct canned c = SCRIPT(LISTING, AODF_READ);
		stc_card *card;
		stc_token *tok;
		stc_pinpad_info pi = { 7, 7 };
		int tries = 7;

		kp = all[i];
		tok = open_keypad_token(&c, &card);
		ck_assert_int_eq(stc_token_pin_verify_pinpad(tok, &tries), want[i]);
		ck_assert_int_eq(tries, -1);
		if (i < 2) {
			ck_assert_int_eq(stc_card_pinpad(card, &pi), STC_OK);
			ck_assert_int_eq(pi.verify, 0);
		}
		stc_token_close(tok);
		stc_disconnect(card, 0);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cps_driver");
	TCase *tc = tcase_create("objects");

	tcase_add_test(tc, listing_sequence_and_cache);
	tcase_add_loop_test(tc, listing_card_pulled, 0, LISTING_N);
	tcase_add_test(tc, malformed_odf);
	tcase_add_test(tc, read_certificate_in_chunks);
	tcase_add_test(tc, private_data_needs_the_pin);
	suite_add_tcase(s, tc);
	tc = tcase_create("pins");
	tcase_add_test(tc, pin_info);
	tcase_add_test(tc, pin_info_blocked_and_verified);
	tcase_add_test(tc, malformed_docp);
	tcase_add_test(tc, verify_ok_wrong_blocked);
	tcase_add_test(tc, change_and_unblock);
	tcase_add_test(tc, card_pulled_during_verify);
	tcase_add_test(tc, contactless_has_no_pin);
	suite_add_tcase(s, tc);
	tc = tcase_create("cps2ter");
	tcase_add_test(tc, cps2ter_list_and_read);
	tcase_add_test(tc, cps2ter_absent_volet);
	tcase_add_test(tc, cps2ter_bad_fci_and_short_read);
	suite_add_tcase(s, tc);
	tc = tcase_create("keypad");
	tcase_add_test(tc, keypad_verify_structure_and_answers);
	tcase_add_test(tc, keypad_padded_pin_verify_and_change);
	tcase_add_test(tc, keypad_absent_or_hostile);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	/* the scripts are the card's APDUs without the public-object cache */
	setenv("STC_NO_CACHE", "1", 1);
	return run_suite(suite());
}
