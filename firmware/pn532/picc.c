/* picc.c - ISO/IEC 14443-4 card side (see picc.h).
 *
 * Block numbering, from the card's side (ISO/IEC 14443-4 7.5.4.3):
 *  - the block number starts at 1 on activation;
 *  - an I-block received toggles it before the card answers (rule D);
 *  - an R(ACK) whose number differs from the card's toggles it (rule E) and,
 *    while the card is chaining a response, asks for the next block (13);
 *  - an R(ACK) or R(NAK) carrying the card's own number asks for the last
 *    block again (rule 11); an R(NAK) with the other number gets an R(ACK) (12);
 *  - an I-block with the chaining bit is acknowledged by an R(ACK) (rule 10).
 */
#include "pn532/picc.h"

#include <string.h>

#define PCB_I 0x02
#define PCB_R 0xA2
#define PCB_S 0xC2
#define PCB_CHAIN 0x10
#define PCB_NAK 0x10
#define PCB_CID 0x08
#define PCB_NAD 0x04
#define PCB_BN 0x01
#define S_WTX 0x30

size_t picc_fs_bytes(unsigned code)
{
	static const size_t fs[] = { 16, 24, 32, 40, 48, 64, 96, 128, 256 };

	return code < sizeof(fs) / sizeof(fs[0]) ? fs[code] : 256;
}

void picc_init(struct picc *p, const struct sim_card_ops *ops, void *card)
{
	memset(p, 0, sizeof(*p));
	p->ops = ops;
	p->card = card;
	p->state = PICC_OFF;
}

static void forget_exchange(struct picc *p)
{
	p->cmd_len = 0;
	p->cmd_overflow = false;
	p->rsp_len = p->rsp_off = 0;
	p->chaining_out = false;
	p->last_len = 0;
}

void picc_field(struct picc *p, bool on)
{
	if (on && p->state == PICC_OFF) {
		p->ops->power_on(p->card);
		p->state = PICC_IDLE;
		forget_exchange(p);
	} else if (!on && p->state != PICC_OFF) {
		p->ops->power_off(p->card);
		p->state = PICC_OFF;
		forget_exchange(p);
	}
}

/* Activation from IDLE or HALT (a WUPA/WUPB wakes a halted card): the
 * application state starts afresh, as after a reset. */
static bool activate(struct picc *p, size_t fsd, uint8_t cid)
{
	if (p->state != PICC_IDLE && p->state != PICC_HALT)
		return false;
	p->ops->reset(p->card);
	forget_exchange(p);
	p->fsd = fsd;
	p->cid = cid;
	p->bn = 1;
	p->state = PICC_ACTIVE;
	return true;
}

size_t picc_rats(struct picc *p, uint8_t param, const uint8_t *hist, size_t hist_len,
		 uint8_t *ats, size_t cap)
{
	uint8_t cid = param & 0x0F;
	size_t n = 5 + hist_len;

	if (hist_len > 15 || cap < n || cid == 0x0F)
		return 0;
	if (!activate(p, picc_fs_bytes(param >> 4), cid))
		return 0;
	ats[0] = (uint8_t)n;			/* TL */
	ats[1] = 0x70 | PICC_FSCI;		/* TA, TB, TC follow */
	ats[2] = 0x00;				/* 106 kbit/s only, both ways */
	ats[3] = (uint8_t)(PICC_FWI << 4);	/* FWI, SFGI 0 */
	ats[4] = 0x02;				/* CID supported, no NAD */
	if (hist_len)
		memcpy(ats + 5, hist, hist_len);
	return n;
}

bool picc_attrib(struct picc *p, unsigned fsdi, uint8_t cid)
{
	return cid < 0x0F && activate(p, picc_fs_bytes(fsdi), cid);
}

void picc_protocol_info(uint8_t out[3])
{
	out[0] = 0x00;					/* 106 kbit/s only */
	out[1] = (uint8_t)(PICC_FSCI << 4 | 0x01);	/* FSCI, ISO 14443-4 */
	out[2] = (uint8_t)(PICC_FWI << 4 | 0x01);	/* FWI, ADC 0, CID supported */
}

/* Writes PCB [CID] INF into out, remembers it as the last block sent. */
static size_t emit(struct picc *p, uint8_t pcb, bool with_cid, const uint8_t *inf,
		   size_t inf_len, uint8_t *out, size_t cap)
{
	size_t n = 0;

	if (cap < 2 + inf_len || 2 + inf_len > sizeof(p->last))
		return 0;
	out[n++] = (uint8_t)(pcb | (with_cid ? PCB_CID : 0));
	if (with_cid)
		out[n++] = p->cid;
	if (inf_len)
		memcpy(out + n, inf, inf_len);
	n += inf_len;
	memcpy(p->last, out, n);
	p->last_len = n;
	return n;
}

