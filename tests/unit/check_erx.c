/* check_erx.c - unit tests for santecard-erx's pure parts (src/tools/erx):
 * identifiers, the input files, the bundles built and read back, the
 * signature (made with the test PKI's doctor key in software, checked, then
 * tampered with), the outbox (with hostile files), the QR code PNGs, and who
 * a certificate names. Cards and the service: tests/erx/test_erx.sh. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "erx.h"
#include "check_util.h"

static char pki[1024];

static json_t *parse(const char *s)
{
	char err[200];
	json_t *j = erx_json_parse(s, strlen(s), err, sizeof(err));

	ck_assert_msg(j != NULL, "%s", err);
	return j;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = malloc(1 << 16);

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	*len = fread(buf, 1, 1 << 16, f);
	fclose(f);
	return buf;
}

/* ------------------------------------------------------------ identifiers */

START_TEST(test_id_check)
{
	char id[32], norm[18];
	const char *digits = "0A1B2C3D4E5";
	char c = erx_id_checkchar(digits);

	ck_assert_int_ne(c, 0);
	snprintf(id, sizeof(id), "EP-0A1B-2C3D-4E5%c", c);
	ck_assert_int_eq(erx_id_check(id, norm), 1);
	ck_assert_str_eq(norm, id);
	/* Crockford decoding: lower case, O for 0, L for 1 */
	snprintf(id, sizeof(id), "ep-oa1b-2c3d-4e5%c", c >= 'A' && c <= 'Z' ? c + 32 : c);
	ck_assert_int_eq(erx_id_check(id, norm), 1);
	snprintf(id, sizeof(id), "EP-0AlB-2C3D-4E5%c", c);
	ck_assert_int_eq(erx_id_check(id, norm), 1);
	ck_assert_int_eq(strncmp(norm, "EP-0A1B-2C3D-4E5", 16), 0);
	/* a wrong check character, a changed digit, bad shapes */
	snprintf(id, sizeof(id), "EP-0A1B-2C3D-4E5%c", c == '0' ? '1' : '0');
	ck_assert_int_eq(erx_id_check(id, norm), 0);
	snprintf(id, sizeof(id), "EP-0A1B-2C3D-4E6%c", c);
	ck_assert_int_eq(erx_id_check(id, norm), erx_id_checkchar("0A1B2C3D4E6") == c);
	ck_assert_int_eq(erx_id_check("EP-0A1B-2C3D-4E5", norm), 0);
	ck_assert_int_eq(erx_id_check("ED-0A1B-2C3D-4E5X", norm), 0);
	ck_assert_int_eq(erx_id_check("EP-0A1B2C3D-4E5XY", norm), 0);
	ck_assert_int_eq(erx_id_check("EP-0A1U-2C3D-4E5X", norm), 0);  /* U is no digit */
	ck_assert_int_eq(erx_id_check("", norm), 0);
	/* the check symbols beyond the digits: 32..36 = * ~ $ = U */
	ck_assert_int_eq(erx_id_checkchar("00000000000"), '0');
	ck_assert_int_eq(erx_id_checkchar("0000000000Z"), 'Z');       /* 31 */
	ck_assert_int_eq(erx_id_checkchar("00000000010"), '*');       /* 32 */
	ck_assert_int_eq(erx_id_checkchar("00000000014"), 'U');       /* 36 */
	ck_assert_int_eq(erx_id_checkchar("00000000015"), '0');       /* 37 */
}
END_TEST

