/*
 * tlv.c - BER-TLV (ISO 7816-4 5.2) parser and builder, COMPACT-TLV reader.
 *
 * Rules this parser applies, all checked against the remaining byte count before
 * any byte is read:
 *  - 00 and FF bytes where a tag would start are padding (ISO 7816-4 5.2.2.1:
 *    they may occur before, between and after objects, and are invalid as the
 *    first tag byte). A run of FF is therefore always padding, never a tag, and
 *    the builder refuses tags whose first byte is 00 or FF so that whatever it
 *    writes parses back.
 *  - Tags: a first byte with the low five bits all set continues on the next
 *    bytes while bit 8 is set; more than 4 tag bytes is invalid.
 *  - Lengths: 00..7F, or 81..84 followed by 1..4 bytes. 80 (indefinite) and
 *    85..FF are invalid. Non-minimal long forms (81 05) are accepted: cards use them.
 *  - A value longer than what is left in the buffer is invalid.
 *  - Nesting: top-level objects are level 1; an object inside a constructed one
 *    at level n is at level n+1; stc_tlv_validate() rejects levels past
 *    STC_TLV_MAX_DEPTH.
 */
#include <string.h>

#include "santecard.h"

#define TAG_MAX_BYTES 4
#define LEN_MAX_BYTES 5

/* stc_buf.overflow values: the header only promises "non-zero means failed". */
#define BUF_OVERFLOW 1
#define BUF_BAD_ARGS 2

static int is_padding(uint8_t b)
{
	return b == 0x00 || b == 0xFF;
}

/* Tag at p (avail > 0 bytes). */
static stc_rv parse_tag(const uint8_t *p, size_t avail, uint32_t *tag, size_t *taglen)
{
	uint32_t t = p[0];
	size_t n = 1;

	if ((p[0] & 0x1F) == 0x1F) {
		uint8_t b;
		do {
			if (n >= TAG_MAX_BYTES || n >= avail)
				return STC_ERR_INVALID_DATA;  /* too long, or truncated */
			b = p[n++];
			t = (t << 8) | b;
		} while (b & 0x80);
	}
	*tag = t;
	*taglen = n;
	return STC_OK;
}

/* Length field at p (avail may be 0). */
static stc_rv parse_len(const uint8_t *p, size_t avail, size_t *vlen, size_t *lenlen)
{
	uint32_t v = 0;
	size_t k, i;

	if (avail < 1)
		return STC_ERR_INVALID_DATA;
	if (p[0] < 0x80) {
		*vlen = p[0];
		*lenlen = 1;
		return STC_OK;
	}
	k = p[0] & 0x7F;
	if (k == 0 || k > LEN_MAX_BYTES - 1 || k > avail - 1)
		return STC_ERR_INVALID_DATA;
	for (i = 1; i <= k; i++)
		v = (v << 8) | p[i];
	*vlen = v;
	*lenlen = 1 + k;
	return STC_OK;
}

/* One object at p, which does not start with padding. */
static stc_rv parse_one(const uint8_t *p, size_t avail, stc_tlv *out)
{
	uint32_t tag;
	size_t taglen, vlen, lenlen, left;
	stc_rv rv;

	rv = parse_tag(p, avail, &tag, &taglen);
	if (rv != STC_OK)
		return rv;
	rv = parse_len(p + taglen, avail - taglen, &vlen, &lenlen);
	if (rv != STC_OK)
		return rv;
	left = avail - taglen - lenlen;
	if (vlen > left)  /* compare, never add: vlen may be near SIZE_MAX */
		return STC_ERR_INVALID_DATA;
	out->tag = tag;
	out->constructed = (p[0] & 0x20) != 0;
	out->value = p + taglen + lenlen;
	out->len = vlen;
	out->raw = p;
	out->raw_len = taglen + lenlen + vlen;
	return STC_OK;
}

stc_rv stc_tlv_next(const uint8_t **buf, size_t *len, stc_tlv *out)
{
	const uint8_t *p;
	size_t n;
	stc_tlv t;
	stc_rv rv;

	if (buf == NULL || len == NULL || out == NULL || (*buf == NULL && *len != 0))
		return STC_ERR_INVALID_ARGS;
	p = *buf;
	n = *len;
	while (n > 0 && is_padding(*p)) {
		p++;
		n--;
	}
	if (n == 0) {
		*buf = p;
		*len = 0;
		return STC_ERR_NOT_FOUND;
	}
	rv = parse_one(p, n, &t);
	if (rv != STC_OK)
		return rv;  /* leave *buf and *len where they were */
	*out = t;
	*buf = p + t.raw_len;
	*len = n - t.raw_len;
	return STC_OK;
}

