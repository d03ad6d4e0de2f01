/*
 * cert.c - the certificate fields the attribute table serves (DER subject,
 * issuer, serial, SubjectPublicKeyInfo, RSA modulus and exponent), parsed
 * once per certificate with OpenSSL.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "p11_cert.h"

static void der_free(struct p11_der *d)
{
	OPENSSL_free(d->p);
	d->p = NULL;
	d->len = 0;
}

void p11_certinfo_free(struct p11_certinfo *ci)
{
	if (!ci)
		return;
	der_free(&ci->subject);
	der_free(&ci->issuer);
	der_free(&ci->serial);
	der_free(&ci->spki);
	der_free(&ci->modulus);
	der_free(&ci->exponent);
	EVP_PKEY_free(ci->pkey);
	free(ci);
}

static int bn_param(const EVP_PKEY *pk, const char *name, struct p11_der *out)
{
	BIGNUM *bn = NULL;
	int n;

	if (!EVP_PKEY_get_bn_param(pk, name, &bn))
		return 0;
	n = BN_num_bytes(bn);
	out->p = OPENSSL_malloc(n > 0 ? (size_t)n : 1);
	if (!out->p) {
		BN_free(bn);
		return 0;
	}
	out->len = (size_t)BN_bn2bin(bn, out->p);
	BN_free(bn);
	return 1;
}

#define I2D(fn, obj, der) ((der)->len = (size_t)fn(obj, &(der)->p), (int)(der)->len > 0)

CK_RV p11_cert_parse(const uint8_t *der, size_t len, struct p11_certinfo **out)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	struct p11_certinfo *ci;
	uint8_t md[SHA_DIGEST_LENGTH];
	int ok;

	if (!x)
		return CKR_DEVICE_ERROR;
	ci = calloc(1, sizeof(*ci));
	if (!ci) {
		X509_free(x);
		return CKR_HOST_MEMORY;
	}
	ci->pkey = X509_get_pubkey(x);
	ok = ci->pkey && EVP_PKEY_get_base_id(ci->pkey) == EVP_PKEY_RSA &&
	     I2D(i2d_X509_NAME, X509_get_subject_name(x), &ci->subject) &&
	     I2D(i2d_X509_NAME, X509_get_issuer_name(x), &ci->issuer) &&
	     I2D(i2d_ASN1_INTEGER, X509_get0_serialNumber(x), &ci->serial) &&
	     I2D(i2d_PUBKEY, ci->pkey, &ci->spki) &&
	     bn_param(ci->pkey, OSSL_PKEY_PARAM_RSA_N, &ci->modulus) &&
	     bn_param(ci->pkey, OSSL_PKEY_PARAM_RSA_E, &ci->exponent);
	X509_free(x);
	if (!ok) {
		p11_certinfo_free(ci);
		return CKR_DEVICE_ERROR;
	}
	ci->bits = (unsigned)EVP_PKEY_get_bits(ci->pkey);
	SHA1(der, len, md);
	memcpy(ci->check, md, sizeof(ci->check));
	*out = ci;
	return CKR_OK;
}
