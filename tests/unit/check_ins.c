/* check_ins.c - unit tests for src/lib/ins.c: the NIR key, stc_nir_check, the INS
 * OIDs and the HL7 v2 CX and FHIR Identifier renderings. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "santecard.h"
#include "check_util.h"

/* ------------------------------------------------------------------ vectors */

/* cards.md §2.5 and services.md §5.1: 13 characters and the key. */
static const struct {
	const char *nir13;
	int key;
} KEYS[] = {
	{ "2951099126111", 93 },  /* python-stdnum doctest */
	{ "253072B073004", 70 },  /* python-stdnum doctest, Haute-Corse (2B -> 18) */
	{ "253072A073004", 43 },  /* python-stdnum doctest, Corse-du-Sud (2A -> 19) */
	{ "2550814168025", 38 },  /* aymericbouzy/french-ssn README */
	{ "2070585756270", 97 },  /* services.md §5.1, DMP example INS: N mod 97 = 0 */
	{ "1810163220751", 40 },  /* services.md §5.1 */
	/* the simulator's profiles (firmware/profiles/vitale-*.profile) */
	{ "1850675115123", 80 },
	{ "1790369123045", 35 },
	{ "281112A004018", 15 },
	{ "2120769383112", 24 },
};
#define NKEYS (sizeof(KEYS) / sizeof(KEYS[0]))

START_TEST(test_key_vectors)
{
	int key = -1;

	ck_assert_int_eq(stc_nir_key(KEYS[_i].nir13, &key), STC_OK);
	ck_assert_int_eq(key, KEYS[_i].key);
}
END_TEST

/* The same vectors as 15 characters check; any other key does not. */
START_TEST(test_check_vectors)
{
	char nir[16];
	int k;

	for (k = 0; k <= 99; k++) {
		snprintf(nir, sizeof(nir), "%s%02d", KEYS[_i].nir13, k);
		ck_assert_int_eq(stc_nir_check(nir),
				 k == KEYS[_i].key ? STC_OK : STC_ERR_INVALID_DATA);
	}
}
END_TEST

START_TEST(test_key_forms)
{
	int key = -1;

	/* sex 1..8 accepted (1/2, 3/4, 7/8 in cards.md §2.5), 0 and 9 refused */
	ck_assert_int_eq(stc_nir_key("7800199999999", &key), STC_OK);
	ck_assert_int_eq(key, 31);
	ck_assert_int_eq(stc_nir_key("8991299999999", &key), STC_OK);
	ck_assert_int_eq(key, 2);
	ck_assert_int_eq(stc_nir_check("899129999999902"), STC_OK);
	/* month not range-checked (unknown months use other values), like python-stdnum */
	ck_assert_int_eq(stc_nir_key("1004213123456", &key), STC_OK);
	ck_assert_int_eq(key, 5);
	key = -1;
	ck_assert_int_eq(stc_nir_key("0800199999999", &key), STC_ERR_INVALID_DATA);
	ck_assert_int_eq(stc_nir_key("9800199999999", &key), STC_ERR_INVALID_DATA);
	ck_assert_int_eq(key, -1);  /* untouched on error */
}
END_TEST

/* Malformed NIRs: wrong length, letters, Corsica codes in the wrong place or case. */
static const char *const BAD13[] = {
	"",
	"295109912611",      /* 12 */
	"29510991261111",    /* 14 */
	"2951099126111 ",
	" 951099126111",
	"2 95 10 99 126",
	"295109912611X",
	"253072C073004",     /* 2C */
	"253072a073004",     /* lower case */
	"2530A2B073004",
	"25307AB073004",
	"253072AB73004",     /* 2A then a letter */
	"2A3072B073004",
	"-95109912611",
	"295109912611\xC3",   /* a Latin-1 byte */
};
#define NBAD13 (sizeof(BAD13) / sizeof(BAD13[0]))

START_TEST(test_key_malformed)
{
	int key = -1;

	ck_assert_int_eq(stc_nir_key(BAD13[_i], &key), STC_ERR_INVALID_DATA);
	ck_assert_int_eq(key, -1);
}
END_TEST

