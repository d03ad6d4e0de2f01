/* signals.h - signals turned into bytes on a self-pipe, read by the poll loop. */
#ifndef SANTECARD_SIM_SIGNALS_H
#define SANTECARD_SIM_SIGNALS_H

/* Installs handlers for SIGUSR1, SIGUSR2, SIGTERM, SIGINT (and ignores
 * SIGPIPE). Returns the pipe's read end to poll, or -1 (errno set). */
int sim_signals_init(void);

/* The next signal received, or 0 when none is pending (never blocks). */
int sim_signals_next(int fd);

/* Restores default handlers and closes the pipe. */
void sim_signals_close(int fd);

#endif
