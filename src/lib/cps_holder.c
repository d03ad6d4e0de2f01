/*
 * cps_holder.c - who a CPS belongs to, from the subject of its authentication
 * certificate (contactless: the technical certificate): the multi-valued RDN
 * CN=<national id>+SN=<surname>+GN=<given name>, and title=<profession>
 * (cards.md §4.3). The certificate is found through the PKCS#15 structure:
 * the CDF entry with the authentication key's iD, else by its label.
 */
#include "config.h"

#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

#include "cps_internal.h"

static const char label_auth_key[] = "CPS_PRIV_AUT";
static const char label_tech_key[] = "CPS_PRIV_TECH_AUT";
static const char label_auth_cert[] = "Certificat d'Authentification CPS";
static const char label_tech_cert[] = "Certificat Technique CPS";

static const stc_object *find_label(const struct stci_cps *st, stc_object_class cls,
				    const char *label)
{
	for (size_t i = 0; i < st->nobjs; i++)
		if (st->objs[i].cls == cls && !strcmp(st->objs[i].label, label))
			return &st->objs[i];
	return NULL;
}

static const stc_object *find_cert(const struct stci_cps *st)
{
	const stc_object *key = find_label(st, STC_OBJ_PRIVATE_KEY,
					   st->contactless ? label_tech_key : label_auth_key);

	if (key && key->id_len)
		for (size_t i = 0; i < st->nobjs; i++)
			if (st->objs[i].cls == STC_OBJ_CERTIFICATE &&
			    st->objs[i].id_len == key->id_len &&
			    !memcmp(st->objs[i].id, key->id, key->id_len))
				return &st->objs[i];
	return find_label(st, STC_OBJ_CERTIFICATE,
			  st->contactless ? label_tech_cert : label_auth_cert);
}

/* The first value of nid in the name, as UTF-8; "" when absent. */
static stc_rv entry(const X509_NAME *name, int nid, char *out, size_t cap)
{
	int i = X509_NAME_get_index_by_NID(name, nid, -1);
	unsigned char *utf8 = NULL;
	int n;

	out[0] = '\0';
	if (i < 0)
		return STC_OK;
	n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
	if (n < 0)
		return STC_ERR_INVALID_DATA;
	if ((size_t)n >= cap || memchr(utf8, 0, (size_t)n)) {
		OPENSSL_free(utf8);
		return STC_ERR_INVALID_DATA;
	}
	memcpy(out, utf8, (size_t)n);
	out[n] = '\0';
	OPENSSL_free(utf8);
	return STC_OK;
}

static const char *id_type(const char *idnat)
{
	switch (idnat[0]) {
	case '8': return "RPPS";
	case '0': return "ADELI";
	case '3':
	case '5': return "structure";   /* santecard.h says "FINESS/structure": 17
					   bytes with its NUL, one more than id_type[16] */
	default: return "";
	}
}

static stc_rv parse(const uint8_t *der, size_t len, stc_cps_holder *h)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	const X509_NAME *name;
	stc_rv rv;

	if (!x)
		return STC_ERR_INVALID_DATA;
	name = X509_get_subject_name(x);
	rv = entry(name, NID_commonName, h->national_id, sizeof(h->national_id));
	if (rv == STC_OK)
		rv = entry(name, NID_surname, h->surname, sizeof(h->surname));
	if (rv == STC_OK)
		rv = entry(name, NID_givenName, h->given, sizeof(h->given));
	if (rv == STC_OK)
		rv = entry(name, NID_title, h->profession, sizeof(h->profession));
	X509_free(x);
	if (rv == STC_OK && !h->national_id[0])
		rv = STC_ERR_INVALID_DATA;
	if (rv == STC_OK)
		snprintf(h->id_type, sizeof(h->id_type), "%s", id_type(h->national_id));
	return rv;
}

stc_rv stci_cps_holder(stc_token *tok, stc_cps_holder *holder)
{
	struct stci_cps *st = tok->priv;
	const stc_object *cert;
	uint8_t *der = NULL;
	size_t len = 0;
	stc_rv rv = stci_cps_load(tok, st);

	memset(holder, 0, sizeof(*holder));
	if (rv != STC_OK)
		return rv;
	cert = find_cert(st);
	if (!cert)
		return STC_ERR_NOT_FOUND;
	rv = stci_cps_read_object(tok, cert->handle, &der, &len);
	if (rv != STC_OK)
		return rv;
	rv = parse(der, len, holder);
	stci_cps_free_buf(der, len);
	if (rv != STC_OK)
		memset(holder, 0, sizeof(*holder));
	return rv;
}
