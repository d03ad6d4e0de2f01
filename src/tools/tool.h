/* tool.h - shared bits of the santecard command-line tools. */
#ifndef STC_TOOL_H
#define STC_TOOL_H

#include <stdio.h>
#include <stdint.h>

#include "santecard.h"

/* Exit codes shared by all santecard commands (docs/santecard.1). */
enum {
	EXIT_OK = 0,
	EXIT_ERROR = 1,      /* operation failed (message on stderr) */
	EXIT_USAGE = 2,      /* bad command line */
	EXIT_TIMEOUT = 3,    /* --wait timed out */
	EXIT_NO_SERVICE = 4, /* pcscd is not running */
	EXIT_PIN_INCORRECT = 5, /* pin: wrong PIN (or PUK), tries are left */
	EXIT_PIN_BLOCKED = 6 /* pin: PIN (or PUK) blocked, now or before */
};

extern const char *tool_name;

/* "santecard status: <what>: <stc_strerror>" on stderr; returns the exit code. */
int tool_fail(stc_rv rv, const char *what);
void tool_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Output helpers. */
void out_hex(FILE *f, const uint8_t *b, size_t n, const char *sep);
void out_json_string(FILE *f, const char *s);
void out_json_hex(FILE *f, const uint8_t *b, size_t n);

int cmd_status(int argc, char **argv);
int cmd_apdu(int argc, char **argv);
int cmd_pin(int argc, char **argv);

#endif
