/*
 * cps_pin.c - the CPS PINs (contact mode; the contactless application has no
 * AODF and no PIN): status by the empty VERIFY (OpenSC) and the CHV security
 * data object read by GET DATA with the MF current (Cryptolib, cards.md §1.7a),
 * VERIFY, CHANGE REFERENCE DATA and RESET RETRY COUNTER (cards.md §1.7d).
 *
 * Lengths and encoding come from the AODF and are checked before anything is
 * sent. The command buffers that hold a PIN are wiped on every path; the
 * library's APDU log masks INS 20/24/2C. Nothing is ever retried.
 */
#include "config.h"

#include <openssl/crypto.h>
#include <string.h>

#include "cps_internal.h"
#include "pinpad.h"

#define PIN_MAX 64   /* bytes of one encoded PIN */

static const uint8_t path_mf[] = { 0x3F, 0x00 };

static const struct stci_p15_object *find_pin(const struct stci_cps *st, stc_pin_kind kind)
{
	for (size_t i = 0; i < st->naod; i++) {
		const struct stci_p15_object *o = &st->aod[i];
		int puk = (o->pin.flags & STCI_P15_PIN_UNBLOCKING_PIN) != 0;

		if (o->kind != STCI_P15_AUTH_PIN || (o->pin.flags & STCI_P15_PIN_SO_PIN))
			continue;
		if (puk == (kind == STC_PIN_PUK))
			return o;
	}
	return NULL;
}

/* The AODF entry for a PIN of a contact CPS, loading what is needed. */
static stc_rv get_pin(stc_token *tok, stc_pin_kind kind, const struct stci_p15_object **pin)
{
	struct stci_cps *st = tok->priv;
	stc_rv rv;

	if (st->contactless)
		return STC_ERR_NOT_SUPPORTED;
	rv = stci_cps_load_aodf(tok, st);
	if (rv != STC_OK)
		return rv;
	*pin = find_pin(st, kind);
	return *pin ? STC_OK : STC_ERR_NOT_SUPPORTED;
}

static void bounds(const struct stci_p15_pin *p, unsigned *min, unsigned *max)
{
	/* Cryptolib's defaults when the AODF says nothing: 4..8 */
	*min = p->min_length > 0 ? (unsigned)p->min_length : 4;
	*max = p->max_length > 0 ? (unsigned)p->max_length :
	       p->stored_length > 0 ? (unsigned)p->stored_length : 8;
}

/* Encode a PIN per its AODF entry; STC_ERR_INVALID_ARGS for a wrong length or
 * characters the type does not allow. */
static stc_rv encode(const struct stci_p15_pin *p, const char *s, size_t len, uint8_t *out,
		     size_t cap, size_t *olen)
{
	unsigned min, max;
	size_t n = len;

	bounds(p, &min, &max);
	if (len < min || len > max || len > cap)
		return STC_ERR_INVALID_ARGS;
	switch (p->type) {
	case STCI_P15_PIN_TYPE_ASCII_NUMERIC:
		for (size_t i = 0; i < len; i++)
			if (s[i] < '0' || s[i] > '9')
				return STC_ERR_INVALID_ARGS;
		break;
	case STCI_P15_PIN_TYPE_UTF8:
		break;
	default:
		return STC_ERR_NOT_SUPPORTED;   /* BCD, half-nibble, ISO 9564: not on a CPS */
	}
	memcpy(out, s, len);
	if ((p->flags & STCI_P15_PIN_NEEDS_PADDING) && p->stored_length > 0 &&
	    (size_t)p->stored_length > len) {
		if ((size_t)p->stored_length > cap)
			return STC_ERR_INVALID_ARGS;
		n = (size_t)p->stored_length;
		memset(out + len, p->has_pad_char ? p->pad_char : 0xFF, n - len);
	}
	*olen = n;
	return STC_OK;
}

/* Send a PIN command; the SW says how it went. */
static stc_rv pin_cmd(stc_card *card, uint8_t ins, uint8_t ref, const uint8_t *data,
		      size_t len, int *tries_left)
{
	stc_apdu a = { .ins = ins, .p1 = 0x00, .p2 = ref, .data = len ? data : NULL, .lc = len };
	uint8_t scratch[2];
	size_t n = 0;
	uint16_t sw = 0;
	stc_rv rv = stc_transmit(card, &a, scratch, 0, &n, &sw);

	if (rv != STC_OK)
		return rv;
	if (sw == 0x9000)
		return STC_OK;
	if (stc_sw_tries_left(sw) >= 0 && tries_left)
		*tries_left = stc_sw_tries_left(sw);
	if (sw == 0x6983 && tries_left)
		*tries_left = 0;
	rv = stc_sw_to_rv(sw);
	return rv == STC_OK ? STC_ERR_CARD_STATUS : rv;
}

