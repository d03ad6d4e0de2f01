/* check_cache.c - the public-data cache (src/lib/cache.c): a temporary
 * XDG_CACHE_HOME per test; directory and file modes, refusals (a 0777 or
 * symlinked directory, an entry of the wrong mode, type or size), atomic
 * writes, STC_NO_CACHE=1, and the key (serial, EF_ACTUA). Check runs each
 * test in its own process, so the environment changes stay there. */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "check_util.h"

static char tmp[64];
static char base[128];   /* $XDG_CACHE_HOME/santecard */

static const uint8_t sn_a[] = { 0x5A, 0x0A, 0x80, 0x25, 0x00, 0x00, 0x01, 0x99, 0x21, 0x38,
				0x45, 0x0F };
static const uint8_t sn_b[] = { 0x5A, 0x0A, 0x80, 0x25, 0x00, 0x00, 0x01, 0x99, 0x21, 0x38,
				0x45, 0x10 };
static const uint8_t actua1[] = { 0xEC, 0x04, 0x81, 0x02, 0x20, 0x24 };
static const uint8_t actua2[] = { 0xEC, 0x04, 0x81, 0x02, 0x20, 0x25 };
static const uint8_t cert[] = { 0x30, 0x82, 0x01, 0x02, 0xA0, 0x03, 0x02, 0x01, 0x02 };

static void rm_rf(const char *path)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	ck_assert_int_eq(system(cmd), 0);
}

static void setup(void)
{
	strcpy(tmp, "/tmp/check_cache.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	snprintf(base, sizeof(base), "%s/santecard", tmp);
	setenv("XDG_CACHE_HOME", tmp, 1);
	unsetenv("STC_NO_CACHE");
}

static void teardown(void)
{
	rm_rf(tmp);
}

static unsigned mode_of(const char *path)
{
	struct stat sb;

	ck_assert_int_eq(lstat(path, &sb), 0);
	return (unsigned)(sb.st_mode & 07777);
}

static int exists(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0;
}

/* The number of entries of a directory (without . and ..), and whether one
 * starts with ".tmp". */
static int count(const char *path, int *tmpfile)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	*tmpfile = 0;
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		n++;
		if (!strncmp(e->d_name, ".tmp", 4))
			*tmpfile = 1;
	}
	closedir(d);
	return n;
}

START_TEST(test_modes_and_roundtrip)
{
	struct stci_cache *c;
	char dir[256], file[320];
	uint8_t *d = NULL;
	size_t n = 0;
	int t;

	umask(0);   /* the modes must not depend on the umask */
	c = stci_cache_open(sn_a, sizeof(sn_a), NULL, 0);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(stci_cache_key(c), "5a0a8025000001992138450f-none");
	snprintf(dir, sizeof(dir), "%s/%s", base, stci_cache_key(c));
	ck_assert_uint_eq(mode_of(base), 0700);
	ck_assert_uint_eq(mode_of(dir), 0700);
	ck_assert_int_eq(stci_cache_get(c, "3f0000015031", &d, &n), STC_ERR_NOT_FOUND);
	ck_assert_int_eq(stci_cache_put(c, "3f0000015031", cert, sizeof(cert)), STC_OK);
	snprintf(file, sizeof(file), "%s/3f0000015031", dir);
	ck_assert_uint_eq(mode_of(file), 0600);
	ck_assert_int_eq(stci_cache_get(c, "3f0000015031", &d, &n), STC_OK);
	ck_assert_uint_eq(n, sizeof(cert));
	ck_assert_mem_eq(d, cert, n);
	free(d);
	/* replaced atomically: no temporary file left */
	ck_assert_int_eq(stci_cache_put(c, "3f0000015031", cert, 4), STC_OK);
	ck_assert_int_eq(count(dir, &t), 1);
	ck_assert_int_eq(t, 0);
	ck_assert_int_eq(stci_cache_get(c, "3f0000015031", &d, &n), STC_OK);
	ck_assert_uint_eq(n, 4);
	free(d);
	stci_cache_close(c);
	/* another process, the same card: the entry is there */
	c = stci_cache_open(sn_a, sizeof(sn_a), NULL, 0);
	ck_assert_int_eq(stci_cache_get(c, "3f0000015031", &d, &n), STC_OK);
	free(d);
	stci_cache_clear(c);
	ck_assert_int_eq(stci_cache_get(c, "3f0000015031", &d, &n), STC_ERR_NOT_FOUND);
	ck_assert_int_eq(count(dir, &t), 0);
	stci_cache_close(c);
}
END_TEST

START_TEST(test_refuse_open_dir)
{
	ck_assert_int_eq(mkdir(base, 0700), 0);
	ck_assert_int_eq(chmod(base, 0777), 0);
	ck_assert_ptr_null(stci_cache_open(sn_a, sizeof(sn_a), NULL, 0));
	ck_assert_uint_eq(mode_of(base), 0777);   /* left alone, nothing created in it */
	{
		int t;

		ck_assert_int_eq(count(base, &t), 0);
	}
}
END_TEST

