/*
 * cps.h - the CPS of santecard-erx: which reader, the signature certificate,
 * the PIN (asked once, verified once through the token layer), the signature
 * with the signature key, and the pkcs11: URIs of the authentication key for
 * TLS (http.h loads our PKCS#11 module for that).
 */
#ifndef STC_ERX_CPS_H
#define STC_ERX_CPS_H

#include <stddef.h>
#include <stdint.h>

#include "santecard.h"
#include "erx.h"

struct erx_cps {
	stc_ctx *ctx;
	stc_card *card;
	stc_token *tok;
	char reader[STC_READER_NAME_MAX];
	unsigned sign_key;
	uint8_t *sign_cert;             /* DER */
	size_t sign_cert_len;
	struct erx_person person;       /* from the signature certificate */
	char key_uri[1024], cert_uri[1024];
	int was_verified;               /* the PIN was verified before we came */
	int verified;                   /* we verified it */
	const char *pin;                /* the PIN for the TLS login (NULL: keypad) */
	stc_rv last_rv;                 /* the token layer's answer to the last signature */
};

/* Find the CPS (in reader, or the first reader holding a contact CPS3) and
 * read its signature certificate. ERX_OK or an exit code after a message. */
int erx_cps_open(struct erx_cps *c, stc_ctx *ctx, const char *reader);

/* Ask for the PIN (keypad: 1 use it, 0 never, -1 when the reader has one;
 * pin_fd >= 0: read it from there) and verify it once. Never retried. ERX_OK
 * or an exit code after a message (wrong PIN: ERX_PIN_INCORRECT, with the
 * tries left). The PIN stays in the locked secret area for the TLS login. */
int erx_cps_login(struct erx_cps *c, int pin_fd, int keypad);

/* Before a signature that follows requests to the service: each request's TLS
 * login ends with it (the PKCS#11 module logs out, the card forgets the PIN),
 * so present the PIN again if the card no longer has it: the one it accepted
 * in erx_cps_login() (or the keypad again). ERX_OK or an exit code. */
int erx_cps_relogin(struct erx_cps *c);

/* The signer for erx_sign_bundle(): stc_token_sign() with the signature key
 * over a SHA-256 hash (the card builds the DigestInfo). */
int erx_cps_sign(void *cps, const uint8_t sha256[32], uint8_t *sig, size_t *siglen,
		 char *err, size_t errlen);

/* Exit code and message for a failed signature (card pulled ...). */
int erx_cps_sign_failed(const struct erx_cps *c, const char *err);

/* Release the card (reset when we verified a PIN that was not verified before:
 * no verification is left open to other applications) and wipe the PIN. */
void erx_cps_close(struct erx_cps *c);

/* "santecard-erx: <what>: <stc_strerror>" and the exit code for rv. */
int erx_card_fail(stc_rv rv, const char *what);

#endif
