/* frame.c - PN532 HSU frame parser and builder (see frame.h). */
#include "pn532/frame.h"

#include <string.h>

const uint8_t pn532_ack_frame[6] = { 0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00 };
const uint8_t pn532_error_frame[8] = { 0x00, 0x00, 0xFF, 0x01, 0xFF, 0x7F, 0x81, 0x00 };

enum {
	S_SYNC,		/* waiting for 00 */
	S_START,	/* got 00, want FF (more 00 allowed) */
	S_LEN,		/* LEN */
	S_LCS,		/* LCS of a normal frame */
	S_FF,		/* LEN was FF: FF = extended frame, 00 = NACK, 01 = LCS */
	S_ACK,		/* LEN was 00: FF = ACK */
	S_LENM,
	S_LENL,
	S_ELCS,
	S_BODY,
	S_DCS,
};

void pn532_parser_init(struct pn532_parser *p)
{
	memset(p, 0, sizeof(*p));
	p->state = S_SYNC;
}

static enum pn532_frame_event resync(struct pn532_parser *p, enum pn532_frame_event ev)
{
	p->state = S_SYNC;
	return ev;
}

static enum pn532_frame_event body_length(struct pn532_parser *p, size_t len)
{
	if (len == 0 || len > PN532_BODY_MAX)
		return resync(p, PN532_FRAME_BAD);
	p->len = len;
	p->got = 0;
	p->sum = 0;
	p->state = S_BODY;
	return PN532_FRAME_MORE;
}

enum pn532_frame_event pn532_parse_byte(struct pn532_parser *p, uint8_t b)
{
	switch (p->state) {
	case S_SYNC:
		if (b == 0x00)
			p->state = S_START;
		return PN532_FRAME_MORE;
	case S_START:
		if (b == 0xFF)
			p->state = S_LEN;
		else if (b != 0x00)
			p->state = S_SYNC;
		return PN532_FRAME_MORE;
	case S_LEN:
		p->len = b;
		p->state = b == 0x00 ? S_ACK : b == 0xFF ? S_FF : S_LCS;
		return PN532_FRAME_MORE;
	case S_ACK:
		return resync(p, b == 0xFF ? PN532_FRAME_ACK : PN532_FRAME_BAD);
	case S_FF:
		if (b == 0x00)
			return resync(p, PN532_FRAME_NACK);
		if (b == 0x01)		/* a normal frame of LEN 255 */
			return body_length(p, 0xFF);
		if (b != 0xFF)
			return resync(p, PN532_FRAME_BAD);
		p->state = S_LENM;
		return PN532_FRAME_MORE;
	case S_LCS:
		if (((p->len + b) & 0xFF) != 0)
			return resync(p, PN532_FRAME_BAD);
		return body_length(p, p->len);
	case S_LENM:
		p->lenm = b;
		p->state = S_LENL;
		return PN532_FRAME_MORE;
	case S_LENL:
		p->len = (size_t)p->lenm << 8 | b;
		p->state = S_ELCS;
		return PN532_FRAME_MORE;
	case S_ELCS:
		if (((p->lenm + (p->len & 0xFF) + b) & 0xFF) != 0)
			return resync(p, PN532_FRAME_BAD);
		return body_length(p, p->len);
	case S_BODY:
		p->body[p->got++] = b;
		p->sum += b;
		if (p->got == p->len)
			p->state = S_DCS;
		return PN532_FRAME_MORE;
	case S_DCS:
		/* the postamble 00 that follows is skipped by S_SYNC */
		return resync(p, ((p->sum + b) & 0xFF) == 0 ? PN532_FRAME_DATA : PN532_FRAME_BAD);
	default:
		return resync(p, PN532_FRAME_BAD);
	}
}

size_t pn532_frame_build(const uint8_t *body, size_t len, uint8_t *out, size_t cap)
{
	size_t n = 0;
	unsigned sum = 0;

	if (len == 0 || len > PN532_BODY_MAX || cap < len + (len > 255 ? 10 : 7))
		return 0;
	out[n++] = 0x00;
	out[n++] = 0x00;
	out[n++] = 0xFF;
	if (len > 255) {
		out[n++] = 0xFF;
		out[n++] = 0xFF;
		out[n++] = (uint8_t)(len >> 8);
		out[n++] = (uint8_t)len;
		out[n++] = (uint8_t)(0x100 - (((len >> 8) + len) & 0xFF));
	} else {
		out[n++] = (uint8_t)len;
		out[n++] = (uint8_t)(0x100 - len);
	}
	for (size_t i = 0; i < len; i++) {
		out[n++] = body[i];
		sum += body[i];
	}
	out[n++] = (uint8_t)(0x100 - (sum & 0xFF));
	out[n++] = 0x00;
	return n;
}
