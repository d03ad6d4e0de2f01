/*
 * pinpad.c - PIN entry on the reader's keypad (PC/SC part 10, CCID "Secure"):
 * the reader's features from CM_IOCTL_GET_FEATURE_REQUEST, and the
 * PIN_VERIFY_STRUCTURE / PIN_MODIFY_STRUCTURE a card driver asks for.
 *
 * The structures are written byte by byte as pcsc-lite's reader.h lays them
 * out (packed, multi-byte fields in host order: IFD handlers read them in
 * place), so no compiler's packing pragma is needed. The reader inserts the
 * typed digits into the APDU template and answers the card's R-APDU, or an
 * SW of its own: 64 00 (timeout), 64 01 (cancelled), 64 02 (the new PINs
 * differ), 6B 80 (entry refused, e.g. a wrong length).
 *
 * A PIN without padding (the CPS3's: `00 20 00 01 04 31 32 33 34`) has no
 * fixed block: the structure says block size 0 and the template's Lc is 0,
 * and the reader puts the digits after the header and sets Lc to their count
 * (our choice, documented in docs/ARCHITECTURE.md; a reader that cannot will
 * refuse the entry). A change needs both PINs at fixed offsets, so only
 * padded PINs can be changed on the keypad.
 */
#include "config.h"

#include <openssl/crypto.h>
#include <reader.h>
#include <string.h>

#include "pcsc_internal.h"
#include "pinpad.h"

#define FEATURES_MAX 256

stc_rv stc_card_pinpad(stc_card *card, stc_pinpad_info *info)
{
	uint8_t buf[FEATURES_MAX];
	size_t n = sizeof(buf);
	stc_rv rv = STC_OK;

	if (!card || !info)
		return STC_ERR_INVALID_ARGS;
	stci_card_lock(card);
	if (!card->pinpad_known) {
		card->ioctl_verify = card->ioctl_modify = 0;
		rv = stc_card_control(card, CM_IOCTL_GET_FEATURE_REQUEST, NULL, 0, buf, &n);
		if (rv == STC_ERR_NOT_SUPPORTED) {
			rv = STC_OK;
			n = 0;
		}
		/* TLV list: tag, length 4, the control code big-endian */
		for (size_t i = 0; rv == STC_OK && i + 2 <= n; i += 2 + (size_t)buf[i + 1]) {
			unsigned long code = 0;

			if (buf[i + 1] != 4 || i + 6 > n) {
				stc_log(STC_LOG_INFO, "pinpad: malformed feature list (%zu bytes)", n);
				rv = STC_ERR_INVALID_DATA;
				break;
			}
			for (int k = 0; k < 4; k++)
				code = code << 8 | buf[i + 2 + k];
			if (buf[i] == FEATURE_VERIFY_PIN_DIRECT)
				card->ioctl_verify = code;
			else if (buf[i] == FEATURE_MODIFY_PIN_DIRECT)
				card->ioctl_modify = code;
		}
		card->pinpad_known = rv == STC_OK;
	}
	info->verify = card->ioctl_verify != 0;
	info->modify = card->ioctl_modify != 0;
	stci_card_unlock(card);
	return rv;
}

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));    /* host order, as reader.h's uint16_t */
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* bmFormatString: byte units, PIN at offset 0 of its block, left justified,
 * ASCII or binary digits. */
static uint8_t format_string(const struct stci_pin_format *f)
{
	return (uint8_t)(0x80 | (f->ascii ? 0x02 : 0x00));
}

/* The reader's answer: an SW, the card's or its own. */
static stc_rv reader_sw(const uint8_t *r, size_t n, int *tries_left)
{
	uint16_t sw;
	int t;

	if (n < 2) {
		stc_log(STC_LOG_INFO, "pinpad: %zu-byte answer", n);
		return STC_ERR_PROTOCOL;
	}
	sw = (uint16_t)(r[n - 2] << 8 | r[n - 1]);
	switch (sw) {
	case 0x9000: return STC_OK;
	case 0x6400: return STC_ERR_TIMEOUT;
	case 0x6401: return STC_ERR_CANCELLED;
	case 0x6402:                               /* new PIN and confirmation differ */
	case 0x6B80: return STC_ERR_INVALID_ARGS;   /* the reader refused the entry */
	default: break;
	}
	t = stc_sw_tries_left(sw);
	if (t >= 0 && tries_left)
		*tries_left = t;
	if (sw == 0x6983 && tries_left)
		*tries_left = 0;
	return stc_sw_to_rv(sw) == STC_OK ? STC_ERR_CARD_STATUS : stc_sw_to_rv(sw);
}

