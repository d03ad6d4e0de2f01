/*
 * check_jose.c - src/tools/common's JOSE pieces: base64/base64url (RFC 4648
 * vectors), JCS (RFC 8785 §3.2.2, §3.2.3 and appendix B numbers), compact JWS
 * RS256 with a software key (and python3-jwcrypto as the independent
 * verifier), JWK/JWKS, and x5c chains against the test PKI (make pki).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "jose.h"
#include "check_util.h"

/* ---------------------------------------------------------------- base64 */

static const struct {
	const char *raw, *b64, *b64url;
} b64_vectors[] = { /* RFC 4648 §10 */
	{"", "", ""},
	{"f", "Zg==", "Zg"},
	{"fo", "Zm8=", "Zm8"},
	{"foo", "Zm9v", "Zm9v"},
	{"foob", "Zm9vYg==", "Zm9vYg"},
	{"fooba", "Zm9vYmE=", "Zm9vYmE"},
	{"foobar", "Zm9vYmFy", "Zm9vYmFy"},
};

START_TEST(test_b64_vectors)
{
	size_t i, n;

	for (i = 0; i < sizeof(b64_vectors) / sizeof(b64_vectors[0]); i++) {
		const char *raw = b64_vectors[i].raw;
		char *e = b64_encode((const uint8_t *)raw, strlen(raw));
		char *u = b64url_encode((const uint8_t *)raw, strlen(raw));
		uint8_t *d;

		ck_assert_str_eq(e, b64_vectors[i].b64);
		ck_assert_str_eq(u, b64_vectors[i].b64url);
		d = b64_decode(e, strlen(e), &n);
		ck_assert_ptr_nonnull(d);
		ck_assert_uint_eq(n, strlen(raw));
		ck_assert(memcmp(d, raw, n) == 0);
		free(d);
		d = b64url_decode(u, strlen(u), &n);
		ck_assert_ptr_nonnull(d);
		ck_assert_uint_eq(n, strlen(raw));
		ck_assert(memcmp(d, raw, n) == 0);
		free(d);
		/* base64url tolerates the padding */
		d = b64url_decode(e, strlen(e), &n);
		ck_assert_ptr_nonnull(d);
		ck_assert_uint_eq(n, strlen(raw));
		free(d);
		free(e);
		free(u);
	}
}
END_TEST

START_TEST(test_b64_alphabets)
{
	static const uint8_t raw[] = {0xfb, 0xff, 0xbf};
	char *e = b64_encode(raw, 3), *u = b64url_encode(raw, 3);
	size_t n;
	uint8_t *d;

	ck_assert_str_eq(e, "+/+/");
	ck_assert_str_eq(u, "-_-_");
	ck_assert_ptr_null(b64_decode(u, 4, &n));
	ck_assert_ptr_null(b64url_decode(e, 4, &n));
	d = b64url_decode(u, 4, &n);
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(n, 3);
	ck_assert(memcmp(d, raw, 3) == 0);
	free(d);
	free(e);
	free(u);
}
END_TEST

START_TEST(test_b64_bad)
{
	static const char *const bad_std[] = {
		"Zm9v!", "Zg=", "Zg", "Z", "Zh==", "Zm9=", "Zm 9v", "Zm9v\n", "=Zm9", "Zg==Zg==",
		"Z===", "Zm9vY", "Zm9v-_",
	};
	static const char *const bad_url[] = {"Z", "Zh", "Zm9", "Zg=", "Zm9v+", "Zm9v.", "Zg==="};
	size_t i, n;

	for (i = 0; i < sizeof(bad_std) / sizeof(bad_std[0]); i++)
		ck_assert_msg(b64_decode(bad_std[i], strlen(bad_std[i]), &n) == NULL, "%s",
			      bad_std[i]);
	for (i = 0; i < sizeof(bad_url) / sizeof(bad_url[0]); i++)
		ck_assert_msg(b64url_decode(bad_url[i], strlen(bad_url[i]), &n) == NULL, "%s",
			      bad_url[i]);
	/* an embedded NUL is not part of the alphabet */
	ck_assert_ptr_null(b64_decode("Zm\0v", 4, &n));
	ck_assert_ptr_null(b64_decode(NULL, 0, &n));
}
END_TEST

/* ------------------------------------------------------------------- JCS */

static char *jcs_of(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
	char *s;

	ck_assert_msg(j != NULL, "%s: %s", text, e.text);
	s = jcs_dump(j);
	json_decref(j);
	return s;
}

START_TEST(test_jcs_rfc_example)
{
	/* RFC 8785 §3.2.2 */
	static const char in[] =
		"{\n"
		"  \"numbers\": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],\n"
		"  \"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\",\n"
		"  \"literals\": [null, true, false]\n"
		"}";
	static const char out[] =
		"{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
		"\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}";
	char *s = jcs_of(in);

	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, out);
	free(s);
}
END_TEST

