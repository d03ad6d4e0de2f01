/* pn532.c - the PN532 command core (see pn532.h). */
#include "pn532/pn532.h"

#include <string.h>

#include "pn532/frame.h"

/* Command codes (PN532 User Manual, 7). */
enum {
	CMD_DIAGNOSE = 0x00,
	CMD_GET_FIRMWARE_VERSION = 0x02,
	CMD_GET_GENERAL_STATUS = 0x04,
	CMD_READ_REGISTER = 0x06,
	CMD_WRITE_REGISTER = 0x08,
	CMD_SET_PARAMETERS = 0x12,
	CMD_SAM_CONFIGURATION = 0x14,
	CMD_POWER_DOWN = 0x16,
	CMD_RF_CONFIGURATION = 0x32,
	CMD_IN_DATA_EXCHANGE = 0x40,
	CMD_IN_COMMUNICATE_THRU = 0x42,
	CMD_IN_DESELECT = 0x44,
	CMD_IN_LIST_PASSIVE_TARGET = 0x4A,
	CMD_IN_SELECT = 0x50,
	CMD_IN_RELEASE = 0x52,
};

#define PARAM_AUTO_RATS 0x10
#define BRTY_106A 0x00
#define BRTY_106B 0x03
/* The RATS the chip sends: FSDI 5 (64 bytes, so long answers come chained)
 * and CID 0. Type B cards get CID 1 in ATTRIB. What libnfc 1.8 sends to check
 * a card's presence matches: R(NAK) without CID for type A (B2), with CID 1
 * for type B (BA 01). */
#define RATS_PARAM 0x50
#define ATTRIB_CID 1

size_t pn532_atr_historical(const uint8_t *atr, size_t len, uint8_t *out, size_t cap)
{
	size_t i = 2, k;
	uint8_t y;

	if (len < 2 || (atr[0] != 0x3B && atr[0] != 0x3F))
		return 0;
	k = atr[1] & 0x0F;
	y = atr[1] & 0xF0;
	while (y) {
		i += (size_t)((y >> 4) & 1) + ((y >> 5) & 1) + ((y >> 6) & 1);
		if (!(y & 0x80))
			break;
		if (i >= len)
			return 0;
		y = atr[i++] & 0xF0;
	}
	if (i + k > len || k > cap)
		return 0;
	memcpy(out, atr + i, k);
	return k;
}

void pn532_init(struct pn532 *d, const struct sim_card_ops *ops, void *card,
		enum pn532_tech tech)
{
	uint8_t atr[SIM_ATR_MAX];
	size_t n = ops->atr(card, atr, sizeof(atr));
	unsigned h = 2166136261u;

	memset(d, 0, sizeof(*d));
	picc_init(&d->picc, ops, card);
	d->tech = tech;
	d->hist_len = pn532_atr_historical(atr, n, d->hist, sizeof(d->hist));
	/* a random-looking but stable single-size UID (first byte 08: random ID) */
	for (size_t i = 0; i < n; i++)
		h = (h ^ atr[i]) * 16777619u;
	d->uid[0] = 0x08;
	d->uid[1] = (uint8_t)(h >> 16);
	d->uid[2] = (uint8_t)(h >> 8);
	d->uid[3] = (uint8_t)h;
	d->params = PARAM_AUTO_RATS;
}

static void update_field(struct pn532 *d)
{
	bool powered = d->card_in_field && d->rf_on;

	picc_field(&d->picc, powered);
	if (!powered)
		d->selected = false;
}

void pn532_set_card(struct pn532 *d, bool present)
{
	d->card_in_field = present;
	update_field(d);
}

/* --- the reader's half of ISO 14443-4 (what the chip does for InDataExchange) */

static bool is_i_block(uint8_t pcb)
{
	return (pcb & 0xE2) == 0x02;
}

static bool is_r_ack(uint8_t pcb)
{
	return (pcb & 0xF6) == 0xA2;
}

