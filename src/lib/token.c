/*
 * token.c - recognise a card and dispatch to its driver.
 *
 * Identification: the ATR table, then probing by each driver. A card nothing
 * recognises is remembered by reader and ATR and never probed again in this
 * process: PKCS#11 applications poll slots, and a foreign card must not get a
 * stream of SELECTs (OpenSC issue #3471).
 *
 * Threads and resets. Every token operation holds the card's lock
 * (pcsc_internal.h) from start to end, reconnect and retry included, and runs
 * the driver's hook inside one PC/SC transaction: two threads sharing a token
 * (or its card) run whole operations one after the other. When the card was
 * reset by another application (STC_ERR_CARD_RESET, from the transaction or
 * an exchange), the operation reconnects without resetting (stc_reconnect(card,
 * 0)), tells the driver (its reset hook: re-select on the next hook) and forgets
 * that the PIN was verified. Then, by what the operation needs:
 *  - OP_READ (object list, reading an object or a certificate, PIN status,
 *    holder, Vitale, random): retried once, transparently. Nothing it does
 *    depends on the lost security state: an object that needs the PIN is
 *    refused by the card itself (6982 -> STC_ERR_SECURITY_STATUS).
 *  - OP_KEY (signature, decipher): when the PIN had been verified, the key is
 *    no longer usable: STC_ERR_SECURITY_STATUS ("PIN required"), never a
 *    silent re-verification (the library keeps no PIN). When it had not (a
 *    key without PIN, the contactless card), retried once like a read; but
 *    not the end of a multi-part signature once it ran (it consumed the
 *    host's hash): STC_ERR_CARD_RESET.
 *  - OP_PIN (verify, change, unblock: the caller's own PIN or PUK): retried once
 *    when the reset was reported by the transaction's start, before anything
 *    was sent; reported later (the command may have reached the card, and
 *    the try counter with it), STC_ERR_CARD_RESET after the reconnect, for the
 *    caller to decide.
 * A reconnect made elsewhere (stc_reconnect by the application, another token
 * on the same card) is seen by the card's generation counter and handled the
 * same way before the next operation.
 */
#include "config.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "pcsc_internal.h"
#include "token_internal.h"

static const struct stci_driver *const drivers[] = {
	&stci_cps_driver,
	&stci_vitale_driver,
};
#define NDRIVERS (sizeof(drivers) / sizeof(drivers[0]))

/* ------------------------------------------------- unknown-card memory */

#define UNKNOWN_SLOTS 16

struct unknown_card {
	char reader[STC_READER_NAME_MAX];
	uint8_t atr[STC_ATR_MAX];
	size_t atr_len;
};

static pthread_mutex_t unknown_lock = PTHREAD_MUTEX_INITIALIZER;
static struct unknown_card unknown[UNKNOWN_SLOTS];
static size_t unknown_next;

static int unknown_has(const char *reader, const uint8_t *atr, size_t len)
{
	int found = 0;

	pthread_mutex_lock(&unknown_lock);
	for (size_t i = 0; i < UNKNOWN_SLOTS && !found; i++)
		found = unknown[i].atr_len == len && len && !memcmp(unknown[i].atr, atr, len) &&
			!strcmp(unknown[i].reader, reader);
	pthread_mutex_unlock(&unknown_lock);
	return found;
}

static void unknown_add(const char *reader, const uint8_t *atr, size_t len)
{
	struct unknown_card *u;

	pthread_mutex_lock(&unknown_lock);
	u = &unknown[unknown_next++ % UNKNOWN_SLOTS];
	strncpy(u->reader, reader, sizeof(u->reader) - 1);
	u->reader[sizeof(u->reader) - 1] = '\0';
	memcpy(u->atr, atr, len);
	u->atr_len = len;
	pthread_mutex_unlock(&unknown_lock);
}

/* ------------------------------------------------------------ commands */

stc_rv stci_cmd(stc_card *card, const stc_apdu *cmd, uint8_t *resp, size_t cap, size_t *len)
{
	uint8_t scratch[2];
	size_t n = 0;
	uint16_t sw;
	stc_rv rv = stc_transmit(card, cmd, resp ? resp : scratch, resp ? cap : 0, &n, &sw);

	if (len)
		*len = n;
	if (rv != STC_OK)
		return rv;
	if (sw != 0x9000) {
		stc_log(STC_LOG_DEBUG, "%02X %02X: %s", cmd->cla, cmd->ins, stc_sw_text(sw));
		return stc_sw_to_rv(sw);
	}
	return STC_OK;
}