/* ------------------------------------------------------------- status */

static int small_int(const uint8_t *buf, size_t len, uint32_t tag, int *out)
{
	stc_tlv t;
	int v = 0;

	if (stc_tlv_find(buf, len, tag, &t) != STC_OK)
		return 0;
	if (t.len < 1 || t.len > 2)
		return -1;
	for (size_t i = 0; i < t.len; i++)
		v = (v << 8) | t.value[i];
	*out = v;
	return 1;
}

/* GET DATA of the CHV DOCP: 70 L BF 81 ref L A0 { 9A max, 9B left, 9D uses }. */
static stc_rv read_docp(stc_card *card, uint8_t ref, int *max, int *left, int *uses)
{
	uint8_t q[] = { 0x4D, 0x08, 0x70, 0x06, 0xBF, 0x81, ref, 0x02, 0xA0, 0x80 };
	stc_apdu a = { .ins = 0xCB, .p1 = 0x3F, .p2 = 0xFF, .data = q, .lc = sizeof(q), .le = 256 };
	uint32_t path[3] = { 0x70, 0xBF8100u | ref, 0xA0 };
	uint8_t resp[258];
	size_t n = 0;
	stc_tlv t;
	stc_rv rv = stci_cps_select(card, 0x09, path_mf, sizeof(path_mf));

	if (rv != STC_OK)
		return rv;
	rv = stci_cmd(card, &a, resp, sizeof(resp), &n);
	if (rv != STC_OK)
		return rv;
	if (stc_tlv_validate(resp, n) != STC_OK ||
	    stc_tlv_find_path(resp, n, path, 3, &t) != STC_OK ||
	    small_int(t.value, t.len, 0x9A, max) < 0 || small_int(t.value, t.len, 0x9B, left) < 0 ||
	    small_int(t.value, t.len, 0x9D, uses) < 0) {
		stc_log(STC_LOG_INFO, "CPS: malformed CHV DOCP");
		return STC_ERR_INVALID_DATA;
	}
	return STC_OK;
}

stc_rv stci_cps_pin_info(stc_token *tok, stc_pin_kind kind, stc_pin_info *info)
{
	const struct stci_p15_object *pin;
	int tries = -1, max = -1, left = -1, uses = -1;
	stc_rv rv = get_pin(tok, kind, &pin), st;
	uint8_t ref;

	if (rv != STC_OK)
		return rv;
	ref = (uint8_t)pin->pin.reference;
	memset(info, 0, sizeof(*info));
	st = pin_cmd(tok->card, 0x20, ref, NULL, 0, &tries);
	if (st != STC_OK && st != STC_ERR_PIN_INCORRECT && st != STC_ERR_PIN_BLOCKED)
		return st;
	rv = read_docp(tok->card, ref, &max, &left, &uses);
	if (rv != STC_OK)
		return rv;
	info->verified = st == STC_OK;
	info->max_tries = max;
	info->tries_left = left >= 0 ? left : st == STC_ERR_PIN_BLOCKED ? 0 : tries;
	info->uses_left = kind == STC_PIN_PUK ? uses : -1;
	info->blocked = st == STC_ERR_PIN_BLOCKED || info->tries_left == 0 ||
			(kind == STC_PIN_PUK && uses == 0);
	bounds(&pin->pin, &info->min_len, &info->max_len);
	return STC_OK;
}

/* ------------------------------------------------------ verify, change */

stc_rv stci_cps_pin_verify(stc_token *tok, const char *pin, size_t len, int *tries_left)
{
	const struct stci_p15_object *p;
	uint8_t buf[PIN_MAX];
	size_t n = 0;
	stc_rv rv = get_pin(tok, STC_PIN_USER, &p);

	if (rv != STC_OK)
		return rv;
	rv = encode(&p->pin, pin, len, buf, sizeof(buf), &n);
	if (rv == STC_OK)
		rv = pin_cmd(tok->card, 0x20, (uint8_t)p->pin.reference, buf, n, tries_left);
	OPENSSL_cleanse(buf, sizeof(buf));
	return rv;
}

