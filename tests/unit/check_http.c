/*
 * check_http.c - src/tools/common/http.c's helpers that need no server: form
 * encoding, percent-encoding, the error texts, the card's pkcs11: URIs
 * (RFC 7512) and argument checks. test_http_card.sh does the requests.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "check_util.h"

START_TEST(test_escape)
{
	char *s = http_escape("a b&c=d/é~-._");

	ck_assert_str_eq(s, "a%20b%26c%3Dd%2F%C3%A9~-._");
	free(s);
	s = http_escape("");
	ck_assert_str_eq(s, "");
	free(s);
	ck_assert_ptr_null(http_escape(NULL));
}
END_TEST

START_TEST(test_form)
{
	static const char *const pairs[] = {"grant_type", "authorization_code", "code", "a+b/c",
					    "redirect_uri", "http://127.0.0.1:5000/callback", NULL};
	static const char *const none[] = {NULL};
	char *s = http_form(pairs);

	ck_assert_str_eq(s, "grant_type=authorization_code&code=a%2Bb%2Fc&"
			    "redirect_uri=http%3A%2F%2F127.0.0.1%3A5000%2Fcallback");
	free(s);
	s = http_form(none);
	ck_assert_str_eq(s, "");
	free(s);
	ck_assert_ptr_null(http_form(NULL));
}
END_TEST

START_TEST(test_rv_text)
{
	int rv;

	for (rv = HTTP_OK; rv <= HTTP_ERR_OTHER; rv++)
		ck_assert(*http_rv_text((enum http_rv)rv));
	ck_assert_str_eq(http_rv_text(HTTP_ERR_CLIENT_KEY),
			 "the client certificate or key cannot be used");
}
END_TEST

START_TEST(test_card_uris)
{
	char *c, *k;

	ck_assert_int_eq(http_card_auth_uris("0000019921000101", "CPS3v3-9921000101", &c, &k), 0);
	ck_assert_str_eq(c, "pkcs11:token=CPS3v3-9921000101;serial=0000019921000101;"
			    "object=Certificat%20d%27Authentification%20CPS;type=cert");
	ck_assert_str_eq(k, "pkcs11:token=CPS3v3-9921000101;serial=0000019921000101;"
			    "object=CPS_PRIV_AUT;type=private");
	free(c);
	free(k);
	/* the TokenInfo serial as the token layer gives it: the module shows its
	 * last 16 characters; the label's trailing blanks go; ';' and '%' encoded */
	ck_assert_int_eq(http_card_auth_uris("80250000010000019921000101", "Dr A;B 100% ", &c, &k), 0);
	ck_assert_str_eq(c, "pkcs11:token=Dr%20A%3BB%20100%25;serial=0000019921000101;"
			    "object=Certificat%20d%27Authentification%20CPS;type=cert");
	free(c);
	free(k);
	/* nothing to name the token: any card */
	ck_assert_int_eq(http_card_auth_uris(NULL, "", &c, &k), 0);
	ck_assert_str_eq(k, "pkcs11:object=CPS_PRIV_AUT;type=private");
	free(c);
	free(k);
	ck_assert_int_eq(http_card_auth_uris("1", "x", NULL, &k), -1);
}
END_TEST

START_TEST(test_bad_args)
{
	struct http_request req = {.method = "GET", .url = "https://127.0.0.1:1/"};
	struct http_tls tls = {.auth = HTTP_AUTH_CARD};
	struct http_response r;
	char err[256];
	static const char *const bad_hdr[] = {"X-A: 1\r\nX-B: 2", NULL};
	static const char *const no_colon[] = {"X-A 1", NULL};

	ck_assert_int_eq(http_global_init(), 0);
	/* card without URIs */
	ck_assert_int_eq(http_do(&tls, &req, &r, err, sizeof(err)), HTTP_ERR_USAGE);
	/* card URIs that are not pkcs11: URIs */
	tls.p11_cert_uri = "/tmp/cert.pem";
	tls.p11_key_uri = "/tmp/key.pem";
	ck_assert_int_eq(http_do(&tls, &req, &r, err, sizeof(err)), HTTP_ERR_CLIENT_KEY);
	ck_assert_str_eq(err, "card: the certificate and key must be pkcs11: URIs");
	/* files that are not there */
	tls.auth = HTTP_AUTH_FILES;
	tls.cert_file = "/nonexistent/cert.pem";
	tls.key_file = "/nonexistent/key.pem";
	ck_assert_int_eq(http_do(&tls, &req, &r, err, sizeof(err)), HTTP_ERR_CLIENT_KEY);
	tls.auth = (enum http_client_auth)7;
	ck_assert_int_eq(http_do(&tls, &req, &r, err, sizeof(err)), HTTP_ERR_USAGE);
	/* header lines */
	req.headers = bad_hdr;
	ck_assert_int_eq(http_do(NULL, &req, &r, err, sizeof(err)), HTTP_ERR_USAGE);
	req.headers = no_colon;
	ck_assert_int_eq(http_do(NULL, &req, &r, err, sizeof(err)), HTTP_ERR_USAGE);
	req.headers = NULL;
	/* a body length without a body, no URL, a bad URL */
	req.body_len = 3;
	ck_assert_int_eq(http_do(NULL, &req, &r, err, sizeof(err)), HTTP_ERR_USAGE);
	req.body_len = 0;
	req.url = NULL;
	ck_assert_int_eq(http_do(NULL, &req, &r, err, sizeof(err)), HTTP_ERR_USAGE);
	req.url = "not a url";
	ck_assert_int_eq(http_do(NULL, &req, &r, err, sizeof(err)), HTTP_ERR_USAGE);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_null(r.body);
	req.url = "https://127.0.0.1:1/";
	tls.auth = HTTP_AUTH_NONE;
	tls.ca_file = "/nonexistent/ca.pem";
	ck_assert_int_eq(http_do(&tls, &req, &r, err, sizeof(err)), HTTP_ERR_USAGE);
	ck_assert_str_eq(err, "CA file /nonexistent/ca.pem: not readable");
	/* nothing listens on port 1 */
	ck_assert_int_eq(http_do(NULL, &req, &r, err, sizeof(err)), HTTP_ERR_CONNECT);
	http_response_free(&r);
	http_response_free(NULL);
	http_global_cleanup();
}
END_TEST

static Suite *http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("helpers");

	tcase_add_test(tc, test_escape);
	tcase_add_test(tc, test_form);
	tcase_add_test(tc, test_rv_text);
	tcase_add_test(tc, test_card_uris);
	tcase_add_test(tc, test_bad_args);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(http_suite());
}
