/* pinpad.h - PIN entry on the reader's keypad, for the card drivers (not installed). */
#ifndef STC_PINPAD_H
#define STC_PINPAD_H

#include "santecard.h"

#define STCI_PIN_BLOCK_MAX 32

/* How a PIN goes into its command, from the card's PKCS#15 entry. */
struct stci_pin_format {
	unsigned min, max;     /* digits the user may type */
	unsigned block;        /* bytes of the PIN block (the stored length) */
	uint8_t pad;           /* what fills the block after the digits */
	int ascii;             /* ASCII digits (else binary) */
};

/* VERIFY (hdr = CLA INS P1 P2 of the command) with the digits typed on the
 * keypad: FEATURE_VERIFY_PIN_DIRECT. STC_ERR_NOT_SUPPORTED without it. */
stc_rv stci_pinpad_verify(stc_card *card, const struct stci_pin_format *f, const uint8_t hdr[4],
			  int *tries_left);
/* CHANGE REFERENCE DATA (old block, new block): FEATURE_MODIFY_PIN_DIRECT,
 * the new PIN typed twice. */
stc_rv stci_pinpad_modify(stc_card *card, const struct stci_pin_format *f, const uint8_t hdr[4],
			  int *tries_left);

#endif
