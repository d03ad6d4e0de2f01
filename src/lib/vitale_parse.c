/*
 * vitale_parse.c - carte Vitale 2 beneficiary data: the identity file (MF SFI 2 /
 * MF_VITALE EF D001) and the NIR file (VITALE SFI 2), both BER-TLV.
 *
 * Layout (/work/shared/reference/cards.md §2.3, from cardpeek's vitale_2.lua and
 * RUFUS' lecteurvitale.cpp):
 *   identity file: 65 { 80 nom, 81 prénom, 82 naissance AAAAMMJJ, 90 nationalité }
 *                  per beneficiary, 66 { 80 début de validité } for the card,
 *                  00/FF padding;
 *   NIR file:      65 { 93 NIR (15 ASCII characters) } per beneficiary, same order.
 *
 * Rules applied here (the simulator, docs/SIMULATOR-VITALE.md, writes such files):
 *  - Top level: every 65 is a beneficiary; 66 and any other well-formed object are
 *    skipped (their content is not needed here); 00/FF padding anywhere between
 *    objects (ISO 7816-4, as stc_tlv_next does). Anything stc_tlv_next refuses
 *    (truncated object, length past the end, bad tag or length) makes the whole
 *    file invalid.
 *  - Inside a 65: 80 is required; 81, 82, 90 optional ("" when absent); unknown
 *    tags skipped; a known tag twice is invalid (which one would be right?).
 *  - Text (80, 81, 90): ISO 8859-1 on the card (cards.md: "Latin-1, padded"),
 *    trailing spaces and 00 bytes trimmed, then converted to UTF-8 (bytes 80..FF
 *    become two bytes). A C0 control byte or DEL left after trimming is invalid
 *    (an inner 00 would otherwise cut the C string silently). A field whose UTF-8
 *    form does not fit its stc_beneficiary member is invalid: nothing is cut.
 *  - 82: 8 ASCII digits after trimming (no calendar check: "as on the card").
 *  - 93: 15 printable ASCII characters after trimming, else invalid; nir_valid is
 *    stc_nir_check()'s verdict (a wrong key is data to report, not a parse error).
 *  - The i-th 65 of the NIR file belongs to the i-th 65 of the identity file; a
 *    different number of templates in the two files is invalid.
 *  - rank and quality: the card's encoding of the rang de naissance and the
 *    qualité is not public (cards.md §2.4 "Unknown", §7 item 9), so they are
 *    always 0 and -1 ("the card does not say").
 *
 * Results: on STC_OK, out[0 .. *count) is filled. On any error out is left
 * untouched (the files are checked completely before anything is written) and
 * *count is 0, except STC_ERR_BUFFER_TOO_SMALL (more beneficiaries than max),
 * where *count is the number of beneficiaries the files hold. An identity file
 * without any 65 template is STC_ERR_INVALID_DATA. nirs == NULL means no NIR file
 * (nir "" and nir_valid 0 everywhere); a non-NULL empty NIR file holds no
 * template and so does not match a non-empty identity file.
 */
#include "config.h"

#include <string.h>

#include "santecard.h"

#define TAG_BENEFICIARY 0x65
#define TAG_SURNAME 0x80
#define TAG_GIVEN 0x81
#define TAG_BIRTH 0x82
#define TAG_NATIONALITY 0x90
#define TAG_NIR 0x93

/* Length of v[0..len) without trailing spaces and 00 bytes. */
static size_t trimmed_len(const uint8_t *v, size_t len)
{
	while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == 0x00))
		len--;
	return len;
}

/* Latin-1 v[0..len) (trailing blanks trimmed) into UTF-8 dst[cap], NUL-terminated.
 * dst may be NULL (check only). */
static stc_rv latin1_field(const uint8_t *v, size_t len, char *dst, size_t cap)
{
	size_t n = 0, i;

	len = trimmed_len(v, len);
	for (i = 0; i < len; i++) {
		uint8_t b = v[i];
		size_t w = b < 0x80 ? 1 : 2;

		if (b < 0x20 || b == 0x7F)
			return STC_ERR_INVALID_DATA;
		if (w > cap - 1 - n)  /* cap >= 1 always; n <= cap - 1 */
			return STC_ERR_INVALID_DATA;
		if (dst != NULL) {
			if (w == 1) {
				dst[n] = (char)b;
			} else {
				dst[n] = (char)(0xC0 | (b >> 6));
				dst[n + 1] = (char)(0x80 | (b & 0x3F));
			}
		}
		n += w;
	}
	if (dst != NULL)
		dst[n] = '\0';
	return STC_OK;
}

