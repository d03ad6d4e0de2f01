/*
 * cps_files.c - SELECT and READ BINARY on a CPS (IAS-ECC): paths made
 * absolute against the application's DF, selected with P1=09 and the 3F00
 * prefix (the CPx answers 6A82 to a path without it unless the MF is current,
 * cards.md §1.7b), P2=0C (no FCP: it would cost a GET RESPONSE in T=0); read in
 * chunks of at most 0xE7 bytes until the card says the file ended.
 */
#include "config.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "cps_internal.h"

stc_rv stci_cps_abs_path(const struct stci_cps *st, const struct stci_p15_path *p,
			 uint8_t *out, size_t cap, size_t *len)
{
	size_t n = 0;

	if (p->len == 0 || p->len % 2)
		return STC_ERR_INVALID_DATA;   /* the application itself, or not FIDs */
	if (!(p->value[0] == 0x3F && p->value[1] == 0x00)) {
		if (st->app_path_len > cap)
			return STC_ERR_INVALID_DATA;
		memcpy(out, st->app_path, st->app_path_len);
		n = st->app_path_len;
	}
	if (n + p->len > cap)
		return STC_ERR_INVALID_DATA;
	memcpy(out + n, p->value, p->len);
	*len = n + p->len;
	return STC_OK;
}

stc_rv stci_cps_select_app(stc_card *card, const uint8_t *aid, size_t len)
{
	/* P2=0C: the CPS3 refuses P2=00 on this AID with 6A86 (cards.md §1.7b) */
	stc_apdu a = { .ins = 0xA4, .p1 = 0x04, .p2 = 0x0C, .data = aid, .lc = len };

	return stci_cmd(card, &a, NULL, 0, NULL);
}

stc_rv stci_cps_select(stc_card *card, uint8_t p1, const uint8_t *path, size_t path_len)
{
	stc_apdu a = { .ins = 0xA4, .p1 = p1, .p2 = 0x0C,
		       .data = path, .lc = path_len };

	return stci_cmd(card, &a, NULL, 0, NULL);
}

void stci_cps_free_buf(uint8_t *p, size_t len)
{
	if (p) {
		OPENSSL_cleanse(p, len);
		free(p);
	}
}

static stc_rv grow(uint8_t **buf, size_t *cap, size_t need)
{
	uint8_t *n;
	size_t ncap = *cap ? *cap : 1024;

	while (ncap < need)
		ncap *= 2;
	if (ncap == *cap)
		return STC_OK;
	n = malloc(ncap);
	if (!n)
		return STC_ERR_NO_MEMORY;
	if (*buf) {
		memcpy(n, *buf, *cap);
		stci_cps_free_buf(*buf, *cap);
	}
	*buf = n;
	*cap = ncap;
	return STC_OK;
}

stc_rv stci_cps_read_ef(stc_card *card, size_t offset, size_t want, uint8_t **data,
			size_t *len)
{
	uint8_t *buf = NULL;
	size_t cap = 0, got = 0;
	stc_rv rv = STC_OK;

	*data = NULL;
	*len = 0;
	for (;;) {
		size_t off = offset + got, n = 0, ask = STCI_CPS_READ_MAX;
		stc_apdu a = { .ins = 0xB0, .p1 = (uint8_t)(off >> 8), .p2 = (uint8_t)off };
		uint16_t sw = 0;

		if (want && want - got < ask)
			ask = want - got;
		if (off + ask > STCI_CPS_FILE_MAX + 1) {
			rv = STC_ERR_BUFFER_TOO_SMALL;   /* larger than a CPS EF can be */
			break;
		}
		a.le = ask;
		rv = grow(&buf, &cap, got + ask);
		if (rv != STC_OK)
			break;
		rv = stc_transmit(card, &a, buf + got, ask, &n, &sw);
		if (rv != STC_OK)
			break;
		if (n > ask) {
			rv = STC_ERR_PROTOCOL;
			break;
		}
		got += n;
		if (sw == 0x6282 || (sw == 0x6B00 && got > 0))
			break;               /* end of file (6B00: it ended on a chunk boundary) */
		if (sw != 0x9000) {
			stc_log(STC_LOG_DEBUG, "READ BINARY: %s", stc_sw_text(sw));
			rv = stc_sw_to_rv(sw);
			if (rv == STC_OK)
				rv = STC_ERR_CARD_STATUS;
			break;
		}
		if (n < ask || (want && got == want))
			break;
	}
	if (rv != STC_OK) {
		stci_cps_free_buf(buf, cap);
		return rv;
	}
	if (got == 0) {
		stci_cps_free_buf(buf, cap);
		return STC_OK;
	}
	*data = buf;   /* the caller frees with stci_cps_free_buf(*data, *len): wipe cap */
	OPENSSL_cleanse(buf + got, cap - got);
	*len = got;
	return STC_OK;
}

stc_rv stci_cps_read_path(stc_card *card, const struct stci_cps *st,
			  const struct stci_p15_path *p, uint8_t **data, size_t *len)
{
	uint8_t path[STCI_P15_PATH_MAX + 4];
	size_t plen;
	stc_rv rv = stci_cps_abs_path(st, p, path, sizeof(path), &plen);

	*data = NULL;
	*len = 0;
	if (rv != STC_OK)
		return rv;
	rv = stci_cps_select(card, 0x09, path, plen);
	if (rv != STC_OK)
		return rv;
	return stci_cps_read_ef(card, p->index > 0 ? (size_t)p->index : 0,
				p->length > 0 ? (size_t)p->length : 0, data, len);
}

