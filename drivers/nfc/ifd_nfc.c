/* ifd_nfc.c - santecard's pcsc-lite IFD handler (v3) for NFC readers, over
 * libnfc: ISO/IEC 14443-4 cards of type A and B appear as PC/SC cards with
 * the PC/SC part 3 ATR (nfc_atr.c).
 *
 * pcscd loads it from reader.conf: DEVICENAME is the libnfc connection string
 * (pn532_uart:/dev/ttyUSB0, pn53x_usb:, ...; "auto" or empty: libnfc's default
 * device). One reader per channel, one slot; up to NFC_MAX_READERS readers.
 *
 * Card life: with no card we try to select one (type A, then B; other
 * technologies and cards that are not ISO 14443-4 are ignored); with one we
 * ask libnfc whether it is still there. pcscd's event thread runs our polling
 * function (TAG_IFD_POLLING_THREAD_WITH_TIMEOUT), which looks every
 * NFC_POLL_MS and returns as soon as the answer differs from what
 * IFDHICCPresence last reported; a card that left is reported absent once even
 * if another one is already in the field. Power up builds the ATR of the selected card, reset deselects
 * and selects it again (the card starts afresh), power down deselects it.
 * Once the reader itself stops answering, every call returns
 * IFD_NO_SUCH_DEVICE. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <nfc/nfc.h>

#include <debuglog.h>
#include <ifdhandler.h>
#include <reader.h>

#include "nfc_atr.h"

#define NFC_MAX_READERS 8
/* The largest answer a PN532 carries: 262 bytes (libnfc's frame less status). */
#define NFC_RAPDU_MAX 262
/* How often the polling function looks at the field. */
#define NFC_POLL_MS 50

struct reader {
	nfc_context *ctx;
	nfc_device *dev;
	nfc_target target;	/* the selected card (have_target) */
	int timeout_ms;		/* for a transceive with this card */
	size_t atr_len;
	uint8_t atr[NFC_ATR_MAX];
	char name[256];		/* DEVICENAME, for messages */
	bool open;
	bool gone;		/* the reader stopped answering: for good */
	bool have_target;	/* a card is selected */
	bool powered;		/* pcscd powered it (we built its ATR) */
	bool left;		/* the card left since IFDHICCPresence last said */
	bool reported;		/* what IFDHICCPresence last said: present */
	bool stop_polling;
};

static struct reader readers[NFC_MAX_READERS];
/* pcscd serialises calls per reader already (TAG_IFD_THREAD_SAFE 0); this
 * guards the table against channel open/close from other threads. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;	/* stops a polling wait */

static RESPONSECODE IFDHPolling(DWORD Lun, int timeout_ms);
static RESPONSECODE IFDHStopPolling(DWORD Lun);

static const nfc_modulation modulations[] = {
	{ .nmt = NMT_ISO14443A, .nbr = NBR_106 },
	{ .nmt = NMT_ISO14443B, .nbr = NBR_106 },
};

/* The reader of Lun, locked; NULL (nothing locked) for a bad Lun or a closed
 * channel. Slot numbers other than 0 do not exist. */
static struct reader *reader_of(DWORD Lun)
{
	size_t i = Lun >> 16;
	struct reader *r;

	if (i >= NFC_MAX_READERS || (Lun & 0xFFFF) != 0)
		return NULL;
	r = &readers[i];
	pthread_mutex_lock(&lock);
	if (!r->open) {
		pthread_mutex_unlock(&lock);
		return NULL;
	}
	return r;
}

static void release(struct reader *r)
{
	(void)r;
	pthread_mutex_unlock(&lock);
}

static void forget_card(struct reader *r)
{
	r->have_target = false;
	r->powered = false;
	r->atr_len = 0;
}

/* After a failed exchange: is the reader still there? Switching the field on
 * (it is on already) costs one command and touches no card. */
static bool reader_alive(struct reader *r)
{
	if (r->gone)
		return false;
	if (nfc_device_set_property_bool(r->dev, NP_ACTIVATE_FIELD, true) < 0) {
		Log3(PCSC_LOG_ERROR, "NFC reader %s does not answer any more: %s", r->name,
		     nfc_strerror(r->dev));
		r->gone = true;
		forget_card(r);
	}
	return !r->gone;
}