START_TEST(test_uuid)
{
	char u[ERX_URN_UUID_LEN], v[ERX_URN_UUID_LEN], ts[32];

	ck_assert_int_eq(erx_urn_uuid(u), 0);
	ck_assert_int_eq(erx_urn_uuid(v), 0);
	ck_assert_str_ne(u, v);
	ck_assert_int_eq(erx_uuid_urn_ok(u), 1);
	ck_assert_int_eq(erx_uuid_urn_ok("urn:uuid:00000000-0000-4000-8000-000000000000"), 1);
	ck_assert_int_eq(erx_uuid_urn_ok("urn:uuid:00000000-0000-1000-8000-000000000000"), 0);
	ck_assert_int_eq(erx_uuid_urn_ok("urn:uuid:00000000-0000-4000-8000-00000000000G"), 0);
	ck_assert_int_eq(erx_uuid_urn_ok("urn:uuid:../../../../etc/passwd-000000000000"), 0);
	ck_assert_int_eq(erx_uuid_urn_ok("00000000-0000-4000-8000-000000000000"), 0);
	erx_timestamp(ts);
	ck_assert_uint_eq(strlen(ts), 25);
	ck_assert_int_eq(ts[10], 'T');
	ck_assert_int_eq(ts[22], ':');
}
END_TEST

/* ------------------------------------------------------------ input files */

#define ITEM(q) "{\"code\":{\"system\":\"http://data.esante.gouv.fr/ansm/medicament/codeCIP13\"," \
	"\"code\":\"3400930000001\",\"display\":\"PARACETAMOL 500 mg\"},\"dosage\":\"1 cp x3/j\"," \
	"\"quantity\":" q ",\"unit\":\"boîte\",\"substitution\":false}"

static const char *items_err(const char *text)
{
	static char err[300];
	struct erx_item *it;
	size_t n;
	json_t *j = parse(text);
	int r = erx_items_parse(j, &it, &n, err, sizeof(err));

	json_decref(j);
	if (r == 0) {
		free(it);
		return NULL;
	}
	return err;
}

