/* transport.h - what the CCID message layer needs from the wire: bulk OUT,
 * bulk IN and the interrupt endpoint. The libusb transport (usb.c) and the
 * in-process transport of the unit tests (inproc.c) implement it. */
#ifndef SANTECARD_CCID_TRANSPORT_H
#define SANTECARD_CCID_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

enum ccid_tp_rc {
	CCID_TP_OK = 0,
	CCID_TP_TIMEOUT,	/* nothing arrived in time */
	CCID_TP_NODEV,		/* the device is gone (unplugged) */
	CCID_TP_ERROR		/* anything else (stall, overflow, I/O) */
};

struct ccid_transport {
	const char *name;
	/* Writes one whole message. */
	int (*send)(void *ctx, const uint8_t *buf, size_t len);
	/* Reads one bulk IN message (one transfer) of at most cap bytes. */
	int (*recv)(void *ctx, uint8_t *buf, size_t cap, size_t *len, unsigned timeout_ms);
	/* Reads one interrupt IN message; NULL when the reader has no interrupt endpoint. */
	int (*intr)(void *ctx, uint8_t *buf, size_t cap, size_t *len, unsigned timeout_ms);
	void (*close)(void *ctx);
};

/* What opening a device gives the message layer. */
struct ccid_opened {
	const struct ccid_transport *tp;
	void *ctx;
	uint8_t desc[54];	/* the CCID class descriptor */
	size_t desc_len;
	uint16_t vid, pid;
	char product[64];
};

/* Opens a device by pcscd's name ("usb:VVVV/PPPP[:libudev:IF:/dev/bus/usb/B/D]",
 * "usb:VVVV/PPPP:libusb-1.0:B:D:IF", or a name a registered opener accepts).
 * Returns a CCID_TP_* code. */
int ccid_transport_open(const char *name, struct ccid_opened *out);

/* An opener for names starting with prefix (the unit tests register "inproc:").
 * Not exported from the driver module. */
typedef int (*ccid_opener_fn)(const char *name, struct ccid_opened *out);
void ccid_transport_register(const char *prefix, ccid_opener_fn fn);

/* The libusb transport (usb.c). */
int ccid_usb_open(const char *name, struct ccid_opened *out);

#endif