static bool is_iso14443_4(const nfc_target *t)
{
	if (t->nm.nmt == NMT_ISO14443A)
		return (t->nti.nai.btSak & 0x20) && t->nti.nai.szAtsLen > 0;
	if (t->nm.nmt == NMT_ISO14443B)
		return t->nti.nbi.abtProtocolInfo[1] & 0x01;
	return false;
}

/* Builds the ATR and the transceive timeout of the selected card. */
static bool describe_target(struct reader *r)
{
	const nfc_target *t = &r->target;
	unsigned fwi;

	if (t->nm.nmt == NMT_ISO14443A) {
		r->atr_len = nfc_atr_type_a(t->nti.nai.abtAts, t->nti.nai.szAtsLen, r->atr,
					    sizeof(r->atr));
		fwi = nfc_fwi_type_a(t->nti.nai.abtAts, t->nti.nai.szAtsLen);
	} else {
		r->atr_len = nfc_atr_type_b(t->nti.nbi.abtApplicationData,
					    t->nti.nbi.abtProtocolInfo,
					    t->nti.nbi.ui8CardIdentifier >> 4, r->atr, sizeof(r->atr));
		fwi = nfc_fwi_type_b(t->nti.nbi.abtProtocolInfo);
	}
	/* The chip handles WTX itself: allow the largest extension (59 x FWT),
	 * plus the serial line, within 2..30 s. */
	r->timeout_ms = (int)nfc_fwt_ms(fwi) * 59 + 1000;
	if (r->timeout_ms > 30000)
		r->timeout_ms = 30000;
	if (r->timeout_ms < 2000)
		r->timeout_ms = 2000;
	return r->atr_len > 0;
}

/* Looks for an ISO 14443-4 card: 1 found (selected), 0 none, -1 the reader
 * is gone. */
static int select_card(struct reader *r)
{
	nfc_target t;

	forget_card(r);
	for (size_t i = 0; i < sizeof(modulations) / sizeof(modulations[0]); i++) {
		int res = nfc_initiator_select_passive_target(r->dev, modulations[i], NULL, 0, &t);

		if (res < 0 && !reader_alive(r))
			return -1;
		if (res <= 0)
			continue;
		if (!is_iso14443_4(&t)) {
			nfc_initiator_deselect_target(r->dev);
			continue;
		}
		r->target = t;
		r->have_target = true;
		return 1;
	}
	return 0;
}

RESPONSECODE IFDHCreateChannelByName(DWORD Lun, LPSTR DeviceName)
{
	size_t i = Lun >> 16;
	struct reader *r;
	const char *conn = DeviceName;

	if (i >= NFC_MAX_READERS || !DeviceName)
		return IFD_COMMUNICATION_ERROR;
	r = &readers[i];
	pthread_mutex_lock(&lock);
	if (r->open) {
		pthread_mutex_unlock(&lock);
		return IFD_COMMUNICATION_ERROR;
	}
	snprintf(r->name, sizeof(r->name), "%s", DeviceName);
	if (!conn[0] || strcmp(conn, "auto") == 0)
		conn = NULL;
	nfc_init(&r->ctx);
	if (!r->ctx) {
		Log1(PCSC_LOG_CRITICAL, "libnfc initialisation failed");
		pthread_mutex_unlock(&lock);
		return IFD_COMMUNICATION_ERROR;
	}
	r->dev = nfc_open(r->ctx, conn);
	if (!r->dev || nfc_initiator_init(r->dev) < 0 ||
	    nfc_device_set_property_bool(r->dev, NP_INFINITE_SELECT, false) < 0 ||
	    nfc_device_set_property_bool(r->dev, NP_AUTO_ISO14443_4, true) < 0 ||
	    nfc_device_set_property_bool(r->dev, NP_EASY_FRAMING, true) < 0) {
		Log3(PCSC_LOG_ERROR, "cannot open NFC reader %s: %s", r->name,
		     r->dev ? nfc_strerror(r->dev) : "no such device");
		if (r->dev)
			nfc_close(r->dev);
		nfc_exit(r->ctx);
		r->dev = NULL;
		r->ctx = NULL;
		pthread_mutex_unlock(&lock);
		return IFD_COMMUNICATION_ERROR;
	}
	Log3(PCSC_LOG_INFO, "NFC reader %s: %s", r->name, nfc_device_get_name(r->dev));
	r->open = true;
	r->gone = false;
	r->left = r->reported = r->stop_polling = false;
	forget_card(r);
	pthread_mutex_unlock(&lock);
	return IFD_SUCCESS;
}

