/* vscard_t1.c - ATR facts and the card side of T=1 (see vscard_t1.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ccid/vscard_t1.h"

/* PCB values (ISO 7816-3 11.3.2). */
#define PCB_I_NS 0x40
#define PCB_I_MORE 0x20
#define PCB_R 0x80
#define PCB_R_NR 0x10
#define R_ERR_EDC 0x01
#define R_ERR_OTHER 0x02
#define S_RESYNCH_REQ 0xC0
#define S_IFS_REQ 0xC1
#define S_ABORT_REQ 0xC2
#define S_WTX_REQ 0xC3
#define S_RESPONSE 0x20	/* added to a request's PCB */

#define IFSD_DEFAULT 32

/* ------------------------------------------------------------------ ATR */

void vsc_atr_parse(const uint8_t *atr, size_t len, struct vsc_atr_info *info)
{
	memset(info, 0, sizeof(*info));
	info->ifsc = 32;
	info->bwi = 4;
	if (!atr || len < 2 || (atr[0] != 0x3B && atr[0] != 0x3F))
		return;

	size_t pos = 2, k = atr[1] & 0x0F;
	uint8_t y = atr[1] >> 4;
	int level = 1, proto = 0;
	bool t1_ta = false, t1_tb = false, t1_tc = false;

	while (y) {
		/* Interface bytes of level >= 3 that follow a TD naming T=1 are T=1's. */
		bool for_t1 = level >= 3 && proto == 1;
		if (y & 1) {
			if (pos >= len)
				return;
			if (for_t1 && !t1_ta) {
				info->ifsc = atr[pos];
				t1_ta = true;
			}
			pos++;
		}
		if (y & 2) {
			if (pos >= len)
				return;
			if (for_t1 && !t1_tb) {
				info->bwi = atr[pos] >> 4;
				t1_tb = true;
			}
			pos++;
		}
		if (y & 4) {
			if (pos >= len)
				return;
			if (for_t1 && !t1_tc) {
				info->crc = atr[pos] & 1;
				t1_tc = true;
			}
			pos++;
		}
		if (!(y & 8))
			break;
		if (pos >= len)
			return;
		uint8_t td = atr[pos++];
		proto = td & 0x0F;
		if (level == 1)
			info->first_protocol = proto;
		if (proto == 0)
			info->offers_t0 = true;
		if (proto == 1)
			info->offers_t1 = true;
		y = td >> 4;
		level++;
	}
	if (level == 1 || (!info->offers_t0 && !info->offers_t1 && info->first_protocol == 0))
		info->offers_t0 = true;	/* no TD1: T=0 only */
	if (len - pos < k)
		return;
	info->hist = atr + pos;
	info->hist_len = k;
	if (info->ifsc == 0 || info->ifsc == 0xFF)
		info->ifsc = 32;	/* reserved values */
	info->valid = true;
}

size_t vsc_atr_to_t0(const uint8_t *atr, size_t len, uint8_t *out, size_t cap)
{
	struct vsc_atr_info info;

	vsc_atr_parse(atr, len, &info);
	if (!info.valid || cap < 2 + info.hist_len)
		return 0;
	out[0] = 0x3B;
	out[1] = (uint8_t)info.hist_len;
	if (info.hist_len)
		memcpy(out + 2, info.hist, info.hist_len);
	return 2 + info.hist_len;
}

/* ------------------------------------------------------------------ EDC */

uint8_t vsc_t1_lrc(const uint8_t *p, size_t n)
{
	uint8_t x = 0;

	for (size_t i = 0; i < n; i++)
		x ^= p[i];
	return x;
}

uint16_t vsc_t1_crc(const uint8_t *p, size_t n)
{
	/* Reflected CCITT polynomial, initial value FFFF, no final XOR: the
	 * CRC that libccid's T=1 code (from OpenCT) computes. */
	uint16_t v = 0xFFFF;

	for (size_t i = 0; i < n; i++) {
		v ^= p[i];
		for (int b = 0; b < 8; b++)
			v = (v & 1) ? (uint16_t)((v >> 1) ^ 0x8408) : (uint16_t)(v >> 1);
	}
	return v;
}

/* ------------------------------------------------------------------ T=1 */

