/*
 * check_psc.c - santecard-psc's pure parts: ID token validation (each rule
 * broken once, with tokens signed here by OpenSSL with a fresh RSA key), the
 * token store (modes, atomic replacement, refusal of a file open to others),
 * the stored record and the refresh margin, and the loopback's query parsing.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <ftw.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "check_util.h"
#include "jose.h"
#include "psc.h"

#define ISS "https://localhost:1/auth/realms/esante-wallet"
#define CID "santecard-psc-mtls"
#define NOW 1800000000LL

static EVP_PKEY *key, *other_key;

static char *bn_b64(EVP_PKEY *k, const char *name)
{
	BIGNUM *bn = NULL;
	uint8_t buf[1024];
	int n;
	char *s;

	ck_assert(EVP_PKEY_get_bn_param(k, name, &bn) == 1);
	n = BN_bn2bin(bn, buf);
	BN_free(bn);
	s = b64url_encode(buf, (size_t)n);
	ck_assert_ptr_nonnull(s);
	return s;
}

/* {"keys":[{kty RSA, kid, use sig, alg}]} for k (alg NULL: none). */
static json_t *jwks_of(EVP_PKEY *k, const char *kid, const char *alg)
{
	char *n = bn_b64(k, OSSL_PKEY_PARAM_RSA_N), *e = bn_b64(k, OSSL_PKEY_PARAM_RSA_E);
	json_t *jwk = json_pack("{s:s,s:s,s:s,s:s,s:s}", "kty", "RSA", "n", n, "e", e, "use", "sig",
				"kid", kid);

	if (alg)
		json_object_set_new(jwk, "alg", json_string(alg));
	free(n);
	free(e);
	return json_pack("{s:[o]}", "keys", jwk);
}

/* A compact JWS over claims with header {alg, kid}; alg PS256 uses PSS. */
static char *sign_jwt(EVP_PKEY *k, const char *alg, const char *kid, json_t *claims)
{
	json_t *hdr = json_pack("{s:s}", "alg", alg);
	char *h, *p, *hb, *pb, *input, *sb, *out;
	uint8_t sig[512];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;

	if (kid)
		json_object_set_new(hdr, "kid", json_string(kid));
	h = json_dumps(hdr, JSON_COMPACT);
	p = json_dumps(claims, JSON_COMPACT);
	hb = b64url_encode((const uint8_t *)h, strlen(h));
	pb = b64url_encode((const uint8_t *)p, strlen(p));
	ck_assert(asprintf(&input, "%s.%s", hb, pb) > 0);
	if (!strcmp(alg, "none") || !strncmp(alg, "HS", 2)) {
		/* garbage "signature": these must be refused before any check */
		sb = strdup("AAAA");
	} else {
		ck_assert(EVP_DigestSignInit(md, &pctx, EVP_sha256(), NULL, k) == 1);
		if (alg[0] == 'P') {
			EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
			EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
		}
		ck_assert(EVP_DigestSign(md, sig, &siglen, (const uint8_t *)input, strlen(input)) == 1);
		sb = b64url_encode(sig, siglen);
	}
	ck_assert(asprintf(&out, "%s.%s", input, sb) > 0);
	EVP_MD_CTX_free(md);
	json_decref(hdr);
	free(h);
	free(p);
	free(hb);
	free(pb);
	free(input);
	free(sb);
	return out;
}

static json_t *good_claims(void)
{
	return json_pack("{s:s,s:s,s:s,s:I,s:I,s:s,s:[s]}", "iss", ISS, "aud", CID,
			 "sub", "f:uuid:899700012345", "exp", (json_int_t)(NOW + 300),
			 "iat", (json_int_t)(NOW - 5), "nonce", "n0nce", "amr", "card");
}

/* Check a token made from claims (decref'd here); returns the error or "" on success. */
static char err[512];
static const char *try_claims(json_t *claims, const char *alg, const char *kid,
			      const char *nonce, long skew)
{
	json_t *jwks = jwks_of(key, "k1", "RS256"), *out = NULL;
	char *jwt = sign_jwt(key, alg, kid, claims);
	int rc;

	err[0] = '\0';
	rc = psc_idtoken_check(jwt, jwks, ISS, CID, nonce, NOW, skew, &out, err, sizeof(err));
	if (rc == 0) {
		ck_assert_ptr_nonnull(out);
		err[0] = '\0';
	} else {
		ck_assert_ptr_null(out);
		ck_assert_str_ne(err, "");
	}
	json_decref(out);
	json_decref(jwks);
	json_decref(claims);
	free(jwt);
	return rc == 0 ? "" : err;
}

