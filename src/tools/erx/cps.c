/*
 * cps.c - the CPS for santecard-erx (cps.h). The PIN is read like `santecard
 * pin` reads it (pin_input.c: terminal without echo, --pin-fd, or the reader's
 * keypad), verified once through the token layer so that a wrong PIN is
 * reported with the tries left and costs exactly one try, then kept in the
 * locked secret area for the TLS login of the PKCS#11 module (same PIN, which
 * is now known to be right). Never retried.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cps.h"
#include "http.h"
#include "pin_input.h"

int erx_card_fail(stc_rv rv, const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", erx_name, what, stc_strerror(rv));
	switch (rv) {
	case STC_ERR_NO_SERVICE:
		fprintf(stderr, "%s: is pcscd running?\n", erx_name);
		return ERX_NO_SERVICE;
	case STC_ERR_PIN_BLOCKED:
		return ERX_PIN_BLOCKED;
	default:
		return ERX_CARD;
	}
}

/* Open the card in reader as a contact CPS3. 0, 1 = not a CPS (nothing open),
 * -1 = error rv. */
static int try_reader(struct erx_cps *c, const char *reader, stc_rv *rv)
{
	*rv = stc_connect(c->ctx, reader, STC_SHARE_SHARED, &c->card);
	if (*rv != STC_OK) {
		c->card = NULL;
		return -1;
	}
	*rv = stc_token_open(c->card, &c->tok);
	if (*rv != STC_OK || stc_token_kind(c->tok) != STC_CARD_CPS3) {
		if (*rv == STC_OK)
			stc_token_close(c->tok);
		c->tok = NULL;
		stc_disconnect(c->card, 0);
		c->card = NULL;
		return *rv == STC_OK || *rv == STC_ERR_CARD_UNSUPPORTED ? 1 : -1;
	}
	snprintf(c->reader, sizeof(c->reader), "%s", reader);
	return 0;
}

static int find_card(struct erx_cps *c, const char *reader)
{
	stc_reader_info *list;
	size_t n;
	stc_rv rv;
	int r, cards = 0;

	if (reader) {
		r = try_reader(c, reader, &rv);
		if (r < 0)
			return erx_card_fail(rv, reader);
		if (r > 0) {
			fprintf(stderr, "%s: the card in '%s' is not a CPS3 (contact)\n", erx_name,
				reader);
			return ERX_CARD;
		}
		return ERX_OK;
	}
	rv = stc_readers_list(c->ctx, &list, &n);
	if (rv != STC_OK)
		return erx_card_fail(rv, "listing the readers");
	for (size_t i = 0; i < n; i++) {
		stc_card_kind kind;

		if (!list[i].card_present)
			continue;
		cards++;
		/* a carte Vitale is known by its ATR: do not probe it */
		if (stc_atr_identify(list[i].atr, list[i].atr_len, &kind, NULL) == STC_OK &&
		    (kind == STC_CARD_VITALE1 || kind == STC_CARD_VITALE2))
			continue;
		if (try_reader(c, list[i].name, &rv) == 0) {
			stc_readers_free(list);
			return ERX_OK;
		}
	}
	stc_readers_free(list);
	if (!n)
		fprintf(stderr, "%s: no reader\n", erx_name);
	else if (!cards)
		fprintf(stderr, "%s: no card in the reader%s: insert the CPS\n", erx_name,
			n > 1 ? "s" : "");
	else
		fprintf(stderr, "%s: no CPS in the reader%s: insert the CPS (a contact CPS3)\n",
			erx_name, n > 1 ? "s" : "");
	return ERX_CARD;
}

