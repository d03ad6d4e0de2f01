/* log.c - santecard-sim's stderr log. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

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

void sim_log_apdu(const char *dir, const uint8_t *buf, size_t len, int is_command)
{
	size_t shown = len;
	const char *why = "masked";

	if (LOG_APDU > log_level)
		return;
	if (is_command && is_pin_command(buf, len)) {
		/* Header and Lc stay visible: they tell which PIN and how long. */
		size_t hdr = (len >= 7 && buf[4] == 0) ? 7 : 5;
		if (len > hdr)
			shown = hdr;
	} else if (len > LOG_DUMP_MAX) {
		shown = LOG_DUMP_MAX;
		why = "more";
	}
	fprintf(stderr, "santecard-sim: %s", dir);
	for (size_t i = 0; i < shown; i++)
		fprintf(stderr, " %02X", buf[i]);
	if (shown < len)
		fprintf(stderr, " [%zu bytes %s]", len - shown, why);
	fputc('\n', stderr);
}
