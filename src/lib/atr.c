/*
 * atr.c - ISO/IEC 7816-3 Answer-To-Reset parser.
 *
 * Layout: TS T0 {TAi TBi TCi TDi}... historical bytes [TCK]. Bits 5..8 of T0 and
 * of each TDi say which of TA..TD follow at the next level; the low nibble of T0
 * counts the historical bytes, that of TDi names a protocol (15 = global bytes).
 *
 * Choices where ISO leaves room:
 *  - TCK is required iff a TDi names anything but T=0 (T=15 included), as in
 *    ISO 7816-3 8.2.5; a T=0-only ATR with an extra byte is "trailing bytes".
 *  - An RFU Fi or Di code in TA1 does not make the ATR invalid; fi/di/fmax_khz are
 *    then 0 (the caller falls back to the defaults to talk to the card).
 *  - Up to 8 levels of interface bytes: a TD8 announcing a ninth level is invalid.
 *  - tck_ok is only set when a TCK is present and correct.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "santecard.h"

#define ATR_LEVELS 8

enum { IF_TA = 1u << 0, IF_TB = 1u << 1, IF_TC = 1u << 2, IF_TD = 1u << 3 };

/* ISO 7816-3 tables 7 and 8, indexed by the TA1 nibbles; 0 = RFU. */
static const unsigned fi_table[16] = {
	372, 372, 558, 744, 1116, 1488, 1860, 0, 0, 512, 768, 1024, 1536, 2048, 0, 0
};
static const unsigned fmax_table[16] = {
	4000, 5000, 6000, 8000, 12000, 16000, 20000, 0, 0,
	5000, 7500, 10000, 15000, 20000, 0, 0
};
static const unsigned di_table[16] = {
	0, 1, 2, 4, 8, 16, 32, 64, 12, 20, 0, 0, 0, 0, 0, 0
};

struct cursor {
	const uint8_t *p;
	size_t len;
	size_t pos;
};

static int take(struct cursor *c, uint8_t *b)
{
	if (c->pos >= c->len)
		return 0;
	*b = c->p[c->pos++];
	return 1;
}

static void note_protocol(stc_atr *out, unsigned t, int *need_tck)
{
	if (t == 0)
		out->protocols |= STC_PROTO_T0;
	else if (t == 1)
		out->protocols |= STC_PROTO_T1;
	else if (t == 15)
		out->protocols |= STC_PROTO_T15;
	if (t != 0)
		*need_tck = 1;
}

/* Interface bytes, y = bits 5..8 of T0. */
static stc_rv parse_interface(struct cursor *c, unsigned y, stc_atr *out, int *need_tck)
{
	unsigned i, k;

	for (i = 1; y != 0; i++) {
		if (i > ATR_LEVELS)
			return STC_ERR_INVALID_DATA;  /* TD8 announces a ninth level */
		uint8_t *bytes[4] = { &out->ta[i], &out->tb[i], &out->tc[i], &out->td[i] };

		for (k = 0; k < 4; k++) {
			if (!(y & (1u << k)))
				continue;
			if (!take(c, bytes[k]))
				return STC_ERR_INVALID_DATA;  /* truncated */
			out->present[i] |= (uint8_t)(1u << k);
		}
		if (!(out->present[i] & IF_TD))
			break;
		note_protocol(out, out->td[i] & 0x0Fu, need_tck);
		y = out->td[i] >> 4;
	}
	return STC_OK;
}

static void apply_ta1(stc_atr *out)
{
	if (!(out->present[1] & IF_TA))
		return;
	out->fi = fi_table[out->ta[1] >> 4];
	out->fmax_khz = fmax_table[out->ta[1] >> 4];
	out->di = di_table[out->ta[1] & 0x0F];
}

/* Protocol facts known once the interface bytes are read. */
static void apply_interface(stc_atr *out)
{
	if (out->present[1] & IF_TD)
		out->first_protocol = out->td[1] & 0x0F;
	else
		out->protocols |= STC_PROTO_T0;  /* no TD1: T=0 implied */
	out->specific_mode = (out->present[2] & IF_TA) != 0;
	apply_ta1(out);
}

static void atr_init(stc_atr *out, const uint8_t *atr, size_t len)
{
	memset(out, 0, sizeof(*out));
	out->fi = 372;
	out->di = 1;
	out->fmax_khz = 5000;
	out->raw_len = len < STC_ATR_MAX ? len : STC_ATR_MAX;
	if (out->raw_len)
		memcpy(out->raw, atr, out->raw_len);
}