START_TEST(test_items)
{
	struct erx_item *it;
	size_t n;
	char err[300];
	json_t *j = parse("[" ITEM("2") ",{\"code\":{\"system\":\"s\",\"code\":\"c\",\"display\":\"d\"},"
			  "\"dosage\":\"x\",\"quantity\":1,\"unit\":\"u\"}]");

	ck_assert_int_eq(erx_items_parse(j, &it, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(it[0].code, "3400930000001");
	ck_assert_int_eq(it[0].quantity, 2);
	ck_assert_int_eq(it[0].substitution, 0);
	ck_assert_int_eq(it[1].substitution, 1);   /* default: allowed */
	free(it);
	json_decref(j);

	ck_assert_ptr_nonnull(items_err("[]"));
	ck_assert_ptr_nonnull(items_err("{}"));
	ck_assert_ptr_nonnull(strstr(items_err("[" ITEM("0") "]"), "quantity"));
	ck_assert_ptr_nonnull(strstr(items_err("[" ITEM("-3") "]"), "quantity"));
	ck_assert_ptr_nonnull(strstr(items_err("[" ITEM("1.5") "]"), "quantity"));
	ck_assert_ptr_nonnull(strstr(items_err("[" ITEM("\"2\"") "]"), "quantity"));
	ck_assert_ptr_nonnull(strstr(items_err("[" ITEM("100001") "]"), "quantity"));
	ck_assert_ptr_nonnull(strstr(items_err("[" ITEM("1") ",7]"), "item 2"));
	ck_assert_ptr_nonnull(strstr(items_err("[{\"code\":{\"system\":\"s\",\"code\":\"c\"},"
					       "\"dosage\":\"x\",\"quantity\":1,\"unit\":\"u\"}]"),
				     "code"));
	ck_assert_ptr_nonnull(strstr(items_err("[{\"code\":{\"system\":\"s\",\"code\":\"c\","
					       "\"display\":\"d\"},\"dosage\":\"x\",\"quantitiy\":1,"
					       "\"unit\":\"u\"}]"), "quantitiy"));
	ck_assert_ptr_nonnull(strstr(items_err("[{\"code\":{\"system\":\"s\",\"code\":\"c\","
					       "\"display\":\"d\"},\"dosage\":\"\",\"quantity\":1,"
					       "\"unit\":\"u\"}]"), "dosage"));
	ck_assert_ptr_nonnull(strstr(items_err("[{\"code\":{\"system\":\"s\",\"code\":\"c\","
					       "\"display\":\"d\"},\"dosage\":\"x\",\"quantity\":1,"
					       "\"unit\":\"u\",\"substitution\":\"yes\"}]"),
				     "substitution"));
	{
		/* 100 items: too many */
		char *big = malloc(100 * 200 + 10);
		size_t o = 0;

		big[o++] = '[';
		for (int i = 0; i < 100; i++)
			o += (size_t)sprintf(big + o, "%s" ITEM("1"), i ? "," : "");
		big[o++] = ']';
		big[o] = '\0';
		ck_assert_ptr_nonnull(strstr(items_err(big), "99"));
		free(big);
	}
}
END_TEST

START_TEST(test_json_load)
{
	char dir[] = "/tmp/check_erx.XXXXXX", path[300], err[400];
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/nope.json", dir);
	ck_assert_ptr_null(erx_json_load(path, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "No such file"));
	ck_assert_ptr_null(erx_json_load(dir, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "not a regular file"));
	snprintf(path, sizeof(path), "%s/dup.json", dir);
	f = fopen(path, "w");
	fputs("{\"a\":1,\"a\":2}", f);
	fclose(f);
	ck_assert_ptr_null(erx_json_load(path, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "not valid JSON"));
	f = fopen(path, "w");
	fputs("[1,", f);
	fclose(f);
	ck_assert_ptr_null(erx_json_load(path, err, sizeof(err)));
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(test_lines)
{
	struct erx_dline *l;
	size_t n;
	char err[300];
	json_t *j = parse("[{\"line\":\"1\",\"quantity\":1},{\"line\":\"2\",\"quantity\":3,"
			  "\"substitute\":{\"system\":\"s\",\"code\":\"c\",\"display\":\"d\"}}]");

	ck_assert_int_eq(erx_lines_parse(j, &l, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_ptr_null(l[0].sub_code);
	ck_assert_str_eq(l[1].sub_code, "c");
	free(l);
	json_decref(j);
	j = parse("[{\"line\":\"1\",\"quantity\":1},{\"line\":\"1\",\"quantity\":1}]");
	ck_assert_int_eq(erx_lines_parse(j, &l, &n, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "twice"));
	json_decref(j);
	j = parse("[{\"line\":1,\"quantity\":1}]");
	ck_assert_int_eq(erx_lines_parse(j, &l, &n, err, sizeof(err)), -1);
	json_decref(j);
	j = parse("[{\"line\":\"1\",\"quantity\":1,\"substitute\":{\"code\":\"c\"}}]");
	ck_assert_int_eq(erx_lines_parse(j, &l, &n, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "substitute"));
	json_decref(j);
}
END_TEST

/* --------------------------------------------------------------- bundles */

static const struct erx_person doctor = { "899700012345", "MEDECIN-TEST", "JEANNE", "Médecin" };
static const struct erx_person pharmacist = { "899700023456", "PHARMACIEN-TEST", "PAUL",
					      "Pharmacien" };

static json_t *patient(void)
{
	char err[200];
	json_t *src = parse("{\"resourceType\":\"Patient\",\"id\":\"x\",\"meta\":{\"profile\":"
			    "[\"other\"]},\"identifier\":[{\"system\":\"urn:oid:1.2.250.1.213.1.4.10\","
			    "\"value\":\"290056912321080\"}],\"name\":[{\"family\":\"DUPONT-TEST\","
			    "\"given\":[\"ALICE\"]}],\"gender\":\"female\",\"birthDate\":\"1990-05-20\"}");
	json_t *p = erx_patient_from_json(src, err, sizeof(err));

	ck_assert_msg(p != NULL, "%s", err);
	json_decref(src);
	return p;
}

static json_t *prescription(void)
{
	struct erx_item *it;
	size_t n;
	char err[300];
	json_t *items = parse("[" ITEM("2") ",{\"code\":{\"system\":\"s\",\"code\":\"C2\","
			      "\"display\":\"D2\"},\"dosage\":\"x\",\"quantity\":3,\"unit\":\"u\"}]");
	json_t *pat = patient(), *b;

	ck_assert_int_eq(erx_items_parse(items, &it, &n, err, sizeof(err)), 0);
	b = erx_prescription_bundle(pat, &doctor, it, n, "2026-11-23T03:00:00+01:00");
	ck_assert_ptr_nonnull(b);
	free(it);
	json_decref(items);
	json_decref(pat);
	return b;
}

START_TEST(test_patient)
{
	char err[200];
	json_t *p = patient(), *bad;

	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(json_object_get(p, "meta"),
		"profile"), 0)), "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient-ins");
	ck_assert_ptr_null(json_object_get(p, "id"));
	json_decref(p);
	bad = parse("{\"resourceType\":\"Practitioner\",\"name\":[{\"family\":\"X\"}]}");
	ck_assert_ptr_null(erx_patient_from_json(bad, err, sizeof(err)));
	json_decref(bad);
	bad = parse("{\"resourceType\":\"Patient\",\"name\":[{\"given\":[\"X\"]}]}");
	ck_assert_ptr_null(erx_patient_from_json(bad, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "family"));
	json_decref(bad);
	bad = parse("[]");
	ck_assert_ptr_null(erx_patient_from_json(bad, err, sizeof(err)));
	json_decref(bad);
}
END_TEST

START_TEST(test_prescription_roundtrip)
{
	json_t *b = prescription();
	struct erx_presc p;
	char err[300];

	ck_assert_str_eq(erx_bundle_kind(b), "prescription");
	ck_assert_int_eq(erx_uuid_urn_ok(erx_bundle_id(b)), 1);
	ck_assert_int_eq(erx_presc_parse(b, &p, err, sizeof(err)), 0);
	ck_assert_str_eq(p.prescriber.idnat, "899700012345");
	ck_assert_str_eq(p.prescriber.profession, "Médecin");
	ck_assert_str_eq(p.patient_family, "DUPONT-TEST");
	ck_assert_str_eq(p.patient_ins, "290056912321080");
	ck_assert_uint_eq(p.nlines, 2);
	ck_assert_str_eq(p.lines[0].line, "1");
	ck_assert_str_eq(p.lines[0].code, "3400930000001");
	ck_assert_str_eq(p.lines[0].unit, "boîte");
	ck_assert_int_eq(p.lines[0].quantity, 2);
	ck_assert_int_eq(p.lines[0].substitution, 0);
	ck_assert_str_eq(p.lines[1].line, "2");
	ck_assert_int_eq(p.lines[1].substitution, 1);
	erx_presc_free(&p);
	json_decref(b);
}
END_TEST

/* A prescription whose parts are damaged one at a time still parses safely. */
START_TEST(test_prescription_hostile)
{
	static const char *const cases[] = {
		"{}", "[]", "{\"resourceType\":\"Bundle\"}",
		"{\"resourceType\":\"Bundle\",\"identifier\":{\"value\":\"x\"},\"entry\":7}",
		"{\"resourceType\":\"Bundle\",\"identifier\":{\"value\":\"x\"},\"entry\":[{\"fullUrl\":"
		"\"a\",\"resource\":{\"resourceType\":\"RequestGroup\",\"subject\":{\"reference\":\"a\"}}}]}",
		"{\"resourceType\":\"Bundle\",\"identifier\":{\"value\":\"x\"},\"entry\":[{\"fullUrl\":"
		"\"a\",\"resource\":{\"resourceType\":\"RequestGroup\",\"subject\":{\"reference\":\"p\"},"
		"\"author\":{\"reference\":\"d\"},\"action\":[{\"resource\":{\"reference\":\"a\"}}]}},"
		"{\"fullUrl\":\"p\",\"resource\":{\"resourceType\":\"Patient\"}},"
		"{\"fullUrl\":\"d\",\"resource\":{\"resourceType\":\"Practitioner\",\"identifier\":"
		"[{\"system\":\"urn:oid:1.2.250.1.71.4.2.1\",\"value\":\"1\"}]}}]}",
	};
	struct erx_presc p;
	char err[300];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *j = parse(cases[i]);

		ck_assert_int_eq(erx_presc_parse(j, &p, err, sizeof(err)), -1);
		ck_assert_uint_gt(strlen(err), 5);
		json_decref(j);
	}
}
END_TEST

START_TEST(test_dispensation)
{
	json_t *b = prescription(), *d, *lj;
	struct erx_presc p;
	struct erx_dline *l;
	size_t n;
	char err[300];
	const json_t *md;

	ck_assert_int_eq(erx_presc_parse(b, &p, err, sizeof(err)), 0);
	lj = parse("[{\"line\":\"2\",\"quantity\":1,\"substitute\":{\"system\":\"s\",\"code\":\"G\","
		   "\"display\":\"generic\"}},{\"line\":\"1\",\"quantity\":2}]");
	ck_assert_int_eq(erx_lines_parse(lj, &l, &n, err, sizeof(err)), 0);
	d = erx_dispensation_bundle("EP-0000-0000-0000", &p, &pharmacist, l, n,
				    "2026-11-23T03:00:00+01:00", err, sizeof(err));
	ck_assert_msg(d != NULL, "%s", err);
	ck_assert_str_eq(erx_bundle_kind(d), "dispensation");
	md = json_object_get(json_array_get(json_object_get(d, "entry"), 1), "resource");
	ck_assert_str_eq(json_string_value(json_object_get(md, "resourceType")), "MedicationDispense");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(
		json_object_get(md, "identifier"), 0), "value")), "EP-0000-0000-0000/2");
	ck_assert(json_is_true(json_object_get(json_object_get(md, "substitution"),
					       "wasSubstituted")));
	md = json_object_get(json_array_get(json_object_get(d, "entry"), 2), "resource");
	ck_assert(json_is_false(json_object_get(json_object_get(md, "substitution"),
						"wasSubstituted")));
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(
		json_object_get(md, "medicationCodeableConcept"), "coding"), 0), "code")),
		"3400930000001");
	json_decref(d);
	free(l);
	json_decref(lj);
	/* line 1 forbids substitution; line 9 does not exist */
	lj = parse("[{\"line\":\"1\",\"quantity\":1,\"substitute\":{\"system\":\"s\",\"code\":\"G\","
		   "\"display\":\"g\"}}]");
	ck_assert_int_eq(erx_lines_parse(lj, &l, &n, err, sizeof(err)), 0);
	ck_assert_ptr_null(erx_dispensation_bundle("EP-0000-0000-0000", &p, &pharmacist, l, n,
						   "2026-11-23T03:00:00+01:00", err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "substitution"));
	free(l);
	json_decref(lj);
	lj = parse("[{\"line\":\"9\",\"quantity\":1}]");
	ck_assert_int_eq(erx_lines_parse(lj, &l, &n, err, sizeof(err)), 0);
	ck_assert_ptr_null(erx_dispensation_bundle("EP-0000-0000-0000", &p, &pharmacist, l, n,
						   "2026-11-23T03:00:00+01:00", err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "no line"));
	free(l);
	json_decref(lj);
	erx_presc_free(&p);
	json_decref(b);
}
END_TEST

