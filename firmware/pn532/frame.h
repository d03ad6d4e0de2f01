/* frame.h - the PN532 host interface frame (HSU/UART), both directions.
 *
 * Normal frame:   00 00 FF LEN LCS TFI PD0..PDn DCS 00   (LEN = TFI + data, <= 255)
 * Extended frame: 00 00 FF FF FF LENM LENL LCS TFI ... DCS 00
 * ACK:            00 00 FF 00 FF 00        NACK: 00 00 FF FF 00 00
 * LCS makes LEN (LENM + LENL) sum to 0 mod 256, DCS makes TFI + data sum to 0.
 * TFI is D4 host -> PN532, D5 PN532 -> host. Anything before the start code
 * 00 FF (the wake-up bytes 55 55 00 00 ... libnfc sends first) is skipped.
 *
 * The parser is a byte-at-a-time state machine, so the transport can feed it
 * whatever read() returned; it never reads past the byte given to it. */
#ifndef SANTECARD_PN532_FRAME_H
#define SANTECARD_PN532_FRAME_H

#include <stddef.h>
#include <stdint.h>

/* TFI + up to 264 data bytes: the PN532's own limit (and libnfc's). */
#define PN532_BODY_MAX 265
/* Largest frame on the wire: extended header (8) + body + DCS + postamble. */
#define PN532_FRAME_MAX (8 + PN532_BODY_MAX + 2)

#define PN532_TFI_HOST 0xD4
#define PN532_TFI_CHIP 0xD5

enum pn532_frame_event {
	PN532_FRAME_MORE = 0,	/* nothing complete yet: feed more bytes */
	PN532_FRAME_DATA,	/* a body (TFI + data) is in parser.body[0..len) */
	PN532_FRAME_ACK,
	PN532_FRAME_NACK,
	PN532_FRAME_BAD,	/* checksum or length error: the frame was dropped */
};

struct pn532_parser {
	int state;
	size_t len;		/* announced body length */
	size_t got;
	unsigned sum;
	uint8_t lenm;		/* extended frames: high length byte */
	uint8_t body[PN532_BODY_MAX];
};

void pn532_parser_init(struct pn532_parser *p);

/* Feeds one byte; returns what it completed. */
enum pn532_frame_event pn532_parse_byte(struct pn532_parser *p, uint8_t b);

/* Frames body[0..len) (TFI first) into out: a normal frame when len <= 255,
 * else an extended one. Returns the frame length, 0 if len is 0, too long,
 * or out (cap) is too small. */
size_t pn532_frame_build(const uint8_t *body, size_t len, uint8_t *out, size_t cap);

/* The ACK frame and the "application level error" frame (syntax error). */
extern const uint8_t pn532_ack_frame[6];
extern const uint8_t pn532_error_frame[8];

#endif
