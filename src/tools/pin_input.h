/*
 * pin_input.h - reading PINs for the santecard tools: from the terminal with the
 * echo off, or from a file descriptor given by the caller (--pin-fd). Never from
 * the command line or the environment.
 *
 * The values live in one static area (struct pin_secrets) that is mlock()ed when
 * the system allows it and wiped on every path: pin_secrets_release(), and the
 * signal handlers (SIGINT, SIGTERM, SIGHUP, SIGQUIT) that also restore the
 * terminal before the signal takes its default course. Nothing here prints a PIN.
 */
#ifndef STC_PIN_INPUT_H
#define STC_PIN_INPUT_H

#include <stddef.h>

/* Longest line accepted, without the newline (PINs and PUKs are far shorter;
 * a longer line is refused, not cut). */
#define PIN_INPUT_MAX 63

enum { PIN_SLOT_1, PIN_SLOT_2, PIN_SLOT_3, PIN_SLOTS };

struct pin_secrets {
	char value[PIN_SLOTS][PIN_INPUT_MAX + 1];   /* NUL-terminated */
	size_t len[PIN_SLOTS];
};

/* The process's one secret area, zeroed, locked in memory if possible, and
 * registered for wiping by the signal handlers. Also turns core dumps off. */
struct pin_secrets *pin_secrets_acquire(void);
/* Wipe it (and unlock it). */
void pin_secrets_release(void);

/* Wipe memory in a way the compiler cannot drop. */
void pin_wipe(void *p, size_t n);

/* Where the values come from: fd >= 0 is --pin-fd (one line per value, no
 * prompt), fd < 0 the controlling terminal (/dev/tty, prompts, no echo). */
struct pin_source {
	int fd;          /* the descriptor read from */
	int tty;         /* 1: fd is /dev/tty, opened (and closed) here */
	int pin_fd;      /* the --pin-fd number, for messages; -1 for the terminal */
};

/*
 * Open the source. pin_fd >= 0: check that it is an open descriptor; pin_fd < 0:
 * open /dev/tty and install the signal handlers. 0, or -1 after a message on
 * stderr (prefixed with tool_name).
 */
int pin_source_open(struct pin_source *src, int pin_fd);

/*
 * Read one value into slot of the secrets. On the terminal: write prompt, turn
 * the echo off, read a line, restore the terminal, write a newline. From
 * --pin-fd: read one line (the last may lack its newline), one byte at a time so
 * nothing past it is consumed. 0, or -1 after a message on stderr (end of input,
 * read error, line longer than PIN_INPUT_MAX).
 */
int pin_read(struct pin_source *src, const char *prompt, const char *what,
	     struct pin_secrets *s, int slot);

/* Close /dev/tty (not a --pin-fd) and remove the signal handlers. */
void pin_source_close(struct pin_source *src);

#endif
