/* t1.c - the T=1 block protocol (ISO 7816-3 §11), the host's side, over
 * XfrBlock at TPDU level: I-block chaining both ways, R-blocks for lost or
 * damaged blocks, S(WTX) answered, S(IFS) both ways, and S(RESYNCH) when
 * retransmission does not help. Every block from the card is checked (LEN,
 * EDC, sequence numbers) before its INF is used. */
#include <string.h>

#include "ccid.h"

#define T1_PCB_I_NS 0x40
#define T1_PCB_I_MORE 0x20
#define T1_PCB_R 0x80
#define T1_PCB_R_NR 0x10
#define T1_PCB_S 0xC0
#define T1_S_RESPONSE 0x20
#define T1_S_RESYNCH 0x00
#define T1_S_IFS 0x01
#define T1_S_ABORT 0x02
#define T1_S_WTX 0x03
#define T1_BLOCK_MAX (3 + 254 + 2)
#define T1_MAX_RETRIES 3
#define T1_MAX_RESYNCH 3

uint8_t ccid_t1_lrc(const uint8_t *p, size_t n)
{
	uint8_t x = 0;

	while (n--)
		x ^= *p++;
	return x;
}

/* CRC of ISO/IEC 13239 as used by T=1 (CCITT polynomial, initial 0xFFFF). */
uint16_t ccid_t1_crc(const uint8_t *p, size_t n)
{
	uint16_t crc = 0xFFFF;

	while (n--) {
		crc ^= *p++;
		for (int b = 0; b < 8; b++)
			crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0x8408) : (uint16_t)(crc >> 1);
	}
	return (uint16_t)~crc;
}

void ccid_t1_init(struct ccid_t1 *t1, const struct ccid_atr *atr)
{
	memset(t1, 0, sizeof(*t1));
	t1->ifsc = atr && atr->valid ? atr->ifsc : 32;
	t1->ifsd = 32;
	t1->crc = atr && atr->crc;
	t1->retries = T1_MAX_RETRIES;
}

static size_t edc_len(const struct ccid_t1 *t1)
{
	return t1->crc ? 2 : 1;
}

static size_t build(const struct ccid_t1 *t1, uint8_t *b, uint8_t pcb, const uint8_t *inf, size_t n)
{
	b[0] = t1->nad;
	b[1] = pcb;
	b[2] = (uint8_t)n;
	if (n)
		memcpy(b + 3, inf, n);
	if (t1->crc) {
		uint16_t c = ccid_t1_crc(b, 3 + n);

		b[3 + n] = (uint8_t)c;
		b[4 + n] = (uint8_t)(c >> 8);
		return 5 + n;
	}
	b[3 + n] = ccid_t1_lrc(b, 3 + n);
	return 4 + n;
}

/* A block from the card is well formed: length and EDC agree. */
static bool block_ok(const struct ccid_t1 *t1, const uint8_t *b, size_t n)
{
	size_t e = edc_len(t1);

	if (n < 3 + e || b[2] == 0xFF || n != 3 + (size_t)b[2] + e)
		return false;
	if (t1->crc) {
		uint16_t c = ccid_t1_crc(b, n - 2);

		return b[n - 2] == (uint8_t)c && b[n - 1] == (uint8_t)(c >> 8);
	}
	return ccid_t1_lrc(b, n - 1) == b[n - 1];
}

/* One block out, one block back. IFD_SUCCESS with *rlen = 0 means "bad or no
 * block" (the caller retries); fatal errors are returned. */
