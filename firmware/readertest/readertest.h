/* readertest.h - the reader-test applet ("readertest"): a T=1 card that
 * announces extended length in its ATR and answers every ISO 7816-4 APDU case
 * with short and extended lengths, so reader drivers (CCID, PN532, vpcd) can be
 * tested with any length. No profile. Instruction set (CLA 80 unless noted):
 *
 *   80 30 00 00                 case 1                      -> 90 00
 *   80 32 00 P2 Lc data         case 3, Lc 1..65535         -> 90 00 if data[i] ==
 *                                 (i + P2) & FF for every i, else 6A 80
 *   80 34 P1 00 Le              case 2, Le 1..65536         -> Le bytes i & FF, 90 00
 *   80 36 P1 P2 Lc data Le      case 4 (data checked as 32) -> Le bytes i & FF, 90 00
 *   80 38 P1 P2                 wait P1P2 ms ("needs more time"), then 90 00
 *   00|80 C0 00 00 Le           GET RESPONSE of data made pending by 34/36 with P1=01
 *
 * P1 of 34/36: 00 = answer directly (T=1 style), 01 = keep the data pending and
 * answer 61 xx (T=0 style; xx = 00 when 256 or more remain). GET RESPONSE with
 * a short Le larger than what remains (< 256) answers 6C xx and keeps the data;
 * otherwise it returns min(Ne, remaining) bytes, then 61 xx or 90 00. Any other
 * command discards pending data. Wrong length/case -> 67 00, wrong P1/P2 ->
 * 6A 86, unknown INS -> 6D 00, CLA other than 00/80 (or 00 with INS 30..38) ->
 * 6E 00, GET RESPONSE with nothing pending -> 69 85. See docs/SIMULATOR-VITALE.md.
 */
#ifndef SANTECARD_FIRMWARE_READERTEST_H
#define SANTECARD_FIRMWARE_READERTEST_H

#include "card.h"

extern const struct sim_card_ops readertest_card_ops;

/* The ATR (T=1 only, IFSC 254, extended Lc/Le announced in the card
 * capabilities, issuer data "STCRT", TCK): */
#define READERTEST_ATR { 0x3B, 0x8B, 0x81, 0x31, 0xFE, 0x45, \
			 0x80, 0x73, 0x80, 0x01, 0x40, 0x55, 0x53, 0x54, 0x43, 0x52, 0x54, \
			 0xA5 }
#define READERTEST_ATR_LEN 18

/* Pattern bytes: command data byte i must be (i + P2) & FF; response byte i is i & FF. */
#define READERTEST_MAX_NE 65536u

#endif
