/* vitale.h - simulated cartes Vitale: Vitale 2 ("vitale2", on the card OS of
 * firmware/card/) and Vitale 1 ("vitale1", a Bull CP8 B0' memory card),
 * personalised from a profile. Every choice made for what is not public is in
 * docs/SIMULATOR-VITALE.md.
 *
 * Profile keys (firmware/profile.h):
 *   card = vitale2 | vitale1
 *   card.atr_variant = 4x          (vitale2) hex byte 40..4F of the ATR, default 49
 *   card.validity = AAAAMMJJ       (vitale2) tag 66/80, required
 *   card.corrupt_tlv = yes         (vitale2) write truncated templates (bad-input tests)
 *   beneficiary.N.surname|given    (vitale2) UTF-8, must be Latin-1 representable
 *   beneficiary.N.birth = AAAAMMJJ (vitale2)
 *   beneficiary.N.nir = 15 chars   (vitale2) key checked unless .nir_bad_key_ok = yes
 *   beneficiary.N.nationality      (vitale2, optional) tag 65/90
 *   beneficiary.N.rank|quality     (vitale2, optional) metadata, not on the card
 *   card.data = hex                (vitale1) memory from 0200h, default a fixed pattern
 *   card.admax = 0xNNNN            (vitale1) last word address, default 0x2188
 * N runs from 1, contiguous, at most VITALE_MAX_BENEFICIARIES.
 */
#ifndef SANTECARD_FIRMWARE_VITALE_H
#define SANTECARD_FIRMWARE_VITALE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "card.h"

extern const struct sim_card_ops vitale2_card_ops;
extern const struct sim_card_ops vitale1_card_ops;

/* 19 beneficiaries: the Vitale 1 "familial" card limit (cards.md §2.2), kept for Vitale 2. */
#define VITALE_MAX_BENEFICIARIES 19
/* Surname and given name: Latin-1, space-padded (or cut) to this many bytes. */
#define VITALE_NAME_WIDTH 25
/* Smallest size of the identity EF (unused tail 00): the node reader reads 7C bytes. */
#define VITALE_IDENT_MIN_SIZE 124

/* The Vitale 2 ATR: 3B 75 13 00 00 4x 09 EA 90 00. */
#define VITALE2_ATR { 0x3B, 0x75, 0x13, 0x00, 0x00, 0x49, 0x09, 0xEA, 0x90, 0x00 }
#define VITALE2_ATR_VARIANT_POS 5

/* AIDs: RID D250000002 + "VITALE" and + "MF_VITALE". */
#define VITALE_AID_VITALE { 0xD2, 0x50, 0x00, 0x00, 0x02, 0x56, 0x49, 0x54, 0x41, 0x4C, 0x45 }
#define VITALE_AID_MF_VITALE { 0xD2, 0x50, 0x00, 0x00, 0x02, 0x4D, 0x46, 0x5F, 0x56, 0x49, 0x54, \
			       0x41, 0x4C, 0x45 }

/* File identifiers chosen for the unknowns (docs/SIMULATOR-VITALE.md). The MF
 * carries the DF name "MF_VITALE": SELECT by that AID selects the MF, so the
 * MF's SFI 2 EF and MF_VITALE/D001 are one file (cards.md §2.3: "likely"). */
#define VITALE_FID_MF 0x3F00
#define VITALE_FID_D001 0xD001		/* MF, SFI 2: identities 65{80,81,82[,90]}..., 66{80} */
#define VITALE_FID_DIR 0x2F00		/* MF: EF.DIR */
#define VITALE_FID_PAN 0x2F02		/* MF: "PAN" */
#define VITALE_FID_DF_VITALE 0x1000	/* DF of AID "VITALE" */
#define VITALE_FID_POINTERS 0x2001	/* in "VITALE": POINTERS */
#define VITALE_FID_NIR 0x2002		/* in "VITALE", SFI 2: 65{93 NIR}... */
#define VITALE_SFI_DATA 2

/* The card's data built from a profile. */
struct vitale_data {
	uint8_t atr_variant;		/* 0x40..0x4F */
	size_t count;			/* beneficiaries */
	uint8_t *ident;			/* identity EF content (also D001) */
	size_t ident_len;
	uint8_t *nirs;			/* NIR EF content */
	size_t nirs_len;
	uint8_t *pointers;		/* EF 2001 content */
	size_t pointers_len;
	uint8_t *dir;			/* EF 2F00 content */
	size_t dir_len;
	uint8_t *pan;			/* EF 2F02 content */
	size_t pan_len;
};

/* Builds the Vitale 2 files from profile (the keys above). On failure returns
 * false, frees what it built, and writes a one-line reason to err. */
bool vitale_data_build(const struct sim_profile *profile, struct vitale_data *d,
		       char *err, size_t errlen);
void vitale_data_free(struct vitale_data *d);

/* UTF-8 -> Latin-1 (code points up to U+00FF), at most cap bytes (longer text
 * is cut); returns the length, or -1 for bad UTF-8 or a character outside Latin-1. */
long vitale_latin1(const char *utf8, uint8_t *out, size_t cap);

/* Vitale 1 memory: nibble addresses; a 32-bit word every 8 addresses. */
#define VITALE1_ATR { 0x3F, 0x65, 0x25, 0x00, 0x22, 0x09, 0xF9, 0x90, 0x00 }
#define VITALE1_ADMIN 0x0200u
#define VITALE1_ADMAX_DEFAULT 0x2188u

#endif
