/*
 * card.c - read the card in one reader into a struct vcard (santecard-vitale).
 *
 * The token layer recognises the card (ATR table, then probing once) and reads
 * a carte Vitale 2's beneficiaries in one transaction. Everything that can go
 * wrong is folded into a few outcomes a kiosk can show; the personal data stays
 * in memory and is wiped by vcard_wipe().
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "vitale.h"

/* Another application may hold the card for a moment (a desk program reading it
 * too): try again for about a second before calling it busy. */
#define BUSY_TRIES 10
#define BUSY_PAUSE_MS 100

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static enum vcard_result classify(stc_rv rv)
{
	switch (rv) {
	case STC_OK:
		return VC_OK;
	case STC_ERR_CARD_UNSUPPORTED:
		return VC_NOT_VITALE;
	case STC_ERR_SHARING_VIOLATION:
		return VC_BUSY;
	case STC_ERR_NO_CARD:
	case STC_ERR_CARD_REMOVED:
	case STC_ERR_READER_REMOVED:
	case STC_ERR_READER_NOT_FOUND:
	case STC_ERR_NO_SERVICE:
		return VC_GONE;
	default:
		return VC_UNREADABLE;
	}
}

static void read_token(stc_card *card, struct vcard *v)
{
	stc_token *tok;
	stc_rv rv = stc_token_open(card, &tok);

	if (rv != STC_OK) {
		v->rv = rv;
		v->result = classify(rv);
		/* the token layer has no driver for a Vitale 1 (its ATR names it) */
		if (v->result == VC_NOT_VITALE && v->kind == STC_CARD_VITALE1)
			v->result = VC_VITALE1;
		return;
	}
	v->kind = stc_token_kind(tok);
	snprintf(v->card_name, sizeof(v->card_name), "%s", stc_token_description(tok));
	if (v->kind == STC_CARD_VITALE2) {
		rv = stc_token_vitale_read(tok, v->ben, STC_VITALE_MAX_BENEFICIARIES, &v->count);
		if (rv == STC_ERR_CARD_RESET) {
			/* another application reset the card under us: once more */
			if (stc_reconnect(card, 0) == STC_OK)
				rv = stc_token_vitale_read(tok, v->ben, STC_VITALE_MAX_BENEFICIARIES,
							   &v->count);
		}
		v->rv = rv;
		v->result = classify(rv);
		if (rv != STC_OK)
			v->count = 0;
	} else if (v->kind == STC_CARD_VITALE1) {
		v->rv = STC_ERR_NOT_SUPPORTED;
		v->result = VC_VITALE1;
	} else {
		v->rv = STC_ERR_CARD_UNSUPPORTED;
		v->result = VC_NOT_VITALE;
	}
	stc_token_close(tok);
}

void vcard_read(stc_ctx *ctx, const char *reader, struct vcard *v)
{
	stc_card *card = NULL;
	stc_rv rv = STC_ERR_SHARING_VIOLATION;
	const char *name;
	size_t len = sizeof(v->atr);

	memset(v, 0, sizeof(*v));
	snprintf(v->reader, sizeof(v->reader), "%s", reader);
	for (int i = 0; i < BUSY_TRIES && rv == STC_ERR_SHARING_VIOLATION; i++) {
		if (i)
			pause_ms(BUSY_PAUSE_MS);
		rv = stc_connect(ctx, reader, STC_SHARE_SHARED, &card);
	}
	if (rv != STC_OK) {
		v->rv = rv;
		v->result = classify(rv);
		return;
	}
	if (stc_card_atr(card, v->atr, &len) == STC_OK)
		v->atr_len = len;
	/* a name from the ATR in case the token layer does not recognise the card */
	if (stc_atr_identify(v->atr, v->atr_len, &v->kind, &name) == STC_OK)
		snprintf(v->card_name, sizeof(v->card_name), "%s", name);
	else
		snprintf(v->card_name, sizeof(v->card_name), "unknown card");
	read_token(card, v);
	stc_disconnect(card, 0);
}