/* One block to the card and its answer, PCB first (CID byte removed). */
static size_t to_card(struct pn532 *d, uint8_t pcb, const uint8_t *inf, size_t inf_len,
		      uint8_t *ans, size_t cap)
{
	uint8_t blk[PICC_FRAME_MAX + 2], raw[PICC_FRAME_MAX + 2];
	size_t n;

	blk[0] = (uint8_t)(pcb | 0x08);
	blk[1] = d->picc.cid;
	if (inf_len)
		memcpy(blk + 2, inf, inf_len);
	n = picc_block(&d->picc, blk, inf_len + 2, raw, sizeof(raw));
	if (n < 1)
		return 0;
	if (raw[0] & 0x08) {			/* drop the CID byte */
		if (n < 2)
			return 0;
		memmove(raw + 1, raw + 2, n - 2);
		n--;
	}
	if (n > cap)
		return 0;
	memcpy(ans, raw, n);
	return n;
}

/* Sends apdu in I-blocks of at most FSC, collects the chained answer. Returns
 * a status byte; the answer goes to rsp (*rlen). */
static uint8_t exchange(struct pn532 *d, const uint8_t *apdu, size_t len, uint8_t *rsp,
			size_t cap, size_t *rlen)
{
	size_t room = d->fsc - 4, off = 0, n;	/* PCB, CID, CRC */
	uint8_t ans[PICC_FRAME_MAX + 2];

	*rlen = 0;
	for (;;) {
		size_t part = len - off < room ? len - off : room;
		bool more = off + part < len;

		n = to_card(d, (uint8_t)(0x02 | d->pcd_bn | (more ? 0x10 : 0)), apdu + off, part,
			    ans, sizeof(ans));
		if (n == 0)
			return PN532_ST_TIMEOUT;
		off += part;
		if (!more)
			break;
		if (!is_r_ack(ans[0]) || (ans[0] & 1) != d->pcd_bn)
			return PN532_ST_PROTOCOL;
		d->pcd_bn ^= 1;
	}
	for (;;) {
		if (!is_i_block(ans[0]) || (ans[0] & 1) != d->pcd_bn)
			return PN532_ST_PROTOCOL;
		d->pcd_bn ^= 1;
		if (*rlen + n - 1 > cap)
			return PN532_ST_PROTOCOL;
		memcpy(rsp + *rlen, ans + 1, n - 1);
		*rlen += n - 1;
		if (!(ans[0] & 0x10))
			return PN532_ST_OK;
		n = to_card(d, (uint8_t)(0xA2 | d->pcd_bn), NULL, 0, ans, sizeof(ans));
		if (n == 0)
			return PN532_ST_TIMEOUT;
	}
}

/* --- activation */

static uint8_t in_deselect(struct pn532 *d);

static bool target_ready(const struct pn532 *d)
{
	return d->card_in_field && d->rf_on;
}

/* InListPassiveTarget for type A: Tg, SENS_RES, SEL_RES, NFCID1, ATS. */
static size_t list_type_a(struct pn532 *d, uint8_t *out, size_t cap)
{
	size_t n = 0, ats_len = 0;
	uint8_t ats[32] = { 0 };

	if (cap < 9 + sizeof(ats))
		return 0;
	if (d->params & PARAM_AUTO_RATS) {
		ats_len = picc_rats(&d->picc, RATS_PARAM, d->hist, d->hist_len, ats, sizeof(ats));
		if (ats_len == 0)
			return 0;
		d->fsc = picc_fs_bytes(ats[1] & 0x0F);
	}
	out[n++] = 1;			/* Tg */
	out[n++] = 0x00;		/* SENS_RES: single-size UID */
	out[n++] = 0x04;
	out[n++] = 0x20;		/* SEL_RES: ISO/IEC 14443-4 compliant */
	out[n++] = sizeof(d->uid);
	memcpy(out + n, d->uid, sizeof(d->uid));
	n += sizeof(d->uid);
	memcpy(out + n, ats, ats_len);
	return n + ats_len;
}

/* InListPassiveTarget for type B: Tg, ATQB, ATTRIB_RES. */
static size_t list_type_b(struct pn532 *d, uint8_t afi, uint8_t *out, size_t cap)
{
	size_t n = 0;
	uint8_t pi[3];

	if (cap < 16 || (afi != 0x00 && afi != 0x10))	/* AFI 0: all; 1x: transport (ours) */
		return 0;
	if (!picc_attrib(&d->picc, 8, ATTRIB_CID))
		return 0;
	picc_protocol_info(pi);
	d->fsc = picc_fs_bytes(pi[1] >> 4);
	out[n++] = 1;			/* Tg */
	out[n++] = 0x50;		/* ATQB */
	memcpy(out + n, d->uid, 4);	/* PUPI */
	n += 4;
	/* application data: the first historical bytes, else zeros */
	for (size_t i = 0; i < 4; i++)
		out[n++] = i < d->hist_len ? d->hist[i] : 0x00;
	memcpy(out + n, pi, 3);
	n += 3;
	out[n++] = 1;			/* ATTRIB_RES length */
	out[n++] = ATTRIB_CID;		/* MBLI 0, CID */
	return n;
}

