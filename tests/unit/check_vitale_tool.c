/* check_vitale_tool.c - unit tests for santecard-vitale's pure parts
 * (src/tools/vitale): birth dates, the JSON / FHIR / HL7 / text renderings
 * (escaping, what a wrong NIR key changes), and the HTTP request parser and
 * Host check. The card I/O is covered by tests/integration/test_vitale_*.sh. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "vitale.h"
#include "check_util.h"

/* a card with the given beneficiaries' surname, given name, birth and NIR */
static void card(struct vcard *v, size_t n, const char *const rows[][4])
{
	memset(v, 0, sizeof(*v));
	strcpy(v->reader, "Reader \"1\"");
	v->kind = STC_CARD_VITALE2;
	strcpy(v->card_name, "carte Vitale 2");
	v->atr_len = 2;
	v->atr[0] = 0x3B;
	v->atr[1] = 0x75;
	v->count = n;
	for (size_t i = 0; i < n; i++) {
		strcpy(v->ben[i].surname, rows[i][0]);
		strcpy(v->ben[i].given, rows[i][1]);
		strcpy(v->ben[i].birth, rows[i][2]);
		strcpy(v->ben[i].nir, rows[i][3]);
		v->ben[i].nir_valid = rows[i][3][0] && stc_nir_check(rows[i][3]) == STC_OK;
		v->ben[i].quality = -1;
	}
}

START_TEST(test_birth_iso)
{
	static const char *const cases[][2] = {
		{ "19790314", "1979-03-14" }, { "20000229", "2000-02-29" },
		{ "19000229", "" },  /* 1900 is not a leap year */
		{ "19850431", "" }, { "19850000", "" }, { "19851300", "" },
		{ "1985061", "" }, { "1985061A", "" }, { "", "" }, { "17991231", "" },
	};
	char iso[11];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		birth_iso(cases[i][0], iso);
		ck_assert_str_eq(iso, cases[i][1]);
	}
}
END_TEST

START_TEST(test_json_escaping_and_fields)
{
	static const char *const rows[][4] = {
		{ "O'NEIL \"JR\" \\ <b>", "ÉLODIE\x01", "19850000", "185067511512380" },
	};
	static struct vcard v;
	struct render_opts o = { STC_INS_NIR };
	struct sbuf b;

	card(&v, 1, rows);
	sb_init(&b);
	render_json_card(&b, &v, &o);
	ck_assert_ptr_nonnull(strstr(sb_str(&b),
		"\"surname\":\"O'NEIL \\\"JR\\\" \\\\ \\u003cb\\u003e\",\"given\":\"ÉLODIE\\u0001\""));
	ck_assert_ptr_nonnull(strstr(sb_str(&b), "\"birth\":\"19850000\",\"birth_date\":null"));
	ck_assert_ptr_nonnull(strstr(sb_str(&b),
		"\"ins\":{\"type\":\"INS-NIR\",\"oid\":\"1.2.250.1.213.1.4.8\",\"qualified\":false}"));
	ck_assert_ptr_nonnull(strstr(sb_str(&b), "\"rank\":null,\"quality\":null}],\"nir_errors\":0}"));
	ck_assert_ptr_nonnull(strstr(sb_str(&b), "\"reader\":\"Reader \\\"1\\\"\""));
	ck_assert_ptr_nonnull(strstr(sb_str(&b), "\"atr\":\"3B75\""));
	sb_free(&b);
}
END_TEST

START_TEST(test_wrong_key_everywhere)
{
	static const char *const rows[][4] = {
		{ "A", "B", "19850612", "185067511512381" },   /* key 81, the number gives 80 */
		{ "C", "D", "19850612", "185067511512380" },
	};
	static struct vcard v;
	struct render_opts o = { STC_INS_NIR_TEST };
	struct sbuf b;

	card(&v, 2, rows);
	ck_assert_uint_eq(vcard_bad_nirs(&v), 1);
	sb_init(&b);
	render_json_card(&b, &v, &o);
	ck_assert_ptr_nonnull(strstr(sb_str(&b),
		"\"nir\":\"185067511512381\",\"nir_key_valid\":false,\"ins\":null"));
	ck_assert_ptr_nonnull(strstr(sb_str(&b), "\"nir_errors\":1}"));
	sb_reset(&b);
	render_hl7(&b, &v, &o);
	ck_assert_str_eq(sb_str(&b),
		"PID|1||||A^B||19850612|||||||||||||||||||||||||PROV\n"
		"PID|2||185067511512380^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS||C^D||"
		"19850612|||||||||||||||||||||||||PROV\n");
	sb_reset(&b);
	render_fhir(&b, &v, &o);
	/* one identifier, the second Patient's */
	ck_assert_ptr_nonnull(strstr(sb_str(&b), "\"value\":\"185067511512380\""));
	ck_assert_ptr_null(strstr(sb_str(&b), "185067511512381"));
	sb_reset(&b);
	render_text(&b, &v, &o);
	ck_assert_ptr_nonnull(strstr(sb_str(&b),
		"NIR:         1 85 06 75 115 123 81 (WRONG KEY: 81, the number gives 80)"));
	ck_assert_ptr_nonnull(strstr(sb_str(&b), "INS:         none (the NIR does not check)"));
	sb_free(&b);
}
END_TEST

