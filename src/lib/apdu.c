/* apdu.c - ISO 7816-4 command APDU encoding/decoding and R-APDU splitting. */
#include "config.h"

#include <string.h>

#include "santecard.h"

int stc_apdu_case(const stc_apdu *a)
{
	if (a->lc == 0)
		return a->le == 0 ? 1 : 2;
	return a->le == 0 ? 3 : 4;
}

static int fits_short(const stc_apdu *a)
{
	return a->lc <= STC_APDU_MAX_SHORT_DATA && a->le <= 256;
}

static size_t encoded_size(const stc_apdu *a, int extended)
{
	size_t n = 4;

	if (!extended)
		return n + (a->lc ? 1 + a->lc : 0) + (a->le ? 1 : 0);
	/* extended: one 00 byte, then 2-byte Lc and/or 2-byte Le */
	if (a->lc == 0 && a->le == 0)
		return n;
	return n + 1 + (a->lc ? 2 + a->lc : 0) + (a->le ? 2 : 0);
}

stc_rv stc_apdu_encode(const stc_apdu *a, stc_apdu_form form, uint8_t *out,
		       size_t outlen, size_t *written)
{
	int extended;
	size_t need, p = 0;

	if (!a || !out || !written || (a->lc && !a->data) ||
	    a->lc > STC_APDU_MAX_EXT_DATA || a->le > 65536)
		return STC_ERR_INVALID_ARGS;

	switch (form) {
	case STC_APDU_SHORT:
	case STC_APDU_T0:
		if (!fits_short(a))
			return STC_ERR_INVALID_ARGS;
		extended = 0;
		break;
	case STC_APDU_EXTENDED:
		extended = 1;
		break;
	case STC_APDU_AUTO:
		extended = !fits_short(a);
		break;
	default:
		return STC_ERR_INVALID_ARGS;
	}

	need = encoded_size(a, extended);
	if (form == STC_APDU_T0) {
		int c = stc_apdu_case(a);
		if (c == 1)
			need = 5;          /* P3 = 00 */
		else if (c == 4)
			need -= 1;         /* T=0 sends case 4 without Le */
	}
	if (need > outlen)
		return STC_ERR_BUFFER_TOO_SMALL;

	out[p++] = a->cla;
	out[p++] = a->ins;
	out[p++] = a->p1;
	out[p++] = a->p2;
	if (extended && (a->lc || a->le))
		out[p++] = 0x00;
	if (a->lc) {
		if (extended)
			out[p++] = (uint8_t)(a->lc >> 8);
		out[p++] = (uint8_t)a->lc;
		memcpy(out + p, a->data, a->lc);
		p += a->lc;
	}
	if (form == STC_APDU_T0) {
		if (a->lc == 0)
			out[p++] = (uint8_t)a->le;   /* case 2: Le (256 -> 00); case 1: 00 */
	} else if (a->le) {
		if (extended)
			out[p++] = (uint8_t)(a->le >> 8);  /* 65536 -> 00 00 */
		out[p++] = (uint8_t)a->le;
	}
	*written = p;
	return STC_OK;
}

/* ISO 7816-3 12.1.3: the case follows from the length and the first body bytes. */
stc_rv stc_apdu_decode(const uint8_t *buf, size_t len, stc_apdu *out)
{
	size_t lc;

	if (!buf || !out)
		return STC_ERR_INVALID_ARGS;
	if (len < 4)
		return STC_ERR_INVALID_DATA;
	memset(out, 0, sizeof(*out));
	out->cla = buf[0];
	out->ins = buf[1];
	out->p1 = buf[2];
	out->p2 = buf[3];
	if (len == 4)
		return STC_OK;                                   /* case 1 */
	if (len == 5) {
		out->le = buf[4] ? buf[4] : 256;                 /* case 2S */
		return STC_OK;
	}
	if (buf[4] != 0) {
		lc = buf[4];
		if (len == 5 + lc || len == 6 + lc) {
			out->lc = lc;
			out->data = buf + 5;
			if (len == 6 + lc)                       /* case 4S */
				out->le = buf[len - 1] ? buf[len - 1] : 256;
			return STC_OK;
		}
		return STC_ERR_INVALID_DATA;
	}
	/* buf[4] == 0 and more bytes: extended length */
	if (len == 7) {
		size_t le = ((size_t)buf[5] << 8) | buf[6];      /* case 2E */
		out->le = le ? le : 65536;
		return STC_OK;
	}
	if (len < 7)
		return STC_ERR_INVALID_DATA;
	lc = ((size_t)buf[5] << 8) | buf[6];
	if (lc == 0)
		return STC_ERR_INVALID_DATA;
	if (len == 7 + lc || len == 9 + lc) {
		out->lc = lc;
		out->data = buf + 7;
		if (len == 9 + lc) {                             /* case 4E */
			size_t le = ((size_t)buf[len - 2] << 8) | buf[len - 1];
			out->le = le ? le : 65536;
		}
		return STC_OK;
	}
	return STC_ERR_INVALID_DATA;
}

stc_rv stc_resp_parse(const uint8_t *resp, size_t len, size_t *data_len, uint16_t *sw)
{
	if (!resp || !data_len || !sw)
		return STC_ERR_INVALID_ARGS;
	if (len < 2)
		return STC_ERR_INVALID_DATA;
	*data_len = len - 2;
	*sw = (uint16_t)((resp[len - 2] << 8) | resp[len - 1]);
	return STC_OK;
}
