/*
 * drv_vitale.c - carte Vitale 2: the beneficiaries.
 *
 * The read sequence is the one of the public open-source readers
 * (shared/reference/cards.md §2.3, RUFUS): SELECT MF, READ BINARY of the
 * identity EF by SFI 2 with Le=00 (a T=0 card answers 6Cxx with the size, and
 * the transceive layer asks again), SELECT application VITALE, READ BINARY by
 * SFI 2 of the NIR EF. Selects use P2=00 as that reader does: it is what real
 * cards are known to answer.
 */
#include "config.h"

#include <string.h>

#include "token_internal.h"

static const uint8_t mf[] = { 0x3F, 0x00 };
static const uint8_t aid_vitale[] = { 0xD2, 0x50, 0x00, 0x00, 0x02, 'V', 'I', 'T', 'A', 'L', 'E' };
static const uint8_t aid_mf_vitale[] = { 0xD2, 0x50, 0x00, 0x00, 0x02, 'M', 'F', '_', 'V', 'I',
					 'T', 'A', 'L', 'E' };

static int vitale_handles(stc_card_kind kind)
{
	return kind == STC_CARD_VITALE2;
}

static stc_rv select_aid(stc_card *card, const uint8_t *aid, size_t len, uint8_t p2)
{
	uint8_t fci[256];
	stc_apdu a = { .ins = 0xA4, .p1 = 0x04, .p2 = p2, .data = aid, .lc = len,
		       .le = p2 == 0x0C ? 0 : 256 };

	return stci_cmd(card, &a, fci, sizeof(fci), NULL);
}

/* An unknown ATR: the Vitale applications answer a SELECT by name. */
static stc_rv vitale_probe(stc_card *card, stc_card_kind *kind)
{
	stc_rv rv = select_aid(card, aid_mf_vitale, sizeof(aid_mf_vitale), 0x0C);

	if (rv == STC_ERR_NOT_FOUND || rv == STC_ERR_CARD_STATUS || rv == STC_ERR_NOT_SUPPORTED)
		rv = select_aid(card, aid_vitale, sizeof(aid_vitale), 0x0C);
	if (rv == STC_OK) {
		*kind = STC_CARD_VITALE2;
		return STC_OK;
	}
	if (rv == STC_ERR_NOT_FOUND || rv == STC_ERR_CARD_STATUS || rv == STC_ERR_NOT_SUPPORTED)
		return STC_ERR_NOT_FOUND;
	return rv;   /* the card went away, pcscd died ... */
}

/* READ BINARY of the EF at SFI 2 of the current DF, whole (up to 256 bytes). */
static stc_rv read_sfi2(stc_card *card, uint8_t *buf, size_t cap, size_t *len)
{
	stc_apdu a = { .ins = 0xB0, .p1 = 0x82, .p2 = 0x00, .le = 256 };

	return stci_cmd(card, &a, buf, cap, len);
}

static stc_rv vitale_read(stc_token *tok, stc_beneficiary *out, size_t max, size_t *count)
{
	uint8_t ident[256], nirs[256], fci[256];
	size_t ident_len = 0, nirs_len = 0;
	stc_apdu sel_mf = { .ins = 0xA4, .p1 = 0x00, .p2 = 0x00, .data = mf, .lc = sizeof(mf),
			    .le = 256 };
	stc_rv rv;

	*count = 0;
	rv = stci_cmd(tok->card, &sel_mf, fci, sizeof(fci), NULL);
	if (rv == STC_OK)
		rv = read_sfi2(tok->card, ident, sizeof(ident), &ident_len);
	if (rv == STC_OK)
		rv = select_aid(tok->card, aid_vitale, sizeof(aid_vitale), 0x00);
	if (rv == STC_OK)
		rv = read_sfi2(tok->card, nirs, sizeof(nirs), &nirs_len);
	if (rv == STC_OK)
		rv = stc_vitale_parse(ident, ident_len, nirs, nirs_len, out, max, count);
	/* personal data: nothing left behind in these buffers */
	memset(ident, 0, sizeof(ident));
	memset(nirs, 0, sizeof(nirs));
	return rv;
}

const struct stci_driver stci_vitale_driver = {
	.name = "vitale",
	.handles = vitale_handles,
	.probe = vitale_probe,
	.vitale_read = vitale_read,
};
