/* check_pn532.c - the PN532 model: HSU frames, the command core and the card
 * side of ISO 14443-4, with the "test" card in the field. */
#include "config.h"

#include <check.h>
#include <string.h>

#include "check_util.h"
#include "pn532/frame.h"
#include "pn532/pn532.h"
#include "testcard/testcard.h"

static const struct sim_card_ops *ops = &testcard_card_ops;
static void *card;
static struct pn532 chip;
static uint8_t out[PN532_BODY_MAX];

static void setup_a(void)
{
	struct sim_card_config cfg = { 0 };

	card = ops->create(&cfg);
	ck_assert_ptr_nonnull(card);
	pn532_init(&chip, ops, card, PN532_TYPE_A);
	pn532_set_card(&chip, true);
}

static void teardown(void)
{
	ops->destroy(card);
}

/* One command given in hex (without D4); returns the answer length (D5 ...). */
static int cmd(const char *h)
{
	uint8_t body[PN532_BODY_MAX];
	size_t n;

	body[0] = PN532_TFI_HOST;
	n = hex(h, body + 1, sizeof(body) - 1);
	return pn532_command(&chip, body, n + 1, out, sizeof(out));
}

static int cmd_bytes(const uint8_t *b, size_t n)
{
	uint8_t body[PN532_BODY_MAX];

	body[0] = PN532_TFI_HOST;
	memcpy(body + 1, b, n);
	return pn532_command(&chip, body, n + 1, out, sizeof(out));
}

/* --- frames */

static enum pn532_frame_event feed(struct pn532_parser *p, const uint8_t *b, size_t n)
{
	enum pn532_frame_event ev = PN532_FRAME_MORE;

	for (size_t i = 0; i < n; i++) {
		ev = pn532_parse_byte(p, b[i]);
		if (ev != PN532_FRAME_MORE && i + 1 < n && b[i + 1] != 0x00)
			break;
	}
	return ev;
}

START_TEST(frame_wakeup_and_sam)
{
	struct pn532_parser p;
	uint8_t f[64];
	/* what libnfc sends first: wake-up, then SAMConfiguration normal mode */
	size_t n = hex("55 55 00 00 00 00 00 00 00 00 00 00 00 00 00 00 "
		       "00 00 FF 03 FD D4 14 01 17 00", f, sizeof(f));

	pn532_parser_init(&p);
	ck_assert_int_eq(feed(&p, f, n - 1), PN532_FRAME_DATA);
	ck_assert_uint_eq(p.len, 3);
	ck_assert_uint_eq(p.body[0], 0xD4);
	ck_assert_uint_eq(p.body[1], 0x14);
}
END_TEST

START_TEST(frame_round_trip)
{
	struct pn532_parser p;
	uint8_t body[PN532_BODY_MAX], f[PN532_FRAME_MAX];
	const size_t sizes[] = { 1, 2, 254, 255, 256, PN532_BODY_MAX };

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t len = sizes[k], n;

		for (size_t i = 0; i < len; i++)
			body[i] = (uint8_t)(i * 7 + k);
		n = pn532_frame_build(body, len, f, sizeof(f));
		ck_assert_uint_eq(n, len + (len > 255 ? 10 : 7));
		pn532_parser_init(&p);
		ck_assert_int_eq(feed(&p, f, n - 1), PN532_FRAME_DATA);
		ck_assert_uint_eq(p.len, len);
		ck_assert_mem_eq(p.body, body, len);
	}
	ck_assert_uint_eq(pn532_frame_build(body, 0, f, sizeof(f)), 0);
	ck_assert_uint_eq(pn532_frame_build(body, PN532_BODY_MAX + 1, f, sizeof(f)), 0);
	ck_assert_uint_eq(pn532_frame_build(body, 10, f, 16), 0);
}
END_TEST

