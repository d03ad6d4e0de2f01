/* ifdhandler.c - pcsc-lite's IFD handler API v3 on top of the CCID message
 * layer. Lun = 0xRRRRSSSS: RRRR the reader (pcscd's reader index), SSSS the
 * slot; the slots of one reader share one device (device.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <PCSC/reader.h>

#include "ccid.h"

#define MAX_READERS 16
#define IFSD_WANTED 254

struct slot {
	pthread_mutex_t lock;
	uint8_t atr[MAX_ATR_SIZE];
	size_t atr_len;
	struct ccid_atr parsed;
	uint8_t protocol;		/* 0 = T=0, 1 = T=1 */
	bool powered;
	struct ccid_t1 t1;
};

struct reader {
	struct ccid_dev *dev;
	unsigned opened;		/* slots that called CreateChannel */
	char name[256];
	struct slot slot[CCID_MAX_SLOTS];
};

static pthread_mutex_t readers_lock = PTHREAD_MUTEX_INITIALIZER;
static struct reader readers[MAX_READERS];

static struct reader *reader_of(DWORD Lun)
{
	unsigned r = (unsigned)(Lun >> 16) & 0xFFFF;

	return r < MAX_READERS ? &readers[r] : NULL;
}

/* The reader and slot for Lun, or NULL (rc set). */
static struct reader *lookup(DWORD Lun, unsigned *slot, RESPONSECODE *rc)
{
	struct reader *rd = reader_of(Lun);

	*slot = (unsigned)(Lun & 0xFFFF);
	*rc = IFD_COMMUNICATION_ERROR;
	if (!rd)
		return NULL;
	pthread_mutex_lock(&readers_lock);
	if (!rd->dev || *slot >= rd->dev->desc.nslots) {
		pthread_mutex_unlock(&readers_lock);
		return NULL;
	}
	pthread_mutex_unlock(&readers_lock);
	if (rd->dev->gone) {
		*rc = IFD_NO_SUCH_DEVICE;
		return NULL;
	}
	*rc = IFD_SUCCESS;
	return rd;
}

RESPONSECODE IFDHCreateChannelByName(DWORD Lun, LPSTR DeviceName)
{
	struct reader *rd = reader_of(Lun);
	unsigned slot = (unsigned)(Lun & 0xFFFF), i;
	struct ccid_opened io;
	RESPONSECODE rc;
	int t;

	if (!rd || !DeviceName)
		return IFD_COMMUNICATION_ERROR;
	pthread_mutex_lock(&readers_lock);
	if (rd->dev) {
		/* another slot of a reader already open (pcscd opens each slot) */
		rc = slot < rd->dev->desc.nslots && strcmp(rd->name, DeviceName) == 0
			     ? IFD_SUCCESS : IFD_COMMUNICATION_ERROR;
		if (rc == IFD_SUCCESS)
			rd->opened++;
		pthread_mutex_unlock(&readers_lock);
		return rc;
	}
	t = ccid_transport_open(DeviceName, &io);
	if (t != CCID_TP_OK) {
		pthread_mutex_unlock(&readers_lock);
		ccid_log("%s: cannot open (%d)", DeviceName, t);
		return t == CCID_TP_NODEV ? IFD_NO_SUCH_DEVICE : IFD_COMMUNICATION_ERROR;
	}
	rd->dev = ccid_dev_new(&io, &rc);
	if (!rd->dev) {
		io.tp->close(io.ctx);
		pthread_mutex_unlock(&readers_lock);
		ccid_log("%s: unusable CCID descriptor", DeviceName);
		return rc;
	}
	snprintf(rd->name, sizeof(rd->name), "%s", DeviceName);
	rd->opened = 1;
	for (i = 0; i < CCID_MAX_SLOTS; i++) {
		memset(&rd->slot[i], 0, sizeof(rd->slot[i]));
		pthread_mutex_init(&rd->slot[i].lock, NULL);
	}
	pthread_mutex_unlock(&readers_lock);
	ccid_log("%s: %04X:%04X, %u slot(s), features %08X, max message %u", DeviceName,
		 io.vid, io.pid, rd->dev->desc.nslots, (unsigned)rd->dev->desc.features,
		 (unsigned)rd->dev->desc.max_msg);
	return IFD_SUCCESS;
}

