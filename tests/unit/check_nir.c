/* check_nir.c - unit tests for the NIR key (firmware/nir.c), and a guard on the
 * shipped profiles (firmware/profiles/\*.profile): every beneficiary NIR has a
 * valid key and every CPS3 profile has the keys the card and the PKI need. */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nir.h"
#include "profile.h"
#include "check_util.h"

#ifndef PROFILE_DIR
#error "PROFILE_DIR must name the profile directory"
#endif

/* ------------------------------------------------------------------ vectors */

/* cards.md §2.5 and services.md §5.1: 13 characters and the key. */
static const struct {
	const char *nir13;
	int key;
} VECTORS[] = {
	{ "2951099126111", 93 },  /* python-stdnum doctest */
	{ "253072B073004", 70 },  /* python-stdnum doctest, Haute-Corse */
	{ "253072A073004", 43 },  /* python-stdnum doctest, Corse-du-Sud */
	{ "2550814168025", 38 },  /* aymericbouzy/french-ssn README */
	{ "2070585756270", 97 },  /* services.md §5.1, DMP example INS */
	{ "1810163220751", 40 },  /* services.md §5.1 */
};
#define NVECTORS (sizeof(VECTORS) / sizeof(VECTORS[0]))

START_TEST(test_key_vectors)
{
	ck_assert_int_eq(sim_nir_key(VECTORS[_i].nir13), VECTORS[_i].key);
}
END_TEST

START_TEST(test_valid_vectors)
{
	char nir15[16];

	snprintf(nir15, sizeof(nir15), "%s%02d", VECTORS[_i].nir13, VECTORS[_i].key);
	ck_assert_msg(sim_nir_valid(nir15), "%s should be valid", nir15);
	/* any other key is refused */
	for (int k = 0; k <= 99; k++) {
		if (k == VECTORS[_i].key)
			continue;
		snprintf(nir15, sizeof(nir15), "%s%02d", VECTORS[_i].nir13, k);
		ck_assert_msg(!sim_nir_valid(nir15), "%s should be refused", nir15);
	}
}
END_TEST

START_TEST(test_key_range)
{
	/* key 97 when N mod 97 = 0, never 0 or 98 */
	ck_assert_int_eq(sim_nir_key("0000000000000"), 97);
	ck_assert_int_eq(sim_nir_key("0000000000096"), 1);
	ck_assert_int_eq(sim_nir_key("9999999999999"), 97 - (int)(9999999999999ULL % 97));
	ck_assert(sim_nir_valid("000000000000097"));
	ck_assert(!sim_nir_valid("000000000000000"));
	ck_assert(!sim_nir_valid("000000000009600"));
	ck_assert(sim_nir_valid("000000000009601"));
	ck_assert(!sim_nir_valid("000000000009698"));
	/* 2A and 2B count as 19 and 18: the same keys as departments 19 and 18 */
	ck_assert_int_eq(sim_nir_key("2530719073004"), sim_nir_key("253072A073004"));
	ck_assert_int_eq(sim_nir_key("2530718073004"), sim_nir_key("253072B073004"));
}
END_TEST

/* ------------------------------------------------------------------ malformed */

