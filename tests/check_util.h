/* check_util.h - helpers shared by the Check suites (unit and integration). */
#ifndef STC_CHECK_UTIL_H
#define STC_CHECK_UTIL_H

#include <check.h>
#include <stdint.h>
#include <stdlib.h>

/* "62 25 80" -> bytes; returns the count. Asserts on bad input or overflow. */
static inline size_t hex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (*s) {
		char *end;
		unsigned long v;

		if (*s == ' ') {
			s++;
			continue;
		}
		v = strtoul(s, &end, 16);
		ck_assert_ptr_ne(end, s);
		ck_assert_uint_lt(n, cap);
		out[n++] = (uint8_t)v;
		s = end;
	}
	return n;
}

/* Run a suite, print Check's summary line, and turn the result into an exit code. */
static inline int run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
