/* message.c - one CCID command and its reply: bSeq, header checks, time
 * extension with a bound, failure status mapped to an IFD code. Everything a
 * reader sends back is checked before use: a reply shorter than its header, a
 * dwLength that disagrees with what arrived, or a reply to another command is
 * a clean IFD_COMMUNICATION_ERROR, never a read past the buffer. */
#include <stdlib.h>
#include <string.h>

#include "ccid.h"

static uint8_t expected_type(uint8_t cmd)
{
	switch (cmd) {
	case PC_TO_RDR_ICCPOWERON:
	case PC_TO_RDR_XFRBLOCK:
	case PC_TO_RDR_SECURE:
		return RDR_TO_PC_DATABLOCK;
	case PC_TO_RDR_GETPARAMETERS:
	case PC_TO_RDR_RESETPARAMETERS:
	case PC_TO_RDR_SETPARAMETERS:
		return RDR_TO_PC_PARAMETERS;
	case PC_TO_RDR_ESCAPE:
		return RDR_TO_PC_ESCAPE;
	case PC_TO_RDR_SETDATARATE:
		return RDR_TO_PC_DATARATE;
	default:
		return RDR_TO_PC_SLOTSTATUS;
	}
}

static RESPONSECODE tp_error(struct ccid_dev *dev, int r)
{
	switch (r) {
	case CCID_TP_OK:
		return IFD_SUCCESS;
	case CCID_TP_TIMEOUT:
		return IFD_RESPONSE_TIMEOUT;
	case CCID_TP_NODEV:
		pthread_mutex_lock(&dev->lock);
		dev->gone = true;
		pthread_mutex_unlock(&dev->lock);
		return IFD_NO_SUCH_DEVICE;
	default:
		return IFD_COMMUNICATION_ERROR;
	}
}

RESPONSECODE ccid_command(struct ccid_dev *dev, unsigned slot, uint8_t type,
			  const uint8_t hdr3[3], const uint8_t *data, size_t len,
			  struct ccid_reply *r)
{
	uint8_t *cmd = NULL, small[CCID_HDR + 64];
	uint8_t seq, want = expected_type(type);
	unsigned time_ext = 0, stale = 0, timeout;
	bool gone;
	int t;

	memset(r, 0, sizeof(*r));
	pthread_mutex_lock(&dev->lock);
	gone = dev->gone;
	seq = dev->seq++;
	pthread_mutex_unlock(&dev->lock);
	if (gone)
		return IFD_NO_SUCH_DEVICE;
	if (slot >= dev->desc.nslots)
		return IFD_COMMUNICATION_ERROR;
	if (len > dev->desc.max_msg - CCID_HDR)
		return IFD_COMMUNICATION_ERROR;

	/* build: the scratch buffers belong to the dispatcher, so use our own */
	if (CCID_HDR + len <= sizeof(small)) {
		cmd = small;
	} else {
		cmd = malloc(CCID_HDR + len);
		if (!cmd)
			return IFD_COMMUNICATION_ERROR;
	}
	cmd[CCID_OFF_TYPE] = type;
	ccid_put_le32(cmd + CCID_OFF_LEN, (uint32_t)len);
	cmd[CCID_OFF_SLOT] = (uint8_t)slot;
	cmd[CCID_OFF_SEQ] = seq;
	memcpy(cmd + CCID_OFF_P1, hdr3, 3);
	if (len)
		memcpy(cmd + CCID_HDR, data, len);
	t = dev->io.tp->send(dev->io.ctx, cmd, CCID_HDR + len);
	if (cmd != small) {
		/* commands may carry PINs or keys: wipe before freeing */
		memset(cmd, 0, CCID_HDR + len);
		free(cmd);
	}
	if (t != CCID_TP_OK)
		return tp_error(dev, t);

	timeout = dev->timeout_ms;
	for (;;) {
		const uint8_t *m;
		size_t n;
		uint32_t dwlen;

		t = ccid_dev_receive(dev, slot, timeout);
		if (t != CCID_TP_OK)
			return tp_error(dev, t);
		m = dev->mbox[slot].buf;
		n = dev->mbox[slot].len;
		if (n < CCID_HDR) {
			ccid_log("slot %u: truncated reply (%zu bytes)", slot, n);
			return IFD_COMMUNICATION_ERROR;
		}
		if (m[CCID_OFF_SEQ] != seq) {
			/* a late answer to an earlier, abandoned command */
			ccid_log("slot %u: bSeq %u, expected %u: skipped", slot, m[CCID_OFF_SEQ], seq);
			if (++stale > dev->max_stale)
				return IFD_COMMUNICATION_ERROR;
			continue;
		}
		dwlen = ccid_le32(m + CCID_OFF_LEN);
		if (m[CCID_OFF_TYPE] == RDR_TO_PC_PARAMETERS && dwlen == 0 && n == 17)
			dwlen = 7;	/* QEMU 7.2's GetParameters reply: dwLength 0, 7 bytes */
		if (dwlen != n - CCID_HDR) {
			ccid_log("slot %u: dwLength %u but %zu bytes", slot, (unsigned)dwlen, n - CCID_HDR);
			return IFD_COMMUNICATION_ERROR;
		}
		r->type = m[CCID_OFF_TYPE];
		r->status = m[CCID_OFF_STATUS];
		r->error = m[CCID_OFF_ERROR];
		r->chain = m[CCID_OFF_CHAIN];
		r->data = dev->mbox[slot].buf + CCID_HDR;
		r->len = dwlen;
		if ((r->status & CCID_CMD_MASK) == CCID_CMD_TIME_EXT) {
			/* the card needs more time: bError is the BWT/WWT multiplier */
			if (++time_ext > dev->max_time_ext) {
				ccid_log("slot %u: more than %u time extensions", slot, dev->max_time_ext);
				return IFD_RESPONSE_TIMEOUT;
			}
			timeout = dev->timeout_ms * (r->error ? r->error : 1u);
			if (timeout > 600000)
				timeout = 600000;
			continue;
		}
		break;
	}
	if ((r->status & CCID_CMD_MASK) == CCID_CMD_FAILED) {
		ccid_log("slot %u: command %02X failed: %s (%02X), status %02X", slot, type,
			 ccid_error_name(r->error), r->error, r->status);
		return ccid_error_to_ifd(r->status, r->error);
	}
	if ((r->status & CCID_CMD_MASK) != 0)
		return IFD_COMMUNICATION_ERROR;	/* 0xC0: reserved */
	if (r->type == RDR_TO_PC_DATABLOCK && type == PC_TO_RDR_XFRBLOCK &&
	    (r->status & CCID_ICC_MASK) != CCID_ICC_ACTIVE) {
		/* "no error" with no card or an unpowered one (QEMU's usb-ccid) */
		return (r->status & CCID_ICC_MASK) == CCID_ICC_ABSENT ? IFD_ICC_NOT_PRESENT
								      : IFD_COMMUNICATION_ERROR;
	}
	if (r->type != want) {
		ccid_log("slot %u: reply %02X to command %02X", slot, r->type, type);
		return IFD_COMMUNICATION_ERROR;
	}
	return IFD_SUCCESS;
}
