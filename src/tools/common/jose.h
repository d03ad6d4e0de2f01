/*
 * jose.h - the JOSE pieces the service front-ends need, over OpenSSL 3:
 * base64url, JCS (RFC 8785) canonical JSON, compact JWS with RS256 (made with a
 * card key through a callback, checked with a public key), JWK (RSA) to
 * EVP_PKEY, and the x5c certificate chain check against trust anchors.
 *
 * Errors are returned with a one-line message in err; nothing is printed.
 */
#ifndef STC_TOOLS_JOSE_H
#define STC_TOOLS_JOSE_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

/* base64url without padding. malloc()ed, NUL-terminated; NULL on failure. */
char *b64url_encode(const uint8_t *p, size_t n);
/* Decodes base64url (padding tolerated, nothing else). malloc()ed; NULL on bad input. */
uint8_t *b64url_decode(const char *s, size_t slen, size_t *outlen);
/* Standard base64 (with padding) as used by x5c and FHIR base64Binary. */
char *b64_encode(const uint8_t *p, size_t n);
uint8_t *b64_decode(const char *s, size_t slen, size_t *outlen);

/*
 * RFC 8785 canonical form of j: keys sorted by UTF-16 code units, no
 * whitespace, strings escaped as RFC 8785 says, integers as is, reals in the
 * ECMAScript shortest round-trip form. malloc()ed; NULL on failure (NaN/Inf).
 */
char *jcs_dump(const json_t *j);

/*
 * The signer: RSASSA-PKCS1-v1_5 over a SHA-256 hash, e.g. stc_token_sign() on a
 * card. Writes at most *siglen bytes to sig and sets *siglen. 0 or -1 (then it
 * put its own message into err).
 */
typedef int (*jws_sign_fn)(void *ctx, const uint8_t sha256[32], uint8_t *sig, size_t *siglen,
			   char *err, size_t errlen);

/*
 * Compact JWS, RS256: header (the caller's object; "alg":"RS256" is set here)
 * "." base64url(payload) "." signature. detached=1 leaves the payload part
 * empty ("hdr..sig", RFC 7515 appendix F). malloc()ed or NULL.
 */
char *jws_sign_rs256(json_t *header, const uint8_t *payload, size_t plen, int detached,
		     jws_sign_fn sign, void *sign_ctx, char *err, size_t errlen);

/*
 * Check a compact JWS. payload/plen: the detached payload (NULL when the JWS
 * carries it). key: the public key; NULL: take it from x5c[0] of the header.
 * allowed_algs: "RS256" etc., NULL-terminated (only RSA PKCS#1 v1.5 and PSS
 * algorithms with SHA-256/384/512 are known). On success *header_out (if not
 * NULL) gets the parsed header (json_decref it) and *payload_out (if not NULL)
 * the decoded payload (free it). 0 or -1.
 */
int jws_verify(const char *jws, const uint8_t *payload, size_t plen, EVP_PKEY *key,
	       const char *const *allowed_algs, json_t **header_out,
	       uint8_t **payload_out, size_t *payload_len, char *err, size_t errlen);

/* An RSA JWK ({"kty":"RSA","n":..,"e":..}) as an EVP_PKEY; NULL + err. */
EVP_PKEY *jwk_to_pkey(const json_t *jwk, char *err, size_t errlen);
/* The key of a JWKS ({"keys":[...]}) with this kid (kid NULL: the only RSA
 * signing key); NULL + err. */
EVP_PKEY *jwks_find(const json_t *jwks, const char *kid, char *err, size_t errlen);

/*
 * The certificates of an x5c array (base64 DER, leaf first) checked against
 * the PEM trust anchors in ca_file (also a directory of *.pem is accepted),
 * at time now (0: current time). On success *leaf_out gets the leaf (X509_free
 * it). 0 or -1 with err naming the problem ("unknown certificate authority",
 * "certificate expired", ...).
 */
int x5c_verify(const json_t *x5c, const char *ca_file, long long now, X509 **leaf_out,
	       char *err, size_t errlen);

/* The x5c array for a DER leaf and a PEM chain file (intermediates, optionally
 * the root). NULL + err. */
json_t *x5c_build(const uint8_t *leaf_der, size_t leaf_len, const char *chain_pem_file,
		  char *err, size_t errlen);

#endif