bool vsc_t1_init(struct vsc_t1 *t, const struct vsc_atr_info *atr)
{
	memset(t, 0, sizeof(*t));
	t->cmd = malloc(VSC_T1_MAX_APDU);
	t->rsp = malloc(VSC_T1_MAX_RAPDU);
	if (!t->cmd || !t->rsp) {
		vsc_t1_free(t);
		return false;
	}
	t->ifsc = atr && atr->ifsc && atr->ifsc < 0xFF ? atr->ifsc : 32;
	t->crc = atr ? atr->crc : false;
	t->wtx_multiplier = 1;
	vsc_t1_reset(t);
	return true;
}

void vsc_t1_free(struct vsc_t1 *t)
{
	free(t->cmd);
	free(t->rsp);
	t->cmd = t->rsp = NULL;
}

static void drop_chains(struct vsc_t1 *t)
{
	t->cmd_len = 0;
	t->cmd_overflow = false;
	t->rsp_len = t->rsp_off = 0;
	t->sending = false;
	t->wtx_pending = false;
}

void vsc_t1_reset(struct vsc_t1 *t)
{
	drop_chains(t);
	t->ns = t->nr = 0;
	t->ifsd = IFSD_DEFAULT;
	t->last_len = 0;
}

static size_t edc_len(const struct vsc_t1 *t)
{
	return t->crc ? 2 : 1;
}

/* Builds NAD PCB LEN INF EDC in out. */
static size_t build_block(const struct vsc_t1 *t, uint8_t *out, size_t cap, uint8_t pcb,
			  const uint8_t *inf, size_t n)
{
	size_t total = 3 + n + edc_len(t);

	if (cap < total || n > 254)
		return 0;
	out[0] = 0x00;
	out[1] = pcb;
	out[2] = (uint8_t)n;
	if (n)
		memmove(out + 3, inf, n);
	if (t->crc) {
		uint16_t c = vsc_t1_crc(out, 3 + n);
		out[3 + n] = (uint8_t)(c >> 8);
		out[4 + n] = (uint8_t)c;
	} else {
		out[3 + n] = vsc_t1_lrc(out, 3 + n);
	}
	return total;
}

/* The same, remembered for retransmission. */
static size_t make_block(struct vsc_t1 *t, uint8_t *out, size_t cap, uint8_t pcb,
			 const uint8_t *inf, size_t n)
{
	size_t total = build_block(t, out, cap, pcb, inf, n);

	if (total) {
		memcpy(t->last, out, total);
		t->last_len = total;
	}
	return total;
}

/* An acknowledgement is remembered; an error report is not: the block to
 * repeat after it is still the one before. */
static size_t r_block(struct vsc_t1 *t, uint8_t *out, size_t cap, uint8_t err)
{
	uint8_t pcb = (uint8_t)(PCB_R | (t->nr ? PCB_R_NR : 0) | err);

	return err ? build_block(t, out, cap, pcb, NULL, 0) : make_block(t, out, cap, pcb, NULL, 0);
}

static size_t resend_last(struct vsc_t1 *t, uint8_t *out, size_t cap)
{
	if (t->last_len == 0 || cap < t->last_len)
		return r_block(t, out, cap, R_ERR_OTHER);
	memcpy(out, t->last, t->last_len);
	return t->last_len;
}

/* The next I-block of the response, chained when it exceeds IFSD. */
static size_t next_iblock(struct vsc_t1 *t, uint8_t *out, size_t cap)
{
	size_t left = t->rsp_len - t->rsp_off;
	size_t n = left < t->ifsd ? left : t->ifsd;
	bool more = n < left;
	uint8_t pcb = (uint8_t)((t->ns ? PCB_I_NS : 0) | (more ? PCB_I_MORE : 0));
	size_t r = make_block(t, out, cap, pcb, t->rsp + t->rsp_off, n);

	if (r == 0)
		return 0;
	t->ns ^= 1;
	t->rsp_off += n;
	t->sending = more;
	return r;
}

