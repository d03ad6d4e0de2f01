/*
 * fuzz_vitale_render.c - libFuzzer target over santecard-vitale's whole parsing
 * and rendering path: the card's two files (identity and NIRs) through
 * stc_vitale_parse, then every output santecard-vitale makes of them: the JSON
 * document, FHIR, HL7 and text, and the error documents of every outcome.
 *
 * Input layout as fuzz_vitale.c (its seeds fit): byte 0 = length of the NIR
 * file at the end (0xFF: no NIR file). Byte 1, when there is one, also picks the
 * INS system and the outcome rendered for the error documents.
 *
 * Invariants beyond "does not crash":
 *  - the JSON and FHIR documents are well-formed JSON (a strict RFC 8259 checker
 *    below: no raw control characters, valid escapes and UTF-8);
 *  - each HL7 line is a PID segment with exactly 32 fields (no delimiter leaks
 *    from a name) and no control characters;
 *  - the text output has no control character other than newline;
 *  - a NIR whose key does not check gets no INS anywhere: no identifier in FHIR,
 *    an empty PID-3.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vitale.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

void stc_log(stc_log_level level, const char *fmt, ...)
{
	(void)level;
	(void)fmt;
}

/* ---------------------------------------------- a strict JSON checker */

struct js { const unsigned char *p, *end; int depth; };

static int js_value(struct js *j);

static void js_ws(struct js *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int js_lit(struct js *j, const char *s)
{
	size_t n = strlen(s);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, s, n))
		return 0;
	j->p += n;
	return 1;
}