#define ck_refused(expr, needle) do { \
	const char *e_ = (expr); \
	ck_assert_msg(strstr(e_, needle) != NULL, "expected \"%s\" in \"%s\"", needle, e_); \
} while (0)

START_TEST(t_valid)
{
	ck_assert_str_eq(try_claims(good_claims(), "RS256", "k1", "n0nce", 60), "");
	/* no nonce expected (CIBA): a token without one is fine */
	json_t *c = good_claims();

	json_object_del(c, "nonce");
	ck_assert_str_eq(try_claims(c, "RS256", "k1", NULL, 60), "");
	/* aud as an array with azp */
	c = good_claims();
	json_object_set_new(c, "aud", json_pack("[s,s]", CID, "other"));
	json_object_set_new(c, "azp", json_string(CID));
	ck_assert_str_eq(try_claims(c, "RS256", "k1", "n0nce", 60), "");
}
END_TEST

START_TEST(t_issuer)
{
	json_t *c = good_claims();

	json_object_set_new(c, "iss", json_string("https://evil.example/auth/realms/esante-wallet"));
	ck_refused(try_claims(c, "RS256", "k1", "n0nce", 60), "wrong issuer");
	c = good_claims();
	json_object_del(c, "iss");
	ck_refused(try_claims(c, "RS256", "k1", "n0nce", 60), "wrong issuer");
}
END_TEST

START_TEST(t_audience)
{
	json_t *c = good_claims();

	json_object_set_new(c, "aud", json_string("another-client"));
	ck_refused(try_claims(c, "RS256", "k1", "n0nce", 60), "audience");
	c = good_claims();
	json_object_set_new(c, "aud", json_pack("[s,s]", CID, "other"));
	ck_refused(try_claims(c, "RS256", "k1", "n0nce", 60), "no azp");
	c = good_claims();
	json_object_set_new(c, "azp", json_string("other"));
	ck_refused(try_claims(c, "RS256", "k1", "n0nce", 60), "azp");
}
END_TEST

START_TEST(t_times)
{
	json_t *c = good_claims();

	/* expired 100 s ago: refused with 60 s of skew, accepted with 120 */
	json_object_set_new(c, "exp", json_integer(NOW - 100));
	ck_refused(try_claims(json_deep_copy(c), "RS256", "k1", "n0nce", 60), "expired");
	ck_assert_str_eq(try_claims(c, "RS256", "k1", "n0nce", 120), "");
	c = good_claims();
	json_object_set_new(c, "iat", json_integer(NOW + 90));
	ck_refused(try_claims(c, "RS256", "k1", "n0nce", 60), "future");
	c = good_claims();
	json_object_del(c, "exp");
	ck_refused(try_claims(c, "RS256", "k1", "n0nce", 60), "no exp");
	c = good_claims();
	json_object_set_new(c, "nbf", json_integer(NOW + 600));
	ck_refused(try_claims(c, "RS256", "k1", "n0nce", 60), "nbf");
}
END_TEST

START_TEST(t_nonce)
{
	ck_refused(try_claims(good_claims(), "RS256", "k1", "another", 60), "nonce");
	json_t *c = good_claims();

	json_object_del(c, "nonce");
	ck_refused(try_claims(c, "RS256", "k1", "n0nce", 60), "no nonce");
}
END_TEST

START_TEST(t_alg)
{
	ck_refused(try_claims(good_claims(), "none", "k1", "n0nce", 60), "alg none");
	ck_refused(try_claims(good_claims(), "HS256", "k1", "n0nce", 60), "HS256");
	ck_refused(try_claims(good_claims(), "ES256", "k1", "n0nce", 60), "not accepted");
	/* the JWKS says the key is for RS256: a PS256 token with it is refused */
	ck_refused(try_claims(good_claims(), "PS256", "k1", "n0nce", 60), "its key is for RS256");
}
END_TEST

START_TEST(t_ps256)
{
	/* a key without "alg": PS256 is allowed, and verified as PSS */
	json_t *jwks = jwks_of(key, "k1", NULL), *claims = good_claims(), *out = NULL;
	char *jwt = sign_jwt(key, "PS256", "k1", claims);

	ck_assert_int_eq(psc_idtoken_check(jwt, jwks, ISS, CID, "n0nce", NOW, 60, &out, err,
					   sizeof(err)), 0);
	json_decref(out);
	json_decref(jwks);
	json_decref(claims);
	free(jwt);
}
END_TEST