/* Depth-first walk with an explicit stack (no recursion on hostile input):
 * frame i holds what is left of a level-(i+1) sequence. */
stc_rv stc_tlv_validate(const uint8_t *buf, size_t len)
{
	struct {
		const uint8_t *p;
		size_t len;
	} s[STC_TLV_MAX_DEPTH + 1];
	size_t top = 0;
	stc_tlv t;
	stc_rv rv;

	if (buf == NULL && len != 0)
		return STC_ERR_INVALID_ARGS;
	/* Empty or padding-only input is a well-formed empty sequence. */
	s[0].p = buf;
	s[0].len = len;
	for (;;) {
		rv = stc_tlv_next(&s[top].p, &s[top].len, &t);
		if (rv == STC_ERR_NOT_FOUND) {
			if (top == 0)
				return STC_OK;
			top--;  /* the parent's cursor is already past this object */
			continue;
		}
		if (rv != STC_OK)
			return rv;
		if (top + 1 > STC_TLV_MAX_DEPTH)
			return STC_ERR_INVALID_DATA;  /* an object at level 17 */
		if (t.constructed) {
			top++;
			s[top].p = t.value;
			s[top].len = t.len;
		}
	}
}

stc_rv stc_tlv_find(const uint8_t *buf, size_t len, uint32_t tag, stc_tlv *out)
{
	stc_tlv t;
	stc_rv rv;

	if (out == NULL || (buf == NULL && len != 0))
		return STC_ERR_INVALID_ARGS;
	while ((rv = stc_tlv_next(&buf, &len, &t)) == STC_OK) {
		if (t.tag == tag) {
			*out = t;
			return STC_OK;
		}
	}
	return rv;  /* STC_ERR_NOT_FOUND, or STC_ERR_INVALID_DATA met before the tag */
}

/* Every element but the last must name a constructed object: a primitive one on
 * the way is STC_ERR_NOT_FOUND (its value is data, not TLVs). */
stc_rv stc_tlv_find_path(const uint8_t *buf, size_t len, const uint32_t *path,
			 size_t depth, stc_tlv *out)
{
	stc_tlv t;
	size_t i;

	if (out == NULL || path == NULL || depth == 0 || depth > STC_TLV_MAX_DEPTH ||
	    (buf == NULL && len != 0))
		return STC_ERR_INVALID_ARGS;
	for (i = 0; i < depth; i++) {
		stc_rv rv = stc_tlv_find(buf, len, path[i], &t);

		if (rv != STC_OK)
			return rv;
		if (i + 1 < depth && !t.constructed)
			return STC_ERR_NOT_FOUND;
		buf = t.value;
		len = t.len;
	}
	*out = t;
	return STC_OK;
}

/* ------------------------------------------------------------------ builder */

void stc_buf_init(stc_buf *b, uint8_t *data, size_t cap)
{
	if (b == NULL)
		return;
	b->data = data;
	b->cap = data != NULL ? cap : 0;
	b->len = 0;
	b->overflow = 0;
}

stc_rv stc_buf_status(const stc_buf *b)
{
	if (b == NULL)
		return STC_ERR_INVALID_ARGS;
	if (b->overflow == BUF_BAD_ARGS)
		return STC_ERR_INVALID_ARGS;
	return b->overflow ? STC_ERR_BUFFER_TOO_SMALL : STC_OK;
}

static void buf_fail(stc_buf *b, int why)
{
	if (!b->overflow)
		b->overflow = why;
}

/* Encode tag into out (4 bytes); 0 if it is not a tag the parser would read back. */
static size_t encode_tag(uint32_t tag, uint8_t *out)
{
	size_t n = tag > 0xFFFFFFu ? 4 : tag > 0xFFFFu ? 3 : tag > 0xFFu ? 2 : 1;
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = (uint8_t)(tag >> (8 * (n - 1 - i)));
	if (is_padding(out[0]))
		return 0;
	if (((out[0] & 0x1F) == 0x1F) != (n > 1))
		return 0;  /* multi-byte iff the first byte says so */
	for (i = 1; i < n; i++)
		if (((out[i] & 0x80) != 0) != (i + 1 < n))
			return 0;  /* bit 8 set on all subsequent bytes but the last */
	return n;
}