/* ------------------------------------------------------------- signature */

/* The software signer: the test PKI's key, RSA PKCS#1 v1.5 over the hash. */
static int soft_sign(void *ctx, const uint8_t sha256[32], uint8_t *sig, size_t *siglen,
		     char *err, size_t errlen)
{
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(ctx, NULL);
	int ok = pc && EVP_PKEY_sign_init(pc) > 0 &&
		 EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) > 0 &&
		 EVP_PKEY_CTX_set_signature_md(pc, EVP_sha256()) > 0 &&
		 EVP_PKEY_sign(pc, sig, siglen, sha256, 32) > 0;

	EVP_PKEY_CTX_free(pc);
	if (!ok)
		snprintf(err, errlen, "soft_sign failed");
	return ok ? 0 : -1;
}

static EVP_PKEY *load_key(const char *holder)
{
	char path[1200];
	FILE *f;
	EVP_PKEY *k;

	snprintf(path, sizeof(path), "%s/%s/sign.key.pem", pki, holder);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s: %s (run make pki)", path, strerror(errno));
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	ck_assert_ptr_nonnull(k);
	return k;
}

static json_t *signed_prescription(void)
{
	char path[1200], chain[1200], err[400];
	EVP_PKEY *k = load_key("cps-doctor");
	json_t *b = prescription();
	uint8_t *der;
	size_t len;

	snprintf(path, sizeof(path), "%s/cps-doctor/sign.crt.der", pki);
	snprintf(chain, sizeof(chain), "%s/ca/chain.pem", pki);
	der = slurp(path, &len);
	ck_assert_msg(erx_sign_bundle(b, 0, der, len, chain, "2026-11-23T03:00:00+01:00",
				      soft_sign, k, err, sizeof(err)) == 0, "%s", err);
	free(der);
	EVP_PKEY_free(k);
	return b;
}