/* -------------------------------------------------- operations, resets */

enum op_kind { OP_READ, OP_KEY, OP_KEY_FINAL, OP_PIN };

/* The card was reconnected since the token last looked (its lock held). */
static void token_sync(stc_token *tok)
{
	unsigned gen = stci_card_generation(tok->card);

	if (gen == tok->generation)
		return;
	tok->generation = gen;
	tok->pin_verified = 0;
	if (tok->drv->reset)
		tok->drv->reset(tok);
}

static void op_enter(stc_token *tok)
{
	stci_card_lock(tok->card);
	token_sync(tok);
}

static void op_leave(stc_token *tok)
{
	stci_card_unlock(tok->card);
}

/* Reconnect after a reset; the token learns it by its generation. */
static stc_rv op_reconnect(stc_token *tok)
{
	stc_rv rv;

	stc_log(STC_LOG_INFO, "card in '%s' reset by another application: reconnecting",
		stc_card_reader(tok->card));
	rv = stc_reconnect(tok->card, 0);
	if (rv == STC_OK)
		token_sync(tok);
	return rv;
}

/* End the operation's transaction. A reset reported only by its end came
 * after the operation's last exchange: the result stands, the reconnect is
 * done now so that the next operation starts clean. */
static stc_rv op_end(stc_token *tok, stc_rv rv)
{
	stc_rv end = stc_end(tok->card);

	if (rv == STC_OK && end == STC_ERR_CARD_RESET)
		(void)op_reconnect(tok);
	return rv;
}

/* After an attempt: should it be retried (see the top of this file)? sent: the
 * transaction was open (the hook ran); *retried: a retry was already made. */
static int op_again(stc_token *tok, enum op_kind kind, int sent, stc_rv *rv, int *retried)
{
	int was_verified = tok->pin_verified;
	stc_rv r;

	if (*rv != STC_ERR_CARD_RESET)
		return 0;
	r = op_reconnect(tok);
	if (r != STC_OK) {
		*rv = r;
		return 0;
	}
	if (*retried)
		return 0;
	if ((kind == OP_KEY || kind == OP_KEY_FINAL) && was_verified) {
		stc_log(STC_LOG_INFO, "the PIN verification was lost with the reset: PIN required");
		*rv = STC_ERR_SECURITY_STATUS;
		return 0;
	}
	if ((kind == OP_PIN || kind == OP_KEY_FINAL) && sent)
		return 0;
	*retried = 1;
	return 1;
}

/* Run call (a driver hook) for tok as one operation: lock, transaction, and
 * the reset handling above. rv receives the result. */
#define TOKEN_OP(tok, kind, rv, call)                                           \
	do {                                                                    \
		int sent_, retried_ = 0;                                        \
		op_enter(tok);                                                  \
		do {                                                            \
			sent_ = 0;                                              \
			(rv) = stc_begin((tok)->card);                          \
			if ((rv) == STC_OK) {                                   \
				sent_ = 1;                                      \
				(rv) = (call);                                  \
				(rv) = op_end((tok), (rv));                     \
			}                                                       \
		} while (op_again((tok), (kind), sent_, &(rv), &retried_));    \
		op_leave(tok);                                                  \
	} while (0)

/* --------------------------------------------------------------- tokens */

static const struct stci_driver *driver_for(stc_card_kind kind)
{
	for (size_t i = 0; i < NDRIVERS; i++)
		if (drivers[i]->handles(kind))
			return drivers[i];
	return NULL;
}

static stc_rv probe(stc_card *card, stc_card_kind *kind)
{
	stc_rv rv = stc_begin(card);

	if (rv != STC_OK)
		return rv;
	rv = STC_ERR_NOT_FOUND;
	for (size_t i = 0; i < NDRIVERS && rv == STC_ERR_NOT_FOUND; i++)
		if (drivers[i]->probe)
			rv = drivers[i]->probe(card, kind);
	(void)stc_end(card);
	return rv;
}

static const char *kind_description(stc_card_kind kind, const char *from_atr)
{
	switch (kind) {
	case STC_CARD_CPS3: return from_atr ? from_atr : "CPS (found by its application)";
	case STC_CARD_CPS3_CL: return from_atr ? from_atr : "CPS3 (contactless, found by its application)";
	case STC_CARD_VITALE2: return from_atr ? from_atr : "carte Vitale 2 (found by its application)";
	default: return from_atr ? from_atr : "unknown card";
	}
}

