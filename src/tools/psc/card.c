/*
 * card.c - the CPS for `login --card --no-browser`: found through the token
 * layer, its holder's national id (the login_hint) read from the
 * authentication certificate, and the PIN verified here first, once, so that a
 * wrong PIN is reported precisely (tries left) and costs one try; only then
 * does the same PIN go to the PKCS#11 engine for the TLS handshake. Never
 * retried. The PIN lives in pin_input's locked area and is wiped on close.
 * The card is reset at the end when its PIN was not verified before, so no
 * verification stays open to other applications.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pin_input.h"
#include "psc.h"
#include "tool.h"

struct psc_card {
	stc_ctx *ctx;
	stc_card *card;
	stc_token *tok;
	stc_cps_holder holder;
	stc_token_info info;
	int was_verified;
	int keypad;                 /* the PIN went through the reader's keypad */
	struct pin_secrets *secrets;
	char *cert_uri, *key_uri;
	struct http_tls tls;
};

/* The first reader (or the named one) holding a CPS. 0 or an exit code. */
static int find_cps(struct psc_card *k, const char *reader)
{
	stc_reader_info *list = NULL;
	size_t n = 0;
	stc_rv rv;

	if (!reader) {
		rv = stc_readers_list(k->ctx, &list, &n);
		if (rv != STC_OK)
			return tool_fail(rv, "listing the readers");
	}
	for (size_t i = 0; reader ? i < 1 : i < n; i++) {
		const char *name = reader ? reader : list[i].name;

		if (!reader && !list[i].card_present)
			continue;
		rv = stc_connect(k->ctx, name, STC_SHARE_SHARED, &k->card);
		if (rv != STC_OK) {
			k->card = NULL;
			continue;
		}
		if (stc_token_open(k->card, &k->tok) == STC_OK &&
		    stc_token_cps_holder(k->tok, &k->holder) == STC_OK) {
			stc_readers_free(list);
			return PSC_EXIT_OK;
		}
		if (k->tok)
			stc_token_close(k->tok);
		k->tok = NULL;
		stc_disconnect(k->card, 0);
		k->card = NULL;
	}
	stc_readers_free(list);
	if (reader)
		psc_say("no CPS in the reader '%s'", reader);
	else
		psc_say("no CPS found in %zu reader%s", n, n == 1 ? "" : "s");
	return PSC_EXIT_ERROR;
}

static int pin_report(stc_rv rv, int left)
{
	if (rv == STC_ERR_PIN_INCORRECT && left != 0) {
		if (left > 0)
			psc_say("wrong PIN, %d tr%s left (not retried)", left, left == 1 ? "y" : "ies");
		else
			psc_say("wrong PIN (not retried)");
		return PSC_EXIT_PIN_INCORRECT;
	}
	if (rv == STC_ERR_PIN_INCORRECT || rv == STC_ERR_PIN_BLOCKED) {
		psc_say("PIN blocked: unblock it with the PUK (santecard pin unblock)");
		return PSC_EXIT_PIN_BLOCKED;
	}
	if (rv == STC_ERR_CANCELLED || rv == STC_ERR_TIMEOUT) {
		psc_say("PIN entry %s on the keypad", rv == STC_ERR_CANCELLED ? "cancelled" :
			"timed out");
		return PSC_EXIT_ERROR;
	}
	if (rv == STC_ERR_INVALID_ARGS) {
		psc_say("the PIN has the wrong length for this card (nothing sent)");
		return PSC_EXIT_USAGE;
	}
	return tool_fail(rv, "verifying the PIN");
}