RESPONSECODE IFDHCreateChannel(DWORD Lun, DWORD Channel)
{
	char auto_name[] = "auto";

	(void)Channel;		/* no channel numbers: libnfc's default device */
	return IFDHCreateChannelByName(Lun, auto_name);
}

RESPONSECODE IFDHCloseChannel(DWORD Lun)
{
	struct reader *r = reader_of(Lun);

	if (!r)
		return IFD_COMMUNICATION_ERROR;
	if (r->have_target && !r->gone)
		nfc_initiator_deselect_target(r->dev);
	nfc_close(r->dev);
	nfc_exit(r->ctx);
	r->dev = NULL;
	r->ctx = NULL;
	r->open = false;
	forget_card(r);
	pthread_cond_broadcast(&wake);
	release(r);
	return IFD_SUCCESS;
}

static RESPONSECODE put_bytes(PDWORD Length, PUCHAR Value, const void *src, size_t n)
{
	if (*Length < n) {
		*Length = 0;
		return IFD_ERROR_INSUFFICIENT_BUFFER;
	}
	memcpy(Value, src, n);
	*Length = (DWORD)n;
	return IFD_SUCCESS;
}

RESPONSECODE IFDHGetCapabilities(DWORD Lun, DWORD Tag, PDWORD Length, PUCHAR Value)
{
	struct reader *r = reader_of(Lun);
	RESPONSECODE rv = IFD_SUCCESS;
	uint8_t one;

	if (!r)
		return IFD_COMMUNICATION_ERROR;
	if (r->gone) {
		release(r);
		return IFD_NO_SUCH_DEVICE;
	}
	switch (Tag) {
	case TAG_IFD_ATR:
	case SCARD_ATTR_ATR_STRING:
		rv = put_bytes(Length, Value, r->atr, r->powered ? r->atr_len : 0);
		break;
	case TAG_IFD_SLOTS_NUMBER:
		one = 1;
		rv = put_bytes(Length, Value, &one, 1);
		break;
	case TAG_IFD_SIMULTANEOUS_ACCESS:
		one = NFC_MAX_READERS;
		rv = put_bytes(Length, Value, &one, 1);
		break;
	case TAG_IFD_THREAD_SAFE:
	case TAG_IFD_SLOT_THREAD_SAFE:
		one = 0;	/* one libnfc device, one exchange at a time */
		rv = put_bytes(Length, Value, &one, 1);
		break;
	case TAG_IFD_POLLING_THREAD_WITH_TIMEOUT: {
		RESPONSECODE (*fn)(DWORD, int) = IFDHPolling;

		rv = put_bytes(Length, Value, &fn, sizeof(fn));
		break;
	}
	case TAG_IFD_STOP_POLLING_THREAD: {
		RESPONSECODE (*fn)(DWORD) = IFDHStopPolling;

		rv = put_bytes(Length, Value, &fn, sizeof(fn));
		break;
	}
	case TAG_IFD_POLLING_THREAD_KILLABLE:
		one = 0;	/* stopped through IFDHStopPolling instead */
		rv = put_bytes(Length, Value, &one, 1);
		break;
	case SCARD_ATTR_VENDOR_NAME:
		rv = put_bytes(Length, Value, PACKAGE_NAME, sizeof(PACKAGE_NAME));
		break;
	case SCARD_ATTR_VENDOR_IFD_TYPE: {
		const char *n = nfc_device_get_name(r->dev);

		rv = put_bytes(Length, Value, n, strlen(n) + 1);
		break;
	}
	default:
		rv = IFD_ERROR_TAG;
		break;
	}
	release(r);
	return rv;
}

RESPONSECODE IFDHSetCapabilities(DWORD Lun, DWORD Tag, DWORD Length, PUCHAR Value)
{
	(void)Lun;
	(void)Tag;
	(void)Length;
	(void)Value;
	return IFD_NOT_SUPPORTED;
}