static const char *const BAD15[] = {
	"",
	"29510991261119",      /* 14 */
	"2951099126111930",    /* 16 */
	"29510991261119X",
	"2951099126111 93",
	"2 95 10 99 126 111 93",
	"253072C07300443",
	"253072a07300443",
	"253072b07300470",
	"095109912611193",
	"295109912611199",     /* python-stdnum doctest: bad check digit */
	"295109912611100",
	"2070585756270 0",     /* key 97 written with a blank */
	"207058575627000",     /* 97 is not written 00 */
};
#define NBAD15 (sizeof(BAD15) / sizeof(BAD15[0]))

START_TEST(test_check_malformed)
{
	ck_assert_int_eq(stc_nir_check(BAD15[_i]), STC_ERR_INVALID_DATA);
}
END_TEST

START_TEST(test_check_corsica)
{
	/* python-stdnum doctests: 2A and 2B with their keys, and swapped */
	ck_assert_int_eq(stc_nir_check("253072B07300470"), STC_OK);
	ck_assert_int_eq(stc_nir_check("253072A07300443"), STC_OK);
	ck_assert_int_eq(stc_nir_check("253072B07300443"), STC_ERR_INVALID_DATA);
	ck_assert_int_eq(stc_nir_check("253072A07300470"), STC_ERR_INVALID_DATA);
	/* the simulator's Corsican beneficiary (vitale-family.profile) */
	ck_assert_int_eq(stc_nir_check("281112A00401815"), STC_OK);
	/* 2A is read as 19: the same number with department 19 has the same key */
	ck_assert_int_eq(stc_nir_check("281111900401815"), STC_OK);
	ck_assert_int_eq(stc_nir_check("281111800401815"), STC_ERR_INVALID_DATA);
}
END_TEST

START_TEST(test_nir_args)
{
	int key = 0;

	ck_assert_int_eq(stc_nir_key(NULL, &key), STC_ERR_INVALID_ARGS);
	ck_assert_int_eq(stc_nir_key("2951099126111", NULL), STC_ERR_INVALID_ARGS);
	ck_assert_int_eq(stc_nir_check(NULL), STC_ERR_INVALID_ARGS);
}
END_TEST

/* --------------------------------------------------------------------- OIDs */

START_TEST(test_oids)
{
	ck_assert_str_eq(stc_ins_oid(STC_INS_NIR), "1.2.250.1.213.1.4.8");
	ck_assert_str_eq(stc_ins_oid(STC_INS_NIA), "1.2.250.1.213.1.4.9");
	ck_assert_str_eq(stc_ins_oid(STC_INS_NIR_TEST), "1.2.250.1.213.1.4.10");
	ck_assert_str_eq(stc_ins_oid(STC_INS_NIR_DEMO), "1.2.250.1.213.1.4.11");
	ck_assert_ptr_null(stc_ins_oid((stc_ins_system)4));
	ck_assert_ptr_null(stc_ins_oid((stc_ins_system)-1));
}
END_TEST

/* ----------------------------------------------------------------------- CX */

#define DMP_INS "207058575627097"  /* services.md §5.1, key 97 */

static const struct {
	stc_ins_system sys;
	const char *cx;
} CX[] = {
	{ STC_INS_NIR, DMP_INS "^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.8&ISO^INS" },
	{ STC_INS_NIA, DMP_INS "^^^ASIP-SANTE-INS-NIA&1.2.250.1.213.1.4.9&ISO^INS" },
	{ STC_INS_NIR_TEST, DMP_INS "^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS" },
	{ STC_INS_NIR_DEMO, DMP_INS "^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.11&ISO^INS" },
};
#define NCX (sizeof(CX) / sizeof(CX[0]))

START_TEST(test_cx)
{
	char out[128];

	memset(out, 'x', sizeof(out));
	ck_assert_int_eq(stc_ins_hl7_cx(DMP_INS, CX[_i].sys, out, sizeof(out)), STC_OK);
	ck_assert_str_eq(out, CX[_i].cx);
}
END_TEST

START_TEST(test_cx_corsica)
{
	char out[96];

	ck_assert_int_eq(stc_ins_hl7_cx("253072B07300470", STC_INS_NIR, out, sizeof(out)), STC_OK);
	ck_assert_str_eq(out, "253072B07300470^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.8&ISO^INS");
}
END_TEST

