/* check_apdu.c - APDU encoding/decoding, status words, and the transceive logic
 * (61xx, 6Cxx, chaining, bounds) against a scripted card. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "santecard.h"
#include "check_util.h"

/* ------------------------------------------------------------ encoding */

static size_t enc(const stc_apdu *a, stc_apdu_form form, uint8_t *out, size_t cap,
		  stc_rv *rv)
{
	size_t n = 0;
	*rv = stc_apdu_encode(a, form, out, cap, &n);
	return n;
}

START_TEST(encode_cases_short)
{
	static const uint8_t data[3] = { 1, 2, 3 };
	uint8_t out[32];
	stc_rv rv;
	stc_apdu a = { .cla = 0x00, .ins = 0xA4, .p1 = 0x04, .p2 = 0x0C };

	ck_assert_int_eq(stc_apdu_case(&a), 1);
	ck_assert_uint_eq(enc(&a, STC_APDU_SHORT, out, sizeof(out), &rv), 4);
	ck_assert_int_eq(rv, STC_OK);

	a.le = 256;
	ck_assert_int_eq(stc_apdu_case(&a), 2);
	ck_assert_uint_eq(enc(&a, STC_APDU_SHORT, out, sizeof(out), &rv), 5);
	ck_assert_uint_eq(out[4], 0x00);

	a.le = 0; a.data = data; a.lc = 3;
	ck_assert_int_eq(stc_apdu_case(&a), 3);
	ck_assert_uint_eq(enc(&a, STC_APDU_SHORT, out, sizeof(out), &rv), 8);
	ck_assert_mem_eq(out + 4, "\x03\x01\x02\x03", 4);

	a.le = 0x10;
	ck_assert_int_eq(stc_apdu_case(&a), 4);
	ck_assert_uint_eq(enc(&a, STC_APDU_SHORT, out, sizeof(out), &rv), 9);
	ck_assert_uint_eq(out[8], 0x10);
}
END_TEST

START_TEST(encode_t0_form)
{
	static const uint8_t data[2] = { 0xAA, 0xBB };
	uint8_t out[16];
	stc_rv rv;
	stc_apdu a = { .cla = 0x00, .ins = 0x20, .p1 = 0x00, .p2 = 0x01 };

	/* case 1 carries P3 = 00 */
	ck_assert_uint_eq(enc(&a, STC_APDU_T0, out, sizeof(out), &rv), 5);
	ck_assert_int_eq(rv, STC_OK);
	ck_assert_uint_eq(out[4], 0x00);
	/* case 4 goes without Le */
	a.data = data; a.lc = 2; a.le = 256;
	ck_assert_uint_eq(enc(&a, STC_APDU_T0, out, sizeof(out), &rv), 7);
	ck_assert_mem_eq(out, "\x00\x20\x00\x01\x02\xAA\xBB", 7);
	/* no extended form in T=0 */
	a.le = 300;
	enc(&a, STC_APDU_T0, out, sizeof(out), &rv);
	ck_assert_int_eq(rv, STC_ERR_INVALID_ARGS);
}
END_TEST

START_TEST(encode_extended)
{
	uint8_t *data = calloc(1, 300), out[320];
	stc_rv rv;
	stc_apdu a = { .cla = 0x00, .ins = 0x2A, .p1 = 0x9E, .p2 = 0x9A, .data = data,
		       .lc = 300, .le = 65536 };

	ck_assert_ptr_nonnull(data);
	ck_assert_uint_eq(enc(&a, STC_APDU_AUTO, out, sizeof(out), &rv), 4 + 3 + 300 + 2);
	ck_assert_int_eq(rv, STC_OK);
	ck_assert_mem_eq(out + 4, "\x00\x01\x2C", 3);
	ck_assert_mem_eq(out + 307, "\x00\x00", 2);        /* Le 65536 */
	/* short form refuses what does not fit */
	enc(&a, STC_APDU_SHORT, out, sizeof(out), &rv);
	ck_assert_int_eq(rv, STC_ERR_INVALID_ARGS);
	/* extended case 2 */
	a.lc = 0; a.data = NULL; a.le = 0x1234;
	ck_assert_uint_eq(enc(&a, STC_APDU_EXTENDED, out, sizeof(out), &rv), 7);
	ck_assert_mem_eq(out + 4, "\x00\x12\x34", 3);
	/* output buffer too small: nothing claimed written */
	enc(&a, STC_APDU_EXTENDED, out, 6, &rv);
	ck_assert_int_eq(rv, STC_ERR_BUFFER_TOO_SMALL);
	free(data);
}
END_TEST