START_TEST(frame_ack_nack_bad)
{
	struct pn532_parser p;
	uint8_t f[32];
	size_t n;

	pn532_parser_init(&p);
	ck_assert_int_eq(feed(&p, pn532_ack_frame, 5), PN532_FRAME_ACK);
	n = hex("00 00 FF FF 00", f, sizeof(f));
	ck_assert_int_eq(feed(&p, f, n), PN532_FRAME_NACK);
	n = hex("00 00 FF 03 FC D4 14 01", f, sizeof(f));		/* bad LCS */
	ck_assert_int_eq(feed(&p, f, n), PN532_FRAME_BAD);
	n = hex("00 00 FF 03 FD D4 14 01 18", f, sizeof(f));	/* bad DCS */
	ck_assert_int_eq(feed(&p, f, n), PN532_FRAME_BAD);
	n = hex("00 00 FF FF FF 02 00 FF", f, sizeof(f));	/* extended, too long */
	ck_assert_int_eq(feed(&p, f, n), PN532_FRAME_BAD);
	/* and it resynchronises on the next good frame */
	n = hex("00 00 FF 03 FD D4 14 01 17", f, sizeof(f));
	ck_assert_int_eq(feed(&p, f, n), PN532_FRAME_DATA);
}
END_TEST

/* --- command core */

START_TEST(open_sequence)
{
	ck_assert_int_eq(cmd("14 01"), 2);
	ck_assert_uint_eq(out[0], 0xD5);
	ck_assert_uint_eq(out[1], 0x15);
	/* Diagnose 00: the whole parameter echoed, NumTst included */
	ck_assert_int_eq(cmd("00 00 6C 69 62 6E 66 63"), 9);
	ck_assert_uint_eq(out[2], 0x00);
	ck_assert_uint_eq(out[8], 0x63);
	ck_assert_int_eq(cmd("02"), 6);
	ck_assert_uint_eq(out[2], 0x32);
	ck_assert_int_eq(cmd("08 63 3D 05"), 2);		/* WriteRegister */
	ck_assert_int_eq(cmd("06 63 3D 63 3C"), 4);		/* ReadRegister */
	ck_assert_uint_eq(out[2], 0x05);
	ck_assert_uint_eq(out[3], 0x00);
	ck_assert_int_eq(cmd("06 63"), PN532_SYNTAX_ERROR);
	ck_assert_int_eq(cmd("FE"), PN532_SYNTAX_ERROR);
}
END_TEST

START_TEST(list_type_a)
{
	int n = cmd("4A 01 00");

	/* D5 4B NbTg Tg SENS_RES(2) SEL_RES len UID(4) ATS: TL T0 TA TB TC hist */
	ck_assert_int_eq(n, 2 + 1 + 1 + 2 + 1 + 1 + 4 + 5 + 9);
	ck_assert_uint_eq(out[2], 1);
	ck_assert_uint_eq(out[6], 0x20);
	ck_assert_uint_eq(out[7], 4);
	ck_assert_uint_eq(out[12], 14);			/* TL */
	ck_assert_uint_eq(out[13], 0x75);		/* FSCI 5 */
	ck_assert_uint_eq(out[17], 0x80);		/* the test card's historical bytes */
	/* only the modulation the card has answers */
	ck_assert_int_eq(cmd("4A 01 03 00"), 3);
	ck_assert_uint_eq(out[2], 0);
	ck_assert_int_eq(cmd("4A 01 01 00 FF FF 00 00"), 3);
	ck_assert_uint_eq(out[2], 0);
	/* out of the field: nothing */
	pn532_set_card(&chip, false);
	ck_assert_int_eq(cmd("4A 01 00"), 3);
	ck_assert_uint_eq(out[2], 0);
	ck_assert_int_eq(cmd("4A 09 00"), PN532_SYNTAX_ERROR);
}
END_TEST

/* SELECT the test AID, ECHO 200 bytes (command chained in 60-byte blocks),
 * GET RESPONSE 200 bytes (answer chained): the APDUs arrive whole. */
START_TEST(data_exchange_chaining)
{
	uint8_t apdu[300];
	size_t n;

	cmd("4A 01 00");
	ck_assert_int_eq(cmd("40 01 00 A4 04 0C 08 F0 53 54 43 54 45 53 54"), 5);
	ck_assert_uint_eq(out[2], 0x00);
	ck_assert_uint_eq(out[3], 0x90);
	n = hex("40 01 80 E0 00 00 C8", apdu, sizeof(apdu));
	for (size_t i = 0; i < 200; i++)
		apdu[n + i] = (uint8_t)i;
	ck_assert_int_eq(cmd_bytes(apdu, n + 200), 5);
	ck_assert_uint_eq(out[3], 0x61);
	ck_assert_uint_eq(out[4], 0xC8);
	ck_assert_int_eq(cmd("40 01 00 C0 00 00 C8"), 3 + 200 + 2);
	for (size_t i = 0; i < 200; i++)
		ck_assert_uint_eq(out[3 + i], i);
	ck_assert_uint_eq(out[203], 0x90);
	/* the largest answer: 256 bytes + SW */
	ck_assert_int_eq(cmd("40 01 80 E2 00 00 00"), 5);
	ck_assert_int_eq(cmd("40 01 00 C0 00 00 00"), 3 + 258);
	ck_assert_uint_eq(out[3 + 255], 0xFF);
	/* wrong target, MI from the host */
	ck_assert_int_eq(cmd("40 02 00 A4 04 0C 00"), 3);
	ck_assert_uint_eq(out[2], PN532_ST_CONTEXT);
	ck_assert_int_eq(cmd("40 41 00 A4 04 0C 00"), 3);
	ck_assert_uint_eq(out[2], PN532_ST_BAD_PARAM);
}
END_TEST