/* ASCII v[0..len) (trailing blanks trimmed) of exactly want characters, each
 * accepted by ok(), into dst[want + 1]. */
static stc_rv ascii_field(const uint8_t *v, size_t len, size_t want, int (*ok)(uint8_t),
			  char *dst)
{
	size_t i;

	len = trimmed_len(v, len);
	if (len != want)
		return STC_ERR_INVALID_DATA;
	for (i = 0; i < len; i++)
		if (!ok(v[i]))
			return STC_ERR_INVALID_DATA;
	if (dst != NULL) {
		memcpy(dst, v, len);
		dst[len] = '\0';
	}
	return STC_OK;
}

static int is_digit_byte(uint8_t b)
{
	return b >= '0' && b <= '9';
}

static int is_graph_byte(uint8_t b)
{
	return b > 0x20 && b < 0x7F;
}

/* One identity template's value into *b (NULL: check only). */
static stc_rv parse_identity(const uint8_t *p, size_t len, stc_beneficiary *b)
{
	stc_tlv t;
	stc_rv rv;
	unsigned seen = 0;

	if (b != NULL) {
		memset(b, 0, sizeof(*b));
		b->rank = 0;      /* not public: see the top of this file */
		b->quality = -1;
	}
	while ((rv = stc_tlv_next(&p, &len, &t)) == STC_OK) {
		unsigned bit;

		switch (t.tag) {
		case TAG_SURNAME:
			bit = 1;
			rv = latin1_field(t.value, t.len, b ? b->surname : NULL,
					  sizeof(b->surname));
			break;
		case TAG_GIVEN:
			bit = 2;
			rv = latin1_field(t.value, t.len, b ? b->given : NULL, sizeof(b->given));
			break;
		case TAG_BIRTH:
			bit = 4;
			rv = ascii_field(t.value, t.len, sizeof(b->birth) - 1, is_digit_byte,
					 b ? b->birth : NULL);
			break;
		case TAG_NATIONALITY:
			bit = 8;
			rv = latin1_field(t.value, t.len, b ? b->nationality : NULL,
					  sizeof(b->nationality));
			break;
		default:
			continue;  /* unknown data object: skipped */
		}
		if (rv != STC_OK) {
			stc_log(STC_LOG_DEBUG, "vitale: bad value in tag %02X of a beneficiary",
				(unsigned)t.tag);
			return STC_ERR_INVALID_DATA;
		}
		if (seen & bit) {
			stc_log(STC_LOG_DEBUG, "vitale: tag %02X twice in a beneficiary",
				(unsigned)t.tag);
			return STC_ERR_INVALID_DATA;
		}
		seen |= bit;
	}
	if (rv != STC_ERR_NOT_FOUND) {
		stc_log(STC_LOG_DEBUG, "vitale: malformed data object in a beneficiary");
		return STC_ERR_INVALID_DATA;
	}
	if (!(seen & 1)) {
		stc_log(STC_LOG_DEBUG, "vitale: beneficiary without a surname (tag 80)");
		return STC_ERR_INVALID_DATA;
	}
	return STC_OK;
}

/* One NIR template's value: the NIR into nir[16] (NULL: check only). */
static stc_rv parse_nir(const uint8_t *p, size_t len, char *nir)
{
	stc_tlv t;
	stc_rv rv;
	int seen = 0;

	while ((rv = stc_tlv_next(&p, &len, &t)) == STC_OK) {
		if (t.tag != TAG_NIR)
			continue;
		if (seen || ascii_field(t.value, t.len, 15, is_graph_byte, nir) != STC_OK) {
			stc_log(STC_LOG_DEBUG, "vitale: NIR template with %s",
				seen ? "two NIRs" : "a NIR that is not 15 ASCII characters");
			return STC_ERR_INVALID_DATA;
		}
		seen = 1;
	}
	if (rv != STC_ERR_NOT_FOUND || !seen) {
		stc_log(STC_LOG_DEBUG, "vitale: NIR template %s",
			seen ? "malformed" : "without a NIR (tag 93)");
		return STC_ERR_INVALID_DATA;
	}
	return STC_OK;
}

