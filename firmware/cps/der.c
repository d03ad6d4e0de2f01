/* der.c - a small DER writer. */
#include "config.h"

#include <string.h>

#include "cps/der.h"

void der_raw(struct der *d, const void *v, size_t n)
{
	if (d->err || n > sizeof(d->buf) - d->len) {
		d->err = true;
		return;
	}
	if (n)
		memcpy(d->buf + d->len, v, n);
	d->len += n;
}

static void put_tag(struct der *d, uint32_t tag)
{
	uint8_t t[3];
	size_t n = 0;

	if (tag > 0xFFFF)
		t[n++] = (uint8_t)(tag >> 16);
	if (tag > 0xFF)
		t[n++] = (uint8_t)(tag >> 8);
	t[n++] = (uint8_t)tag;
	der_raw(d, t, n);
}

static size_t len_bytes(size_t n, uint8_t *out)
{
	if (n < 0x80) {
		out[0] = (uint8_t)n;
		return 1;
	}
	if (n < 0x100) {
		out[0] = 0x81, out[1] = (uint8_t)n;
		return 2;
	}
	out[0] = 0x82, out[1] = (uint8_t)(n >> 8), out[2] = (uint8_t)n;
	return 3;
}

size_t der_open(struct der *d, uint32_t tag)
{
	put_tag(d, tag);
	return d->len;
}

void der_close(struct der *d, size_t mark)
{
	uint8_t l[3];
	size_t content, k;

	if (d->err || mark > d->len)
		return;
	content = d->len - mark;
	k = len_bytes(content, l);
	if (k > sizeof(d->buf) - d->len) {
		d->err = true;
		return;
	}
	memmove(d->buf + mark + k, d->buf + mark, content);
	memcpy(d->buf + mark, l, k);
	d->len += k;
}

void der_prim(struct der *d, uint32_t tag, const void *v, size_t n)
{
	uint8_t l[3];

	put_tag(d, tag);
	der_raw(d, l, len_bytes(n, l));
	der_raw(d, v, n);
}

void der_str(struct der *d, uint32_t tag, const char *s)
{
	der_prim(d, tag, s, strlen(s));
}

void der_uint(struct der *d, uint32_t tag, unsigned long v)
{
	uint8_t b[9];
	size_t n = 0;
	int i;

	for (i = 7; i > 0 && ((v >> (8 * i)) & 0xFF) == 0; i--)
		;
	if ((v >> (8 * i)) & 0x80)
		b[n++] = 0;
	for (; i >= 0; i--)
		b[n++] = (uint8_t)(v >> (8 * i));
	der_prim(d, tag, b, n);
}

void der_bits(struct der *d, const unsigned *bits, size_t n)
{
	uint8_t b[5] = { 0 };
	unsigned hi = 0;
	size_t nbytes;

	for (size_t i = 0; i < n; i++) {
		if (bits[i] >= 32)
			continue;
		if (bits[i] > hi)
			hi = bits[i];
		b[1 + bits[i] / 8] |= (uint8_t)(0x80u >> (bits[i] % 8));
	}
	nbytes = n ? hi / 8 + 1 : 0;
	b[0] = n ? (uint8_t)(7 - hi % 8) : 0;
	der_prim(d, 0x03, b, nbytes + 1);
}