static RESPONSECODE exchange(struct ccid_t1 *t1, struct ccid_dev *dev, unsigned slot,
			     const uint8_t *s, size_t slen, uint8_t *r, size_t *rlen, uint8_t bwi)
{
	size_t n = T1_BLOCK_MAX;
	RESPONSECODE rc = ccid_xfr(dev, slot, s, slen, r, &n, bwi);

	*rlen = 0;
	if (rc == IFD_RESPONSE_TIMEOUT || rc == IFD_ERROR_INSUFFICIENT_BUFFER ||
	    (rc == IFD_COMMUNICATION_ERROR && !dev->gone)) {
		/* a lost or garbled block: T=1 error recovery handles it */
		return IFD_SUCCESS;
	}
	if (rc != IFD_SUCCESS)
		return rc;
	if (block_ok(t1, r, n))
		*rlen = n;
	return IFD_SUCCESS;
}

static RESPONSECODE s_exchange(struct ccid_t1 *t1, struct ccid_dev *dev, unsigned slot,
			       uint8_t type, const uint8_t *inf, size_t n, uint8_t *r, size_t *rlen)
{
	uint8_t s[8];
	size_t slen = build(t1, s, (uint8_t)(T1_PCB_S | type), inf, n);
	unsigned tries;

	for (tries = 0; tries < T1_MAX_RETRIES; tries++) {
		RESPONSECODE rc = exchange(t1, dev, slot, s, slen, r, rlen, 0);

		if (rc != IFD_SUCCESS)
			return rc;
		if (*rlen && r[1] == (T1_PCB_S | T1_S_RESPONSE | type))
			return IFD_SUCCESS;
	}
	*rlen = 0;
	return IFD_COMMUNICATION_ERROR;
}

RESPONSECODE ccid_t1_set_ifsd(struct ccid_t1 *t1, struct ccid_dev *dev, unsigned slot, uint8_t ifsd)
{
	uint8_t r[T1_BLOCK_MAX];
	size_t rlen;
	RESPONSECODE rc = s_exchange(t1, dev, slot, T1_S_IFS, &ifsd, 1, r, &rlen);

	if (rc != IFD_SUCCESS)
		return rc;
	if (r[2] != 1 || r[3] != ifsd)
		return IFD_COMMUNICATION_ERROR;
	t1->ifsd = ifsd;
	return IFD_SUCCESS;
}

static RESPONSECODE resynch(struct ccid_t1 *t1, struct ccid_dev *dev, unsigned slot)
{
	uint8_t r[T1_BLOCK_MAX];
	size_t rlen;
	RESPONSECODE rc;

	t1->stat_resynch++;
	rc = s_exchange(t1, dev, slot, T1_S_RESYNCH, NULL, 0, r, &rlen);
	if (rc != IFD_SUCCESS)
		return rc;
	t1->ns = 0;
	t1->nr = 0;
	return IFD_SUCCESS;
}