/* stc_token_open under the card's lock */
static stc_rv token_open(stc_card *card, stc_token **out)
{
	uint8_t atr[STC_ATR_MAX];
	size_t atr_len = sizeof(atr);
	const char *name = NULL;
	stc_card_kind kind;
	stc_token *tok;
	stc_rv rv;

	rv = stc_card_atr(card, atr, &atr_len);
	if (rv != STC_OK)
		return rv;
	if (stc_atr_identify(atr, atr_len, &kind, &name) != STC_OK || !driver_for(kind)) {
		name = NULL;
		if (unknown_has(stc_card_reader(card), atr, atr_len))
			return STC_ERR_CARD_UNSUPPORTED;
		rv = probe(card, &kind);
		if (rv == STC_ERR_NOT_FOUND) {
			stc_log(STC_LOG_INFO, "card in '%s' not recognised (ATR and probing)",
				stc_card_reader(card));
			unknown_add(stc_card_reader(card), atr, atr_len);
			return STC_ERR_CARD_UNSUPPORTED;
		}
		if (rv != STC_OK)
			return rv;
	}
	tok = calloc(1, sizeof(*tok));
	if (!tok)
		return STC_ERR_NO_MEMORY;
	tok->card = card;
	tok->generation = stci_card_generation(card);
	tok->kind = kind;
	tok->description = kind_description(kind, name);
	tok->drv = driver_for(kind);
	if (!tok->drv) {
		free(tok);
		return STC_ERR_CARD_UNSUPPORTED;
	}
	if (tok->drv->open) {
		rv = stc_begin(card);
		if (rv == STC_OK) {
			rv = tok->drv->open(tok);
			(void)stc_end(card);
		}
		if (rv != STC_OK) {
			free(tok);
			return rv;
		}
	}
	*out = tok;
	return STC_OK;
}

stc_rv stc_token_open(stc_card *card, stc_token **out)
{
	stc_rv rv;

	if (!card || !out)
		return STC_ERR_INVALID_ARGS;
	*out = NULL;
	stci_card_lock(card);
	rv = token_open(card, out);
	if (rv == STC_ERR_CARD_RESET) {
		/* probing sends only SELECTs: reconnect and try once more */
		rv = stc_reconnect(card, 0);
		if (rv == STC_OK)
			rv = token_open(card, out);
	}
	stci_card_unlock(card);
	return rv;
}

void stc_token_close(stc_token *tok)
{
	stc_card *card;

	if (!tok)
		return;
	card = tok->card;
	stci_card_lock(card);   /* not while another thread's operation runs */
	if (tok->drv->close)
		tok->drv->close(tok);
	free(tok);
	stci_card_unlock(card);
}

stc_card_kind stc_token_kind(const stc_token *tok)
{
	return tok ? tok->kind : STC_CARD_UNKNOWN;
}

const char *stc_token_description(const stc_token *tok)
{
	return tok ? tok->description : "";
}

stc_card *stc_token_card(stc_token *tok)
{
	return tok ? tok->card : NULL;
}

stc_rv stc_token_vitale_read(stc_token *tok, stc_beneficiary *out, size_t max, size_t *count)
{
	stc_rv rv;

	if (!tok || !out || !count)
		return STC_ERR_INVALID_ARGS;
	if (!tok->drv->vitale_read)
		return STC_ERR_NOT_SUPPORTED;
	TOKEN_OP(tok, OP_READ, rv, tok->drv->vitale_read(tok, out, max, count));
	return rv;
}

/* ----------------------------------------------- objects, PINs, holder */

/* Each runs the driver's hook inside one transaction. */

stc_rv stc_token_objects(stc_token *tok, const stc_object **objs, size_t *count)
{
	stc_rv rv;

	if (!tok || !objs || !count)
		return STC_ERR_INVALID_ARGS;
	*objs = NULL;
	*count = 0;
	if (!tok->drv->objects)
		return STC_ERR_NOT_SUPPORTED;
	TOKEN_OP(tok, OP_READ, rv, tok->drv->objects(tok, objs, count));
	return rv;
}

stc_rv stc_token_cps2ter_objects(stc_token *tok, const stc_object **objs, size_t *count)
{
	stc_rv rv;

	if (!tok || !objs || !count)
		return STC_ERR_INVALID_ARGS;
	*objs = NULL;
	*count = 0;
	if (!tok->drv->cps2ter_objects)
		return STC_ERR_NOT_SUPPORTED;
	TOKEN_OP(tok, OP_READ, rv, tok->drv->cps2ter_objects(tok, objs, count));
	return rv;
}

