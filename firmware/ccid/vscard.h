/* vscard.h - the VSCard protocol (libcacard's vscard_common.h) that QEMU's
 * ccid-card-passthru speaks on its chardev: pure framing and parsing, no I/O.
 *
 * Every message is a 12-byte header of three big-endian uint32 (type,
 * reader_id, payload length) followed by the payload. Roles: QEMU is the
 * "host" (it uses the card), the simulator is the "client" (it owns the card).
 * What Debian 12's QEMU 7.2 does with each message, and its quirks, are in
 * docs/QEMU.md and reference/qemu-ccid.md §1.
 */
#ifndef SANTECARD_FIRMWARE_VSCARD_H
#define SANTECARD_FIRMWARE_VSCARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum vsc_type {
	VSC_INIT = 1,		/* both ways: magic, version, capabilities */
	VSC_ERROR = 2,		/* both ways: uint32 code (0 = success) */
	VSC_READER_ADD = 3,	/* client -> host, optional name */
	VSC_READER_REMOVE = 4,	/* client -> host, empty */
	VSC_ATR = 5,		/* client -> host: card inserted (or reset) */
	VSC_CARD_REMOVE = 6,	/* client -> host, empty */
	VSC_APDU = 7,		/* both ways: command from host, response from client */
	VSC_FLUSH = 8,		/* host -> client (QEMU 7.2 never sends it) */
	VSC_FLUSH_COMPLETE = 9,	/* client -> host */
};

enum vsc_error_code {
	VSC_SUCCESS = 0,
	VSC_GENERAL_ERROR = 1,
	VSC_CANNOT_ADD_MORE_READERS = 2,
	VSC_CARD_ALREADY_INSERTED = 3,
};

#define VSC_HEADER_LEN 12u
#define VSC_VERSION 2u			/* MAKE_VERSION(0, 0, 2) */
#define VSC_UNDEFINED_READER_ID 0xFFFFFFFFu
/* Init payload: magic "VSCD" (bytes on the wire, not byte-swapped), version,
 * one capability word. QEMU 7.2 crashes on an Init shorter than this. */
#define VSC_INIT_LEN 12u
/* QEMU buffers at most 64 KiB of input and drops the connection for good
 * beyond; a guest XfrBlock (<= 64 KiB with its 10-byte header) becomes one
 * VSC_APDU, so no message we accept or send is longer than this payload. */
#define VSC_MAX_PAYLOAD 65536u
/* QEMU 7.2's bulk-IN buffer is 384 bytes: a response longer than 374 bytes
 * (data + SW) is silently discarded and the guest's read times out. */
#define VSC_QEMU_MAX_RESPONSE 374u
/* QEMU 7.2 accepts ATRs of at most 40 bytes (MAX_ATR_SIZE). */
#define VSC_QEMU_MAX_ATR 40u

struct vsc_msg {
	uint32_t type;
	uint32_t reader_id;
	uint32_t length;	/* payload length */
	const uint8_t *payload;	/* points into the parsed buffer; NULL if length is 0 */
};

/* Looks for one whole message at the start of buf[0..len). Returns the number
 * of bytes it takes (header + payload) and fills m; 0 when more bytes are
 * needed; -1 when the header announces a payload over max_payload (the stream
 * cannot be resynchronised: drop the connection). Never reads past len. */
long vsc_parse(const uint8_t *buf, size_t len, size_t max_payload, struct vsc_msg *m);

/* Writes a message (header + payload) into out; returns its length, or 0 if
 * cap is too small or len exceeds VSC_MAX_PAYLOAD. payload may be NULL when
 * len is 0. */
size_t vsc_encode(uint8_t *out, size_t cap, uint32_t type, uint32_t reader_id,
		  const uint8_t *payload, size_t len);

/* A client Init (magic, VSC_VERSION, one zero capability word). */
size_t vsc_encode_init(uint8_t *out, size_t cap, uint32_t reader_id);

/* An Error message carrying code in network order. */
size_t vsc_encode_error(uint8_t *out, size_t cap, uint32_t reader_id, uint32_t code);

/* Checks an Init payload: true if it has at least magic + version +
 * one capability word and the magic is "VSCD"; *version gets the version. */
bool vsc_decode_init(const struct vsc_msg *m, uint32_t *version);

/* Reads an Error's code (network order, as QEMU sends it); false if the
 * payload is not exactly 4 bytes. */
bool vsc_decode_error(const struct vsc_msg *m, uint32_t *code);

/* "Init", "APDU" ... for logs; "unknown" otherwise. */
const char *vsc_type_name(uint32_t type);

#endif
