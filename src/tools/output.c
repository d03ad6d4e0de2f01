/* output.c - hex and JSON output helpers, and error reporting, for the tools. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "tool.h"

const char *tool_name = "santecard";

int tool_fail(stc_rv rv, const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", tool_name, what, stc_strerror(rv));
	if (rv == STC_ERR_NO_SERVICE) {
		fprintf(stderr, "%s: is pcscd running? (start it with 'pcscd' or your init system)\n",
			tool_name);
		return EXIT_NO_SERVICE;
	}
	return EXIT_ERROR;
}

void tool_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", tool_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help' for more information.\n", tool_name);
}

void out_hex(FILE *f, const uint8_t *b, size_t n, const char *sep)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%02X", i ? sep : "", b[i]);
}

void out_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

void out_json_hex(FILE *f, const uint8_t *b, size_t n)
{
	fputc('"', f);
	out_hex(f, b, n, "");
	fputc('"', f);
}
