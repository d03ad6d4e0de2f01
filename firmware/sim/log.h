/* log.h - santecard-sim's stderr log: quiet by default, -v events, -vv APDUs. */
#ifndef SANTECARD_SIM_LOG_H
#define SANTECARD_SIM_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum {
	LOG_ERROR = 0,		/* always shown */
	LOG_EVENT = 1,		/* -v: connections, insert/remove, control clients */
	LOG_APDU = 2,		/* -vv: APDUs and power/reset */
	LOG_POLL = 3,		/* -vvv: vpcd's presence polls (ATR requests) */
};

/* Sets the level above which messages are dropped (the number of -v). */
void sim_log_set_level(int level);
int sim_log_level(void);

void sim_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Hex dump of a C-APDU (dir "C>") or R-APDU ("R<") at LOG_APDU. The data of
 * VERIFY, CHANGE REFERENCE DATA and RESET RETRY COUNTER commands is masked:
 * it holds PINs. */
void sim_log_apdu(const char *dir, const uint8_t *buf, size_t len, int is_command);

/* The same dump, whole, with a timestamp (seconds since the first call), to the
 * --trace file; nothing when f is NULL. PIN data is masked there too. */
void sim_trace_apdu(FILE *f, const char *dir, const uint8_t *buf, size_t len, int is_command);

#endif