RESPONSECODE IFDHCreateChannel(DWORD Lun, DWORD Channel)
{
	/* Only by name: a bare channel number says nothing about a USB device. */
	(void)Lun;
	(void)Channel;
	return IFD_COMMUNICATION_ERROR;
}

RESPONSECODE IFDHCloseChannel(DWORD Lun)
{
	struct reader *rd = reader_of(Lun);
	struct ccid_dev *dev = NULL;
	unsigned slot = (unsigned)(Lun & 0xFFFF), i;

	if (!rd)
		return IFD_COMMUNICATION_ERROR;
	pthread_mutex_lock(&readers_lock);
	if (!rd->dev) {
		pthread_mutex_unlock(&readers_lock);
		return IFD_COMMUNICATION_ERROR;
	}
	if (slot < rd->dev->desc.nslots && rd->slot[slot].powered && !rd->dev->gone) {
		ccid_power_off(rd->dev, slot);
		rd->slot[slot].powered = false;
	}
	if (--rd->opened == 0) {
		dev = rd->dev;
		rd->dev = NULL;
		for (i = 0; i < CCID_MAX_SLOTS; i++)
			pthread_mutex_destroy(&rd->slot[i].lock);
	}
	pthread_mutex_unlock(&readers_lock);
	ccid_dev_free(dev);
	return IFD_SUCCESS;
}

static RESPONSECODE polling(DWORD Lun, int timeout)
{
	unsigned slot;
	RESPONSECODE rc;
	struct reader *rd = lookup(Lun, &slot, &rc);

	if (!rd)
		return rc;
	return ccid_wait_slot_change(rd->dev, slot, timeout);
}

static RESPONSECODE stop_polling(DWORD Lun)
{
	unsigned slot;
	RESPONSECODE rc;
	struct reader *rd = lookup(Lun, &slot, &rc);

	if (!rd)
		return rc;
	pthread_mutex_lock(&rd->dev->lock);
	rd->dev->stop_polling = true;
	pthread_cond_broadcast(&rd->dev->cond);
	pthread_mutex_unlock(&rd->dev->lock);
	return IFD_SUCCESS;
}

static RESPONSECODE put_value(PDWORD Length, PUCHAR Value, const void *v, size_t n)
{
	if (*Length < n) {
		*Length = 0;
		return IFD_ERROR_INSUFFICIENT_BUFFER;
	}
	memcpy(Value, v, n);
	*Length = (DWORD)n;
	return IFD_SUCCESS;
}