START_TEST(encode_rejects_bad_args)
{
	uint8_t out[16];
	stc_rv rv;
	stc_apdu a = { .ins = 0xB0, .lc = 2, .data = NULL };

	enc(&a, STC_APDU_AUTO, out, sizeof(out), &rv);
	ck_assert_int_eq(rv, STC_ERR_INVALID_ARGS);        /* Lc without data */
	a.lc = 0; a.le = 65537;
	enc(&a, STC_APDU_AUTO, out, sizeof(out), &rv);
	ck_assert_int_eq(rv, STC_ERR_INVALID_ARGS);        /* Le too large */
	a.le = 1;
	enc(&a, (stc_apdu_form)42, out, sizeof(out), &rv);
	ck_assert_int_eq(rv, STC_ERR_INVALID_ARGS);
}
END_TEST

START_TEST(decode_roundtrip)
{
	static const uint8_t data[5] = { 9, 8, 7, 6, 5 };
	static const size_t lcs[] = { 0, 5 };
	static const size_t les[] = { 0, 1, 256, 257, 65536 };
	uint8_t out[32];

	for (size_t i = 0; i < 2; i++)
		for (size_t j = 0; j < 5; j++) {
			stc_apdu a = { 0x80, 0xCA, 0x01, 0x02, lcs[i] ? data : NULL, lcs[i], les[j] };
			stc_apdu b;
			size_t n;

			ck_assert_int_eq(stc_apdu_encode(&a, STC_APDU_AUTO, out, sizeof(out), &n), STC_OK);
			ck_assert_int_eq(stc_apdu_decode(out, n, &b), STC_OK);
			ck_assert_uint_eq(b.lc, a.lc);
			ck_assert_uint_eq(b.le, a.le);
			ck_assert_uint_eq(b.p2, 0x02);
			if (a.lc)
				ck_assert_mem_eq(b.data, data, a.lc);
		}
}
END_TEST

START_TEST(decode_hostile)
{
	stc_apdu a;

	ck_assert_int_eq(stc_apdu_decode((const uint8_t *)"\x00\xA4\x04", 3, &a), STC_ERR_INVALID_DATA);
	/* Lc = 5 but 3 data bytes */
	ck_assert_int_eq(stc_apdu_decode((const uint8_t *)"\x00\xA4\x04\x00\x05\x01\x02\x03", 8, &a),
			 STC_ERR_INVALID_DATA);
	/* Lc = 2 with 2 extra bytes (neither case 3 nor 4) */
	ck_assert_int_eq(stc_apdu_decode((const uint8_t *)"\x00\xA4\x04\x00\x02\x01\x02\x03\x04", 9, &a),
			 STC_ERR_INVALID_DATA);
	/* 00 then a single byte: not a valid extended length */
	ck_assert_int_eq(stc_apdu_decode((const uint8_t *)"\x00\xA4\x04\x00\x00\x01", 6, &a),
			 STC_ERR_INVALID_DATA);
	/* extended Lc = 0 with data */
	ck_assert_int_eq(stc_apdu_decode((const uint8_t *)"\x00\xA4\x04\x00\x00\x00\x00\x01", 8, &a),
			 STC_ERR_INVALID_DATA);
	/* extended Lc = 0xFFFF but 1 byte of data */
	ck_assert_int_eq(stc_apdu_decode((const uint8_t *)"\x00\xA4\x04\x00\x00\xFF\xFF\x01", 8, &a),
			 STC_ERR_INVALID_DATA);
	/* extended case 2: Le 0000 = 65536 */
	ck_assert_int_eq(stc_apdu_decode((const uint8_t *)"\x00\xB0\x00\x00\x00\x00\x00", 7, &a), STC_OK);
	ck_assert_uint_eq(a.le, 65536);
}
END_TEST