static int in_list_passive_target(struct pn532 *d, const uint8_t *p, size_t len, uint8_t *out,
				  size_t cap)
{
	size_t n = 0;

	if (len < 2 || p[0] < 1 || p[0] > 2 || p[1] > 0x04)
		return PN532_SYNTAX_ERROR;
	d->rf_on = true;		/* the chip switches the field on itself */
	update_field(d);
	in_deselect(d);			/* a new poll releases the old target */
	if (target_ready(d) && d->tech == PN532_TYPE_A && p[1] == BRTY_106A)
		n = list_type_a(d, out + 1, cap - 1);
	else if (target_ready(d) && d->tech == PN532_TYPE_B && p[1] == BRTY_106B)
		n = list_type_b(d, len > 2 ? p[2] : 0x00, out + 1, cap - 1);
	d->selected = n > 0;
	d->pcd_bn = 0;
	out[0] = d->selected ? 1 : 0;	/* NbTg */
	return (int)(1 + n);
}

/* A deselected card is woken and activated again (WUPA/WUPB + RATS/ATTRIB). */
static uint8_t in_select(struct pn532 *d)
{
	uint8_t tmp[64];

	if (!target_ready(d))
		return PN532_ST_TIMEOUT;
	if (d->tech == PN532_TYPE_A ? list_type_a(d, tmp, sizeof(tmp)) == 0 :
	    list_type_b(d, 0x00, tmp, sizeof(tmp)) == 0)
		return PN532_ST_TIMEOUT;
	d->selected = true;
	d->pcd_bn = 0;
	return PN532_ST_OK;
}

static uint8_t in_deselect(struct pn532 *d)
{
	uint8_t ans[8];

	if (!d->selected)
		return PN532_ST_OK;
	d->selected = false;
	if (!target_ready(d))
		return PN532_ST_TIMEOUT;
	return to_card(d, 0xC2, NULL, 0, ans, sizeof(ans)) ? PN532_ST_OK : PN532_ST_TIMEOUT;
}

/* --- the other commands */

static uint8_t *reg(struct pn532 *d, uint8_t hi, uint8_t lo)
{
	return hi == 0x63 ? &d->regs[0][lo] : hi == 0xFF ? &d->regs[1][lo] : NULL;
}

static int rf_configuration(struct pn532 *d, const uint8_t *p, size_t len)
{
	if (len < 1)
		return PN532_SYNTAX_ERROR;
	if (p[0] == 0x01) {		/* RF field: bit 0 on/off, bit 1 auto RFCA */
		if (len < 2)
			return PN532_SYNTAX_ERROR;
		d->rf_on = p[1] & 0x01;
		update_field(d);
	}
	return 0;			/* timings, retries, analog settings: taken */
}

static int general_status(struct pn532 *d, uint8_t *out, size_t cap)
{
	size_t n = 0;

	if (cap < 8)
		return PN532_SYNTAX_ERROR;
	out[n++] = 0x00;		/* last error */
	out[n++] = d->rf_on ? 1 : 0;
	out[n++] = d->selected ? 1 : 0;
	if (d->selected) {
		out[n++] = 1;		/* Tg, BrRx, BrTx 106 kbit/s, modulation type */
		out[n++] = 0x00;
		out[n++] = 0x00;
		out[n++] = d->tech == PN532_TYPE_A ? 0x00 : 0x03;
	}
	out[n++] = 0x01;		/* SAM status: normal mode */
	return (int)n;
}