RESPONSECODE IFDHGetCapabilities(DWORD Lun, DWORD Tag, PDWORD Length, PUCHAR Value)
{
	unsigned slot;
	RESPONSECODE rc;
	struct reader *rd = lookup(Lun, &slot, &rc);
	struct slot *s;
	uint8_t b;
	uint32_t d;

	if (!rd)
		return rc;
	s = &rd->slot[slot];
	switch (Tag) {
	case TAG_IFD_ATR:
	case SCARD_ATTR_ATR_STRING:
		return put_value(Length, Value, s->atr, s->powered ? s->atr_len : 0);
	case TAG_IFD_SIMULTANEOUS_ACCESS:
		b = MAX_READERS;
		return put_value(Length, Value, &b, 1);
	case TAG_IFD_THREAD_SAFE:
		b = 1;
		return put_value(Length, Value, &b, 1);
	case TAG_IFD_SLOTS_NUMBER:
		b = (uint8_t)rd->dev->desc.nslots;
		return put_value(Length, Value, &b, 1);
	case TAG_IFD_SLOT_THREAD_SAFE:
		/* slots in parallel only if the reader takes as many commands at once */
		b = rd->dev->desc.max_busy >= rd->dev->desc.nslots && rd->dev->desc.nslots > 1;
		return put_value(Length, Value, &b, 1);
	case TAG_IFD_POLLING_THREAD_WITH_TIMEOUT: {
		RESPONSECODE (*fn)(DWORD, int) = polling;

		if (!rd->dev->io.tp->intr)
			return IFD_ERROR_NOT_SUPPORTED;
		return put_value(Length, Value, &fn, sizeof(fn));
	}
	case TAG_IFD_POLLING_THREAD_KILLABLE:
		b = 0;
		return put_value(Length, Value, &b, 1);
	case TAG_IFD_STOP_POLLING_THREAD: {
		RESPONSECODE (*fn)(DWORD) = stop_polling;

		if (!rd->dev->io.tp->intr)
			return IFD_ERROR_NOT_SUPPORTED;
		return put_value(Length, Value, &fn, sizeof(fn));
	}
	case SCARD_ATTR_ICC_PRESENCE: {
		bool active;

		pthread_mutex_lock(&s->lock);
		rc = ccid_slot_status(rd->dev, slot, &active);
		pthread_mutex_unlock(&s->lock);
		if (rc == IFD_NO_SUCH_DEVICE || rc == IFD_COMMUNICATION_ERROR)
			return rc;
		b = rc == IFD_ICC_PRESENT ? 2 : 0;	/* 2: present and swallowed */
		return put_value(Length, Value, &b, 1);
	}
	case SCARD_ATTR_ICC_INTERFACE_STATUS:
		b = s->powered;
		return put_value(Length, Value, &b, 1);
	case SCARD_ATTR_VENDOR_IFD_VERSION:
		d = 0x01000000;
		return put_value(Length, Value, &d, 4);
	case SCARD_ATTR_VENDOR_NAME:
		return put_value(Length, Value, "santecard", 10);
	case SCARD_ATTR_MAXINPUT:
		d = rd->dev->desc.max_msg - CCID_HDR;
		return put_value(Length, Value, &d, 4);
	case SCARD_ATTR_CHANNEL_ID:
		d = 0x00200000;		/* USB */
		return put_value(Length, Value, &d, 4);
	default:
		return IFD_ERROR_TAG;
	}
}

RESPONSECODE IFDHSetCapabilities(DWORD Lun, DWORD Tag, DWORD Length, PUCHAR Value)
{
	(void)Lun;
	(void)Tag;
	(void)Length;
	(void)Value;
	return IFD_NOT_SUPPORTED;
}

/* T=1 at TPDU or character level is the driver's job; above, the reader's. */
static bool driver_does_t1(const struct ccid_desc *d)
{
	return d->level == CCID_FEAT_LEVEL_TPDU || d->level == CCID_FEAT_LEVEL_CHAR;
}