START_TEST(status_words)
{
	size_t dlen;
	uint16_t sw;

	ck_assert_int_eq(stc_resp_parse((const uint8_t *)"\x01\x90\x00", 3, &dlen, &sw), STC_OK);
	ck_assert_uint_eq(dlen, 1);
	ck_assert_uint_eq(sw, 0x9000);
	ck_assert_int_eq(stc_resp_parse((const uint8_t *)"\x90", 1, &dlen, &sw), STC_ERR_INVALID_DATA);

	ck_assert_int_eq(stc_sw_to_rv(0x9000), STC_OK);
	ck_assert_int_eq(stc_sw_to_rv(0x63C2), STC_ERR_PIN_INCORRECT);
	ck_assert_int_eq(stc_sw_tries_left(0x63C2), 2);
	ck_assert_int_eq(stc_sw_tries_left(0x6300), -1);
	ck_assert_int_eq(stc_sw_to_rv(0x6983), STC_ERR_PIN_BLOCKED);
	ck_assert_int_eq(stc_sw_to_rv(0x6982), STC_ERR_SECURITY_STATUS);
	ck_assert_int_eq(stc_sw_to_rv(0x6A82), STC_ERR_NOT_FOUND);
	ck_assert_int_eq(stc_sw_to_rv(0x6D00), STC_ERR_NOT_SUPPORTED);
	ck_assert_int_eq(stc_sw_to_rv(0x1234), STC_ERR_CARD_STATUS);
	ck_assert_str_eq(stc_sw_text(0x6A82), "6A82: file or application not found");
	ck_assert_str_eq(stc_sw_text(0x6C10), "6Cxx: wrong Le, xx bytes available");
	ck_assert_str_eq(stc_sw_text(0x1234), "unknown status word");
}
END_TEST

START_TEST(rv_texts)
{
	for (int rv = 0; rv < STC_RV_COUNT_; rv++) {
		ck_assert_str_ne(stc_strerror((stc_rv)rv), "unknown error");
		ck_assert_str_ne(stc_rv_name((stc_rv)rv), "STC_ERR_UNKNOWN");
	}
	ck_assert_str_eq(stc_rv_name(STC_ERR_CARD_REMOVED), "STC_ERR_CARD_REMOVED");
	ck_assert_str_eq(stc_strerror((stc_rv)999), "unknown error");
}
END_TEST

/* ---------------------------------------------- transceive, scripted card */

struct script {
	const char *resp[16];   /* hex-free: raw bytes with explicit lengths */
	size_t resp_len[16];
	size_t n, next;
	uint8_t sent[16][300];
	size_t sent_len[16];
	stc_rv fail_at_rv;      /* returned on call fail_at (1-based), 0 = never */
	size_t fail_at;
};

static stc_rv script_xmit(void *io, const uint8_t *cmd, size_t len, uint8_t *resp, size_t *rlen)
{
	struct script *s = io;
	size_t i = s->next++;

	if (i < 16 && len <= sizeof(s->sent[0])) {
		memcpy(s->sent[i], cmd, len);
		s->sent_len[i] = len;
	}
	if (s->fail_at && s->next == s->fail_at)
		return s->fail_at_rv;
	if (i >= s->n)
		i = s->n - 1;    /* keep repeating the last answer */
	if (s->resp_len[i] > *rlen)
		return STC_ERR_BUFFER_TOO_SMALL;
	memcpy(resp, s->resp[i], s->resp_len[i]);
	*rlen = s->resp_len[i];
	return STC_OK;
}

