/*
 * x5c.c - the "x5c" header parameter (RFC 7515 §4.1.6): build it from a DER
 * leaf and a PEM chain, and check it against trust anchors.
 */
#include "config.h"

#include "jose.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static X509 *cert_from_b64(const json_t *v)
{
	uint8_t *der;
	const unsigned char *p;
	size_t len;
	X509 *x;

	if (!json_is_string(v))
		return NULL;
	der = b64_decode(json_string_value(v), json_string_length(v), &len);
	if (!der)
		return NULL;
	p = der;
	x = d2i_X509(NULL, &p, (long)len);
	if (x && p != der + len) { /* trailing bytes */
		X509_free(x);
		x = NULL;
	}
	free(der);
	return x;
}

/* ca_file, or every *.pem of the directory ca_file, into the store. */
static int load_anchors(X509_STORE *st, const char *ca_file, char *err, size_t errlen)
{
	struct stat sb;
	DIR *d;
	const struct dirent *de;
	int n = 0;

	if (stat(ca_file, &sb)) {
		set_err(err, errlen, "x5c: trust anchors %s: not found", ca_file);
		return -1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		if (X509_STORE_load_file(st, ca_file) != 1) {
			set_err(err, errlen, "x5c: trust anchors %s: no PEM certificate", ca_file);
			return -1;
		}
		return 0;
	}
	d = opendir(ca_file);
	if (!d) {
		set_err(err, errlen, "x5c: trust anchors %s: cannot read the directory", ca_file);
		return -1;
	}
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		char path[4096];

		if (l < 5 || strcmp(de->d_name + l - 4, ".pem") != 0)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", ca_file, de->d_name) >= sizeof(path))
			continue;
		if (X509_STORE_load_file(st, path) == 1)
			n++;
	}
	closedir(d);
	if (!n) {
		set_err(err, errlen, "x5c: trust anchors %s: no *.pem certificate", ca_file);
		return -1;
	}
	return 0;
}

static const char *verify_text(int e)
{
	switch (e) {
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		return "unknown certificate authority";
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return "certificate expired";
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return "certificate not yet valid";
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
		return "bad certificate signature";
	default:
		return X509_verify_cert_error_string(e);
	}
}

int x5c_verify(const json_t *x5c, const char *ca_file, long long now, X509 **leaf_out,
	       char *err, size_t errlen)
{
	X509_STORE *st = NULL;
	X509_STORE_CTX *ctx = NULL;
	STACK_OF(X509) *chain = NULL;
	X509 *leaf = NULL;
	size_t i, n;
	int rv = -1;

	if (leaf_out)
		*leaf_out = NULL;
	if (!ca_file) {
		set_err(err, errlen, "x5c: no trust anchors");
		return -1;
	}
	if (!json_is_array(x5c) || (n = json_array_size(x5c)) == 0) {
		set_err(err, errlen, "x5c: not a non-empty array");
		return -1;
	}
	if (n > 10) {
		set_err(err, errlen, "x5c: %zu certificates, too many", n);
		return -1;
	}
	leaf = cert_from_b64(json_array_get(x5c, 0));
	if (!leaf) {
		set_err(err, errlen, "x5c: certificate 0 is not base64 DER");
		goto out;
	}
	chain = sk_X509_new_null();
	if (!chain)
		goto oom;
	for (i = 1; i < n; i++) {
		X509 *c = cert_from_b64(json_array_get(x5c, i));

		if (!c) {
			set_err(err, errlen, "x5c: certificate %zu is not base64 DER", i);
			goto out;
		}
		if (!sk_X509_push(chain, c)) {
			X509_free(c);
			goto oom;
		}
	}
	st = X509_STORE_new();
	if (!st)
		goto oom;
	if (load_anchors(st, ca_file, err, errlen))
		goto out;
	ctx = X509_STORE_CTX_new();
	if (!ctx || X509_STORE_CTX_init(ctx, st, leaf, chain) != 1)
		goto oom;
	if (now)
		X509_STORE_CTX_set_time(ctx, 0, (time_t)now);
	if (X509_verify_cert(ctx) != 1) {
		int e = X509_STORE_CTX_get_error(ctx);

		set_err(err, errlen, "x5c: %s", verify_text(e));
		goto out;
	}
	if (leaf_out) {
		*leaf_out = leaf;
		leaf = NULL;
	}
	rv = 0;
	goto out;
oom:
	set_err(err, errlen, "x5c: out of memory");
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	sk_X509_pop_free(chain, X509_free);
	X509_free(leaf);
	return rv;
}

static int push_der(json_t *arr, X509 *x)
{
	unsigned char *der = NULL;
	int len = i2d_X509(x, &der);
	char *b64;
	int rv;

	if (len <= 0)
		return -1;
	b64 = b64_encode(der, (size_t)len);
	OPENSSL_free(der);
	if (!b64)
		return -1;
	rv = json_array_append_new(arr, json_string(b64));
	free(b64);
	return rv;
}

json_t *x5c_build(const uint8_t *leaf_der, size_t leaf_len, const char *chain_pem_file,
		  char *err, size_t errlen)
{
	json_t *arr;
	char *b64;
	FILE *f;
	X509 *x;
	const unsigned char *p = leaf_der;

	if (!leaf_der || !leaf_len) {
		set_err(err, errlen, "x5c: no leaf certificate");
		return NULL;
	}
	x = d2i_X509(NULL, &p, (long)leaf_len);
	if (!x || p != leaf_der + leaf_len) {
		X509_free(x);
		set_err(err, errlen, "x5c: the leaf is not a DER certificate");
		return NULL;
	}
	X509_free(x);
	arr = json_array();
	b64 = b64_encode(leaf_der, leaf_len);
	if (!arr || !b64 || json_array_append_new(arr, json_string(b64))) {
		free(b64);
		json_decref(arr);
		set_err(err, errlen, "x5c: out of memory");
		return NULL;
	}
	free(b64);
	if (!chain_pem_file)
		return arr;
	f = fopen(chain_pem_file, "r");
	if (!f) {
		json_decref(arr);
		set_err(err, errlen, "x5c: %s: cannot open", chain_pem_file);
		return NULL;
	}
	while ((x = PEM_read_X509(f, NULL, NULL, NULL))) {
		if (push_der(arr, x)) {
			X509_free(x);
			fclose(f);
			json_decref(arr);
			set_err(err, errlen, "x5c: out of memory");
			return NULL;
		}
		X509_free(x);
	}
	fclose(f);
	ERR_clear_error(); /* the end of the file */
	if (json_array_size(arr) < 2) {
		json_decref(arr);
		set_err(err, errlen, "x5c: %s: no PEM certificate", chain_pem_file);
		return NULL;
	}
	return arr;
}