/* ---- the public-data cache (cache.h) */

static const uint8_t path_sn_icc[] = { 0x3F, 0x00, 0xD0, 0x03 };
static const uint8_t path_actua[] = { 0x3F, 0x00, 0xD0, 0x10 };

/* EF.SN.ICC: READ BINARY by SFI 1C (one APDU), else SELECT and READ BINARY. */
static stc_rv read_serial(stc_card *card, uint8_t **data, size_t *len)
{
	stc_apdu a = { .ins = 0xB0, .p1 = 0x80 | 0x1C, .p2 = 0x00, .le = 0x0C };
	uint8_t sn[0x0C];
	size_t n = 0;
	stc_rv rv = stci_cmd(card, &a, sn, sizeof(sn), &n);

	*data = NULL;
	*len = 0;
	if (rv == STC_OK && n > 0) {
		*data = malloc(n);
		if (!*data)
			return STC_ERR_NO_MEMORY;
		memcpy(*data, sn, n);
		*len = n;
		return STC_OK;
	}
	rv = stci_cps_select(card, 0x09, path_sn_icc, sizeof(path_sn_icc));
	if (rv != STC_OK)
		return rv;
	return stci_cps_read_ef(card, 0, 0, data, len);
}

void stci_cps_cache_open(stc_card *card, struct stci_cps *st)
{
	uint8_t *sn = NULL, *actua = NULL;
	size_t sn_len = 0, actua_len = 0;
	const char *off = getenv("STC_NO_CACHE");
	stc_rv rv;

	if (st->cache_tried)
		return;
	st->cache_tried = 1;
	if (off && off[0] && strcmp(off, "0"))
		return;   /* not a single APDU for a cache that is off */
	rv = read_serial(card, &sn, &sn_len);
	if (rv != STC_OK || sn_len == 0) {
		stc_log(STC_LOG_DEBUG, "CPS: no EF.SN.ICC (%s): no cache", stc_rv_name(rv));
		goto out;
	}
	rv = stci_cps_select(card, 0x09, path_actua, sizeof(path_actua));
	if (rv == STC_OK)
		rv = stci_cps_read_ef(card, 0, 0, &actua, &actua_len);
	else if (rv == STC_ERR_NOT_FOUND)
		rv = STC_OK;    /* no EF_ACTUA (the simulated card): key "none" */
	if (rv != STC_OK) {
		stc_log(STC_LOG_DEBUG, "CPS: EF_ACTUA unreadable (%s): no cache", stc_rv_name(rv));
		goto out;
	}
	st->cache = stci_cache_open(sn, sn_len, actua, actua_len);
out:
	stci_cps_free_buf(sn, sn_len);
	stci_cps_free_buf(actua, actua_len);
}

static void cache_name(const uint8_t *path, size_t plen, long index, long length, char *out,
		       size_t cap)
{
	stci_cache_hex(path, plen, out, cap);
	if (out[0] && (index > 0 || length > 0)) {
		size_t n = strlen(out);

		if ((size_t)snprintf(out + n, cap - n, "-%lx-%lx", index > 0 ? index : 0,
				     length > 0 ? length : 0) >= cap - n)
			out[0] = '\0';
	}
}

stc_rv stci_cps_cache_get(struct stci_cps *st, const uint8_t *path, size_t plen, long index,
			  long length, uint8_t **data, size_t *len)
{
	char name[STCI_CACHE_NAME_MAX + 1];
	stc_rv rv;

	*data = NULL;
	*len = 0;
	if (!st->cache)
		return STC_ERR_NOT_FOUND;
	cache_name(path, plen, index, length, name, sizeof(name));
	rv = stci_cache_get(st->cache, name, data, len);
	if (rv == STC_OK)
		st->cache_hits++;
	return rv;
}

void stci_cps_cache_put(struct stci_cps *st, const uint8_t *path, size_t plen, long index,
			long length, const uint8_t *data, size_t len)
{
	char name[STCI_CACHE_NAME_MAX + 1];

	if (!st->cache || !data || !len)
		return;
	cache_name(path, plen, index, length, name, sizeof(name));
	if (stci_cache_put(st->cache, name, data, len) != STC_OK)
		stc_log(STC_LOG_DEBUG, "CPS: %s not cached", name);
}

stc_rv stci_cps_read_path_cached(stc_card *card, struct stci_cps *st,
				 const struct stci_p15_path *p, uint8_t **data, size_t *len)
{
	uint8_t path[STCI_P15_PATH_MAX + 4];
	size_t plen;
	stc_rv rv = stci_cps_abs_path(st, p, path, sizeof(path), &plen);

	*data = NULL;
	*len = 0;
	if (rv != STC_OK)
		return rv;
	if (stci_cps_cache_get(st, path, plen, p->index, p->length, data, len) == STC_OK)
		return STC_OK;
	rv = stci_cps_read_path(card, st, p, data, len);
	if (rv == STC_OK)
		stci_cps_cache_put(st, path, plen, p->index, p->length, *data, *len);
	return rv;
}