#define ADD(s, lit) do { (s).resp[(s).n] = (lit); (s).resp_len[(s).n] = sizeof(lit) - 1; (s).n++; } while (0)

START_TEST(transceive_get_response)
{
	struct script s = { 0 };
	stc_xfer_opts o = { .form = STC_APDU_T0 };
	stc_apdu a = { .cla = 0x00, .ins = 0xA4, .p1 = 0x04, .p2 = 0x00, .data = (const uint8_t *)"\xF0\x01", .lc = 2, .le = 256 };
	uint8_t resp[64];
	size_t len;
	uint16_t sw;

	ADD(s, "\x61\x03");
	ADD(s, "\xAA\xBB\xCC\x90\x00");
	ck_assert_int_eq(stc_apdu_transceive(script_xmit, &s, &o, &a, resp, sizeof(resp), &len, &sw), STC_OK);
	ck_assert_uint_eq(sw, 0x9000);
	ck_assert_uint_eq(len, 3);
	ck_assert_mem_eq(resp, "\xAA\xBB\xCC", 3);
	/* T=0: case 4 sent without Le, then GET RESPONSE with Le = SW2 */
	ck_assert_uint_eq(s.sent_len[0], 7);
	ck_assert_uint_eq(s.sent_len[1], 5);
	ck_assert_mem_eq(s.sent[1], "\x00\xC0\x00\x00\x03", 5);
}
END_TEST

START_TEST(transceive_get_response_class)
{
	struct script s = { 0 };
	stc_xfer_opts o = { .form = STC_APDU_T0 };
	stc_apdu a = { .cla = 0x81, .ins = 0xCA, .le = 256 };
	uint8_t resp[8];
	size_t len;
	uint16_t sw;

	ADD(s, "\x61\x01");
	ADD(s, "\x01\x90\x00");
	ck_assert_int_eq(stc_apdu_transceive(script_xmit, &s, &o, &a, resp, sizeof(resp), &len, &sw), STC_OK);
	ck_assert_uint_eq(s.sent[1][0], 0x00);     /* proprietary class: GET RESPONSE in 00 */
	s.n = s.next = 0;
	a.cla = 0x01;                              /* interindustry, logical channel 1 */
	ADD(s, "\x61\x01");
	ADD(s, "\x01\x90\x00");
	ck_assert_int_eq(stc_apdu_transceive(script_xmit, &s, &o, &a, resp, sizeof(resp), &len, &sw), STC_OK);
	ck_assert_uint_eq(s.sent[1][0], 0x01);
}
END_TEST

START_TEST(transceive_multi_61_and_6c)
{
	struct script s = { 0 };
	stc_xfer_opts o = { .form = STC_APDU_T0 };
	stc_apdu a = { .cla = 0x80, .ins = 0xCA, .p1 = 0x01, .le = 256 };
	uint8_t resp[64];
	size_t len;
	uint16_t sw;

	ADD(s, "\x6C\x04");                /* wrong Le: 4 available */
	ADD(s, "\x01\x02\x61\x02");        /* 2 bytes and 2 more to fetch */
	ADD(s, "\x03\x04\x90\x00");
	ck_assert_int_eq(stc_apdu_transceive(script_xmit, &s, &o, &a, resp, sizeof(resp), &len, &sw), STC_OK);
	ck_assert_uint_eq(len, 4);
	ck_assert_mem_eq(resp, "\x01\x02\x03\x04", 4);
	ck_assert_uint_eq(s.sent[1][4], 0x04);     /* re-sent with Le = 04 */
	ck_assert_mem_eq(s.sent[2], "\x00\xC0\x00\x00\x02", 5);
}
END_TEST

