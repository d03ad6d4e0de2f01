/* nfc_atr.h - the ATR a PC/SC reader gives a contactless ISO 14443-4 card
 * (PC/SC part 3, 3.1.3.2.3): 3B 8n 80 01, n historical bytes, TCK.
 *  - type A: the historical bytes of the ATS (after TL, T0 and the interface
 *    bytes TA, TB, TC that T0 announces), at most 15 (the first 15 of more);
 *  - type B: the 4 application data bytes of the ATQB, its 3 protocol info
 *    bytes, and MBLI (from the ATTRIB answer) in the high nibble of an 8th.
 * Pure functions: the driver and the unit tests share them. */
#ifndef SANTECARD_NFC_ATR_H
#define SANTECARD_NFC_ATR_H

#include <stddef.h>
#include <stdint.h>

#define NFC_ATR_MAX 20		/* 4 + 15 historical bytes + TCK */

/* ats: the ATS from T0 on (libnfc's abtAts: TL already removed). Returns the
 * ATR length, 0 when the ATS is malformed or atr (cap) too small. */
size_t nfc_atr_type_a(const uint8_t *ats, size_t ats_len, uint8_t *atr, size_t cap);

size_t nfc_atr_type_b(const uint8_t app_data[4], const uint8_t protocol_info[3], uint8_t mbli,
		      uint8_t *atr, size_t cap);

/* Frame waiting time in ms for FWI (0..14; 15 means "not given": 4 = default):
 * 256 * 16 / fc * 2^FWI, fc = 13.56 MHz. */
unsigned nfc_fwt_ms(unsigned fwi);

/* FWI from the ATS (TB's high nibble; 4 when absent) and from the ATQB
 * protocol info (its third byte's high nibble). */
unsigned nfc_fwi_type_a(const uint8_t *ats, size_t ats_len);
unsigned nfc_fwi_type_b(const uint8_t protocol_info[3]);

#endif