START_TEST(test_jcs_sorting)
{
	/* RFC 8785 §3.2.3: UTF-16 code unit order (the emoji's surrogates sort
	 * before U+FB33, unlike in UTF-8 byte order) */
	static const char in[] =
		"{\"\\u20ac\":\"Euro Sign\",\"\\r\":\"Carriage Return\",\"\\ufb33\":\"Hebrew Letter Dalet "
		"With Dagesh\",\"1\":\"One\",\"\\ud83d\\ude00\":\"Emoji: Grinning Face\",\"\\u0080\":"
		"\"Control\",\"\\u00f6\":\"Latin Small Letter O With Diaeresis\"}";
	static const char out[] =
		"{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xc2\x80\":\"Control\",\"\xc3\xb6\":"
		"\"Latin Small Letter O With Diaeresis\",\"\xe2\x82\xac\":\"Euro Sign\",\"\xf0\x9f\x98\x80\":"
		"\"Emoji: Grinning Face\",\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}";
	char *s = jcs_of(in);

	ck_assert_str_eq(s, out);
	free(s);
	/* prefixes sort first; nesting; arrays keep their order */
	s = jcs_of("{\"b\":[3,1,{\"z\":1,\"a\":2}],\"a\":{},\"ab\":[],\"\":\"\"}");
	ck_assert_str_eq(s, "{\"\":\"\",\"a\":{},\"ab\":[],\"b\":[3,1,{\"a\":2,\"z\":1}]}");
	free(s);
}
END_TEST

START_TEST(test_jcs_escaping)
{
	char *s = jcs_of("[\"\\u0000\\u0001\\b\\t\\n\\u000b\\f\\r\\u001f \\u007f/\\u00e9\\\"\\\\\"]");

	ck_assert_str_eq(s, "[\"\\u0000\\u0001\\b\\t\\n\\u000b\\f\\r\\u001f \x7f/\xc3\xa9\\\"\\\\\"]");
	free(s);
}
END_TEST

static const struct {
	uint64_t bits;
	const char *text;
} jcs_numbers[] = { /* RFC 8785 appendix B (all but NaN and Infinity) */
	{0x0000000000000000ull, "0"},
	{0x8000000000000000ull, "0"},
	{0x0000000000000001ull, "5e-324"},
	{0x8000000000000001ull, "-5e-324"},
	{0x7fefffffffffffffull, "1.7976931348623157e+308"},
	{0xffefffffffffffffull, "-1.7976931348623157e+308"},
	{0x4340000000000000ull, "9007199254740992"},
	{0xc340000000000000ull, "-9007199254740992"},
	{0x4430000000000000ull, "295147905179352830000"},
	{0x44b52d02c7e14af5ull, "9.999999999999997e+22"},
	{0x44b52d02c7e14af6ull, "1e+23"},
	{0x44b52d02c7e14af7ull, "1.0000000000000001e+23"},
	{0x444b1ae4d6e2ef4eull, "999999999999999700000"},
	{0x444b1ae4d6e2ef4full, "999999999999999900000"},
	{0x444b1ae4d6e2ef50ull, "1e+21"},
	{0x3eb0c6f7a0b5ed8cull, "9.999999999999997e-7"},
	{0x3eb0c6f7a0b5ed8dull, "0.000001"},
	{0x41b3de4355555553ull, "333333333.3333332"},
	{0x41b3de4355555554ull, "333333333.33333325"},
	{0x41b3de4355555555ull, "333333333.3333333"},
	{0x41b3de4355555556ull, "333333333.3333334"},
	{0x41b3de4355555557ull, "333333333.33333343"},
	{0xbecbf647612f3696ull, "-0.0000033333333333333333"},
	{0x43143ff3c1cb0959ull, "1424953923781206.2"},
};

START_TEST(test_jcs_numbers)
{
	size_t i;

	for (i = 0; i < sizeof(jcs_numbers) / sizeof(jcs_numbers[0]); i++) {
		double d;
		json_t *j;
		char *s;

		memcpy(&d, &jcs_numbers[i].bits, sizeof(d));
		j = json_real(d);
		ck_assert_ptr_nonnull(j);
		s = jcs_dump(j);
		ck_assert_msg(s && !strcmp(s, jcs_numbers[i].text), "%016llx: %s, not %s",
			      (unsigned long long)jcs_numbers[i].bits, s ? s : "NULL",
			      jcs_numbers[i].text);
		free(s);
		json_decref(j);
	}
	/* integers as they are */
	{
		char *s = jcs_of("[0,-1,42,9007199254740993,-9223372036854775808]");

		ck_assert_str_eq(s, "[0,-1,42,9007199254740993,-9223372036854775808]");
		free(s);
	}
	ck_assert_ptr_null(jcs_dump(NULL));
}
END_TEST