stc_rv stci_cps_pin_change(stc_token *tok, const char *old_pin, size_t old_len,
			   const char *new_pin, size_t new_len, int *tries_left)
{
	const struct stci_p15_object *p;
	uint8_t buf[2 * PIN_MAX];
	size_t n1 = 0, n2 = 0;
	stc_rv rv = get_pin(tok, STC_PIN_USER, &p);

	if (rv != STC_OK)
		return rv;
	if (p->pin.flags & STCI_P15_PIN_CHANGE_DISABLED)
		return STC_ERR_NOT_SUPPORTED;
	rv = encode(&p->pin, old_pin, old_len, buf, PIN_MAX, &n1);
	if (rv == STC_OK)
		rv = encode(&p->pin, new_pin, new_len, buf + n1, PIN_MAX, &n2);
	if (rv == STC_OK)
		rv = pin_cmd(tok->card, 0x24, (uint8_t)p->pin.reference, buf, n1 + n2, tries_left);
	OPENSSL_cleanse(buf, sizeof(buf));
	return rv;
}

stc_rv stci_cps_pin_unblock(stc_token *tok, const char *puk, size_t puk_len,
			    const char *new_pin, size_t new_len, int *tries_left)
{
	const struct stci_p15_object *p, *u;
	uint8_t buf[2 * PIN_MAX];
	size_t n1 = 0, n2 = 0;
	stc_rv rv = get_pin(tok, STC_PIN_USER, &p);

	if (rv == STC_OK)
		rv = get_pin(tok, STC_PIN_PUK, &u);
	if (rv != STC_OK)
		return rv;
	if (p->pin.flags & STCI_P15_PIN_UNBLOCK_DISABLED)
		return STC_ERR_NOT_SUPPORTED;
	rv = encode(&u->pin, puk, puk_len, buf, PIN_MAX, &n1);
	if (rv == STC_OK)
		rv = encode(&p->pin, new_pin, new_len, buf + n1, PIN_MAX, &n2);
	/* P1=00: PUK and new PIN in one command, P2 = the PIN to unblock */
	if (rv == STC_OK)
		rv = pin_cmd(tok->card, 0x2C, (uint8_t)p->pin.reference, buf, n1 + n2, tries_left);
	OPENSSL_cleanse(buf, sizeof(buf));
	return rv;
}

/* -------------------------------------------------------------- keypad */

/* How the keypad must format this PIN (pinpad.h). */
static stc_rv keypad_format(const struct stci_p15_pin *p, struct stci_pin_format *f)
{
	bounds(p, &f->min, &f->max);
	if (p->type != STCI_P15_PIN_TYPE_ASCII_NUMERIC && p->type != STCI_P15_PIN_TYPE_UTF8)
		return STC_ERR_NOT_SUPPORTED;
	/* unpadded (the CPS3): no fixed block, Lc = what is typed (pinpad.c) */
	f->block = (p->flags & STCI_P15_PIN_NEEDS_PADDING) && p->stored_length > 0 ?
		   (unsigned)p->stored_length : 0;
	f->pad = p->has_pad_char ? p->pad_char : 0xFF;
	f->ascii = 1;
	return STC_OK;
}

stc_rv stci_cps_pin_verify_pinpad(stc_token *tok, int *tries_left)
{
	const struct stci_p15_object *p;
	struct stci_pin_format f;
	stc_rv rv = get_pin(tok, STC_PIN_USER, &p);

	if (rv == STC_OK)
		rv = keypad_format(&p->pin, &f);
	if (rv == STC_OK) {
		const uint8_t hdr[4] = { 0x00, 0x20, 0x00, (uint8_t)p->pin.reference };

		rv = stci_pinpad_verify(tok->card, &f, hdr, tries_left);
	}
	return rv;
}

stc_rv stci_cps_pin_change_pinpad(stc_token *tok, int *tries_left)
{
	const struct stci_p15_object *p;
	struct stci_pin_format f;
	stc_rv rv = get_pin(tok, STC_PIN_USER, &p);

	if (rv == STC_OK && (p->pin.flags & STCI_P15_PIN_CHANGE_DISABLED))
		rv = STC_ERR_NOT_SUPPORTED;
	if (rv == STC_OK)
		rv = keypad_format(&p->pin, &f);
	if (rv == STC_OK) {
		const uint8_t hdr[4] = { 0x00, 0x24, 0x00, (uint8_t)p->pin.reference };

		rv = stci_pinpad_modify(tok->card, &f, hdr, tries_left);
	}
	return rv;
}
