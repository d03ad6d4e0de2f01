/*
 * jose.c - compact JWS (RFC 7515) with RSA signatures (RFC 7518 §3.3, §3.5),
 * and RSA JWKs (RFC 7517, RFC 7518 §6.3), over OpenSSL 3's EVP interfaces.
 */
#include "config.h"

#include "jose.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

/* RFC 7518 §3.3: "A key of size 2048 bits or larger MUST be used". */
#define JWS_MIN_RSA_BITS 2048
/* the largest signature we make or accept (RSA 8192) */
#define JWS_MAX_SIG 1024

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* b64url(a) "." b64url(b): the JWS signing input. */
static char *join(const char *a, const char *b, size_t blen)
{
	size_t alen = strlen(a);
	char *s = malloc(alen + 1 + blen + 1);

	if (!s)
		return NULL;
	memcpy(s, a, alen);
	s[alen] = '.';
	memcpy(s + alen + 1, b, blen);
	s[alen + 1 + blen] = '\0';
	return s;
}

char *jws_sign_rs256(json_t *header, const uint8_t *payload, size_t plen, int detached,
		     jws_sign_fn sign, void *sign_ctx, char *err, size_t errlen)
{
	char *hjson = NULL, *h64 = NULL, *p64 = NULL, *input = NULL, *s64 = NULL, *out = NULL;
	uint8_t hash[32], sig[JWS_MAX_SIG];
	size_t siglen = sizeof(sig), ilen;

	if (!header || !json_is_object(header) || !sign || (!payload && plen)) {
		set_err(err, errlen, "JWS: bad arguments");
		return NULL;
	}
	if (json_object_set_new(header, "alg", json_string("RS256"))) {
		set_err(err, errlen, "JWS: out of memory");
		return NULL;
	}
	/* the header's canonical form: the same header gives the same bytes */
	hjson = jcs_dump(header);
	if (!hjson) {
		set_err(err, errlen, "JWS: the header cannot be serialized");
		return NULL;
	}
	h64 = b64url_encode((const uint8_t *)hjson, strlen(hjson));
	p64 = b64url_encode(payload, plen);
	if (!h64 || !p64) {
		set_err(err, errlen, "JWS: out of memory");
		goto out;
	}
	input = join(h64, p64, strlen(p64));
	if (!input) {
		set_err(err, errlen, "JWS: out of memory");
		goto out;
	}
	ilen = strlen(input);
	if (!EVP_Digest(input, ilen, hash, NULL, EVP_sha256(), NULL)) {
		set_err(err, errlen, "JWS: SHA-256 failed");
		goto out;
	}
	if (sign(sign_ctx, hash, sig, &siglen, err, errlen))
		goto out;
	if (siglen == 0 || siglen > sizeof(sig)) {
		set_err(err, errlen, "JWS: the signer returned %zu bytes", siglen);
		goto out;
	}
	s64 = b64url_encode(sig, siglen);
	if (!s64) {
		set_err(err, errlen, "JWS: out of memory");
		goto out;
	}
	if (detached) {
		/* "hdr" "." "" "." "sig" */
		char *hd = join(h64, "", 0);

		out = hd ? join(hd, s64, strlen(s64)) : NULL;
		free(hd);
	} else {
		out = join(input, s64, strlen(s64));
	}
	if (!out)
		set_err(err, errlen, "JWS: out of memory");
out:
	free(hjson);
	free(h64);
	free(p64);
	free(input);
	free(s64);
	return out;
}

struct alg {
	const char *name;
	const char *md;
	int pss;
};

static const struct alg algs[] = {
	{"RS256", "SHA256", 0}, {"RS384", "SHA384", 0}, {"RS512", "SHA512", 0},
	{"PS256", "SHA256", 1}, {"PS384", "SHA384", 1}, {"PS512", "SHA512", 1},
};

static const struct alg *find_alg(const char *name, const char *const *allowed)
{
	size_t i;
	int ok = 0;

	for (; allowed && *allowed; allowed++)
		if (!strcmp(*allowed, name))
			ok = 1;
	if (!ok)
		return NULL;
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (!strcmp(algs[i].name, name))
			return &algs[i];
	return NULL;
}

/* The public key of x5c[0] (not checked: that is x5c_verify's job). */
static EVP_PKEY *x5c_leaf_key(const json_t *hdr, char *err, size_t errlen)
{
	const json_t *x5c = json_object_get(hdr, "x5c");
	const char *s;
	uint8_t *der;
	const unsigned char *p;
	size_t len;
	X509 *x;
	EVP_PKEY *k;

	if (!json_is_array(x5c) || json_array_size(x5c) == 0 ||
	    !json_is_string(json_array_get(x5c, 0))) {
		set_err(err, errlen, "JWS: no key given and no x5c in the header");
		return NULL;
	}
	s = json_string_value(json_array_get(x5c, 0));
	der = b64_decode(s, strlen(s), &len);
	if (!der) {
		set_err(err, errlen, "JWS: x5c[0] is not base64");
		return NULL;
	}
	p = der;
	x = d2i_X509(NULL, &p, (long)len);
	if (!x || p != der + len) {
		X509_free(x);
		free(der);
		set_err(err, errlen, "JWS: x5c[0] is not a DER certificate");
		return NULL;
	}
	free(der);
	k = X509_get_pubkey(x);
	X509_free(x);
	if (!k)
		set_err(err, errlen, "JWS: x5c[0] has no usable public key");
	return k;
}

