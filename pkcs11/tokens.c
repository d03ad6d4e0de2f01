/*
 * tokens.c - a token per recognised card: its object table, built from the
 * token layer's objects (CPS) or beneficiaries (Vitale), and its token info.
 *
 * Names as the vendor module gives them (shared/reference/cards.md,
 * "Cryptolib object labels"): certificates and keys keep the card's PKCS#15
 * labels and IDs; a public key per certificate, labelled "Cle publique - "
 * + the certificate's label, with its CKA_ID. Values are read on first need
 * and kept while the token lives; nothing PIN-protected is read before login.
 * The CPS2ter situation files cost 20 SELECTs to find: they join the table
 * only when a logged-in search could match them (p11_token_cps2ter).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "p11.h"
#include "p11_cert.h"

static CK_OBJECT_HANDLE next_object = 1;
static unsigned long next_generation = 1;

CK_RV p11_token_open(struct p11_slot *slot, stc_card *card, const stc_reader_info *ri,
		     struct p11_token **out)
{
	struct p11_token *t;
	stc_token *tok;
	stc_rv rv = stc_token_open(card, &tok);

	if (rv != STC_OK) {
		stc_log(STC_LOG_INFO, "pkcs11: card in '%s' not opened: %s", slot->reader,
			stc_rv_name(rv));
		return p11_rv(rv);
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		stc_token_close(tok);
		return CKR_HOST_MEMORY;
	}
	t->card = card;
	t->tok = tok;
	t->kind = stc_token_kind(tok);
	t->event_count = ri->event_count;
	t->generation = next_generation++;
	*out = t;
	return CKR_OK;
}

static void object_clear(struct p11_object *o)
{
	if (o->value) {
		OPENSSL_cleanse(o->value, o->value_len);
		free(o->value);
	}
	o->value = NULL;
	o->value_len = 0;
	o->value_read = 0;
	p11_certinfo_free(o->ci);
	o->ci = NULL;
}

void p11_token_free(struct p11_token *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nobjs; i++)
		object_clear(&t->objs[i]);
	stc_token_close(t->tok);
	/* reset: leave no verified PIN behind us */
	stc_disconnect(t->card, t->logged_in);
	free(t);
}

struct p11_object *p11_object_get(struct p11_token *t, CK_OBJECT_HANDLE h)
{
	for (size_t i = 0; i < t->nobjs; i++)
		if (t->objs[i].handle == h)
			return &t->objs[i];
	return NULL;
}

int p11_object_visible(const struct p11_token *t, const struct p11_object *o)
{
	return !o->is_private || t->logged_in;
}

static struct p11_object *new_object(struct p11_token *t)
{
	struct p11_object *o;

	if (t->nobjs == P11_MAX_OBJECTS)
		return NULL;
	o = &t->objs[t->nobjs++];
	memset(o, 0, sizeof(*o));
	o->handle = next_object++;
	return o;
}

