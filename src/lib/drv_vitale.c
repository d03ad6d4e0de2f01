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

/*
 * READ BINARY of the EF at SFI 2 of the current DF, whole. The first read (by
 * SFI, Le=00) makes the EF current and brings up to 256 bytes; a file of 256
 * bytes or more (a family card: 4 beneficiaries make an identity file of about
 * 270 bytes, 19 beneficiaries 1266) is read on by offset, 256 bytes at a time,
 * until the card says the end is reached (fewer bytes, 6B00 past the end, or
 * 6282 end of file).
 */
static stc_rv read_sfi2(stc_card *card, uint8_t *buf, size_t cap, size_t *len)
{
	stc_apdu a = { .ins = 0xB0, .p1 = 0x82, .p2 = 0x00, .le = 256 };
	stc_rv rv = stci_cmd(card, &a, buf, cap < 256 ? cap : 256, len);

	while (rv == STC_OK && *len % 256 == 0 && *len > 0 && *len <= 0x7FFF) {
		size_t n = 0;
		uint16_t sw;
		stc_apdu more = { .ins = 0xB0, .p1 = (uint8_t)(*len >> 8), .p2 = (uint8_t)*len,
				  .le = 256 };

		if (cap - *len < 256)
			return STC_ERR_BUFFER_TOO_SMALL;
		rv = stc_transmit(card, &more, buf + *len, 256, &n, &sw);
		if (rv != STC_OK)
			return rv;
		if (sw == 0x6B00)
			break;             /* the offset is the end of the file */
		if (sw != 0x9000 && sw != 0x6282)
			return stc_sw_to_rv(sw);
		*len += n;
		if (n < 256 || sw == 0x6282)
			break;
	}
	return rv;
}

static stc_rv vitale_read(stc_token *tok, stc_beneficiary *out, size_t max, size_t *count)
{
	/* 19 beneficiaries: 1266 bytes of identities, 361 of NIRs */
	uint8_t ident[2048], nirs[1024], fci[256];
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
