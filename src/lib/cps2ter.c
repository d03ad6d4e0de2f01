/*
 * cps2ter.c - the CPS2ter volet of a CPS3 (same card, CLA A0; cards.md §1.9):
 * the situation files 3F00/4010..401F (CPS2TER_ACTIVITY_01_PS..16) and
 * 3F00/7F01/4000 (CPS_SIT_FACT), which Cryptolib adds to the PKCS#15 data
 * objects with the application label "CPS".
 *
 * GSM-style commands: SELECT by FID, one path component at a time (A0 A4 00
 * 00 02 FID), answered 9F xx when the file exists (94 04 when not); the FCI
 * (tag 85: size, FID, type) costs a GET RESPONSE (A0 C0), so the probe skips
 * it and only the read asks for it; READ BINARY (A0 B0) within the size. The
 * files need the user PIN (98 04 otherwise). Finding which files exist costs
 * one SELECT each (20 APDUs with the MF and DF 7F01), which is why the list is apart from the PKCS#15
 * objects and built only when asked for. Nothing here is cached: the content
 * is PIN-protected.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cps_internal.h"

#define C2_CLA 0xA0
#define C2_FILES 17             /* 16 activities + SIT_FACT */

static stc_rv c2_sw(uint16_t sw)
{
	switch (sw) {
	case 0x9000:
		return STC_OK;
	case 0x9404: case 0x9400: case 0x6A82:
		return STC_ERR_NOT_FOUND;
	case 0x9804: case 0x9840: case 0x9802: case 0x9808: case 0x6982:
		return STC_ERR_SECURITY_STATUS;   /* PIN not presented, or blocked */
	case 0x6E00:
		return STC_ERR_NOT_SUPPORTED;     /* no CPS2ter volet on this card */
	default:
		return stc_sw_to_rv(sw);
	}
}

/* SELECT one FID; *fci_len from 9F xx (0 when the card gave none). */
static stc_rv c2_select(stc_card *card, uint16_t fid, size_t *fci_len)
{
	uint8_t f[2] = { (uint8_t)(fid >> 8), (uint8_t)fid };
	stc_apdu a = { .cla = C2_CLA, .ins = 0xA4, .data = f, .lc = 2 };
	uint16_t sw = 0;
	size_t n = 0;
	stc_rv rv = stc_transmit(card, &a, NULL, 0, &n, &sw);

	if (rv != STC_OK)
		return rv;
	if ((sw & 0xFF00) == 0x9F00) {
		*fci_len = sw & 0xFF ? sw & 0xFF : 256;
		return STC_OK;
	}
	*fci_len = 0;
	return c2_sw(sw);
}

/* MF, then each component: the file is current. */
static stc_rv c2_select_path(stc_card *card, const uint16_t *path, size_t n, size_t *fci_len)
{
	stc_rv rv = c2_select(card, 0x3F00, fci_len);

	for (size_t i = 0; rv == STC_OK && i < n; i++)
		rv = c2_select(card, path[i], fci_len);
	return rv;
}

static size_t c2_path(unsigned i, uint16_t *path)
{
	if (i < 16) {
		path[0] = (uint16_t)(0x4010 + i);
		return 1;
	}
	path[0] = 0x7F01;
	path[1] = 0x4000;
	return 2;
}

static void c2_label(unsigned i, char *out, size_t cap)
{
	if (i < 16)
		snprintf(out, cap, "CPS2TER_ACTIVITY_%02u_PS", i + 1);
	else
		snprintf(out, cap, "CPS_SIT_FACT");
}