RESPONSECODE ccid_t1_transceive(struct ccid_t1 *t1, struct ccid_dev *dev, unsigned slot,
				const uint8_t *apdu, size_t len, uint8_t *rx, size_t *rxlen)
{
	uint8_t s[T1_BLOCK_MAX], last_i[T1_BLOCK_MAX], r[T1_BLOCK_MAX];
	size_t slen, last_i_len, rlen, off, chunk, got, cap = *rxlen;
	unsigned errors, resynchs = 0;
	uint8_t bwi = 0;
	bool receiving;
	RESPONSECODE rc;

	*rxlen = 0;
	/* ISO 7816-3 §11.4.2: IFSC 1..254; anything else never sizes a block */
	if (t1->ifsc == 0)
		t1->ifsc = 32;
	if (t1->ifsc > 254)
		t1->ifsc = 254;
restart:
	off = 0;
	got = 0;
	errors = 0;
	receiving = false;
	chunk = len > t1->ifsc ? t1->ifsc : len;
	slen = build(t1, s, (uint8_t)((t1->ns ? T1_PCB_I_NS : 0) | (chunk < len ? T1_PCB_I_MORE : 0)),
		     apdu, chunk);
	memcpy(last_i, s, slen);
	last_i_len = slen;
	for (;;) {
		uint8_t pcb;

		rc = exchange(t1, dev, slot, s, slen, r, &rlen, bwi);
		bwi = 0;
		if (rc != IFD_SUCCESS)
			return rc;
		if (rlen == 0)
			goto bad_block;
		pcb = r[1];
		if (!(pcb & 0x80)) {
			/* I-block: the card's answer (or the next part of it) */
			if (off + chunk < len || ((pcb & T1_PCB_I_NS) ? 1 : 0) != t1->nr)
				goto bad_block;
			if (!receiving) {
				t1->ns ^= 1;	/* our last I-block is acknowledged */
				receiving = true;
			}
			t1->nr ^= 1;
			if (r[2] > cap - got) {
				/* no room: abandon, but leave the card in a known state */
				resynch(t1, dev, slot);
				return IFD_ERROR_INSUFFICIENT_BUFFER;
			}
			memcpy(rx + got, r + 3, r[2]);
			got += r[2];
			errors = 0;
			if (!(pcb & T1_PCB_I_MORE)) {
				*rxlen = got;
				return IFD_SUCCESS;
			}
			slen = build(t1, s, (uint8_t)(T1_PCB_R | (t1->nr ? T1_PCB_R_NR : 0)), NULL, 0);
			continue;
		}
		if ((pcb & 0xC0) == T1_PCB_R) {
			unsigned nr = (pcb & T1_PCB_R_NR) ? 1 : 0;

			if (!receiving && off + chunk < len && nr != t1->ns && !(pcb & 0x0F)) {
				/* our chained part is acknowledged: send the next */
				t1->ns ^= 1;
				off += chunk;
				chunk = len - off > t1->ifsc ? t1->ifsc : len - off;
				slen = build(t1, s, (uint8_t)((t1->ns ? T1_PCB_I_NS : 0) |
							      (off + chunk < len ? T1_PCB_I_MORE : 0)),
					     apdu + off, chunk);
				memcpy(last_i, s, slen);
				last_i_len = slen;
				errors = 0;
				continue;
			}
			/* the card missed something: send our last I-block again */
			if (++errors > t1->retries)
				goto do_resynch;
			t1->stat_retransmits++;
			if (!receiving && nr == t1->ns) {
				memcpy(s, last_i, last_i_len);
				slen = last_i_len;
			}
			continue;
		}
		/* S-block */
		switch (pcb) {
		case T1_PCB_S | T1_S_WTX:
			if (r[2] != 1)
				goto bad_block;
			t1->wtx = r[3];
			t1->stat_wtx++;
			bwi = r[3];
			slen = build(t1, s, T1_PCB_S | T1_S_RESPONSE | T1_S_WTX, r + 3, 1);
			continue;
		case T1_PCB_S | T1_S_IFS:
			if (r[2] != 1 || r[3] == 0 || r[3] == 0xFF)
				goto bad_block;
			t1->ifsc = r[3];
			slen = build(t1, s, T1_PCB_S | T1_S_RESPONSE | T1_S_IFS, r + 3, 1);
			continue;
		case T1_PCB_S | T1_S_ABORT:
			slen = build(t1, s, T1_PCB_S | T1_S_RESPONSE | T1_S_ABORT, NULL, 0);
			exchange(t1, dev, slot, s, slen, r, &rlen, 0);
			return IFD_COMMUNICATION_ERROR;
		default:
			goto bad_block;
		}
bad_block:
		if (++errors > t1->retries)
			goto do_resynch;
		t1->stat_retransmits++;
		/* R-block naming the block we expect (bit 0: EDC error, bit 1: other) */
		slen = build(t1, s, (uint8_t)(T1_PCB_R | (t1->nr ? T1_PCB_R_NR : 0) | (rlen ? 2 : 1)),
			     NULL, 0);
		continue;
do_resynch:
		if (++resynchs > T1_MAX_RESYNCH)
			return IFD_COMMUNICATION_ERROR;
		rc = resynch(t1, dev, slot);
		if (rc != IFD_SUCCESS)
			return rc;
		goto restart;
	}
}