START_TEST(test_malformed_key)
{
	static const char *const bad[] = {
		"",                /* empty */
		"295109912611",    /* 12 characters */
		"29510991261110",  /* 14 characters */
		"295109912611X",   /* letter */
		"A951099126111",   /* letter in the sex */
		"253072C073004",   /* 2C is not a department */
		"253072a073004",   /* lower case */
		"25307AB073004",   /* A outside the department */
		"2530719A73004",   /* A after the department */
		"2A3072B073004",   /* A before the department */
		"2530 2B073004",   /* space */
		"-951099126111",   /* sign */
		"253072B07300\n",  /* newline */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(sim_nir_key(bad[i]) == -1, "'%s' should be malformed", bad[i]);
	ck_assert_int_eq(sim_nir_key(NULL), -1);
}
END_TEST

START_TEST(test_malformed_valid)
{
	static const char *const bad[] = {
		"",
		"2951099126111",     /* no key */
		"29510991261119",    /* 14 characters */
		"2951099126111930",  /* 16 characters */
		"29510991261119A",   /* letter in the key */
		"2951099126111 3",   /* space in the key */
		"295109912611193 ",  /* trailing space */
		"253072C07300470",   /* 2C with the 2B key */
		"253072C07300443",   /* 2C with the 2A key */
		"253072b07300470",   /* lower case */
		"295109912611100",   /* key 00 */
		"295109912611198",   /* key 98 */
		"295109912611199",   /* key 99 */
		"253072B07300443",   /* 2A's key on a 2B NIR */
		"253072A07300470",   /* 2B's key on a 2A NIR */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!sim_nir_valid(bad[i]), "'%s' should be refused", bad[i]);
	ck_assert(!sim_nir_valid(NULL));
}
END_TEST

/* ------------------------------------------------------------------ profiles */

static const char *const CPS_KEYS[] = {
	"holder.idnat", "holder.surname", "holder.given", "holder.profession",
	"card.serial", "token.label", "pin", "puk",
	"pin.tries_left", "puk.tries_left", "puk.uses_left",
};

static bool is_hex(const char *s, size_t len)
{
	if (strlen(s) != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!strchr("0123456789ABCDEFabcdef", s[i]))
			return false;
	return true;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static void check_cps(const struct sim_profile *p, const char *path)
{
	const char *v;
	long n;

	for (size_t i = 0; i < sizeof(CPS_KEYS) / sizeof(CPS_KEYS[0]); i++)
		ck_assert_msg(sim_profile_get(p, CPS_KEYS[i]) != NULL, "%s: no '%s'", path,
			      CPS_KEYS[i]);
	v = sim_profile_get(p, "holder.idnat");
	ck_assert_msg(strlen(v) == 12 && v[0] == '8' && all_digits(v),
		      "%s: holder.idnat '%s' is not 8 + an 11-digit RPPS", path, v);
	v = sim_profile_get(p, "card.serial");
	ck_assert_msg(is_hex(v, 10), "%s: card.serial '%s' is not 10 hex digits", path, v);
	v = sim_profile_get(p, "pin");
	ck_assert_msg(all_digits(v) && strlen(v) >= 4 && strlen(v) <= 8, "%s: pin '%s'", path, v);
	v = sim_profile_get(p, "puk");
	ck_assert_msg(all_digits(v) && strlen(v) >= 4 && strlen(v) <= 8, "%s: puk '%s'", path, v);
	ck_assert_msg(sim_profile_int(p, "pin.tries_left", 0, 3, 3, &n), "%s: pin.tries_left", path);
	ck_assert_msg(sim_profile_int(p, "puk.tries_left", 0, 10, 10, &n), "%s: puk.tries_left", path);
	ck_assert_msg(sim_profile_int(p, "puk.uses_left", 0, 100, 100, &n), "%s: puk.uses_left",
		      path);
}

static bool is_date(const char *s)
{
	return s && strlen(s) == 8 && all_digits(s);
}

static int check_vitale2(const struct sim_profile *p, const char *path)
{
	int n = 0;
	char key[64];

	ck_assert_msg(is_date(sim_profile_get(p, "card.validity")), "%s: card.validity", path);
	for (int i = 1;; i++) {
		const char *nir, *ok;

		snprintf(key, sizeof(key), "beneficiary.%d.nir", i);
		if (!(nir = sim_profile_get(p, key)))
			break;
		snprintf(key, sizeof(key), "beneficiary.%d.nir_bad_key_ok", i);
		ok = sim_profile_get(p, key);
		ck_assert_msg(ok == NULL, "%s: shipped profiles must not use %s", path, key);
		ck_assert_msg(sim_nir_valid(nir), "%s: beneficiary %d: NIR '%s' has a bad key",
			      path, i, nir);
		snprintf(key, sizeof(key), "beneficiary.%d.surname", i);
		ck_assert_msg(sim_profile_get(p, key) != NULL, "%s: no %s", path, key);
		snprintf(key, sizeof(key), "beneficiary.%d.given", i);
		ck_assert_msg(sim_profile_get(p, key) != NULL, "%s: no %s", path, key);
		snprintf(key, sizeof(key), "beneficiary.%d.birth", i);
		ck_assert_msg(is_date(sim_profile_get(p, key)), "%s: %s", path, key);
		n++;
	}
	/* no beneficiary.N.* beyond the numbered run */
	for (size_t i = 0; i < sim_profile_count(p); i++) {
		const char *k = sim_profile_key_at(p, i);
		long idx;
		char *end;

		if (strncmp(k, "beneficiary.", 12) != 0)
			continue;
		idx = strtol(k + 12, &end, 10);
		ck_assert_msg(idx >= 1 && idx <= n && *end == '.', "%s: key '%s' outside 1..%d",
			      path, k, n);
	}
	ck_assert_msg(n >= 1, "%s: no beneficiary", path);
	return n;
}

START_TEST(test_shipped_profiles)
{
	DIR *d = opendir(PROFILE_DIR);
	struct dirent *de;
	int ncps = 0, nvitale = 0, nfamily = 0, nprofiles = 0;
	bool corsica = false;

	ck_assert_msg(d != NULL, "cannot open %s", PROFILE_DIR);
	while ((de = readdir(d))) {
		char path[4096], err[512];
		struct sim_profile *p;
		const char *card;
		size_t len = strlen(de->d_name);

		if (len < 9 || strcmp(de->d_name + len - 8, ".profile") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", PROFILE_DIR, de->d_name);
		p = sim_profile_load(path, err, sizeof(err));
		ck_assert_msg(p != NULL, "%s", err);
		nprofiles++;
		card = sim_profile_get(p, "card");
		ck_assert_msg(card != NULL, "%s: no 'card' key", path);
		if (strcmp(card, "cps3") == 0) {
			check_cps(p, path);
			ncps++;
		} else if (strcmp(card, "vitale2") == 0) {
			int n = check_vitale2(p, path);

			nvitale++;
			if (n >= 3)
				nfamily++;
			for (int i = 1; i <= n; i++) {
				char key[64];
				const char *nir;

				snprintf(key, sizeof(key), "beneficiary.%d.nir", i);
				nir = sim_profile_get(p, key);
				if (nir[5] == '2' && (nir[6] == 'A' || nir[6] == 'B'))
					corsica = true;
			}
		} else if (strcmp(card, "vitale1") == 0) {
			const char *data = sim_profile_get(p, "card.data");

			ck_assert_msg(data && *data && strlen(data) % 2 == 0 &&
				      is_hex(data, strlen(data)), "%s: card.data is not hex", path);
		}
		sim_profile_free(p);
	}
	closedir(d);
	ck_assert_int_ge(nprofiles, 7);
	ck_assert_int_ge(ncps, 4);
	ck_assert_int_ge(nvitale, 2);
	ck_assert_int_ge(nfamily, 1);
	ck_assert_msg(corsica, "no beneficiary born in Corsica (2A/2B)");
}
END_TEST

/* The trace profile reproduces the Cryptolib trace's EF.SN.ICC (cards.md §1.7). */
START_TEST(test_trace_profile)
{
	char err[512];
	struct sim_profile *p = sim_profile_load(PROFILE_DIR "/cps-trace.profile", err, sizeof(err));

	ck_assert_msg(p != NULL, "%s", err);
	ck_assert_str_eq(sim_profile_get(p, "card.serial"), "992138450F");
	sim_profile_free(p);
	p = sim_profile_load(PROFILE_DIR "/cps-blocked.profile", err, sizeof(err));
	ck_assert_msg(p != NULL, "%s", err);
	ck_assert_str_eq(sim_profile_get(p, "pin.tries_left"), "0");
	sim_profile_free(p);
}
END_TEST

static Suite *nir_suite(void)
{
	Suite *s = suite_create("nir");
	TCase *tc = tcase_create("key");

	tcase_add_loop_test(tc, test_key_vectors, 0, (int)NVECTORS);
	tcase_add_loop_test(tc, test_valid_vectors, 0, (int)NVECTORS);
	tcase_add_test(tc, test_key_range);
	tcase_add_test(tc, test_malformed_key);
	tcase_add_test(tc, test_malformed_valid);
	suite_add_tcase(s, tc);
	tc = tcase_create("profiles");
	tcase_add_test(tc, test_shipped_profiles);
	tcase_add_test(tc, test_trace_profile);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(nir_suite());
}