stc_rv stci_cps2ter_objects(stc_token *tok, const stc_object **objs, size_t *count)
{
	struct stci_cps *st = tok->priv;
	size_t fci = 0, n = 0;
	stc_rv rv;

	if (st->contactless)
		return STC_ERR_NOT_SUPPORTED;   /* the volet is answered over contact only */
	if (!st->c2_probed) {
		stc_object *o = calloc(C2_FILES, sizeof(*o));

		if (!o)
			return STC_ERR_NO_MEMORY;
		rv = c2_select(tok->card, 0x3F00, &fci);
		for (unsigned i = 0; rv == STC_OK && i < C2_FILES; i++) {
			uint16_t path[2];
			size_t plen = c2_path(i, path);

			/* the EFs under the MF are siblings; SIT_FACT is MF, DF, EF */
			rv = plen == 2 ? c2_select_path(tok->card, path, plen, &fci)
				       : c2_select(tok->card, path[0], &fci);
			if (rv == STC_ERR_NOT_FOUND) {
				rv = STC_OK;
				continue;
			}
			if (rv != STC_OK)
				break;
			o[n].handle = STCI_CPS2TER_HANDLE_BASE + i;
			o[n].cls = STC_OBJ_DATA;
			c2_label(i, o[n].label, sizeof(o[n].label));
			snprintf(o[n].application, sizeof(o[n].application), "CPS");
			o[n].needs_pin = 1;
			n++;
		}
		if (rv != STC_OK) {
			free(o);
			stc_log(STC_LOG_DEBUG, "CPS2ter: volet not listed (%s)", stc_rv_name(rv));
			return rv;
		}
		st->c2_objs = o;
		st->c2_count = n;
		st->c2_probed = 1;
		stc_log(STC_LOG_DEBUG, "CPS2ter: %zu situation files", n);
	}
	*objs = st->c2_objs;
	*count = st->c2_count;
	return STC_OK;
}

/* The FCI's size: 85 L [size_hi size_lo fid_hi fid_lo type ...]. */
static stc_rv c2_size(stc_card *card, size_t fci_len, size_t *size)
{
	stc_apdu a = { .cla = C2_CLA, .ins = 0xC0, .le = fci_len };
	uint8_t fci[256];
	uint16_t sw = 0;
	size_t n = 0;
	stc_rv rv = stc_transmit(card, &a, fci, sizeof(fci), &n, &sw);

	if (rv != STC_OK)
		return rv;
	if (sw != 0x9000)
		return c2_sw(sw);
	if (n < 7 || fci[0] != 0x85 || fci[1] < 5 || (size_t)fci[1] + 2 > n || fci[6] != 4) {
		stc_log(STC_LOG_INFO, "CPS2ter: FCI not understood (%zu bytes)", n);
		return STC_ERR_INVALID_DATA;
	}
	*size = (size_t)fci[2] << 8 | fci[3];
	return STC_OK;
}

stc_rv stci_cps2ter_read(stc_token *tok, unsigned handle, uint8_t **data, size_t *len)
{
	struct stci_cps *st = tok->priv;
	unsigned i = handle - STCI_CPS2TER_HANDLE_BASE;
	uint16_t path[2];
	size_t plen, fci = 0, size = 0, got = 0;
	uint8_t *buf;
	stc_rv rv;
	int known = 0;

	if (st->contactless || handle < STCI_CPS2TER_HANDLE_BASE || i >= C2_FILES)
		return STC_ERR_INVALID_ARGS;
	for (size_t k = 0; k < st->c2_count; k++)
		known |= st->c2_objs[k].handle == handle;
	if (!known)
		return STC_ERR_INVALID_ARGS;    /* list them first (stc_token_cps2ter_objects) */
	plen = c2_path(i, path);
	rv = c2_select_path(tok->card, path, plen, &fci);
	if (rv == STC_OK)
		rv = fci ? c2_size(tok->card, fci, &size) : STC_ERR_INVALID_DATA;
	if (rv != STC_OK)
		return rv;
	buf = malloc(size ? size : 1);
	if (!buf)
		return STC_ERR_NO_MEMORY;
	while (got < size) {
		size_t want = size - got > STCI_CPS_READ_MAX ? STCI_CPS_READ_MAX : size - got, n = 0;
		stc_apdu a = { .cla = C2_CLA, .ins = 0xB0, .p1 = (uint8_t)(got >> 8),
			       .p2 = (uint8_t)got, .le = want };
		uint16_t sw = 0;

		rv = stc_transmit(tok->card, &a, buf + got, size - got, &n, &sw);
		if (rv == STC_OK && sw != 0x9000)
			rv = c2_sw(sw);
		if (rv == STC_OK && n != want)
			rv = STC_ERR_PROTOCOL;   /* the FCI's size and the card disagree */
		if (rv != STC_OK) {
			stci_cps_free_buf(buf, size ? size : 1);
			return rv;
		}
		got += n;
	}
	*data = buf;
	*len = size;
	return STC_OK;
}

void stci_cps2ter_free(struct stci_cps *st)
{
	free(st->c2_objs);
	st->c2_objs = NULL;
	st->c2_count = 0;
	st->c2_probed = 0;
}