/*
 * Walk both files. With out == NULL only check them and count the beneficiaries;
 * otherwise (called only after a successful check with enough room) fill out.
 * The two files are walked in step: beneficiary i takes the i-th 65 of each.
 */
static stc_rv walk(const uint8_t *identity, size_t identity_len, const uint8_t *nirs,
		   size_t nirs_len, stc_beneficiary *out, size_t *count)
{
	const uint8_t *ip = identity, *np = nirs;
	size_t il = identity_len, nl = nirs_len, n = 0;
	stc_tlv it, nt;
	stc_rv rv;

	for (;;) {
		/* next beneficiary template of the identity file */
		while ((rv = stc_tlv_next(&ip, &il, &it)) == STC_OK && it.tag != TAG_BENEFICIARY)
			;
		if (rv != STC_OK)
			break;
		rv = parse_identity(it.value, it.len, out ? &out[n] : NULL);
		if (rv != STC_OK)
			return rv;
		if (nirs != NULL) {
			while ((rv = stc_tlv_next(&np, &nl, &nt)) == STC_OK &&
			       nt.tag != TAG_BENEFICIARY)
				;
			if (rv == STC_ERR_NOT_FOUND) {
				stc_log(STC_LOG_DEBUG, "vitale: fewer NIRs than beneficiaries");
				return STC_ERR_INVALID_DATA;
			}
			if (rv != STC_OK) {
				stc_log(STC_LOG_DEBUG, "vitale: malformed NIR file");
				return STC_ERR_INVALID_DATA;
			}
			rv = parse_nir(nt.value, nt.len, out ? out[n].nir : NULL);
			if (rv != STC_OK)
				return rv;
			if (out != NULL)
				out[n].nir_valid = stc_nir_check(out[n].nir) == STC_OK;
		}
		n++;
	}
	if (rv != STC_ERR_NOT_FOUND) {
		stc_log(STC_LOG_DEBUG, "vitale: malformed identity file");
		return STC_ERR_INVALID_DATA;
	}
	if (n == 0) {
		stc_log(STC_LOG_DEBUG, "vitale: no beneficiary in the identity file");
		return STC_ERR_INVALID_DATA;
	}
	if (nirs != NULL) {
		/* the rest of the NIR file: well-formed, and no template left over */
		while ((rv = stc_tlv_next(&np, &nl, &nt)) == STC_OK) {
			if (nt.tag == TAG_BENEFICIARY) {
				stc_log(STC_LOG_DEBUG, "vitale: more NIRs than beneficiaries");
				return STC_ERR_INVALID_DATA;
			}
		}
		if (rv != STC_ERR_NOT_FOUND) {
			stc_log(STC_LOG_DEBUG, "vitale: malformed NIR file");
			return STC_ERR_INVALID_DATA;
		}
	}
	*count = n;
	return STC_OK;
}

stc_rv stc_vitale_parse(const uint8_t *identity, size_t identity_len, const uint8_t *nirs,
			size_t nirs_len, stc_beneficiary *out, size_t max, size_t *count)
{
	size_t n = 0;
	stc_rv rv;

	if (count == NULL)
		return STC_ERR_INVALID_ARGS;
	*count = 0;
	if (identity == NULL || (nirs == NULL && nirs_len != 0) || (out == NULL && max != 0))
		return STC_ERR_INVALID_ARGS;
	rv = walk(identity, identity_len, nirs, nirs_len, NULL, &n);
	if (rv != STC_OK)
		return rv;
	if (n > max) {
		stc_log(STC_LOG_DEBUG, "vitale: %zu beneficiaries, room for %zu", n, max);
		*count = n;
		return STC_ERR_BUFFER_TOO_SMALL;
	}
	rv = walk(identity, identity_len, nirs, nirs_len, out, &n);
	if (rv != STC_OK)  /* cannot happen: the same input passed the check above */
		return STC_ERR_INTERNAL;
	*count = n;
	return STC_OK;
}
