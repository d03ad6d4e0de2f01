/* p11_cert.h - what the attribute table needs from an X.509 certificate. */
#ifndef SANTECARD_P11_CERT_H
#define SANTECARD_P11_CERT_H

#include <stddef.h>
#include <stdint.h>

#include "p11.h"

struct p11_der {
	uint8_t *p;
	size_t len;
};

struct p11_certinfo {
	struct p11_der subject, issuer, serial, spki, modulus, exponent;
	uint8_t check[3];          /* CKA_CHECK_VALUE: SHA-1 of the DER, 3 bytes */
	unsigned bits;
	void *pkey;                /* EVP_PKEY * */
};

/* Parse a DER certificate (CKR_DEVICE_ERROR if it does not parse as X.509
 * with an RSA key). */
CK_RV p11_cert_parse(const uint8_t *der, size_t len, struct p11_certinfo **out);

#endif
