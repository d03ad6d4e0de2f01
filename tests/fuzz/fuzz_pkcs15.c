/*
 * fuzz_pkcs15.c - libFuzzer target for the PKCS#15 parser (src/lib/pkcs15.c).
 *
 * The first byte picks the parser: 0 ODF, 1 TokenInfo, 2 + t a directory file
 * of type t (enum stci_p15_df_type, modulo 9: 2 PrKDF, 6 CDF, 9 DODF, 10 AODF).
 * The rest is the file. The seeds (tests/fuzz/corpus/pkcs15) are the simulated
 * CPS3's files with that byte in front.
 *
 * Beyond "does not crash" (ASan, UBSan), it checks what callers rely on: counts
 * within their bounds, strings NUL-terminated at their recorded length, a direct
 * value inside the input, and no array on failure.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pkcs15.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

static void check_path(const struct stci_p15_path *p)
{
	CHECK(p->len <= STCI_P15_PATH_MAX && p->aid_len <= STCI_P15_AID_MAX);
	CHECK(p->index >= -1 && p->length >= -1);
}

static void check_string(const char *s, size_t len)
{
	CHECK(len <= STCI_P15_LABEL_MAX && strlen(s) == len);
}

static void check_object(const struct stci_p15_object *o, size_t size)
{
	CHECK(o->kind >= STCI_P15_PRKEY_RSA && o->kind <= STCI_P15_AUTH_PIN);
	check_string(o->label, o->label_len);
	CHECK(o->has_label || o->label_len == 0);
	check_string(o->app_name, o->app_name_len);
	CHECK(o->id.len <= STCI_P15_ID_MAX && o->auth_id.len <= STCI_P15_ID_MAX);
	CHECK(o->app_oid_len <= STCI_P15_OID_MAX);
	check_path(&o->path);
	CHECK(o->value_offset <= size && o->value_len <= size - o->value_offset);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *buf;
	size_t len, i;

	if (size < 1)
		return 0;
	buf = data + 1;
	len = size - 1;
	if (data[0] == 0) {
		struct stci_p15_odf odf;

		if (stci_p15_parse_odf(buf, len, &odf) == STC_OK) {
			CHECK(odf.count <= STCI_P15_ODF_MAX);
			for (i = 0; i < odf.count; i++) {
				CHECK(odf.entry[i].type <= STCI_P15_AODF);
				check_path(&odf.entry[i].path);
			}
		}
	} else if (data[0] == 1) {
		static struct stci_p15_tokeninfo ti;

		if (stci_p15_parse_tokeninfo(buf, len, &ti) == STC_OK) {
			CHECK(ti.serial_len <= STCI_P15_SERIAL_MAX);
			CHECK(strlen(ti.serial_hex) == 2 * ti.serial_len);
			check_string(ti.manufacturer, ti.manufacturer_len);
			check_string(ti.label, ti.label_len);
			CHECK(strlen(ti.last_update) <= STCI_P15_TIME_MAX);
			CHECK(ti.alg_count <= STCI_P15_ALGS_MAX);
			for (i = 0; i < ti.alg_count; i++) {
				CHECK(ti.algs[i].oid_len <= STCI_P15_OID_MAX);
				CHECK(stci_p15_find_algo(&ti, ti.algs[i].operations,
							 ti.algs[i].mechanism) != NULL ||
				      ti.algs[i].operations == 0);
			}
		}
	} else {
		enum stci_p15_df_type type = (enum stci_p15_df_type)((data[0] - 2) % 9);
		struct stci_p15_object *objs = NULL;
		size_t count = 0;

		if (stci_p15_parse_df(type, buf, len, &objs, &count) == STC_OK) {
			CHECK(count <= STCI_P15_OBJECTS_MAX);
			CHECK((count == 0) == (objs == NULL));
			for (i = 0; i < count; i++)
				check_object(&objs[i], len);
		} else {
			CHECK(objs == NULL && count == 0);
		}
		stci_p15_objects_free(objs);
	}
	return 0;
}