START_TEST(test_refuse_other_owner)
{
	if (geteuid() != 0)
		return;   /* only root can give a directory away */
	ck_assert_int_eq(mkdir(base, 0700), 0);
	ck_assert_int_eq(chown(base, 65534, 65534), 0);
	ck_assert_ptr_null(stci_cache_open(sn_a, sizeof(sn_a), NULL, 0));
}
END_TEST

START_TEST(test_refuse_symlink)
{
	char real[160];

	snprintf(real, sizeof(real), "%s/elsewhere", tmp);
	ck_assert_int_eq(mkdir(real, 0700), 0);
	ck_assert_int_eq(symlink(real, base), 0);
	ck_assert_ptr_null(stci_cache_open(sn_a, sizeof(sn_a), NULL, 0));
	{
		int t;

		ck_assert_int_eq(count(real, &t), 0);
	}
}
END_TEST

START_TEST(test_refuse_card_dir_symlink)
{
	struct stci_cache *c = stci_cache_open(sn_a, sizeof(sn_a), NULL, 0);
	char real[160], link[256];

	ck_assert_ptr_nonnull(c);
	snprintf(link, sizeof(link), "%s/%s", base, "5a0a80250000019921384510-none");
	stci_cache_close(c);
	snprintf(real, sizeof(real), "%s/elsewhere", tmp);
	ck_assert_int_eq(mkdir(real, 0700), 0);
	ck_assert_int_eq(symlink(real, link), 0);
	ck_assert_ptr_null(stci_cache_open(sn_b, sizeof(sn_b), NULL, 0));
}
END_TEST

