/*
 * render_json.c - the JSON documents of santecard-vitale (schema 1, described in
 * docs/santecard-vitale.1): one line per card inserted ("card" or "error"), one
 * per card removed. `read --json`, `watch`, `--exec` and the web page's
 * Server-Sent Events all carry these same documents.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vitale.h"

static int leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

void birth_iso(const char *d, char out[11])
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, day;

	out[0] = '\0';
	if (strlen(d) != 8 || strspn(d, "0123456789") != 8)
		return;
	y = (d[0] - '0') * 1000 + (d[1] - '0') * 100 + (d[2] - '0') * 10 + (d[3] - '0');
	m = (d[4] - '0') * 10 + (d[5] - '0');
	day = (d[6] - '0') * 10 + (d[7] - '0');
	/* "lunar" dates (unknown month or day, written 00 or above range) stay
	 * as the card has them, with no calendar date */
	if (y < 1800 || m < 1 || m > 12 || day < 1 ||
	    day > mdays[m - 1] + (m == 2 && leap(y)))
		return;
	/* the digits as they are: y, m and day were checked above */
	memcpy(out, d, 4);
	out[4] = '-';
	memcpy(out + 5, d + 4, 2);
	out[7] = '-';
	memcpy(out + 8, d + 6, 2);
	out[10] = '\0';
}

/* FR Core's name of each INS system (the identifier type code). */
static const char *ins_code(stc_ins_system s)
{
	switch (s) {
	case STC_INS_NIR: return "INS-NIR";
	case STC_INS_NIA: return "INS-NIA";
	case STC_INS_NIR_TEST: return "INS-NIR-TEST";
	case STC_INS_NIR_DEMO: return "INS-NIR-DEMO";
	}
	return "INS-NIR";
}

static void card_info(struct sbuf *b, const struct vcard *v)
{
	sb_puts(b, "\"reader\":");
	sb_json_str(b, v->reader);
	sb_puts(b, ",\"card\":{\"type\":");
	sb_json_str(b, stc_card_kind_id(v->kind));
	sb_puts(b, ",\"name\":");
	sb_json_str(b, v->card_name);
	sb_puts(b, ",\"atr\":\"");
	sb_hex(b, v->atr, v->atr_len);
	sb_puts(b, "\"}");
}

static void beneficiary(struct sbuf *b, const stc_beneficiary *p, const struct render_opts *o)
{
	char iso[11];

	birth_iso(p->birth, iso);
	sb_puts(b, "{\"surname\":");
	sb_json_str(b, p->surname);
	sb_puts(b, ",\"given\":");
	sb_json_str(b, p->given);
	sb_puts(b, ",\"birth\":");
	sb_json_str_or_null(b, p->birth);
	sb_puts(b, ",\"birth_date\":");
	sb_json_str_or_null(b, iso);
	sb_puts(b, ",\"nir\":");
	sb_json_str_or_null(b, p->nir);
	sb_printf(b, ",\"nir_key_valid\":%s", p->nir[0] && p->nir_valid ? "true" : "false");
	sb_puts(b, ",\"ins\":");
	if (p->nir[0] && p->nir_valid) {
		sb_puts(b, "{\"type\":");
		sb_json_str(b, ins_code(o->ins));
		sb_puts(b, ",\"oid\":");
		sb_json_str(b, stc_ins_oid(o->ins));
		/* the INSi téléservice was not queried: never a qualified identity */
		sb_puts(b, ",\"qualified\":false}");
	} else {
		sb_puts(b, "null");
	}
	sb_puts(b, ",\"nationality\":");
	sb_json_str_or_null(b, p->nationality);
	if (p->rank > 0)
		sb_printf(b, ",\"rank\":%d", p->rank);
	else
		sb_puts(b, ",\"rank\":null");
	if (p->quality >= 0)
		sb_printf(b, ",\"quality\":%d}", p->quality);
	else
		sb_puts(b, ",\"quality\":null}");
}

void render_json_card(struct sbuf *b, const struct vcard *v, const struct render_opts *o)
{
	sb_printf(b, "{\"schema\":%d,\"event\":\"%s\",", VITALE_SCHEMA,
		  v->result == VC_OK ? "card" : "error");
	card_info(b, v);
	if (v->result == VC_OK) {
		sb_puts(b, ",\"beneficiaries\":[");
		for (size_t i = 0; i < v->count; i++) {
			if (i)
				sb_puts(b, ",");
			beneficiary(b, &v->ben[i], o);
		}
		sb_printf(b, "],\"nir_errors\":%zu}", vcard_bad_nirs(v));
	} else {
		char msg[200];

		vcard_error_text(v, msg, sizeof(msg));
		sb_puts(b, ",\"error\":");
		sb_json_str(b, vcard_error_id(v->result));
		sb_puts(b, ",\"detail\":");
		sb_json_str(b, stc_rv_name(v->rv));
		sb_puts(b, ",\"message\":");
		sb_json_str(b, msg);
		sb_puts(b, "}");
	}
}

void render_json_removed(struct sbuf *b, const char *reader)
{
	sb_printf(b, "{\"schema\":%d,\"event\":\"removed\",\"reader\":", VITALE_SCHEMA);
	sb_json_str(b, reader);
	sb_puts(b, "}");
}
