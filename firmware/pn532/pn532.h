/* pn532.h - a PN532 NFC controller in reader (initiator) mode, from its host
 * commands down to the one card it may have in its field.
 *
 * pn532_command() takes a frame body the host sent (TFI D4, command code,
 * parameters) and writes the body of the answer (TFI D5, code + 1, ...). It
 * does what the chip does for the commands libnfc's pn53x layer uses: Diagnose,
 * GetFirmwareVersion, GetGeneralStatus, Read/WriteRegister, SetParameters,
 * SAMConfiguration, PowerDown, RFConfiguration, InListPassiveTarget (106 kbit/s
 * type A with automatic RATS, type B with automatic ATTRIB), InDataExchange
 * (the chip's own ISO 14443-4 block protocol, chaining included),
 * InCommunicateThru (raw blocks), InDeselect, InRelease, InSelect.
 *
 * Only the modulation of the card in the field answers: a type A card is not
 * found by a type B poll, FeliCa and Jewel polls find nothing. Pure C, no I/O:
 * the transport (firmware/sim/pn532_pty.c) moves the frames.
 */
#ifndef SANTECARD_PN532_PN532_H
#define SANTECARD_PN532_PN532_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "card.h"
#include "pn532/picc.h"

/* pn532_command(): answer with the syntax-error frame (pn532_error_frame). */
#define PN532_SYNTAX_ERROR (-1)

/* PN532 status byte values the model uses. */
#define PN532_ST_OK 0x00
#define PN532_ST_TIMEOUT 0x01
#define PN532_ST_PROTOCOL 0x0B
#define PN532_ST_BAD_PARAM 0x10
#define PN532_ST_CONTEXT 0x27

enum pn532_tech { PN532_TYPE_A = 'A', PN532_TYPE_B = 'B' };

struct pn532 {
	struct picc picc;
	enum pn532_tech tech;
	bool card_in_field;	/* the card lies on the reader */
	/* identity, derived once from the card's ATR */
	uint8_t uid[4];
	uint8_t hist[15];
	size_t hist_len;
	/* chip state */
	bool rf_on;
	bool selected;		/* target 1 activated */
	uint8_t params;		/* SetParameters flags */
	uint8_t pcd_bn;		/* the reader's block number */
	size_t fsc;		/* the card's frame size (from its ATS / ATQB) */
	uint8_t regs[2][256];	/* CIU (63xx) and SFR (FFxx) registers: what was written */
};

/* A PN532 with this card near it (not yet in the field: pn532_set_card). The
 * ATS historical bytes (type A) or application data (type B) come from the
 * card's ATR: the historical bytes of a PC/SC pseudo-ATR 3B 8n 80 01 ..., or
 * of a contact ATR. */
void pn532_init(struct pn532 *d, const struct sim_card_ops *ops, void *card,
		enum pn532_tech tech);

/* The card put on the reader (true) or taken off (false). */
void pn532_set_card(struct pn532 *d, bool present);

/* One host command (body: D4 CMD params...): returns the length of the answer
 * body written to out (D5 CMD+1 ...), or PN532_SYNTAX_ERROR. */
int pn532_command(struct pn532 *d, const uint8_t *body, size_t len, uint8_t *out, size_t cap);

/* The historical bytes of an ATR (ISO 7816-3 structure): their count, at most
 * cap, copied to out; 0 for a malformed ATR. */
size_t pn532_atr_historical(const uint8_t *atr, size_t len, uint8_t *out, size_t cap);

#endif