stc_rv stc_token_read_object(stc_token *tok, unsigned handle, uint8_t **data, size_t *len)
{
	stc_rv rv;

	if (!tok || !data || !len)
		return STC_ERR_INVALID_ARGS;
	*data = NULL;
	*len = 0;
	if (!tok->drv->read_object)
		return STC_ERR_NOT_SUPPORTED;
	TOKEN_OP(tok, OP_READ, rv, tok->drv->read_object(tok, handle, data, len));
	return rv;
}

void stc_free(void *p, size_t len)
{
	if (!p)
		return;
	OPENSSL_cleanse(p, len);
	free(p);
}

stc_rv stc_token_pin_info(stc_token *tok, stc_pin_kind kind, stc_pin_info *info)
{
	stc_rv rv;

	if (!tok || !info || (kind != STC_PIN_USER && kind != STC_PIN_PUK))
		return STC_ERR_INVALID_ARGS;
	if (!tok->drv->pin_info)
		return STC_ERR_NOT_SUPPORTED;
	TOKEN_OP(tok, OP_READ, rv, tok->drv->pin_info(tok, kind, info));
	return rv;
}

stc_rv stc_token_pin_verify_pinpad(stc_token *tok, int *tries_left)
{
	stc_rv rv;

	if (tries_left)
		*tries_left = -1;
	if (!tok)
		return STC_ERR_INVALID_ARGS;
	if (!tok->drv->pin_verify_pinpad)
		return STC_ERR_NOT_SUPPORTED;
	TOKEN_OP(tok, OP_PIN, rv, tok->drv->pin_verify_pinpad(tok, tries_left));
	if (rv == STC_OK)
		tok->pin_verified = 1;
	return rv;
}

stc_rv stc_token_pin_change_pinpad(stc_token *tok, int *tries_left)
{
	stc_rv rv;

	if (tries_left)
		*tries_left = -1;
	if (!tok)
		return STC_ERR_INVALID_ARGS;
	if (!tok->drv->pin_change_pinpad)
		return STC_ERR_NOT_SUPPORTED;
	TOKEN_OP(tok, OP_PIN, rv, tok->drv->pin_change_pinpad(tok, tries_left));
	if (rv == STC_OK)
		tok->pin_verified = 1;
	return rv;
}

stc_rv stc_token_pin_verify(stc_token *tok, const char *pin, size_t len, int *tries_left)
{
	stc_rv rv;

	if (tries_left)
		*tries_left = -1;
	if (!tok || !pin)
		return STC_ERR_INVALID_ARGS;
	if (!tok->drv->pin_verify)
		return STC_ERR_NOT_SUPPORTED;
	TOKEN_OP(tok, OP_PIN, rv, tok->drv->pin_verify(tok, pin, len, tries_left));
	if (rv == STC_OK)
		tok->pin_verified = 1;
	return rv;
}

stc_rv stc_token_pin_change(stc_token *tok, const char *old_pin, size_t old_len,
			    const char *new_pin, size_t new_len, int *tries_left)
{
	stc_rv rv;

	if (tries_left)
		*tries_left = -1;
	if (!tok || !old_pin || !new_pin)
		return STC_ERR_INVALID_ARGS;
	if (!tok->drv->pin_change)
		return STC_ERR_NOT_SUPPORTED;
	TOKEN_OP(tok, OP_PIN, rv, tok->drv->pin_change(tok, old_pin, old_len, new_pin, new_len,
							 tries_left));
	if (rv == STC_OK)
		tok->pin_verified = 1;   /* CHANGE REFERENCE DATA verifies the old PIN */
	return rv;
}

stc_rv stc_token_pin_unblock(stc_token *tok, const char *puk, size_t puk_len,
			     const char *new_pin, size_t new_len, int *tries_left)
{
	stc_rv rv;

	if (tries_left)
		*tries_left = -1;
	if (!tok || !puk || !new_pin)
		return STC_ERR_INVALID_ARGS;
	if (!tok->drv->pin_unblock)
		return STC_ERR_NOT_SUPPORTED;
	TOKEN_OP(tok, OP_PIN, rv, tok->drv->pin_unblock(tok, puk, puk_len, new_pin, new_len,
							  tries_left));
	return rv;
}