/* ------------------------------------------------------------------- JWS */

/* The test PKI (make pki) in the build tree. */
static const char *pki_path(const char *rel)
{
	static char buf[4][600];
	static int i;
	const char *top = getenv("top_builddir");

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/pki/%s", top ? top : ".", rel);
	return buf[i];
}

static EVP_PKEY *read_key(const char *rel)
{
	FILE *f = fopen(pki_path(rel), "r");
	EVP_PKEY *k;

	ck_assert_msg(f != NULL, "%s missing (make pki)", pki_path(rel));
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	ck_assert_ptr_nonnull(k);
	return k;
}

/* The software signer's key: a test PKI key rather than a fresh one (RSA key
 * generation takes seconds under valgrind, in every forked test). */
static EVP_PKEY *test_key(void)
{
	static EVP_PKEY *k;

	if (!k)
		k = read_key("cps-doctor/tech.key.pem");
	return k;
}

static EVP_PKEY *other_key(void)
{
	return read_key("cps-blocked/auth.key.pem");
}

/* The card's part, in software: PKCS#1 v1.5 over a SHA-256 DigestInfo. */
static int soft_sign(void *ctx, const uint8_t sha256[32], uint8_t *sig, size_t *siglen,
		     char *err, size_t errlen)
{
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(ctx, NULL);
	int ok = pc && EVP_PKEY_sign_init(pc) == 1 &&
		 EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) == 1 &&
		 EVP_PKEY_CTX_set_signature_md(pc, EVP_sha256()) == 1 &&
		 EVP_PKEY_sign(pc, sig, siglen, sha256, 32) == 1;

	EVP_PKEY_CTX_free(pc);
	if (!ok)
		snprintf(err, errlen, "soft_sign failed");
	return ok ? 0 : -1;
}

static int failing_sign(void *ctx, const uint8_t sha256[32], uint8_t *sig, size_t *siglen,
			char *err, size_t errlen)
{
	(void)ctx;
	(void)sha256;
	(void)sig;
	(void)siglen;
	snprintf(err, errlen, "card removed");
	return -1;
}

static const char *const rs256[] = {"RS256", NULL};
static const char payload[] = "{\"resourceType\":\"Bundle\",\"type\":\"collection\"}";

static char *make_jws(int detached)
{
	json_t *h = json_pack("{s:s}", "typ", "JOSE");
	char err[256] = "", *jws;

	jws = jws_sign_rs256(h, (const uint8_t *)payload, strlen(payload), detached, soft_sign,
			     test_key(), err, sizeof(err));
	ck_assert_msg(jws != NULL, "%s", err);
	ck_assert_str_eq(json_string_value(json_object_get(h, "alg")), "RS256");
	json_decref(h);
	return jws;
}

START_TEST(test_jws_roundtrip)
{
	char *jws = make_jws(0), err[256] = "";
	json_t *hdr = NULL;
	uint8_t *p = NULL;
	size_t plen = 0;

	ck_assert_int_eq(jws_verify(jws, NULL, 0, test_key(), rs256, &hdr, &p, &plen, err,
				    sizeof(err)), 0);
	ck_assert_str_eq(json_string_value(json_object_get(hdr, "typ")), "JOSE");
	ck_assert_uint_eq(plen, strlen(payload));
	ck_assert(memcmp(p, payload, plen) == 0);
	json_decref(hdr);
	free(p);
	/* the header part is the header's JCS form */
	{
		size_t hl;
		uint8_t *hb = b64url_decode(jws, (size_t)(strchr(jws, '.') - jws), &hl);

		ck_assert_ptr_nonnull(hb);
		ck_assert_uint_eq(hl, strlen("{\"alg\":\"RS256\",\"typ\":\"JOSE\"}"));
		ck_assert(memcmp(hb, "{\"alg\":\"RS256\",\"typ\":\"JOSE\"}", hl) == 0);
		free(hb);
	}
	free(jws);
}
END_TEST

/* flip one character of part `part` (0 header, 1 payload, 2 signature) */
static void flip(char *jws, int part)
{
	char *p = jws;
	int i;

	for (i = 0; i < part; i++)
		p = strchr(p, '.') + 1;
	p += 5;
	*p = *p == 'A' ? 'B' : 'A';
}

START_TEST(test_jws_tampered)
{
	int part;

	for (part = 0; part < 3; part++) {
		char *jws = make_jws(0), err[256] = "";
		json_t *hdr = (json_t *)1;
		uint8_t *p = (uint8_t *)1;

		flip(jws, part);
		ck_assert_int_eq(jws_verify(jws, NULL, 0, test_key(), rs256, &hdr, &p, NULL, err,
					    sizeof(err)), -1);
		ck_assert_ptr_null(hdr);
		ck_assert_ptr_null(p);
		ck_assert_msg(*err, "no message (part %d)", part);
		free(jws);
	}
}
END_TEST