START_TEST(transceive_error_sw_is_not_a_failure)
{
	struct script s = { 0 };
	stc_apdu a = { .ins = 0xA4, .p1 = 4, .data = (const uint8_t *)"\x01", .lc = 1 };
	uint8_t resp[8];
	size_t len = 99;
	uint16_t sw;

	ADD(s, "\x6A\x82");
	ck_assert_int_eq(stc_apdu_transceive(script_xmit, &s, NULL, &a, resp, sizeof(resp), &len, &sw), STC_OK);
	ck_assert_uint_eq(sw, 0x6A82);
	ck_assert_uint_eq(len, 0);
}
END_TEST

START_TEST(transceive_bounds_61_loop)
{
	struct script s = { 0 };
	stc_xfer_opts o = { .form = STC_APDU_T0, .max_get_response = 5 };
	stc_apdu a = { .cla = 0x80, .ins = 0xE4, .le = 256 };
	uint8_t resp[4096];
	size_t len;
	uint16_t sw;

	ADD(s, "\x61\x01");
	ADD(s, "\x00\x61\x01");            /* forever */
	ck_assert_int_eq(stc_apdu_transceive(script_xmit, &s, &o, &a, resp, sizeof(resp), &len, &sw),
			 STC_ERR_PROTOCOL);
	ck_assert_uint_eq(s.next, 6);      /* the command and 5 GET RESPONSE, no more */
}
END_TEST

START_TEST(transceive_bounds_6c_loop)
{
	struct script s = { 0 };
	stc_apdu a = { .cla = 0x80, .ins = 0xCA, .le = 1 };
	uint8_t resp[16];
	size_t len;
	uint16_t sw;

	ADD(s, "\x6C\x05");                /* forever */
	ck_assert_int_eq(stc_apdu_transceive(script_xmit, &s, NULL, &a, resp, sizeof(resp), &len, &sw),
			 STC_ERR_PROTOCOL);
	ck_assert_uint_eq(s.next, 65);     /* default bound: 64 rounds */
}
END_TEST

START_TEST(transceive_response_too_big)
{
	struct script s = { 0 };
	stc_apdu a = { .ins = 0xB0, .le = 256 };
	uint8_t resp[2];
	size_t len;
	uint16_t sw;

	ADD(s, "\x01\x02\x03\x90\x00");
	ck_assert_int_eq(stc_apdu_transceive(script_xmit, &s, NULL, &a, resp, sizeof(resp), &len, &sw),
			 STC_ERR_BUFFER_TOO_SMALL);
}
END_TEST

START_TEST(transceive_malformed_response)
{
	struct script s = { 0 };
	stc_apdu a = { .ins = 0xB0, .le = 256 };
	uint8_t resp[8];
	size_t len;
	uint16_t sw;

	ADD(s, "\x90");                    /* one byte: not even a status word */
	ck_assert_int_eq(stc_apdu_transceive(script_xmit, &s, NULL, &a, resp, sizeof(resp), &len, &sw),
			 STC_ERR_PROTOCOL);
	s.n = s.next = 0;
	s.resp[0] = ""; s.resp_len[0] = 0; s.n = 1;   /* empty answer */
	ck_assert_int_eq(stc_apdu_transceive(script_xmit, &s, NULL, &a, resp, sizeof(resp), &len, &sw),
			 STC_ERR_PROTOCOL);
}
END_TEST

START_TEST(transceive_transport_error_propagates)
{
	struct script s = { 0 };
	stc_xfer_opts o = { .form = STC_APDU_T0 };
	stc_apdu a = { .ins = 0xB0, .le = 256 };
	uint8_t resp[8];
	size_t len;
	uint16_t sw;

	ADD(s, "\x61\x02");
	s.fail_at = 2;
	s.fail_at_rv = STC_ERR_CARD_REMOVED;   /* pulled between 61xx and GET RESPONSE */
	ck_assert_int_eq(stc_apdu_transceive(script_xmit, &s, &o, &a, resp, sizeof(resp), &len, &sw),
			 STC_ERR_CARD_REMOVED);
}
END_TEST

