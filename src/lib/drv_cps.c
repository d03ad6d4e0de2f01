/*
 * drv_cps.c - CPS cards (CPx, IAS-ECC): recognition, state and the vtable.
 *
 * The token layer knows the CPS3 by its ATR; an unknown ATR is probed with a
 * SELECT of the contact and contactless PKCS#15 applications
 * (shared/reference/cards.md §1.3). Opening sends nothing: the objects
 * (cps_objects.c), PINs (cps_pin.c) and holder (cps_holder.c) are read on
 * first need. Signatures: cps_sign.c (cps_hash.c for PSO HASH); decipher and
 * random: cps_decipher.c.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cps_internal.h"

static const uint8_t aid_contact[] = { 0xE8, 0x28, 0xBD, 0x08, 0x0F, 0x80, 0x25, 0x00, 0x00,
				       0x01, 0xFF, 0x00, 0x10 };
static const uint8_t aid_contactless[] = { 0xE8, 0x28, 0xBD, 0x08, 0x0F, 0x80, 0x25, 0x00,
					   0x00, 0x01, 0xFF, 0x00, 0x20 };

static int cps_handles(stc_card_kind kind)
{
	return kind == STC_CARD_CPS3 || kind == STC_CARD_CPS3_CL;
}

static stc_rv select_app(stc_card *card, const uint8_t *aid, size_t len)
{
	return stci_cps_select_app(card, aid, len);
}

static int not_ours(stc_rv rv)
{
	return rv == STC_ERR_NOT_FOUND || rv == STC_ERR_CARD_STATUS || rv == STC_ERR_NOT_SUPPORTED ||
	       rv == STC_ERR_SECURITY_STATUS;
}

static stc_rv cps_probe(stc_card *card, stc_card_kind *kind)
{
	stc_rv rv = select_app(card, aid_contact, sizeof(aid_contact));

	if (rv == STC_OK) {
		*kind = STC_CARD_CPS3;
		return STC_OK;
	}
	if (!not_ours(rv))
		return rv;
	rv = select_app(card, aid_contactless, sizeof(aid_contactless));
	if (rv == STC_OK) {
		*kind = STC_CARD_CPS3_CL;
		return STC_OK;
	}
	return not_ours(rv) ? STC_ERR_NOT_FOUND : rv;
}

/* The application DFs: 3F00/0001 (cards.md §1.4); 3F00/0002 for the
 * contactless one is an inference (ibid.), used only for relative paths. */
static const uint8_t path_contact[] = { 0x3F, 0x00, 0x00, 0x01 };
static const uint8_t path_contactless[] = { 0x3F, 0x00, 0x00, 0x02 };

static stc_rv cps_open(stc_token *tok)
{
	struct stci_cps *st = calloc(1, sizeof(*st));

	if (!st)
		return STC_ERR_NO_MEMORY;
	st->contactless = tok->kind == STC_CARD_CPS3_CL;
	st->aid = st->contactless ? aid_contactless : aid_contact;
	st->aid_len = sizeof(aid_contact);
	memcpy(st->app_path, st->contactless ? path_contactless : path_contact, 4);
	st->app_path_len = 4;
	tok->priv = st;
	return STC_OK;
}

static void cps_close(stc_token *tok)
{
	struct stci_cps *st = tok->priv;

	if (!st)
		return;
	stci_cps_unload(st);
	stci_cps2ter_free(st);
	free(st);
	tok->priv = NULL;
}

/*
 * The card was reset by another application (token.c reconnected): the
 * selected application and file and the PIN's verified state are gone. The
 * driver keeps no belief about the card's current DF: every hook starts with
 * a SELECT of the application by AID or of an absolute path (cps_files.c), so
 * the next operation re-selects by itself; what it read (the PKCS#15
 * structure, the objects) stays valid, a reset does not change the card's
 * content. This hook is the place for any selection state cached later
 * (e.g. to skip a SELECT of the application already selected).
 */
static void cps_reset(stc_token *tok)
{
	stc_log(STC_LOG_DEBUG, "CPS in '%s': reset, the next operation re-selects",
		stc_card_reader(tok->card));
}

const struct stci_driver stci_cps_driver = {
	.name = "cps",
	.handles = cps_handles,
	.probe = cps_probe,
	.open = cps_open,
	.close = cps_close,
	.reset = cps_reset,
	.objects = stci_cps_objects,
	.read_object = stci_cps_read_object,
	.cps2ter_objects = stci_cps2ter_objects,
	.pin_verify_pinpad = stci_cps_pin_verify_pinpad,
	.pin_change_pinpad = stci_cps_pin_change_pinpad,
	.pin_info = stci_cps_pin_info,
	.pin_verify = stci_cps_pin_verify,
	.pin_change = stci_cps_pin_change,
	.pin_unblock = stci_cps_pin_unblock,
	.cps_holder = stci_cps_holder,
	.info = stci_cps_info,
	.sign = stci_cps_sign,
	.sign_init = stci_cps_sign_init,
	.sign_update = stci_cps_sign_update,
	.sign_final = stci_cps_sign_final,
	.sign_free = stci_cps_sign_free,
	.decipher = stci_cps_decipher,
	.random = stci_cps_random,
};
