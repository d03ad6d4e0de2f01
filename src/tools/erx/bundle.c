/*
 * bundle.c - the FHIR R4 Bundles of the contract (docs/ERX.md): the
 * prescription (Patient, Practitioner, RequestGroup, Medication and
 * MedicationRequest per line) and the dispensation (Practitioner,
 * MedicationDispense per line); the input files; and what a fetched
 * prescription says, read defensively (it comes from the network).
 * Pure: jansson only, no card, no network.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "erx.h"

#define EPRESC "https://interop.esante.gouv.fr/ig/fhir/eprescription/StructureDefinition/"
#define FR_CORE_INS "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient-ins"
#define RPPS_SYSTEM "urn:oid:1.2.250.1.71.4.2.1"
#define LINE_SYSTEM "urn:santecard:erx:line"
#define PRESC_SYSTEM "urn:santecard:erx:prescription"
#define GROUP_SYSTEM "urn:santecard:erx:group"
#define JSON_MAX ((size_t)1 << 20)
#define QUANTITY_MAX 100000

/* ------------------------------------------------------------ JSON input */

json_t *erx_json_parse(const char *text, size_t len, char *err, size_t errlen)
{
	json_error_t je;
	json_t *j;

	if (len > JSON_MAX) {
		snprintf(err, errlen, "more than %zu bytes", JSON_MAX);
		return NULL;
	}
	j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		snprintf(err, errlen, "not valid JSON (line %d, column %d: %s)", je.line, je.column,
			 je.text);
	return j;
}

json_t *erx_json_load(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	char *buf;
	size_t n = 0;
	json_t *j;

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return NULL;
	}
	if ((unsigned long long)st.st_size > JSON_MAX) {
		snprintf(err, errlen, "%s: larger than %zu bytes", path, JSON_MAX);
		close(fd);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		close(fd);
		return NULL;
	}
	while (n < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	j = erx_json_parse(buf, n, err, errlen);
	free(buf);
	if (!j) {
		char tmp[300];

		snprintf(tmp, sizeof(tmp), "%s", err);
		snprintf(err, errlen, "%s: %s", path, tmp);
	}
	return j;
}

/* A non-empty string member, NULL otherwise. */
static const char *str_member(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	const char *s = json_is_string(v) ? json_string_value(v) : NULL;

	return s && *s ? s : NULL;
}

/* Only these members in o; -1 with err naming the first other one. */
static int only_members(const json_t *o, const char *const *allowed, const char *where,
			char *err, size_t errlen)
{
	const char *key;
	const json_t *v;

	json_object_foreach((json_t *)o, key, v) {
		int ok = 0;

		(void)v;
		for (size_t i = 0; allowed[i]; i++)
			if (strcmp(key, allowed[i]) == 0)
				ok = 1;
		if (!ok) {
			snprintf(err, errlen, "%s: unknown member \"%.60s\"", where, key);
			return -1;
		}
	}
	return 0;
}

static int quantity_of(const json_t *v, long long *q)
{
	if (!json_is_integer(v))
		return -1;
	*q = json_integer_value(v);
	return *q >= 1 && *q <= QUANTITY_MAX ? 0 : -1;
}