static size_t i_block(struct vsc_t1 *t, uint8_t pcb, const uint8_t *inf, size_t n,
		      uint8_t *out, size_t cap, vsc_apdu_fn fn, void *ctx)
{
	uint8_t ns = (pcb & PCB_I_NS) ? 1 : 0;
	bool slow = false;

	if (n > t->ifsc || t->wtx_pending)
		return r_block(t, out, cap, R_ERR_OTHER);
	if (ns != t->nr) {
		/* The reader repeats a block we acknowledged: ours was lost. */
		return resend_last(t, out, cap);
	}
	t->nr ^= 1;
	if (t->sending)		/* a new command ends an unfinished response */
		drop_chains(t);
	if (n > VSC_T1_MAX_APDU - t->cmd_len)
		t->cmd_overflow = true;
	else if (n) {
		memcpy(t->cmd + t->cmd_len, inf, n);
		t->cmd_len += n;
	}
	if (pcb & PCB_I_MORE)
		return r_block(t, out, cap, 0);

	if (t->cmd_overflow) {
		t->rsp[0] = 0x67;
		t->rsp[1] = 0x00;
		t->rsp_len = 2;
	} else {
		t->rsp_len = fn(ctx, t->cmd, t->cmd_len, t->rsp, VSC_T1_MAX_RAPDU, &slow);
		if (t->rsp_len < 2 || t->rsp_len > VSC_T1_MAX_RAPDU) {
			t->rsp[0] = 0x6F;
			t->rsp[1] = 0x00;
			t->rsp_len = 2;
			slow = false;
		}
	}
	t->cmd_len = 0;
	t->cmd_overflow = false;
	t->rsp_off = 0;
	if (slow) {
		t->wtx_pending = true;
		return make_block(t, out, cap, S_WTX_REQ, &t->wtx_multiplier, 1);
	}
	return next_iblock(t, out, cap);
}

static size_t r_block_in(struct vsc_t1 *t, uint8_t pcb, uint8_t *out, size_t cap)
{
	uint8_t nr = (pcb & PCB_R_NR) ? 1 : 0;

	/* N(R) equal to our next N(S): the reader took our block and asks for
	 * the next one of the chain. Anything else: it missed our last block. */
	if (!t->wtx_pending && t->sending && nr == t->ns)
		return next_iblock(t, out, cap);
	return resend_last(t, out, cap);
}

static size_t s_block(struct vsc_t1 *t, uint8_t pcb, const uint8_t *inf, size_t n,
		      uint8_t *out, size_t cap)
{
	switch (pcb) {
	case S_IFS_REQ:
		if (n != 1 || inf[0] == 0 || inf[0] == 0xFF)
			return r_block(t, out, cap, R_ERR_OTHER);
		t->ifsd = inf[0];
		return make_block(t, out, cap, S_IFS_REQ | S_RESPONSE, inf, 1);
	case S_RESYNCH_REQ:
		if (n != 0)
			return r_block(t, out, cap, R_ERR_OTHER);
		drop_chains(t);
		t->ns = t->nr = 0;
		return make_block(t, out, cap, S_RESYNCH_REQ | S_RESPONSE, NULL, 0);
	case S_ABORT_REQ:
		drop_chains(t);
		return make_block(t, out, cap, S_ABORT_REQ | S_RESPONSE, NULL, 0);
	case S_WTX_REQ | S_RESPONSE:
		if (!t->wtx_pending || n != 1)
			return r_block(t, out, cap, R_ERR_OTHER);
		t->wtx_pending = false;
		return next_iblock(t, out, cap);
	default:
		return r_block(t, out, cap, R_ERR_OTHER);
	}
}

size_t vsc_t1_block(struct vsc_t1 *t, const uint8_t *blk, size_t len,
		    uint8_t *out, size_t cap, vsc_apdu_fn fn, void *ctx)
{
	size_t e = edc_len(t);

	if (cap < VSC_T1_BLOCK_MAX)
		return 0;
	if (!blk || len < 3 + e || len > VSC_T1_BLOCK_MAX || blk[2] != len - 3 - e)
		return r_block(t, out, cap, R_ERR_OTHER);
	if (t->crc) {
		uint16_t c = vsc_t1_crc(blk, len - 2);
		if (blk[len - 2] != (uint8_t)(c >> 8) || blk[len - 1] != (uint8_t)c)
			return r_block(t, out, cap, R_ERR_EDC);
	} else if (vsc_t1_lrc(blk, len - 1) != blk[len - 1]) {
		return r_block(t, out, cap, R_ERR_EDC);
	}

	uint8_t pcb = blk[1];
	const uint8_t *inf = blk + 3;
	size_t n = blk[2];

	if (!(pcb & 0x80))
		return i_block(t, pcb, inf, n, out, cap, fn, ctx);
	if ((pcb & 0xC0) == PCB_R)
		return n == 0 ? r_block_in(t, pcb, out, cap) : r_block(t, out, cap, R_ERR_OTHER);
	return s_block(t, pcb, inf, n, out, cap);
}
