/*
 * idtoken.c - ID token validation (OpenID Connect Core 3.1.3.7 and 3.3.2.12):
 * the key and the algorithm come from the provider's JWKS, never from the
 * token alone (no "none", no HMAC with the public key as secret), then the
 * claims that bind the token to this issuer, this client and this login.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jose.h"
#include "psc.h"

/* The signatures an ID token may carry: RSA only (jose.c verifies these). */
static const char *const rsa_algs[] = { "RS256", "RS384", "RS512", "PS256", "PS384", "PS512" };

static int alg_known(const char *alg)
{
	for (size_t i = 0; i < sizeof(rsa_algs) / sizeof(rsa_algs[0]); i++)
		if (!strcmp(alg, rsa_algs[i]))
			return 1;
	return 0;
}

/* The JWK the token names: by kid, or the only RSA signing key without kid. */
static const json_t *pick_jwk(const json_t *jwks, const char *kid, char *err, size_t errlen)
{
	const json_t *keys = json_object_get(jwks, "keys"), *k, *found = NULL;
	size_t i;
	int n = 0;

	if (!json_is_array(keys)) {
		snprintf(err, errlen, "the provider's JWKS has no \"keys\" array");
		return NULL;
	}
	json_array_foreach(keys, i, k) {
		const char *kty = json_string_value(json_object_get(k, "kty"));
		const char *use = json_string_value(json_object_get(k, "use"));
		const char *kkid = json_string_value(json_object_get(k, "kid"));

		if (kid) {
			if (kkid && !strcmp(kkid, kid))
				return k;
			continue;
		}
		if (kty && !strcmp(kty, "RSA") && (!use || !strcmp(use, "sig"))) {
			found = k;
			n++;
		}
	}
	if (kid)
		snprintf(err, errlen, "no key with kid \"%s\" in the provider's JWKS", kid);
	else if (n != 1)
		snprintf(err, errlen, "the ID token names no kid and the JWKS has %d RSA signing "
			 "keys", n);
	return kid || n != 1 ? NULL : found;
}

/* Header checks and the key: EVP_PKEY or NULL + err; *alg_out set. */
static EVP_PKEY *header_key(const char *jwt, const json_t *jwks, char *alg_out, size_t alglen,
			    char *err, size_t errlen)
{
	const char *dot = strchr(jwt, '.');
	const char *alg, *kid, *kalg, *use, *kty;
	const json_t *jwk;
	uint8_t *raw;
	size_t rawlen;
	json_t *hdr;
	json_error_t je;
	EVP_PKEY *key = NULL;

	if (!dot || !strchr(dot + 1, '.')) {
		snprintf(err, errlen, "not a compact JWS (three parts expected)");
		return NULL;
	}
	raw = b64url_decode(jwt, (size_t)(dot - jwt), &rawlen);
	if (!raw) {
		snprintf(err, errlen, "the header is not base64url");
		return NULL;
	}
	hdr = json_loadb((const char *)raw, rawlen, 0, &je);
	free(raw);
	if (!json_is_object(hdr)) {
		json_decref(hdr);
		snprintf(err, errlen, "the header is not a JSON object");
		return NULL;
	}
	alg = json_string_value(json_object_get(hdr, "alg"));
	kid = json_string_value(json_object_get(hdr, "kid"));
	if (!alg) {
		snprintf(err, errlen, "the header has no alg");
		goto out;
	}
	if (!strcmp(alg, "none")) {
		snprintf(err, errlen, "unsigned ID token (alg none) refused");
		goto out;
	}
	if (!strncmp(alg, "HS", 2)) {
		snprintf(err, errlen, "symmetric signature (alg %s) refused: the JWKS's public "
			 "key would be the secret", alg);
		goto out;
	}
	if (!alg_known(alg)) {
		snprintf(err, errlen, "signature algorithm %s not accepted (RSA: RS256/384/512, "
			 "PS256/384/512)", alg);
		goto out;
	}
	if (json_object_get(hdr, "crit")) {
		snprintf(err, errlen, "the header has critical extensions (crit) we do not know");
		goto out;
	}
	jwk = pick_jwk(jwks, kid, err, errlen);
	if (!jwk)
		goto out;
	kty = json_string_value(json_object_get(jwk, "kty"));
	kalg = json_string_value(json_object_get(jwk, "alg"));
	use = json_string_value(json_object_get(jwk, "use"));
	if (!kty || strcmp(kty, "RSA") != 0) {
		snprintf(err, errlen, "the JWKS key %s is not an RSA key", kid ? kid : "");
		goto out;
	}
	if (use && strcmp(use, "sig") != 0) {
		snprintf(err, errlen, "the JWKS key %s is not a signing key (use %s)",
			 kid ? kid : "", use);
		goto out;
	}
	if (kalg && strcmp(kalg, alg) != 0) {
		snprintf(err, errlen, "the token says alg %s but its key is for %s", alg, kalg);
		goto out;
	}
	key = jwk_to_pkey(jwk, err, errlen);
	if (key)
		snprintf(alg_out, alglen, "%s", alg);
out:
	json_decref(hdr);
	return key;
}

