/* vitale2.c - the carte Vitale 2 ("vitale2"), a T=0 card on the card OS
 * (firmware/card/cardos.h), personalised from a profile (vitale.h).
 *
 * File tree (FIDs chosen, docs/SIMULATOR-VITALE.md):
 *
 *   MF 3F00, DF name D2 50 00 00 02 "MF_VITALE"
 *     EF D001, SFI 2   identities: 65{80 nom, 81 prénom, 82 AAAAMMJJ [, 90 nat]} x N, 66{80 validity}
 *     EF 2F00          EF.DIR: 61{4F AID, 50 label} x 2
 *     EF 2F02          "PAN": 5A <invented card number>
 *     DF 1000, DF name D2 50 00 00 02 "VITALE"
 *       EF 2001        POINTERS: E0{A0{82..., 82...}, 80..., 80...}
 *       EF 2002, SFI 2 NIRs: 65{93 NIR} x N, same order as the identities
 *
 * Commands: SELECT (00 A4) and READ BINARY (00 B0) of the card OS. SELECT with
 * P2 = 00 answers 61 xx and a FCI built here (6F, 30 bytes for an EF: the
 * node reader fetches D001's with 00 C0 00 00 1E); P2 = 04 the OS's FCP, P2 = 0C
 * nothing. READ BINARY asking more than the file holds answers 6C xx (T=0,
 * what RUFUS's 00 B0 82 00 00 expects).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "card/cardos.h"
#include "profile.h"
#include "vitale/vitale.h"

static const uint8_t aid_vitale[] = VITALE_AID_VITALE;
static const uint8_t aid_mf_vitale[] = VITALE_AID_MF_VITALE;

struct vitale2 {
	struct cos *cos;
	struct vitale_data data;
	uint8_t atr[10];
	bool in_select;		/* the select hook calls the OS's SELECT */
	int verbose;
};

/* FCI of an EF, always 30 bytes: 6F 1C { 83 FID, 82 01 01, 80 size, 88 SFI<<3,
 * 8A 01 05, 85 09 <zeros: proprietary, unknown> }. */
#define VITALE_EF_FCI_LEN 30
static size_t ef_fci(const struct cos_file *f, uint8_t *o)
{
	size_t n = 0;
	size_t size = f->size > 0xFFFF ? 0xFFFF : f->size;

	o[n++] = 0x6F; o[n++] = VITALE_EF_FCI_LEN - 2;
	o[n++] = 0x83; o[n++] = 0x02; o[n++] = (uint8_t)(f->fid >> 8); o[n++] = (uint8_t)f->fid;
	o[n++] = 0x82; o[n++] = 0x01; o[n++] = 0x01;
	o[n++] = 0x80; o[n++] = 0x02; o[n++] = (uint8_t)(size >> 8); o[n++] = (uint8_t)size;
	o[n++] = 0x88; o[n++] = 0x01; o[n++] = (uint8_t)(f->sfi << 3);
	o[n++] = 0x8A; o[n++] = 0x01; o[n++] = 0x05;
	o[n++] = 0x85; o[n++] = 0x09;
	memset(o + n, 0, 9);
	n += 9;
	return n;
}

/* FCI of a DF: 6F L { 83 FID, 84 DF name, 82 01 38, 8A 01 05 }. */
static size_t df_fci(const struct cos_file *f, uint8_t *o)
{
	size_t n = 0;

	o[n++] = 0x6F; o[n++] = 0;
	o[n++] = 0x83; o[n++] = 0x02; o[n++] = (uint8_t)(f->fid >> 8); o[n++] = (uint8_t)f->fid;
	if (f->aid_len) {
		o[n++] = 0x84; o[n++] = (uint8_t)f->aid_len;
		memcpy(o + n, f->aid, f->aid_len);
		n += f->aid_len;
	}
	o[n++] = 0x82; o[n++] = 0x01; o[n++] = 0x38;
	o[n++] = 0x8A; o[n++] = 0x01; o[n++] = 0x05;
	o[1] = (uint8_t)(n - 2);
	return n;
}

/* SELECT hook: the FCI for P2 = 00. The OS does the selection itself (called
 * again with P2 = 0C) and all the error checking. */
static bool v2_select(struct cos *c, const struct cos_apdu *a, struct cos_resp *r, uint16_t *sw)
{
	struct vitale2 *v = c->user;
	struct cos_apdu b = *a;

	if (v->in_select || a->p2 != 0x00)
		return false;
	b.p2 = 0x0C;
	v->in_select = true;
	*sw = cos_cmd_select(c, &b, r);
	v->in_select = false;
	if (*sw != COS_SW_OK)
		return true;

	uint8_t fci[2 + 4 + 2 + COS_AID_MAX + 6 + VITALE_EF_FCI_LEN];
	size_t n;
	if (c->cur_ef)
		n = ef_fci(c->cur_ef, fci);
	else
		n = df_fci(c->cur_df, fci);
	if (!cos_resp_put(r, fci, n))
		*sw = COS_SW_NO_PRECISE;
	return true;
}