START_TEST(t_signature)
{
	json_t *jwks = jwks_of(key, "k1", "RS256"), *claims = good_claims(), *out = NULL;
	char *jwt = sign_jwt(other_key, "RS256", "k1", claims), *forged;
	char *d1, *d2;

	/* signed by another key under the same kid */
	ck_assert_int_eq(psc_idtoken_check(jwt, jwks, ISS, CID, "n0nce", NOW, 60, &out, err,
					   sizeof(err)), -1);
	ck_refused(err, "bad signature");
	free(jwt);
	/* a payload changed after signing */
	jwt = sign_jwt(key, "RS256", "k1", claims);
	d1 = strchr(jwt, '.');
	d2 = strchr(d1 + 1, '.');
	{
		json_t *evil = good_claims();
		char *p, *pb;

		json_object_set_new(evil, "sub", json_string("f:uuid:899700099999"));
		p = json_dumps(evil, JSON_COMPACT);
		pb = b64url_encode((const uint8_t *)p, strlen(p));
		ck_assert(asprintf(&forged, "%.*s.%s%s", (int)(d1 - jwt), jwt, pb, d2) > 0);
		free(p);
		free(pb);
		json_decref(evil);
	}
	ck_assert_int_eq(psc_idtoken_check(forged, jwks, ISS, CID, "n0nce", NOW, 60, &out, err,
					   sizeof(err)), -1);
	ck_refused(err, "bad signature");
	ck_assert_int_eq(psc_idtoken_check("abc.def", jwks, ISS, CID, NULL, NOW, 60, &out, err,
					   sizeof(err)), -1);
	ck_refused(err, "three parts");
	ck_assert_int_eq(psc_idtoken_check(NULL, jwks, ISS, CID, NULL, NOW, 60, &out, err,
					   sizeof(err)), -1);
	free(forged);
	free(jwt);
	json_decref(claims);
	json_decref(jwks);
}
END_TEST

START_TEST(t_kid)
{
	ck_refused(try_claims(good_claims(), "RS256", "nope", "n0nce", 60), "no key with kid");
	/* no kid: the only RSA key of the JWKS */
	ck_assert_str_eq(try_claims(good_claims(), "RS256", NULL, "n0nce", 60), "");
}
END_TEST

/* ------------------------------------------------------------ token store */

static char tmpdir[64];

static void store_setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_psc.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void store_teardown(void)
{
	ck_assert_int_eq(nftw(tmpdir, rm_one, 8, FTW_DEPTH | FTW_PHYS), 0);
}

START_TEST(t_store_modes)
{
	char dir[128], file[160];
	struct stat st;
	json_t *t = json_pack("{s:s,s:s}", "access_token", "at", "refresh_token", "rt"), *back;
	DIR *d;
	struct dirent *de;
	int n = 0;

	snprintf(dir, sizeof(dir), "%s/state/santecard/psc", tmpdir);
	snprintf(file, sizeof(file), "%s/tokens.json", dir);
	ck_assert_int_eq(psc_store_save(dir, t, err, sizeof(err)), 0);
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0700);
	snprintf(dir, sizeof(dir), "%s/state/santecard", tmpdir);
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0700);
	ck_assert_int_eq(stat(file, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	snprintf(dir, sizeof(dir), "%s/state/santecard/psc", tmpdir);
	/* replaced, not appended; no temporary file left */
	json_object_set_new(t, "access_token", json_string("at2"));
	ck_assert_int_eq(psc_store_save(dir, t, err, sizeof(err)), 0);
	ck_assert_int_eq(psc_store_load(dir, &back, err, sizeof(err)), 0);
	ck_assert_str_eq(json_string_value(json_object_get(back, "access_token")), "at2");
	json_decref(back);
	d = opendir(dir);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' || strlen(de->d_name) > 2)
			n++;
	closedir(d);
	ck_assert_int_eq(n, 1);
	/* a directory too open is tightened */
	ck_assert_int_eq(chmod(dir, 0755), 0);
	ck_assert_int_eq(psc_store_save(dir, t, err, sizeof(err)), 0);
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0700);
	/* a file others can read is refused */
	ck_assert_int_eq(chmod(file, 0644), 0);
	ck_assert_int_eq(psc_store_load(dir, &back, err, sizeof(err)), -1);
	ck_refused(err, "open to other users");
	ck_assert_ptr_null(back);
	/* removed: not logged in */
	ck_assert_int_eq(psc_store_remove(dir, err, sizeof(err)), 0);
	ck_assert_int_eq(psc_store_load(dir, &back, err, sizeof(err)), 1);
	ck_assert_int_eq(psc_store_remove(dir, err, sizeof(err)), 0);
	json_decref(t);
}
END_TEST

