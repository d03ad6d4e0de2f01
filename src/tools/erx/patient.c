/*
 * patient.c - the patient of a prescription: read from the carte Vitale with
 * santecard-vitale's own pieces (vcard_read, render_fhir: the same sources are
 * linked in), or from a file holding a FHIR Patient. santecard-vitale's FHIR
 * rendering is FR Core Patient with the INS-NIR-TEST identifier; here it gets
 * the FR Core Patient INS profile (the contract's) and the gender the NIR's
 * first digit gives.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "erx.h"
#include "patient.h"
#include "vitale.h"

/* Find the carte Vitale: the named reader, or the first one whose ATR says
 * Vitale 2 (a CPS is not probed). */
static int read_card(stc_ctx *ctx, const char *reader, struct vcard *v)
{
	stc_reader_info *list;
	size_t n;
	stc_rv rv;
	char why[200];

	if (reader) {
		vcard_read(ctx, reader, v);
	} else {
		int found = 0;

		rv = stc_readers_list(ctx, &list, &n);
		if (rv != STC_OK) {
			fprintf(stderr, "%s: listing the readers: %s\n", erx_name, stc_strerror(rv));
			return rv == STC_ERR_NO_SERVICE ? ERX_NO_SERVICE : ERX_CARD;
		}
		for (size_t i = 0; i < n && !found; i++) {
			stc_card_kind kind;

			if (list[i].card_present &&
			    stc_atr_identify(list[i].atr, list[i].atr_len, &kind, NULL) == STC_OK &&
			    (kind == STC_CARD_VITALE2 || kind == STC_CARD_VITALE1)) {
				vcard_read(ctx, list[i].name, v);
				found = 1;
			}
		}
		stc_readers_free(list);
		if (!found) {
			fprintf(stderr, "%s: no carte Vitale in the readers (--patient vitale)\n",
				erx_name);
			return ERX_CARD;
		}
	}
	if (v->result != VC_OK) {
		vcard_error_text(v, why, sizeof(why));
		fprintf(stderr, "%s: the carte Vitale in '%s': %s\n", erx_name, v->reader, why);
		return ERX_CARD;
	}
	return ERX_OK;
}

static const char *gender_of_nir(const char *nir)
{
	switch (nir[0]) {
	case '1': case '3': case '7': return "male";
	case '2': case '4': case '8': return "female";
	default: return NULL;
	}
}

int erx_patient_vitale(stc_ctx *ctx, const char *reader, int which, json_t **out)
{
	struct render_opts ro = { .ins = STC_INS_NIR_TEST };
	struct vcard v;
	struct sbuf b;
	json_t *doc, *res;
	char err[300];
	int code;

	*out = NULL;
	code = read_card(ctx, reader, &v);
	if (code != ERX_OK)
		return code;
	if (which < 1 && v.count > 1) {
		fprintf(stderr, "%s: the carte Vitale holds %zu beneficiaries; choose one with "
			"--beneficiary N:\n", erx_name, v.count);
		for (size_t i = 0; i < v.count; i++) {
			char iso[11];

			birth_iso(v.ben[i].birth, iso);
			fprintf(stderr, "  %zu  %s %s%s%s\n", i + 1, v.ben[i].surname, v.ben[i].given,
				iso[0] ? ", born " : "", iso);
		}
		vcard_wipe(&v);
		return ERX_USAGE;
	}
	if (which < 1)
		which = 1;
	if ((size_t)which > v.count) {
		fprintf(stderr, "%s: the carte Vitale holds %zu beneficiar%s, not %d\n", erx_name,
			v.count, v.count == 1 ? "y" : "ies", which);
		vcard_wipe(&v);
		return ERX_USAGE;
	}
	if (!v.ben[which - 1].nir_valid) {
		fprintf(stderr, "%s: beneficiary %d's NIR does not check: no INS for the "
			"prescription\n", erx_name, which);
		vcard_wipe(&v);
		return ERX_CARD;
	}
	sb_init(&b);
	render_fhir(&b, &v, &ro);
	doc = b.oom ? NULL : erx_json_parse(sb_str(&b), b.len, err, sizeof(err));
	sb_free(&b);
	res = json_object_get(json_array_get(json_object_get(doc, "entry"), (size_t)which - 1),
			      "resource");
	*out = res ? erx_patient_from_json(res, err, sizeof(err)) : NULL;
	if (*out && gender_of_nir(v.ben[which - 1].nir))
		json_object_set_new(*out, "gender", json_string(gender_of_nir(v.ben[which - 1].nir)));
	vcard_wipe(&v);
	json_decref(doc);
	if (!*out) {
		fprintf(stderr, "%s: the carte Vitale's patient could not be rendered\n", erx_name);
		return ERX_ERROR;
	}
	return ERX_OK;
}

int erx_patient_file(const char *path, json_t **out)
{
	char err[400];
	json_t *j = erx_json_load(path, err, sizeof(err));

	*out = NULL;
	if (!j) {
		fprintf(stderr, "%s: --patient %s\n", erx_name, err);
		return ERX_USAGE;
	}
	*out = erx_patient_from_json(j, err, sizeof(err));
	json_decref(j);
	if (!*out) {
		fprintf(stderr, "%s: --patient %s: %s\n", erx_name, path, err);
		return ERX_USAGE;
	}
	return ERX_OK;
}