static const struct cos_hooks v2_hooks = {
	.select = v2_select,
};

/* READ BINARY as a T=0 card answers it: asking more than the file holds from
 * the offset gives 6C xx (the OS turns an OK answer of the wrong length into
 * 6C xx), an offset at or past the end 6B 00. */
static uint16_t v2_read_binary(struct cos *c, const struct cos_apdu *a, struct cos_resp *r)
{
	uint16_t sw = cos_cmd_read_binary(c, a, r);

	if (sw == c->short_read_sw)
		return r->len ? COS_SW_OK : COS_SW_WRONG_P1P2_OFFSET;
	return sw;
}

static const struct cos_command v2_commands[] = {
	{ 0x00, 0xFF, 0xA4, 0, cos_cmd_select },
	{ 0x00, 0xFF, 0xB0, COS_F_DIRECT, v2_read_binary },
};

static void v2_destroy(void *card)
{
	struct vitale2 *v = card;

	if (!v)
		return;
	cos_free(v->cos);
	vitale_data_free(&v->data);
	free(v);
}

static void *v2_create(const struct sim_card_config *config)
{
	static const uint8_t atr[] = VITALE2_ATR;
	struct vitale2 *v = calloc(1, sizeof(*v));
	char err[256];

	if (!v)
		return NULL;
	if (!vitale_data_build(config ? config->profile : NULL, &v->data, err, sizeof(err))) {
		fprintf(stderr, "vitale2: profile refused: %s\n", err);
		free(v);
		return NULL;
	}
	v->verbose = config ? config->verbose : 0;
	memcpy(v->atr, atr, sizeof(atr));
	v->atr[VITALE2_ATR_VARIANT_POS] = v->data.atr_variant;

	struct cos *c = v->cos = cos_new();
	if (!c)
		goto oom;
	c->user = v;
	c->hooks = &v2_hooks;
	c->commands = v2_commands;
	c->n_commands = sizeof(v2_commands) / sizeof(v2_commands[0]);
	c->verbose = v->verbose;
	memcpy(c->mf->aid, aid_mf_vitale, sizeof(aid_mf_vitale));
	c->mf->aid_len = sizeof(aid_mf_vitale);

	if (!cos_add_ef(c, c->mf, VITALE_FID_D001, VITALE_SFI_DATA, v->data.ident, v->data.ident_len) ||
	    !cos_add_ef(c, c->mf, VITALE_FID_DIR, 0, v->data.dir, v->data.dir_len) ||
	    !cos_add_ef(c, c->mf, VITALE_FID_PAN, 0, v->data.pan, v->data.pan_len))
		goto oom;
	struct cos_file *df = cos_add_df(c, c->mf, VITALE_FID_DF_VITALE, aid_vitale, sizeof(aid_vitale));
	if (!df ||
	    !cos_add_ef(c, df, VITALE_FID_POINTERS, 0, v->data.pointers, v->data.pointers_len) ||
	    !cos_add_ef(c, df, VITALE_FID_NIR, VITALE_SFI_DATA, v->data.nirs, v->data.nirs_len))
		goto oom;
	cos_reset(c);
	return v;
oom:
	fprintf(stderr, "vitale2: out of memory\n");
	v2_destroy(v);
	return NULL;
}

static size_t v2_atr_get(void *card, uint8_t *out, size_t cap)
{
	struct vitale2 *v = card;

	if (!v || cap < sizeof(v->atr))
		return 0;
	memcpy(out, v->atr, sizeof(v->atr));
	return sizeof(v->atr);
}

static void v2_power(void *card)
{
	struct vitale2 *v = card;

	if (v)
		cos_reset(v->cos);
}

static size_t v2_process(void *card, const uint8_t *capdu, size_t len, uint8_t *rapdu, size_t cap)
{
	struct vitale2 *v = card;

	if (cap < 2)
		return 0;
	if (!v || !capdu) {
		rapdu[0] = 0x6F;
		rapdu[1] = 0x00;
		return 2;
	}
	return cos_process(v->cos, capdu, len, rapdu, cap);
}

const struct sim_card_ops vitale2_card_ops = {
	.name = "vitale2",
	.description = "carte Vitale 2 (T=0; identities and NIRs from the profile's beneficiaries)",
	.create = v2_create,
	.destroy = v2_destroy,
	.atr = v2_atr_get,
	.power_on = v2_power,
	.power_off = v2_power,
	.reset = v2_power,
	.process = v2_process,
};