/* variable: a block of size 0 is allowed (verify only). */
static stc_rv check_format(const struct stci_pin_format *f, int variable)
{
	if ((f->block == 0 && !variable) || f->block > STCI_PIN_BLOCK_MAX || f->min == 0 ||
	    f->min > f->max || f->max > 0xFF || (f->block && f->max > f->block))
		return STC_ERR_NOT_SUPPORTED;   /* a layout the keypad structures cannot say */
	return STC_OK;
}

/* The reader can take this structure: the feature, and a layout it can say. */
static stc_rv keypad_ready(stc_card *card, const struct stci_pin_format *f, int modify)
{
	stc_pinpad_info pi;
	stc_rv rv = stc_card_pinpad(card, &pi);

	if (rv != STC_OK)
		return rv;
	if (!(modify ? pi.modify : pi.verify))
		return STC_ERR_NOT_SUPPORTED;
	return check_format(f, !modify);
}

/* The APDU template after the structure's header: CLA INS P1 P2, Lc, and
 * blocks PIN blocks of pad bytes for the reader to fill. */
static size_t put_template(uint8_t *p, const uint8_t hdr[4], const struct stci_pin_format *f,
			   size_t blocks)
{
	memcpy(p, hdr, 4);
	p[4] = (uint8_t)(blocks * f->block);  /* Lc */
	memset(p + 5, f->pad, blocks * f->block);
	return 5 + blocks * f->block;
}

/* Hand the structure to the reader; its answer is an SW. */
static stc_rv send_structure(stc_card *card, unsigned long code, const uint8_t *s, size_t len,
			     int *tries_left)
{
	uint8_t r[258];
	size_t n = sizeof(r);
	stc_rv rv = stc_card_control(card, code, s, len, r, &n);

	if (rv == STC_OK)
		rv = reader_sw(r, n, tries_left);
	OPENSSL_cleanse(r, sizeof(r));
	return rv;
}

stc_rv stci_pinpad_verify(stc_card *card, const struct stci_pin_format *f, const uint8_t hdr[4],
			  int *tries_left)
{
	uint8_t s[19 + 5 + STCI_PIN_BLOCK_MAX];
	stc_rv rv = keypad_ready(card, f, 0);

	if (rv != STC_OK)
		return rv;
	memset(s, 0, sizeof(s));
	s[0] = 0x00;                         /* bTimerOut: the reader's default */
	s[1] = 0x00;                         /* bTimerOut2 */
	s[2] = format_string(f);
	s[3] = (uint8_t)f->block;            /* bmPINBlockString: no length field; 0 = variable */
	s[4] = 0x00;                         /* bmPINLengthFormat */
	put16(s + 5, (uint16_t)(f->min << 8 | f->max));   /* wPINMaxExtraDigit */
	s[7] = 0x02;                         /* bEntryValidationCondition: OK key */
	s[8] = 0x01;                         /* bNumberMessage */
	put16(s + 9, 0x040C);                /* wLangId: French */
	s[11] = 0x00;                        /* bMsgIndex */
	/* bTeoPrologue s[12..14] = 0 */
	put32(s + 15, (uint32_t)(5 + f->block));           /* ulDataLength */
	return send_structure(card, card->ioctl_verify, s, 19 + put_template(s + 19, hdr, f, 1),
			      tries_left);
}

stc_rv stci_pinpad_modify(stc_card *card, const struct stci_pin_format *f, const uint8_t hdr[4],
			  int *tries_left)
{
	uint8_t s[24 + 5 + 2 * STCI_PIN_BLOCK_MAX];
	stc_rv rv = keypad_ready(card, f, 1);

	if (rv != STC_OK)
		return rv;
	memset(s, 0, sizeof(s));
	s[2] = format_string(f);
	s[3] = (uint8_t)f->block;
	s[4] = 0x00;
	s[5] = 0x00;                         /* bInsertionOffsetOld */
	s[6] = (uint8_t)f->block;            /* bInsertionOffsetNew */
	put16(s + 7, (uint16_t)(f->min << 8 | f->max));
	s[9] = 0x01;                         /* bConfirmPIN: new PIN twice, old PIN asked */
	s[10] = 0x02;
	s[11] = 0x03;                        /* bNumberMessage: old, new, confirm */
	put16(s + 12, 0x040C);
	s[14] = 0x00, s[15] = 0x01, s[16] = 0x02;   /* bMsgIndex1..3 */
	/* bTeoPrologue s[17..19] = 0 */
	put32(s + 20, (uint32_t)(5 + 2 * f->block));
	return send_structure(card, card->ioctl_modify, s, 24 + put_template(s + 24, hdr, f, 2),
			      tries_left);
}
