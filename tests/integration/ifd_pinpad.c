/*
 * ifd_pinpad.c - a pinpad reader for the test bed: an IFD handler that pcscd
 * loads in place of Debian's vpcd driver, passes every call through to it
 * (dlopen of $STC_PINPAD_INNER), and adds what a CCID pinpad reader adds:
 * CM_IOCTL_GET_FEATURE_REQUEST with FEATURE_VERIFY_PIN_DIRECT and
 * FEATURE_MODIFY_PIN_DIRECT, whose PIN_VERIFY_STRUCTURE / PIN_MODIFY_STRUCTURE
 * it reads as a reader does (bmFormatString, block size, offsets, min/max)
 * and turns into the APDU the card gets. A verify with block size 0 is a PIN
 * of variable length: the digits go after the header and Lc is their count.
 *
 * The keypad is scripted: the file $STC_PINPAD_KEYS holds what the user
 * "types", one entry per word (a verify takes one, a modify takes the old PIN,
 * the new one and its confirmation); the word "cancel" is the Cancel key
 * (64 01) and "timeout" a user who never types (64 00). Entries outside the
 * structure's min/max are refused with 6B 80, as readers do.
 *
 * With STC_PINPAD_EVENTS=1 it also reports card movement the way our CCID and
 * NFC drivers do (TAG_IFD_POLLING_THREAD_WITH_TIMEOUT: a function that returns
 * as soon as the card's presence changes, checked every 10 ms), instead of
 * pcscd polling the reader every 400 ms as it does vpcd. One lock serialises
 * every call into vpcd, whose presence check shares the socket with the APDUs.
 * Test code only.
 */
#include "config.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ifdhandler.h>
#include <reader.h>

#define IOCTL_VERIFY SCARD_CTL_CODE(0x330000 + FEATURE_VERIFY_PIN_DIRECT)
#define IOCTL_MODIFY SCARD_CTL_CODE(0x330000 + FEATURE_MODIFY_PIN_DIRECT)

static void *inner;
static pthread_mutex_t inner_mu = PTHREAD_MUTEX_INITIALIZER;
static atomic_int stop_polling;

#define LOCKED(call) do { pthread_mutex_lock(&inner_mu); rc = (call); \
		pthread_mutex_unlock(&inner_mu); } while (0)

#define INNER(name) ((__typeof__(&name))inner_sym(#name))

static void *inner_sym(const char *name)
{
	if (!inner) {
		const char *path = getenv("STC_PINPAD_INNER");

		inner = path ? dlopen(path, RTLD_NOW | RTLD_LOCAL) : NULL;
		if (!inner) {
			fprintf(stderr, "ifd_pinpad: cannot load STC_PINPAD_INNER=%s\n",
				path ? path : "(unset)");
			return NULL;
		}
	}
	return dlsym(inner, name);
}

RESPONSECODE IFDHCreateChannelByName(DWORD Lun, LPSTR DeviceName)
{
	__typeof__(&IFDHCreateChannelByName) f = INNER(IFDHCreateChannelByName);
	RESPONSECODE rc = IFD_COMMUNICATION_ERROR;

	if (f)
		LOCKED(f(Lun, DeviceName));
	return rc;
}

RESPONSECODE IFDHCreateChannel(DWORD Lun, DWORD Channel)
{
	__typeof__(&IFDHCreateChannel) f = INNER(IFDHCreateChannel);
	RESPONSECODE rc = IFD_COMMUNICATION_ERROR;

	if (f)
		LOCKED(f(Lun, Channel));
	return rc;
}

RESPONSECODE IFDHCloseChannel(DWORD Lun)
{
	__typeof__(&IFDHCloseChannel) f = INNER(IFDHCloseChannel);
	RESPONSECODE rc = IFD_COMMUNICATION_ERROR;

	if (f)
		LOCKED(f(Lun));
	return rc;
}

/* ------------------------------------------------------ card movement */

static int events_on(void)
{
	const char *e = getenv("STC_PINPAD_EVENTS");

	return e && *e && strcmp(e, "0");
}