static size_t next_response_block(struct picc *p, bool with_cid, uint8_t *out, size_t cap)
{
	/* the reader's frame size less PCB, CID and the two CRC bytes */
	size_t room = p->fsd - 3 - (with_cid ? 1 : 0);
	size_t left = p->rsp_len - p->rsp_off;
	size_t n = left < room ? left : room;
	bool more = n < left;
	size_t r = emit(p, (uint8_t)(PCB_I | p->bn | (more ? PCB_CHAIN : 0)), with_cid,
			p->rsp + p->rsp_off, n, out, cap);

	p->rsp_off += n;
	p->chaining_out = more;
	return r;
}

static void run_apdu(struct picc *p)
{
	if (p->cmd_overflow || p->cmd_len < 4) {
		/* wrong length: what a card says to a C-APDU it cannot take */
		p->rsp[0] = 0x67;
		p->rsp[1] = 0x00;
		p->rsp_len = 2;
	} else {
		p->rsp_len = p->ops->process(p->card, p->cmd, p->cmd_len, p->rsp, sizeof(p->rsp));
		if (p->rsp_len < 2 || p->rsp_len > sizeof(p->rsp)) {
			p->rsp[0] = 0x6F;
			p->rsp[1] = 0x00;
			p->rsp_len = 2;
		}
	}
	if (p->on_apdu)
		p->on_apdu(p->ctx, p->cmd, p->cmd_len, p->rsp, p->rsp_len);
	p->rsp_off = 0;
	p->cmd_len = 0;
	p->cmd_overflow = false;
}

static size_t i_block(struct picc *p, uint8_t pcb, bool with_cid, const uint8_t *inf,
		      size_t inf_len, uint8_t *out, size_t cap)
{
	p->bn ^= 1;				/* rule D */
	p->chaining_out = false;		/* a new command ends any old answer */
	if (p->cmd_len + inf_len > sizeof(p->cmd))
		p->cmd_overflow = true;
	else if (inf_len) {
		memcpy(p->cmd + p->cmd_len, inf, inf_len);
		p->cmd_len += inf_len;
	}
	if (pcb & PCB_CHAIN)			/* rule 10 */
		return emit(p, (uint8_t)(PCB_R | p->bn), with_cid, NULL, 0, out, cap);
	run_apdu(p);
	return next_response_block(p, with_cid, out, cap);
}

static size_t r_block(struct picc *p, uint8_t pcb, bool with_cid, uint8_t *out, size_t cap)
{
	if ((pcb & PCB_BN) == p->bn) {		/* rule 11 */
		if (p->last_len && p->last_len <= cap) {
			memcpy(out, p->last, p->last_len);
			return p->last_len;
		}
		return emit(p, (uint8_t)(PCB_R | p->bn), with_cid, NULL, 0, out, cap);
	}
	if (pcb & PCB_NAK)			/* rule 12 */
		return emit(p, (uint8_t)(PCB_R | p->bn), with_cid, NULL, 0, out, cap);
	p->bn ^= 1;				/* rule E */
	if (p->chaining_out)			/* rule 13 */
		return next_response_block(p, with_cid, out, cap);
	return emit(p, (uint8_t)(PCB_R | p->bn), with_cid, NULL, 0, out, cap);
}

size_t picc_block(struct picc *p, const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
	uint8_t pcb;
	size_t i = 1;
	bool with_cid;

	if (p->state != PICC_ACTIVE || len < 1)
		return 0;
	pcb = in[0];
	with_cid = (pcb & PCB_CID) != 0;
	if (with_cid) {
		if (len < 2 || (in[1] & 0x0F) != p->cid)
			return 0;		/* for another card */
		i = 2;
	} else if (p->cid != 0) {
		return 0;			/* a card with a CID ignores blocks without */
	}
	if ((pcb & 0xE2) == PCB_I) {
		if (pcb & PCB_NAD)
			i++;			/* NAD not supported: skipped */
		if (i > len)
			return 0;
		return i_block(p, pcb, with_cid, in + i, len - i, out, cap);
	}
	if ((pcb & 0xE6) == PCB_R)
		return len == i ? r_block(p, pcb, with_cid, out, cap) : 0;
	if ((pcb & 0xC7) == PCB_S && (pcb & S_WTX) == 0 && len == i) {
		size_t n = emit(p, PCB_S, with_cid, NULL, 0, out, cap);

		p->state = PICC_HALT;		/* S(DESELECT) answered, then halt */
		forget_exchange(p);
		return n;
	}
	return 0;				/* unexpected S(WTX) response, RFU */
}