static char *compact(const char *hdr, const char *pl, const char *sig)
{
	char *h = b64url_encode((const uint8_t *)hdr, strlen(hdr));
	char *p = b64url_encode((const uint8_t *)pl, strlen(pl));
	char *s = malloc(strlen(h) + strlen(p) + strlen(sig) + 3);

	sprintf(s, "%s.%s.%s", h, p, sig);
	free(h);
	free(p);
	return s;
}

START_TEST(test_jws_refused_algs)
{
	char err[256] = "", *jws, *good = make_jws(0);
	const char *sig = strrchr(good, '.') + 1;
	static const char *const ps256_only[] = {"PS256", NULL};
	static const char *const with_hs[] = {"RS256", "HS256", "none", NULL};

	/* alg none, with and without a signature part */
	jws = compact("{\"alg\":\"none\"}", payload, "");
	ck_assert_int_eq(jws_verify(jws, NULL, 0, test_key(), with_hs, NULL, NULL, NULL, err,
				    sizeof(err)), -1);
	free(jws);
	jws = compact("{\"alg\":\"none\"}", payload, sig);
	ck_assert_int_eq(jws_verify(jws, NULL, 0, test_key(), rs256, NULL, NULL, NULL, err,
				    sizeof(err)), -1);
	ck_assert_str_eq(err, "JWS: algorithm \"none\" not allowed");
	free(jws);
	/* HS256: refused even when the caller lists it (not an RSA algorithm) */
	jws = compact("{\"alg\":\"HS256\"}", payload, sig);
	ck_assert_int_eq(jws_verify(jws, NULL, 0, test_key(), with_hs, NULL, NULL, NULL, err,
				    sizeof(err)), -1);
	ck_assert_str_eq(err, "JWS: algorithm \"HS256\" not allowed");
	free(jws);
	/* RS256 when only PS256 is allowed */
	ck_assert_int_eq(jws_verify(good, NULL, 0, test_key(), ps256_only, NULL, NULL, NULL, err,
				    sizeof(err)), -1);
	/* crit */
	jws = compact("{\"alg\":\"RS256\",\"crit\":[\"b64\"],\"b64\":false}", payload, sig);
	ck_assert_int_eq(jws_verify(jws, NULL, 0, test_key(), rs256, NULL, NULL, NULL, err,
				    sizeof(err)), -1);
	ck_assert_str_eq(err, "JWS: critical header parameters not supported");
	free(jws);
	/* not three parts, header not JSON */
	ck_assert_int_eq(jws_verify("abc.def", NULL, 0, test_key(), rs256, NULL, NULL, NULL, err,
				    sizeof(err)), -1);
	ck_assert_int_eq(jws_verify("a.b.c.d", NULL, 0, test_key(), rs256, NULL, NULL, NULL, err,
				    sizeof(err)), -1);
	jws = compact("not json", payload, sig);
	ck_assert_int_eq(jws_verify(jws, NULL, 0, test_key(), rs256, NULL, NULL, NULL, err,
				    sizeof(err)), -1);
	ck_assert_str_eq(err, "JWS: the header is not a JSON object");
	free(jws);
	free(good);
}
END_TEST

