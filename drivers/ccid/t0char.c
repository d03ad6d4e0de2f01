/* t0char.c - T=0 at character level (ISO 7816-3 §10.3): the reader moves
 * bytes, the driver runs the procedure bytes. Each XfrBlock carries what goes
 * to the card and, in wLevelParameter, how many bytes to bring back. Short
 * APDUs only; a case 4 ends with the card's 61 xx and GET RESPONSE is the
 * application's (pcsc-lite's rule for drivers). Every step is counted, so a
 * card sending NULL bytes forever ends in an error. */
#include <string.h>

#include "ccid.h"

#define T0_MAX_STEPS 1000

static bool is_sw1(uint8_t b)
{
	return ((b & 0xF0) == 0x60 && b != 0x60) || (b & 0xF0) == 0x90;
}

RESPONSECODE ccid_t0_char_transceive(struct ccid_dev *dev, unsigned slot, const uint8_t *apdu,
				     size_t len, uint8_t *rx, size_t *rxlen)
{
	uint8_t hdr[5], buf[258], nack;
	size_t to_send = 0, to_recv = 0, off = 0, got = 0, cap = *rxlen, n;
	const uint8_t *data = NULL;
	unsigned steps = 0;
	RESPONSECODE rc;

	*rxlen = 0;
	if (len < 4)
		return IFD_COMMUNICATION_ERROR;
	memcpy(hdr, apdu, 4);
	hdr[4] = 0;
	nack = (uint8_t)(hdr[1] ^ 0xFFu);
	if (len == 5) {
		hdr[4] = apdu[4];			/* case 2 */
		to_recv = apdu[4] ? apdu[4] : 256;
	} else if (len > 5) {
		if (apdu[4] == 0)
			return IFD_NOT_SUPPORTED;	/* extended */
		if (len != 5u + apdu[4] && len != 6u + apdu[4])
			return IFD_COMMUNICATION_ERROR;
		hdr[4] = apdu[4];			/* case 3 or 4 */
		to_send = apdu[4];
		data = apdu + 5;
	}
	n = sizeof(buf);
	rc = ccid_xfr_level(dev, slot, hdr, 5, buf, &n, 0, 1);
	while (rc == IFD_SUCCESS) {
		uint8_t pb;

		if (n == 0 || ++steps > T0_MAX_STEPS)
			return IFD_COMMUNICATION_ERROR;
		pb = buf[0];
		if (pb == 0x60) {			/* NULL: the card wants more time */
			n = sizeof(buf);
			rc = ccid_xfr_level(dev, slot, NULL, 0, buf, &n, 0, 1);
			continue;
		}
		if (is_sw1(pb)) {
			uint8_t sw2;

			if (n >= 2) {
				sw2 = buf[1];
			} else {
				n = sizeof(buf);
				rc = ccid_xfr_level(dev, slot, NULL, 0, buf, &n, 0, 1);
				if (rc != IFD_SUCCESS)
					return rc;
				if (n != 1)
					return IFD_COMMUNICATION_ERROR;
				sw2 = buf[0];
			}
			if (got + 2 > cap)
				return IFD_ERROR_INSUFFICIENT_BUFFER;
			rx[got++] = pb;
			rx[got++] = sw2;
			*rxlen = got;
			return IFD_SUCCESS;
		}
		if (pb != hdr[1] && pb != nack)
			return IFD_COMMUNICATION_ERROR;	/* not a procedure byte */
		if (to_send) {
			/* ACK: all the rest; ~ACK: one byte */
			size_t k = pb == hdr[1] ? to_send : 1u;

			n = sizeof(buf);
			rc = ccid_xfr_level(dev, slot, data + off, k, buf, &n, 0, 1);
			off += k;
			to_send -= k;
			continue;
		}
		if (to_recv) {
			size_t k = pb == hdr[1] ? to_recv : 1;

			n = sizeof(buf);
			rc = ccid_xfr_level(dev, slot, NULL, 0, buf, &n, 0, (uint16_t)k);
			if (rc != IFD_SUCCESS)
				return rc;
			if (n == 2 && is_sw1(buf[0]) && k != 2) {
				/* the card answered with a status instead of data */
				continue;
			}
			if (n != k)
				return IFD_COMMUNICATION_ERROR;
			if (got + k + 2 > cap)
				return IFD_ERROR_INSUFFICIENT_BUFFER;
			memcpy(rx + got, buf, k);
			got += k;
			to_recv -= k;
			n = sizeof(buf);
			rc = ccid_xfr_level(dev, slot, NULL, 0, buf, &n, 0, 1);
			continue;
		}
		/* an ACK with nothing to move: read on */
		n = sizeof(buf);
		rc = ccid_xfr_level(dev, slot, NULL, 0, buf, &n, 0, 1);
	}
	return rc;
}