int erx_items_parse(json_t *root, struct erx_item **items, size_t *n, char *err, size_t errlen)
{
	static const char *const item_keys[] = { "code", "dosage", "quantity", "unit",
						  "substitution", NULL };
	static const char *const code_keys[] = { "system", "code", "display", NULL };
	struct erx_item *it;
	size_t count;

	*items = NULL;
	*n = 0;
	if (!json_is_array(root) || !json_array_size(root)) {
		snprintf(err, errlen, "the items must be a non-empty JSON array");
		return -1;
	}
	count = json_array_size(root);
	if (count > 99) {
		snprintf(err, errlen, "at most 99 items per prescription (%zu given)", count);
		return -1;
	}
	it = calloc(count, sizeof(*it));
	if (!it) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < count; i++) {
		const json_t *o = json_array_get(root, i), *code, *sub;
		char where[32];

		snprintf(where, sizeof(where), "item %zu", i + 1);
		if (!json_is_object(o)) {
			snprintf(err, errlen, "%s: not an object", where);
			goto bad;
		}
		if (only_members(o, item_keys, where, err, errlen))
			goto bad;
		code = json_object_get(o, "code");
		if (!json_is_object(code) || only_members(code, code_keys, where, err, errlen) ||
		    !(it[i].system = str_member(code, "system")) ||
		    !(it[i].code = str_member(code, "code")) ||
		    !(it[i].display = str_member(code, "display"))) {
			if (!json_is_object(code) || !it[i].system || !it[i].code || !it[i].display)
				snprintf(err, errlen, "%s: \"code\" must be an object with the strings "
					 "\"system\", \"code\" and \"display\"", where);
			goto bad;
		}
		if (!(it[i].dosage = str_member(o, "dosage"))) {
			snprintf(err, errlen, "%s: \"dosage\" must be a non-empty string", where);
			goto bad;
		}
		if (quantity_of(json_object_get(o, "quantity"), &it[i].quantity)) {
			snprintf(err, errlen, "%s: \"quantity\" must be an integer from 1 to %d", where,
				 QUANTITY_MAX);
			goto bad;
		}
		if (!(it[i].unit = str_member(o, "unit"))) {
			snprintf(err, errlen, "%s: \"unit\" must be a non-empty string", where);
			goto bad;
		}
		sub = json_object_get(o, "substitution");
		if (sub && !json_is_boolean(sub)) {
			snprintf(err, errlen, "%s: \"substitution\" must be true or false", where);
			goto bad;
		}
		/* substitution allowed unless said otherwise (the French default) */
		it[i].substitution = sub ? json_is_true(sub) : 1;
	}
	*items = it;
	*n = count;
	return 0;
bad:
	free(it);
	return -1;
}

int erx_lines_parse(json_t *root, struct erx_dline **lines, size_t *n, char *err, size_t errlen)
{
	static const char *const keys[] = { "line", "quantity", "substitute", NULL };
	static const char *const code_keys[] = { "system", "code", "display", NULL };
	struct erx_dline *l;
	size_t count;

	*lines = NULL;
	*n = 0;
	if (!json_is_array(root) || !json_array_size(root)) {
		snprintf(err, errlen, "the lines must be a non-empty JSON array");
		return -1;
	}
	count = json_array_size(root);
	if (count > 99) {
		snprintf(err, errlen, "at most 99 lines (%zu given)", count);
		return -1;
	}
	l = calloc(count, sizeof(*l));
	if (!l) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < count; i++) {
		const json_t *o = json_array_get(root, i), *sub;
		char where[32];

		snprintf(where, sizeof(where), "line entry %zu", i + 1);
		if (!json_is_object(o)) {
			snprintf(err, errlen, "%s: not an object", where);
			goto bad;
		}
		if (only_members(o, keys, where, err, errlen))
			goto bad;
		if (!(l[i].line = str_member(o, "line"))) {
			snprintf(err, errlen, "%s: \"line\" must be a line number as a string, "
				 "e.g. \"1\"", where);
			goto bad;
		}
		for (size_t k = 0; k < i; k++)
			if (strcmp(l[k].line, l[i].line) == 0) {
				snprintf(err, errlen, "%s: line \"%.20s\" is given twice", where,
					 l[i].line);
				goto bad;
			}
		if (quantity_of(json_object_get(o, "quantity"), &l[i].quantity)) {
			snprintf(err, errlen, "%s: \"quantity\" must be an integer from 1 to %d",
				 where, QUANTITY_MAX);
			goto bad;
		}
		sub = json_object_get(o, "substitute");
		if (sub) {
			if (!json_is_object(sub) || only_members(sub, code_keys, where, err, errlen) ||
			    !(l[i].sub_system = str_member(sub, "system")) ||
			    !(l[i].sub_code = str_member(sub, "code")) ||
			    !(l[i].sub_display = str_member(sub, "display"))) {
				snprintf(err, errlen, "%s: \"substitute\" must be an object with the "
					 "strings \"system\", \"code\" and \"display\"", where);
				goto bad;
			}
		}
	}
	*lines = l;
	*n = count;
	return 0;
bad:
	free(l);
	return -1;
}

/* ------------------------------------------------------------ resources */