/* One UTF-8 sequence (RFC 3629: no overlong forms, no surrogates). */
static int js_utf8(struct js *j)
{
	unsigned c = *j->p, n, cp, i;

	if (c < 0x80) {
		j->p++;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF)
		n = 1, cp = c & 0x1F;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 2, cp = c & 0x0F;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 3, cp = c & 0x07;
	else
		return 0;
	if ((size_t)(j->end - j->p) <= n)
		return 0;
	for (i = 1; i <= n; i++) {
		if ((j->p[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (j->p[i] & 0x3F);
	}
	if ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
	    (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	j->p += n + 1;
	return 1;
}

static int js_string(struct js *j)
{
	if (!js_lit(j, "\""))
		return 0;
	while (j->p < j->end && *j->p != '"') {
		if (*j->p < 0x20)
			return 0;
		if (*j->p == '\\') {
			j->p++;
			if (j->p >= j->end)
				return 0;
			if (*j->p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (j->p + i >= j->end || !strchr("0123456789abcdefABCDEF", j->p[i]) ||
					    j->p[i] == 0)
						return 0;
				j->p += 5;
			} else if (strchr("\"\\/bfnrt", *j->p) && *j->p) {
				j->p++;
			} else {
				return 0;
			}
			continue;
		}
		if (!js_utf8(j))
			return 0;
	}
	return js_lit(j, "\"");
}

static int js_number(struct js *j)
{
	const unsigned char *s = j->p;

	if (j->p < j->end && *j->p == '-')
		j->p++;
	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return j->p > s && s[s[0] == '-'] >= '0' && s[s[0] == '-'] <= '9';
}

static int js_members(struct js *j, int object)
{
	js_ws(j);
	if (js_lit(j, object ? "}" : "]"))
		return 1;
	for (;;) {
		js_ws(j);
		if (object) {
			if (!js_string(j))
				return 0;
			js_ws(j);
			if (!js_lit(j, ":"))
				return 0;
		}
		if (!js_value(j))
			return 0;
		js_ws(j);
		if (js_lit(j, ","))
			continue;
		return js_lit(j, object ? "}" : "]");
	}
}

static int js_value(struct js *j)
{
	int ok;

	js_ws(j);
	if (j->p >= j->end || ++j->depth > 32)
		return 0;
	if (*j->p == '{' || *j->p == '[') {
		int object = *j->p == '{';

		j->p++;
		ok = js_members(j, object);
	} else if (*j->p == '"') {
		ok = js_string(j);
	} else if (js_lit(j, "true") || js_lit(j, "false") || js_lit(j, "null")) {
		ok = 1;
	} else {
		ok = js_number(j);
	}
	j->depth--;
	return ok;
}

static void check_json(const struct sbuf *b)
{
	struct js j = { (const unsigned char *)b->p, (const unsigned char *)b->p + b->len, 0 };

	CHECK(!b->oom && b->p != NULL);
	CHECK(js_value(&j));
	js_ws(&j);
	CHECK(j.p == j.end);
}

/* --------------------------------------------------------- the others */

static void check_hl7(const struct sbuf *b, const struct vcard *v)
{
	const char *p = sb_str(b);
	size_t lines = 0;

	CHECK(!b->oom);
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t pipes = 0;

		CHECK(nl != NULL && !strncmp(p, "PID|", 4));
		for (const char *q = p; q < nl; q++) {
			CHECK((unsigned char)*q >= 0x20 && *q != 0x7F);
			pipes += *q == '|';
		}
		CHECK(pipes == 32);
		/* PID-3 empty exactly when the NIR gives no INS */
		{
			const char *f3 = p;

			for (int k = 0; k < 3; k++)
				f3 = strchr(f3, '|') + 1;
			CHECK((*f3 == '|') == !(v->ben[lines].nir[0] && v->ben[lines].nir_valid));
		}
		lines++;
		p = nl + 1;
	}
	CHECK(lines == v->count);
}

static void check_text(const struct sbuf *b)
{
	CHECK(!b->oom);
	for (const unsigned char *p = (const unsigned char *)sb_str(b); *p; p++)
		CHECK(*p == '\n' || (*p >= 0x20 && *p != 0x7F));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vcard v;
	static const stc_ins_system systems[] = { STC_INS_NIR_TEST, STC_INS_NIR, STC_INS_NIR_DEMO };
	const uint8_t *identity, *nirs = NULL;
	size_t identity_len, nirs_len = 0;
	struct render_opts o = { STC_INS_NIR_TEST };
	struct sbuf b;
	stc_rv rv;

	if (size < 1)
		return 0;
	identity = data + 1;
	identity_len = size - 1;
	if (data[0] != 0xFF) {
		nirs_len = data[0] < identity_len ? data[0] : identity_len;
		identity_len -= nirs_len;
		nirs = identity + identity_len;
	}
	if (size > 1)
		o.ins = systems[data[1] % 3];

	memset(&v, 0, sizeof(v));
	strcpy(v.reader, "Fuzz \"reader\" \\ <1>");
	v.kind = STC_CARD_VITALE2;
	strcpy(v.card_name, "carte Vitale 2");
	v.atr_len = 10;
	rv = stc_vitale_parse(identity, identity_len, nirs, nirs_len, v.ben,
			      STC_VITALE_MAX_BENEFICIARIES, &v.count);
	sb_init(&b);
	if (rv == STC_OK) {
		size_t bad = 0;

		v.result = VC_OK;
		render_json_card(&b, &v, &o);
		check_json(&b);
		for (size_t i = 0; i < v.count; i++)
			bad += v.ben[i].nir[0] && !v.ben[i].nir_valid;
		CHECK(vcard_bad_nirs(&v) == bad);
		sb_reset(&b);
		render_fhir(&b, &v, &o);
		check_json(&b);
		/* one identifier per INS: as many as NIRs whose key checks */
		{
			size_t ids = 0;

			/* inside a JSON string every quote is escaped: ,"identifier":[
			 * can only be the member itself */
			for (const char *p = sb_str(&b); (p = strstr(p, ",\"identifier\":[")) != NULL; p++)
				ids++;
			CHECK(ids == (nirs ? v.count - bad : 0));
		}
		sb_reset(&b);
		render_hl7(&b, &v, &o);
		check_hl7(&b, &v);
		sb_reset(&b);
		render_text(&b, &v, &o);
		check_text(&b);
	} else {
		/* every error outcome renders to valid JSON without personal data */
		v.result = size > 1 ? (enum vcard_result)(1 + data[1] % 5) : VC_UNREADABLE;
		v.rv = rv;
		render_json_card(&b, &v, &o);
		check_json(&b);
		sb_reset(&b);
		render_text(&b, &v, &o);
		check_text(&b);
	}
	sb_reset(&b);
	render_json_removed(&b, v.reader);
	check_json(&b);
	sb_free(&b);
	vcard_wipe(&v);
	return 0;
}
