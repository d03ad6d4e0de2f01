/*
 * cps_objects.c - the CPS token's objects from its PKCS#15 structure.
 *
 * Read on first need, never at token open (DESIGN.md: OpenSC reads everything
 * at start; we do not): SELECT the application by AID, EF.ODF (5031) and
 * EF.TokenInfo (5032) by FID under it, then the PrKDF, CDFs and DODF the ODF
 * names. The AODF waits for the first PIN operation. What was parsed stays in
 * the driver state until the token is closed, so later calls send nothing.
 * Nothing PIN-protected is read here.
 *
 * Across processes, the PKCS#15 files and the certificates come from the
 * public-data cache (cache.h) when it holds them: the first load reads
 * EF.SN.ICC and EF_ACTUA for the card's key (2 APDUs on a CPS3), and on a warm
 * cache that is all a listing sends. A cached file that does not parse is
 * dropped with the card's other entries and everything is read again.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cps_internal.h"

static const uint8_t fid_odf[] = { 0x50, 0x31 };
static const uint8_t fid_tokeninfo[] = { 0x50, 0x32 };

static int listed_df(enum stci_p15_df_type t)
{
	return t == STCI_P15_PRKDF || t == STCI_P15_CDF || t == STCI_P15_CDF_TRUSTED ||
	       t == STCI_P15_CDF_USEFUL || t == STCI_P15_DODF;
}

/* Everything read, not the cache. */
static void unload_objects(struct stci_cps *st)
{
	for (size_t i = 0; i < st->ndfs; i++)
		stci_p15_objects_free(st->dfs[i].objs);
	st->ndfs = 0;
	free(st->ti);
	st->ti = NULL;
	free(st->objs);
	st->objs = NULL;
	free(st->src);
	st->src = NULL;
	st->nobjs = 0;
	stci_p15_objects_free(st->aod);
	st->aod = NULL;
	st->naod = 0;
	st->aodf_loaded = 0;
	st->loaded = 0;
}

void stci_cps_unload(struct stci_cps *st)
{
	unload_objects(st);
	stci_cache_close(st->cache);
	st->cache = NULL;
	st->cache_tried = 0;
}

/* An EF by FID under the application: from the cache (named by its absolute
 * path), else SELECT the application (once: *app), SELECT the FID, read and
 * store. */
static stc_rv read_fid(stc_card *card, struct stci_cps *st, int *app, const uint8_t *fid,
		       uint8_t **data, size_t *len)
{
	uint8_t path[sizeof(st->app_path) + 2];
	size_t plen = st->app_path_len + 2;
	stc_rv rv;

	memcpy(path, st->app_path, st->app_path_len);
	memcpy(path + st->app_path_len, fid, 2);
	if (stci_cps_cache_get(st, path, plen, -1, -1, data, len) == STC_OK)
		return STC_OK;
	if (!*app) {
		rv = stci_cps_select_app(card, st->aid, st->aid_len);
		if (rv != STC_OK)
			return rv;
		*app = 1;
	}
	rv = stci_cps_select(card, 0x02, fid, 2);
	if (rv != STC_OK)
		return rv;
	rv = stci_cps_read_ef(card, 0, 0, data, len);
	if (rv == STC_OK)
		stci_cps_cache_put(st, path, plen, -1, -1, *data, *len);
	return rv;
}

static unsigned map_usage(unsigned p15)
{
	unsigned u = 0;

	if (p15 & STCI_P15_USAGE_NONREPUDIATION)
		u |= STC_USAGE_NONREPUDIATION;
	if (p15 & (STCI_P15_USAGE_SIGN | STCI_P15_USAGE_SIGNRECOVER))
		u |= STC_USAGE_SIGN;
	if (p15 & (STCI_P15_USAGE_DECRYPT | STCI_P15_USAGE_UNWRAP))
		u |= STC_USAGE_DECRYPT;
	return u;
}

