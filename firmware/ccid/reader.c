/* reader.c - the CCID reader firmware core: message decoding, slots, the
 * exchange levels, time extension, Escape, and the reply queue. The T=1 card
 * side is in t1card.c, the pinpad in pinpad.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccid_proto.h"
#include "internal.h"

void ccidfw_config_default(struct ccidfw_config *c, uint32_t level)
{
	memset(c, 0, sizeof(*c));
	c->nslots = 1;
	/* automatic voltage, clock, baud; PPS and IFSD left to the host at TPDU
	 * level so the driver's PPS and S(IFS) are exercised */
	c->features = CCID_FEAT_AUTO_VOLTAGE | CCID_FEAT_AUTO_CLOCK | CCID_FEAT_AUTO_BAUD | level;
	if (level == CCID_FEAT_LEVEL_SHORT_APDU || level == CCID_FEAT_LEVEL_EXT_APDU)
		c->features |= CCID_FEAT_AUTO_CONF_ATR | CCID_FEAT_AUTO_PPS_PROP | CCID_FEAT_AUTO_IFSD |
			       CCID_FEAT_AUTO_ACTIVATION;
	c->protocols = 3;
	c->max_msg = level == CCID_FEAT_LEVEL_EXT_APDU ? 1024 : 271;
	c->pin_support = CCID_PIN_VERIFY | CCID_PIN_MODIFY;
	c->max_busy = 1;
	c->lcd = 0x0210;	/* 2 lines of 16 characters */
}

void ccidfw_config_two_slot(struct ccidfw_config *c)
{
	ccidfw_config_default(c, CCID_FEAT_LEVEL_TPDU);
	c->nslots = 2;
	c->max_busy = 2;
}

struct ccidfw *ccidfw_new(const struct ccidfw_config *c)
{
	struct ccidfw *fw;
	unsigned i;

	if (!c || c->nslots < 1 || c->nslots > CCIDFW_MAX_SLOTS || c->max_msg < 271 ||
	    c->max_msg > CCID_HDR + 65548)
		return NULL;
	fw = calloc(1, sizeof(*fw));
	if (!fw)
		return NULL;
	fw->cfg = *c;
	for (i = 0; i < c->nslots; i++) {
		struct fw_slot *s = &fw->slot[i];

		s->cmd = malloc(FW_APDU_MAX);
		s->resp = malloc(FW_APDU_MAX);
		s->t1.cmd = malloc(FW_APDU_MAX);
		if (!s->cmd || !s->resp || !s->t1.cmd) {
			ccidfw_free(fw);
			return NULL;
		}
	}
	return fw;
}

