/*
 * certid.c - who a CPS certificate names. Our test IGC-Santé pattern (and the
 * contract's): CN=<idnat>+SN=<surname>+GN=<given>,title=<profession>,C=FR.
 * Real IGC-Santé certificates put "<idnat>/<serial>" or similar in the CN:
 * the national id is the CN up to the first '/'.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/x509.h>

#include "erx.h"

/* The first entry of nid in name as UTF-8 into out. 0, or -1 when absent. */
static int name_entry(const X509_NAME *name, int nid, char *out, size_t outlen)
{
	int i = X509_NAME_get_index_by_NID(name, nid, -1);
	unsigned char *utf8 = NULL;
	int n;

	out[0] = '\0';
	if (i < 0)
		return -1;
	n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
	if (n < 0)
		return -1;
	if (memchr(utf8, '\0', (size_t)n)) {
		OPENSSL_free(utf8);
		return -1;
	}
	snprintf(out, outlen, "%.*s", n, (const char *)utf8);
	OPENSSL_free(utf8);
	return 0;
}

int erx_cert_person(const uint8_t *der, size_t len, struct erx_person *p, char *err,
		    size_t errlen)
{
	const unsigned char *q = der;
	X509 *x = d2i_X509(NULL, &q, (long)len);
	const X509_NAME *name;
	char *slash;

	memset(p, 0, sizeof(*p));
	if (!x || q != der + len) {
		X509_free(x);
		snprintf(err, errlen, "the certificate is not valid DER");
		return -1;
	}
	name = X509_get_subject_name(x);
	if (name_entry(name, NID_commonName, p->idnat, sizeof(p->idnat)) != 0 || !p->idnat[0]) {
		X509_free(x);
		snprintf(err, errlen, "the certificate's subject has no common name");
		return -1;
	}
	slash = strchr(p->idnat, '/');
	if (slash)
		*slash = '\0';
	(void)name_entry(name, NID_surname, p->family, sizeof(p->family));
	(void)name_entry(name, NID_givenName, p->given, sizeof(p->given));
	(void)name_entry(name, NID_title, p->profession, sizeof(p->profession));
	X509_free(x);
	return 0;
}
