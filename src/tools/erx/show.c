/*
 * show.c - what the user sees of a verified prescription (text or JSON), the
 * quantities already dispensed (from the service's list of dispensations,
 * each one's signature checked too), and a dispensation's acknowledgement.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "erx.h"
#include "show.h"

static const char *str_of(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

int erx_dispensed(const json_t *list, const char *prescription_id, const char *ca_file,
		  const struct erx_presc *p, long long *dispensed, size_t *unverified)
{
	const json_t *arr = json_object_get(list, "dispensations"), *d;
	size_t i;

	memset(dispensed, 0, p->nlines * sizeof(*dispensed));
	*unverified = 0;
	if (!json_is_array(arr))
		return -1;
	json_array_foreach(arr, i, d) {
		const json_t *b = json_object_get(d, "bundle"), *e;
		struct erx_person who;
		char err[300];
		size_t k;

		if (!json_is_object(b) || erx_verify_bundle(b, ca_file, &who, err, sizeof(err)) ||
		    strcmp(who.profession, "Pharmacien") != 0) {
			(*unverified)++;
			continue;
		}
		json_array_foreach(json_object_get(b, "entry"), k, e) {
			const json_t *r = json_object_get(e, "resource");
			const char *t = str_of(r, "resourceType");
			const char *lid = str_of(json_array_get(json_object_get(r, "identifier"), 0),
						 "value");
			const json_t *q = json_object_get(json_object_get(r, "quantity"), "value");
			size_t plen = strlen(prescription_id);

			if (!t || strcmp(t, "MedicationDispense") != 0 || !lid || !json_is_integer(q) ||
			    strncmp(lid, prescription_id, plen) != 0 || lid[plen] != '/')
				continue;
			for (size_t l = 0; l < p->nlines; l++)
				if (strcmp(p->lines[l].line, lid + plen + 1) == 0)
					dispensed[l] += json_integer_value(q);
		}
	}
	return 0;
}

const char *erx_status(const struct erx_presc *p, const long long *dispensed)
{
	int any = 0, all = 1;

	for (size_t l = 0; l < p->nlines; l++) {
		if (dispensed[l] > 0)
			any = 1;
		if (dispensed[l] < p->lines[l].quantity)
			all = 0;
	}
	return all ? "complete" : any ? "partial" : "open";
}

static void person_json(json_t *o, const struct erx_person *s)
{
	json_object_set_new(o, "nationalId", json_string(s->idnat));
	json_object_set_new(o, "family", json_string(s->family));
	json_object_set_new(o, "given", json_string(s->given));
	json_object_set_new(o, "profession", json_string(s->profession));
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

void erx_show_prescription(FILE *f, int as_json, const char *id, const struct erx_presc *p,
			   const struct erx_person *signer, const long long *dispensed,
			   size_t unverified)
{
	const char *status = erx_status(p, dispensed);

	if (as_json) {
		json_t *o = json_object(), *s = json_object(), *pat = json_object();
		json_t *lines = json_array();
		char *txt;

		json_object_set_new(o, "prescriptionId", json_string(id));
		json_object_set_new(o, "bundleId", json_string(p->bundle_id));
		json_object_set_new(o, "status", json_string(status));
		json_object_set_new(o, "verified", json_true());
		person_json(s, signer);
		json_object_set_new(o, "prescriber", s);
		json_object_set_new(o, "timestamp", str_or_null(p->timestamp));
		json_object_set_new(pat, "family", str_or_null(p->patient_family));
		json_object_set_new(pat, "given", str_or_null(p->patient_given));
		json_object_set_new(pat, "birthDate", str_or_null(p->patient_birth));
		json_object_set_new(pat, "gender", str_or_null(p->patient_gender));
		json_object_set_new(pat, "ins", str_or_null(p->patient_ins));
		json_object_set_new(o, "patient", pat);
		for (size_t l = 0; l < p->nlines; l++) {
			const struct erx_pline *x = &p->lines[l];
			long long rem = x->quantity - dispensed[l];

			json_array_append_new(lines, json_pack(
				"{s:s, s:o, s:s, s:o, s:o, s:I, s:o, s:b, s:I, s:I}",
				"line", x->line, "system", str_or_null(x->system), "code", x->code,
				"display", str_or_null(x->display), "dosage", str_or_null(x->dosage),
				"quantity", (json_int_t)x->quantity, "unit", str_or_null(x->unit),
				"substitution", x->substitution, "dispensed", (json_int_t)dispensed[l],
				"remaining", (json_int_t)(rem > 0 ? rem : 0)));
		}
		json_object_set_new(o, "lines", lines);
		json_object_set_new(o, "unverifiedDispensations", json_integer((json_int_t)unverified));
		txt = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
		fprintf(f, "%s\n", txt ? txt : "{}");
		free(txt);
		json_decref(o);
		return;
	}
	fprintf(f, "Prescription %s (%s)\n", id, status);
	fprintf(f, "  Signature:   valid, by %s %s (%s, national id %s); certificate chain "
		"verified\n", signer->given, signer->family, signer->profession, signer->idnat);
	if (p->timestamp)
		fprintf(f, "  Date:        %s\n", p->timestamp);
	fprintf(f, "  Patient:     %s %s", p->patient_family ? p->patient_family : "?",
		p->patient_given ? p->patient_given : "");
	if (p->patient_birth)
		fprintf(f, ", born %s", p->patient_birth);
	if (p->patient_gender)
		fprintf(f, ", %s", p->patient_gender);
	fprintf(f, "\n");
	if (p->patient_ins)
		fprintf(f, "  INS:         %s\n", p->patient_ins);
	for (size_t l = 0; l < p->nlines; l++) {
		const struct erx_pline *x = &p->lines[l];
		long long rem = x->quantity - dispensed[l];

		fprintf(f, "  Line %s:      %s (%s)\n", x->line, x->display ? x->display : x->code,
			x->code);
		if (x->dosage)
			fprintf(f, "               %s\n", x->dosage);
		fprintf(f, "               %lld %s prescribed, %lld dispensed, %lld remaining; "
			"substitution %s\n", x->quantity, x->unit ? x->unit : "", dispensed[l],
			rem > 0 ? rem : 0, x->substitution ? "allowed" : "not allowed");
	}
	if (unverified)
		fprintf(f, "  Warning:     %zu dispensation%s whose signature does not verify "
			"%s not counted\n", unverified, unverified == 1 ? "" : "s",
			unverified == 1 ? "is" : "are");
}

void erx_show_ack(FILE *f, int as_json, const json_t *reply)
{
	const json_t *rem = json_object_get(reply, "remaining"), *r;
	size_t i;

	if (as_json) {
		char *txt = json_dumps(reply, JSON_COMPACT | JSON_ENSURE_ASCII);

		fprintf(f, "%s\n", txt ? txt : "{}");
		free(txt);
		return;
	}
	fprintf(f, "Dispensation %s recorded for %s (%s)\n",
		str_of(reply, "dispensationId") ? str_of(reply, "dispensationId") : "?",
		str_of(reply, "prescriptionId") ? str_of(reply, "prescriptionId") : "?",
		str_of(reply, "status") ? str_of(reply, "status") : "?");
	json_array_foreach(rem, i, r) {
		const json_t *q = json_object_get(r, "quantity");

		fprintf(f, "  Line %s: %lld remaining\n",
			str_of(r, "line") ? str_of(r, "line") : "?",
			json_is_integer(q) ? (long long)json_integer_value(q) : -1LL);
	}
}