int erx_cps_open(struct erx_cps *c, stc_ctx *ctx, const char *reader)
{
	const stc_object *objs, *key = NULL, *cert = NULL, *akey = NULL;
	stc_token_info ti;
	char err[200], *cert_uri = NULL, *key_uri = NULL;
	size_t n;
	stc_rv rv;
	int code;

	memset(c, 0, sizeof(*c));
	c->ctx = ctx;
	code = find_card(c, reader);
	if (code != ERX_OK)
		return code;
	rv = stc_token_objects(c->tok, &objs, &n);
	if (rv != STC_OK) {
		code = erx_card_fail(rv, "reading the CPS's objects");
		goto fail;
	}
	for (size_t i = 0; i < n; i++)
		if (objs[i].cls == STC_OBJ_PRIVATE_KEY && (objs[i].usage & STC_USAGE_NONREPUDIATION))
			key = &objs[i];
		else if (objs[i].cls == STC_OBJ_PRIVATE_KEY && strcmp(objs[i].label, "CPS_PRIV_AUT") == 0)
			akey = &objs[i];
	for (size_t i = 0; key && i < n; i++)
		if (objs[i].cls == STC_OBJ_CERTIFICATE && objs[i].id_len == key->id_len &&
		    !memcmp(objs[i].id, key->id, key->id_len))
			cert = &objs[i];
	if (!key || !cert || !akey) {
		fprintf(stderr, "%s: the CPS in '%s' has no signature key and certificate, or no "
			"authentication key\n", erx_name, c->reader);
		code = ERX_CARD;
		goto fail;
	}
	c->sign_key = key->handle;
	rv = stc_token_read_object(c->tok, cert->handle, &c->sign_cert, &c->sign_cert_len);
	if (rv != STC_OK) {
		c->sign_cert = NULL;
		code = erx_card_fail(rv, "reading the signature certificate");
		goto fail;
	}
	if (erx_cert_person(c->sign_cert, c->sign_cert_len, &c->person, err, sizeof(err))) {
		fprintf(stderr, "%s: the CPS's signature certificate: %s\n", erx_name, err);
		code = ERX_CARD;
		goto fail;
	}
	/* the TLS key: this token's (by serial and label) authentication key */
	rv = stc_token_get_info(c->tok, &ti);
	if (rv != STC_OK) {
		code = erx_card_fail(rv, "reading the CPS's token information");
		goto fail;
	}
	if (http_card_auth_uris(ti.serial, ti.label, &cert_uri, &key_uri) != 0) {
		fprintf(stderr, "%s: out of memory\n", erx_name);
		code = ERX_ERROR;
		goto fail;
	}
	snprintf(c->key_uri, sizeof(c->key_uri), "%s", key_uri);
	snprintf(c->cert_uri, sizeof(c->cert_uri), "%s", cert_uri);
	free(cert_uri);
	free(key_uri);
	return ERX_OK;
fail:
	erx_cps_close(c);
	return code;
}

static int pin_result(stc_rv rv, int left)
{
	if (rv == STC_ERR_PIN_INCORRECT) {
		if (left < 0)
			fprintf(stderr, "%s: wrong PIN; nothing was signed or sent\n", erx_name);
		else
			fprintf(stderr, "%s: wrong PIN, %d tr%s left; nothing was signed or sent\n",
				erx_name, left, left == 1 ? "y" : "ies");
		if (left != 0)
			return ERX_PIN_INCORRECT;
		rv = STC_ERR_PIN_BLOCKED;
	}
	if (rv == STC_ERR_PIN_BLOCKED) {
		fprintf(stderr, "%s: the CPS's PIN is blocked: unblock it with the PUK "
			"(santecard pin unblock)\n", erx_name);
		return ERX_PIN_BLOCKED;
	}
	if (rv == STC_ERR_CANCELLED || rv == STC_ERR_TIMEOUT) {
		fprintf(stderr, "%s: PIN entry %s on the keypad; nothing was sent\n", erx_name,
			rv == STC_ERR_CANCELLED ? "cancelled" : "timed out");
		return ERX_CARD;
	}
	if (rv == STC_ERR_INVALID_ARGS) {
		fprintf(stderr, "%s: the PIN does not have an acceptable length\n", erx_name);
		return ERX_USAGE;
	}
	return erx_card_fail(rv, "verifying the PIN");
}

