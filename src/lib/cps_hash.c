/*
 * cps_hash.c - the host's share of a CPS signature with the card doing the
 * last hash round (PSO HASH, cards.md §1.7f): SHA-1 or SHA-256 over every
 * full 64-byte block of the message except the last one, and the
 * intermediate state (H0..H4 / H0..H7 and the bit count) the card resumes
 * from. The last block is always 1..64 bytes, as the Cryptolib keeps it: a
 * message whose length is a multiple of 64 leaves a full last block; an empty
 * message leaves an empty one and no state (90 00 80 00).
 *
 * Why the deprecated low-level API: OpenSSL 3 hides the digest state behind
 * EVP (EVP_MD_CTX_md_data() returns NULL for the provider implementations),
 * which is why OpenSC cannot sign this way on OpenSSL 3
 * (shared/reference/opensc-cpx.md §0.1). SHA_CTX / SHA256_CTX and
 * SHA1_Update / SHA256_Update are still there in OpenSSL 3, deprecated; this
 * is the one file of the library that uses them, and only ever feeds them
 * whole 64-byte blocks, so the context's h[] and Nl/Nh are exactly the state
 * after those blocks.
 */
#include "config.h"

#define OPENSSL_SUPPRESS_DEPRECATED 1   /* see above: SHA_CTX, SHA256_CTX */

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "cps_internal.h"

#define BLOCK 64

struct stci_cps_hash {
	int sha256;
	int hashed;                 /* at least one block went into the context */
	union {
		SHA_CTX s1;
		SHA256_CTX s256;
	} u;
	uint8_t last[BLOCK];        /* the bytes not hashed yet: 0..64 */
	size_t nlast;
};

stc_rv stci_cps_hash_new(int sha256, struct stci_cps_hash **out)
{
	struct stci_cps_hash *h = calloc(1, sizeof(*h));

	*out = NULL;
	if (!h)
		return STC_ERR_NO_MEMORY;
	h->sha256 = sha256;
	if ((sha256 ? SHA256_Init(&h->u.s256) : SHA1_Init(&h->u.s1)) != 1) {
		free(h);
		return STC_ERR_INTERNAL;
	}
	*out = h;
	return STC_OK;
}

static void block(struct stci_cps_hash *h, const uint8_t *b)
{
	if (h->sha256)
		(void)SHA256_Update(&h->u.s256, b, BLOCK);
	else
		(void)SHA1_Update(&h->u.s1, b, BLOCK);
	h->hashed = 1;
}

void stci_cps_hash_update(struct stci_cps_hash *h, const uint8_t *data, size_t len)
{
	while (len) {
		size_t n;

		/* a full pending block is hashed only once more data follows it */
		if (h->nlast == BLOCK) {
			block(h, h->last);
			h->nlast = 0;
		}
		/* whole blocks straight from the input, keeping the last one back */
		while (h->nlast == 0 && len > BLOCK) {
			block(h, data);
			data += BLOCK;
			len -= BLOCK;
		}
		n = BLOCK - h->nlast < len ? BLOCK - h->nlast : len;
		memcpy(h->last + h->nlast, data, n);
		h->nlast += n;
		data += n;
		len -= n;
	}
}

static size_t put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return 4;
}

stc_rv stci_cps_hash_pso_data(const struct stci_cps_hash *h, uint8_t *out, size_t cap,
			      size_t *len)
{
	size_t n = 0, hl = h->sha256 ? 32 : 20;

	if (cap < 2 + hl + 8 + 2 + BLOCK)
		return STC_ERR_INTERNAL;
	out[n++] = 0x90;
	if (!h->hashed) {
		out[n++] = 0x00;
	} else {
		const SHA_LONG *w = h->sha256 ? h->u.s256.h : NULL;
		SHA_LONG nl = h->sha256 ? h->u.s256.Nl : h->u.s1.Nl;
		SHA_LONG nh = h->sha256 ? h->u.s256.Nh : h->u.s1.Nh;

		out[n++] = (uint8_t)(hl + 8);
		if (w) {
			for (size_t i = 0; i < 8; i++)
				n += put_be32(out + n, w[i]);
		} else {
			n += put_be32(out + n, h->u.s1.h0);
			n += put_be32(out + n, h->u.s1.h1);
			n += put_be32(out + n, h->u.s1.h2);
			n += put_be32(out + n, h->u.s1.h3);
			n += put_be32(out + n, h->u.s1.h4);
		}
		n += put_be32(out + n, nh);   /* bits already hashed, 8 bytes big-endian */
		n += put_be32(out + n, nl);
	}
	out[n++] = 0x80;
	out[n++] = (uint8_t)h->nlast;
	memcpy(out + n, h->last, h->nlast);
	n += h->nlast;
	*len = n;
	return STC_OK;
}

void stci_cps_hash_free(struct stci_cps_hash *h)
{
	if (h) {
		OPENSSL_cleanse(h, sizeof(*h));
		free(h);
	}
}
