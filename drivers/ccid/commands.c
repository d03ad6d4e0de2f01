/* commands.c - the CCID commands, one exchange each (CCID 1.1 §6.1), and the
 * APDU-level chaining of extended APDUs (wLevelParameter / bChainParameter). */
#include <string.h>

#include "ccid.h"

static const uint8_t no_param[3] = { 0, 0, 0 };

/* Copies a reply's data into the caller's buffer (*len: capacity in, length out). */
static RESPONSECODE take(const struct ccid_reply *r, uint8_t *out, size_t *len)
{
	if (r->len > *len) {
		*len = 0;
		return IFD_ERROR_INSUFFICIENT_BUFFER;
	}
	if (r->len)
		memcpy(out, r->data, r->len);
	*len = r->len;
	return IFD_SUCCESS;
}

RESPONSECODE ccid_power_on(struct ccid_dev *dev, unsigned slot, uint8_t *atr, size_t *atr_len)
{
	/* bPowerSelect: 0 automatic, else 1 5 V, 2 3 V, 3 1.8 V (bVoltageSupport bits 0-2) */
	uint8_t volts[4], nv = 0, i;
	struct ccid_reply r;
	RESPONSECODE rc = IFD_ERROR_POWER_ACTION;
	size_t cap = *atr_len;

	*atr_len = 0;
	if (dev->desc.features & CCID_FEAT_AUTO_VOLTAGE)
		volts[nv++] = 0;
	for (i = 0; i < 3; i++)
		if (dev->desc.voltage & (1u << i))
			volts[nv++] = (uint8_t)(i + 1);
	if (nv == 0)
		volts[nv++] = 0;
	for (i = 0; i < nv; i++) {
		uint8_t p[3] = { volts[i], 0, 0 };
		size_t n = cap;

		rc = ccid_command(dev, slot, PC_TO_RDR_ICCPOWERON, p, NULL, 0, &r);
		if (rc == IFD_SUCCESS) {
			rc = take(&r, atr, &n);
			if (rc == IFD_ERROR_INSUFFICIENT_BUFFER)
				rc = IFD_ERROR_POWER_ACTION;	/* an ATR over 33 bytes */
			else
				*atr_len = n;
			return rc;
		}
		if (rc == IFD_ICC_NOT_PRESENT || rc == IFD_NO_SUCH_DEVICE ||
		    rc == IFD_COMMUNICATION_ERROR)
			return rc;
		/* wrong class: the reader powered the card off; next voltage */
		ccid_power_off(dev, slot);
	}
	return rc == IFD_SUCCESS ? rc : IFD_ERROR_POWER_ACTION;
}

RESPONSECODE ccid_power_off(struct ccid_dev *dev, unsigned slot)
{
	struct ccid_reply r;

	return ccid_command(dev, slot, PC_TO_RDR_ICCPOWEROFF, no_param, NULL, 0, &r);
}

RESPONSECODE ccid_slot_status(struct ccid_dev *dev, unsigned slot, bool *active)
{
	struct ccid_reply r;
	RESPONSECODE rc = ccid_command(dev, slot, PC_TO_RDR_GETSLOTSTATUS, no_param, NULL, 0, &r);

	*active = false;
	/* a failed GetSlotStatus still tells the ICC status */
	if (rc != IFD_SUCCESS && rc != IFD_ICC_NOT_PRESENT && r.type != RDR_TO_PC_SLOTSTATUS)
		return rc;
	switch (r.status & CCID_ICC_MASK) {
	case CCID_ICC_ACTIVE:
		*active = true;
		return IFD_ICC_PRESENT;
	case CCID_ICC_INACTIVE:
		return IFD_ICC_PRESENT;
	case CCID_ICC_ABSENT:
		return IFD_ICC_NOT_PRESENT;
	default:
		return IFD_COMMUNICATION_ERROR;
	}
}

RESPONSECODE ccid_set_parameters(struct ccid_dev *dev, unsigned slot, uint8_t protocol,
				 const uint8_t *params, size_t len)
{
	uint8_t p[3] = { protocol, 0, 0 };
	struct ccid_reply r;

	return ccid_command(dev, slot, PC_TO_RDR_SETPARAMETERS, p, params, len, &r);
}

RESPONSECODE ccid_xfr(struct ccid_dev *dev, unsigned slot, const uint8_t *tx, size_t txlen,
		      uint8_t *rx, size_t *rxlen, uint8_t bwi)
{
	return ccid_xfr_level(dev, slot, tx, txlen, rx, rxlen, bwi, 0);
}

