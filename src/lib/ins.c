/*
 * ins.c - the NIR key and the INS identifier renderings (HL7 v2 CX, FHIR).
 *
 * NIR form (/work/shared/reference/cards.md §2.5, services.md §5.1):
 *   sex(1) year(2) month(2) department(2) commune(3) order(3) [key(2)]
 *  - sex: 1..8. cards.md lists 1/2 (male/female), 7/8 (provisional numbers) and
 *    3/4 (cited for centenarians); 5/6 are accepted too since the key is what
 *    protects the number and no source rules them out. 0 and 9 are refused.
 *  - year and month: any two digits. Like python-stdnum (stdnum/fr/nir.py, which
 *    checks only digits, 2A/2B and the key), no range check on the month: NIRs of
 *    people whose month of birth is unknown use values outside 01..12.
 *  - department: two digits or "2A"/"2B" (Corsica, upper case as issued);
 *    overseas departments use 3 digits + 2 for the commune, which is the same
 *    5-digit run, so nothing special is needed for them.
 *  - commune, order: digits.
 *  - key = 97 - (N mod 97), N the 13 characters read as a number with 2A as 19
 *    and 2B as 18 ([STDNUM] calc_check_digits). N < 10^13 fits in 64 bits.
 * The same form is used for an NIA (INS-NIA, temporary number from the SNGI):
 * cards.md §2.6 describes the INS matricule as "the NIR (or NIA) as 15 characters".
 *
 * The NIR is personal data: the debug log says what is wrong, never the number.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "santecard.h"

/* ----------------------------------------------------------------- NIR */

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* First 13 characters of s (which must hold at least that many before any NUL)
 * mod 97, or -1 when they do not have the NIR form. */
static int nir13_mod97(const char *s)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < 13; i++)
		if (s[i] == '\0')
			return -1;
	if (s[0] < '1' || s[0] > '8')
		return -1;
	for (i = 0; i < 13; i++) {
		if (i == 5 && s[5] == '2' && (s[6] == 'A' || s[6] == 'B')) {
			n = n * 100 + (s[6] == 'A' ? 19 : 18);
			i++;  /* the department's second character is consumed too */
			continue;
		}
		if (!is_digit(s[i]))
			return -1;
		n = n * 10 + (uint64_t)(s[i] - '0');
	}
	return (int)(n % 97);
}

stc_rv stc_nir_key(const char *nir13, int *key)
{
	int m;

	if (nir13 == NULL || key == NULL)
		return STC_ERR_INVALID_ARGS;
	m = nir13_mod97(nir13);
	if (m < 0 || nir13[13] != '\0')
		return STC_ERR_INVALID_DATA;
	*key = 97 - m;
	return STC_OK;
}

stc_rv stc_nir_check(const char *nir15)
{
	int m;

	if (nir15 == NULL)
		return STC_ERR_INVALID_ARGS;
	m = nir13_mod97(nir15);
	if (m < 0 || !is_digit(nir15[13]) || !is_digit(nir15[14]) || nir15[15] != '\0') {
		stc_log(STC_LOG_DEBUG, "NIR: not of the NIR form (15 characters: sex 1-8, "
			"digits, department digits or 2A/2B, 2-digit key)");
		return STC_ERR_INVALID_DATA;
	}
	if ((nir15[13] - '0') * 10 + (nir15[14] - '0') != 97 - m) {
		stc_log(STC_LOG_DEBUG, "NIR: the key does not match the number");
		return STC_ERR_INVALID_DATA;
	}
	return STC_OK;
}

/* ----------------------------------------------------------------- INS */

/*
 * One row per stc_ins_system (same order as the enum).
 *
 * OIDs: FR Core FRCorePatientINSProfile.fsh (cards.md §2.6, services.md §5.1).
 *
 * HL7 v2 CX.4 assigning authority (namespace&OID&ISO) and CX.5 "INS":
 *  - NIR: "ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.8&ISO^INS" (cards.md §2.6, CI-SIS samples);
 *  - NIR TEST: same namespace with ...4.10 (cards.md §2.6; public IHE France PAM
 *    test messages carry "ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS");
 *  - NIA: "ASIP-SANTE-INS-NIA&1.2.250.1.213.1.4.9&ISO^INS", as in the same public
 *    PAM test messages (PID-3 repetitions next to the INS-NIR);
 *  - NIR DEMO: no sample found; by analogy with TEST, namespace
 *    "ASIP-SANTE-INS-NIR" with ...4.11 (a choice).
 *
 * FHIR: FR Core (github.com/Interop-Sante/hl7.fhir.fr.core,
 * input/fsh/profiles/FRCorePatientINSProfile.fsh, rendered at
 * https://build.fhir.org/ig/Interop-Sante/hl7.fhir.fr.core/StructureDefinition-fr-core-patient-ins.html)
 * defines the identifier slices INS-NIR, INS-NIA, INS-NIR-TEST, INS-NIR-DEMO with
 *   type   = $fr-core-v2-0203#<slice name>, the alias (input/fsh/aliases.fsh) being
 *            https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203, whose codes
 *            (input/fsh/codesystems/FRCoreCodeSystemv2-0203.fsh) are exactly
 *            INS-NIR, INS-NIA, INS-NIR-TEST, INS-NIR-DEMO;
 *   system = urn:oid:<OID>;
 *   use    = official for INS-NIR (required binding to a value set also allowing "old"),
 *            INS-NIR-TEST and INS-NIR-DEMO (fixed #official), temp for INS-NIA (fixed #temp).
 * The pattern gives system and code only, so no display is written.
 */