START_TEST(transceive_chaining)
{
	struct script s = { 0 };
	stc_xfer_opts o = { .form = STC_APDU_T0, .chain = 1 };
	uint8_t data[600], resp[8];
	stc_apdu a = { .cla = 0x80, .ins = 0xE6, .data = data, .lc = sizeof(data) };
	size_t len;
	uint16_t sw;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	ADD(s, "\x90\x00");
	ck_assert_int_eq(stc_apdu_transceive(script_xmit, &s, &o, &a, resp, sizeof(resp), &len, &sw), STC_OK);
	ck_assert_uint_eq(s.next, 3);                  /* 255 + 255 + 90 */
	ck_assert_uint_eq(s.sent[0][0], 0x90);         /* chained: CLA | 0x10 */
	ck_assert_uint_eq(s.sent[1][0], 0x90);
	ck_assert_uint_eq(s.sent[2][0], 0x80);         /* last link: plain CLA */
	ck_assert_uint_eq(s.sent[2][4], 90);
	ck_assert_uint_eq(s.sent[2][5], (uint8_t)510);
	/* without chaining a long command is refused, nothing sent */
	s.n = s.next = 0;
	ADD(s, "\x90\x00");
	o.chain = 0;
	ck_assert_int_eq(stc_apdu_transceive(script_xmit, &s, &o, &a, resp, sizeof(resp), &len, &sw),
			 STC_ERR_INVALID_ARGS);
	ck_assert_uint_eq(s.next, 0);
}
END_TEST

START_TEST(transceive_chain_refused_midway)
{
	struct script s = { 0 };
	stc_xfer_opts o = { .form = STC_APDU_SHORT, .chain = 1 };
	uint8_t data[600] = { 0 }, resp[8];
	stc_apdu a = { .cla = 0x00, .ins = 0x2A, .data = data, .lc = sizeof(data) };
	size_t len;
	uint16_t sw;

	ADD(s, "\x68\x84");                /* chaining not supported */
	ck_assert_int_eq(stc_apdu_transceive(script_xmit, &s, &o, &a, resp, sizeof(resp), &len, &sw), STC_OK);
	ck_assert_uint_eq(sw, 0x6884);
	ck_assert_uint_eq(s.next, 1);      /* stops at the first refusal */
}
END_TEST

static Suite *apdu_suite(void)
{
	Suite *s = suite_create("apdu");
	TCase *enc_tc = tcase_create("encode");
	TCase *sw_tc = tcase_create("status");
	TCase *x_tc = tcase_create("transceive");

	tcase_add_test(enc_tc, encode_cases_short);
	tcase_add_test(enc_tc, encode_t0_form);
	tcase_add_test(enc_tc, encode_extended);
	tcase_add_test(enc_tc, encode_rejects_bad_args);
	tcase_add_test(enc_tc, decode_roundtrip);
	tcase_add_test(enc_tc, decode_hostile);
	tcase_add_test(sw_tc, status_words);
	tcase_add_test(sw_tc, rv_texts);
	tcase_add_test(x_tc, transceive_get_response);
	tcase_add_test(x_tc, transceive_get_response_class);
	tcase_add_test(x_tc, transceive_multi_61_and_6c);
	tcase_add_test(x_tc, transceive_error_sw_is_not_a_failure);
	tcase_add_test(x_tc, transceive_bounds_61_loop);
	tcase_add_test(x_tc, transceive_bounds_6c_loop);
	tcase_add_test(x_tc, transceive_response_too_big);
	tcase_add_test(x_tc, transceive_malformed_response);
	tcase_add_test(x_tc, transceive_transport_error_propagates);
	tcase_add_test(x_tc, transceive_chaining);
	tcase_add_test(x_tc, transceive_chain_refused_midway);
	suite_add_tcase(s, enc_tc);
	suite_add_tcase(s, sw_tc);
	suite_add_tcase(s, x_tc);
	return s;
}

int main(void)
{
	return run_suite(apdu_suite());
}