int erx_cps_login(struct erx_cps *c, int pin_fd, int keypad)
{
	struct pin_source src = { .fd = -1, .pin_fd = -1 };
	struct pin_secrets *s;
	stc_pin_info info;
	stc_pinpad_info pp = { 0, 0 };
	int left = -1, code;
	stc_rv rv;

	rv = stc_token_pin_info(c->tok, STC_PIN_USER, &info);
	if (rv != STC_OK)
		return erx_card_fail(rv, "reading the PIN's state");
	if (info.blocked)
		return pin_result(STC_ERR_PIN_BLOCKED, 0);
	c->was_verified = info.verified;
	if (pin_fd < 0 && keypad != 0 && stc_card_pinpad(c->card, &pp) == STC_OK && pp.verify) {
		printf("Type the CPS's PIN on the reader's keypad, then OK (once more when the\n"
		       "keypad asks again: the connection to the service logs in too).\n");
		fflush(stdout);
		rv = stc_token_pin_verify_pinpad(c->tok, &left);
		if (rv == STC_OK) {
			c->verified = 1;
			c->pin = NULL;     /* the module logs in on the keypad too */
			return ERX_OK;
		}
		if (rv != STC_ERR_NOT_SUPPORTED || keypad == 1)
			return pin_result(rv, left);
		/* the keypad cannot do it for this card: the terminal */
	} else if (keypad == 1) {
		fprintf(stderr, "%s: the reader '%s' has no keypad\n", erx_name, c->reader);
		return ERX_CARD;
	}
	s = pin_secrets_acquire();
	if (pin_source_open(&src, pin_fd) != 0)
		return ERX_USAGE;
	code = pin_read(&src, "CPS PIN: ", "the PIN", s, PIN_SLOT_1);
	pin_source_close(&src);
	if (code != 0)
		return ERX_USAGE;
	if (s->len[PIN_SLOT_1] < info.min_len || s->len[PIN_SLOT_1] > info.max_len) {
		fprintf(stderr, "%s: the PIN must have %u to %u digits; nothing was sent to the "
			"card\n", erx_name, info.min_len, info.max_len);
		return ERX_USAGE;
	}
	rv = stc_token_pin_verify(c->tok, s->value[PIN_SLOT_1], s->len[PIN_SLOT_1], &left);
	if (rv != STC_OK)
		return pin_result(rv, left);
	c->verified = 1;
	c->pin = s->value[PIN_SLOT_1];
	return ERX_OK;
}

int erx_cps_relogin(struct erx_cps *c)
{
	stc_pin_info info;
	int left = -1;
	stc_rv rv = stc_token_pin_info(c->tok, STC_PIN_USER, &info);

	if (rv != STC_OK)
		return erx_card_fail(rv, "reading the PIN's state");
	if (info.verified)
		return ERX_OK;
	if (c->pin) {
		/* the PIN that the card accepted a moment ago, not a new guess */
		rv = stc_token_pin_verify(c->tok, c->pin, strlen(c->pin), &left);
	} else {
		printf("Type the CPS's PIN on the reader's keypad again, for the signature.\n");
		fflush(stdout);
		rv = stc_token_pin_verify_pinpad(c->tok, &left);
	}
	return rv == STC_OK ? ERX_OK : pin_result(rv, left);
}

int erx_cps_sign(void *cps, const uint8_t sha256[32], uint8_t *sig, size_t *siglen, char *err,
		 size_t errlen)
{
	struct erx_cps *c = cps;

	c->last_rv = stc_token_sign(c->tok, c->sign_key, STC_HASH_NONE, sha256, 32, sig, siglen);
	if (c->last_rv != STC_OK) {
		snprintf(err, errlen, "the CPS did not sign: %s", stc_strerror(c->last_rv));
		return -1;
	}
	return 0;
}

int erx_cps_sign_failed(const struct erx_cps *c, const char *err)
{
	if (c->last_rv == STC_ERR_CARD_REMOVED || c->last_rv == STC_ERR_NO_CARD) {
		fprintf(stderr, "%s: the CPS was removed during the signature; nothing was "
			"signed or sent\n", erx_name);
		return ERX_CARD;
	}
	fprintf(stderr, "%s: signing: %s; nothing was sent\n", erx_name, err);
	return c->last_rv != STC_OK ? ERX_CARD : ERX_ERROR;
}

void erx_cps_close(struct erx_cps *c)
{
	if (c->tok)
		stc_token_close(c->tok);
	if (c->card)
		stc_disconnect(c->card, c->verified && !c->was_verified);
	if (c->sign_cert)
		stc_free(c->sign_cert, c->sign_cert_len);
	c->tok = NULL;
	c->card = NULL;
	c->sign_cert = NULL;
	c->pin = NULL;
	pin_secrets_release();
}