START_TEST(removal_and_deselect)
{
	cmd("4A 01 00");
	ck_assert_int_eq(cmd("00 06"), 3);		/* presence: there */
	ck_assert_uint_eq(out[2], 0x00);
	pn532_set_card(&chip, false);
	ck_assert_int_eq(cmd("40 01 00 A4 04 0C 00"), 3);
	ck_assert_uint_eq(out[2], PN532_ST_CONTEXT);	/* target lost with the field */
	ck_assert_int_eq(cmd("42 B2"), 3);
	ck_assert_uint_eq(out[2], PN532_ST_TIMEOUT);
	ck_assert_int_eq(cmd("00 06"), 3);
	ck_assert_uint_eq(out[2], 0x01);
	pn532_set_card(&chip, true);
	cmd("4A 01 00");
	ck_assert_uint_eq(out[2], 1);
	/* deselect: the card halts, then InSelect wakes it again */
	ck_assert_int_eq(cmd("44 01"), 3);
	ck_assert_uint_eq(out[2], 0x00);
	ck_assert_int_eq(cmd("40 01 00 A4 04 0C 00"), 3);
	ck_assert_uint_eq(out[2], PN532_ST_CONTEXT);
	ck_assert_int_eq(cmd("42 B2"), 3);		/* halted: mute */
	ck_assert_uint_eq(out[2], PN532_ST_TIMEOUT);
	ck_assert_int_eq(cmd("50 01"), 3);
	ck_assert_uint_eq(out[2], 0x00);
	ck_assert_int_eq(cmd("40 01 00 A4 04 0C 08 F0 53 54 43 54 45 53 54"), 5);
	ck_assert_uint_eq(out[3], 0x90);
	/* RF off loses the card too */
	ck_assert_int_eq(cmd("32 01 00"), 2);
	ck_assert_int_eq(cmd("40 01 00 A4 04 0C 00"), 3);
	ck_assert_uint_eq(out[2], PN532_ST_CONTEXT);
}
END_TEST

/* Raw blocks through InCommunicateThru: the card's block-numbering rules. */
START_TEST(raw_blocks)
{
	cmd("4A 01 00");
	/* R(NAK) numbered 0 while the card's number is 1: R(ACK) 1 (rule 12) */
	ck_assert_int_eq(cmd("42 BA 00"), 5);
	ck_assert_uint_eq(out[3], 0xAB);
	ck_assert_uint_eq(out[4], 0x00);
	/* without the CID byte too (libnfc's presence check for type A: B2) */
	ck_assert_int_eq(cmd("42 B2"), 4);
	ck_assert_uint_eq(out[3], 0xA3);
	/* an I-block 0 (SELECT): answered by I-block 0 */
	ck_assert_int_eq(cmd("42 0A 00 00 A4 04 0C 08 F0 53 54 43 54 45 53 54"), 7);
	ck_assert_uint_eq(out[3], 0x0A);
	ck_assert_uint_eq(out[5], 0x90);
	/* R(NAK) with the card's number now (0): the last block again (rule 11) */
	ck_assert_int_eq(cmd("42 BA 00"), 7);
	ck_assert_uint_eq(out[3], 0x0A);
	ck_assert_uint_eq(out[5], 0x90);
	/* a block for another CID: mute */
	ck_assert_int_eq(cmd("42 BA 03"), 3);
	ck_assert_uint_eq(out[2], PN532_ST_TIMEOUT);
	/* chained I-block: R(ACK) (rule 10) */
	ck_assert_int_eq(cmd("42 1B 00 80 E0 00 00 02"), 5);
	ck_assert_uint_eq(out[3], 0xAB);
	ck_assert_int_eq(cmd("42 0A 00 AA BB"), 7);
	ck_assert_uint_eq(out[3], 0x0A);
	ck_assert_uint_eq(out[4], 0x00);
	ck_assert_uint_eq(out[5], 0x61);
	ck_assert_uint_eq(out[6], 0x02);
	/* S(DESELECT): echoed, then the card is halted */
	ck_assert_int_eq(cmd("42 CA 00"), 5);
	ck_assert_uint_eq(out[3], 0xCA);
	ck_assert_int_eq(cmd("42 BA 00"), 3);
	ck_assert_uint_eq(out[2], PN532_ST_TIMEOUT);
}
END_TEST