static int aud_has(const json_t *aud, const char *client_id, size_t *count)
{
	size_t i;
	const json_t *a;
	int hit = 0;

	*count = 0;
	if (json_is_string(aud)) {
		*count = 1;
		return !strcmp(json_string_value(aud), client_id);
	}
	if (!json_is_array(aud))
		return 0;
	json_array_foreach(aud, i, a) {
		(*count)++;
		if (json_is_string(a) && !strcmp(json_string_value(a), client_id))
			hit = 1;
	}
	return hit;
}

/* A NumericDate claim: 1 with *v, 0 absent, -1 present but not a number. */
static int num_claim(const json_t *claims, const char *name, long long *v)
{
	const json_t *j = json_object_get(claims, name);

	if (!j)
		return 0;
	if (json_is_integer(j)) {
		*v = json_integer_value(j);
		return 1;
	}
	if (json_is_real(j)) {
		*v = (long long)json_real_value(j);
		return 1;
	}
	return -1;
}

static int check_claims(const json_t *cl, const char *issuer, const char *client_id,
			const char *nonce, long long now, long skew, char *err, size_t errlen)
{
	const char *iss = json_string_value(json_object_get(cl, "iss"));
	const char *azp = json_string_value(json_object_get(cl, "azp"));
	const char *sub = json_string_value(json_object_get(cl, "sub"));
	const json_t *jn = json_object_get(cl, "nonce");
	long long exp, iat, nbf;
	size_t naud;
	int r;

	if (!iss || strcmp(iss, issuer) != 0) {
		snprintf(err, errlen, "wrong issuer: \"%s\" (expected \"%s\")", iss ? iss : "",
			 issuer);
		return -1;
	}
	if (!aud_has(json_object_get(cl, "aud"), client_id, &naud)) {
		snprintf(err, errlen, "the audience does not include this client (%s)", client_id);
		return -1;
	}
	if (naud > 1 && !azp) {
		snprintf(err, errlen, "several audiences and no azp");
		return -1;
	}
	if (azp && strcmp(azp, client_id) != 0) {
		snprintf(err, errlen, "azp is \"%s\", not this client (%s)", azp, client_id);
		return -1;
	}
	if (!sub || !*sub) {
		snprintf(err, errlen, "no sub");
		return -1;
	}
	r = num_claim(cl, "exp", &exp);
	if (r != 1) {
		snprintf(err, errlen, r ? "exp is not a number" : "no exp");
		return -1;
	}
	if (now > exp + skew) {
		snprintf(err, errlen, "expired %lld s ago (clock skew tolerated: %ld s)",
			 now - exp, skew);
		return -1;
	}
	r = num_claim(cl, "iat", &iat);
	if (r != 1) {
		snprintf(err, errlen, r ? "iat is not a number" : "no iat");
		return -1;
	}
	if (iat > now + skew) {
		snprintf(err, errlen, "issued %lld s in the future (clock skew tolerated: %ld s)",
			 iat - now, skew);
		return -1;
	}
	r = num_claim(cl, "nbf", &nbf);
	if (r < 0 || (r == 1 && nbf > now + skew)) {
		snprintf(err, errlen, "not valid yet (nbf)");
		return -1;
	}
	if (nonce) {
		if (!json_is_string(jn) || strcmp(json_string_value(jn), nonce) != 0) {
			snprintf(err, errlen, jn ? "the nonce is not the one sent" :
				 "no nonce (one was sent)");
			return -1;
		}
	}
	return 0;
}

int psc_idtoken_check(const char *jwt, const json_t *jwks, const char *issuer,
		      const char *client_id, const char *nonce, long long now, long skew,
		      json_t **claims, char *err, size_t errlen)
{
	char alg[16], why[256];
	const char *allowed[2] = { alg, NULL };
	EVP_PKEY *key;
	uint8_t *payload = NULL;
	size_t plen = 0;
	json_t *cl;
	json_error_t je;
	int rc;

	*claims = NULL;
	if (!jwt || !*jwt) {
		snprintf(err, errlen, "ID token: none in the answer");
		return -1;
	}
	key = header_key(jwt, jwks, alg, sizeof(alg), why, sizeof(why));
	if (!key) {
		snprintf(err, errlen, "ID token: %s", why);
		return -1;
	}
	rc = jws_verify(jwt, NULL, 0, key, allowed, NULL, &payload, &plen, why, sizeof(why));
	EVP_PKEY_free(key);
	if (rc != 0) {
		free(payload);
		snprintf(err, errlen, "ID token: bad signature (%s)", why);
		return -1;
	}
	cl = json_loadb((const char *)payload, plen, 0, &je);
	free(payload);
	if (!json_is_object(cl)) {
		json_decref(cl);
		snprintf(err, errlen, "ID token: the payload is not a JSON object");
		return -1;
	}
	if (check_claims(cl, issuer, client_id, nonce, now, skew, why, sizeof(why)) != 0) {
		json_decref(cl);
		snprintf(err, errlen, "ID token: %s", why);
		return -1;
	}
	*claims = cl;
	return 0;
}
