/* token_internal.h - the card-driver vtable behind stc_token (not installed). */
#ifndef STC_TOKEN_INTERNAL_H
#define STC_TOKEN_INTERNAL_H

#include "santecard.h"

struct stci_driver;

struct stc_token {
	stc_card *card;
	stc_card_kind kind;
	const char *description;
	const struct stci_driver *drv;
	void *priv;                 /* the driver's state */
	/* under the card's lock (token.c): */
	unsigned generation;        /* stci_card_generation() when last used */
	int pin_verified;           /* the PIN was verified since the last reset */
};

/*
 * One driver per card family. Every operation runs inside one PC/SC
 * transaction, taken by the caller of the hook. Hooks a family does not have
 * are NULL: the API answers STC_ERR_NOT_SUPPORTED.
 */
struct stci_driver {
	const char *name;
	/* Does this driver handle kind? */
	int (*handles)(stc_card_kind kind);
	/* The ATR told nothing: is it one of ours? STC_OK and *kind set, or
	 * STC_ERR_NOT_FOUND. Only harmless commands (SELECT) may be sent. */
	stc_rv (*probe)(stc_card *card, stc_card_kind *kind);
	stc_rv (*open)(stc_token *tok);
	void (*close)(stc_token *tok);
	/* The card was reset (by another application) and reconnected: whatever
	 * the card held for this token is gone (selected application and file,
	 * security state). Called under the card's lock before the next hook;
	 * the driver re-selects on that hook. What it read (objects, certificates)
	 * stays valid: a reset does not change the card's content. */
	void (*reset)(stc_token *tok);
	stc_rv (*vitale_read)(stc_token *tok, stc_beneficiary *out, size_t max, size_t *count);
	/* token objects (santecard.h): the array stays the driver's */
	stc_rv (*objects)(stc_token *tok, const stc_object **objs, size_t *count);
	stc_rv (*read_object)(stc_token *tok, unsigned handle, uint8_t **data, size_t *len);
	/* CPS: the CPS2ter volet's files (santecard.h stc_token_cps2ter_objects) */
	stc_rv (*cps2ter_objects)(stc_token *tok, const stc_object **objs, size_t *count);
	/* PINs: arguments already checked for NULL by token.c */
	stc_rv (*pin_info)(stc_token *tok, stc_pin_kind kind, stc_pin_info *info);
	stc_rv (*pin_verify)(stc_token *tok, const char *pin, size_t len, int *tries_left);
	stc_rv (*pin_change)(stc_token *tok, const char *old_pin, size_t old_len,
			     const char *new_pin, size_t new_len, int *tries_left);
	stc_rv (*pin_unblock)(stc_token *tok, const char *puk, size_t puk_len,
			      const char *new_pin, size_t new_len, int *tries_left);
	/* the same on the reader's keypad (pinpad.h) */
	stc_rv (*pin_verify_pinpad)(stc_token *tok, int *tries_left);
	stc_rv (*pin_change_pinpad)(stc_token *tok, int *tries_left);
	stc_rv (*cps_holder)(stc_token *tok, stc_cps_holder *holder);
	stc_rv (*info)(stc_token *tok, stc_token_info *info);
	/* keys: arguments checked for NULL by token.c; outputs written only on
	 * success. Multi-part signing: init may read the token's structure (in a
	 * transaction), update runs on the host only (no transaction), final
	 * talks to the card (in a transaction) and leaves the op to sign_free. */
	stc_rv (*sign)(stc_token *tok, unsigned key, stc_hash hash, const uint8_t *data,
		       size_t len, uint8_t *sig, size_t *sig_len);
	stc_rv (*sign_init)(stc_token *tok, unsigned key, stc_hash hash, void **op);
	stc_rv (*sign_update)(void *op, const uint8_t *data, size_t len);
	stc_rv (*sign_final)(stc_token *tok, void *op, uint8_t *sig, size_t *sig_len);
	void (*sign_free)(void *op);
	stc_rv (*decipher)(stc_token *tok, unsigned key, const uint8_t *in, size_t len,
			   uint8_t *out, size_t *out_len);
	stc_rv (*random)(stc_token *tok, uint8_t *out, size_t len);
};

/* A multi-part signature in progress (santecard.h stc_token_sign_init). */
struct stc_sign_op {
	stc_token *tok;
	void *priv;                 /* the driver's */
};

extern const struct stci_driver stci_cps_driver;
extern const struct stci_driver stci_vitale_driver;

/* Send a command and require 90 00 (61xx/6Cxx handled): the SW mapped to an
 * rv otherwise. resp may be NULL when no data is expected. */
stc_rv stci_cmd(stc_card *card, const stc_apdu *cmd, uint8_t *resp, size_t cap,
		size_t *len);

#endif
