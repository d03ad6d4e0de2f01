/*
 * sig.c - Bundle.signature (docs/ERX.md): a detached compact JWS, RS256, whose
 * payload is the RFC 8785 (JCS) form of the Bundle without its "signature"
 * member, header {"alg","x5c":[leaf, intermediate...],"sigT"}; the signature
 * itself is made by the caller's signer (the CPS signature key).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "erx.h"
#include "jose.h"

#define SIG_TYPE_SYSTEM "urn:iso-astm:E1762-95:2013"

/* JCS of the bundle without "signature". malloc()ed or NULL. */
static char *payload_of(const json_t *bundle)
{
	json_t *copy = json_copy((json_t *)bundle);   /* shallow: members shared */
	char *s;

	if (!copy)
		return NULL;
	json_object_del(copy, "signature");
	s = jcs_dump(copy);
	json_decref(copy);
	return s;
}

int erx_sign_bundle(json_t *bundle, int dispensation, const uint8_t *cert_der, size_t cert_len,
		    const char *chain_file, const char *timestamp, erx_sign_fn sign, void *ctx,
		    char *err, size_t errlen)
{
	const char *who = erx_entry_fullurl(bundle, "Practitioner");
	json_t *x5c, *hdr, *sig;
	char *payload, *jws, *data;

	if (!who) {
		snprintf(err, errlen, "the bundle has no Practitioner to sign for");
		return -1;
	}
	x5c = x5c_build(cert_der, cert_len, chain_file, err, errlen);
	if (!x5c)
		return -1;
	hdr = json_pack("{s:o, s:s}", "x5c", x5c, "sigT", timestamp);
	payload = payload_of(bundle);
	if (!hdr || !payload) {
		json_decref(hdr);
		free(payload);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	jws = jws_sign_rs256(hdr, (const uint8_t *)payload, strlen(payload), 1, sign, ctx, err,
			     errlen);
	json_decref(hdr);
	free(payload);
	if (!jws)
		return -1;
	data = b64_encode((const uint8_t *)jws, strlen(jws));
	free(jws);
	if (!data) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	sig = json_pack("{s:[{s:s, s:s, s:s}], s:s, s:{s:s}, s:s, s:s}",
			"type", "system", SIG_TYPE_SYSTEM,
			"code", dispensation ? "1.2.840.10065.1.12.1.5" : "1.2.840.10065.1.12.1.1",
			"display", dispensation ? "Verification Signature" : "Author's Signature",
			"when", timestamp, "who", "reference", who,
			"sigFormat", "application/jose", "data", data);
	free(data);
	if (!sig || json_object_set_new(bundle, "signature", sig)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static const char *str_of(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The resource of the entry whose fullUrl is url. */
static const json_t *resource_at(const json_t *bundle, const char *url)
{
	const json_t *e;
	size_t i;

	json_array_foreach(json_object_get(bundle, "entry"), i, e) {
		const char *u = str_of(e, "fullUrl");

		if (u && strcmp(u, url) == 0)
			return json_object_get(e, "resource");
	}
	return NULL;
}

/* Does the Practitioner at url carry the national id idnat? */
static int practitioner_is(const json_t *bundle, const char *url, const char *idnat)
{
	const json_t *pr = resource_at(bundle, url), *id;
	const char *t = str_of(pr, "resourceType");
	size_t i;

	if (!t || strcmp(t, "Practitioner") != 0)
		return 0;
	json_array_foreach(json_object_get(pr, "identifier"), i, id) {
		const char *sys = str_of(id, "system"), *v = str_of(id, "value");

		if (sys && v && strcmp(sys, "urn:oid:1.2.250.1.71.4.2.1") == 0 && strcmp(v, idnat) == 0)
			return 1;
	}
	return 0;
}

int erx_verify_bundle(const json_t *bundle, const char *ca_file, struct erx_person *signer,
		      char *err, size_t errlen)
{
	static const char *const algs[] = { "RS256", NULL };
	const json_t *sig = json_object_get(bundle, "signature");
	const char *data = str_of(sig, "data"), *fmt = str_of(sig, "sigFormat");
	const char *who = str_of(json_object_get(sig, "who"), "reference");
	char *payload = NULL, *jws = NULL, detail[256] = "";
	uint8_t *raw = NULL, *der = NULL;
	size_t rawlen = 0;
	json_t *hdr = NULL;
	X509 *leaf = NULL;
	int len, rc = -1;

	memset(signer, 0, sizeof(*signer));
	if (!json_is_object(sig) || !data || !fmt || !who) {
		snprintf(err, errlen, "the bundle is not signed (no complete Bundle.signature)");
		return -1;
	}
	if (strcmp(fmt, "application/jose") != 0) {
		snprintf(err, errlen, "unknown signature format \"%.40s\"", fmt);
		return -1;
	}
	raw = b64_decode(data, strlen(data), &rawlen);
	if (!raw || !rawlen || memchr(raw, '\0', rawlen)) {
		snprintf(err, errlen, "Bundle.signature.data is not base64 of a JWS");
		goto out;
	}
	jws = malloc(rawlen + 1);
	payload = payload_of(bundle);
	if (!jws || !payload) {
		snprintf(err, errlen, "out of memory (or a number JCS cannot represent)");
		goto out;
	}
	memcpy(jws, raw, rawlen);
	jws[rawlen] = '\0';
	if (jws_verify(jws, (const uint8_t *)payload, strlen(payload), NULL, algs, &hdr, NULL,
		       NULL, detail, sizeof(detail)) != 0) {
		snprintf(err, errlen, "the signature does not match the prescription's content "
			 "(changed after signing?): %s", detail);
		goto out;
	}
	if (x5c_verify(json_object_get(hdr, "x5c"), ca_file, 0, &leaf, detail,
		       sizeof(detail)) != 0) {
		snprintf(err, errlen, "the signer's certificate is not trusted: %s", detail);
		goto out;
	}
	len = i2d_X509(leaf, &der);
	if (len <= 0 || erx_cert_person(der, (size_t)len, signer, detail, sizeof(detail))) {
		snprintf(err, errlen, "the signer's certificate: %s", detail);
		goto out;
	}
	if (!practitioner_is(bundle, who, signer->idnat)) {
		snprintf(err, errlen, "Bundle.signature.who is not the Practitioner the certificate "
			 "names (%s)", signer->idnat);
		goto out;
	}
	/* a prescription: the signer is its author */
	if (erx_entry_fullurl(bundle, "RequestGroup")) {
		const char *author = str_of(json_object_get(resource_at(bundle,
			erx_entry_fullurl(bundle, "RequestGroup")), "author"), "reference");

		if (!author || strcmp(author, who) != 0) {
			snprintf(err, errlen, "the prescription's author is not its signer");
			goto out;
		}
	}
	rc = 0;
out:
	if (rc)
		memset(signer, 0, sizeof(*signer));
	OPENSSL_free(der);
	X509_free(leaf);
	json_decref(hdr);
	free(raw);
	free(jws);
	free(payload);
	return rc;
}
