/*
 * drv_cps.c - CPS cards (CPx, IAS-ECC): recognition.
 *
 * The token layer knows the CPS3 by its ATR; an unknown ATR is probed with a
 * SELECT of the contact and contactless PKCS#15 applications
 * (shared/reference/cards.md §1.3). PINs, signature, authentication and
 * decipher come with the CPS driver proper (PKCS#15 parsing is in pkcs15.c).
 */
#include "config.h"

#include "token_internal.h"

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
	/* P2=0C: the CPS3 refuses P2=00 on this AID with 6A86 (cards.md §1.7b) */
	stc_apdu a = { .ins = 0xA4, .p1 = 0x04, .p2 = 0x0C, .data = aid, .lc = len };

	return stci_cmd(card, &a, NULL, 0, NULL);
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

const struct stci_driver stci_cps_driver = {
	.name = "cps",
	.handles = cps_handles,
	.probe = cps_probe,
};