json_t *erx_patient_from_json(json_t *res, char *err, size_t errlen)
{
	const json_t *name;
	json_t *p;

	if (!json_is_object(res) || !json_is_string(json_object_get(res, "resourceType")) ||
	    strcmp(json_string_value(json_object_get(res, "resourceType")), "Patient") != 0) {
		snprintf(err, errlen, "not a FHIR Patient resource (resourceType \"Patient\" expected)");
		return NULL;
	}
	name = json_object_get(res, "name");
	if (!json_is_array(name) || !json_is_object(json_array_get(name, 0)) ||
	    !str_member(json_array_get(name, 0), "family")) {
		snprintf(err, errlen, "the Patient has no name[0].family");
		return NULL;
	}
	p = json_deep_copy(res);
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* an id of the source system means nothing here: the bundle's fullUrl names it */
	json_object_del(p, "id");
	json_object_set_new(p, "meta", json_pack("{s:[s]}", "profile", FR_CORE_INS));
	return p;
}

json_t *erx_practitioner(const struct erx_person *p)
{
	json_t *name = json_pack("{s:s}", "family", p->family[0] ? p->family : p->idnat);

	if (name && p->given[0])
		json_object_set_new(name, "given", json_pack("[s]", p->given));
	return json_pack("{s:s, s:[{s:s, s:s}], s:[o], s:[{s:{s:s}}]}",
			 "resourceType", "Practitioner",
			 "identifier", "system", RPPS_SYSTEM, "value", p->idnat,
			 "name", name,
			 "qualification", "code", "text", p->profession);
}

static json_t *entry(const char *full_url, json_t *resource)
{
	return json_pack("{s:s, s:o}", "fullUrl", full_url, "resource", resource);
}

static json_t *ref(const char *url)
{
	return json_pack("{s:s}", "reference", url);
}

static json_t *bundle_shell(const char *timestamp)
{
	char id[ERX_URN_UUID_LEN];

	if (erx_urn_uuid(id))
		return NULL;
	return json_pack("{s:s, s:{s:s, s:s}, s:s, s:s, s:[]}", "resourceType", "Bundle",
			 "identifier", "system", "urn:ietf:rfc:3986", "value", id,
			 "type", "collection", "timestamp", timestamp, "entry");
}

json_t *erx_prescription_bundle(json_t *patient, const struct erx_person *prescriber,
				const struct erx_item *items, size_t n, const char *timestamp)
{
	char pat_url[ERX_URN_UUID_LEN], prac_url[ERX_URN_UUID_LEN], rg_url[ERX_URN_UUID_LEN];
	char group[ERX_URN_UUID_LEN];
	json_t *b = bundle_shell(timestamp), *entries, *actions, *rg, *meds;

	if (!b || erx_urn_uuid(pat_url) || erx_urn_uuid(prac_url) || erx_urn_uuid(rg_url) ||
	    erx_urn_uuid(group)) {
		json_decref(b);
		return NULL;
	}
	entries = json_object_get(b, "entry");
	json_array_append_new(entries, entry(pat_url, json_deep_copy(patient)));
	json_array_append_new(entries, entry(prac_url, erx_practitioner(prescriber)));
	actions = json_array();
	meds = json_array();
	for (size_t i = 0; i < n; i++) {
		char med_url[ERX_URN_UUID_LEN], mr_url[ERX_URN_UUID_LEN], line[24];
		json_t *med, *mr;

		if (erx_urn_uuid(med_url) || erx_urn_uuid(mr_url))
			goto fail;
		snprintf(line, sizeof(line), "%zu", i + 1);
		med = json_pack("{s:s, s:{s:[s]}, s:{s:[{s:s, s:s, s:s}]}}",
				"resourceType", "Medication",
				"meta", "profile", EPRESC "fr-medication",
				"code", "coding", "system", items[i].system, "code", items[i].code,
				"display", items[i].display);
		mr = json_pack("{s:s, s:{s:[s]}, s:[{s:s, s:s}], s:s, s:s, s:{s:s, s:s},"
			       " s:o, s:o, s:o, s:s, s:[{s:s}], s:{s:{s:I, s:s}}, s:{s:b}}",
			       "resourceType", "MedicationRequest",
			       "meta", "profile", EPRESC "fr-medicationrequest",
			       "identifier", "system", LINE_SYSTEM, "value", line,
			       "status", "active", "intent", "order",
			       "groupIdentifier", "system", GROUP_SYSTEM, "value", group,
			       "subject", ref(pat_url), "requester", ref(prac_url),
			       "medicationReference", ref(med_url),
			       "authoredOn", timestamp,
			       "dosageInstruction", "text", items[i].dosage,
			       "dispenseRequest", "quantity", "value", (json_int_t)items[i].quantity,
			       "unit", items[i].unit,
			       "substitution", "allowedBoolean", items[i].substitution);
		if (!med || !mr) {
			json_decref(med);
			json_decref(mr);
			goto fail;
		}
		json_array_append_new(meds, entry(med_url, med));
		json_array_append_new(meds, entry(mr_url, mr));
		json_array_append_new(actions, json_pack("{s:o}", "resource", ref(mr_url)));
	}
	rg = json_pack("{s:s, s:{s:[s]}, s:s, s:s, s:{s:s, s:s}, s:o, s:o, s:s, s:o}",
		       "resourceType", "RequestGroup",
		       "meta", "profile", EPRESC "fr-requestgroup-for-prescription",
		       "status", "active", "intent", "order",
		       "groupIdentifier", "system", GROUP_SYSTEM, "value", group,
		       "subject", ref(pat_url), "author", ref(prac_url),
		       "authoredOn", timestamp, "action", actions);
	actions = NULL;
	if (!rg)
		goto fail;
	json_array_append_new(entries, entry(rg_url, rg));
	json_array_extend(entries, meds);
	json_decref(meds);
	return b;
fail:
	json_decref(actions);
	json_decref(meds);
	json_decref(b);
	return NULL;
}

