/* log.c - santecard-sim's stderr log. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "sim/log.h"

/* The only global of the runner besides the signal pipe: set once from argv. */
static int log_level = LOG_ERROR;

/* Long echoes would flood the terminal; the head is what one reads. */
#define LOG_DUMP_MAX 512

void sim_log_set_level(int level)
{
	log_level = level;
}

int sim_log_level(void)
{
	return log_level;
}

void sim_log(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_level)
		return;
	fputs("santecard-sim: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int is_pin_command(const uint8_t *buf, size_t len)
{
	if (len < 2)
		return 0;
	return buf[1] == 0x20 || buf[1] == 0x24 || buf[1] == 0x2C;
}

/* Bytes of a C-APDU that may be shown: all but the data of PIN commands, whose
 * header and Lc stay visible (they tell which PIN and how long). */
static size_t showable(const uint8_t *buf, size_t len, int is_command)
{
	if (is_command && is_pin_command(buf, len)) {
		size_t hdr = (len >= 7 && buf[4] == 0) ? 7 : 5;
		return len > hdr ? hdr : len;
	}
	return len;
}

static void dump(FILE *f, const uint8_t *buf, size_t len, size_t shown, const char *why)
{
	for (size_t i = 0; i < shown; i++)
		fprintf(f, " %02X", buf[i]);
	if (shown < len)
		fprintf(f, " [%zu bytes %s]", len - shown, why);
	fputc('\n', f);
}

void sim_log_apdu(const char *dir, const uint8_t *buf, size_t len, int is_command)
{
	size_t shown = showable(buf, len, is_command);
	const char *why = shown < len ? "masked" : "more";

	if (LOG_APDU > log_level)
		return;
	if (shown > LOG_DUMP_MAX)
		shown = LOG_DUMP_MAX;
	fprintf(stderr, "santecard-sim: %s", dir);
	dump(stderr, buf, len, shown, why);
}

void sim_trace_apdu(FILE *f, const char *dir, const uint8_t *buf, size_t len, int is_command)
{
	static struct timespec t0;
	struct timespec now;
	size_t shown;

	if (!f)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!t0.tv_sec && !t0.tv_nsec)
		t0 = now;
	shown = buf ? showable(buf, len, is_command) : 0;
	fprintf(f, "%.6f %s", (double)(now.tv_sec - t0.tv_sec) +
		(double)(now.tv_nsec - t0.tv_nsec) / 1e9, dir);
	dump(f, buf, len, shown, "masked");
	fflush(f);
}