START_TEST(test_cx_errors)
{
	char out[96] = "unchanged";

	ck_assert_int_eq(stc_ins_hl7_cx(NULL, STC_INS_NIR, out, sizeof(out)),
			 STC_ERR_INVALID_ARGS);
	ck_assert_int_eq(stc_ins_hl7_cx(DMP_INS, STC_INS_NIR, NULL, 96), STC_ERR_INVALID_ARGS);
	ck_assert_int_eq(stc_ins_hl7_cx(DMP_INS, (stc_ins_system)4, out, sizeof(out)),
			 STC_ERR_INVALID_ARGS);
	ck_assert_int_eq(stc_ins_hl7_cx(DMP_INS, (stc_ins_system)-1, out, sizeof(out)),
			 STC_ERR_INVALID_ARGS);
	/* bad key, bad form: refused before anything is written */
	ck_assert_int_eq(stc_ins_hl7_cx("207058575627096", STC_INS_NIR, out, sizeof(out)),
			 STC_ERR_INVALID_DATA);
	ck_assert_int_eq(stc_ins_hl7_cx("2070585756270", STC_INS_NIR, out, sizeof(out)),
			 STC_ERR_INVALID_DATA);
	ck_assert_int_eq(stc_ins_hl7_cx("207058575627097^", STC_INS_NIR, out, sizeof(out)),
			 STC_ERR_INVALID_DATA);
	ck_assert_str_eq(out, "unchanged");
}
END_TEST

/* ---------------------------------------------------------------------- FHIR */

#define FR_CORE_CS "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203"

static const struct {
	stc_ins_system sys;
	const char *json;
} FHIR[] = {
	{ STC_INS_NIR,
	  "{\"use\":\"official\",\"type\":{\"coding\":[{\"system\":\"" FR_CORE_CS "\","
	  "\"code\":\"INS-NIR\"}]},\"system\":\"urn:oid:1.2.250.1.213.1.4.8\","
	  "\"value\":\"" DMP_INS "\"}" },
	{ STC_INS_NIA,
	  "{\"use\":\"temp\",\"type\":{\"coding\":[{\"system\":\"" FR_CORE_CS "\","
	  "\"code\":\"INS-NIA\"}]},\"system\":\"urn:oid:1.2.250.1.213.1.4.9\","
	  "\"value\":\"" DMP_INS "\"}" },
	{ STC_INS_NIR_TEST,
	  "{\"use\":\"official\",\"type\":{\"coding\":[{\"system\":\"" FR_CORE_CS "\","
	  "\"code\":\"INS-NIR-TEST\"}]},\"system\":\"urn:oid:1.2.250.1.213.1.4.10\","
	  "\"value\":\"" DMP_INS "\"}" },
	{ STC_INS_NIR_DEMO,
	  "{\"use\":\"official\",\"type\":{\"coding\":[{\"system\":\"" FR_CORE_CS "\","
	  "\"code\":\"INS-NIR-DEMO\"}]},\"system\":\"urn:oid:1.2.250.1.213.1.4.11\","
	  "\"value\":\"" DMP_INS "\"}" },
};
#define NFHIR (sizeof(FHIR) / sizeof(FHIR[0]))

/* A strict little JSON syntax checker (RFC 8259: objects, arrays, strings,
 * literals, numbers) that also collects the top-level object's "system" and
 * "value" strings. Returns the position after the value, or NULL. */
struct jctx {
	int depth;
	char system[128], value[32];
};

static const char *j_value(const char *p, struct jctx *c, const char *key);

static const char *j_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* String at p (which is '"'); its raw text into dst[cap] when dst is not NULL. */
static const char *j_string(const char *p, char *dst, size_t cap)
{
	size_t n = 0;

	if (*p++ != '"')
		return NULL;
	for (; *p != '"'; p++) {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				int i;
				for (i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
						return NULL;
				p += 4;
			} else if (!*p || !strchr("\"\\/bfnrt", *p)) {
				return NULL;
			}
		}
		if (dst != NULL && n + 1 < cap)
			dst[n++] = *p;
	}
	if (dst != NULL)
		dst[n] = '\0';
	return p + 1;
}