static CK_RV cps_objects(struct p11_token *t)
{
	const stc_object *list;
	size_t n;
	stc_rv rv = stc_token_objects(t->tok, &list, &n);

	if (rv != STC_OK)
		return p11_rv(rv);
	for (size_t i = 0; i < n; i++) {
		const stc_object *so = &list[i];
		struct p11_object *o = new_object(t);

		if (!o)
			break;
		switch (so->cls) {
		case STC_OBJ_CERTIFICATE: o->cls = CKO_CERTIFICATE; break;
		case STC_OBJ_PRIVATE_KEY: o->cls = CKO_PRIVATE_KEY; break;
		default: o->cls = CKO_DATA; break;
		}
		o->stc_handle = so->handle;
		o->is_private = o->cls != CKO_CERTIFICATE && so->needs_pin;
		memcpy(o->label, so->label, sizeof(o->label));
		memcpy(o->id, so->id, so->id_len);
		o->id_len = so->id_len;
		memcpy(o->application, so->application, sizeof(o->application));
		o->usage = so->usage;
		o->key_bits = so->key_bits;
	}
	/* a public key per certificate; keys learn their certificate */
	for (size_t i = 0, ncert = t->nobjs; i < ncert; i++) {
		struct p11_object *c = &t->objs[i];
		struct p11_object *pub;

		if (c->cls != CKO_CERTIFICATE)
			continue;
		pub = new_object(t);
		if (!pub)
			break;
		pub->cls = CKO_PUBLIC_KEY;
		pub->stc_handle = c->stc_handle;
		snprintf(pub->label, sizeof(pub->label), "Cle publique - %.*s",
			 (int)(sizeof(pub->label) - 20), c->label);
		memcpy(pub->id, c->id, c->id_len);
		pub->id_len = c->id_len;
		pub->cert = c;
	}
	for (size_t i = 0; i < t->nobjs; i++) {
		struct p11_object *k = &t->objs[i];

		if (k->cls != CKO_PRIVATE_KEY)
			continue;
		for (size_t j = 0; j < t->nobjs; j++) {
			struct p11_object *c = &t->objs[j];

			if (c->cls == CKO_CERTIFICATE && c->id_len == k->id_len &&
			    memcmp(c->id, k->id, k->id_len) == 0)
				k->cert = c;
			if (c->cls == CKO_PUBLIC_KEY && c->id_len == k->id_len &&
			    memcmp(c->id, k->id, k->id_len) == 0) {
				c->usage = k->usage;
				c->key_bits = k->key_bits;
			}
		}
	}
	return CKR_OK;
}

/* Vitale beneficiaries: read-only data objects of application "VITALE", the
 * value a small UTF-8 text of key=value lines. */
static CK_RV vitale_objects(struct p11_token *t)
{
	stc_beneficiary b[STC_VITALE_MAX_BENEFICIARIES];
	size_t n = 0;
	stc_rv rv = stc_token_vitale_read(t->tok, b, STC_VITALE_MAX_BENEFICIARIES, &n);
	CK_RV ret = CKR_OK;

	if (rv == STC_ERR_NOT_SUPPORTED)
		return CKR_OK;   /* Vitale 1: its data coding is not public */
	if (rv != STC_OK)
		return p11_rv(rv);
	for (size_t i = 0; i < n; i++) {
		struct p11_object *o = new_object(t);
		char text[512];
		int len;

		if (!o)
			break;
		o->cls = CKO_DATA;
		snprintf(o->label, sizeof(o->label), "VITALE_BENEFICIAIRE_%02u", (unsigned)(i + 1));
		snprintf(o->application, sizeof(o->application), "VITALE");
		o->id[0] = (uint8_t)(i + 1);
		o->id_len = 1;
		len = snprintf(text, sizeof(text),
			       "nom=%s\nprenom=%s\nnaissance=%s\nnir=%s\nrang=%d\nqualite=%d\n",
			       b[i].surname, b[i].given, b[i].birth, b[i].nir, b[i].rank,
			       b[i].quality);
		if (len < 0 || (size_t)len >= sizeof(text))
			len = (int)strlen(text);
		o->value = malloc((size_t)len);
		if (!o->value) {
			ret = CKR_HOST_MEMORY;
			t->nobjs--;
			break;
		}
		memcpy(o->value, text, (size_t)len);
		o->value_len = (size_t)len;
		o->value_read = 1;
		OPENSSL_cleanse(text, sizeof(text));
	}
	OPENSSL_cleanse(b, sizeof(b));
	return ret;
}

CK_RV p11_token_objects(struct p11_token *t)
{
	CK_RV rv;

	if (t->objects_loaded)
		return CKR_OK;
	for (size_t i = 0; i < t->nobjs; i++)
		object_clear(&t->objs[i]);
	t->nobjs = 0;
	if (t->kind == STC_CARD_VITALE1 || t->kind == STC_CARD_VITALE2)
		rv = vitale_objects(t);
	else
		rv = cps_objects(t);
	if (rv == CKR_OK)
		t->objects_loaded = 1;
	return rv;
}

/* ------------------------------------------------- CPS2ter (on demand) */

/* The token layer's list for its current token: a token reopened by a logout
 * must list them again before it reads one. */