/* -------------------------------------------------------- reading bundles */

const char *erx_bundle_id(const json_t *bundle)
{
	return str_member(json_object_get(bundle, "identifier"), "value");
}

static const json_t *resource_of(const json_t *e, const char *type)
{
	const json_t *r = json_object_get(e, "resource");
	const char *t = str_member(r, "resourceType");

	return t && strcmp(t, type) == 0 ? r : NULL;
}

const char *erx_entry_fullurl(const json_t *bundle, const char *type)
{
	const json_t *entries = json_object_get(bundle, "entry"), *e;
	size_t i;

	json_array_foreach(entries, i, e)
		if (resource_of(e, type))
			return str_member(e, "fullUrl");
	return NULL;
}

const char *erx_bundle_kind(const json_t *bundle)
{
	const char *t = str_member(bundle, "resourceType");

	if (!t || strcmp(t, "Bundle") != 0 || !erx_bundle_id(bundle))
		return NULL;
	if (erx_entry_fullurl(bundle, "RequestGroup"))
		return "prescription";
	if (erx_entry_fullurl(bundle, "MedicationDispense"))
		return "dispensation";
	return NULL;
}

/* The resource of the entry whose fullUrl is url. */
static const json_t *by_url(const json_t *bundle, const char *url)
{
	const json_t *entries = json_object_get(bundle, "entry"), *e;
	size_t i;

	if (!url)
		return NULL;
	json_array_foreach(entries, i, e) {
		const char *u = str_member(e, "fullUrl");

		if (u && strcmp(u, url) == 0)
			return json_object_get(e, "resource");
	}
	return NULL;
}

static const char *reference(const json_t *o, const char *key)
{
	return str_member(json_object_get(o, key), "reference");
}

/* The person a Practitioner resource names. -1 when it has no RPPS identifier. */
static int practitioner_person(const json_t *pr, struct erx_person *p)
{
	const json_t *ids = json_object_get(pr, "identifier"), *id, *name, *given;
	const char *s;
	size_t i;

	memset(p, 0, sizeof(*p));
	json_array_foreach(ids, i, id) {
		const char *sys = str_member(id, "system"), *v = str_member(id, "value");

		if (sys && v && strcmp(sys, RPPS_SYSTEM) == 0)
			snprintf(p->idnat, sizeof(p->idnat), "%s", v);
	}
	if (!p->idnat[0])
		return -1;
	name = json_array_get(json_object_get(pr, "name"), 0);
	if ((s = str_member(name, "family")))
		snprintf(p->family, sizeof(p->family), "%s", s);
	given = json_array_get(json_object_get(name, "given"), 0);
	if (json_is_string(given))
		snprintf(p->given, sizeof(p->given), "%s", json_string_value(given));
	s = str_member(json_object_get(json_array_get(json_object_get(pr, "qualification"), 0),
				       "code"), "text");
	if (s)
		snprintf(p->profession, sizeof(p->profession), "%s", s);
	return 0;
}

