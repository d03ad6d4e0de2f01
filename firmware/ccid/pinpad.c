/* pinpad.c - PC_to_RDR_Secure (CCID 1.1 §6.1.11): PIN verification and
 * modification with the reader's keypad, here a scripted one
 * (ccidfw_keypad). The reader formats the PIN into the APDU template as
 * bmFormatString / bmPINBlockString / bmPINLengthFormat say, sends it to the
 * card and returns the card's answer. Convention for cards that take the PIN
 * unpadded (CPS3): a PIN block size of 0 means "the PIN only", and the reader
 * sets Lc to the data actually sent (docs/CCID.md). */
#include <string.h>

#include "ccid_proto.h"
#include "internal.h"

enum entry { ENTRY_OK, ENTRY_CANCEL, ENTRY_TIMEOUT };

/* Reads one PIN from the keypad script: digits, B backspace, E or newline to
 * validate (ignored below the minimum), C to cancel; end of script = timeout. */
static enum entry read_pin(struct ccidfw *fw, unsigned min, unsigned max, char *pin, size_t *len)
{
	*len = 0;
	for (;;) {
		char k = fw->keys[fw->keypos];

		if (k == '\0')
			return ENTRY_TIMEOUT;
		fw->keypos++;
		if (k >= '0' && k <= '9') {
			if (*len < max)
				pin[(*len)++] = k;
		} else if (k == 'B') {
			if (*len)
				(*len)--;
		} else if (k == 'C') {
			return ENTRY_CANCEL;
		} else if (k == 'E' || k == '\n') {
			if (*len >= min)
				return ENTRY_OK;
		}
	}
}

/* Writes the PIN at byte offset pos of the APDU data (apdu + 5). Returns the
 * number of data bytes it occupies, 0 if it does not fit. */
static size_t put_pin(uint8_t *apdu, size_t alen, size_t pos, uint8_t fmt, size_t block,
		      const char *pin, size_t n)
{
	uint8_t type = fmt & 0x03;
	bool right = fmt & 0x04;
	size_t bytes = type == 1 ? (n + 1) / 2 : n, start, i;

	if (block == 0)
		block = bytes;
	if (bytes > block || 5 + pos + block > alen)
		return 0;
	start = 5 + pos + (right ? block - bytes : 0);
	for (i = 0; i < n; i++) {
		uint8_t v = (uint8_t)(pin[i] - '0');

		switch (type) {
		case 0:		/* binary: one digit per byte */
			apdu[start + i] = v;
			break;
		case 1:		/* BCD: two digits per byte, the padding nibble kept */
			if (i % 2 == 0)
				apdu[start + i / 2] = (uint8_t)((apdu[start + i / 2] & 0x0F) | v << 4);
			else
				apdu[start + i / 2] = (uint8_t)((apdu[start + i / 2] & 0xF0) | v);
			break;
		default:	/* ASCII */
			apdu[start + i] = (uint8_t)pin[i];
		}
	}
	return block;
}

/* PIN length field: bits 7-4 of bmPINBlockString give its size in bits (4 or
 * 8), bmPINLengthFormat its position (bit 4: bytes, else bits). */
static void put_length(uint8_t *apdu, size_t alen, uint8_t blockfmt, uint8_t lenfmt, size_t n)
{
	unsigned bits = blockfmt >> 4, pos = lenfmt & 0x0F;
	size_t bitpos = (lenfmt & 0x10) ? (size_t)pos * 8 : pos, byte = 5 + bitpos / 8;

	if (bits == 0 || byte >= alen)
		return;
	if (bits == 8 && bitpos % 8 == 0)
		apdu[byte] = (uint8_t)n;
	else if (bits == 4 && bitpos % 8 == 0)
		apdu[byte] = (uint8_t)((apdu[byte] & 0x0F) | (n & 0x0F) << 4);
	else if (bits == 4 && bitpos % 8 == 4)
		apdu[byte] = (uint8_t)((apdu[byte] & 0xF0) | (n & 0x0F));
}

static void fail_pin(struct ccidfw *fw, const uint8_t *h, enum entry e)
{
	fw_fail(fw, h, RDR_TO_PC_DATABLOCK,
		e == ENTRY_CANCEL ? CCID_ERR_PIN_CANCELLED : CCID_ERR_PIN_TIMEOUT);
}