void ccidfw_free(struct ccidfw *fw)
{
	unsigned i;

	if (!fw)
		return;
	for (i = 0; i < CCIDFW_MAX_SLOTS; i++) {
		free(fw->slot[i].cmd);
		free(fw->slot[i].resp);
		free(fw->slot[i].t1.cmd);
	}
	for (i = 0; i < CCIDFW_QUEUE; i++)
		free(fw->q[i].m);
	free(fw);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

void ccidfw_descriptor(const struct ccidfw *fw, uint8_t d[54])
{
	memset(d, 0, 54);
	d[0] = CCID_DESC_LEN;
	d[1] = CCID_DESC_TYPE;
	put16(d + CCID_DESC_BCDCCID, 0x0110);
	d[CCID_DESC_MAXSLOT] = (uint8_t)(fw->cfg.nslots - 1);
	d[CCID_DESC_VOLTAGE] = 0x07;
	ccid_put_le32(d + CCID_DESC_PROTOCOLS, fw->cfg.protocols);
	ccid_put_le32(d + CCID_DESC_DEFCLOCK, 4000);
	ccid_put_le32(d + CCID_DESC_MAXCLOCK, 4000);
	ccid_put_le32(d + CCID_DESC_DATARATE, 10752);
	ccid_put_le32(d + CCID_DESC_MAXDATARATE, 344086);
	ccid_put_le32(d + CCID_DESC_MAXIFSD, 254);
	ccid_put_le32(d + CCID_DESC_FEATURES, fw->cfg.features);
	ccid_put_le32(d + CCID_DESC_MAXMSG, fw->cfg.max_msg);
	d[CCID_DESC_GETRESPONSE] = 0xFF;
	d[CCID_DESC_ENVELOPE] = 0xFF;
	put16(d + CCID_DESC_LCD, fw->cfg.lcd);
	d[CCID_DESC_PINSUPPORT] = fw->cfg.pin_support;
	d[CCID_DESC_MAXBUSY] = fw->cfg.max_busy;
}

/* ---- the queues */

void fw_queue(struct ccidfw *fw, uint8_t type, uint8_t slot, uint8_t seq, uint8_t status,
	      uint8_t error, uint8_t p3, const uint8_t *data, size_t len)
{
	struct fw_msg *q;
	uint8_t *m;

	if (fw->qn == CCIDFW_QUEUE)
		return;		/* host not reading: the reader drops (its buffer is full) */
	m = malloc(CCID_HDR + len);
	if (!m)
		return;
	m[CCID_OFF_TYPE] = type;
	ccid_put_le32(m + CCID_OFF_LEN, (uint32_t)len);
	m[CCID_OFF_SLOT] = slot;
	m[CCID_OFF_SEQ] = seq;
	m[CCID_OFF_STATUS] = status;
	m[CCID_OFF_ERROR] = error;
	m[CCID_OFF_CHAIN] = p3;
	if (len)
		memcpy(m + CCID_HDR, data, len);
	q = &fw->q[(fw->qhead + fw->qn) % CCIDFW_QUEUE];
	q->m = m;
	q->n = CCID_HDR + len;
	fw->qn++;
}

size_t ccidfw_bulk_in(struct ccidfw *fw, uint8_t *buf, size_t cap)
{
	struct fw_msg *q;
	size_t n;

	if (fw->qn == 0)
		return 0;
	q = &fw->q[fw->qhead];
	fw->qhead = (fw->qhead + 1) % CCIDFW_QUEUE;
	fw->qn--;
	n = q->n <= cap ? q->n : 0;
	if (n)
		memcpy(buf, q->m, n);
	free(q->m);
	q->m = NULL;
	return n;
}

static void slot_changed(struct ccidfw *fw, unsigned slot)
{
	fw->intr_changed |= 1u << slot;
	fw->intr_pending = true;
}

size_t ccidfw_interrupt_in(struct ccidfw *fw, uint8_t *buf, size_t cap)
{
	size_t n = 1 + (fw->cfg.nslots + 3) / 4, i;

	if (!fw->intr_pending || cap < n)
		return 0;
	memset(buf, 0, n);
	buf[0] = RDR_TO_PC_NOTIFYSLOTCHANGE;
	for (i = 0; i < fw->cfg.nslots; i++) {
		unsigned bits = (fw->slot[i].present ? 1u : 0u) | ((fw->intr_changed >> i) & 1u) << 1;

		buf[1 + i / 4] |= (uint8_t)(bits << ((i % 4) * 2));
	}
	fw->intr_pending = false;
	fw->intr_changed = 0;
	return n;
}

/* ---- slots */

uint8_t fw_icc_status(const struct fw_slot *s)
{
	if (!s->present)
		return CCID_ICC_ABSENT;
	return s->powered ? CCID_ICC_ACTIVE : CCID_ICC_INACTIVE;
}

bool ccidfw_insert(struct ccidfw *fw, unsigned slot, const struct sim_card_ops *ops, void *card)
{
	struct fw_slot *s;

	if (slot >= fw->cfg.nslots || !ops || !card)
		return false;
	s = &fw->slot[slot];
	if (s->present)
		return false;
	s->ops = ops;
	s->card = card;
	s->present = true;
	s->powered = false;
	slot_changed(fw, slot);
	return true;
}

void ccidfw_remove(struct ccidfw *fw, unsigned slot)
{
	struct fw_slot *s;

	if (slot >= fw->cfg.nslots)
		return;
	s = &fw->slot[slot];
	if (!s->present)
		return;
	if (s->powered)
		s->ops->power_off(s->card);
	s->present = false;
	s->powered = false;
	s->ops = NULL;
	s->card = NULL;
	slot_changed(fw, slot);
}

void ccidfw_keypad(struct ccidfw *fw, const char *keys)
{
	snprintf(fw->keys, sizeof(fw->keys), "%s", keys ? keys : "");
	fw->keypos = 0;
}

void ccidfw_time_extensions(struct ccidfw *fw, unsigned count, uint8_t mult)
{
	fw->te_count = count;
	fw->te_mult = mult;
}

void ccidfw_stats(const struct ccidfw *fw, unsigned slot, struct ccidfw_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (slot < fw->cfg.nslots)
		*out = fw->slot[slot].st;
}

/* ---- commands */

static void slot_status(struct ccidfw *fw, const uint8_t *h, uint8_t status, uint8_t error)
{
	fw_queue(fw, RDR_TO_PC_SLOTSTATUS, h[CCID_OFF_SLOT], h[CCID_OFF_SEQ], status, error,
		 0x00 /* bClockStatus: running */, NULL, 0);
}

void fw_fail(struct ccidfw *fw, const uint8_t *h, uint8_t type, uint8_t error)
{
	unsigned slot = h[CCID_OFF_SLOT];
	uint8_t icc = slot < fw->cfg.nslots ? fw_icc_status(&fw->slot[slot]) : CCID_ICC_ABSENT;

	fw_queue(fw, type, h[CCID_OFF_SLOT], h[CCID_OFF_SEQ], (uint8_t)(CCID_CMD_FAILED | icc), error, 0,
		 NULL, 0);
}

void fw_datablock(struct ccidfw *fw, const uint8_t *h, const uint8_t *data, size_t len, uint8_t chain)
{
	struct fw_slot *s = &fw->slot[h[CCID_OFF_SLOT]];

	fw_queue(fw, RDR_TO_PC_DATABLOCK, h[CCID_OFF_SLOT], h[CCID_OFF_SEQ], fw_icc_status(s), 0, chain,
		 data, len);
}

void fw_time_extensions(struct ccidfw *fw, const uint8_t *h)
{
	struct fw_slot *s = &fw->slot[h[CCID_OFF_SLOT]];
	unsigned i;

	for (i = 0; i < fw->te_count; i++) {
		fw_queue(fw, RDR_TO_PC_DATABLOCK, h[CCID_OFF_SLOT], h[CCID_OFF_SEQ],
			 (uint8_t)(CCID_CMD_TIME_EXT | fw_icc_status(s)), fw->te_mult, 0, NULL, 0);
		s->st.time_ext++;
	}
}

/* The card's answer to a whole APDU into s->resp; returns its length. */
size_t fw_card_apdu(struct fw_slot *s, const uint8_t *apdu, size_t len)
{
	s->st.apdus++;
	return s->ops->process(s->card, apdu, len, s->resp, FW_APDU_MAX);
}

static void params_defaults(struct fw_slot *s)
{
	/* from the ATR, as a reader with automatic parameter configuration would */
	uint8_t atr[SIM_ATR_MAX];
	size_t n = s->ops->atr(s->card, atr, sizeof(atr));

	s->protocol = 0;
	memset(s->params, 0, sizeof(s->params));
	s->params[0] = 0x11;
	s->params[3] = 10;
	if (n >= 2 && (atr[1] & 0x80)) {
		/* TD1 present: its protocol is the default one */
		size_t i = 2;
		uint8_t y = atr[1] >> 4;

		i += (size_t)((y & 1) + ((y >> 1) & 1) + ((y >> 2) & 1));
		if (i < n && (atr[i] & 0x0F) == 1)
			s->protocol = 1;
	}
	if (s->protocol == 1) {
		s->params[1] = 0x10;
		s->params[3] = 0x45;
		s->params[5] = 254;
	}
}

static void power_on(struct ccidfw *fw, const uint8_t *h)
{
	struct fw_slot *s = &fw->slot[h[CCID_OFF_SLOT]];
	uint8_t atr[SIM_ATR_MAX];
	size_t n;

	if (!s->present) {
		fw_fail(fw, h, RDR_TO_PC_DATABLOCK, CCID_ERR_ICC_MUTE);
		return;
	}
	if (h[CCID_OFF_P1] > 3) {
		fw_fail(fw, h, RDR_TO_PC_DATABLOCK, CCID_ERR_BAD_POWERSELECT);
		return;
	}
	if (s->powered)
		s->ops->reset(s->card);
	else
		s->ops->power_on(s->card);
	s->powered = true;
	n = s->ops->atr(s->card, atr, sizeof(atr));
	params_defaults(s);
	fw_t1_reset(s);
	fw_t0c_reset(s);
	s->chain_len = 0;
	s->resp_len = s->resp_off = 0;
	s->pps_allowed = true;
	fw_datablock(fw, h, atr, n, 0);
}

static void parameters(struct ccidfw *fw, const uint8_t *h, uint8_t status)
{
	struct fw_slot *s = &fw->slot[h[CCID_OFF_SLOT]];
	size_t n = s->protocol ? 7 : 5;

	fw_queue(fw, RDR_TO_PC_PARAMETERS, h[CCID_OFF_SLOT], h[CCID_OFF_SEQ], status, 0, s->protocol,
		 s->params, n);
}

static void set_parameters(struct ccidfw *fw, const uint8_t *h, const uint8_t *d, size_t len)
{
	struct fw_slot *s = &fw->slot[h[CCID_OFF_SLOT]];
	uint8_t p = h[CCID_OFF_P1];

	if (p > 1 || !(fw->cfg.protocols & (1u << p))) {
		fw_queue(fw, RDR_TO_PC_PARAMETERS, h[CCID_OFF_SLOT], h[CCID_OFF_SEQ],
			 (uint8_t)(CCID_CMD_FAILED | fw_icc_status(s)), CCID_ERR_BAD_PROTOCOLNUM, s->protocol,
			 s->params, s->protocol ? 7 : 5);
		return;
	}
	if (len != (p ? 7u : 5u)) {
		fw_fail(fw, h, RDR_TO_PC_PARAMETERS, CCID_ERR_BAD_LENGTH);
		return;
	}
	s->protocol = p;
	memset(s->params, 0, sizeof(s->params));
	memcpy(s->params, d, len);
	s->st.set_params++;
	s->st.last_protocol = p;
	memcpy(s->st.last_params, s->params, sizeof(s->params));
	s->t1.crc = p == 1 && (d[1] & 1);
	parameters(fw, h, fw_icc_status(s));
}

/* PPS (ISO 7816-3 §9) right after the ATR, when the host negotiates. */
static bool pps(struct ccidfw *fw, const uint8_t *h, const uint8_t *d, size_t len)
{
	struct fw_slot *s = &fw->slot[h[CCID_OFF_SLOT]];
	uint8_t x = 0;
	size_t i, want;

	if (len < 3 || d[0] != 0xFF || !s->pps_allowed)
		return false;
	want = 3 + ((d[1] >> 4) & 1) + ((d[1] >> 5) & 1) + ((d[1] >> 6) & 1);
	if (len != want)
		return false;
	for (i = 0; i < len; i++)
		x ^= d[i];
	s->pps_allowed = false;
	s->st.pps++;
	if (x != 0) {
		fw_fail(fw, h, RDR_TO_PC_DATABLOCK, CCID_ERR_ICC_MUTE);	/* the card stays mute */
		return true;
	}
	s->protocol = d[1] & 0x0F;
	fw_datablock(fw, h, d, len, 0);	/* the echo: accepted */
	return true;
}

static void xfr_ext(struct ccidfw *fw, const uint8_t *h, const uint8_t *d, size_t len)
{
	struct fw_slot *s = &fw->slot[h[CCID_OFF_SLOT]];
	unsigned level = h[CCID_OFF_P2] | (unsigned)h[CCID_OFF_P3] << 8;
	size_t frag = fw->cfg.max_msg - CCID_HDR;

	switch (level) {
	case CCID_CHAIN_NONE:
	case CCID_CHAIN_BEGIN:
		s->chain_len = 0;
		s->resp_len = s->resp_off = 0;
		/* fall through */
	case CCID_CHAIN_MIDDLE:
	case CCID_CHAIN_END:
		if (s->chain_len + len > FW_APDU_MAX) {
			s->chain_len = 0;
			fw_fail(fw, h, RDR_TO_PC_DATABLOCK, CCID_ERR_BAD_LENGTH);
			return;
		}
		memcpy(s->cmd + s->chain_len, d, len);
		s->chain_len += len;
		if (level == CCID_CHAIN_BEGIN || level == CCID_CHAIN_MIDDLE) {
			fw_datablock(fw, h, NULL, 0, CCID_CHAIN_MORE);
			return;
		}
		fw_time_extensions(fw, h);
		s->resp_len = fw_card_apdu(s, s->cmd, s->chain_len);
		s->chain_len = 0;
		s->resp_off = 0;
		if (s->resp_len <= frag) {
			fw_datablock(fw, h, s->resp, s->resp_len, CCID_CHAIN_NONE);
			s->resp_len = 0;
			return;
		}
		fw_datablock(fw, h, s->resp, frag, CCID_CHAIN_BEGIN);
		s->resp_off = frag;
		return;
	case CCID_CHAIN_MORE: {
		size_t n = s->resp_len - s->resp_off;

		if (s->resp_off == 0 || s->resp_off >= s->resp_len || len != 0) {
			fw_fail(fw, h, RDR_TO_PC_DATABLOCK, CCID_ERR_BAD_LEVELPARAM);
			return;
		}
		if (n > frag)
			n = frag;
		fw_datablock(fw, h, s->resp + s->resp_off, n,
			     s->resp_off + n == s->resp_len ? CCID_CHAIN_END : CCID_CHAIN_MIDDLE);
		s->resp_off += n;
		if (s->resp_off == s->resp_len)
			s->resp_len = s->resp_off = 0;
		return;
	}
	default:
		fw_fail(fw, h, RDR_TO_PC_DATABLOCK, CCID_ERR_BAD_LEVELPARAM);
	}
}

static void xfr_block(struct ccidfw *fw, const uint8_t *h, const uint8_t *d, size_t len)
{
	struct fw_slot *s = &fw->slot[h[CCID_OFF_SLOT]];
	uint32_t level = fw->cfg.features & CCID_FEAT_LEVEL_MASK;
	size_t n;

	if (!s->present || !s->powered) {
		fw_fail(fw, h, RDR_TO_PC_DATABLOCK, CCID_ERR_ICC_MUTE);
		return;
	}
	s->st.xfr_blocks++;
	if (level == CCID_FEAT_LEVEL_EXT_APDU) {
		xfr_ext(fw, h, d, len);
		return;
	}
	if ((level == CCID_FEAT_LEVEL_TPDU || level == CCID_FEAT_LEVEL_CHAR) && pps(fw, h, d, len))
		return;
	s->pps_allowed = false;
	if (level == CCID_FEAT_LEVEL_SHORT_APDU && len > 261) {
		fw_fail(fw, h, RDR_TO_PC_DATABLOCK, CCID_ERR_BAD_LENGTH);
		return;
	}
	if (level == CCID_FEAT_LEVEL_CHAR && s->protocol == 0) {
		uint8_t out[256 + 2 + 1];
		size_t want = h[CCID_OFF_P2] | (size_t)h[CCID_OFF_P3] << 8;

		if (want > sizeof(out))
			want = sizeof(out);
		n = fw_t0_char(s, d, len, want, out);
		if (n == 0 && want) {
			fw_fail(fw, h, RDR_TO_PC_DATABLOCK, CCID_ERR_ICC_MUTE);	/* nothing to say */
			return;
		}
		fw_datablock(fw, h, out, n, 0);
		return;
	}
	if ((level == CCID_FEAT_LEVEL_TPDU || level == CCID_FEAT_LEVEL_CHAR) && s->protocol == 1) {
		uint8_t out[FW_T1_BLOCK_MAX];

		n = fw_t1_block(fw, s, d, len, out);
		if (n == 0) {
			fw_fail(fw, h, RDR_TO_PC_DATABLOCK, CCID_ERR_ICC_MUTE);	/* the card says nothing */
			return;
		}
		if (s->t1.answer_pending)
			fw_time_extensions(fw, h);
		fw_datablock(fw, h, out, n, 0);
		return;
	}
	if (len < 4) {
		fw_fail(fw, h, RDR_TO_PC_DATABLOCK, CCID_ERR_BAD_LENGTH);
		return;
	}
	fw_time_extensions(fw, h);
	n = fw_card_apdu(s, d, len);
	fw_datablock(fw, h, s->resp, n, 0);
}

static void escape(struct ccidfw *fw, const uint8_t *h, const uint8_t *d, size_t len)
{
	static const char version[] = "santecard-ccid 1.0";
	struct fw_slot *s = &fw->slot[h[CCID_OFF_SLOT]];

	s->st.escape++;
	if (len >= 1 && d[0] == 0x01) {
		fw_queue(fw, RDR_TO_PC_ESCAPE, h[CCID_OFF_SLOT], h[CCID_OFF_SEQ], fw_icc_status(s), 0, 0,
			 (const uint8_t *)version, sizeof(version) - 1);
		return;
	}
	if (len >= 1 && d[0] == 0x02) {
		fw_queue(fw, RDR_TO_PC_ESCAPE, h[CCID_OFF_SLOT], h[CCID_OFF_SEQ], fw_icc_status(s), 0, 0,
			 d + 1, len - 1);
		return;
	}
	fw_fail(fw, h, RDR_TO_PC_ESCAPE, CCID_ERR_CMD_NOT_SUPPORTED);
}

void ccidfw_bulk_out(struct ccidfw *fw, const uint8_t *msg, size_t len)
{
	const uint8_t *d = msg + CCID_HDR;
	uint32_t dlen;
	unsigned slot;
	uint8_t type;

	if (len < CCID_HDR)
		return;		/* a real reader stalls the pipe; nothing to answer */
	type = msg[CCID_OFF_TYPE];
	dlen = ccid_le32(msg + CCID_OFF_LEN);
	slot = msg[CCID_OFF_SLOT];
	if (slot < fw->cfg.nslots)
		fw->slot[slot].st.messages++;
	if (dlen != len - CCID_HDR) {
		fw_fail(fw, msg, type == PC_TO_RDR_ESCAPE ? RDR_TO_PC_ESCAPE : RDR_TO_PC_SLOTSTATUS,
			CCID_ERR_BAD_LENGTH);
		return;
	}
	if (slot >= fw->cfg.nslots) {
		fw_fail(fw, msg, RDR_TO_PC_SLOTSTATUS, CCID_ERR_BAD_SLOT);
		return;
	}
	switch (type) {
	case PC_TO_RDR_ICCPOWERON:
		power_on(fw, msg);
		break;
	case PC_TO_RDR_ICCPOWEROFF: {
		struct fw_slot *s = &fw->slot[slot];

		if (s->powered)
			s->ops->power_off(s->card);
		s->powered = false;
		slot_status(fw, msg, fw_icc_status(s), 0);
		break;
	}
	case PC_TO_RDR_GETSLOTSTATUS:
		slot_status(fw, msg, fw_icc_status(&fw->slot[slot]), 0);
		break;
	case PC_TO_RDR_XFRBLOCK:
		xfr_block(fw, msg, d, dlen);
		break;
	case PC_TO_RDR_GETPARAMETERS:
		parameters(fw, msg, fw_icc_status(&fw->slot[slot]));
		break;
	case PC_TO_RDR_RESETPARAMETERS:
		if (fw->slot[slot].present)
			params_defaults(&fw->slot[slot]);
		parameters(fw, msg, fw_icc_status(&fw->slot[slot]));
		break;
	case PC_TO_RDR_SETPARAMETERS:
		set_parameters(fw, msg, d, dlen);
		break;
	case PC_TO_RDR_ESCAPE:
		escape(fw, msg, d, dlen);
		break;
	case PC_TO_RDR_SECURE:
		fw_secure(fw, msg, d, dlen);
		break;
	default:
		fw_fail(fw, msg, RDR_TO_PC_SLOTSTATUS, CCID_ERR_CMD_NOT_SUPPORTED);
	}
}