START_TEST(t_store_damaged)
{
	char dir[128], file[160];
	FILE *f;
	json_t *back;

	snprintf(dir, sizeof(dir), "%s/psc", tmpdir);
	ck_assert_int_eq(psc_store_prepare(dir, err, sizeof(err)), 0);
	snprintf(file, sizeof(file), "%s/tokens.json", dir);
	f = fopen(file, "w");
	fputs("{\"access_token\": ", f);
	fclose(f);
	ck_assert_int_eq(chmod(file, 0600), 0);
	ck_assert_int_eq(psc_store_load(dir, &back, err, sizeof(err)), -1);
	ck_refused(err, "damaged");
}
END_TEST

START_TEST(t_store_dir)
{
	char *d;

	setenv("XDG_STATE_HOME", "/x/state", 1);
	d = psc_store_dir();
	ck_assert_str_eq(d, "/x/state/santecard/psc");
	free(d);
	/* a relative XDG path is ignored (XDG base directory spec) */
	setenv("XDG_STATE_HOME", "rel", 1);
	setenv("HOME", "/home/u", 1);
	d = psc_store_dir();
	ck_assert_str_eq(d, "/home/u/.local/state/santecard/psc");
	free(d);
}
END_TEST

START_TEST(t_record)
{
	json_t *first = json_pack("{s:s,s:s,s:i,s:s,s:s}", "access_token", "a1", "token_type",
				  "Bearer", "expires_in", 120, "refresh_token", "r1", "id_token", "i1");
	json_t *claims = json_pack("{s:s}", "sub", "s");
	json_t *rec = psc_store_record(first, NULL, ISS, CID, "ecps", claims, NOW);
	json_t *again = json_pack("{s:s,s:i}", "access_token", "a2", "expires_in", 8), *rec2;

	ck_assert_int_eq(json_integer_value(json_object_get(rec, "expires_at")), NOW + 120);
	ck_assert_int_eq(psc_refresh_margin(rec), 30);
	/* a refresh answer without refresh or ID token keeps the old ones */
	rec2 = psc_store_record(again, rec, ISS, CID, NULL, NULL, NOW + 100);
	ck_assert_str_eq(json_string_value(json_object_get(rec2, "access_token")), "a2");
	ck_assert_str_eq(json_string_value(json_object_get(rec2, "refresh_token")), "r1");
	ck_assert_str_eq(json_string_value(json_object_get(rec2, "id_token")), "i1");
	ck_assert_str_eq(json_string_value(json_object_get(rec2, "method")), "ecps");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(rec2, "id_claims"),
							   "sub")), "s");
	ck_assert_int_eq(json_integer_value(json_object_get(rec2, "logged_in_at")), NOW);
	ck_assert_int_eq(psc_refresh_margin(rec2), 2);
	json_decref(first);
	json_decref(claims);
	json_decref(rec);
	json_decref(again);
	json_decref(rec2);
}
END_TEST

START_TEST(t_query)
{
	char *v;

	v = psc_query_get("code=abc%2Fd+e&state=xyz", "code");
	ck_assert_str_eq(v, "abc/d e");
	free(v);
	v = psc_query_get("code=abc&state=xyz", "state");
	ck_assert_str_eq(v, "xyz");
	free(v);
	ck_assert_ptr_null(psc_query_get("codex=1&xstate=2", "state"));
	ck_assert_ptr_null(psc_query_get("state=%zz", "state"));
	ck_assert_ptr_null(psc_query_get("state=%4", "state"));
	ck_assert_ptr_null(psc_query_get("state=a%00b", "state"));
	v = psc_query_get("error", "error");
	ck_assert_str_eq(v, "");
	free(v);
}
END_TEST

/* ------------------------------------------------------------ loopback */

/* A child sends each request in reqs (NULL-terminated) to the listener, one
 * connection each, and reads the answers; the parent waits for the callback. */