static int to_object(const struct stci_cps *st, const struct stci_p15_object *p, stc_object *o)
{
	memset(o, 0, sizeof(*o));
	switch (p->kind) {
	case STCI_P15_PRKEY_RSA:
		o->cls = STC_OBJ_PRIVATE_KEY;
		o->usage = map_usage(p->usage);
		o->key_bits = p->modulus_length > 0 ? (unsigned)p->modulus_length : 0;
		break;
	case STCI_P15_CERT_X509:
		o->cls = STC_OBJ_CERTIFICATE;
		break;
	case STCI_P15_DATA:
		o->cls = STC_OBJ_DATA;
		memcpy(o->application, p->app_name, p->app_name_len);
		break;
	default:
		return 0;
	}
	memcpy(o->label, p->label, p->label_len);
	memcpy(o->id, p->id.value, p->id.len);
	o->id_len = p->id.len;
	/* a private object without an authId (the contactless technical key) is
	 * usable without a PIN: there is none to present */
	o->needs_pin = p->auth_id.len > 0 || ((p->flags & STCI_P15_OBJ_PRIVATE) && !st->contactless);
	return 1;
}

static stc_rv build_list(struct stci_cps *st)
{
	size_t total = 0, n = 0;

	for (size_t i = 0; i < st->ndfs; i++)
		total += st->dfs[i].count;
	if (!total)
		return STC_OK;
	st->objs = calloc(total, sizeof(*st->objs));
	st->src = calloc(total, sizeof(const struct stci_p15_object *));
	if (!st->objs || !st->src)
		return STC_ERR_NO_MEMORY;
	for (size_t i = 0; i < st->ndfs; i++)
		for (size_t j = 0; j < st->dfs[i].count; j++) {
			const struct stci_p15_object *p = &st->dfs[i].objs[j];

			if (!to_object(st, p, &st->objs[n]))
				continue;
			st->objs[n].handle = (unsigned)n + 1;
			st->src[n++] = p;
		}
	st->nobjs = n;
	return STC_OK;
}

static stc_rv load_df(stc_card *card, struct stci_cps *st, const struct stci_p15_odf_entry *e)
{
	struct stci_cps_df *df = &st->dfs[st->ndfs];
	uint8_t *buf;
	size_t len;
	stc_rv rv = stci_cps_read_path_cached(card, st, &e->path, &buf, &len);

	if (rv != STC_OK)
		return rv;
	df->type = e->type;
	df->objs = NULL;
	df->count = 0;
	rv = stci_p15_parse_df(e->type, buf, len, &df->objs, &df->count);
	stci_cps_free_buf(buf, len);
	if (rv != STC_OK) {
		stc_log(STC_LOG_INFO, "CPS: malformed PKCS#15 directory file (type %d)", (int)e->type);
		return rv == STC_ERR_NOT_SUPPORTED ? STC_ERR_INVALID_DATA : rv;
	}
	st->ndfs++;
	return STC_OK;
}

static stc_rv load(stc_card *card, struct stci_cps *st)
{
	uint8_t *buf;
	size_t len;
	int app = 0;
	stc_rv rv;

	stci_cps_cache_open(card, st);
	st->cache_hits = 0;
	rv = read_fid(card, st, &app, fid_odf, &buf, &len);
	if (rv != STC_OK)
		return rv;
	rv = stci_p15_parse_odf(buf, len, &st->odf);
	stci_cps_free_buf(buf, len);
	if (rv != STC_OK) {
		stc_log(STC_LOG_INFO, "CPS: malformed EF.ODF");
		return STC_ERR_INVALID_DATA;
	}
	rv = read_fid(card, st, &app, fid_tokeninfo, &buf, &len);
	if (rv != STC_OK)
		return rv;
	st->ti = calloc(1, sizeof(*st->ti));
	rv = st->ti ? stci_p15_parse_tokeninfo(buf, len, st->ti) : STC_ERR_NO_MEMORY;
	stci_cps_free_buf(buf, len);
	if (rv != STC_OK) {
		stc_log(STC_LOG_INFO, "CPS: malformed EF.TokenInfo");
		return rv == STC_ERR_NO_MEMORY ? rv : STC_ERR_INVALID_DATA;
	}
	for (size_t i = 0; i < st->odf.count; i++) {
		if (!listed_df(st->odf.entry[i].type))
			continue;
		rv = load_df(card, st, &st->odf.entry[i]);
		if (rv != STC_OK)
			return rv;
	}
	return build_list(st);
}