static RESPONSECODE presence(DWORD Lun)
{
	__typeof__(&IFDHICCPresence) f = INNER(IFDHICCPresence);
	RESPONSECODE rc = IFD_COMMUNICATION_ERROR;

	if (f)
		LOCKED(f(Lun));
	return rc;
}

/* pcscd's event thread: back as soon as the presence changes (or timeout_ms,
 * or a stop); pcscd then reads the state itself. */
static RESPONSECODE poll_presence(DWORD Lun, int timeout_ms)
{
	RESPONSECODE first = presence(Lun);
	struct timespec tick = { 0, 10 * 1000000L };
	long waited = 0;

	while (!atomic_load(&stop_polling)) {
		RESPONSECODE now;

		nanosleep(&tick, NULL);
		waited += 10;
		now = presence(Lun);
		if (now != first || (timeout_ms > 0 && waited >= timeout_ms))
			break;
	}
	return IFD_SUCCESS;
}

static RESPONSECODE stop_poll(DWORD Lun)
{
	(void)Lun;
	atomic_store(&stop_polling, 1);
	return IFD_SUCCESS;
}

RESPONSECODE IFDHGetCapabilities(DWORD Lun, DWORD Tag, PDWORD Length, PUCHAR Value)
{
	if (events_on() && (Tag == TAG_IFD_POLLING_THREAD_WITH_TIMEOUT ||
			    Tag == TAG_IFD_STOP_POLLING_THREAD)) {
		RESPONSECODE (*poll)(DWORD, int) = poll_presence;
		RESPONSECODE (*stop)(DWORD) = stop_poll;

		if (*Length < sizeof(poll))
			return IFD_ERROR_INSUFFICIENT_BUFFER;
		/* the pointer's bytes, as pcscd reads them back */
		if (Tag == TAG_IFD_STOP_POLLING_THREAD)
			memcpy(Value, &stop, sizeof(stop));
		else
			memcpy(Value, &poll, sizeof(poll));
		*Length = sizeof(poll);
		return IFD_SUCCESS;
	}
	if (events_on() && Tag == TAG_IFD_POLLING_THREAD_KILLABLE) {
		if (*Length < 1)
			return IFD_ERROR_INSUFFICIENT_BUFFER;
		Value[0] = 0;   /* stop it with stop_poll, not pthread_cancel */
		*Length = 1;
		return IFD_SUCCESS;
	}
	{
	__typeof__(&IFDHGetCapabilities) f = INNER(IFDHGetCapabilities);
	RESPONSECODE rc = IFD_COMMUNICATION_ERROR;

	if (f)
		LOCKED(f(Lun, Tag, Length, Value));
	return rc;
	}
}

RESPONSECODE IFDHSetCapabilities(DWORD Lun, DWORD Tag, DWORD Length, PUCHAR Value)
{
	__typeof__(&IFDHSetCapabilities) f = INNER(IFDHSetCapabilities);
	RESPONSECODE rc = IFD_COMMUNICATION_ERROR;

	if (f)
		LOCKED(f(Lun, Tag, Length, Value));
	return rc;
}

RESPONSECODE IFDHSetProtocolParameters(DWORD Lun, DWORD Protocol, UCHAR Flags, UCHAR PTS1,
					UCHAR PTS2, UCHAR PTS3)
{
	__typeof__(&IFDHSetProtocolParameters) f = INNER(IFDHSetProtocolParameters);
	RESPONSECODE rc = IFD_COMMUNICATION_ERROR;

	if (f)
		LOCKED(f(Lun, Protocol, Flags, PTS1, PTS2, PTS3));
	return rc;
}

RESPONSECODE IFDHPowerICC(DWORD Lun, DWORD Action, PUCHAR Atr, PDWORD AtrLength)
{
	__typeof__(&IFDHPowerICC) f = INNER(IFDHPowerICC);
	RESPONSECODE rc = IFD_COMMUNICATION_ERROR;

	if (f)
		LOCKED(f(Lun, Action, Atr, AtrLength));
	return rc;
}