int erx_presc_parse(json_t *bundle, struct erx_presc *p, char *err, size_t errlen)
{
	const json_t *rg, *pat, *pr, *actions, *a, *name, *given, *ids, *id;
	size_t i;

	memset(p, 0, sizeof(*p));
	if (!erx_bundle_kind(bundle) || strcmp(erx_bundle_kind(bundle), "prescription") != 0) {
		snprintf(err, errlen, "not a prescription Bundle");
		return -1;
	}
	p->bundle_id = erx_bundle_id(bundle);
	p->timestamp = str_member(bundle, "timestamp");
	rg = by_url(bundle, erx_entry_fullurl(bundle, "RequestGroup"));
	pat = by_url(bundle, reference(rg, "subject"));
	p->prescriber_fullurl = reference(rg, "author");
	pr = by_url(bundle, p->prescriber_fullurl);
	if (!pat || !str_member(pat, "resourceType") ||
	    strcmp(str_member(pat, "resourceType"), "Patient") != 0) {
		snprintf(err, errlen, "the RequestGroup's subject is not a Patient of the bundle");
		return -1;
	}
	if (!pr || !str_member(pr, "resourceType") ||
	    strcmp(str_member(pr, "resourceType"), "Practitioner") != 0 ||
	    practitioner_person(pr, &p->prescriber)) {
		snprintf(err, errlen, "the RequestGroup's author is not a Practitioner with a "
			 "national id in the bundle");
		return -1;
	}
	name = json_array_get(json_object_get(pat, "name"), 0);
	p->patient_family = str_member(name, "family");
	given = json_array_get(json_object_get(name, "given"), 0);
	p->patient_given = json_is_string(given) ? json_string_value(given) : NULL;
	p->patient_birth = str_member(pat, "birthDate");
	p->patient_gender = str_member(pat, "gender");
	ids = json_object_get(pat, "identifier");
	json_array_foreach(ids, i, id)
		if (!p->patient_ins && str_member(id, "value"))
			p->patient_ins = str_member(id, "value");
	actions = json_object_get(rg, "action");
	if (!json_is_array(actions) || !json_array_size(actions) || json_array_size(actions) > 99) {
		snprintf(err, errlen, "the RequestGroup has no actions (or too many)");
		return -1;
	}
	p->lines = calloc(json_array_size(actions), sizeof(*p->lines));
	if (!p->lines) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	json_array_foreach(actions, i, a) {
		const json_t *mr = by_url(bundle, reference(a, "resource")), *med, *coding, *q, *lid;
		struct erx_pline *l = &p->lines[i];

		if (!mr || !str_member(mr, "resourceType") ||
		    strcmp(str_member(mr, "resourceType"), "MedicationRequest") != 0) {
			snprintf(err, errlen, "action %zu is not a MedicationRequest of the bundle",
				 i + 1);
			goto bad;
		}
		lid = json_array_get(json_object_get(mr, "identifier"), 0);
		l->line = str_member(lid, "value");
		if (!l->line || !str_member(lid, "system") ||
		    strcmp(str_member(lid, "system"), LINE_SYSTEM) != 0) {
			snprintf(err, errlen, "MedicationRequest %zu has no line identifier", i + 1);
			goto bad;
		}
		for (size_t k = 0; k < i; k++)
			if (strcmp(p->lines[k].line, l->line) == 0) {
				snprintf(err, errlen, "line %.20s appears twice", l->line);
				goto bad;
			}
		med = by_url(bundle, reference(mr, "medicationReference"));
		coding = json_array_get(json_object_get(json_object_get(med, "code"), "coding"), 0);
		l->system = str_member(coding, "system");
		l->code = str_member(coding, "code");
		l->display = str_member(coding, "display");
		if (!l->code) {
			snprintf(err, errlen, "line %.20s: no medication code", l->line);
			goto bad;
		}
		l->dosage = str_member(json_array_get(json_object_get(mr, "dosageInstruction"), 0),
				       "text");
		q = json_object_get(json_object_get(mr, "dispenseRequest"), "quantity");
		l->unit = str_member(q, "unit");
		if (quantity_of(json_object_get(q, "value"), &l->quantity)) {
			snprintf(err, errlen, "line %.20s: no valid quantity", l->line);
			goto bad;
		}
		l->substitution = json_is_true(json_object_get(json_object_get(mr, "substitution"),
							       "allowedBoolean"));
		p->nlines++;
	}
	return 0;
bad:
	erx_presc_free(p);
	return -1;
}