stc_rv stci_cps_load(stc_token *tok, struct stci_cps *st)
{
	stc_rv rv;

	if (st->loaded)
		return STC_OK;
	rv = load(tok->card, st);
	if (rv != STC_OK && st->cache_hits) {
		stc_log(STC_LOG_DEBUG, "CPS: the cached PKCS#15 files of %s do not load (%s): "
			"read from the card", stci_cache_key(st->cache), stc_rv_name(rv));
		stci_cache_clear(st->cache);
		unload_objects(st);
		rv = load(tok->card, st);
	}
	if (rv != STC_OK) {
		unload_objects(st);   /* nothing half-read is kept: the next call starts over */
		return rv;
	}
	st->loaded = 1;
	return STC_OK;
}

stc_rv stci_cps_load_aodf(stc_token *tok, struct stci_cps *st)
{
	stc_rv rv = stci_cps_load(tok, st);
	uint8_t *buf = NULL;
	size_t len = 0;

	if (rv != STC_OK || st->aodf_loaded)
		return rv;
	for (size_t i = 0; i < st->odf.count; i++) {
		int hits = st->cache_hits;

		if (st->odf.entry[i].type != STCI_P15_AODF)
			continue;
		rv = stci_cps_read_path_cached(tok->card, st, &st->odf.entry[i].path, &buf, &len);
		if (rv != STC_OK)
			return rv;
		rv = stci_p15_parse_df(STCI_P15_AODF, buf, len, &st->aod, &st->naod);
		stci_cps_free_buf(buf, len);
		if (rv != STC_OK && st->cache_hits != hits) {
			/* a cached AODF that does not parse: drop the card's entries, read it */
			st->aod = NULL;
			st->naod = 0;
			stci_cache_clear(st->cache);
			rv = stci_cps_read_path_cached(tok->card, st, &st->odf.entry[i].path,
						       &buf, &len);
			if (rv != STC_OK)
				return rv;
			rv = stci_p15_parse_df(STCI_P15_AODF, buf, len, &st->aod, &st->naod);
			stci_cps_free_buf(buf, len);
		}
		if (rv != STC_OK) {
			st->aod = NULL;
			st->naod = 0;
			stc_log(STC_LOG_INFO, "CPS: malformed AODF");
			return STC_ERR_INVALID_DATA;
		}
		break;   /* one AODF on a CPS */
	}
	st->aodf_loaded = 1;
	return STC_OK;
}

stc_rv stci_cps_objects(stc_token *tok, const stc_object **objs, size_t *count)
{
	struct stci_cps *st = tok->priv;
	stc_rv rv = stci_cps_load(tok, st);

	if (rv != STC_OK)
		return rv;
	*objs = st->objs;
	*count = st->nobjs;
	return STC_OK;
}

stc_rv stci_cps_read_object(stc_token *tok, unsigned handle, uint8_t **data, size_t *len)
{
	struct stci_cps *st = tok->priv;
	const struct stci_p15_object *p;
	stc_rv rv;

	if (handle >= STCI_CPS2TER_HANDLE_BASE)
		return stci_cps2ter_read(tok, handle, data, len);
	rv = stci_cps_load(tok, st);
	if (rv != STC_OK)
		return rv;
	if (handle == 0 || handle > st->nobjs)
		return STC_ERR_INVALID_ARGS;
	if (st->objs[handle - 1].cls == STC_OBJ_PRIVATE_KEY)
		return STC_ERR_INVALID_ARGS;
	p = st->src[handle - 1];
	if (!p->has_path)
		return STC_ERR_NOT_SUPPORTED;   /* a value stored in the directory file: none on a CPS */
	/* the cache holds certificates only: never a data object, even public */
	if (st->objs[handle - 1].cls == STC_OBJ_CERTIFICATE && !st->objs[handle - 1].needs_pin)
		return stci_cps_read_path_cached(tok->card, st, &p->path, data, len);
	return stci_cps_read_path(tok->card, st, &p->path, data, len);
}

stc_rv stci_cps_info(stc_token *tok, stc_token_info *info)
{
	struct stci_cps *st = tok->priv;
	stc_rv rv = stci_cps_load(tok, st);

	if (rv != STC_OK)
		return rv;
	if (st->ti->has_label)
		memcpy(info->label, st->ti->label, st->ti->label_len);
	if (st->ti->has_manufacturer)
		memcpy(info->manufacturer, st->ti->manufacturer, st->ti->manufacturer_len);
	snprintf(info->serial, sizeof(info->serial), "%s", st->ti->serial_hex);
	return STC_OK;
}
