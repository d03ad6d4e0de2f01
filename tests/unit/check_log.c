/* check_log.c - the logging facility: levels from STC_DEBUG, file output, and PIN
 * masking in APDU dumps. Each test runs in its own process (Check's fork mode), so
 * the environment is read afresh. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "santecard.h"
#include "check_util.h"

static char log_path[64];

static void setup(void)
{
	int fd;

	strcpy(log_path, "/tmp/check_log.XXXXXX");
	fd = mkstemp(log_path);
	ck_assert_int_ge(fd, 0);
	close(fd);
}

static void teardown(void)
{
	unlink(log_path);
}

static char *slurp(void)
{
	static char buf[8192];
	FILE *f = fopen(log_path, "r");
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

START_TEST(level_from_env)
{
	setenv("STC_DEBUG", "info", 1);
	ck_assert_int_eq(stc_log_get_level(), STC_LOG_INFO);
}
END_TEST

START_TEST(level_from_env_number)
{
	setenv("STC_DEBUG", "9", 1);
	ck_assert_int_eq(stc_log_get_level(), STC_LOG_DEBUG);
}
END_TEST

START_TEST(level_default_silent)
{
	unsetenv("STC_DEBUG");
	ck_assert_int_eq(stc_log_get_level(), STC_LOG_NONE);
	ck_assert_int_eq(stc_log_set_file(log_path), STC_OK);
	stc_log(STC_LOG_ERROR, "should not appear");
	ck_assert_str_eq(slurp(), "");
}
END_TEST

START_TEST(file_output_and_filtering)
{
	ck_assert_int_eq(stc_log_set_file(log_path), STC_OK);
	stc_log_set_level(STC_LOG_WARN);
	stc_log(STC_LOG_WARN, "reader %s gone", "X");
	stc_log(STC_LOG_INFO, "too chatty");
	ck_assert_ptr_nonnull(strstr(slurp(), "warning: reader X gone"));
	ck_assert_ptr_null(strstr(slurp(), "too chatty"));
	ck_assert_int_eq(stc_log_set_file("/nonexistent/dir/log"), STC_ERR_INVALID_ARGS);
}
END_TEST

START_TEST(apdu_dump_plain)
{
	static const uint8_t sel[] = { 0x00, 0xA4, 0x04, 0x00, 0x02, 0x3F, 0x00 };

	ck_assert_int_eq(stc_log_set_file(log_path), STC_OK);
	stc_log_set_level(STC_LOG_DEBUG);
	stc_log_apdu('>', sel, sizeof(sel));
	ck_assert_ptr_nonnull(strstr(slurp(), "> 00 A4 04 00 02 3F 00"));
}
END_TEST

/* Each secret-carrying command: the PIN bytes (31 32 33 34 / 35 36 ..) never show. */
START_TEST(apdu_dump_masks_pins)
{
	static const uint8_t verify[] = { 0x00, 0x20, 0x00, 0x01, 0x04, '1', '2', '3', '4' };
	static const uint8_t change[] = { 0x00, 0x24, 0x00, 0x01, 0x08, '1', '2', '3', '4',
					  '5', '6', '7', '8' };
	static const uint8_t unblock[] = { 0x10, 0x2C, 0x00, 0x01, 0x04, '8', '7', '6', '5' };
	static const uint8_t malformed[] = { 0x00, 0x20, 0x00, 0x01, 0x09, '1', '2', '3', '4' };
	static const uint8_t status[] = { 0x00, 0x20, 0x00, 0x01 };
	char *out;

	ck_assert_int_eq(stc_log_set_file(log_path), STC_OK);
	stc_log_set_level(STC_LOG_DEBUG);
	stc_log_apdu('>', verify, sizeof(verify));
	stc_log_apdu('>', change, sizeof(change));
	stc_log_apdu('>', unblock, sizeof(unblock));
	stc_log_apdu('>', malformed, sizeof(malformed));
	stc_log_apdu('>', status, sizeof(status));
	out = slurp();
	ck_assert_ptr_null(strstr(out, "31 32"));
	ck_assert_ptr_null(strstr(out, "35 36"));
	ck_assert_ptr_null(strstr(out, "38 37"));
	ck_assert_ptr_nonnull(strstr(out, "> 00 20 00 01 04 ** ** ** **"));
	ck_assert_ptr_nonnull(strstr(out, "> 10 2C 00 01 04 ** ** ** **"));
	/* undecodable: everything after the header is masked, Lc included */
	ck_assert_ptr_nonnull(strstr(out, "> 00 20 00 01 ** ** ** ** **"));
	/* a PIN status query has nothing to hide */
	ck_assert_ptr_nonnull(strstr(out, "> 00 20 00 01\n"));
}
END_TEST

static Suite *log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("log");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, level_from_env);
	tcase_add_test(tc, level_from_env_number);
	tcase_add_test(tc, level_default_silent);
	tcase_add_test(tc, file_output_and_filtering);
	tcase_add_test(tc, apdu_dump_plain);
	tcase_add_test(tc, apdu_dump_masks_pins);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(log_suite());
}