/* Historical bytes: copies what is there, fails when fewer than k. */
static stc_rv parse_hist(struct cursor *c, size_t k, stc_atr *out)
{
	size_t avail = c->len - c->pos;
	stc_rv rv = STC_OK;

	if (k > avail) {
		k = avail;
		rv = STC_ERR_INVALID_DATA;  /* truncated */
	}
	memcpy(out->hist, c->p + c->pos, k);
	out->hist_len = k;
	c->pos += k;
	return rv;
}

static stc_rv parse_tck(struct cursor *c, stc_atr *out)
{
	uint8_t x = 0, tck;
	size_t i;

	if (!take(c, &tck))
		return STC_ERR_INVALID_DATA;
	out->tck_present = 1;
	for (i = 1; i < c->pos; i++)  /* T0 .. TCK */
		x ^= c->p[i];
	out->tck_ok = x == 0;
	return STC_OK;
}

stc_rv stc_atr_parse(const uint8_t *atr, size_t len, stc_atr *out)
{
	struct cursor c = { atr, len, 0 };
	uint8_t ts, t0;
	int need_tck = 0;
	stc_rv rv;

	if (out == NULL || (atr == NULL && len != 0))
		return STC_ERR_INVALID_ARGS;
	atr_init(out, atr, len);
	if (!take(&c, &ts) || (ts != 0x3B && ts != 0x3F))
		return STC_ERR_INVALID_DATA;
	out->inverse = ts == 0x3F;
	if (!take(&c, &t0))
		return STC_ERR_INVALID_DATA;
	rv = parse_interface(&c, t0 >> 4, out, &need_tck);
	apply_interface(out);
	if (rv != STC_OK)
		return rv;
	rv = parse_hist(&c, t0 & 0x0Fu, out);
	if (rv != STC_OK)
		return rv;
	if (need_tck && (rv = parse_tck(&c, out)) != STC_OK)
		return rv;
	if (c.pos != len || len > STC_ATR_MAX)
		return STC_ERR_INVALID_DATA;  /* trailing bytes, or longer than ISO allows */
	if (need_tck && !out->tck_ok)
		return STC_ERR_INVALID_DATA;
	return STC_OK;
}

/* ---------------------------------------------------------------- describe */

struct text {
	char *s;
	size_t cap;
	size_t len;
	int full;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= t->cap - t->len)
		t->full = 1;
	else
		t->len += (size_t)n;
}

/* "T=0", "T=1" or "T=0/T=1": every protocol a TDi offers, in order, once. */
static void put_protocols(struct text *t, const stc_atr *atr)
{
	unsigned seen = 0, i;

	if (!(atr->present[1] & IF_TD)) {
		put(t, "T=0");
		return;
	}
	for (i = 1; i <= ATR_LEVELS; i++) {
		if (!(atr->present[i] & IF_TD))
			break;
		unsigned p = atr->td[i] & 0x0Fu;

		if (p == 15 || (seen & (1u << p)))
			continue;
		put(t, "%sT=%u", seen ? "/" : "", p);
		seen |= 1u << p;
	}
	if (!seen)
		put(t, "T=0");  /* only T=15 global bytes: T=0 implied */
}

static void put_clock(struct text *t, const stc_atr *atr)
{
	if (atr->fi)
		put(t, "Fi=%u", atr->fi);
	else
		put(t, "Fi=RFU");
	if (atr->di)
		put(t, " Di=%u", atr->di);
	else
		put(t, " Di=RFU");
	if (atr->fmax_khz % 1000)
		put(t, " (f max %u.%u MHz)", atr->fmax_khz / 1000, atr->fmax_khz % 1000 / 100);
	else if (atr->fmax_khz)
		put(t, " (f max %u MHz)", atr->fmax_khz / 1000);
}

stc_rv stc_atr_describe(const stc_atr *atr, char *out, size_t outlen)
{
	struct text t = { out, outlen, 0, 0 };

	if (atr == NULL || out == NULL)
		return STC_ERR_INVALID_ARGS;
	if (outlen == 0)
		return STC_ERR_BUFFER_TOO_SMALL;
	out[0] = '\0';
	put_protocols(&t, atr);
	put(&t, ", %s convention, ", atr->inverse ? "inverse" : "direct");
	put_clock(&t, atr);
	if (atr->specific_mode)
		put(&t, ", specific mode");
	put(&t, ", %zu historical byte%s", atr->hist_len, atr->hist_len == 1 ? "" : "s");
	if (t.full) {
		out[0] = '\0';  /* no half sentence */
		return STC_ERR_BUFFER_TOO_SMALL;
	}
	return STC_OK;
}