START_TEST(test_sign_verify)
{
	char ca[1200], wrong_ca[1200], err[600];
	struct erx_person who;
	json_t *b = signed_prescription(), *sig = json_object_get(b, "signature"), *q;
	char *text;

	snprintf(ca, sizeof(ca), "%s/ca/root.crt.pem", pki);
	ck_assert_str_eq(json_string_value(json_object_get(sig, "sigFormat")), "application/jose");
	ck_assert_msg(erx_verify_bundle(b, ca, &who, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(who.idnat, "899700012345");
	ck_assert_str_eq(who.profession, "Médecin");
	/* the wire form (what is sent, stored) verifies the same after a re-parse */
	text = json_dumps(b, JSON_COMPACT | JSON_ENSURE_ASCII);
	{
		json_t *again = parse(text);

		ck_assert_int_eq(erx_verify_bundle(again, ca, &who, err, sizeof(err)), 0);
		json_decref(again);
	}
	free(text);
	/* an unknown CA: the doctor's own authentication certificate as the anchor */
	snprintf(wrong_ca, sizeof(wrong_ca), "%s/cps-pharmacist/auth.crt.pem", pki);
	ck_assert_int_eq(erx_verify_bundle(b, wrong_ca, &who, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "not trusted"));
	ck_assert_str_eq(who.idnat, "");
	/* tampered: one quantity */
	q = json_object_get(json_object_get(json_object_get(json_object_get(json_array_get(
		json_object_get(b, "entry"), 4), "resource"), "dispenseRequest"), "quantity"), "value");
	ck_assert(json_is_integer(q));
	json_integer_set(q, 20);
	ck_assert_int_eq(erx_verify_bundle(b, ca, &who, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "does not match"));
	json_integer_set(q, 2);
	ck_assert_int_eq(erx_verify_bundle(b, ca, &who, err, sizeof(err)), 0);
	/* signature.who pointing elsewhere */
	json_object_set_new(json_object_get(sig, "who"), "reference", json_string("urn:uuid:x"));
	ck_assert_int_eq(erx_verify_bundle(b, ca, &who, err, sizeof(err)), -1);
	/* garbage signature data, no signature */
	json_object_set_new(sig, "data", json_string("!!!"));
	ck_assert_int_eq(erx_verify_bundle(b, ca, &who, err, sizeof(err)), -1);
	json_object_set_new(sig, "data", json_string("YWJj"));   /* "abc" */
	ck_assert_int_eq(erx_verify_bundle(b, ca, &who, err, sizeof(err)), -1);
	json_object_del(b, "signature");
	ck_assert_int_eq(erx_verify_bundle(b, ca, &who, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "not signed"));
	json_decref(b);
}
END_TEST

START_TEST(test_cert_person)
{
	char path[1200], err[200];
	struct erx_person p;
	uint8_t *der;
	size_t len;

	snprintf(path, sizeof(path), "%s/cps-pharmacist/sign.crt.der", pki);
	der = slurp(path, &len);
	ck_assert_int_eq(erx_cert_person(der, len, &p, err, sizeof(err)), 0);
	ck_assert_str_eq(p.idnat, "899700023456");
	ck_assert_str_eq(p.family, "PHARMACIEN-TEST");
	ck_assert_str_eq(p.given, "PAUL");
	ck_assert_str_eq(p.profession, "Pharmacien");
	ck_assert_int_eq(erx_cert_person(der, len - 1, &p, err, sizeof(err)), -1);
	ck_assert_int_eq(erx_cert_person(der, 0, &p, err, sizeof(err)), -1);
	free(der);
}
END_TEST

/* ---------------------------------------------------------------- outbox */

static void put_file(const char *dir, const char *name, const char *content)
{
	char path[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(content, f);
	fclose(f);
}

START_TEST(test_outbox)
{
	char base[] = "/tmp/check_erx.XXXXXX", dir[600], err[400], path[900], name[80];
	struct erx_outbox_entry *e;
	struct stat st;
	size_t n, usable = 0;
	json_t *b = signed_prescription();
	char *body = json_dumps(b, JSON_COMPACT);
	const char *id = erx_bundle_id(b);

	ck_assert_ptr_nonnull(mkdtemp(base));
	setenv("XDG_STATE_HOME", base, 1);
	ck_assert_int_eq(erx_outbox_dir(dir, sizeof(dir), 0, err, sizeof(err)), 0);
	ck_assert_int_eq(erx_outbox_list(dir, &e, &n, err, sizeof(err)), 0);  /* none yet */
	ck_assert_uint_eq(n, 0);
	free(e);
	ck_assert_int_eq(erx_outbox_dir(dir, sizeof(dir), 1, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(dir, "/santecard/erx/outbox"));
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0700);
	/* a dir opened to others is closed again */
	chmod(dir, 0755);
	ck_assert_int_eq(erx_outbox_dir(dir, sizeof(dir), 1, err, sizeof(err)), 0);
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0700);

	ck_assert_int_eq(erx_outbox_put(dir, id, body, strlen(body), err, sizeof(err)), 0);
	/* the same bundle again keeps the first copy */
	ck_assert_int_eq(erx_outbox_put(dir, id, "junk", 4, err, sizeof(err)), 0);
	ck_assert_int_eq(erx_outbox_put(dir, "urn:uuid:../x", "junk", 4, err, sizeof(err)), -1);
	snprintf(name, sizeof(name), "%s.json", id + 9);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);

	/* hostile neighbours */
	put_file(dir, "not-a-uuid.json", "{}");
	put_file(dir, "00000000-0000-4000-8000-000000000001.json", "{\"resourceType\":");
	put_file(dir, "00000000-0000-4000-8000-000000000002.json",
		 "{\"resourceType\":\"Bundle\",\"identifier\":{\"value\":"
		 "\"urn:uuid:00000000-0000-4000-8000-000000000009\"},\"entry\":[{\"fullUrl\":\"a\","
		 "\"resource\":{\"resourceType\":\"RequestGroup\"}}],\"signature\":{}}");
	put_file(dir, "00000000-0000-4000-8000-000000000003.json",
		 "{\"resourceType\":\"Bundle\",\"identifier\":{\"value\":"
		 "\"urn:uuid:00000000-0000-4000-8000-000000000003\"},\"entry\":[{\"fullUrl\":\"a\","
		 "\"resource\":{\"resourceType\":\"RequestGroup\"}}]}");
	put_file(dir, "00000000-0000-4000-8000-000000000004.json", "");
	put_file(dir, ".tmp-1-x.json", "{}");
	put_file(dir, "notes.txt", "hello");
	snprintf(path, sizeof(path), "%s/00000000-0000-4000-8000-000000000005.json", dir);
	ck_assert_int_eq(symlink("/etc/passwd", path), 0);
	snprintf(path, sizeof(path), "%s/00000000-0000-4000-8000-000000000006.json", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/00000000-0000-4000-8000-000000000007.json", dir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	snprintf(path, sizeof(path), "%s/00000000-0000-4000-8000-000000000008.json", dir);
	{
		int fd = open(path, O_WRONLY | O_CREAT, 0600);

		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(ftruncate(fd, 2 * 1024 * 1024), 0);
		close(fd);
	}

	ck_assert_int_eq(erx_outbox_list(dir, &e, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 10);   /* every *.json but the dot file */
	for (size_t i = 0; i < n; i++) {
		if (!e[i].problem[0]) {
			usable++;
			ck_assert_str_eq(e[i].name, name);
			ck_assert_str_eq(e[i].kind, "prescription");
			ck_assert_str_eq(e[i].body, body);
		} else {
			ck_assert_ptr_null(e[i].bundle);
		}
	}
	ck_assert_uint_eq(usable, 1);
	erx_outbox_free(e, n);

	/* a refusal moves the file to rejected/ with its reason */
	ck_assert_int_eq(erx_outbox_reject(dir, "00000000-0000-4000-8000-000000000003.json",
					   "the service answered 400 malformed", err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/rejected/00000000-0000-4000-8000-000000000003.json.reason",
		 dir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s/00000000-0000-4000-8000-000000000003.json", dir);
	ck_assert_int_eq(stat(path, &st), -1);
	/* a delivery removes it */
	ck_assert_int_eq(erx_outbox_done(dir, name, err, sizeof(err)), 0);
	ck_assert_int_eq(erx_outbox_done(dir, name, err, sizeof(err)), -1);
	ck_assert_int_eq(erx_outbox_list(dir, &e, &n, err, sizeof(err)), 0);
	for (size_t i = 0; i < n; i++)
		ck_assert_str_ne(e[i].problem, "");
	erx_outbox_free(e, n);

	free(body);
	json_decref(b);
	{
		char cmd[700];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
		ck_assert_int_eq(system(cmd), 0);
	}
	unsetenv("XDG_STATE_HOME");
}
END_TEST

/* -------------------------------------------------------------------- QR */

START_TEST(test_qr)
{
	char dir[] = "/tmp/check_erx.XXXXXX", path[300], err[400];
	char *text;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/qr.png", dir);
	ck_assert_int_eq(erx_qr_png("EP-0A1B-2C3D-4E5F", path, 4, err, sizeof(err)), 0);
	text = erx_qr_read_png(path, err, sizeof(err));
	ck_assert_msg(text != NULL, "%s", err);
	ck_assert_str_eq(text, "EP-0A1B-2C3D-4E5F");
	free(text);
	f = fopen("/dev/null", "w");
	ck_assert_int_eq(erx_qr_term("EP-0A1B-2C3D-4E5F", f), 0);
	fclose(f);
	/* not a PNG, empty, truncated, missing */
	put_file(dir, "bad.png", "GIF89a not a png");
	snprintf(path, sizeof(path), "%s/bad.png", dir);
	ck_assert_ptr_null(erx_qr_read_png(path, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "PNG"));
	put_file(dir, "empty.png", "");
	snprintf(path, sizeof(path), "%s/empty.png", dir);
	ck_assert_ptr_null(erx_qr_read_png(path, err, sizeof(err)));
	snprintf(path, sizeof(path), "%s/qr.png", dir);
	ck_assert_int_eq(truncate(path, 100), 0);
	ck_assert_ptr_null(erx_qr_read_png(path, err, sizeof(err)));
	snprintf(path, sizeof(path), "%s/none.png", dir);
	ck_assert_ptr_null(erx_qr_read_png(path, err, sizeof(err)));
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -f %s/*; rmdir %s", dir, dir);
		ck_assert_int_eq(system(cmd), 0);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("erx");
	TCase *tc = tcase_create("erx");
	const char *b = getenv("top_builddir");

	snprintf(pki, sizeof(pki), "%s/pki", b && *b ? b : ".");
	tcase_add_test(tc, test_id_check);
	tcase_add_test(tc, test_uuid);
	tcase_add_test(tc, test_items);
	tcase_add_test(tc, test_json_load);
	tcase_add_test(tc, test_lines);
	tcase_add_test(tc, test_patient);
	tcase_add_test(tc, test_prescription_roundtrip);
	tcase_add_test(tc, test_prescription_hostile);
	tcase_add_test(tc, test_dispensation);
	tcase_add_test(tc, test_sign_verify);
	tcase_add_test(tc, test_cert_person);
	tcase_add_test(tc, test_outbox);
	tcase_add_test(tc, test_qr);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
