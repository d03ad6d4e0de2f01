/* picc.h - ISO/IEC 14443-4 on the card's side, around a simulated card that
 * only knows APDUs (card.h): activation (RATS -> ATS for type A, ATTRIB for
 * type B), then the half-duplex block protocol: I-blocks with chaining both
 * ways, R(ACK)/R(NAK) with the block-numbering rules, S(DESELECT), and the CID
 * byte. Frames here carry no CRC_A/CRC_B: the PN532 model stands for the RF
 * link and checks them there.
 *
 * Simplifications (docs/NFC.md): no NAD (the byte is skipped), no WTX requests
 * (the simulated card answers at once), no power level indication in the CID
 * byte.
 */
#ifndef SANTECARD_PN532_PICC_H
#define SANTECARD_PN532_PICC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "card.h"

/* What the simulated cards announce: FSCI 5 (FSC 64 bytes, so certificates
 * and signatures really travel in chained blocks) and FWI 8 (FWT ~77 ms). */
#define PICC_FSCI 5
#define PICC_FWI 8
/* Largest block without CRC the layer handles (FSD/FSC 256 minus CRC). */
#define PICC_FRAME_MAX 254
/* A short C-APDU with Lc 255 and Le, and an R-APDU of 256 bytes + SW. */
#define PICC_CAPDU_MAX 261
#define PICC_RAPDU_MAX 258

enum picc_state {
	PICC_OFF,	/* out of the field, or field off */
	PICC_IDLE,	/* powered, waiting for activation */
	PICC_ACTIVE,	/* RATS/ATTRIB done: blocks are answered */
	PICC_HALT,	/* DESELECTed: waits for a new activation */
};

struct picc {
	const struct sim_card_ops *ops;
	void *card;
	enum picc_state state;
	uint8_t cid;
	size_t fsd;		/* the largest frame the reader takes (CRC included) */
	uint8_t bn;		/* the card's block number */
	uint8_t cmd[PICC_CAPDU_MAX];
	size_t cmd_len;
	bool cmd_overflow;
	uint8_t rsp[PICC_RAPDU_MAX];
	size_t rsp_len, rsp_off;
	bool chaining_out;	/* sending a response in several I-blocks */
	uint8_t last[PICC_FRAME_MAX];
	size_t last_len;	/* the last block sent, for retransmission */
	/* Optional: told of every APDU the card ran (logging, traces). */
	void (*on_apdu)(void *ctx, const uint8_t *c, size_t clen, const uint8_t *r, size_t rlen);
	void *ctx;
};

/* FSDI/FSCI code -> bytes (ISO 14443-4 table: 16 .. 256; codes above 8 -> 256). */
size_t picc_fs_bytes(unsigned code);

void picc_init(struct picc *p, const struct sim_card_ops *ops, void *card);

/* The card enters (true) or leaves (false) a powered field. */
void picc_field(struct picc *p, bool on);

/* Type A activation: RATS parameter byte (FSDI << 4 | CID) in, ATS out (TL
 * first, then T0 TA TB TC and the historical bytes). Returns the ATS length,
 * 0 if the card is not waiting for activation (mute). */
size_t picc_rats(struct picc *p, uint8_t param, const uint8_t *hist, size_t hist_len,
		 uint8_t *ats, size_t cap);

/* Type B activation (ATTRIB with this FSDI and CID): true if the card took it. */
bool picc_attrib(struct picc *p, unsigned fsdi, uint8_t cid);

/* Protocol Info of the ATQB (3 bytes) for the same FSCI/FWI as the ATS. */
void picc_protocol_info(uint8_t out[3]);

/* One block from the reader (PCB first, no CRC); writes the card's answer and
 * returns its length, 0 when the card stays mute (not active, not for its
 * CID, malformed). */
size_t picc_block(struct picc *p, const uint8_t *in, size_t len, uint8_t *out, size_t cap);

#endif