void fw_secure(struct ccidfw *fw, const uint8_t *h, const uint8_t *d, size_t len)
{
	struct fw_slot *s = &fw->slot[h[CCID_OFF_SLOT]];
	uint8_t apdu[5 + 255];
	char pin[16], pin2[16], old[16];
	size_t n = 0, n2 = 0, nold = 0, hdr, alen, used;
	uint8_t fmt, blockfmt, lenfmt, minpin, maxpin;
	size_t pos, block;
	enum entry e;

	s->st.secure++;
	if (!fw->cfg.pin_support || len < 1 || d[0] > CCID_PINOP_MODIFY ||
	    (d[0] == CCID_PINOP_VERIFY && !(fw->cfg.pin_support & CCID_PIN_VERIFY)) ||
	    (d[0] == CCID_PINOP_MODIFY && !(fw->cfg.pin_support & CCID_PIN_MODIFY))) {
		fw_fail(fw, h, RDR_TO_PC_DATABLOCK, CCID_ERR_CMD_NOT_SUPPORTED);
		return;
	}
	if (!s->present || !s->powered) {
		fw_fail(fw, h, RDR_TO_PC_DATABLOCK, CCID_ERR_ICC_MUTE);
		return;
	}
	hdr = d[0] == CCID_PINOP_VERIFY ? 15 : 20;
	if (len < hdr + 5 || len - hdr > sizeof(apdu)) {
		fw_fail(fw, h, RDR_TO_PC_DATABLOCK, CCID_ERR_BAD_LENGTH);
		return;
	}
	alen = len - hdr;
	memcpy(apdu, d + hdr, alen);
	fmt = d[2];
	blockfmt = d[3];
	lenfmt = d[4];
	block = blockfmt & 0x0F;
	pos = (fmt >> 3) & 0x0F;
	if (!(fmt & 0x80))
		pos /= 8;	/* position in bits: only whole bytes are supported */
	if (d[0] == CCID_PINOP_VERIFY) {
		maxpin = d[5];
		minpin = d[6];
		e = read_pin(fw, minpin, maxpin > sizeof(pin) ? sizeof(pin) : maxpin, pin, &n);
		if (e != ENTRY_OK) {
			fail_pin(fw, h, e);
			return;
		}
		used = put_pin(apdu, alen, pos, fmt, block, pin, n);
		memset(pin, 0, sizeof(pin));
		if (!used) {
			fw_fail(fw, h, RDR_TO_PC_DATABLOCK, CCID_ERR_BAD_LENGTH);
			return;
		}
		put_length(apdu, alen, blockfmt, lenfmt, n);
		if (block == 0) {
			alen = 5 + pos + used;
			apdu[4] = (uint8_t)(pos + used);
		}
	} else {
		uint8_t confirm = d[9];
		size_t off_old = d[5], off_new = d[6];

		maxpin = d[7];
		minpin = d[8];
		if (maxpin > sizeof(pin))
			maxpin = sizeof(pin);
		if (confirm & 0x02) {
			e = read_pin(fw, minpin, maxpin, old, &nold);
			if (e != ENTRY_OK) {
				fail_pin(fw, h, e);
				return;
			}
		}
		e = read_pin(fw, minpin, maxpin, pin, &n);
		if (e == ENTRY_OK && (confirm & 0x01))
			e = read_pin(fw, minpin, maxpin, pin2, &n2);
		if (e == ENTRY_OK && (confirm & 0x01) && (n2 != n || memcmp(pin, pin2, n) != 0))
			e = ENTRY_CANCEL;	/* the two new PINs differ */
		if (e != ENTRY_OK) {
			memset(old, 0, sizeof(old));
			memset(pin, 0, sizeof(pin));
			memset(pin2, 0, sizeof(pin2));
			fail_pin(fw, h, e);
			return;
		}
		used = 1;
		if (block == 0) {
			/* unpadded: old then new, back to back, Lc = the total */
			size_t u1 = nold ? put_pin(apdu, alen, off_old, fmt, 0, old, nold) : 0;
			size_t u2 = put_pin(apdu, alen, off_old + u1, fmt, 0, pin, n);

			used = u2;
			alen = 5 + off_old + u1 + u2;
			apdu[4] = (uint8_t)(off_old + u1 + u2);
		} else {
			if (nold)
				used = put_pin(apdu, alen, off_old, fmt, block, old, nold);
			if (used)
				used = put_pin(apdu, alen, off_new, fmt, block, pin, n);
		}
		memset(old, 0, sizeof(old));
		memset(pin, 0, sizeof(pin));
		memset(pin2, 0, sizeof(pin2));
		if (!used) {
			fw_fail(fw, h, RDR_TO_PC_DATABLOCK, CCID_ERR_BAD_LENGTH);
			return;
		}
	}
	s->st.last_pin_apdu_len = alen;
	fw_time_extensions(fw, h);
	n = fw_card_apdu(s, apdu, alen);
	memset(apdu, 0, sizeof(apdu));
	fw_datablock(fw, h, s->resp, n, 0);
}