static int dispatch(struct pn532 *d, uint8_t cmd, const uint8_t *p, size_t len, uint8_t *out,
		    size_t cap)
{
	size_t rlen;
	uint8_t st;

	switch (cmd) {
	case CMD_DIAGNOSE:
		if (len < 1 || len > cap)
			return PN532_SYNTAX_ERROR;
		if (p[0] == 0x00) {	/* communication line test: echo everything */
			memcpy(out, p, len);
			return (int)len;
		}
		out[0] = d->selected && d->picc.state == PICC_ACTIVE ? PN532_ST_OK : PN532_ST_TIMEOUT;
		return 1;
	case CMD_GET_FIRMWARE_VERSION:
		out[0] = 0x32;		/* IC PN532, firmware 1.6, ISO 18092 + A + B */
		out[1] = 0x01;
		out[2] = 0x06;
		out[3] = 0x07;
		return 4;
	case CMD_GET_GENERAL_STATUS:
		return general_status(d, out, cap);
	case CMD_READ_REGISTER:
		if (len % 2 || len / 2 > cap)
			return PN532_SYNTAX_ERROR;
		for (size_t i = 0; i < len / 2; i++) {
			const uint8_t *r = reg(d, p[2 * i], p[2 * i + 1]);
			out[i] = r ? *r : 0x00;
		}
		return (int)(len / 2);
	case CMD_WRITE_REGISTER:
		if (len % 3)
			return PN532_SYNTAX_ERROR;
		for (size_t i = 0; i < len; i += 3) {
			uint8_t *r = reg(d, p[i], p[i + 1]);
			if (r)
				*r = p[i + 2];
		}
		return 0;
	case CMD_SET_PARAMETERS:
		if (len != 1)
			return PN532_SYNTAX_ERROR;
		d->params = p[0];
		return 0;
	case CMD_SAM_CONFIGURATION:
		return len >= 1 ? 0 : PN532_SYNTAX_ERROR;
	case CMD_POWER_DOWN:
		d->rf_on = false;
		update_field(d);
		out[0] = PN532_ST_OK;
		return 1;
	case CMD_RF_CONFIGURATION:
		return rf_configuration(d, p, len);
	case CMD_IN_LIST_PASSIVE_TARGET:
		return in_list_passive_target(d, p, len, out, cap);
	case CMD_IN_DATA_EXCHANGE:
		if (len < 1 || cap < 2)
			return PN532_SYNTAX_ERROR;
		if ((p[0] & 0x3F) != 1 || !d->selected)
			st = PN532_ST_CONTEXT;
		else if (p[0] & 0x40)	/* MI from the host: libnfc never chains here */
			st = PN532_ST_BAD_PARAM;
		else if (!target_ready(d))
			st = PN532_ST_TIMEOUT;
		else
			st = exchange(d, p + 1, len - 1, out + 1, cap - 1, &rlen);
		out[0] = st;
		return st == PN532_ST_OK ? (int)(1 + rlen) : 1;
	case CMD_IN_COMMUNICATE_THRU:
		/* raw frames (ISO 14443-4 blocks for our card; anything else, e.g.
		 * the short frames of other technologies, gets no answer) */
		if (cap < 2)
			return PN532_SYNTAX_ERROR;
		rlen = target_ready(d) && len ? picc_block(&d->picc, p, len, out + 1, cap - 1) : 0;
		out[0] = rlen ? PN532_ST_OK : PN532_ST_TIMEOUT;
		return (int)(1 + rlen);
	case CMD_IN_DESELECT:
	case CMD_IN_RELEASE:
		if (len != 1)
			return PN532_SYNTAX_ERROR;
		out[0] = (p[0] == 0 || p[0] == 1) ? in_deselect(d) : PN532_ST_CONTEXT;
		return 1;
	case CMD_IN_SELECT:
		if (len != 1)
			return PN532_SYNTAX_ERROR;
		out[0] = p[0] == 1 ? in_select(d) : PN532_ST_CONTEXT;
		return 1;
	default:
		return PN532_SYNTAX_ERROR;
	}
}

int pn532_command(struct pn532 *d, const uint8_t *body, size_t len, uint8_t *out, size_t cap)
{
	int n;

	if (len < 2 || body[0] != PN532_TFI_HOST || cap < 2 + 64)
		return PN532_SYNTAX_ERROR;
	n = dispatch(d, body[1], body + 2, len - 2, out + 2, cap - 2);
	if (n < 0)
		return n;
	out[0] = PN532_TFI_CHIP;
	out[1] = (uint8_t)(body[1] + 1);
	return n + 2;
}