START_TEST(test_jws_detached)
{
	char *jws = make_jws(1), err[256] = "";
	const char *d1 = strchr(jws, '.');
	uint8_t *p = NULL;
	size_t plen = 0;

	ck_assert_ptr_nonnull(d1);
	ck_assert_int_eq(d1[1], '.');
	ck_assert_int_eq(jws_verify(jws, (const uint8_t *)payload, strlen(payload), test_key(),
				    rs256, NULL, &p, &plen, err, sizeof(err)), 0);
	ck_assert_uint_eq(plen, strlen(payload));
	free(p);
	/* another payload, or none */
	ck_assert_int_eq(jws_verify(jws, (const uint8_t *)"{}", 2, test_key(), rs256, NULL, NULL,
				    NULL, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "JWS: bad signature");
	ck_assert_int_eq(jws_verify(jws, NULL, 0, test_key(), rs256, NULL, NULL, NULL, err,
				    sizeof(err)), -1);
	free(jws);
	/* a detached payload given for a JWS that carries one */
	jws = make_jws(0);
	ck_assert_int_eq(jws_verify(jws, (const uint8_t *)payload, strlen(payload), test_key(),
				    rs256, NULL, NULL, NULL, err, sizeof(err)), -1);
	free(jws);
}
END_TEST

START_TEST(test_jws_signer_error)
{
	json_t *h = json_object();
	char err[256] = "";

	ck_assert_ptr_null(jws_sign_rs256(h, (const uint8_t *)"x", 1, 0, failing_sign, NULL, err,
					  sizeof(err)));
	ck_assert_str_eq(err, "card removed");
	ck_assert_ptr_null(jws_sign_rs256(NULL, (const uint8_t *)"x", 1, 0, soft_sign, test_key(),
					  err, sizeof(err)));
	json_decref(h);
}
END_TEST

START_TEST(test_jws_wrong_key)
{
	char *jws = make_jws(0), err[256] = "";
	EVP_PKEY *other = other_key();
	EVP_PKEY *small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	ck_assert_int_eq(jws_verify(jws, NULL, 0, other, rs256, NULL, NULL, NULL, err,
				    sizeof(err)), -1);
	ck_assert_str_eq(err, "JWS: bad signature");
	ck_assert_int_eq(jws_verify(jws, NULL, 0, small, rs256, NULL, NULL, NULL, err,
				    sizeof(err)), -1);
	ck_assert_str_eq(err, "JWS: RSA key too small (1024 bits)");
	ck_assert_int_eq(jws_verify(jws, NULL, 0, ec, rs256, NULL, NULL, NULL, err,
				    sizeof(err)), -1);
	/* no key and no x5c */
	ck_assert_int_eq(jws_verify(jws, NULL, 0, NULL, rs256, NULL, NULL, NULL, err,
				    sizeof(err)), -1);
	ck_assert_str_eq(err, "JWS: no key given and no x5c in the header");
	EVP_PKEY_free(other);
	EVP_PKEY_free(small);
	EVP_PKEY_free(ec);
	free(jws);
}
END_TEST

/* python3-jwcrypto (Debian's /usr/bin/python3: the one with the package)
 * verifies our JWS: attached, and detached with the payload put back. */
static const char jwcrypto_script[] =
	"import sys\n"
	"from jwcrypto import jwk, jws\n"
	"from jwcrypto.common import base64url_encode\n"
	"key = jwk.JWK.from_pem(open(sys.argv[1], 'rb').read())\n"
	"tok = open(sys.argv[2]).read().strip()\n"
	"h, p, s = tok.split('.')\n"
	"if not p:\n"
	"    p = base64url_encode(open(sys.argv[3], 'rb').read())\n"
	"j = jws.JWS()\n"
	"j.deserialize(h + '.' + p + '.' + s)\n"
	"j.verify(key, alg='RS256')\n"
	"sys.stdout.write(j.payload.decode())\n";

static int write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	int ok = f && fwrite(p, 1, n, f) == n;

	if (f && fclose(f))
		ok = 0;
	return ok ? 0 : -1;
}

static void jwcrypto_check(int detached, int tamper)
{
	char dir[] = "/tmp/check_jose.XXXXXX", path[5][128], cmd[1024], out[256] = "";
	char *jws = make_jws(detached);
	FILE *f, *p;
	size_t n;
	int st, i;

	/* check-valgrind traces children: Python's own leaks would fail the run;
	 * the plain `make check` pass does this check */
	if (getenv("LD_PRELOAD") && strstr(getenv("LD_PRELOAD"), "vgpreload")) {
		fprintf(stderr, "check_jose: jwcrypto check skipped under valgrind\n");
		free(jws);
		return;
	}
	if (access("/usr/bin/python3", X_OK) ||
	    system("/usr/bin/python3 -c 'import jwcrypto' 2>/dev/null")) {
		free(jws);
		ck_abort_msg("python3-jwcrypto is missing (apt-get install python3-jwcrypto)");
	}
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path[0], sizeof(path[0]), "%s/pub.pem", dir);
	snprintf(path[1], sizeof(path[1]), "%s/jws", dir);
	snprintf(path[2], sizeof(path[2]), "%s/payload", dir);
	snprintf(path[3], sizeof(path[3]), "%s/check.py", dir);
	snprintf(path[4], sizeof(path[4]), "%s/out", dir);
	f = fopen(path[0], "w");
	ck_assert_ptr_nonnull(f);
	ck_assert(PEM_write_PUBKEY(f, test_key()) == 1);
	fclose(f);
	if (tamper)
		flip(jws, 2);
	ck_assert_int_eq(write_file(path[1], jws, strlen(jws)), 0);
	ck_assert_int_eq(write_file(path[2], payload, strlen(payload)), 0);
	ck_assert_int_eq(write_file(path[3], jwcrypto_script, strlen(jwcrypto_script)), 0);
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s %s %s %s > %s 2>&1", path[3], path[0],
		 path[1], path[2], path[4]);
	st = system(cmd);
	p = fopen(path[4], "r");
	ck_assert_ptr_nonnull(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	fclose(p);
	for (i = 0; i < 5; i++)
		unlink(path[i]);
	rmdir(dir);
	free(jws);
	if (tamper) {
		ck_assert_msg(st != 0, "jwcrypto accepted a tampered JWS");
	} else {
		ck_assert_msg(st == 0, "jwcrypto refused our JWS: %s", out);
		ck_assert_str_eq(out, payload);
	}
}