RESPONSECODE IFDHSetProtocolParameters(DWORD Lun, DWORD Protocol, UCHAR Flags,
				       UCHAR PTS1, UCHAR PTS2, UCHAR PTS3)
{
	unsigned slot;
	RESPONSECODE rc;
	struct reader *rd = lookup(Lun, &slot, &rc);
	struct slot *s;
	struct ccid_dev *dev;
	uint8_t proto, fidi, params[7];
	size_t plen;

	(void)PTS2;
	(void)PTS3;
	if (!rd)
		return rc;
	dev = rd->dev;
	s = &rd->slot[slot];
	if (Protocol != SCARD_PROTOCOL_T0 && Protocol != SCARD_PROTOCOL_T1)
		return IFD_PROTOCOL_NOT_SUPPORTED;
	proto = Protocol == SCARD_PROTOCOL_T1;
	/* the reader must speak it (QEMU's usb-ccid advertises only T=0, but
	 * passes T=1 blocks through: the card's ATR decides then) */
	if (!(dev->desc.protocols & (1u << proto)) &&
	    !(s->parsed.valid && (proto ? s->parsed.t1 : s->parsed.t0)))
		return IFD_PROTOCOL_NOT_SUPPORTED;
	if (s->parsed.valid && !(proto ? s->parsed.t1 : s->parsed.t0))
		return IFD_PROTOCOL_NOT_SUPPORTED;
	pthread_mutex_lock(&s->lock);
	fidi = (Flags & IFD_NEGOTIATE_PTS1) ? PTS1 : s->parsed.ta1;
	/* PPS: the driver's job when the reader does not negotiate by itself and
	 * the card is in negotiable mode with something to negotiate */
	if (!(dev->desc.features & (CCID_FEAT_AUTO_PPS_PROP | CCID_FEAT_AUTO_PPS_CUR)) &&
	    dev->desc.level != CCID_FEAT_LEVEL_SHORT_APDU && dev->desc.level != CCID_FEAT_LEVEL_EXT_APDU &&
	    !s->parsed.specific && (proto != s->parsed.first_protocol || fidi != 0x11)) {
		uint8_t req[4], ans[8];
		size_t alen = sizeof(ans), rlen = ccid_pps_build(proto, fidi, req);

		rc = ccid_xfr(dev, slot, req, rlen, ans, &alen, 0);
		if (rc != IFD_SUCCESS || !ccid_pps_accepted(req, rlen, ans, alen)) {
			pthread_mutex_unlock(&s->lock);
			ccid_log("slot %u: PPS refused", slot);
			return rc == IFD_NO_SUCH_DEVICE ? rc : IFD_ERROR_PTS_FAILURE;
		}
	}
	/* PC_to_RDR_SetParameters unless the reader configures itself from the ATR */
	if (!(dev->desc.features & CCID_FEAT_AUTO_CONF_ATR) || dev->desc.level == CCID_FEAT_LEVEL_TPDU ||
	    dev->desc.level == CCID_FEAT_LEVEL_CHAR) {
		if (proto == 0) {
			params[0] = fidi;
			params[1] = 0x00;	/* direct convention */
			params[2] = s->parsed.tc1;
			params[3] = s->parsed.wi;
			params[4] = 0x00;	/* no clock stop */
			plen = 5;
		} else {
			params[0] = fidi;
			params[1] = (uint8_t)(0x10 | (s->parsed.crc ? 1 : 0));
			params[2] = s->parsed.tc1;
			params[3] = s->parsed.bwi_cwi;
			params[4] = 0x00;
			params[5] = s->parsed.ifsc;
			params[6] = 0x00;	/* NAD */
			plen = 7;
		}
		rc = ccid_set_parameters(dev, slot, proto, params, plen);
		if (rc == IFD_NO_SUCH_DEVICE) {
			pthread_mutex_unlock(&s->lock);
			return rc;
		}
		if (rc != IFD_SUCCESS)
			ccid_log("slot %u: SetParameters failed, going on", slot);
	}
	s->protocol = proto;
	if (proto == 1) {
		ccid_t1_init(&s->t1, &s->parsed);
		if (driver_does_t1(&dev->desc) && !(dev->desc.features & CCID_FEAT_AUTO_IFSD)) {
			rc = ccid_t1_set_ifsd(&s->t1, dev, slot, IFSD_WANTED);
			if (rc == IFD_NO_SUCH_DEVICE) {
				pthread_mutex_unlock(&s->lock);
				return rc;
			}
		}
	}
	pthread_mutex_unlock(&s->lock);
	return IFD_SUCCESS;
}

