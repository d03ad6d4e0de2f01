/* t1card.c - the card's side of T=1 (ISO 7816-3 §11) for a reader at TPDU
 * level: the simulated cards answer whole APDUs, so the reader plays the
 * card's block protocol in front of them. It can also misbehave on request
 * (S(WTX) before answers, damaged EDC, lost synchronisation) to exercise the
 * host's error recovery. */
#include <string.h>

#include "internal.h"

static uint8_t lrc(const uint8_t *p, size_t n)
{
	uint8_t x = 0;

	while (n--)
		x ^= *p++;
	return x;
}

static uint16_t crc16(const uint8_t *p, size_t n)
{
	uint16_t crc = 0xFFFF;

	while (n--) {
		crc ^= *p++;
		for (int b = 0; b < 8; b++)
			crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0x8408) : (uint16_t)(crc >> 1);
	}
	return (uint16_t)~crc;
}

void fw_t1_reset(struct fw_slot *s)
{
	uint8_t *cmd = s->t1.cmd;
	unsigned wtx = s->t1.wtx_cfg, corrupt = s->t1.corrupt;

	/* the test controls survive a reset or resynchronisation */
	memset(&s->t1, 0, sizeof(s->t1));
	s->t1.cmd = cmd;
	s->t1.wtx_cfg = wtx;
	s->t1.corrupt = corrupt;
	s->t1.ifsd = 32;
}

void ccidfw_t1_wtx(struct ccidfw *fw, unsigned slot, unsigned count)
{
	if (slot < fw->cfg.nslots)
		fw->slot[slot].t1.wtx_cfg = count;
}

void ccidfw_t1_corrupt(struct ccidfw *fw, unsigned slot, unsigned n)
{
	if (slot < fw->cfg.nslots)
		fw->slot[slot].t1.corrupt = n;
}

void ccidfw_t1_desync(struct ccidfw *fw, unsigned slot)
{
	if (slot < fw->cfg.nslots)
		fw->slot[slot].t1.desync = true;
}

static size_t emit(struct fw_slot *s, uint8_t *out, uint8_t pcb, const uint8_t *inf, size_t n)
{
	size_t len;

	out[0] = 0;
	out[1] = pcb;
	out[2] = (uint8_t)n;
	if (n)
		memcpy(out + 3, inf, n);
	if (s->t1.crc) {
		uint16_t c = crc16(out, 3 + n);

		out[3 + n] = (uint8_t)c;
		out[4 + n] = (uint8_t)(c >> 8);
		len = 5 + n;
	} else {
		out[3 + n] = lrc(out, 3 + n);
		len = 4 + n;
	}
	memcpy(s->t1.last, out, len);
	s->t1.last_len = len;
	if (s->t1.corrupt) {
		s->t1.corrupt--;
		out[len - 1] ^= 0x5A;	/* the copy kept for retransmission stays good */
	}
	return len;
}

static size_t resend(struct fw_slot *s, uint8_t *out)
{
	size_t len = s->t1.last_len;

	memcpy(out, s->t1.last, len);
	if (s->t1.corrupt) {
		s->t1.corrupt--;
		out[len - 1] ^= 0x5A;
	}
	return len;
}

static size_t r_block(struct fw_slot *s, uint8_t *out, uint8_t err)
{
	return emit(s, out, (uint8_t)(0x80 | (s->t1.nr ? 0x10 : 0) | err), NULL, 0);
}

/* The next I-block of the response. */
static size_t next_i(struct fw_slot *s, uint8_t *out)
{
	struct fw_t1 *t = &s->t1;
	size_t n = t->resp_len - t->resp_off;
	bool more;
	uint8_t pcb;

	if (n > t->ifsd)
		n = t->ifsd;
	more = t->resp_off + n < t->resp_len;
	pcb = (uint8_t)((t->ns ? 0x40 : 0) | (more ? 0x20 : 0));
	t->ns ^= 1;
	n = emit(s, out, pcb, s->resp + t->resp_off, n);
	t->resp_off += out[2];
	t->sending = more;
	return n;
}

static bool valid(const struct fw_slot *s, const uint8_t *b, size_t n)
{
	size_t e = s->t1.crc ? 2 : 1;

	if (n < 3 + e || b[2] == 0xFF || n != 3 + (size_t)b[2] + e)
		return false;
	if (s->t1.crc) {
		uint16_t c = crc16(b, n - 2);

		return b[n - 2] == (uint8_t)c && b[n - 1] == (uint8_t)(c >> 8);
	}
	return lrc(b, n - 1) == b[n - 1];
}

size_t fw_t1_block(struct ccidfw *fw, struct fw_slot *s, const uint8_t *in, size_t n, uint8_t *out)
{
	struct fw_t1 *t = &s->t1;
	uint8_t pcb;

	(void)fw;
	t->answer_pending = false;
	s->st.t1_blocks++;
	if (!valid(s, in, n))
		return r_block(s, out, 0x01);	/* EDC or length error */
	pcb = in[1];
	if ((pcb & 0xC0) == 0xC0) {
		switch (pcb) {
		case 0xC0:	/* RESYNCH request */
			fw_t1_reset(s);
			t->crc = s->params[1] & 1;
			s->st.t1_resynch++;
			return emit(s, out, 0xE0, NULL, 0);
		case 0xC1:	/* IFS request */
			if (in[2] != 1 || in[3] == 0 || in[3] == 0xFF)
				return r_block(s, out, 0x02);
			t->ifsd = in[3];
			s->st.t1_ifs++;
			return emit(s, out, 0xE1, in + 3, 1);
		case 0xC2:	/* ABORT request */
			t->cmd_len = 0;
			t->sending = false;
			return emit(s, out, 0xE2, NULL, 0);
		case 0xE3:	/* WTX response: go on waiting, or answer */
			if (t->wtx_left) {
				uint8_t m = 1;

				t->wtx_left--;
				return emit(s, out, 0xC3, &m, 1);
			}
			t->answer_pending = true;
			return next_i(s, out);
		default:
			return r_block(s, out, 0x02);
		}
	}
	if (t->desync)
		return r_block(s, out, 0x02);	/* lost: only RESYNCH helps */
	if ((pcb & 0xC0) == 0x80) {
		unsigned nr = (pcb & 0x10) ? 1 : 0;

		/* the host acknowledges our part and asks for the next one */
		if (t->sending && nr == t->ns)
			return next_i(s, out);
		return resend(s, out);
	}
	/* I-block */
	if (((pcb & 0x40) ? 1u : 0u) != t->nr)
		return resend(s, out);	/* a repeat of a block we have: our answer was lost */
	t->nr ^= 1;
	if (t->cmd_len + in[2] > FW_APDU_MAX) {
		t->cmd_len = 0;
		return r_block(s, out, 0x02);
	}
	memcpy(t->cmd + t->cmd_len, in + 3, in[2]);
	t->cmd_len += in[2];
	t->sending = false;
	if (pcb & 0x20)
		return r_block(s, out, 0);	/* chained: ask for the next part */
	t->resp_len = fw_card_apdu(s, t->cmd, t->cmd_len);
	t->resp_off = 0;
	t->cmd_len = 0;
	if (t->wtx_cfg) {
		uint8_t m = 1;

		t->wtx_left = t->wtx_cfg - 1;
		return emit(s, out, 0xC3, &m, 1);
	}
	t->answer_pending = true;
	return next_i(s, out);
}