START_TEST(test_jws_jwcrypto)
{
	jwcrypto_check(0, 0);
	jwcrypto_check(1, 0);
	jwcrypto_check(0, 1);
}
END_TEST

/* ------------------------------------------------------------------- JWK */

static json_t *jwk_of(EVP_PKEY *k, const char *kid)
{
	BIGNUM *n = NULL, *e = NULL;
	uint8_t nb[1024], eb[16];
	int nl, el;
	char *n64, *e64;
	json_t *j;

	ck_assert(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n) == 1);
	ck_assert(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e) == 1);
	nl = BN_bn2bin(n, nb);
	el = BN_bn2bin(e, eb);
	n64 = b64url_encode(nb, (size_t)nl);
	e64 = b64url_encode(eb, (size_t)el);
	j = json_pack("{s:s,s:s,s:s}", "kty", "RSA", "n", n64, "e", e64);
	if (kid)
		json_object_set_new(j, "kid", json_string(kid));
	free(n64);
	free(e64);
	BN_free(n);
	BN_free(e);
	return j;
}

START_TEST(test_jwk)
{
	char err[256] = "", pem_path[] = "/tmp/check_jose_pem.XXXXXX";
	EVP_PKEY *from_pem, *k;
	json_t *jwk;
	FILE *f;
	int fd = mkstemp(pem_path);

	/* a JWK made from a PEM public key gives the same key back */
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w+");
	ck_assert(PEM_write_PUBKEY(f, test_key()) == 1);
	rewind(f);
	from_pem = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	unlink(pem_path);
	ck_assert_ptr_nonnull(from_pem);
	jwk = jwk_of(from_pem, NULL);
	k = jwk_to_pkey(jwk, err, sizeof(err));
	ck_assert_msg(k != NULL, "%s", err);
	ck_assert_int_eq(EVP_PKEY_eq(k, test_key()), 1);
	EVP_PKEY_free(k);
	EVP_PKEY_free(from_pem);
	/* and verifies a JWS */
	{
		char *jws = make_jws(0);

		k = jwk_to_pkey(jwk, err, sizeof(err));
		ck_assert_int_eq(jws_verify(jws, NULL, 0, k, rs256, NULL, NULL, NULL, err,
					    sizeof(err)), 0);
		EVP_PKEY_free(k);
		free(jws);
	}
	json_decref(jwk);
}
END_TEST

START_TEST(test_jwk_malformed)
{
	static const char *const bad[] = {
		"[]",
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AA\",\"y\":\"AA\"}",
		"{\"n\":\"AQAB\",\"e\":\"AQAB\"}",
		"{\"kty\":\"RSA\",\"e\":\"AQAB\"}",
		"{\"kty\":\"RSA\",\"n\":\"sXch\"}",
		"{\"kty\":\"RSA\",\"n\":\"s+ch\",\"e\":\"AQAB\"}",
		"{\"kty\":\"RSA\",\"n\":\"sXch\",\"e\":\"AQAC\"}",
		"{\"kty\":\"RSA\",\"n\":\"AAAA\",\"e\":\"AQAB\"}",
		"{\"kty\":\"RSA\",\"n\":\"sXch\",\"e\":1}",
		"{\"kty\":1,\"n\":\"sXch\",\"e\":\"AQAB\"}",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *j = json_loads(bad[i], 0, NULL);
		char err[256] = "";
		EVP_PKEY *k;

		ck_assert_ptr_nonnull(j);
		k = jwk_to_pkey(j, err, sizeof(err));
		ck_assert_msg(k == NULL, "accepted %s", bad[i]);
		ck_assert_msg(!strncmp(err, "JWK: ", 5), "%s: %s", bad[i], err);
		json_decref(j);
	}
	ck_assert_ptr_null(jwk_to_pkey(NULL, NULL, 0));
}
END_TEST

START_TEST(test_jwks)
{
	EVP_PKEY *other = other_key(), *k;
	json_t *jwks = json_pack("{s:[o,o]}", "keys", jwk_of(test_key(), "a"), jwk_of(other, "b"));
	char err[256] = "";

	k = jwks_find(jwks, "a", err, sizeof(err));
	ck_assert_int_eq(EVP_PKEY_eq(k, test_key()), 1);
	EVP_PKEY_free(k);
	k = jwks_find(jwks, "b", err, sizeof(err));
	ck_assert_int_eq(EVP_PKEY_eq(k, other), 1);
	EVP_PKEY_free(k);
	ck_assert_ptr_null(jwks_find(jwks, "c", err, sizeof(err)));
	ck_assert_str_eq(err, "JWKS: no key with kid \"c\"");
	ck_assert_ptr_null(jwks_find(jwks, NULL, err, sizeof(err)));
	ck_assert_str_eq(err, "JWKS: several RSA signing keys and no kid to choose");
	json_array_remove(json_object_get(jwks, "keys"), 1);
	k = jwks_find(jwks, NULL, err, sizeof(err));
	ck_assert_int_eq(EVP_PKEY_eq(k, test_key()), 1);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
	json_decref(jwks);
	ck_assert_ptr_null(jwks_find(NULL, NULL, err, sizeof(err)));
}
END_TEST

