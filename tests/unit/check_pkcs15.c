/*
 * check_pkcs15.c - unit tests for the PKCS#15 parser (src/lib/pkcs15.c).
 *
 * The vectors below are the simulated CPS3's files (santecard-sim, profile
 * cps-doctor, contact application 3F00/0001), read byte for byte with
 *   top_builddir=$PWD tests/integration/testbed --cards "cps-doctor none" \
 *     ./santecard apdu "00 A4 09 0C 06 3F 00 00 01 50 31" "00 B0 00 00 00" ...
 * (ODF 5031, TokenInfo 5032, PrKDF 5001, CDF 5002, AODF 5003, DODF 5004; each
 * file is shorter than 256 bytes, so one READ BINARY answered 62 82 with all of
 * it). The values asserted were cross-checked by hand against what OpenSC 0.23
 * (an independent parser) prints for the same card in the same test bed:
 *   tests/integration/testbed --cards "cps-doctor none" pkcs15-tool --dump
 * i.e. serial 0000019921000101, "ASIP SANTE", flags Read-only + Login required,
 * algorithms 1..6 with algo_ref 0x10 0x40 0x12 0x42 0x02 0x1a; PIN "Code
 * porteur" ID 01 auth ID 02 flags 0x10 min 4 max 8 stored 8 reference 1
 * ascii-numeric, "Code de deblocage" ID 02 flags 0x50 reference 2;
 * CPS_PRIV_SIG flags 0x01 usage 0x200 access 0x0D key ref 0x81 ModLength 2048
 * auth ID 01 ID ...1001; CPS_PRIV_AUT flags 0x03 usage 0x06 key ref 0x82;
 * certificates at 3f000001c101 / c102; data objects "CPS" at 3f000001d101...
 * The same files, behind a one-byte parser selector, seed fuzz_pkcs15.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "santecard.h"
#include "pkcs15.h"
#include "check_util.h"

/* odf, 48 bytes */
static const char ODF[] =
	"A0 0A 30 08 04 06 3F 00 00 01 50 01 A4 0A 30 08 04 06 3F 00 00 01 50 02"
	" A7 0A 30 08 04 06 3F 00 00 01 50 04 A8 0A 30 08 04 06 3F 00 00 01 50 03";
/* tokeninfo, 220 bytes */
static const char TOKENINFO[] =
	"30 81 D9 02 01 00 04 08 00 00 01 99 21 00 01 01 0C 0A 41 53 49 50 20 53"
	" 41 4E 54 45 80 11 43 50 53 33 76 33 2D 39 39 32 31 30 30 30 31 30 31 03"
	" 02 06 C0 A2 81 A6 30 17 02 01 01 02 02 02 20 05 00 03 02 01 02 06 05 2B"
	" 0E 03 02 1A 02 01 10 30 1B 02 01 02 02 02 02 50 05 00 03 02 01 02 06 09"
	" 60 86 48 01 65 03 04 02 01 02 01 40 30 1A 02 01 03 02 01 06 05 00 03 02"
	" 06 40 06 09 2A 86 48 86 F7 0D 01 01 05 02 01 12 30 1A 02 01 04 02 01 40"
	" 05 00 03 02 06 40 06 09 2A 86 48 86 F7 0D 01 01 0B 02 01 42 30 1A 02 01"
	" 05 02 01 01 05 00 03 02 06 40 06 09 2A 86 48 86 F7 0D 01 01 01 02 01 02"
	" 30 1A 02 01 06 02 01 01 05 00 03 02 02 04 06 09 2A 86 48 86 F7 0D 01 01"
	" 01 02 01 1A";
/* prkdf, 171 bytes */
static const char PRKDF[] =
	"30 54 30 15 0C 0C 43 50 53 5F 50 52 49 56 5F 53 49 47 03 02 07 80 04 01"
	" 01 30 20 04 0E E8 28 BD 08 0F 80 25 00 00 01 FF 00 10 01 03 03 06 00 40"
	" 01 01 FF 03 02 04 B0 02 02 00 81 A1 19 30 17 30 11 04 00 4F 0D E8 28 BD"
	" 08 0F 80 25 00 00 01 FF 00 10 02 02 08 00 30 53 30 15 0C 0C 43 50 53 5F"
	" 50 52 49 56 5F 41 55 54 03 02 06 C0 04 01 01 30 1F 04 0E E8 28 BD 08 0F"
	" 80 25 00 00 01 FF 00 10 02 03 02 05 60 01 01 FF 03 02 04 B0 02 02 00 82"
	" A1 19 30 17 30 11 04 00 4F 0D E8 28 BD 08 0F 80 25 00 00 01 FF 00 10 02"
	" 02 08 00";
/* cdf, 136 bytes */
static const char CDF[] =
	"30 45 30 23 0C 21 43 65 72 74 69 66 69 63 61 74 20 64 27 41 75 74 68 65"
	" 6E 74 69 66 69 63 61 74 69 6F 6E 20 43 50 53 30 10 04 0E E8 28 BD 08 0F"
	" 80 25 00 00 01 FF 00 10 02 A1 0C 30 0A 30 08 04 06 3F 00 00 01 C1 01 30"
	" 3F 30 1D 0C 1B 43 65 72 74 69 66 69 63 61 74 20 64 65 20 53 69 67 6E 61"
	" 74 75 72 65 20 43 50 53 30 10 04 0E E8 28 BD 08 0F 80 25 00 00 01 FF 00"
	" 10 01 A1 0C 30 0A 30 08 04 06 3F 00 00 01 C1 02";
/* aodf, 100 bytes */
static const char AODF[] =
	"30 2F 30 11 0C 0C 43 6F 64 65 20 70 6F 72 74 65 75 72 04 01 02 30 03 04"
	" 01 01 A1 15 30 13 03 02 03 08 0A 01 01 02 01 04 02 01 08 02 01 08 80 01"
	" 01 30 31 30 13 0C 11 43 6F 64 65 20 64 65 20 64 65 62 6C 6F 63 61 67 65"
	" 30 03 04 01 02 A1 15 30 13 03 02 01 0A 0A 01 01 02 01 04 02 01 08 02 01"
	" 08 80 01 02";