void erx_presc_free(struct erx_presc *p)
{
	free(p->lines);
	p->lines = NULL;
	p->nlines = 0;
}

/* ---------------------------------------------------------- dispensation */

json_t *erx_dispensation_bundle(const char *prescription_id, const struct erx_presc *p,
				const struct erx_person *pharmacist,
				const struct erx_dline *lines, size_t n, const char *timestamp,
				char *err, size_t errlen)
{
	char prac_url[ERX_URN_UUID_LEN];
	json_t *b, *entries;

	for (size_t i = 0; i < n; i++) {
		const struct erx_pline *pl = NULL;

		for (size_t k = 0; k < p->nlines; k++)
			if (strcmp(p->lines[k].line, lines[i].line) == 0)
				pl = &p->lines[k];
		if (!pl) {
			snprintf(err, errlen, "the prescription has no line \"%.20s\"", lines[i].line);
			return NULL;
		}
		if (lines[i].sub_code && !pl->substitution) {
			snprintf(err, errlen, "line %.20s: the prescriber did not allow substitution",
				 pl->line);
			return NULL;
		}
	}
	b = bundle_shell(timestamp);
	if (!b || erx_urn_uuid(prac_url)) {
		json_decref(b);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	entries = json_object_get(b, "entry");
	json_array_append_new(entries, entry(prac_url, erx_practitioner(pharmacist)));
	for (size_t i = 0; i < n; i++) {
		const struct erx_pline *pl = NULL;
		char url[ERX_URN_UUID_LEN], lid[64], disp[40];
		json_t *md, *sub;

		for (size_t k = 0; k < p->nlines; k++)
			if (strcmp(p->lines[k].line, lines[i].line) == 0)
				pl = &p->lines[k];
		if (!pl || erx_urn_uuid(url))
			goto fail;
		snprintf(lid, sizeof(lid), "%s/%s", prescription_id, pl->line);
		snprintf(disp, sizeof(disp), "line %s", pl->line);
		if (lines[i].sub_code)
			sub = json_pack("{s:b, s:{s:[{s:s, s:s, s:s}]}}", "wasSubstituted", 1, "type",
					"coding", "system",
					"http://terminology.hl7.org/CodeSystem/v3-ActCode", "code", "G",
					"display", "generic composition");
		else
			sub = json_pack("{s:b}", "wasSubstituted", 0);
		md = json_pack("{s:s, s:s, s:[{s:s, s:s}], s:[{s:{s:s, s:s}, s:s}],"
			       " s:[{s:o}], s:{s:I, s:s}, s:{s:[{s:s, s:s, s:s}]}, s:s, s:o}",
			       "resourceType", "MedicationDispense", "status", "completed",
			       "identifier", "system", LINE_SYSTEM, "value", lid,
			       "authorizingPrescription", "identifier", "system", PRESC_SYSTEM,
			       "value", prescription_id, "display", disp,
			       "performer", "actor", ref(prac_url),
			       "quantity", "value", (json_int_t)lines[i].quantity,
			       "unit", pl->unit ? pl->unit : "unit",
			       "medicationCodeableConcept", "coding",
			       "system", lines[i].sub_code ? lines[i].sub_system :
				       (pl->system ? pl->system : ""),
			       "code", lines[i].sub_code ? lines[i].sub_code : pl->code,
			       "display", lines[i].sub_code ? lines[i].sub_display :
				       (pl->display ? pl->display : pl->code),
			       "whenHandedOver", timestamp, "substitution", sub);
		if (!md)
			goto fail;
		json_array_append_new(entries, entry(url, md));
	}
	return b;
fail:
	json_decref(b);
	snprintf(err, errlen, "out of memory");
	return NULL;
}
