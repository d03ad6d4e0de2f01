/* testcard.h - the trivial "test" card: a T=0 card whose instructions exercise
 * the host's transport (GET RESPONSE, 6Cxx, chaining, extended length, timing,
 * PIN counting). The instruction set is described in testcard.c. */
#ifndef SANTECARD_FIRMWARE_TESTCARD_H
#define SANTECARD_FIRMWARE_TESTCARD_H

#include "card.h"

extern const struct sim_card_ops testcard_card_ops;

/* AID of the test application, and the PIN ("1234") of VERIFY 00 20 00 01. */
#define TESTCARD_AID { 0xF0, 0x53, 0x54, 0x43, 0x54, 0x45, 0x53, 0x54 }
#define TESTCARD_PIN "1234"
#define TESTCARD_PIN_TRIES 3

#endif