/* dodf, 191 bytes */
static const char DODF[] =
	"30 22 30 0D 0C 0B 43 50 53 5F 49 44 5F 43 41 52 44 30 05 0C 03 43 50 53"
	" A1 0A 30 08 04 06 3F 00 00 01 D1 01 30 22 30 0D 0C 0B 43 50 53 5F 4E 41"
	" 4D 45 5F 50 53 30 05 0C 03 43 50 53 A1 0A 30 08 04 06 3F 00 00 01 D1 02"
	" 30 22 30 0D 0C 0B 43 50 53 5F 49 4E 46 4F 5F 50 53 30 05 0C 03 43 50 53"
	" A1 0A 30 08 04 06 3F 00 00 01 D1 03 30 1F 30 0A 0C 08 43 50 53 5F 44 41"
	" 54 41 30 05 0C 03 43 50 53 A1 0A 30 08 04 06 3F 00 00 01 D1 07 30 30 30"
	" 1B 0C 12 43 50 53 5F 41 43 54 49 56 49 54 59 5F 30 31 5F 50 53 03 02 07"
	" 80 04 01 01 30 05 0C 03 43 50 53 A1 0A 30 08 04 06 3F 00 00 01 D1 20";

/* The contact application's AID (the CPS3 key paths hold only it). */
static const uint8_t AID_CONTACT[13] = {
	0xE8, 0x28, 0xBD, 0x08, 0x0F, 0x80, 0x25, 0x00, 0x00, 0x01, 0xFF, 0x00, 0x10
};

static void assert_bytes(const uint8_t *got, size_t got_len, const char *want_hex)
{
	uint8_t want[256];
	size_t n = hex(want_hex, want, sizeof(want));

	ck_assert_uint_eq(got_len, n);
	ck_assert_mem_eq(got, want, n);
}

static void assert_path(const struct stci_p15_path *p, const char *want_hex)
{
	assert_bytes(p->value, p->len, want_hex);
	ck_assert_uint_eq(p->aid_len, 0);
	ck_assert_int_eq(p->index, -1);
	ck_assert_int_eq(p->length, -1);
}

static stc_rv parse_df_hex(enum stci_p15_df_type type, const char *h,
			   struct stci_p15_object **objs, size_t *count)
{
	static uint8_t b[1024];
	size_t n = hex(h, b, sizeof(b));

	return stci_p15_parse_df(type, b, n, objs, count);
}

/* ------------------------------------------------------- the CPS3's files */

START_TEST(test_cps3_odf)
{
	uint8_t b[64];
	size_t n = hex(ODF, b, sizeof(b));
	struct stci_p15_odf odf;

	ck_assert_int_eq(stci_p15_parse_odf(b, n, &odf), STC_OK);
	ck_assert_uint_eq(odf.count, 4);
	ck_assert_int_eq(odf.entry[0].type, STCI_P15_PRKDF);
	assert_path(&odf.entry[0].path, "3F 00 00 01 50 01");
	ck_assert_int_eq(odf.entry[1].type, STCI_P15_CDF);
	assert_path(&odf.entry[1].path, "3F 00 00 01 50 02");
	ck_assert_int_eq(odf.entry[2].type, STCI_P15_DODF);
	assert_path(&odf.entry[2].path, "3F 00 00 01 50 04");
	ck_assert_int_eq(odf.entry[3].type, STCI_P15_AODF);
	assert_path(&odf.entry[3].path, "3F 00 00 01 50 03");
}
END_TEST

START_TEST(test_cps3_tokeninfo)
{
	static const struct {
		long ref, mech;
		unsigned ops;
		const char *oid;
		long alg_ref;
	} want[6] = {
		{ 1, 0x220, STCI_P15_OP_HASH, "2B 0E 03 02 1A", 0x10 },
		{ 2, 0x250, STCI_P15_OP_HASH, "60 86 48 01 65 03 04 02 01", 0x40 },
		{ 3, 0x06, STCI_P15_OP_COMPUTE_SIGNATURE, "2A 86 48 86 F7 0D 01 01 05", 0x12 },
		{ 4, 0x40, STCI_P15_OP_COMPUTE_SIGNATURE, "2A 86 48 86 F7 0D 01 01 0B", 0x42 },
		{ 5, 0x01, STCI_P15_OP_COMPUTE_SIGNATURE, "2A 86 48 86 F7 0D 01 01 01", 0x02 },
		{ 6, 0x01, STCI_P15_OP_DECIPHER, "2A 86 48 86 F7 0D 01 01 01", 0x1A },
	};
	uint8_t b[256];
	size_t n = hex(TOKENINFO, b, sizeof(b)), i;
	struct stci_p15_tokeninfo ti;
	const struct stci_p15_algo *a;

	ck_assert_int_eq(stci_p15_parse_tokeninfo(b, n, &ti), STC_OK);
	ck_assert_int_eq(ti.version, 0);
	assert_bytes(ti.serial, ti.serial_len, "00 00 01 99 21 00 01 01");
	ck_assert_str_eq(ti.serial_hex, "0000019921000101");
	ck_assert_int_eq(ti.has_manufacturer, 1);
	ck_assert_str_eq(ti.manufacturer, "ASIP SANTE");
	ck_assert_uint_eq(ti.manufacturer_len, 10);
	ck_assert_int_eq(ti.has_label, 1);
	ck_assert_str_eq(ti.label, "CPS3v3-9921000101");
	ck_assert_uint_eq(ti.flags, STCI_P15_TOKEN_READONLY | STCI_P15_TOKEN_LOGIN_REQUIRED);
	ck_assert_str_eq(ti.last_update, "");
	ck_assert_uint_eq(ti.alg_count, 6);
	for (i = 0; i < 6; i++) {
		ck_assert_int_eq(ti.algs[i].reference, want[i].ref);
		ck_assert_int_eq(ti.algs[i].mechanism, want[i].mech);
		ck_assert_uint_eq(ti.algs[i].operations, want[i].ops);
		assert_bytes(ti.algs[i].oid, ti.algs[i].oid_len, want[i].oid);
		ck_assert_int_eq(ti.algs[i].has_alg_ref, 1);
		ck_assert_int_eq(ti.algs[i].alg_ref, want[i].alg_ref);
	}
	/* the look-ups OpenSC's CPx driver makes (reference/opensc-cpx.md §3.5) */
	a = stci_p15_find_algo(&ti, STCI_P15_OP_DECIPHER, 0x01);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->alg_ref, 0x1A);
	a = stci_p15_find_algo(&ti, STCI_P15_OP_COMPUTE_SIGNATURE, 0x01);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->alg_ref, 0x02);
	a = stci_p15_find_algo(&ti, STCI_P15_OP_HASH, 0x250);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->alg_ref, 0x40);
	ck_assert_ptr_null(stci_p15_find_algo(&ti, STCI_P15_OP_DECIPHER, 0x40));
}
END_TEST