static stc_rv cps2ter_list(struct p11_token *t, const stc_object **list, size_t *n)
{
	stc_rv rv = stc_token_cps2ter_objects(t->tok, list, n);

	if (rv == STC_OK)
		t->cps2ter_tok = 1;
	return rv;
}

CK_RV p11_token_cps2ter(struct p11_token *t)
{
	const stc_object *list;
	size_t n = 0;
	stc_rv rv;

	if (t->cps2ter_loaded)
		return CKR_OK;
	rv = cps2ter_list(t, &list, &n);   /* NOT_SUPPORTED but on a contact CPS3 */
	if (p11_gone(rv))
		return CKR_DEVICE_REMOVED;
	t->cps2ter_loaded = 1;   /* looked for once: absent stays absent */
	if (rv != STC_OK) {
		if (rv != STC_ERR_NOT_SUPPORTED)
			stc_log(STC_LOG_INFO, "pkcs11: CPS2ter objects not listed: %s",
				stc_rv_name(rv));
		return CKR_OK;
	}
	for (size_t i = 0; i < n; i++) {
		struct p11_object *o = new_object(t);

		if (!o) {
			stc_log(STC_LOG_INFO, "pkcs11: object table full, %zu CPS2ter objects left out",
				n - i);
			break;
		}
		o->cls = CKO_DATA;
		o->cps2ter = 1;
		o->is_private = 1;   /* PIN-protected on the card, whatever needs_pin says */
		o->stc_handle = list[i].handle;
		memcpy(o->label, list[i].label, sizeof(o->label));
		memcpy(o->id, list[i].id, list[i].id_len);
		o->id_len = list[i].id_len;
		memcpy(o->application, list[i].application, sizeof(o->application));
	}
	return CKR_OK;
}

CK_RV p11_object_value(struct p11_token *t, struct p11_object *o)
{
	uint8_t *data = NULL;
	size_t len = 0;
	stc_rv rv;

	if (o->cls == CKO_PUBLIC_KEY && o->cert)
		o = o->cert;
	if (o->value_read)
		return CKR_OK;
	if (o->cls == CKO_PRIVATE_KEY)
		return CKR_ATTRIBUTE_SENSITIVE;
	if (o->cps2ter && !t->cps2ter_tok) {
		const stc_object *list;
		size_t n;

		rv = cps2ter_list(t, &list, &n);
		if (rv != STC_OK)
			return p11_rv(rv);
	}
	rv = stc_token_read_object(t->tok, o->stc_handle, &data, &len);
	if (rv != STC_OK)
		return p11_rv(rv);
	o->value = malloc(len ? len : 1);
	if (!o->value) {
		stc_free(data, len);
		return CKR_HOST_MEMORY;
	}
	if (len)
		memcpy(o->value, data, len);
	o->value_len = len;
	o->value_read = 1;
	stc_free(data, len);
	return CKR_OK;
}

CK_RV p11_object_pkey(struct p11_token *t, struct p11_object *o, void **pkey)
{
	struct p11_object *c = o->cls == CKO_CERTIFICATE ? o : o->cert;
	CK_RV rv;

	if (!c)
		return CKR_KEY_HANDLE_INVALID;
	rv = p11_object_value(t, c);
	if (rv != CKR_OK)
		return rv;
	if (!c->ci) {
		rv = p11_cert_parse(c->value, c->value_len, &c->ci);
		if (rv != CKR_OK)
			return rv;
	}
	*pkey = c->ci->pkey;
	return CKR_OK;
}

/* --------------------------------------------------------- token info */

int p11_token_pinpad(struct p11_token *t)
{
	stc_pinpad_info pi;

	/* a reader whose features cannot be read has no keypad for us */
	return t->card && stc_card_pinpad(t->card, &pi) == STC_OK && pi.verify;
}

static const char *model(stc_card_kind kind)
{
	switch (kind) {
	case STC_CARD_CPS3:
	case STC_CARD_CPS3_CL: return "IAS ECC";
	case STC_CARD_CPS4: return "ChipDoc";
	case STC_CARD_VITALE2: return "Vitale 2";
	case STC_CARD_VITALE1: return "Vitale 1";
	default: return "";
	}
}

