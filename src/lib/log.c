/* log.c - the library's one logging facility: levels, STC_DEBUG, stderr or a file. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "santecard.h"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t log_once = PTHREAD_ONCE_INIT;
static stc_log_level log_level = STC_LOG_NONE;
static FILE *log_file;  /* NULL = stderr */

static stc_log_level parse_level(const char *s)
{
	static const char *const names[] = { "none", "error", "warn", "info", "debug" };
	char *end;
	long n;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(s, names[i]) == 0)
			return (stc_log_level)i;
	n = strtol(s, &end, 10);
	if (end == s || *end)
		return STC_LOG_NONE;
	if (n < 0)
		return STC_LOG_NONE;
	return n > STC_LOG_DEBUG ? STC_LOG_DEBUG : (stc_log_level)n;
}

static void log_init_from_env(void)
{
	const char *lvl = getenv("STC_DEBUG");
	const char *path = getenv("STC_LOG_FILE");

	if (lvl && *lvl)
		log_level = parse_level(lvl);
	if (path && *path) {
		FILE *f = fopen(path, "ae");
		if (f)
			log_file = f;
	}
}

void stc_log_set_level(stc_log_level level)
{
	pthread_once(&log_once, log_init_from_env);
	if (level > STC_LOG_DEBUG)
		level = STC_LOG_DEBUG;
	log_level = level;
}

stc_log_level stc_log_get_level(void)
{
	pthread_once(&log_once, log_init_from_env);
	return log_level;
}

stc_rv stc_log_set_file(const char *path)
{
	FILE *f = NULL;

	pthread_once(&log_once, log_init_from_env);
	if (path) {
		f = fopen(path, "ae");
		if (!f)
			return STC_ERR_INVALID_ARGS;
	}
	pthread_mutex_lock(&log_lock);
	if (log_file)
		fclose(log_file);
	log_file = f;
	pthread_mutex_unlock(&log_lock);
	return STC_OK;
}

void stc_vlog(stc_log_level level, const char *fmt, va_list ap)
{
	static const char *const tags[] = { "", "error", "warning", "info", "debug" };
	struct timeval tv;
	struct tm tm;
	char stamp[32];
	FILE *out;

	if (level == STC_LOG_NONE || level > stc_log_get_level())
		return;
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);

	pthread_mutex_lock(&log_lock);
	out = log_file ? log_file : stderr;
	fprintf(out, "%s.%03ld santecard[%ld] %s: ", stamp, (long)(tv.tv_usec / 1000),
		(long)getpid(), tags[level]);
	vfprintf(out, fmt, ap);
	fputc('\n', out);
	fflush(out);
	pthread_mutex_unlock(&log_lock);
}

void stc_log(stc_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	stc_vlog(level, fmt, ap);
	va_end(ap);
}

/* Commands whose data is a PIN or PUK: their data never reaches a log. */
static int carries_secret(uint8_t ins)
{
	return ins == 0x20 /* VERIFY */ || ins == 0x24 /* CHANGE REFERENCE DATA */ ||
	       ins == 0x2C /* RESET RETRY COUNTER */;
}

void stc_log_apdu(char dir, const uint8_t *apdu, size_t len)
{
	/* 3 chars per byte; long APDUs are cut, a dump is for reading, not replaying */
	enum { MAX_DUMP = 300 };
	char line[MAX_DUMP * 3 + 32];
	size_t pos = 0, shown = len > MAX_DUMP ? MAX_DUMP : len;
	size_t secret_from = len;

	if (stc_log_get_level() < STC_LOG_DEBUG || !apdu)
		return;
	if (dir == '>' && len > 4 && carries_secret(apdu[1])) {
		stc_apdu a;
		/* Mask from the data field on (Le included). An APDU that does not
		 * decode is masked after its header rather than risk showing a PIN. */
		if (stc_apdu_decode(apdu, len, &a) != STC_OK)
			secret_from = 4;
		else if (a.lc)
			secret_from = (size_t)(a.data - apdu);
	}
	for (size_t i = 0; i < shown; i++) {
		if (i >= secret_from)
			memcpy(line + pos, " **", 3);
		else
			snprintf(line + pos, 4, " %02X", apdu[i]);
		pos += 3;
	}
	line[pos] = '\0';
	stc_log(STC_LOG_DEBUG, "%c%s%s", dir, line, shown < len ? " ..." : "");
}
