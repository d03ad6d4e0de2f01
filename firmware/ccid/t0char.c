/* t0char.c - the card's side of T=0 at character level, for a reader that
 * moves bytes: the host sends the 5-byte header, the card answers procedure
 * bytes, data moves either way, the status ends the exchange. The simulated
 * cards take whole APDUs, so this assembles them: after the header it always
 * ACKs, then the host's next step tells the case (data sent: case 3/4; bytes
 * asked: case 2, or case 1 when P3 is 0 and one byte is asked). A case 4
 * answer with data becomes 61 xx, the data kept for GET RESPONSE. */
#include <string.h>

#include "ccid_proto.h"
#include "internal.h"

void fw_t0c_reset(struct fw_slot *s)
{
	memset(&s->t0c, 0, sizeof(s->t0c));
}

static void queue_out(struct fw_slot *s, const uint8_t *b, size_t n)
{
	if (n > sizeof(s->t0c.out) - s->t0c.out_len)
		n = sizeof(s->t0c.out) - s->t0c.out_len;
	memcpy(s->t0c.out + s->t0c.out_len, b, n);
	s->t0c.out_len += n;
}

static void run(struct fw_slot *s, const uint8_t *data, size_t n, bool case2)
{
	struct fw_t0c *t = &s->t0c;
	uint8_t apdu[5 + 255];
	size_t alen = 4, r;
	size_t le = t->hdr[4] ? t->hdr[4] : 256;

	memcpy(apdu, t->hdr, 4);
	if (case2 && t->hdr[1] == 0xC0 && t->pend_len) {
		/* GET RESPONSE of what we kept */
		size_t k = le < t->pend_len ? le : t->pend_len;
		uint8_t sw[2] = { 0x90, 0x00 };

		queue_out(s, s->resp + t->pend_off, k);
		t->pend_off += k;
		t->pend_len -= k;
		if (t->pend_len) {
			sw[0] = 0x61;
			sw[1] = (uint8_t)(t->pend_len > 255 ? 0 : t->pend_len);
		}
		queue_out(s, sw, 2);
		return;
	}
	t->pend_len = t->pend_off = 0;
	if (case2) {
		apdu[alen++] = t->hdr[4];	/* Le (00: 256) */
	} else if (n) {
		apdu[alen++] = (uint8_t)n;
		memcpy(apdu + alen, data, n);
		alen += n;
	}
	r = fw_card_apdu(s, apdu, alen);
	if (!case2 && n && r == 2 && s->resp[0] == 0x67 && s->resp[1] == 0x00) {
		/* a T=0 TPDU never carries Le; a card written for whole APDUs
		 * (readertest) wants it for case 4: give it 00 and ask again */
		apdu[alen++] = 0x00;
		r = fw_card_apdu(s, apdu, alen);
	}
	if (r < 2)
		return;
	if (!case2 && r > 2) {
		/* data for a case 4 command: T=0 gives it through GET RESPONSE */
		uint8_t sw[2] = { 0x61, (uint8_t)(r - 2 > 255 ? 0 : r - 2) };

		t->pend_len = r - 2;
		t->pend_off = 0;
		queue_out(s, sw, 2);
		return;
	}
	queue_out(s, s->resp, r);
}

size_t fw_t0_char(struct fw_slot *s, const uint8_t *in, size_t n, size_t want, uint8_t *out)
{
	struct fw_t0c *t = &s->t0c;
	size_t k;

	if (t->hdr_len < 5) {
		k = 5 - t->hdr_len < n ? 5 - t->hdr_len : n;
		/* bytes after the header in the same block are ignored: the card
		 * has not asked for them yet */
		memcpy(t->hdr + t->hdr_len, in, k);
		t->hdr_len += k;
		if (t->hdr_len == 5) {
			t->out_len = t->out_off = 0;
			t->data_len = 0;
			queue_out(s, &t->hdr[1], 1);	/* ACK */
			t->acked = true;
		}
	} else if (t->acked && n) {
		/* command data (all at once, or byte by byte after ~ACK) */
		k = (size_t)t->hdr[4] - t->data_len < n ? (size_t)t->hdr[4] - t->data_len : n;
		memcpy(t->data + t->data_len, in, k);
		t->data_len += k;
		if (t->data_len == t->hdr[4]) {
			t->acked = false;
			run(s, t->data, t->data_len, false);
		} else {
			uint8_t nack = (uint8_t)(t->hdr[1] ^ 0xFF);

			queue_out(s, &nack, 1);
		}
	} else if (t->acked && t->out_off == t->out_len) {
		/* the host asks for bytes without sending any: case 1 or 2 */
		t->acked = false;
		t->out_len = t->out_off = 0;
		if (t->hdr[4] == 0 && want == 1)
			run(s, NULL, 0, false);
		else
			run(s, NULL, 0, true);
	}
	k = t->out_len - t->out_off;
	if (want && k > want)
		k = want;
	memcpy(out, t->out + t->out_off, k);
	t->out_off += k;
	if (t->out_off == t->out_len && !t->acked) {
		/* exchange over: next bytes are a new header */
		t->hdr_len = 0;
		t->out_len = t->out_off = 0;
	}
	return k;
}