/* ------------------------------------------------------------------- x5c */

static uint8_t *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = malloc(65536);

	ck_assert_msg(f != NULL, "%s missing (make pki)", path);
	*len = fread(buf, 1, 65536, f);
	fclose(f);
	return buf;
}

static json_t *doctor_x5c(void)
{
	size_t len;
	uint8_t *der = read_all(pki_path("cps-doctor/sign.crt.der"), &len);
	char err[256] = "";
	json_t *x5c = x5c_build(der, len, pki_path("ca/intermediate.crt.pem"), err, sizeof(err));

	ck_assert_msg(x5c != NULL, "%s", err);
	free(der);
	return x5c;
}

START_TEST(test_x5c_ok)
{
	json_t *x5c = doctor_x5c();
	X509 *leaf = NULL;
	char err[256] = "", cn[128] = "";

	ck_assert_uint_eq(json_array_size(x5c), 2);
	ck_assert_msg(x5c_verify(x5c, pki_path("ca/root.crt.pem"), 0, &leaf, err, sizeof(err)) == 0,
		      "%s", err);
	ck_assert_ptr_nonnull(leaf);
	X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, cn, sizeof(cn));
	ck_assert_msg(!strncmp(cn, "8997", 4), "CN %s", cn);
	X509_free(leaf);
	/* the root in the chain too */
	{
		size_t len;
		uint8_t *der = read_all(pki_path("ca/root.crt.der"), &len);
		char *b64 = b64_encode(der, len);

		json_array_append_new(x5c, json_string(b64));
		ck_assert_int_eq(x5c_verify(x5c, pki_path("ca/root.crt.pem"), 0, NULL, err,
					    sizeof(err)), 0);
		free(b64);
		free(der);
	}
	json_decref(x5c);
}
END_TEST

START_TEST(test_x5c_unknown_ca)
{
	json_t *x5c = doctor_x5c();
	char err[256] = "";
	EVP_PKEY *k = test_key();
	X509 *self = X509_new();
	unsigned char *der = NULL;
	int len;
	char *b64;
	json_t *own;

	/* a self-made CA */
	X509_set_version(self, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(self), 1);
	X509_gmtime_adj(X509_getm_notBefore(self), -3600);
	X509_gmtime_adj(X509_getm_notAfter(self), 3600);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(self), "CN", MBSTRING_ASC,
				   (const unsigned char *)"self-made CA", -1, -1, 0);
	X509_set_issuer_name(self, X509_get_subject_name(self));
	X509_set_pubkey(self, k);
	ck_assert(X509_sign(self, k, EVP_sha256()) > 0);
	len = i2d_X509(self, &der);
	b64 = b64_encode(der, (size_t)len);
	own = json_pack("[s]", b64);
	ck_assert_int_eq(x5c_verify(own, pki_path("ca/root.crt.pem"), 0, NULL, err, sizeof(err)),
			 -1);
	ck_assert_str_eq(err, "x5c: unknown certificate authority");
	/* the doctor's chain against the self-made CA as the only anchor */
	{
		char path[] = "/tmp/check_jose_ca.XXXXXX";
		int fd = mkstemp(path);
		FILE *f = fdopen(fd, "w");

		PEM_write_X509(f, self);
		fclose(f);
		ck_assert_int_eq(x5c_verify(x5c, path, 0, NULL, err, sizeof(err)), -1);
		ck_assert_str_eq(err, "x5c: unknown certificate authority");
		unlink(path);
	}
	/* the leaf without its intermediate */
	json_array_remove(x5c, 1);
	ck_assert_int_eq(x5c_verify(x5c, pki_path("ca/root.crt.pem"), 0, NULL, err, sizeof(err)),
			 -1);
	ck_assert_str_eq(err, "x5c: unknown certificate authority");
	OPENSSL_free(der);
	free(b64);
	json_decref(own);
	json_decref(x5c);
	X509_free(self);
}
END_TEST