static void assert_cps3_key(const struct stci_p15_object *o, const char *label,
			    uint8_t idlast, unsigned flags, unsigned usage, long keyref)
{
	uint8_t id[14];

	memcpy(id, AID_CONTACT, 13);
	id[13] = idlast;
	ck_assert_int_eq(o->kind, STCI_P15_PRKEY_RSA);
	ck_assert_int_eq(o->has_label, 1);
	ck_assert_str_eq(o->label, label);
	ck_assert_uint_eq(o->label_len, strlen(label));
	ck_assert_uint_eq(o->flags, flags);
	assert_bytes(o->auth_id.value, o->auth_id.len, "01");
	ck_assert_uint_eq(o->id.len, 14);
	ck_assert_mem_eq(o->id.value, id, 14);
	ck_assert_uint_eq(o->usage, usage);
	ck_assert_int_eq(o->native, 1);
	ck_assert_uint_eq(o->access_flags, STCI_P15_ACCESS_SENSITIVE |
			  STCI_P15_ACCESS_ALWAYSSENSITIVE | STCI_P15_ACCESS_NEVEREXTRACTABLE);
	ck_assert_int_eq(o->key_reference, keyref);
	ck_assert_int_eq(o->modulus_length, 2048);
	/* aid-only path: the key belongs to the application, no file */
	ck_assert_int_eq(o->has_path, 1);
	ck_assert_uint_eq(o->path.len, 0);
	ck_assert_uint_eq(o->path.aid_len, 13);
	ck_assert_mem_eq(o->path.aid, AID_CONTACT, 13);
}

START_TEST(test_cps3_prkdf)
{
	struct stci_p15_object *o;
	size_t n;

	ck_assert_int_eq(parse_df_hex(STCI_P15_PRKDF, PRKDF, &o, &n), STC_OK);
	ck_assert_uint_eq(n, 2);
	assert_cps3_key(&o[0], "CPS_PRIV_SIG", 0x01, STCI_P15_OBJ_PRIVATE,
			STCI_P15_USAGE_NONREPUDIATION, 0x81);
	ck_assert_uint_eq(o[0].usage, 0x200);
	assert_cps3_key(&o[1], "CPS_PRIV_AUT", 0x02, STCI_P15_OBJ_PRIVATE | STCI_P15_OBJ_MODIFIABLE,
			STCI_P15_USAGE_DECRYPT | STCI_P15_USAGE_SIGN, 0x82);
	ck_assert_uint_eq(o[1].usage, 0x06);
	stci_p15_objects_free(o);
}
END_TEST