RESPONSECODE IFDHTransmitToICC(DWORD Lun, SCARD_IO_HEADER SendPci, PUCHAR TxBuffer,
				DWORD TxLength, PUCHAR RxBuffer, PDWORD RxLength,
				PSCARD_IO_HEADER RecvPci)
{
	__typeof__(&IFDHTransmitToICC) f = INNER(IFDHTransmitToICC);
	RESPONSECODE rc = IFD_COMMUNICATION_ERROR;

	if (f)
		LOCKED(f(Lun, SendPci, TxBuffer, TxLength, RxBuffer, RxLength, RecvPci));
	return rc;
}

RESPONSECODE IFDHICCPresence(DWORD Lun)
{
	__typeof__(&IFDHICCPresence) f = INNER(IFDHICCPresence);
	RESPONSECODE rc = IFD_COMMUNICATION_ERROR;

	if (f)
		LOCKED(f(Lun));
	return rc;
}

/* ------------------------------------------------------------ the keypad */

/* The next scripted entry (words of $STC_PINPAD_KEYS, from *pos). */
static int next_entry(const char *keys, size_t *pos, char *out, size_t cap)
{
	size_t n = 0;

	while (keys[*pos] == ' ' || keys[*pos] == '\n' || keys[*pos] == '\t')
		(*pos)++;
	while (keys[*pos] && keys[*pos] != ' ' && keys[*pos] != '\n' && keys[*pos] != '\t') {
		if (n + 1 >= cap)
			return -1;
		out[n++] = keys[(*pos)++];
	}
	out[n] = '\0';
	return n ? 0 : -1;
}

static int read_keys(char *buf, size_t cap)
{
	const char *path = getenv("STC_PINPAD_KEYS");
	FILE *f = path ? fopen(path, "r") : NULL;
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, cap - 1, f);
	fclose(f);
	buf[n] = '\0';
	return 0;
}

static RESPONSECODE sw(PUCHAR rx, PDWORD rxlen, unsigned v)
{
	rx[0] = (UCHAR)(v >> 8);
	rx[1] = (UCHAR)v;
	*rxlen = 2;
	return IFD_SUCCESS;
}

/* Put an entry into its block as bmFormatString says (byte units, ASCII or
 * binary digits, left justified). 0, or an SW to answer. */