RESPONSECODE ccid_xfr_level(struct ccid_dev *dev, unsigned slot, const uint8_t *tx, size_t txlen,
			    uint8_t *rx, size_t *rxlen, uint8_t bwi, uint16_t level)
{
	uint8_t p[3] = { bwi, (uint8_t)level, (uint8_t)(level >> 8) };
	struct ccid_reply r;
	RESPONSECODE rc = ccid_command(dev, slot, PC_TO_RDR_XFRBLOCK, p, tx, txlen, &r);

	if (rc != IFD_SUCCESS) {
		*rxlen = 0;
		return rc;
	}
	return take(&r, rx, rxlen);
}

RESPONSECODE ccid_xfr_apdu_ext(struct ccid_dev *dev, unsigned slot, const uint8_t *tx, size_t txlen,
			       uint8_t *rx, size_t *rxlen)
{
	size_t frag = dev->desc.max_msg - CCID_HDR, off = 0, got = 0, cap = *rxlen;
	struct ccid_reply r;
	RESPONSECODE rc;
	unsigned parts = 0;

	*rxlen = 0;
	/* command: one block, or begin / continue ... / end */
	do {
		size_t n = txlen - off > frag ? frag : txlen - off;
		uint8_t level;
		uint8_t p[3];

		if (off == 0)
			level = off + n == txlen ? CCID_CHAIN_NONE : CCID_CHAIN_BEGIN;
		else
			level = off + n == txlen ? CCID_CHAIN_END : CCID_CHAIN_MIDDLE;
		p[0] = 0;
		p[1] = level;
		p[2] = 0;
		rc = ccid_command(dev, slot, PC_TO_RDR_XFRBLOCK, p, tx + off, n, &r);
		if (rc != IFD_SUCCESS)
			return rc;
		off += n;
		if (off < txlen && (r.len != 0 || r.chain != CCID_CHAIN_MORE)) {
			/* the reader must ask for the rest with an empty 0x10 block */
			ccid_log("slot %u: chained command part not acknowledged", slot);
			return IFD_COMMUNICATION_ERROR;
		}
	} while (off < txlen);

	/* response: 00 whole, or 01 begins / 03 continues / 02 ends */
	for (;;) {
		if (r.len > cap - got) {
			*rxlen = 0;
			return IFD_ERROR_INSUFFICIENT_BUFFER;
		}
		if (r.len)
			memcpy(rx + got, r.data, r.len);
		got += r.len;
		if (r.chain == CCID_CHAIN_NONE || r.chain == CCID_CHAIN_END)
			break;
		if ((r.chain != CCID_CHAIN_BEGIN || parts != 0) &&
		    (r.chain != CCID_CHAIN_MIDDLE || parts == 0)) {
			ccid_log("slot %u: bChainParameter %02X out of order", slot, r.chain);
			*rxlen = 0;
			return IFD_COMMUNICATION_ERROR;
		}
		parts++;
		{
			uint8_t p[3] = { 0, CCID_CHAIN_MORE, 0 };

			rc = ccid_command(dev, slot, PC_TO_RDR_XFRBLOCK, p, NULL, 0, &r);
		}
		if (rc != IFD_SUCCESS)
			return rc;
	}
	*rxlen = got;
	return IFD_SUCCESS;
}

RESPONSECODE ccid_escape(struct ccid_dev *dev, unsigned slot, const uint8_t *tx, size_t txlen,
			 uint8_t *rx, size_t *rxlen)
{
	struct ccid_reply r;
	RESPONSECODE rc = ccid_command(dev, slot, PC_TO_RDR_ESCAPE, no_param, tx, txlen, &r);

	if (rc != IFD_SUCCESS) {
		*rxlen = 0;
		return rc;
	}
	return take(&r, rx, rxlen);
}

RESPONSECODE ccid_secure(struct ccid_dev *dev, unsigned slot, const uint8_t *tx, size_t txlen,
			 uint8_t *rx, size_t *rxlen)
{
	struct ccid_reply r;
	RESPONSECODE rc = ccid_command(dev, slot, PC_TO_RDR_SECURE, no_param, tx, txlen, &r);

	if (rc != IFD_SUCCESS && r.type == RDR_TO_PC_DATABLOCK &&
	    (r.error == CCID_ERR_PIN_CANCELLED || r.error == CCID_ERR_PIN_TIMEOUT) &&
	    (r.status & CCID_ICC_MASK) != CCID_ICC_ABSENT) {
		/* PC/SC part 10: the application sees these as status words */
		if (*rxlen < 2) {
			*rxlen = 0;
			return IFD_ERROR_INSUFFICIENT_BUFFER;
		}
		rx[0] = 0x64;
		rx[1] = r.error == CCID_ERR_PIN_CANCELLED ? 0x01 : 0x00;
		*rxlen = 2;
		return IFD_SUCCESS;
	}
	if (rc != IFD_SUCCESS) {
		*rxlen = 0;
		return rc;
	}
	return take(&r, rx, rxlen);
}
