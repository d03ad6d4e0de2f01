/*
 * b64.c - base64 (RFC 4648 §4) and base64url (§5), strict: only the
 * alphabet, no whitespace, and the unused bits of the last character must be
 * zero (§3.5), so that one byte string has one encoding.
 */
#include "config.h"

#include "jose.h"

#include <stdlib.h>
#include <string.h>

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static char *encode(const uint8_t *p, size_t n, const char *alpha, int pad)
{
	size_t i, o = 0;
	char *out;

	if (!p && n)
		return NULL;
	if (n > (SIZE_MAX - 4) / 4 * 3)
		return NULL;
	out = malloc((n + 2) / 3 * 4 + 1);
	if (!out)
		return NULL;
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		out[o++] = alpha[v >> 18 & 63];
		out[o++] = alpha[v >> 12 & 63];
		out[o++] = alpha[v >> 6 & 63];
		out[o++] = alpha[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;

		out[o++] = alpha[v >> 18 & 63];
		out[o++] = alpha[v >> 12 & 63];
		if (pad) {
			out[o++] = '=';
			out[o++] = '=';
		}
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;

		out[o++] = alpha[v >> 18 & 63];
		out[o++] = alpha[v >> 12 & 63];
		out[o++] = alpha[v >> 6 & 63];
		if (pad)
			out[o++] = '=';
	}
	out[o] = '\0';
	return out;
}

static int value(char c, const char *alpha)
{
	const char *hit;

	if (c == '\0' || c == '=')
		return -1;
	hit = strchr(alpha, c);
	return hit ? (int)(hit - alpha) : -1;
}

/* need_pad: 1 = the length must be a multiple of 4 (padded), 0 = padding optional */
static uint8_t *decode(const char *s, size_t slen, size_t *outlen, const char *alpha, int need_pad)
{
	size_t n = slen, i, o = 0, rem;
	uint8_t *out;
	uint32_t acc = 0;

	if (!s || !outlen)
		return NULL;
	/* strip the padding: at most two '=', and only where padding goes */
	if (n && s[n - 1] == '=') {
		if (n % 4)
			return NULL;
		n--;
		if (n && s[n - 1] == '=')
			n--;
	} else if (need_pad && n % 4) {
		return NULL;
	}
	rem = n % 4;
	if (rem == 1)
		return NULL;
	out = malloc(n / 4 * 3 + 3);
	if (!out)
		return NULL;
	for (i = 0; i < n; i++) {
		int v = value(s[i], alpha);

		if (v < 0) {
			free(out);
			return NULL;
		}
		acc = acc << 6 | (uint32_t)v;
		if (i % 4 == 3) {
			out[o++] = (uint8_t)(acc >> 16);
			out[o++] = (uint8_t)(acc >> 8);
			out[o++] = (uint8_t)acc;
			acc = 0;
		}
	}
	if (rem == 2) {
		if (acc & 0xf)
			goto noncanonical;
		out[o++] = (uint8_t)(acc >> 4);
	} else if (rem == 3) {
		if (acc & 0x3)
			goto noncanonical;
		out[o++] = (uint8_t)(acc >> 10);
		out[o++] = (uint8_t)(acc >> 2);
	}
	*outlen = o;
	return out;
noncanonical:
	free(out);
	return NULL;
}

char *b64url_encode(const uint8_t *p, size_t n)
{
	return encode(p, n, b64_url, 0);
}

uint8_t *b64url_decode(const char *s, size_t slen, size_t *outlen)
{
	return decode(s, slen, outlen, b64_url, 0);
}

char *b64_encode(const uint8_t *p, size_t n)
{
	return encode(p, n, b64_std, 1);
}

uint8_t *b64_decode(const char *s, size_t slen, size_t *outlen)
{
	return decode(s, slen, outlen, b64_std, 1);
}
