/* log.c - the driver's log. Drivers cannot rely on pcscd's log symbols (the
 * module must load with every symbol resolved), so it writes to stderr, which
 * `pcscd -f` shows, and only when LIBSANTECARD_CCID_LOG is set. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "ccid.h"

void ccid_log(const char *fmt, ...)
{
	va_list ap;

	if (!getenv("LIBSANTECARD_CCID_LOG"))
		return;
	va_start(ap, fmt);
	fputs("santecard_ccid: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}