stc_rv stc_token_cps_holder(stc_token *tok, stc_cps_holder *holder)
{
	stc_rv rv;

	if (!tok || !holder)
		return STC_ERR_INVALID_ARGS;
	if (!tok->drv->cps_holder)
		return STC_ERR_NOT_SUPPORTED;
	TOKEN_OP(tok, OP_READ, rv, tok->drv->cps_holder(tok, holder));
	return rv;
}

stc_rv stc_token_get_info(stc_token *tok, stc_token_info *info)
{
	stc_rv rv;

	if (!tok || !info)
		return STC_ERR_INVALID_ARGS;
	memset(info, 0, sizeof(*info));
	if (!tok->drv->info)
		return STC_ERR_NOT_SUPPORTED;
	TOKEN_OP(tok, OP_READ, rv, tok->drv->info(tok, info));
	return rv;
}

/* ------------------------------------------- signature and decipher */

static int hash_ok(stc_hash hash)
{
	return hash == STC_HASH_NONE || hash == STC_HASH_SHA1 || hash == STC_HASH_SHA256;
}

stc_rv stc_token_sign(stc_token *tok, unsigned key, stc_hash hash, const uint8_t *data,
		      size_t len, uint8_t *sig, size_t *sig_len)
{
	stc_rv rv;

	if (!tok || (len && !data) || !sig || !sig_len || !hash_ok(hash))
		return STC_ERR_INVALID_ARGS;
	if (!tok->drv->sign)
		return STC_ERR_NOT_SUPPORTED;
	TOKEN_OP(tok, OP_KEY, rv, tok->drv->sign(tok, key, hash, data, len, sig, sig_len));
	return rv;
}

stc_rv stc_token_sign_init(stc_token *tok, unsigned key, stc_hash hash, stc_sign_op **op)
{
	stc_sign_op *o;
	stc_rv rv;

	if (op)
		*op = NULL;
	if (!tok || !op || !hash_ok(hash))
		return STC_ERR_INVALID_ARGS;
	if (!tok->drv->sign_init || !tok->drv->sign_update || !tok->drv->sign_final ||
	    !tok->drv->sign_free)
		return STC_ERR_NOT_SUPPORTED;
	o = calloc(1, sizeof(*o));
	if (!o)
		return STC_ERR_NO_MEMORY;
	o->tok = tok;
	/* init may read the token's structure (the key's usage and size) */
	TOKEN_OP(tok, OP_READ, rv, tok->drv->sign_init(tok, key, hash, &o->priv));
	if (rv != STC_OK) {
		free(o);
		return rv;
	}
	*op = o;
	return STC_OK;
}

stc_rv stc_sign_update(stc_sign_op *op, const uint8_t *data, size_t len)
{
	if (!op || (len && !data))
		return STC_ERR_INVALID_ARGS;
	return op->tok->drv->sign_update(op->priv, data, len);   /* host only */
}

stc_rv stc_sign_final(stc_sign_op *op, uint8_t *sig, size_t *sig_len)
{
	stc_rv rv;

	if (!op)
		return STC_ERR_INVALID_ARGS;
	if (!sig || !sig_len) {
		rv = STC_ERR_INVALID_ARGS;
	} else {
		TOKEN_OP(op->tok, OP_KEY_FINAL, rv,
			 op->tok->drv->sign_final(op->tok, op->priv, sig, sig_len));
	}
	stc_sign_abort(op);
	return rv;
}

void stc_sign_abort(stc_sign_op *op)
{
	if (!op)
		return;
	op->tok->drv->sign_free(op->priv);
	free(op);
}

stc_rv stc_token_decipher(stc_token *tok, unsigned key, const uint8_t *in, size_t len,
			  uint8_t *out, size_t *out_len)
{
	stc_rv rv;

	if (!tok || !in || !len || !out || !out_len)
		return STC_ERR_INVALID_ARGS;
	if (!tok->drv->decipher)
		return STC_ERR_NOT_SUPPORTED;
	TOKEN_OP(tok, OP_KEY, rv, tok->drv->decipher(tok, key, in, len, out, out_len));
	return rv;
}

stc_rv stc_token_random(stc_token *tok, uint8_t *out, size_t len)
{
	stc_rv rv;

	if (!tok || (len && !out))
		return STC_ERR_INVALID_ARGS;
	if (!tok->drv->random)
		return STC_ERR_NOT_SUPPORTED;
	if (!len)
		return STC_OK;
	TOKEN_OP(tok, OP_READ, rv, tok->drv->random(tok, out, len));
	return rv;
}