RESPONSECODE IFDHSetProtocolParameters(DWORD Lun, DWORD Protocol, UCHAR Flags, UCHAR PTS1,
				       UCHAR PTS2, UCHAR PTS3)
{
	(void)Lun;
	(void)Flags;
	(void)PTS1;
	(void)PTS2;
	(void)PTS3;
	/* the pseudo-ATR offers T=0 and T=1; on the air it is ISO 14443-4 either way */
	return (Protocol == SCARD_PROTOCOL_T0 || Protocol == SCARD_PROTOCOL_T1) ?
	       IFD_SUCCESS : IFD_PROTOCOL_NOT_SUPPORTED;
}

RESPONSECODE IFDHPowerICC(DWORD Lun, DWORD Action, PUCHAR Atr, PDWORD AtrLength)
{
	struct reader *r = reader_of(Lun);
	RESPONSECODE rv = IFD_SUCCESS;
	DWORD cap = AtrLength ? *AtrLength : 0;

	if (AtrLength)
		*AtrLength = 0;
	if (!r)
		return IFD_COMMUNICATION_ERROR;
	if (r->gone) {
		release(r);
		return IFD_NO_SUCH_DEVICE;
	}
	switch (Action) {
	case IFD_POWER_DOWN:
		if (r->have_target && nfc_initiator_deselect_target(r->dev) < 0 && !reader_alive(r))
			rv = IFD_NO_SUCH_DEVICE;
		forget_card(r);
		break;
	case IFD_RESET:
		/* deselect (S(DESELECT)), then select again: a fresh activation */
		if (r->have_target && nfc_initiator_deselect_target(r->dev) < 0 && !reader_alive(r)) {
			rv = IFD_NO_SUCH_DEVICE;
			break;
		}
		forget_card(r);
		/* fall through */
	case IFD_POWER_UP:
		if (r->powered)
			break;
		if (!r->have_target) {
			int found = select_card(r);

			if (found < 0) {
				rv = IFD_NO_SUCH_DEVICE;
				break;
			}
			if (found == 0) {
				rv = IFD_ERROR_POWER_ACTION;
				break;
			}
		}
		if (!describe_target(r)) {
			forget_card(r);
			rv = IFD_ERROR_POWER_ACTION;
			break;
		}
		r->powered = true;
		break;
	default:
		rv = IFD_NOT_SUPPORTED;
		break;
	}
	if (rv == IFD_SUCCESS && r->powered && Atr && AtrLength) {
		if (cap < r->atr_len)
			rv = IFD_ERROR_INSUFFICIENT_BUFFER;
		else {
			memcpy(Atr, r->atr, r->atr_len);
			*AtrLength = (DWORD)r->atr_len;
		}
	}
	release(r);
	return rv;
}

RESPONSECODE IFDHTransmitToICC(DWORD Lun, SCARD_IO_HEADER SendPci, PUCHAR TxBuffer,
			       DWORD TxLength, PUCHAR RxBuffer, PDWORD RxLength,
			       PSCARD_IO_HEADER RecvPci)
{
	struct reader *r = reader_of(Lun);
	RESPONSECODE rv = IFD_SUCCESS;
	DWORD cap = *RxLength;
	uint8_t rx[NFC_RAPDU_MAX];
	int res;

	*RxLength = 0;
	if (!r)
		return IFD_COMMUNICATION_ERROR;
	if (r->gone) {
		release(r);
		return IFD_NO_SUCH_DEVICE;
	}
	if (!r->powered) {
		release(r);
		return IFD_ICC_NOT_PRESENT;
	}
	/* into our own buffer: a caller's short buffer is its problem, not the card's */
	res = nfc_initiator_transceive_bytes(r->dev, TxBuffer, TxLength, rx, sizeof(rx),
					     r->timeout_ms);
	if (res >= 2 && (DWORD)res > cap) {
		rv = IFD_ERROR_INSUFFICIENT_BUFFER;
	} else if (res < 2) {
		Log3(PCSC_LOG_ERROR, "NFC reader %s: exchange failed: %s", r->name,
		     res < 0 ? nfc_strerror(r->dev) : "answer without status word");
		if (!reader_alive(r))
			rv = IFD_NO_SUCH_DEVICE;
		else {
			/* the card left the field (or broke the protocol): it is gone */
			forget_card(r);
			r->left = true;
			rv = res == NFC_ETIMEOUT ? IFD_RESPONSE_TIMEOUT : IFD_COMMUNICATION_ERROR;
		}
	} else {
		memcpy(RxBuffer, rx, (size_t)res);
		*RxLength = (DWORD)res;
		if (RecvPci)
			RecvPci->Protocol = SendPci.Protocol;
	}
	release(r);
	return rv;
}