START_TEST(test_cps3_cdf)
{
	struct stci_p15_object *o;
	size_t n;

	ck_assert_int_eq(parse_df_hex(STCI_P15_CDF, CDF, &o, &n), STC_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(o[0].kind, STCI_P15_CERT_X509);
	ck_assert_str_eq(o[0].label, "Certificat d'Authentification CPS");
	assert_bytes(o[0].id.value, o[0].id.len, "E8 28 BD 08 0F 80 25 00 00 01 FF 00 10 02");
	ck_assert_uint_eq(o[0].flags, 0);
	ck_assert_uint_eq(o[0].auth_id.len, 0);
	ck_assert_int_eq(o[0].authority, 0);
	ck_assert_int_eq(o[0].has_path, 1);
	assert_path(&o[0].path, "3F 00 00 01 C1 01");
	ck_assert_uint_eq(o[0].value_len, 0);
	ck_assert_str_eq(o[1].label, "Certificat de Signature CPS");
	assert_bytes(o[1].id.value, o[1].id.len, "E8 28 BD 08 0F 80 25 00 00 01 FF 00 10 01");
	assert_path(&o[1].path, "3F 00 00 01 C1 02");
	stci_p15_objects_free(o);
}
END_TEST

START_TEST(test_cps3_aodf)
{
	struct stci_p15_object *o;
	size_t n;

	ck_assert_int_eq(parse_df_hex(STCI_P15_AODF, AODF, &o, &n), STC_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(o[0].kind, STCI_P15_AUTH_PIN);
	ck_assert_str_eq(o[0].label, "Code porteur");
	ck_assert_uint_eq(o[0].flags, 0);
	assert_bytes(o[0].id.value, o[0].id.len, "01");
	assert_bytes(o[0].auth_id.value, o[0].auth_id.len, "02");  /* unblocked by the PUK */
	ck_assert_uint_eq(o[0].pin.flags, STCI_P15_PIN_INITIALIZED);
	ck_assert_int_eq(o[0].pin.type, STCI_P15_PIN_TYPE_ASCII_NUMERIC);
	ck_assert_int_eq(o[0].pin.min_length, 4);
	ck_assert_int_eq(o[0].pin.stored_length, 8);
	ck_assert_int_eq(o[0].pin.max_length, 8);
	ck_assert_int_eq(o[0].pin.reference, 0x01);
	ck_assert_int_eq(o[0].pin.has_pad_char, 0);
	ck_assert_int_eq(o[0].has_path, 0);

	ck_assert_str_eq(o[1].label, "Code de deblocage");
	assert_bytes(o[1].id.value, o[1].id.len, "02");
	ck_assert_uint_eq(o[1].auth_id.len, 0);
	ck_assert_uint_eq(o[1].pin.flags, STCI_P15_PIN_INITIALIZED | STCI_P15_PIN_UNBLOCKING_PIN);
	ck_assert_uint_eq(o[1].pin.flags, 0x50);
	ck_assert_int_eq(o[1].pin.reference, 0x02);
	ck_assert_int_eq(o[1].pin.min_length, 4);
	ck_assert_int_eq(o[1].pin.max_length, 8);
	stci_p15_objects_free(o);
}
END_TEST

START_TEST(test_cps3_dodf)
{
	static const char *labels[5] = {
		"CPS_ID_CARD", "CPS_NAME_PS", "CPS_INFO_PS", "CPS_DATA", "CPS_ACTIVITY_01_PS"
	};
	static const char *paths[5] = {
		"3F 00 00 01 D1 01", "3F 00 00 01 D1 02", "3F 00 00 01 D1 03",
		"3F 00 00 01 D1 07", "3F 00 00 01 D1 20"
	};
	struct stci_p15_object *o;
	size_t n, i;

	ck_assert_int_eq(parse_df_hex(STCI_P15_DODF, DODF, &o, &n), STC_OK);
	ck_assert_uint_eq(n, 5);
	for (i = 0; i < 5; i++) {
		ck_assert_int_eq(o[i].kind, STCI_P15_DATA);
		ck_assert_str_eq(o[i].label, labels[i]);
		ck_assert_str_eq(o[i].app_name, "CPS");
		ck_assert_uint_eq(o[i].app_name_len, 3);
		ck_assert_uint_eq(o[i].app_oid_len, 0);
		ck_assert_int_eq(o[i].has_path, 1);
		assert_path(&o[i].path, paths[i]);
		ck_assert_uint_eq(o[i].flags, i == 4 ? STCI_P15_OBJ_PRIVATE : 0);
		if (i == 4)
			assert_bytes(o[i].auth_id.value, o[i].auth_id.len, "01");
		else
			ck_assert_uint_eq(o[i].auth_id.len, 0);
	}
	stci_p15_objects_free(o);
}
END_TEST

/* Every strict prefix of a real file either parses as whole objects or is
 * rejected: never read past the end (ASan/valgrind), never a half object. */
START_TEST(test_cps3_truncations)
{
	static const struct {
		const char *h;
		int df;
		enum stci_p15_df_type type;
	} files[] = {
		{ PRKDF, 1, STCI_P15_PRKDF }, { CDF, 1, STCI_P15_CDF },
		{ AODF, 1, STCI_P15_AODF }, { DODF, 1, STCI_P15_DODF },
		{ TOKENINFO, 0, STCI_P15_PRKDF }, { ODF, 2, STCI_P15_PRKDF },
	};
	size_t f;

	for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		uint8_t b[256];
		size_t n = hex(files[f].h, b, sizeof(b)), cut, whole = 0;

		for (cut = 0; cut < n; cut++) {
			uint8_t *copy = malloc(cut ? cut : 1);  /* exact size for ASan */
			struct stci_p15_object *o = NULL;
			struct stci_p15_tokeninfo ti;
			struct stci_p15_odf odf;
			size_t cnt = 0;
			stc_rv rv;

			ck_assert_ptr_nonnull(copy);
			memcpy(copy, b, cut);
			if (files[f].df == 1) {
				rv = stci_p15_parse_df(files[f].type, copy, cut, &o, &cnt);
				if (rv == STC_OK)
					whole++;
				else
					ck_assert_ptr_null(o);
				stci_p15_objects_free(o);
			} else if (files[f].df == 0) {
				rv = stci_p15_parse_tokeninfo(copy, cut, &ti);
				ck_assert_int_eq(rv, STC_ERR_INVALID_DATA);
			} else {
				rv = stci_p15_parse_odf(copy, cut, &odf);
				if (rv == STC_OK)
					whole++;
			}
			if (rv != STC_OK)
				ck_assert_int_eq(rv, STC_ERR_INVALID_DATA);
			free(copy);
		}
		/* the empty prefix and the ends of whole objects (not the last) */
		if (files[f].df == 1)
			ck_assert_uint_eq(whole, f == 3 ? 5 : 2);
		else if (files[f].df == 2)
			ck_assert_uint_eq(whole, 4);
	}
}
END_TEST

/* ----------------------------------------------------------- hand-made DFs */

/* A minimal certificate object with the given label length (0 = no label) and
 * efidOrPath. */
static void put_cert_path(stc_buf *b, size_t label_len, uint8_t id, const uint8_t *path,
			  size_t path_len)
{
	char label[300];
	size_t m = stc_tlv_begin(b, 0x30), c, a, s, p;

	memset(label, 'L', sizeof(label));
	c = stc_tlv_begin(b, 0x30);
	if (label_len)
		stc_tlv_put(b, 0x0C, (const uint8_t *)label, label_len);
	stc_tlv_end(b, c);
	c = stc_tlv_begin(b, 0x30);
	stc_tlv_put(b, 0x04, &id, 1);
	stc_tlv_end(b, c);
	a = stc_tlv_begin(b, 0xA1);
	s = stc_tlv_begin(b, 0x30);
	p = stc_tlv_begin(b, 0x30);
	stc_tlv_put(b, 0x04, path, path_len);
	stc_tlv_end(b, p);
	stc_tlv_end(b, s);
	stc_tlv_end(b, a);
	stc_tlv_end(b, m);
}

static void put_cert(stc_buf *b, size_t label_len, uint8_t id)
{
	static const uint8_t path[] = { 0x3F, 0x00, 0xC1, 0x01 };

	put_cert_path(b, label_len, id, path, sizeof(path));
}

START_TEST(test_object_without_label)
{
	uint8_t data[128];
	stc_buf b;
	struct stci_p15_object *o;
	size_t n;

	stc_buf_init(&b, data, sizeof(data));
	put_cert(&b, 0, 0x45);
	ck_assert_int_eq(stc_buf_status(&b), STC_OK);
	ck_assert_int_eq(stci_p15_parse_df(STCI_P15_CDF, data, b.len, &o, &n), STC_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(o[0].has_label, 0);
	ck_assert_str_eq(o[0].label, "");
	ck_assert_uint_eq(o[0].label_len, 0);
	assert_bytes(o[0].id.value, o[0].id.len, "45");
	assert_path(&o[0].path, "3F 00 C1 01");
	stci_p15_objects_free(o);
}
END_TEST

START_TEST(test_label_bounds)
{
	static uint8_t data[1024];
	stc_buf b;
	struct stci_p15_object *o;
	size_t n;

	stc_buf_init(&b, data, sizeof(data));
	put_cert(&b, STCI_P15_LABEL_MAX, 1);
	ck_assert_int_eq(stci_p15_parse_df(STCI_P15_CDF, data, b.len, &o, &n), STC_OK);
	ck_assert_uint_eq(o[0].label_len, STCI_P15_LABEL_MAX);
	ck_assert_uint_eq(strlen(o[0].label), STCI_P15_LABEL_MAX);
	stci_p15_objects_free(o);

	/* one byte more: rejected, not truncated */
	stc_buf_init(&b, data, sizeof(data));
	put_cert(&b, STCI_P15_LABEL_MAX + 1, 1);
	o = (struct stci_p15_object *)1;
	ck_assert_int_eq(stci_p15_parse_df(STCI_P15_CDF, data, b.len, &o, &n), STC_ERR_INVALID_DATA);
	ck_assert_ptr_null(o);
	ck_assert_uint_eq(n, 0);

	/* a NUL inside a label */
	ck_assert_int_eq(parse_df_hex(STCI_P15_CDF,
		"30 14 30 04 0C 02 41 00 30 03 04 01 01 A1 07 30 05 30 03 04 01 01", &o, &n),
		STC_ERR_INVALID_DATA);
}
END_TEST

START_TEST(test_object_count_bound)
{
	static uint8_t data[4096];
	stc_buf b;
	struct stci_p15_object *o;
	size_t n, i;

	stc_buf_init(&b, data, sizeof(data));
	for (i = 0; i < STCI_P15_OBJECTS_MAX; i++)
		put_cert(&b, 4, (uint8_t)i);
	ck_assert_int_eq(stc_buf_status(&b), STC_OK);
	ck_assert_int_eq(stci_p15_parse_df(STCI_P15_CDF, data, b.len, &o, &n), STC_OK);
	ck_assert_uint_eq(n, STCI_P15_OBJECTS_MAX);
	ck_assert_uint_eq(o[63].id.value[0], 63);
	stci_p15_objects_free(o);

	for (; i < 70; i++)
		put_cert(&b, 4, (uint8_t)i);
	ck_assert_int_eq(stc_buf_status(&b), STC_OK);
	ck_assert_int_eq(stci_p15_parse_df(STCI_P15_CDF, data, b.len, &o, &n), STC_ERR_INVALID_DATA);
	ck_assert_ptr_null(o);
}
END_TEST

START_TEST(test_path_bound)
{
	uint8_t path[STCI_P15_PATH_MAX + 1], data[128];
	stc_buf b;
	struct stci_p15_object *o;
	size_t n;

	memset(path, 0x3F, sizeof(path));
	stc_buf_init(&b, data, sizeof(data));
	put_cert_path(&b, 1, 1, path, STCI_P15_PATH_MAX);
	ck_assert_int_eq(stci_p15_parse_df(STCI_P15_CDF, data, b.len, &o, &n), STC_OK);
	ck_assert_uint_eq(o[0].path.len, STCI_P15_PATH_MAX);
	stci_p15_objects_free(o);
	stc_buf_init(&b, data, sizeof(data));
	put_cert_path(&b, 1, 1, path, STCI_P15_PATH_MAX + 1);
	ck_assert_int_eq(stci_p15_parse_df(STCI_P15_CDF, data, b.len, &o, &n), STC_ERR_INVALID_DATA);
}
END_TEST

/* An RSA key as other producers write it: keyReference 0x81 as one negative
 * byte (02 01 81 = -127), a file path, no accessFlags, native absent. */
START_TEST(test_keyref_one_negative_byte)
{
	struct stci_p15_object *o;
	size_t n;

	ck_assert_int_eq(parse_df_hex(STCI_P15_PRKDF,
		"30 23 30 06 0C 01 4B 03 01 00"
		" 30 0A 04 01 45 03 02 05 20 02 01 81"
		" A1 0D 30 0B 30 06 04 04 3F 00 50 72 02 01 7F", &o, &n), STC_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(o[0].label, "K");
	ck_assert_uint_eq(o[0].flags, 0);
	ck_assert_uint_eq(o[0].usage, STCI_P15_USAGE_SIGN);
	ck_assert_int_eq(o[0].key_reference, 0x81);
	ck_assert_int_eq(o[0].native, 1);
	ck_assert_uint_eq(o[0].access_flags, 0);
	ck_assert_int_eq(o[0].modulus_length, 127);
	assert_path(&o[0].path, "3F 00 50 72");
	stci_p15_objects_free(o);

	/* two bytes 00 81 and FF 81 (non-minimal -127) */
	ck_assert_int_eq(parse_df_hex(STCI_P15_PRKDF,
		"30 1E 30 00 30 0B 04 01 45 03 02 05 20 02 02 FF 81"
		" A1 0D 30 0B 30 06 04 04 3F 00 50 72 02 01 7F", &o, &n), STC_OK);
	ck_assert_int_eq(o[0].key_reference, -127);  /* only the one-byte form is fixed */
	ck_assert_int_eq(o[0].has_label, 0);
	stci_p15_objects_free(o);

	/* no keyReference at all */
	ck_assert_int_eq(parse_df_hex(STCI_P15_PRKDF,
		"30 19 30 00 30 06 04 01 45 03 01 00"
		" A1 0D 30 0B 30 06 04 04 3F 00 50 72 02 01 7F", &o, &n), STC_OK);
	ck_assert_int_eq(o[0].key_reference, -1);
	stci_p15_objects_free(o);
}
END_TEST

START_TEST(test_pin_reference_negative_and_pad)
{
	struct stci_p15_object *o;
	size_t n;

	/* pinReference 81 (-127 -> 0x81), padChar FF, needs-padding, bcd, a path */
	ck_assert_int_eq(parse_df_hex(STCI_P15_AODF,
		"30 28 30 00 30 03 04 01 01 A1 1F 30 1D 03 02 02 24 0A 01 00"
		" 02 01 04 02 01 08 80 01 81 04 01 FF 30 08 04 06 3F 00 00 01 00 01"
		" 00 00", &o, &n), STC_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(o[0].pin.flags, STCI_P15_PIN_NEEDS_PADDING | STCI_P15_PIN_CHANGE_DISABLED);
	ck_assert_int_eq(o[0].pin.type, STCI_P15_PIN_TYPE_BCD);
	ck_assert_int_eq(o[0].pin.max_length, 0);
	ck_assert_int_eq(o[0].pin.reference, 0x81);
	ck_assert_int_eq(o[0].pin.has_pad_char, 1);
	ck_assert_uint_eq(o[0].pin.pad_char, 0xFF);
	ck_assert_int_eq(o[0].has_path, 1);
	assert_path(&o[0].path, "3F 00 00 01 00 01");
	stci_p15_objects_free(o);
}
END_TEST

START_TEST(test_unknown_objects_skipped)
{
	struct stci_p15_object *o;
	size_t n;

	/* an EC key [0] and an unknown [5] around one RSA key, then padding and junk */
	ck_assert_int_eq(parse_df_hex(STCI_P15_PRKDF,
		"A0 03 01 02 03"
		" 30 19 30 00 30 06 04 01 45 03 01 00"
		" A1 0D 30 0B 30 06 04 04 3F 00 50 72 02 01 7F"
		" A5 00 00 00 FF 12 34", &o, &n), STC_OK);
	ck_assert_uint_eq(n, 1);
	assert_bytes(o[0].id.value, o[0].id.len, "45");
	stci_p15_objects_free(o);

	/* only unknown objects: no array */
	o = (struct stci_p15_object *)1;
	ck_assert_int_eq(parse_df_hex(STCI_P15_AODF, "A1 00 A2 00", &o, &n), STC_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(o);
	/* empty file, padding only */
	ck_assert_int_eq(parse_df_hex(STCI_P15_CDF, "", &o, &n), STC_OK);
	ck_assert_int_eq(parse_df_hex(STCI_P15_CDF, "FF FF", &o, &n), STC_OK);
	ck_assert_uint_eq(n, 0);
	/* DF types the parser does not model */
	ck_assert_int_eq(parse_df_hex(STCI_P15_PUKDF, "", &o, &n), STC_ERR_NOT_SUPPORTED);
	ck_assert_int_eq(parse_df_hex(STCI_P15_SKDF, "", &o, &n), STC_ERR_NOT_SUPPORTED);
	ck_assert_int_eq(stci_p15_parse_df(STCI_P15_CDF, NULL, 1, &o, &n), STC_ERR_INVALID_ARGS);
}
END_TEST

START_TEST(test_direct_certificate_value)
{
	uint8_t b[64];
	size_t len = hex("30 16 30 00 30 03 04 01 07 A1 0D 30 0B A0 09 30 07 02 01 05 02 02 00 80",
			 b, sizeof(b));
	struct stci_p15_object *o;
	size_t n;

	ck_assert_int_eq(stci_p15_parse_df(STCI_P15_CDF, b, len, &o, &n), STC_OK);
	ck_assert_int_eq(o[0].has_path, 0);
	ck_assert_uint_eq(o[0].value_offset, 15);
	ck_assert_uint_eq(o[0].value_len, 9);
	ck_assert_uint_eq(b[o[0].value_offset], 0x30);
	stci_p15_objects_free(o);
}
END_TEST

START_TEST(test_hostile_dfs)
{
	static const char *bad[] = {
		/* outer length past the end */
		"30 7F 30 00 30 03 04 01 07",
		/* inner length past its parent */
		"30 0C 30 00 30 09 04 01 07 A1 03 30 01 30",
		/* common attributes with a wrong tag (SET) */
		"30 15 31 00 30 03 04 01 07 A1 0C 30 0A 30 08 04 06 3F 00 00 01 C1 01",
		/* class attributes: iD missing */
		"30 12 30 00 30 00 A1 0C 30 0A 30 08 04 06 3F 00 00 01 C1 01",
		/* type attributes [2] instead of [1] */
		"30 15 30 00 30 03 04 01 07 A2 0C 30 0A 30 08 04 06 3F 00 00 01 C1 01",
		/* no type attributes */
		"30 07 30 00 30 03 04 01 07",
		/* path: INTEGER where efidOrPath is, and no pathExtended */
		"30 10 30 00 30 03 04 01 07 A1 07 30 05 30 03 02 01 01",
		/* label with an indefinite length */
		"30 0B 30 80 0C 01 41 00 00 30 03 04 01 07",
		/* truncated tag at the end */
		"30 05 30 00 30 01 04",
		/* a 5-byte length field */
		"30 85 00 00 00 00 05",
	};
	struct stci_p15_object *o;
	size_t n, i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t b[128];
		size_t len = hex(bad[i], b, sizeof(b));
		stc_rv rv;


		o = (struct stci_p15_object *)1;
		rv = stci_p15_parse_df(STCI_P15_CDF, b, len, &o, &n);
		ck_assert_msg(rv == STC_ERR_INVALID_DATA, "case %zu: %d", i, rv);
		ck_assert_ptr_null(o);
	}
}
END_TEST

START_TEST(test_hostile_primitives)
{
	static const char *bad[] = {
		/* usage BIT STRING with 8 unused bits */
		"30 19 30 00 30 06 04 01 45 03 01 08 A1 0D 30 0B 30 06 04 04 3F 00 50 72 02 01 7F",
		/* usage BIT STRING of 5 content bytes */
		"30 1E 30 00 30 0B 04 01 45 03 06 00 01 02 03 04 05 A1 0D 30 0B 30 06 04 04 3F 00 50 72"
		" 02 01 7F",
		/* empty usage BIT STRING */
		"30 18 30 00 30 05 04 01 45 03 00 A1 0D 30 0B 30 06 04 04 3F 00 50 72 02 01 7F"
		" 00",
		/* native BOOLEAN of two bytes */
		"30 1D 30 00 30 0A 04 01 45 03 01 00 01 02 FF FF A1 0D 30 0B 30 06 04 04 3F 00 50 72"
		" 02 01 7F",
		/* modulusLength: empty INTEGER */
		"30 18 30 00 30 06 04 01 45 03 01 00 A1 0C 30 0A 30 06 04 04 3F 00 50 72 02 00",
		/* modulusLength: 9-byte INTEGER */
		"30 21 30 00 30 06 04 01 45 03 01 00 A1 15 30 13 30 06 04 04 3F 00 50 72 02 09 00 00"
		" 00 00 00 00 00 08 00",
		/* modulusLength: beyond 32 bits */
		"30 1D 30 00 30 06 04 01 45 03 01 00 A1 11 30 0F 30 06 04 04 3F 00 50 72 02 05 01 00"
		" 00 00 00",
		/* modulusLength negative */
		"30 19 30 00 30 06 04 01 45 03 01 00 A1 0D 30 0B 30 06 04 04 3F 00 50 72 02 01 80",
		/* modulusLength missing */
		"30 16 30 00 30 06 04 01 45 03 01 00 A1 0A 30 08 30 06 04 04 3F 00 50 72",
		/* iD of 65 bytes is checked below */
	};
	struct stci_p15_object *o;
	size_t n, i;
	static uint8_t data[256];
	uint8_t id[STCI_P15_ID_MAX + 1];
	stc_buf b;
	size_t m, c;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o = (struct stci_p15_object *)1;
		ck_assert_msg(parse_df_hex(STCI_P15_PRKDF, bad[i], &o, &n) == STC_ERR_INVALID_DATA,
			      "case %zu", i);
		ck_assert_ptr_null(o);
	}
	memset(id, 0x11, sizeof(id));
	stc_buf_init(&b, data, sizeof(data));
	m = stc_tlv_begin(&b, 0x30);
	stc_tlv_put(&b, 0x30, NULL, 0);
	c = stc_tlv_begin(&b, 0x30);
	stc_tlv_put(&b, 0x04, id, sizeof(id));
	stc_tlv_end(&b, c);
	c = stc_tlv_begin(&b, 0xA1);
	stc_tlv_put(&b, 0x30, (const uint8_t *)"\x30\x00", 2);
	stc_tlv_end(&b, c);
	stc_tlv_end(&b, m);
	ck_assert_int_eq(stc_buf_status(&b), STC_OK);
	ck_assert_int_eq(stci_p15_parse_df(STCI_P15_CDF, data, b.len, &o, &n), STC_ERR_INVALID_DATA);
}
END_TEST

/* ------------------------------------------------------ ODF and TokenInfo */

START_TEST(test_odf_forms)
{
	uint8_t b[128];
	struct stci_p15_odf odf;
	size_t len;

	/* relative FID with index/length, OpenSC's pathExtended, an unknown [9]
	 * entry, a direct-objects entry (skipped), padding */
	len = hex("A0 0C 30 0A 04 02 44 00 02 01 00 80 01 20"
		  " A8 15 30 13 A1 11 4F 0D E8 28 BD 08 0F 80 25 00 00 01 FF 00 10 04 00"
		  " A9 02 05 00 A4 04 A0 02 30 00 00 00 00", b, sizeof(b));
	ck_assert_int_eq(stci_p15_parse_odf(b, len, &odf), STC_OK);
	ck_assert_uint_eq(odf.count, 2);
	ck_assert_int_eq(odf.entry[0].type, STCI_P15_PRKDF);
	assert_bytes(odf.entry[0].path.value, odf.entry[0].path.len, "44 00");
	ck_assert_int_eq(odf.entry[0].path.index, 0);
	ck_assert_int_eq(odf.entry[0].path.length, 0x20);
	ck_assert_int_eq(odf.entry[1].type, STCI_P15_AODF);
	ck_assert_uint_eq(odf.entry[1].path.len, 0);
	ck_assert_uint_eq(odf.entry[1].path.aid_len, 13);
	ck_assert_mem_eq(odf.entry[1].path.aid, AID_CONTACT, 13);

	/* bad: path not an OCTET STRING; trailing half entry; aid too long */
	len = hex("A0 05 30 03 02 01 01", b, sizeof(b));
	ck_assert_int_eq(stci_p15_parse_odf(b, len, &odf), STC_ERR_INVALID_DATA);
	len = hex("A0 06 30 04 04 02 50 01 A4 06 30", b, sizeof(b));
	ck_assert_int_eq(stci_p15_parse_odf(b, len, &odf), STC_ERR_INVALID_DATA);
	len = hex("A0 19 30 17 04 00 4F 13 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10 11"
		  " 12", b, sizeof(b));
	ck_assert_int_eq(stci_p15_parse_odf(b, len, &odf), STC_ERR_INVALID_DATA);
	ck_assert_int_eq(stci_p15_parse_odf(NULL, 0, &odf), STC_OK);
	ck_assert_uint_eq(odf.count, 0);
	ck_assert_int_eq(stci_p15_parse_odf(b, len, NULL), STC_ERR_INVALID_ARGS);
}
END_TEST

START_TEST(test_odf_bound)
{
	static uint8_t b[12 * (STCI_P15_ODF_MAX + 1)];
	static const uint8_t e[12] = { 0xA4, 0x0A, 0x30, 0x08, 0x04, 0x06, 0x3F, 0x00, 0x00, 0x01,
				       0x50, 0x02 };
	struct stci_p15_odf odf;
	size_t i;

	for (i = 0; i <= STCI_P15_ODF_MAX; i++)
		memcpy(b + 12 * i, e, sizeof(e));
	ck_assert_int_eq(stci_p15_parse_odf(b, (size_t)12 * STCI_P15_ODF_MAX, &odf), STC_OK);
	ck_assert_uint_eq(odf.count, STCI_P15_ODF_MAX);
	ck_assert_int_eq(stci_p15_parse_odf(b, sizeof(b), &odf), STC_ERR_INVALID_DATA);
}
END_TEST

START_TEST(test_tokeninfo_forms)
{
	uint8_t b[256];
	struct stci_p15_tokeninfo ti;
	size_t len;

	/* minimal: version and flags; an explicit [0] label (OpenSC's Taiwanese ID
	 * card case), the v1.0 [5] time, a preferredLanguage, unknown trailing
	 * fields, bytes after the SEQUENCE */
	len = hex("30 2C 02 01 01 A0 05 0C 03 54 4F 4B 03 01 00 30 00 A1 00 83 01 41"
		  " 85 0F 32 30 31 30 30 33 31 36 31 31 30 30 30 30 5A 13 02 66 72 9F 7F 00"
		  " FF FF", b, sizeof(b));
	ck_assert_int_eq(stci_p15_parse_tokeninfo(b, len, &ti), STC_OK);
	ck_assert_int_eq(ti.version, 1);
	ck_assert_uint_eq(ti.serial_len, 0);
	ck_assert_str_eq(ti.serial_hex, "");
	ck_assert_int_eq(ti.has_manufacturer, 0);
	ck_assert_str_eq(ti.label, "TOK");
	ck_assert_uint_eq(ti.flags, 0);
	ck_assert_uint_eq(ti.alg_count, 0);
	ck_assert_str_eq(ti.last_update, "20100316110000Z");

	/* the v1.1 [5] CHOICE form, an algorithm with EC parameters and no algRef */
	len = hex("30 2E 02 01 00 03 02 07 80 A2 12 30 10 02 01 07 02 02 10 41 06 03 2B 65 70"
		  " 03 02 07 80 A5 11 18 0F 32 30 32 34 30 31 30 31 30 30 30 30 30 30 5A",
		  b, sizeof(b));
	ck_assert_int_eq(stci_p15_parse_tokeninfo(b, len, &ti), STC_OK);
	ck_assert_uint_eq(ti.flags, STCI_P15_TOKEN_READONLY);
	ck_assert_uint_eq(ti.alg_count, 1);
	ck_assert_int_eq(ti.algs[0].mechanism, 0x1041);
	ck_assert_uint_eq(ti.algs[0].operations, STCI_P15_OP_COMPUTE_CHECKSUM);
	ck_assert_uint_eq(ti.algs[0].oid_len, 0);
	ck_assert_int_eq(ti.algs[0].has_alg_ref, 0);
	ck_assert_str_eq(ti.last_update, "20240101000000Z");
}
END_TEST

START_TEST(test_tokeninfo_hostile)
{
	static const char *bad[] = {
		"",                                      /* empty */
		"31 06 02 01 00 03 01 00",               /* a SET */
		"30 03 03 01 00",                        /* no version */
		"30 03 02 01 00",                        /* no tokenflags */
		"30 0A 02 01 00 03 01 00 03 02 07 80",   /* two tokenflags */
		"30 0C 02 01 00 04 01 01 04 01 02 03 01 00",  /* two serials */
		"30 09 02 01 00 03 01 00 80 01 00",      /* NUL in the label */
		"30 0D 02 01 00 03 01 00 A2 05 02 01 01 05 00",  /* algorithm not a SEQUENCE */
		"30 0E 02 01 00 03 01 00 A2 06 30 04 02 01 01 05",  /* truncated inside */
		/* algorithm without supportedOperations */
		"30 12 02 01 00 03 01 00 A2 0A 30 08 02 01 01 02 01 01 05 00",
		/* objId with an unfinished last subidentifier */
		"30 18 02 01 00 03 01 00 A2 10 30 0E 02 01 01 02 01 01 05 00 03 01 00 06 01 86",
		"30 81",                                 /* truncated length */
	};
	static uint8_t big[2048];
	struct stci_p15_tokeninfo ti;
	stc_buf b;
	size_t i, m, a;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t buf[64];
		size_t len = hex(bad[i], buf, sizeof(buf));

		ck_assert_msg(stci_p15_parse_tokeninfo(buf, len, &ti) == STC_ERR_INVALID_DATA,
			      "case %zu", i);
	}
	/* 33 algorithms: over the bound; 32 fit */
	for (i = STCI_P15_ALGS_MAX; i <= STCI_P15_ALGS_MAX + 1; i++) {
		size_t k;

		stc_buf_init(&b, big, sizeof(big));
		m = stc_tlv_begin(&b, 0x30);
		stc_tlv_put(&b, 0x02, (const uint8_t *)"\x00", 1);
		stc_tlv_put(&b, 0x03, (const uint8_t *)"\x00", 1);
		a = stc_tlv_begin(&b, 0xA2);
		for (k = 0; k < i; k++)
			stc_tlv_put(&b, 0x30, (const uint8_t *)
				    "\x02\x01\x01\x02\x01\x01\x05\x00\x03\x02\x06\x40", 12);
		stc_tlv_end(&b, a);
		stc_tlv_end(&b, m);
		ck_assert_int_eq(stc_buf_status(&b), STC_OK);
		ck_assert_int_eq(stci_p15_parse_tokeninfo(big, b.len, &ti),
				 i == STCI_P15_ALGS_MAX ? STC_OK : STC_ERR_INVALID_DATA);
	}
	ck_assert_int_eq(stci_p15_parse_tokeninfo(big, 0, NULL), STC_ERR_INVALID_ARGS);
	ck_assert_ptr_null(stci_p15_find_algo(NULL, STCI_P15_OP_HASH, 0x220));
}
END_TEST

static Suite *pkcs15_suite(void)
{
	Suite *s = suite_create("pkcs15");
	TCase *cps3 = tcase_create("cps3");
	TCase *df = tcase_create("df");
	TCase *top = tcase_create("odf_tokeninfo");

	tcase_add_test(cps3, test_cps3_odf);
	tcase_add_test(cps3, test_cps3_tokeninfo);
	tcase_add_test(cps3, test_cps3_prkdf);
	tcase_add_test(cps3, test_cps3_cdf);
	tcase_add_test(cps3, test_cps3_aodf);
	tcase_add_test(cps3, test_cps3_dodf);
	tcase_add_test(cps3, test_cps3_truncations);
	tcase_add_test(df, test_object_without_label);
	tcase_add_test(df, test_label_bounds);
	tcase_add_test(df, test_object_count_bound);
	tcase_add_test(df, test_path_bound);
	tcase_add_test(df, test_keyref_one_negative_byte);
	tcase_add_test(df, test_pin_reference_negative_and_pad);
	tcase_add_test(df, test_unknown_objects_skipped);
	tcase_add_test(df, test_direct_certificate_value);
	tcase_add_test(df, test_hostile_dfs);
	tcase_add_test(df, test_hostile_primitives);
	tcase_add_test(top, test_odf_forms);
	tcase_add_test(top, test_odf_bound);
	tcase_add_test(top, test_tokeninfo_forms);
	tcase_add_test(top, test_tokeninfo_hostile);
	suite_add_tcase(s, cps3);
	suite_add_tcase(s, df);
	suite_add_tcase(s, top);
	return s;
}

int main(void)
{
	return run_suite(pkcs15_suite());
}