static int is_vitale(const struct p11_token *t)
{
	return t->kind == STC_CARD_VITALE1 || t->kind == STC_CARD_VITALE2;
}

CK_RV p11_token_info(struct p11_token *t, CK_TOKEN_INFO *info)
{
	stc_pin_info pin;
	const char *serial = "";
	stc_rv rv;

	if (!t->info_loaded && !is_vitale(t)) {
		rv = stc_token_get_info(t->tok, &t->info);
		if (p11_gone(rv))
			return CKR_DEVICE_REMOVED;
		if (rv != STC_OK)
			memset(&t->info, 0, sizeof(t->info));
		t->info_loaded = 1;
	}
	memset(info, 0, sizeof(*info));
	if (is_vitale(t)) {
		p11_pad(info->label, sizeof(info->label), "carte Vitale");
		p11_pad(info->manufacturerID, sizeof(info->manufacturerID), "GIE SESAM-Vitale");
	} else {
		size_t sl = strlen(t->info.serial);

		p11_pad(info->label, sizeof(info->label),
			t->info.label[0] ? t->info.label : stc_token_description(t->tok));
		p11_pad(info->manufacturerID, sizeof(info->manufacturerID),
			t->info.manufacturer[0] ? t->info.manufacturer : "ASIP SANTE");
		/* Cryptolib: the last 16 characters of the card's serial */
		serial = sl > 16 ? t->info.serial + sl - 16 : t->info.serial;
	}
	p11_pad(info->model, sizeof(info->model), model(t->kind));
	p11_pad(info->serialNumber, sizeof(info->serialNumber), serial);
	info->flags = CKF_TOKEN_INITIALIZED;
	if (is_vitale(t))
		info->flags |= CKF_WRITE_PROTECTED;
	else
		info->flags |= CKF_RNG;
	info->ulMinPinLen = 4;
	info->ulMaxPinLen = 8;
	rv = is_vitale(t) ? STC_ERR_NOT_SUPPORTED : stc_token_pin_info(t->tok, STC_PIN_USER, &pin);
	if (p11_gone(rv))
		return CKR_DEVICE_REMOVED;
	if (rv == STC_OK) {
		info->flags |= CKF_LOGIN_REQUIRED | CKF_USER_PIN_INITIALIZED;
		if (pin.blocked || pin.tries_left == 0)
			info->flags |= CKF_USER_PIN_LOCKED;
		else if (pin.tries_left > 0 && pin.max_tries > 0 && pin.tries_left < pin.max_tries)
			info->flags |= CKF_USER_PIN_COUNT_LOW;
		if (pin.tries_left == 1)
			info->flags |= CKF_USER_PIN_FINAL_TRY;
		if (pin.min_len)
			info->ulMinPinLen = pin.min_len;
		if (pin.max_len)
			info->ulMaxPinLen = pin.max_len;
	} else if (rv != STC_ERR_NOT_SUPPORTED) {
		/* the card did not answer the PIN status: still a PIN card */
		info->flags |= CKF_LOGIN_REQUIRED | CKF_USER_PIN_INITIALIZED;
	}
	if (rv != STC_ERR_NOT_SUPPORTED && p11_token_pinpad(t))
		info->flags |= CKF_PROTECTED_AUTHENTICATION_PATH;
	if (rv == STC_ERR_NOT_SUPPORTED) {
		info->ulMinPinLen = 0;
		info->ulMaxPinLen = 0;
	}
	info->ulMaxSessionCount = CK_EFFECTIVELY_INFINITE;
	info->ulMaxRwSessionCount = CK_EFFECTIVELY_INFINITE;
	p11_sessions_count(t, &info->ulSessionCount, &info->ulRwSessionCount);
	info->ulTotalPublicMemory = CK_UNAVAILABLE_INFORMATION;
	info->ulFreePublicMemory = CK_UNAVAILABLE_INFORMATION;
	info->ulTotalPrivateMemory = CK_UNAVAILABLE_INFORMATION;
	info->ulFreePrivateMemory = CK_UNAVAILABLE_INFORMATION;
	p11_pad(info->utcTime, sizeof(info->utcTime), "");
	return CKR_OK;
}