static int verify_pin(struct psc_card *k, int pin_fd)
{
	struct pin_source src;
	stc_pin_info pin;
	stc_pinpad_info pp = { 0, 0 };
	stc_rv rv;
	int left = -1, code;

	rv = stc_token_pin_info(k->tok, STC_PIN_USER, &pin);
	if (rv != STC_OK)
		return tool_fail(rv, "reading the PIN's state");
	if (pin.blocked)
		return pin_report(STC_ERR_PIN_BLOCKED, 0);
	k->was_verified = pin.verified;
	if (pin_fd < 0 && stc_card_pinpad(k->card, &pp) == STC_OK && pp.verify) {
		printf("Type the CPS PIN on the reader's keypad, then OK.\n");
		fflush(stdout);
		rv = stc_token_pin_verify_pinpad(k->tok, &left);
		if (rv != STC_ERR_NOT_SUPPORTED) {
			k->keypad = 1;
			return rv == STC_OK ? PSC_EXIT_OK : pin_report(rv, left);
		}
	}
	k->secrets = pin_secrets_acquire();
	if (pin_source_open(&src, pin_fd) != 0)
		return PSC_EXIT_USAGE;
	code = pin_read(&src, "CPS PIN: ", "the PIN", k->secrets, PIN_SLOT_1);
	pin_source_close(&src);
	if (code != 0)
		return PSC_EXIT_USAGE;
	if (k->secrets->len[PIN_SLOT_1] < pin.min_len || k->secrets->len[PIN_SLOT_1] > pin.max_len) {
		psc_say("the PIN must have %u to %u digits (nothing sent to the card)", pin.min_len,
			pin.max_len);
		return PSC_EXIT_USAGE;
	}
	rv = stc_token_pin_verify(k->tok, k->secrets->value[PIN_SLOT_1],
				  k->secrets->len[PIN_SLOT_1], &left);
	return rv == STC_OK ? PSC_EXIT_OK : pin_report(rv, left);
}

int psc_card_open(const char *reader, struct psc_card **out)
{
	struct psc_card *k = calloc(1, sizeof(*k));
	stc_rv rv;
	int code;

	*out = NULL;
	if (!k)
		return PSC_EXIT_ERROR;
	rv = stc_ctx_new(&k->ctx);
	if (rv != STC_OK) {
		free(k);
		return tool_fail(rv, "connecting to the PC/SC service");
	}
	code = find_cps(k, reader);
	if (code != PSC_EXIT_OK) {
		psc_card_close(k);
		return code;
	}
	if (stc_token_get_info(k->tok, &k->info) != STC_OK)
		memset(&k->info, 0, sizeof(k->info));
	psc_say("CPS of %s %s (%s) in '%s'", k->holder.given, k->holder.surname,
		k->holder.national_id, stc_card_reader(k->card));
	*out = k;
	return PSC_EXIT_OK;
}

int psc_card_login(struct psc_card *k, int pin_fd)
{
	int code = verify_pin(k, pin_fd);

	if (code == PSC_EXIT_OK &&
	    http_card_auth_uris(k->info.serial, k->info.label, &k->cert_uri, &k->key_uri) != 0)
		code = PSC_EXIT_ERROR;
	return code;
}

const char *psc_card_national_id(const struct psc_card *k)
{
	return k->holder.national_id;
}

const struct http_tls *psc_card_tls(struct psc_card *k, const char *ca)
{
	memset(&k->tls, 0, sizeof(k->tls));
	k->tls.ca_file = ca;
	k->tls.auth = HTTP_AUTH_CARD;
	k->tls.p11_cert_uri = k->cert_uri;
	k->tls.p11_key_uri = k->key_uri;
	/* keypad: the card is verified already; the module needs no PIN from us */
	k->tls.pin = k->secrets && !k->keypad ? k->secrets->value[PIN_SLOT_1] : NULL;
	k->tls.tls12_only = 1;      /* a CPS3 cannot sign RSA-PSS (TLS 1.3) */
	return &k->tls;
}

void psc_card_close(struct psc_card *k)
{
	if (!k)
		return;
	if (k->secrets)
		pin_secrets_release();
	if (k->tok)
		stc_token_close(k->tok);
	/* leave no verification behind that was not there before */
	if (k->card)
		stc_disconnect(k->card, !k->was_verified);
	if (k->ctx)
		stc_ctx_free(k->ctx);
	free(k->cert_uri);
	free(k->key_uri);
	free(k);
}
