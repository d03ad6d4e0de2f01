/* p11card.h - a card's certificate and key through libp11's engine (internal to http.c). */
#ifndef STC_TOOLS_P11CARD_H
#define STC_TOOLS_P11CARD_H

#include <stddef.h>
#include <openssl/evp.h>
#include <openssl/ui.h>
#include <openssl/x509.h>

/* the labels our module gives a contact CPS3's authentication objects
 * (santecard-pkcs11(8), the card vendor's) */
#define P11CARD_AUTH_CERT_LABEL "Certificat d'Authentification CPS"
#define P11CARD_AUTH_KEY_LABEL "CPS_PRIV_AUT"

struct p11card {
	void *engine;       /* ENGINE * (deprecated type kept out of the callers) */
	UI_METHOD *ui;
	X509 *cert;
	EVP_PKEY *key;      /* the card's key: signing goes through the engine */
};

/* module: NULL -> SANTECARD_PKCS11_MODULE, else the installed module. */
const char *p11card_module_path(const char *module);
/* Loads the engine, the certificate and the key (logs in). 0 or -1 + err. */
int p11card_open(struct p11card *c, const char *module, const char *cert_uri,
		 const char *key_uri, const char *pin, char *err, size_t errlen);
/* Frees everything; libp11 wipes its PIN copies, the module ends its session. */
void p11card_close(struct p11card *c);
int p11card_cps_auth_uris(const char *token_serial, const char *token_label, char **cert_uri,
			  char **key_uri);

#endif