static unsigned insert(const char *entry, uint8_t fmt, unsigned min, unsigned max, uint8_t *block,
		       size_t room)
{
	size_t len = strlen(entry);
	size_t pos = (fmt >> 3) & 0x0F;

	if (!strcmp(entry, "cancel"))
		return 0x6401;
	if (!strcmp(entry, "timeout"))
		return 0x6400;
	if (len < min || len > max || pos + len > room || !(fmt & 0x80) || (fmt & 0x04))
		return 0x6B80;
	for (size_t i = 0; i < len; i++) {
		if (entry[i] < '0' || entry[i] > '9')
			return 0x6B80;
		block[pos + i] = (fmt & 0x03) == 0x02 ? (uint8_t)entry[i] : (uint8_t)(entry[i] - '0');
	}
	return 0;
}

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static RESPONSECODE secure(DWORD Lun, int modify, const uint8_t *in, DWORD inlen, PUCHAR rx,
			    DWORD rxcap, PDWORD rxlen)
{
	size_t hdr = modify ? 24 : 19, pos = 0;
	uint8_t apdu[5 + 255];
	char keys[256], e1[64], e2[64], e3[64];
	unsigned min, max, r;
	uint32_t dlen;
	DWORD n = rxcap;
	SCARD_IO_HEADER pci = { SCARD_PROTOCOL_T0, 8 };
	uint8_t fmt;

	if (inlen < hdr + 5 || rxcap < 2) {
		fprintf(stderr, "ifd_pinpad: structure of %lu bytes, answer room %lu\n",
			(unsigned long)inlen, (unsigned long)rxcap);
		return IFD_COMMUNICATION_ERROR;
	}
	fmt = in[2];
	min = get16(in + (modify ? 7 : 5)) >> 8;
	max = get16(in + (modify ? 7 : 5)) & 0xFF;
	dlen = get32(in + hdr - 4);
	if (dlen != inlen - hdr || dlen < 5 || dlen > sizeof(apdu)) {
		fprintf(stderr, "ifd_pinpad: ulDataLength %lu for %lu bytes\n", (unsigned long)dlen,
			(unsigned long)inlen);
		return IFD_COMMUNICATION_ERROR;
	}
	memcpy(apdu, in + hdr, dlen);
	if (read_keys(keys, sizeof(keys)) || next_entry(keys, &pos, e1, sizeof(e1)))
		return sw(rx, rxlen, 0x6400);     /* nobody at the keypad */
	if (!modify && (in[3] & 0x0F) == 0) {
		/* no fixed block: the digits after the header, Lc = their count */
		r = insert(e1, fmt, min, max, apdu + 5, sizeof(apdu) - 5);
		if (!r) {
			apdu[4] = (uint8_t)strlen(e1);
			dlen = 5 + (uint32_t)strlen(e1);
		}
	} else if (!modify) {
		r = insert(e1, fmt, min, max, apdu + 5, dlen - 5);
	} else {
		size_t old_at = in[5], new_at = in[6];

		if (next_entry(keys, &pos, e2, sizeof(e2)))
			return sw(rx, rxlen, 0x6400);
		if ((in[9] & 0x01) && next_entry(keys, &pos, e3, sizeof(e3)))
			return sw(rx, rxlen, 0x6400);
		if ((in[9] & 0x01) && strcmp(e2, e3) && strcmp(e3, "cancel") && strcmp(e3, "timeout"))
			return sw(rx, rxlen, 0x6402);
		if (old_at >= dlen - 5 || new_at >= dlen - 5)
			return sw(rx, rxlen, 0x6B80);
		r = insert(e1, fmt, min, max, apdu + 5 + old_at, dlen - 5 - old_at);
		if (!r)
			r = insert(e2, fmt, min, max, apdu + 5 + new_at, dlen - 5 - new_at);
		if (!r && (in[9] & 0x01))
			r = insert(e3, fmt, min, max, apdu + 5 + new_at, dlen - 5 - new_at);
	}
	if (r)
		return sw(rx, rxlen, r);
	{
		SCARD_IO_HEADER rpci = pci;
		RESPONSECODE rc = IFDHTransmitToICC(Lun, pci, apdu, dlen, rx, &n, &rpci);

		if (rc != IFD_SUCCESS)
			fprintf(stderr, "ifd_pinpad: the card exchange failed (%ld)\n", (long)rc);

		memset(apdu, 0, sizeof(apdu));
		memset(keys, 0, sizeof(keys));
		*rxlen = n;
		return rc;
	}
}

RESPONSECODE IFDHControl(DWORD Lun, DWORD dwControlCode, PUCHAR TxBuffer, DWORD TxLength,
			  PUCHAR RxBuffer, DWORD RxLength, LPDWORD pdwBytesReturned)
{
	*pdwBytesReturned = 0;
	if (dwControlCode == CM_IOCTL_GET_FEATURE_REQUEST) {
		static const struct { uint8_t tag; uint32_t code; } f[] = {
			{ FEATURE_VERIFY_PIN_DIRECT, IOCTL_VERIFY },
			{ FEATURE_MODIFY_PIN_DIRECT, IOCTL_MODIFY },
		};

		if (RxLength < 12)
			return IFD_ERROR_INSUFFICIENT_BUFFER;
		for (size_t i = 0; i < 2; i++) {
			uint8_t *p = RxBuffer + 6 * i;

			p[0] = f[i].tag;
			p[1] = 4;
			p[2] = (uint8_t)(f[i].code >> 24), p[3] = (uint8_t)(f[i].code >> 16);
			p[4] = (uint8_t)(f[i].code >> 8), p[5] = (uint8_t)f[i].code;
		}
		*pdwBytesReturned = 12;
		return IFD_SUCCESS;
	}
	if (dwControlCode == IOCTL_VERIFY || dwControlCode == IOCTL_MODIFY)
		return secure(Lun, dwControlCode == IOCTL_MODIFY, TxBuffer, TxLength, RxBuffer,
			      RxLength, pdwBytesReturned);
	return IFD_ERROR_NOT_SUPPORTED;
}