static int verify_sig(const struct alg *a, EVP_PKEY *key, const char *input, size_t ilen,
		      const uint8_t *sig, size_t siglen, char *err, size_t errlen)
{
	EVP_MD_CTX *md = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	int rv = -1;

	if (!EVP_PKEY_is_a(key, "RSA") && !EVP_PKEY_is_a(key, "RSA-PSS")) {
		set_err(err, errlen, "JWS: %s needs an RSA key", a->name);
		return -1;
	}
	if (EVP_PKEY_get_bits(key) < JWS_MIN_RSA_BITS) {
		set_err(err, errlen, "JWS: RSA key too small (%d bits)", EVP_PKEY_get_bits(key));
		return -1;
	}
	/* RFC 7518 §3.3: the signature is exactly the modulus' length */
	if (siglen != (size_t)EVP_PKEY_get_size(key)) {
		set_err(err, errlen, "JWS: signature of %zu bytes for a %d-byte key", siglen,
			EVP_PKEY_get_size(key));
		return -1;
	}
	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestVerifyInit_ex(md, &pctx, a->md, NULL, NULL, key, NULL) != 1) {
		set_err(err, errlen, "JWS: cannot set up %s verification", a->name);
		goto out;
	}
	if (a->pss && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
		       EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1)) {
		set_err(err, errlen, "JWS: cannot set up PSS");
		goto out;
	}
	if (EVP_DigestVerify(md, sig, siglen, (const unsigned char *)input, ilen) != 1) {
		set_err(err, errlen, "JWS: bad signature");
		goto out;
	}
	rv = 0;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(md);
	return rv;
}

int jws_verify(const char *jws, const uint8_t *payload, size_t plen, EVP_PKEY *key,
	       const char *const *allowed_algs, json_t **header_out,
	       uint8_t **payload_out, size_t *payload_len, char *err, size_t errlen)
{
	const char *dot1, *dot2;
	uint8_t *hbytes = NULL, *pbytes = NULL, *sig = NULL;
	size_t hlen, pl = 0, siglen;
	json_t *hdr = NULL;
	json_error_t jerr;
	const json_t *alg;
	const struct alg *a;
	char *input = NULL, *p64 = NULL;
	EVP_PKEY *own = NULL;
	int rv = -1;

	if (header_out)
		*header_out = NULL;
	if (payload_out)
		*payload_out = NULL;
	if (!jws || (!payload && plen)) {
		set_err(err, errlen, "JWS: bad arguments");
		return -1;
	}
	dot1 = strchr(jws, '.');
	dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	if (!dot2 || strchr(dot2 + 1, '.')) {
		set_err(err, errlen, "JWS: not a compact serialization (three parts)");
		return -1;
	}
	hbytes = b64url_decode(jws, (size_t)(dot1 - jws), &hlen);
	if (!hbytes || hlen == 0) {
		set_err(err, errlen, "JWS: the header is not base64url");
		goto out;
	}
	hdr = json_loadb((const char *)hbytes, hlen, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(hdr)) {
		set_err(err, errlen, "JWS: the header is not a JSON object");
		goto out;
	}
	alg = json_object_get(hdr, "alg");
	if (!json_is_string(alg)) {
		set_err(err, errlen, "JWS: no \"alg\" in the header");
		goto out;
	}
	a = find_alg(json_string_value(alg), allowed_algs);
	if (!a) {
		set_err(err, errlen, "JWS: algorithm \"%.20s\" not allowed", json_string_value(alg));
		goto out;
	}
	/* RFC 7515 §4.1.11: we understand no extension, so any "crit" is refused
	 * (this also refuses "b64":false, RFC 7797, which needs "crit") */
	if (json_object_get(hdr, "crit")) {
		set_err(err, errlen, "JWS: critical header parameters not supported");
		goto out;
	}
	sig = b64url_decode(dot2 + 1, strlen(dot2 + 1), &siglen);
	if (!sig || siglen == 0) {
		set_err(err, errlen, "JWS: the signature is not base64url");
		goto out;
	}
	if (payload) {
		if (dot2 != dot1 + 1) {
			set_err(err, errlen, "JWS: a detached payload was given but the JWS carries one");
			goto out;
		}
		p64 = b64url_encode(payload, plen);
		if (!p64)
			goto oom;
		input = malloc((size_t)(dot1 - jws) + 1 + strlen(p64) + 1);
		if (!input)
			goto oom;
		memcpy(input, jws, (size_t)(dot1 - jws) + 1); /* "hdr." */
		memcpy(input + (dot1 - jws) + 1, p64, strlen(p64) + 1);
	} else {
		pbytes = b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), &pl);
		if (!pbytes) {
			set_err(err, errlen, "JWS: the payload is not base64url");
			goto out;
		}
		input = malloc((size_t)(dot2 - jws) + 1);
		if (!input)
			goto oom;
		memcpy(input, jws, (size_t)(dot2 - jws));
		input[dot2 - jws] = '\0';
	}
	if (!key) {
		own = x5c_leaf_key(hdr, err, errlen);
		if (!own)
			goto out;
		key = own;
	}
	if (verify_sig(a, key, input, strlen(input), sig, siglen, err, errlen))
		goto out;
	if (payload_out) {
		if (payload) {
			pbytes = malloc(plen ? plen : 1);
			if (!pbytes)
				goto oom;
			memcpy(pbytes, payload, plen);
			pl = plen;
		}
		*payload_out = pbytes;
		pbytes = NULL;
		if (payload_len)
			*payload_len = pl;
	}
	if (header_out) {
		*header_out = hdr;
		hdr = NULL;
	}
	rv = 0;
	goto out;