START_TEST(test_refuse_entries)
{
	struct stci_cache *c = stci_cache_open(sn_a, sizeof(sn_a), NULL, 0);
	char dir[256], file[320], target[320];
	uint8_t *d = NULL;
	size_t n = 0;
	FILE *f;

	ck_assert_ptr_nonnull(c);
	snprintf(dir, sizeof(dir), "%s/%s", base, stci_cache_key(c));
	/* a file readable by others */
	ck_assert_int_eq(stci_cache_put(c, "aa", cert, sizeof(cert)), STC_OK);
	snprintf(file, sizeof(file), "%s/aa", dir);
	ck_assert_int_eq(chmod(file, 0644), 0);
	ck_assert_int_eq(stci_cache_get(c, "aa", &d, &n), STC_ERR_NOT_FOUND);
	/* a symbolic link to a good entry */
	ck_assert_int_eq(stci_cache_put(c, "bb", cert, sizeof(cert)), STC_OK);
	snprintf(target, sizeof(target), "%s/bb", dir);
	snprintf(file, sizeof(file), "%s/cc", dir);
	ck_assert_int_eq(symlink(target, file), 0);
	ck_assert_int_eq(stci_cache_get(c, "cc", &d, &n), STC_ERR_NOT_FOUND);
	/* an empty file */
	snprintf(file, sizeof(file), "%s/dd", dir);
	f = fopen(file, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	ck_assert_int_eq(chmod(file, 0600), 0);
	ck_assert_int_eq(stci_cache_get(c, "dd", &d, &n), STC_ERR_NOT_FOUND);
	/* names that are not ours */
	ck_assert_int_eq(stci_cache_put(c, "../x", cert, sizeof(cert)), STC_ERR_INVALID_ARGS);
	ck_assert_int_eq(stci_cache_put(c, "", cert, sizeof(cert)), STC_ERR_INVALID_ARGS);
	ck_assert_int_eq(stci_cache_put(c, "ABC", cert, sizeof(cert)), STC_ERR_INVALID_ARGS);
	ck_assert_int_eq(stci_cache_get(c, "../santecard", &d, &n), STC_ERR_NOT_FOUND);
	ck_assert_int_eq(stci_cache_put(c, "ee", cert, 0), STC_ERR_INVALID_ARGS);
	stci_cache_close(c);
}
END_TEST

START_TEST(test_size_limit)
{
	struct stci_cache *c = stci_cache_open(sn_a, sizeof(sn_a), NULL, 0);
	uint8_t *big = calloc(1, STCI_CACHE_ENTRY_MAX + 1), *d = NULL;
	char file[320];
	size_t n = 0;
	FILE *f;

	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_nonnull(big);
	ck_assert_int_eq(stci_cache_put(c, "01", big, STCI_CACHE_ENTRY_MAX + 1),
			 STC_ERR_INVALID_ARGS);
	ck_assert_int_eq(stci_cache_get(c, "01", &d, &n), STC_ERR_NOT_FOUND);
	ck_assert_int_eq(stci_cache_put(c, "02", big, STCI_CACHE_ENTRY_MAX), STC_OK);
	ck_assert_int_eq(stci_cache_get(c, "02", &d, &n), STC_OK);
	ck_assert_uint_eq(n, STCI_CACHE_ENTRY_MAX);
	free(d);
	/* a file grown past the limit behind our back is refused on read */
	snprintf(file, sizeof(file), "%s/%s/03", base, stci_cache_key(c));
	f = fopen(file, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(big, 1, STCI_CACHE_ENTRY_MAX + 1, f), STCI_CACHE_ENTRY_MAX + 1);
	fclose(f);
	ck_assert_int_eq(chmod(file, 0600), 0);
	ck_assert_int_eq(stci_cache_get(c, "03", &d, &n), STC_ERR_NOT_FOUND);
	ck_assert_ptr_null(d);
	free(big);
	stci_cache_close(c);
}
END_TEST

START_TEST(test_no_cache_env)
{
	setenv("STC_NO_CACHE", "1", 1);
	ck_assert_ptr_null(stci_cache_open(sn_a, sizeof(sn_a), NULL, 0));
	ck_assert(!exists(base));
	ck_assert_int_eq(stci_cache_put(NULL, "aa", cert, sizeof(cert)), STC_ERR_NOT_SUPPORTED);
	setenv("STC_NO_CACHE", "0", 1);   /* "0" leaves it on */
	stci_cache_close(stci_cache_open(sn_a, sizeof(sn_a), NULL, 0));
	ck_assert(exists(base));
}
END_TEST

START_TEST(test_no_home)
{
	unsetenv("XDG_CACHE_HOME");
	unsetenv("HOME");
	ck_assert_ptr_null(stci_cache_open(sn_a, sizeof(sn_a), NULL, 0));
}
END_TEST

START_TEST(test_home_default)
{
	char dir[160];
	struct stci_cache *c;

	unsetenv("XDG_CACHE_HOME");
	setenv("HOME", tmp, 1);
	c = stci_cache_open(sn_a, sizeof(sn_a), NULL, 0);
	ck_assert_ptr_nonnull(c);
	snprintf(dir, sizeof(dir), "%s/.cache/santecard", tmp);
	ck_assert_uint_eq(mode_of(dir), 0700);
	stci_cache_close(c);
}
END_TEST

START_TEST(test_invalidation)
{
	struct stci_cache *c = stci_cache_open(sn_a, sizeof(sn_a), actua1, sizeof(actua1));
	char old[256];
	uint8_t *d = NULL;
	size_t n = 0;

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(stci_cache_put(c, "3f0000015031", cert, sizeof(cert)), STC_OK);
	snprintf(old, sizeof(old), "%s/%s", base, stci_cache_key(c));
	stci_cache_close(c);
	/* another card: nothing */
	c = stci_cache_open(sn_b, sizeof(sn_b), actua1, sizeof(actua1));
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(stci_cache_get(c, "3f0000015031", &d, &n), STC_ERR_NOT_FOUND);
	stci_cache_close(c);
	ck_assert(exists(old));   /* another card's entries stay */
	/* the same card, EF_ACTUA absent then changed: nothing, the old entries gone */
	c = stci_cache_open(sn_a, sizeof(sn_a), NULL, 0);
	ck_assert_int_eq(stci_cache_get(c, "3f0000015031", &d, &n), STC_ERR_NOT_FOUND);
	stci_cache_close(c);
	ck_assert(!exists(old));
	c = stci_cache_open(sn_a, sizeof(sn_a), actua2, sizeof(actua2));
	ck_assert_int_eq(stci_cache_get(c, "3f0000015031", &d, &n), STC_ERR_NOT_FOUND);
	ck_assert_int_eq(stci_cache_put(c, "3f0000015031", cert, sizeof(cert)), STC_OK);
	stci_cache_close(c);
	c = stci_cache_open(sn_a, sizeof(sn_a), actua2, sizeof(actua2));
	ck_assert_int_eq(stci_cache_get(c, "3f0000015031", &d, &n), STC_OK);
	free(d);
	stci_cache_close(c);
	/* no serial, no cache */
	ck_assert_ptr_null(stci_cache_open(NULL, 0, NULL, 0));
}
END_TEST

static Suite *cache_suite(void)
{
	Suite *s = suite_create("cache");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_modes_and_roundtrip);
	tcase_add_test(tc, test_refuse_open_dir);
	tcase_add_test(tc, test_refuse_other_owner);
	tcase_add_test(tc, test_refuse_symlink);
	tcase_add_test(tc, test_refuse_card_dir_symlink);
	tcase_add_test(tc, test_refuse_entries);
	tcase_add_test(tc, test_size_limit);
	tcase_add_test(tc, test_no_cache_env);
	tcase_add_test(tc, test_no_home);
	tcase_add_test(tc, test_home_default);
	tcase_add_test(tc, test_invalidation);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(cache_suite());
}
