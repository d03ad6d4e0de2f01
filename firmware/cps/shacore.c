/* shacore.c - SHA-1 and SHA-256 compression with a loadable state (FIPS 180-4). */
#include "config.h"

#include <string.h>

#include "cps/shacore.h"

static const uint32_t k256[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
};

static uint32_t rol(uint32_t x, unsigned n) { return x << n | x >> (32 - n); }
static uint32_t ror(uint32_t x, unsigned n) { return x >> n | x << (32 - n); }
static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void block1(uint32_t *h, const uint8_t *p)
{
	uint32_t w[80], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];

	for (int i = 0; i < 16; i++)
		w[i] = be32(p + (size_t)4 * (size_t)i);
	for (int i = 16; i < 80; i++)
		w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	for (int i = 0; i < 80; i++) {
		uint32_t f, k, t;

		if (i < 20)
			f = (b & c) | (~b & d), k = 0x5A827999;
		else if (i < 40)
			f = b ^ c ^ d, k = 0x6ED9EBA1;
		else if (i < 60)
			f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDC;
		else
			f = b ^ c ^ d, k = 0xCA62C1D6;
		t = rol(a, 5) + f + e + k + w[i];
		e = d, d = c, c = rol(b, 30), b = a, a = t;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
}

static void block256(uint32_t *h, const uint8_t *p)
{
	uint32_t w[64], v[8];

	for (int i = 0; i < 16; i++)
		w[i] = be32(p + (size_t)4 * (size_t)i);
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	memcpy(v, h, sizeof(v));
	for (int i = 0; i < 64; i++) {
		uint32_t S1 = ror(v[4], 6) ^ ror(v[4], 11) ^ ror(v[4], 25);
		uint32_t ch = (v[4] & v[5]) ^ (~v[4] & v[6]);
		uint32_t t1 = v[7] + S1 + ch + k256[i] + w[i];
		uint32_t S0 = ror(v[0], 2) ^ ror(v[0], 13) ^ ror(v[0], 22);
		uint32_t maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);

		memmove(v + 1, v, 7 * sizeof(v[0]));
		v[4] += t1;
		v[0] = t1 + S0 + maj;
	}
	for (int i = 0; i < 8; i++)
		h[i] += v[i];
}

static void block(struct shacore *s, const uint8_t *p)
{
	if (s->sha256)
		block256(s->h, p);
	else
		block1(s->h, p);
	s->bits += 512;
}

void shacore_init(struct shacore *s, bool sha256)
{
	static const uint32_t iv1[5] = { 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0 };
	static const uint32_t iv256[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
					   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

	memset(s, 0, sizeof(*s));
	s->sha256 = sha256;
	if (sha256)
		memcpy(s->h, iv256, sizeof(iv256));
	else
		memcpy(s->h, iv1, sizeof(iv1));
}

bool shacore_load(struct shacore *s, bool sha256, const uint8_t *state, size_t state_len,
		  uint64_t bits)
{
	size_t words = sha256 ? 8 : 5;

	if (state_len != words * 4 || bits % 512)
		return false;
	memset(s, 0, sizeof(*s));
	s->sha256 = sha256;
	for (size_t i = 0; i < words; i++)
		s->h[i] = be32(state + 4 * i);
	s->bits = bits;
	return true;
}

void shacore_update(struct shacore *s, const uint8_t *d, size_t n)
{
	while (n) {
		size_t k = 64 - s->buf_len;

		if (k > n)
			k = n;
		memcpy(s->buf + s->buf_len, d, k);
		s->buf_len += k;
		d += k;
		n -= k;
		if (s->buf_len == 64) {
			block(s, s->buf);
			s->buf_len = 0;
		}
	}
}

size_t shacore_state(const struct shacore *s, uint8_t *out)
{
	size_t words = s->sha256 ? 8 : 5;

	for (size_t i = 0; i < words; i++) {
		out[4 * i] = (uint8_t)(s->h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
		out[4 * i + 3] = (uint8_t)s->h[i];
	}
	return words * 4;
}

size_t shacore_final(struct shacore *s, uint8_t *out)
{
	uint64_t total = s->bits + 8u * s->buf_len;
	uint8_t pad = 0x80, len[8];
	size_t n;

	for (int i = 0; i < 8; i++)
		len[i] = (uint8_t)(total >> (56 - 8 * i));
	shacore_update(s, &pad, 1);
	pad = 0;
	while (s->buf_len != 56)
		shacore_update(s, &pad, 1);
	shacore_update(s, len, 8);
	n = shacore_state(s, out);
	memset(s->buf, 0, sizeof(s->buf));
	return n;
}