oom:
	set_err(err, errlen, "JWS: out of memory");
out:
	EVP_PKEY_free(own);
	json_decref(hdr);
	free(hbytes);
	free(pbytes);
	free(sig);
	free(input);
	free(p64);
	return rv;
}

/* A JWK member holding a base64url unsigned big-endian integer. */
static BIGNUM *jwk_bn(const json_t *jwk, const char *name, char *err, size_t errlen)
{
	const json_t *v = json_object_get(jwk, name);
	uint8_t *bytes;
	size_t len;
	BIGNUM *bn;

	if (!json_is_string(v)) {
		set_err(err, errlen, "JWK: no \"%s\"", name);
		return NULL;
	}
	bytes = b64url_decode(json_string_value(v), json_string_length(v), &len);
	if (!bytes || len == 0) {
		free(bytes);
		set_err(err, errlen, "JWK: \"%s\" is not base64url", name);
		return NULL;
	}
	bn = BN_bin2bn(bytes, (int)len, NULL);
	free(bytes);
	if (!bn || BN_is_zero(bn)) {
		BN_free(bn);
		set_err(err, errlen, "JWK: \"%s\" is zero", name);
		return NULL;
	}
	return bn;
}

EVP_PKEY *jwk_to_pkey(const json_t *jwk, char *err, size_t errlen)
{
	const json_t *kty;
	BIGNUM *n = NULL, *e = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;

	if (!json_is_object(jwk)) {
		set_err(err, errlen, "JWK: not a JSON object");
		return NULL;
	}
	kty = json_object_get(jwk, "kty");
	if (!json_is_string(kty)) {
		set_err(err, errlen, "JWK: no \"kty\"");
		return NULL;
	}
	if (strcmp(json_string_value(kty), "RSA") != 0) {
		set_err(err, errlen, "JWK: key type \"%.20s\" not supported (RSA only)",
			json_string_value(kty));
		return NULL;
	}
	n = jwk_bn(jwk, "n", err, errlen);
	if (!n)
		return NULL;
	e = jwk_bn(jwk, "e", err, errlen);
	if (!e)
		goto out;
	if (!BN_is_odd(e) || BN_is_one(e) || BN_num_bits(e) > 64 || !BN_is_odd(n)) {
		set_err(err, errlen, "JWK: not a valid RSA public key");
		goto out;
	}
	bld = OSSL_PARAM_BLD_new();
	if (!bld || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
	    !(params = OSSL_PARAM_BLD_to_param(bld))) {
		set_err(err, errlen, "JWK: out of memory");
		goto out;
	}
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		set_err(err, errlen, "JWK: not a valid RSA public key");
		pkey = NULL;
	}
out:
	ERR_clear_error();
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return pkey;
}

EVP_PKEY *jwks_find(const json_t *jwks, const char *kid, char *err, size_t errlen)
{
	const json_t *keys = json_object_get(jwks, "keys"), *k, *hit = NULL;
	size_t i;
	int count = 0;

	if (!json_is_array(keys)) {
		set_err(err, errlen, "JWKS: no \"keys\" array");
		return NULL;
	}
	json_array_foreach(keys, i, k) {
		const json_t *kkid = json_object_get(k, "kid"), *use = json_object_get(k, "use");

		if (!json_is_object(k))
			continue;
		if (kid) {
			if (json_is_string(kkid) && !strcmp(json_string_value(kkid), kid)) {
				hit = k;
				count++;
			}
		} else if (json_is_string(json_object_get(k, "kty")) &&
			   !strcmp(json_string_value(json_object_get(k, "kty")), "RSA") &&
			   (!use || (json_is_string(use) && !strcmp(json_string_value(use), "sig")))) {
			hit = k;
			count++;
		}
	}
	if (count == 0) {
		if (kid)
			set_err(err, errlen, "JWKS: no key with kid \"%.64s\"", kid);
		else
			set_err(err, errlen, "JWKS: no RSA signing key");
		return NULL;
	}
	if (count > 1) {
		if (kid)
			set_err(err, errlen, "JWKS: several keys with kid \"%.64s\"", kid);
		else
			set_err(err, errlen, "JWKS: several RSA signing keys and no kid to choose");
		return NULL;
	}
	return jwk_to_pkey(hit, err, errlen);
}