START_TEST(test_hl7_escaping)
{
	static const char *const rows[][4] = {
		{ "A|B^C", "D~E\\F&G", "19850000", "" },
	};
	static struct vcard v;
	struct render_opts o = { STC_INS_NIR_TEST };
	struct sbuf b;

	card(&v, 1, rows);
	sb_init(&b);
	render_hl7(&b, &v, &o);
	/* lunar birth date: no PID-7; no NIR: no PID-3 */
	ck_assert_str_eq(sb_str(&b),
		"PID|1||||A\\F\\B\\S\\C^D\\R\\E\\E\\F\\T\\G|||||||||||||||||||||||||||PROV\n");
	sb_free(&b);
}
END_TEST

START_TEST(test_error_documents)
{
	static struct vcard v;
	struct render_opts o = { STC_INS_NIR_TEST };
	struct sbuf b;

	memset(&v, 0, sizeof(v));
	strcpy(v.reader, "R");
	v.kind = STC_CARD_CPS3;
	strcpy(v.card_name, "CPS3 (contact)");
	v.result = VC_NOT_VITALE;
	v.rv = STC_ERR_CARD_UNSUPPORTED;
	sb_init(&b);
	render_json_card(&b, &v, &o);
	ck_assert_str_eq(sb_str(&b),
		"{\"schema\":1,\"event\":\"error\",\"reader\":\"R\",\"card\":{\"type\":\"cps3\","
		"\"name\":\"CPS3 (contact)\",\"atr\":\"\"},\"error\":\"not-vitale\","
		"\"detail\":\"STC_ERR_CARD_UNSUPPORTED\",\"message\":\"the card is not a carte "
		"Vitale (CPS3 (contact))\"}");
	sb_reset(&b);
	v.result = VC_UNREADABLE;
	v.rv = STC_ERR_INVALID_DATA;
	render_json_card(&b, &v, &o);
	ck_assert_ptr_nonnull(strstr(sb_str(&b), "\"error\":\"unreadable\""));
	ck_assert_ptr_nonnull(strstr(sb_str(&b), "(corrupt TLV)"));
	sb_reset(&b);
	render_json_removed(&b, "R");
	ck_assert_str_eq(sb_str(&b), "{\"schema\":1,\"event\":\"removed\",\"reader\":\"R\"}");
	sb_free(&b);
}
END_TEST

static enum http_parse parse(const char *s, struct http_req *r)
{
	return http_parse_request(s, strlen(s), 8192, r);
}

START_TEST(test_http_parse)
{
	struct http_req r;
	char big[9000];

	ck_assert_int_eq(parse("GET /state?x=1 HTTP/1.1\r\nHost:  127.0.0.1:8765 \r\n\r\n", &r),
			 HTTP_OK);
	ck_assert_str_eq(r.path, "/state");
	ck_assert_str_eq(r.host, "127.0.0.1:8765");
	ck_assert_int_eq(parse("GET / HTTP/1.0\n\n", &r), HTTP_OK);
	ck_assert_str_eq(r.host, "");
	ck_assert_int_eq(parse("GET / HTTP/1.1\r\nHost: a\r\n", &r), HTTP_INCOMPLETE);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\n\r\n", &r), HTTP_BAD_METHOD);
	ck_assert_int_eq(parse("HEAD / HTTP/1.1\r\n\r\n", &r), HTTP_BAD_METHOD);
	ck_assert_int_eq(parse("get / HTTP/1.1\r\n\r\n", &r), HTTP_BAD);
	ck_assert_int_eq(parse("GET / HTTP/2.0\r\n\r\n", &r), HTTP_BAD_VERSION);
	ck_assert_int_eq(parse("GET http://x/ HTTP/1.1\r\n\r\n", &r), HTTP_BAD);
	ck_assert_int_eq(parse("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", &r), HTTP_BAD);
	ck_assert_int_eq(parse("GET / HTTP/1.1\r\nHost : a\r\n\r\n", &r), HTTP_BAD);
	ck_assert_int_eq(parse("GET / HTTP/1.1\r\nno colon\r\n\r\n", &r), HTTP_BAD);
	ck_assert_int_eq(parse("\r\n\r\n", &r), HTTP_BAD);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	ck_assert_int_eq(parse(big, &r), HTTP_TOO_LARGE);
}
END_TEST

START_TEST(test_http_host)
{
	ck_assert(http_host_ok("127.0.0.1:8765", 8765, NULL));
	ck_assert(http_host_ok("LOCALHOST:8765", 8765, NULL));
	ck_assert(http_host_ok("[::1]:8765", 8765, NULL));
	ck_assert(http_host_ok("localhost", 80, NULL));
	ck_assert(!http_host_ok("localhost", 8765, NULL));
	ck_assert(!http_host_ok("127.0.0.1:8766", 8765, NULL));
	ck_assert(!http_host_ok("evil.example:8765", 8765, NULL));
	ck_assert(!http_host_ok("", 8765, NULL));
	ck_assert(http_host_ok("192.0.2.7:8080", 8080, "192.0.2.7:8080"));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("santecard-vitale");
	TCase *tc = tcase_create("render");

	tcase_add_test(tc, test_birth_iso);
	tcase_add_test(tc, test_json_escaping_and_fields);
	tcase_add_test(tc, test_wrong_key_everywhere);
	tcase_add_test(tc, test_hl7_escaping);
	tcase_add_test(tc, test_error_documents);
	suite_add_tcase(s, tc);
	tc = tcase_create("http");
	tcase_add_test(tc, test_http_parse);
	tcase_add_test(tc, test_http_host);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(suite());
}