RESPONSECODE IFDHPowerICC(DWORD Lun, DWORD Action, PUCHAR Atr, PDWORD AtrLength)
{
	unsigned slot;
	RESPONSECODE rc;
	struct reader *rd = lookup(Lun, &slot, &rc);
	struct slot *s;
	size_t n;

	if (AtrLength)
		*AtrLength = 0;
	if (!rd)
		return rc;
	s = &rd->slot[slot];
	pthread_mutex_lock(&s->lock);
	switch (Action) {
	case IFD_POWER_DOWN:
		s->powered = false;
		s->atr_len = 0;
		rc = ccid_power_off(rd->dev, slot);
		if (rc == IFD_ICC_NOT_PRESENT)
			rc = IFD_SUCCESS;
		break;
	case IFD_POWER_UP:
	case IFD_RESET:
		/* IccPowerOn on a powered card is the warm reset (CCID 1.1 §6.1.1) */
		n = sizeof(s->atr);
		s->powered = false;
		s->atr_len = 0;
		rc = ccid_power_on(rd->dev, slot, s->atr, &n);
		if (rc != IFD_SUCCESS) {
			if (rc != IFD_ICC_NOT_PRESENT && rc != IFD_NO_SUCH_DEVICE)
				rc = IFD_ERROR_POWER_ACTION;
			break;
		}
		s->atr_len = n;
		s->powered = true;
		ccid_atr_parse(s->atr, n, &s->parsed);
		s->protocol = s->parsed.valid ? s->parsed.first_protocol : 0;
		ccid_t1_init(&s->t1, &s->parsed);
		if (Atr && AtrLength) {
			memcpy(Atr, s->atr, n);
			*AtrLength = (DWORD)n;
		}
		break;
	default:
		rc = IFD_NOT_SUPPORTED;
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* Extended APDU: Lc or Le coded on more than one byte. */
static bool is_extended(const uint8_t *a, size_t n)
{
	return n >= 7 && a[4] == 0;
}

RESPONSECODE IFDHTransmitToICC(DWORD Lun, SCARD_IO_HEADER SendPci, PUCHAR TxBuffer,
			       DWORD TxLength, PUCHAR RxBuffer, PDWORD RxLength,
			       PSCARD_IO_HEADER RecvPci)
{
	unsigned slot;
	RESPONSECODE rc;
	struct reader *rd = lookup(Lun, &slot, &rc);
	struct slot *s;
	size_t n;
	const struct ccid_desc *d;

	(void)SendPci;
	if (!RxLength)
		return IFD_COMMUNICATION_ERROR;
	n = *RxLength;
	*RxLength = 0;
	if (!rd)
		return rc;
	if (!TxBuffer || !RxBuffer || TxLength == 0)
		return IFD_COMMUNICATION_ERROR;
	s = &rd->slot[slot];
	d = &rd->dev->desc;
	pthread_mutex_lock(&s->lock);
	switch (d->level) {
	case CCID_FEAT_LEVEL_EXT_APDU:
		rc = ccid_xfr_apdu_ext(rd->dev, slot, TxBuffer, TxLength, RxBuffer, &n);
		break;
	case CCID_FEAT_LEVEL_SHORT_APDU:
		if (TxLength > 261 || is_extended(TxBuffer, TxLength)) {
			rc = IFD_NOT_SUPPORTED;
			n = 0;
			break;
		}
		rc = ccid_xfr(rd->dev, slot, TxBuffer, TxLength, RxBuffer, &n, 0);
		break;
	case CCID_FEAT_LEVEL_TPDU:
		if (s->protocol == 1) {
			rc = ccid_t1_transceive(&s->t1, rd->dev, slot, TxBuffer, TxLength, RxBuffer, &n);
		} else if (TxLength > 5 + 255 || is_extended(TxBuffer, TxLength)) {
			/* T=0 carries short TPDUs only (ENVELOPE is the card's business) */
			rc = IFD_NOT_SUPPORTED;
			n = 0;
		} else {
			rc = ccid_xfr(rd->dev, slot, TxBuffer, TxLength, RxBuffer, &n, 0);
		}
		break;
	default:
		/* character level: the driver runs T=0's procedure bytes; T=1
		 * blocks go through as at TPDU level (docs/CCID.md) */
		if (s->protocol == 1)
			rc = ccid_t1_transceive(&s->t1, rd->dev, slot, TxBuffer, TxLength, RxBuffer, &n);
		else
			rc = ccid_t0_char_transceive(rd->dev, slot, TxBuffer, TxLength, RxBuffer, &n);
	}
	pthread_mutex_unlock(&s->lock);
	if (rc != IFD_SUCCESS)
		n = 0;
	*RxLength = (DWORD)n;
	if (RecvPci) {
		RecvPci->Protocol = s->protocol;
		RecvPci->Length = sizeof(*RecvPci);
	}
	return rc;
}

RESPONSECODE IFDHControl(DWORD Lun, DWORD dwControlCode, PUCHAR TxBuffer, DWORD TxLength,
			 PUCHAR RxBuffer, DWORD RxLength, LPDWORD pdwBytesReturned)
{
	unsigned slot;
	RESPONSECODE rc;
	struct reader *rd = lookup(Lun, &slot, &rc);
	size_t n = RxLength;

	if (pdwBytesReturned)
		*pdwBytesReturned = 0;
	if (!rd)
		return rc;
	if (!pdwBytesReturned || (!RxBuffer && RxLength))
		return IFD_COMMUNICATION_ERROR;
	if (!TxBuffer)
		TxLength = 0;
	switch (dwControlCode) {
	case CM_IOCTL_GET_FEATURE_REQUEST:
		rc = ccid_features(&rd->dev->desc, RxBuffer, RxLength, &n);
		break;
	case CCID_IOCTL_IFD_PIN_PROPERTIES:
		rc = ccid_pin_properties(&rd->dev->desc, RxBuffer, RxLength, &n);
		break;
	case CCID_IOCTL_GET_TLV_PROPERTIES:
		rc = ccid_tlv_properties(&rd->dev->desc, rd->dev->io.vid, rd->dev->io.pid,
					 RxBuffer, RxLength, &n);
		break;
	case CCID_IOCTL_VERIFY_PIN_DIRECT:
		pthread_mutex_lock(&rd->slot[slot].lock);
		rc = ccid_pin_verify(rd->dev, slot, TxBuffer, TxLength, RxBuffer, &n);
		pthread_mutex_unlock(&rd->slot[slot].lock);
		break;
	case CCID_IOCTL_MODIFY_PIN_DIRECT:
		pthread_mutex_lock(&rd->slot[slot].lock);
		rc = ccid_pin_modify(rd->dev, slot, TxBuffer, TxLength, RxBuffer, &n);
		pthread_mutex_unlock(&rd->slot[slot].lock);
		break;
	case CCID_IOCTL_ESC_COMMAND:
		pthread_mutex_lock(&rd->slot[slot].lock);
		rc = ccid_escape(rd->dev, slot, TxBuffer, TxLength, RxBuffer, &n);
		pthread_mutex_unlock(&rd->slot[slot].lock);
		break;
	default:
		rc = IFD_ERROR_NOT_SUPPORTED;
	}
	*pdwBytesReturned = rc == IFD_SUCCESS ? (DWORD)n : 0;
	return rc;
}

RESPONSECODE IFDHICCPresence(DWORD Lun)
{
	unsigned slot;
	RESPONSECODE rc;
	struct reader *rd = lookup(Lun, &slot, &rc);
	struct slot *s;
	bool active;

	if (!rd)
		return rc;
	s = &rd->slot[slot];
	pthread_mutex_lock(&s->lock);
	rc = ccid_slot_status(rd->dev, slot, &active);
	if (rc == IFD_ICC_PRESENT && !active && s->powered) {
		/* we powered a card and find one unpowered: it was swapped between
		 * two calls; say "absent" once so pcscd sees the new card */
		rc = IFD_ICC_NOT_PRESENT;
	}
	if (rc == IFD_ICC_NOT_PRESENT) {
		s->powered = false;
		s->atr_len = 0;
	}
	pthread_mutex_unlock(&s->lock);
	if (rc == IFD_RESPONSE_TIMEOUT)
		rc = IFD_COMMUNICATION_ERROR;
	return rc;
}