/* Minimal DER-style length; 0 if it cannot be encoded (beyond 84 xx xx xx xx). */
static size_t encode_len(size_t len, uint8_t *out)
{
	size_t k, i;

	if (len < 0x80) {
		out[0] = (uint8_t)len;
		return 1;
	}
	for (k = 1; k < 4 && (len >> (8 * k)) != 0; k++)
		;
	if (k == 4 && len > 0xFFFFFFFFu)
		return 0;
	out[0] = (uint8_t)(0x80 | k);
	for (i = 0; i < k; i++)
		out[1 + i] = (uint8_t)(len >> (8 * (k - 1 - i)));
	return 1 + k;
}

static int buf_fits(const stc_buf *b, size_t n)
{
	return n <= b->cap - b->len;
}

void stc_tlv_put(stc_buf *b, uint32_t tag, const uint8_t *value, size_t len)
{
	uint8_t hdr[TAG_MAX_BYTES + LEN_MAX_BYTES];
	size_t tn, ln;

	if (b == NULL || b->overflow)
		return;
	tn = encode_tag(tag, hdr);
	ln = tn ? encode_len(len, hdr + tn) : 0;
	if (tn == 0 || ln == 0 || (value == NULL && len != 0)) {
		buf_fail(b, BUF_BAD_ARGS);
		return;
	}
	/* two steps so that a huge len cannot wrap the sum */
	if (!buf_fits(b, tn + ln) || len > b->cap - b->len - tn - ln) {
		buf_fail(b, BUF_OVERFLOW);
		return;
	}
	memcpy(b->data + b->len, hdr, tn + ln);
	if (len)
		memmove(b->data + b->len + tn + ln, value, len);  /* value may alias data */
	b->len += tn + ln + len;
}

/* The mark is the offset of the one-byte length placeholder that follows the tag. */
size_t stc_tlv_begin(stc_buf *b, uint32_t tag)
{
	uint8_t hdr[TAG_MAX_BYTES];
	size_t tn;

	if (b == NULL)
		return 0;
	if (b->overflow)
		return b->len;
	tn = encode_tag(tag, hdr);
	if (tn == 0) {
		buf_fail(b, BUF_BAD_ARGS);
		return b->len;
	}
	if (!buf_fits(b, tn + 1)) {
		buf_fail(b, BUF_OVERFLOW);
		return b->len;
	}
	memcpy(b->data + b->len, hdr, tn);
	b->data[b->len + tn] = 0x00;
	b->len += tn + 1;
	return b->len - 1;
}

void stc_tlv_end(stc_buf *b, size_t mark)
{
	uint8_t lenbytes[LEN_MAX_BYTES];
	size_t vlen, ln, extra;

	if (b == NULL || b->overflow)
		return;  /* a failed begin or write in between: nothing to fix */
	if (mark >= b->len) {
		buf_fail(b, BUF_BAD_ARGS);
		return;
	}
	vlen = b->len - mark - 1;
	ln = encode_len(vlen, lenbytes);
	if (ln == 0) {
		buf_fail(b, BUF_BAD_ARGS);
		return;
	}
	extra = ln - 1;  /* the placeholder already holds one byte */
	if (!buf_fits(b, extra)) {
		buf_fail(b, BUF_OVERFLOW);
		return;
	}
	if (extra)
		memmove(b->data + mark + ln, b->data + mark + 1, vlen);
	memcpy(b->data + mark, lenbytes, ln);
	b->len += extra;
}

/* ------------------------------------------------------------- COMPACT-TLV */

stc_rv stc_ctlv_next(const uint8_t **buf, size_t *len, stc_ctlv *out)
{
	const uint8_t *p;
	size_t l;

	if (buf == NULL || len == NULL || out == NULL || (*buf == NULL && *len != 0))
		return STC_ERR_INVALID_ARGS;
	if (*len == 0)
		return STC_ERR_NOT_FOUND;
	p = *buf;
	l = p[0] & 0x0F;
	if (l > *len - 1)
		return STC_ERR_INVALID_DATA;
	out->tag = (uint8_t)(p[0] >> 4);
	out->value = p + 1;
	out->len = l;
	*buf = p + 1 + l;
	*len -= 1 + l;
	return STC_OK;
}