static int loopback_run(const char *const *reqs, long timeout_s, char **code)
{
	struct psc_loopback lb;
	char e[128];
	pid_t pid;
	int rc, st;

	ck_assert_int_eq(psc_loopback_open(&lb, e, sizeof(e)), 0);
	ck_assert_uint_gt(lb.port, 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		for (size_t i = 0; reqs[i]; i++) {
			struct sockaddr_in a = { .sin_family = AF_INET,
						 .sin_port = htons((uint16_t)lb.port),
						 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
			int fd = socket(AF_INET, SOCK_STREAM, 0);
			char buf[2048];

			if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
				_exit(1);
			if (write(fd, reqs[i], strlen(reqs[i])) < 0)
				_exit(1);
			while (read(fd, buf, sizeof(buf)) > 0)
				;
			close(fd);
		}
		_exit(0);
	}
	rc = psc_loopback_wait(&lb, "st4te", ISS, timeout_s, code);
	psc_loopback_close(&lb);
	waitpid(pid, &st, 0);
	return rc;
}

#define REQ(target) "GET " target " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"

START_TEST(t_loopback)
{
	const char *good[] = { REQ("/favicon.ico"), REQ("/callback?code=c0de%2B1&state=st4te&iss="
				"https%3A%2F%2Flocalhost%3A1%2Fauth%2Frealms%2Fesante-wallet"), NULL };
	const char *bad_state[] = { REQ("/callback?code=c0de&state=other"), NULL };
	const char *no_state[] = { REQ("/callback?code=c0de"), NULL };
	const char *bad_iss[] = { REQ("/callback?code=c0de&state=st4te&iss=https%3A%2F%2Fevil"), NULL };
	const char *denied[] = { REQ("/callback?error=access_denied&state=st4te"), NULL };
	const char *garbage[] = { "\x01\x02 not http\r\n\r\n", REQ("/callback?state=st4te"), NULL };
	const char *none[] = { NULL };
	char *code = NULL;

	ck_assert_int_eq(loopback_run(good, 10, &code), 0);
	ck_assert_str_eq(code, "c0de+1");
	free(code);
	ck_assert_int_eq(loopback_run(bad_state, 10, &code), PSC_EXIT_ERROR);
	ck_assert_ptr_null(code);
	ck_assert_int_eq(loopback_run(no_state, 10, &code), PSC_EXIT_ERROR);
	ck_assert_int_eq(loopback_run(bad_iss, 10, &code), PSC_EXIT_ERROR);
	ck_assert_int_eq(loopback_run(denied, 10, &code), PSC_EXIT_DENIED);
	/* a garbage request is answered 404 and ignored; a callback without code fails */
	ck_assert_int_eq(loopback_run(garbage, 10, &code), PSC_EXIT_ERROR);
	ck_assert_ptr_null(code);
	ck_assert_int_eq(loopback_run(none, 1, &code), PSC_EXIT_EXPIRED);
}
END_TEST

static void keys_setup(void)
{
	key = EVP_RSA_gen(2048);
	other_key = EVP_RSA_gen(2048);
	ck_assert_ptr_nonnull(key);
	ck_assert_ptr_nonnull(other_key);
}

static void keys_teardown(void)
{
	EVP_PKEY_free(key);
	EVP_PKEY_free(other_key);
}

int main(void)
{
	Suite *s = suite_create("psc");
	TCase *tc = tcase_create("idtoken");
	int rc;

	tcase_add_unchecked_fixture(tc, keys_setup, keys_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, t_valid);
	tcase_add_test(tc, t_issuer);
	tcase_add_test(tc, t_audience);
	tcase_add_test(tc, t_times);
	tcase_add_test(tc, t_nonce);
	tcase_add_test(tc, t_alg);
	tcase_add_test(tc, t_ps256);
	tcase_add_test(tc, t_signature);
	tcase_add_test(tc, t_kid);
	suite_add_tcase(s, tc);
	tc = tcase_create("store");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, store_setup, store_teardown);
	tcase_add_test(tc, t_store_modes);
	tcase_add_test(tc, t_store_damaged);
	tcase_add_test(tc, t_store_dir);
	tcase_add_test(tc, t_record);
	tcase_add_test(tc, t_query);
	tcase_add_test(tc, t_loopback);
	suite_add_tcase(s, tc);
	rc = run_suite(s);
	return rc;
}