static const char *j_object(const char *p, struct jctx *c)
{
	p = j_ws(p + 1);
	if (*p == '}')
		return p + 1;
	for (;;) {
		char key[32];

		p = j_string(p, key, sizeof(key));
		if (p == NULL)
			return NULL;
		p = j_ws(p);
		if (*p++ != ':')
			return NULL;
		p = j_value(j_ws(p), c, c->depth == 1 ? key : NULL);
		if (p == NULL)
			return NULL;
		p = j_ws(p);
		if (*p == '}')
			return p + 1;
		if (*p++ != ',')
			return NULL;
		p = j_ws(p);
	}
}

static const char *j_array(const char *p, struct jctx *c)
{
	p = j_ws(p + 1);
	if (*p == ']')
		return p + 1;
	for (;;) {
		p = j_value(p, c, NULL);
		if (p == NULL)
			return NULL;
		p = j_ws(p);
		if (*p == ']')
			return p + 1;
		if (*p++ != ',')
			return NULL;
		p = j_ws(p);
	}
}

static const char *j_value(const char *p, struct jctx *c, const char *key)
{
	const char *r;

	if (c->depth > 16)
		return NULL;
	switch (*p) {
	case '{':
		c->depth++;
		r = j_object(p, c);
		c->depth--;
		return r;
	case '[':
		c->depth++;
		r = j_array(p, c);
		c->depth--;
		return r;
	case '"':
		if (key != NULL && strcmp(key, "system") == 0)
			return j_string(p, c->system, sizeof(c->system));
		if (key != NULL && strcmp(key, "value") == 0)
			return j_string(p, c->value, sizeof(c->value));
		return j_string(p, NULL, 0);
	default:
		if (strncmp(p, "true", 4) == 0 || strncmp(p, "null", 4) == 0)
			return p + 4;
		if (strncmp(p, "false", 5) == 0)
			return p + 5;
		if (*p == '-' || (*p >= '0' && *p <= '9')) {
			p += *p == '-';
			while ((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' || *p == 'E' ||
			       *p == '+' || *p == '-')
				p++;
			return p;
		}
		return NULL;
	}
}

/* Whole document: one object, nothing after it. */
static int json_check(const char *s, struct jctx *c)
{
	const char *end;

	memset(c, 0, sizeof(*c));
	if (*s != '{')
		return 0;
	end = j_value(s, c, NULL);
	return end != NULL && *j_ws(end) == '\0';
}

START_TEST(test_json_checker)
{
	struct jctx c;

	/* the checker itself: it must refuse what is not JSON */
	ck_assert(json_check("{\"a\":[1,true,null,\"x\\u00e9\"],\"value\":\"v\"}", &c));
	ck_assert_str_eq(c.value, "v");
	ck_assert(!json_check("{\"a\":1,}", &c));
	ck_assert(!json_check("{\"a\":\"b}", &c));
	ck_assert(!json_check("{\"a\":\"b\"} x", &c));
	ck_assert(!json_check("{\"a\" \"b\"}", &c));
	ck_assert(!json_check("{\"a\":\"\x01\"}", &c));
	ck_assert(!json_check("[]", &c));
}
END_TEST

START_TEST(test_fhir)
{
	char out[512];
	struct jctx c;
	size_t len;

	memset(out, 'x', sizeof(out));
	ck_assert_int_eq(stc_ins_fhir_identifier(DMP_INS, FHIR[_i].sys, out, sizeof(out)), STC_OK);
	ck_assert_str_eq(out, FHIR[_i].json);
	len = strlen(out);
	ck_assert_int_eq(out[0], '{');
	ck_assert_int_eq(out[len - 1], '}');
	ck_assert(json_check(out, &c));
	ck_assert_str_eq(c.value, DMP_INS);
	ck_assert_str_eq(c.system, FHIR[_i].sys == STC_INS_NIR ? "urn:oid:1.2.250.1.213.1.4.8"
				   : FHIR[_i].sys == STC_INS_NIA ? "urn:oid:1.2.250.1.213.1.4.9"
				   : FHIR[_i].sys == STC_INS_NIR_TEST ? "urn:oid:1.2.250.1.213.1.4.10"
				   : "urn:oid:1.2.250.1.213.1.4.11");
}
END_TEST

START_TEST(test_fhir_errors)
{
	char out[512] = "unchanged";

	ck_assert_int_eq(stc_ins_fhir_identifier(NULL, STC_INS_NIR, out, sizeof(out)),
			 STC_ERR_INVALID_ARGS);
	ck_assert_int_eq(stc_ins_fhir_identifier(DMP_INS, STC_INS_NIR, NULL, 512),
			 STC_ERR_INVALID_ARGS);
	ck_assert_int_eq(stc_ins_fhir_identifier(DMP_INS, (stc_ins_system)7, out, sizeof(out)),
			 STC_ERR_INVALID_ARGS);
	/* a quote would need escaping; it is refused as a NIR before that */
	ck_assert_int_eq(stc_ins_fhir_identifier("20705857562\"097", STC_INS_NIR, out,
						 sizeof(out)), STC_ERR_INVALID_DATA);
	ck_assert_int_eq(stc_ins_fhir_identifier("207058575627098", STC_INS_NIR, out,
						 sizeof(out)), STC_ERR_INVALID_DATA);
	ck_assert_str_eq(out, "unchanged");
}
END_TEST

/* ------------------------------------------------------- BUFFER_TOO_SMALL */

typedef stc_rv (*render_fn)(const char *, stc_ins_system, char *, size_t);

/* Every size below the needed one fails without writing past the size (guard
 * bytes after it stay), and leaves an empty string when there is room for one;
 * the exact size succeeds. */
static void check_sizes(render_fn f, const char *nir, stc_ins_system sys)
{
	char full[512], buf[512 + 16], guard[512 + 16];
	size_t need, size;

	memset(guard, 0x5A, sizeof(guard));
	ck_assert_int_eq(f(nir, sys, full, sizeof(full)), STC_OK);
	need = strlen(full) + 1;
	for (size = 0; size < need; size++) {
		memset(buf, 0x5A, sizeof(buf));
		ck_assert_int_eq(f(nir, sys, buf, size), STC_ERR_BUFFER_TOO_SMALL);
		if (size > 0)
			ck_assert_int_eq(buf[0], '\0');
		/* one assertion per size: guard bytes from buf[size] on are intact */
		ck_assert_int_eq(memcmp(buf + size, guard, sizeof(buf) - size), 0);
	}
	memset(buf, 0x5A, sizeof(buf));
	ck_assert_int_eq(f(nir, sys, buf, need), STC_OK);
	ck_assert_str_eq(buf, full);
	ck_assert_int_eq(memcmp(buf + need, guard, sizeof(buf) - need), 0);
}

START_TEST(test_sizes)
{
	static const stc_ins_system systems[] = { STC_INS_NIR, STC_INS_NIA, STC_INS_NIR_TEST,
						  STC_INS_NIR_DEMO };
	size_t i;

	for (i = 0; i < sizeof(systems) / sizeof(systems[0]); i++) {
		check_sizes(stc_ins_hl7_cx, DMP_INS, systems[i]);
		check_sizes(stc_ins_fhir_identifier, DMP_INS, systems[i]);
		check_sizes(stc_ins_hl7_cx, "253072A07300443", systems[i]);
		check_sizes(stc_ins_fhir_identifier, "253072A07300443", systems[i]);
	}
}
END_TEST

static Suite *ins_suite(void)
{
	Suite *s = suite_create("ins");
	TCase *tc = tcase_create("nir");

	tcase_add_loop_test(tc, test_key_vectors, 0, NKEYS);
	tcase_add_loop_test(tc, test_check_vectors, 0, NKEYS);
	tcase_add_test(tc, test_key_forms);
	tcase_add_loop_test(tc, test_key_malformed, 0, NBAD13);
	tcase_add_loop_test(tc, test_check_malformed, 0, NBAD15);
	tcase_add_test(tc, test_check_corsica);
	tcase_add_test(tc, test_nir_args);
	suite_add_tcase(s, tc);

	tc = tcase_create("ins");
	tcase_add_test(tc, test_oids);
	tcase_add_loop_test(tc, test_cx, 0, NCX);
	tcase_add_test(tc, test_cx_corsica);
	tcase_add_test(tc, test_cx_errors);
	tcase_add_test(tc, test_json_checker);
	tcase_add_loop_test(tc, test_fhir, 0, NFHIR);
	tcase_add_test(tc, test_fhir_errors);
	tcase_add_test(tc, test_sizes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(ins_suite());
}
