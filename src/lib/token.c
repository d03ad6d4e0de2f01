/*
 * token.c - recognise a card and dispatch to its driver.
 *
 * Identification: the ATR table, then probing by each driver. A card nothing
 * recognises is remembered by reader and ATR and never probed again in this
 * process: PKCS#11 applications poll slots, and a foreign card must not get a
 * stream of SELECTs (OpenSC issue #3471).
 */
#include "config.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

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

stc_rv stc_token_open(stc_card *card, stc_token **out)
{
	uint8_t atr[STC_ATR_MAX];
	size_t atr_len = sizeof(atr);
	const char *name = NULL;
	stc_card_kind kind;
	stc_token *tok;
	stc_rv rv;

	if (!card || !out)
		return STC_ERR_INVALID_ARGS;
	*out = NULL;
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

void stc_token_close(stc_token *tok)
{
	if (!tok)
		return;
	if (tok->drv->close)
		tok->drv->close(tok);
	free(tok);
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
	rv = stc_begin(tok->card);
	if (rv != STC_OK)
		return rv;
	rv = tok->drv->vitale_read(tok, out, max, count);
	(void)stc_end(tok->card);   /* what was read stays valid if the card just left */
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
	rv = stc_begin(tok->card);
	if (rv != STC_OK)
		return rv;
	rv = tok->drv->objects(tok, objs, count);
	(void)stc_end(tok->card);
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
	rv = stc_begin(tok->card);
	if (rv != STC_OK)
		return rv;
	rv = tok->drv->read_object(tok, handle, data, len);
	(void)stc_end(tok->card);
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
	rv = stc_begin(tok->card);
	if (rv != STC_OK)
		return rv;
	rv = tok->drv->pin_info(tok, kind, info);
	(void)stc_end(tok->card);
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
	rv = stc_begin(tok->card);
	if (rv != STC_OK)
		return rv;
	rv = tok->drv->pin_verify(tok, pin, len, tries_left);
	(void)stc_end(tok->card);
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
	rv = stc_begin(tok->card);
	if (rv != STC_OK)
		return rv;
	rv = tok->drv->pin_change(tok, old_pin, old_len, new_pin, new_len, tries_left);
	(void)stc_end(tok->card);
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
	rv = stc_begin(tok->card);
	if (rv != STC_OK)
		return rv;
	rv = tok->drv->pin_unblock(tok, puk, puk_len, new_pin, new_len, tries_left);
	(void)stc_end(tok->card);
	return rv;
}

stc_rv stc_token_cps_holder(stc_token *tok, stc_cps_holder *holder)
{
	stc_rv rv;

	if (!tok || !holder)
		return STC_ERR_INVALID_ARGS;
	if (!tok->drv->cps_holder)
		return STC_ERR_NOT_SUPPORTED;
	rv = stc_begin(tok->card);
	if (rv != STC_OK)
		return rv;
	rv = tok->drv->cps_holder(tok, holder);
	(void)stc_end(tok->card);
	return rv;
}