static const struct ins_row {
	const char *oid;
	const char *hl7_namespace;
	const char *fhir_code;
	const char *fhir_use;
} INS_ROWS[] = {
	[STC_INS_NIR] = { "1.2.250.1.213.1.4.8", "ASIP-SANTE-INS-NIR", "INS-NIR", "official" },
	[STC_INS_NIA] = { "1.2.250.1.213.1.4.9", "ASIP-SANTE-INS-NIA", "INS-NIA", "temp" },
	[STC_INS_NIR_TEST] = { "1.2.250.1.213.1.4.10", "ASIP-SANTE-INS-NIR", "INS-NIR-TEST",
			       "official" },
	[STC_INS_NIR_DEMO] = { "1.2.250.1.213.1.4.11", "ASIP-SANTE-INS-NIR", "INS-NIR-DEMO",
			       "official" },
};
#define INS_ROW_COUNT (sizeof(INS_ROWS) / sizeof(INS_ROWS[0]))

#define FR_CORE_V2_0203 "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203"

static const struct ins_row *ins_row(stc_ins_system sys)
{
	/* compare as unsigned: an out-of-range enum value may be negative */
	if ((unsigned)sys >= INS_ROW_COUNT)
		return NULL;
	return &INS_ROWS[sys];
}

const char *stc_ins_oid(stc_ins_system sys)
{
	const struct ins_row *r = ins_row(sys);

	return r ? r->oid : NULL;
}

/*
 * Bounded text writer: counts every byte it is asked to write, stores only those
 * that fit in cap - 1 (room for the NUL). out_finish() then either terminates the
 * text or, when it did not fit, empties the buffer and says so. Nothing is ever
 * written at or past out[cap].
 */
struct text_out {
	char *p;
	size_t cap;
	size_t len;  /* bytes wanted so far (may exceed cap) */
};

static void out_bytes(struct text_out *o, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++, o->len++)
		if (o->cap > 0 && o->len < o->cap - 1)
			o->p[o->len] = s[i];
}

static void out_str(struct text_out *o, const char *s)
{
	out_bytes(o, s, strlen(s));
}

/* A JSON string (RFC 8259 §7): quotes, backslash and C0 controls escaped; other
 * bytes (UTF-8 included) as they are. */
static void out_json_string(struct text_out *o, const char *s)
{
	static const char hexd[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;

	out_bytes(o, "\"", 1);
	for (; *u; u++) {
		char esc[6];

		if (*u == '"' || *u == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*u;
			out_bytes(o, esc, 2);
		} else if (*u < 0x20) {
			esc[0] = '\\';
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hexd[*u >> 4];
			esc[5] = hexd[*u & 0x0F];
			out_bytes(o, esc, 6);
		} else {
			out_bytes(o, (const char *)u, 1);
		}
	}
	out_bytes(o, "\"", 1);
}

static stc_rv out_finish(struct text_out *o)
{
	if (o->len >= o->cap) {
		if (o->cap > 0)
			o->p[0] = '\0';
		return STC_ERR_BUFFER_TOO_SMALL;
	}
	o->p[o->len] = '\0';
	return STC_OK;
}

/* Common argument checks of the two renderings. */
static stc_rv ins_args(const char *nir15, stc_ins_system sys, const char *out,
		       const struct ins_row **row)
{
	if (nir15 == NULL || out == NULL || (*row = ins_row(sys)) == NULL)
		return STC_ERR_INVALID_ARGS;
	return stc_nir_check(nir15);
}

stc_rv stc_ins_hl7_cx(const char *nir15, stc_ins_system sys, char *out, size_t outlen)
{
	const struct ins_row *r = NULL;
	struct text_out o = { out, outlen, 0 };
	stc_rv rv = ins_args(nir15, sys, out, &r);

	if (rv != STC_OK)
		return rv;
	/* CX: ID ^ check digit ^ scheme ^ assigning authority (HD: namespace & OID & ISO)
	 * ^ identifier type code. The NIR holds only digits and 2A/2B: nothing to escape. */
	out_str(&o, nir15);
	out_str(&o, "^^^");
	out_str(&o, r->hl7_namespace);
	out_str(&o, "&");
	out_str(&o, r->oid);
	out_str(&o, "&ISO^INS");
	return out_finish(&o);
}

stc_rv stc_ins_fhir_identifier(const char *nir15, stc_ins_system sys, char *out, size_t outlen)
{
	const struct ins_row *r = NULL;
	struct text_out o = { out, outlen, 0 };
	stc_rv rv = ins_args(nir15, sys, out, &r);

	if (rv != STC_OK)
		return rv;
	out_str(&o, "{\"use\":");
	out_json_string(&o, r->fhir_use);
	out_str(&o, ",\"type\":{\"coding\":[{\"system\":");
	out_json_string(&o, FR_CORE_V2_0203);
	out_str(&o, ",\"code\":");
	out_json_string(&o, r->fhir_code);
	out_str(&o, "}]},\"system\":");
	out_bytes(&o, "\"urn:oid:", 9);
	out_str(&o, r->oid);
	out_str(&o, "\",\"value\":");
	out_json_string(&o, nir15);
	out_str(&o, "}");
	return out_finish(&o);
}