RESPONSECODE IFDHControl(DWORD Lun, DWORD dwControlCode, PUCHAR TxBuffer, DWORD TxLength,
			 PUCHAR RxBuffer, DWORD RxLength, LPDWORD pdwBytesReturned)
{
	(void)Lun;
	(void)dwControlCode;
	(void)TxBuffer;
	(void)TxLength;
	(void)RxBuffer;
	(void)RxLength;
	if (pdwBytesReturned)
		*pdwBytesReturned = 0;
	return IFD_ERROR_NOT_SUPPORTED;
}

/* Is there a card? 1 yes, 0 no, -1 the reader is gone. Sets r->left when the
 * selected card is no longer there. */
static int probe(struct reader *r)
{
	if (r->gone)
		return -1;
	if (r->have_target) {
		if (nfc_initiator_target_is_present(r->dev, &r->target) == 0)
			return 1;
		if (!reader_alive(r))
			return -1;
		Log2(PCSC_LOG_DEBUG, "NFC reader %s: card left the field", r->name);
		forget_card(r);
		r->left = true;
		return 0;
	}
	return select_card(r);
}

RESPONSECODE IFDHICCPresence(DWORD Lun)
{
	struct reader *r = reader_of(Lun);
	int p;

	if (!r)
		return IFD_COMMUNICATION_ERROR;
	p = probe(r);
	/* a card that left is reported absent once, whatever is there now */
	if (r->left) {
		r->left = false;
		p = p < 0 ? p : 0;
	}
	r->reported = p > 0;
	release(r);
	return p < 0 ? IFD_NO_SUCH_DEVICE : p ? IFD_ICC_PRESENT : IFD_ICC_NOT_PRESENT;
}

/* pcscd's event thread: wait until the answer of IFDHICCPresence would change
 * (or timeout_ms, or IFDHStopPolling), looking every NFC_POLL_MS. IFD_SUCCESS
 * makes pcscd ask IFDHICCPresence at once. */
static RESPONSECODE IFDHPolling(DWORD Lun, int timeout_ms)
{
	struct reader *r = reader_of(Lun);
	struct timespec end, next;

	if (!r)
		return IFD_COMMUNICATION_ERROR;
	clock_gettime(CLOCK_REALTIME, &end);
	end.tv_sec += timeout_ms / 1000;
	end.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	while (!r->stop_polling && r->open) {
		int p = probe(r);

		if (p < 0 || r->left || (p > 0) != r->reported)
			break;
		clock_gettime(CLOCK_REALTIME, &next);
		if (next.tv_sec > end.tv_sec || (next.tv_sec == end.tv_sec && next.tv_nsec >= end.tv_nsec))
			break;
		next.tv_nsec += NFC_POLL_MS * 1000000L;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000L;
		}
		if (next.tv_sec > end.tv_sec || (next.tv_sec == end.tv_sec && next.tv_nsec > end.tv_nsec))
			next = end;
		/* the lock is free while we wait: APDUs go through meanwhile */
		while (!r->stop_polling && pthread_cond_timedwait(&wake, &lock, &next) != ETIMEDOUT)
			;
	}
	r->stop_polling = false;
	release(r);
	return IFD_SUCCESS;
}

static RESPONSECODE IFDHStopPolling(DWORD Lun)
{
	size_t i = Lun >> 16;

	if (i >= NFC_MAX_READERS)
		return IFD_COMMUNICATION_ERROR;
	pthread_mutex_lock(&lock);
	readers[i].stop_polling = true;
	pthread_cond_broadcast(&wake);
	pthread_mutex_unlock(&lock);
	return IFD_SUCCESS;
}