START_TEST(list_type_b)
{
	struct sim_card_config cfg = { 0 };

	teardown();
	card = ops->create(&cfg);
	pn532_init(&chip, ops, card, PN532_TYPE_B);
	pn532_set_card(&chip, true);
	ck_assert_int_eq(cmd("4A 01 00"), 3);		/* no type A answer */
	ck_assert_uint_eq(out[2], 0);
	/* D5 4B NbTg Tg ATQB(12) len ATTRIB_RES */
	ck_assert_int_eq(cmd("4A 01 03 00"), 2 + 1 + 1 + 12 + 2);
	ck_assert_uint_eq(out[2], 1);
	ck_assert_uint_eq(out[4], 0x50);
	ck_assert_uint_eq(out[9], 0x80);		/* application data: historical bytes */
	ck_assert_uint_eq(out[14], 0x51);		/* FSCI 5, ISO 14443-4 */
	ck_assert_int_eq(cmd("40 01 00 A4 04 0C 08 F0 53 54 43 54 45 53 54"), 5);
	ck_assert_uint_eq(out[3], 0x90);
	/* CID 1 given in ATTRIB: a block without CID is not for this card */
	ck_assert_int_eq(cmd("42 B2"), 3);
	ck_assert_uint_eq(out[2], PN532_ST_TIMEOUT);
	/* libnfc's type B presence check: the last block again (rule 11) */
	ck_assert_int_eq(cmd("42 BA 01"), 7);
	ck_assert_uint_eq(out[3], 0x0A);
	ck_assert_uint_eq(out[4], 0x01);
	ck_assert_int_eq(cmd("4A 01 03 05"), 3);		/* another family (AFI) */
	ck_assert_uint_eq(out[2], 0);
}
END_TEST

START_TEST(atr_historical)
{
	uint8_t atr[40], h[16];
	size_t n = hex("3B 8F 80 01 00 31 B8 64 04 B0 EC C1 73 94 01 80 82 90 00 0E", atr,
		       sizeof(atr));

	ck_assert_uint_eq(pn532_atr_historical(atr, n, h, sizeof(h)), 15);
	ck_assert_uint_eq(h[0], 0x00);
	ck_assert_uint_eq(h[14], 0x00);
	n = hex("3B AC 00 40 2A 00 12 25 00 64 80 00 03 10 00 90 00", atr, sizeof(atr));
	ck_assert_uint_eq(pn532_atr_historical(atr, n, h, sizeof(h)), 12);
	ck_assert_uint_eq(h[1], 0x12);
	ck_assert_uint_eq(pn532_atr_historical(atr, 5, h, sizeof(h)), 0);
	ck_assert_uint_eq(pn532_atr_historical(atr, n, h, 4), 0);
}
END_TEST

static Suite *pn532_suite(void)
{
	Suite *s = suite_create("pn532");
	TCase *f = tcase_create("frames"), *c = tcase_create("core");

	tcase_add_test(f, frame_wakeup_and_sam);
	tcase_add_test(f, frame_round_trip);
	tcase_add_test(f, frame_ack_nack_bad);
	tcase_add_test(f, atr_historical);
	suite_add_tcase(s, f);
	tcase_add_checked_fixture(c, setup_a, teardown);
	tcase_add_test(c, open_sequence);
	tcase_add_test(c, list_type_a);
	tcase_add_test(c, data_exchange_chaining);
	tcase_add_test(c, removal_and_deselect);
	tcase_add_test(c, raw_blocks);
	tcase_add_test(c, list_type_b);
	suite_add_tcase(s, c);
	return s;
}

int main(void)
{
	return run_suite(pn532_suite());
}