START_TEST(test_x5c_bad)
{
	json_t *x5c = doctor_x5c(), *bad;
	char err[256] = "";
	const char *leaf = json_string_value(json_array_get(x5c, 0));
	char *cut = strndup(leaf, strlen(leaf) / 2);

	/* truncated base64 */
	bad = json_pack("[s,O]", cut, json_array_get(x5c, 1));
	ck_assert_int_eq(x5c_verify(bad, pki_path("ca/root.crt.pem"), 0, NULL, err, sizeof(err)),
			 -1);
	ck_assert_str_eq(err, "x5c: certificate 0 is not base64 DER");
	json_decref(bad);
	/* not base64 at all, not an array, empty, missing anchors */
	bad = json_pack("[s]", "%%%");
	ck_assert_int_eq(x5c_verify(bad, pki_path("ca/root.crt.pem"), 0, NULL, err, sizeof(err)),
			 -1);
	json_decref(bad);
	bad = json_array();
	ck_assert_int_eq(x5c_verify(bad, pki_path("ca/root.crt.pem"), 0, NULL, err, sizeof(err)),
			 -1);
	json_decref(bad);
	ck_assert_int_eq(x5c_verify(json_array_get(x5c, 0), pki_path("ca/root.crt.pem"), 0, NULL,
				    err, sizeof(err)), -1);
	ck_assert_int_eq(x5c_verify(x5c, "/nonexistent/ca.pem", 0, NULL, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "x5c: trust anchors /nonexistent/ca.pem: not found");
	/* far in the future: expired */
	ck_assert_int_eq(x5c_verify(x5c, pki_path("ca/root.crt.pem"), 4102444800LL, NULL, err,
				    sizeof(err)), -1);
	ck_assert_str_eq(err, "x5c: certificate expired");
	/* the directory of anchors */
	ck_assert_int_eq(x5c_verify(x5c, pki_path("ca"), 0, NULL, err, sizeof(err)), 0);
	free(cut);
	json_decref(x5c);
}
END_TEST

/* A JWS whose key comes from its own x5c header (what the services do). */
START_TEST(test_jws_x5c_key)
{
	size_t len;
	uint8_t *der;
	EVP_PKEY *sk;
	json_t *h, *hdr = NULL;
	char err[256] = "", *jws;
	const unsigned char *p;
	X509 *leaf;

	sk = read_key("cps-doctor/sign.key.pem"); /* the simulated card's signature key */
	h = json_pack("{s:o}", "x5c", doctor_x5c());
	jws = jws_sign_rs256(h, (const uint8_t *)payload, strlen(payload), 1, soft_sign, sk, err,
			     sizeof(err));
	ck_assert_msg(jws != NULL, "%s", err);
	ck_assert_int_eq(jws_verify(jws, (const uint8_t *)payload, strlen(payload), NULL, rs256,
				    &hdr, NULL, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(x5c_verify(json_object_get(hdr, "x5c"), pki_path("ca/root.crt.pem"), 0,
				    NULL, err, sizeof(err)), 0);
	/* the x5c leaf is the signer */
	der = read_all(pki_path("cps-doctor/sign.crt.der"), &len);
	p = der;
	leaf = d2i_X509(NULL, &p, (long)len);
	ck_assert_int_eq(EVP_PKEY_eq(X509_get0_pubkey(leaf), sk), 1);
	X509_free(leaf);
	free(der);
	/* a JWS by another key with the doctor's x5c is refused */
	free(jws);
	json_decref(hdr);
	jws = jws_sign_rs256(h, (const uint8_t *)payload, strlen(payload), 1, soft_sign,
			     test_key(), err, sizeof(err));
	ck_assert_int_eq(jws_verify(jws, (const uint8_t *)payload, strlen(payload), NULL, rs256,
				    NULL, NULL, NULL, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "JWS: bad signature");
	free(jws);
	json_decref(h);
	EVP_PKEY_free(sk);
}
END_TEST

static Suite *jose_suite(void)
{
	Suite *s = suite_create("jose");
	TCase *tc = tcase_create("b64");

	tcase_add_test(tc, test_b64_vectors);
	tcase_add_test(tc, test_b64_alphabets);
	tcase_add_test(tc, test_b64_bad);
	suite_add_tcase(s, tc);
	tc = tcase_create("jcs");
	tcase_add_test(tc, test_jcs_rfc_example);
	tcase_add_test(tc, test_jcs_sorting);
	tcase_add_test(tc, test_jcs_escaping);
	tcase_add_test(tc, test_jcs_numbers);
	suite_add_tcase(s, tc);
	tc = tcase_create("jws");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_jws_roundtrip);
	tcase_add_test(tc, test_jws_tampered);
	tcase_add_test(tc, test_jws_refused_algs);
	tcase_add_test(tc, test_jws_detached);
	tcase_add_test(tc, test_jws_signer_error);
	tcase_add_test(tc, test_jws_wrong_key);
	tcase_add_test(tc, test_jws_jwcrypto);
	tcase_add_test(tc, test_jwk);
	tcase_add_test(tc, test_jwk_malformed);
	tcase_add_test(tc, test_jwks);
	suite_add_tcase(s, tc);
	tc = tcase_create("x5c");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_x5c_ok);
	tcase_add_test(tc, test_x5c_unknown_ca);
	tcase_add_test(tc, test_x5c_bad);
	tcase_add_test(tc, test_jws_x5c_key);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(jose_suite());
}
