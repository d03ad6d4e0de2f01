/*
 * pin_input.c - PINs from the terminal (no echo) or from --pin-fd, into one
 * locked, wiped area. See pin_input.h.
 *
 * The terminal is put back on every path: after each line, on an error, and
 * from the handlers of the signals that would end or stop the process while the
 * echo is off (the terminating ones wipe the secrets, restore, then let the
 * signal take its default course; the stop signals restore, stop, and turn the
 * echo off again when the process continues). Only async-signal-safe calls are
 * made in the handlers.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <termios.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "pin_input.h"
#include "tool.h"

static struct pin_secrets secrets;
static int secrets_locked;

/* State the handlers read: the terminal, its saved settings, whether the echo is
 * off now. */
static volatile sig_atomic_t tty_fd = -1;
static volatile sig_atomic_t echo_off;
static struct termios tty_saved, tty_noecho;

static const int term_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
static const int stop_signals[] = { SIGTSTP, SIGTTIN, SIGTTOU };
#define NSIG_TERM (sizeof(term_signals) / sizeof(term_signals[0]))
#define NSIG_STOP (sizeof(stop_signals) / sizeof(stop_signals[0]))
static struct sigaction old_term[NSIG_TERM], old_stop[NSIG_STOP];
static int handlers_installed;

void pin_wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n--)
		*v++ = 0;
#if defined(__GNUC__) || defined(__clang__)
	__asm__ __volatile__("" : : "r"(p) : "memory");
#endif
}

static void restore_tty(void)
{
	if (echo_off && tty_fd >= 0) {
		(void)tcsetattr(tty_fd, TCSANOW, &tty_saved);
		echo_off = 0;
		/* the newline the user typed was not echoed */
		(void)!write(tty_fd, "\n", 1);
	}
}

static void on_term_signal(int sig)
{
	/* SA_RESETHAND | SA_NODEFER: the default action is back and sig is not
	 * blocked, so raise() ends the process right here */
	pin_wipe(&secrets, sizeof(secrets));
	restore_tty();
	(void)raise(sig);
}

static void on_stop_signal(int sig)
{
	int saved_errno = errno;
	int was_off = echo_off;
	struct sigaction dfl, mine;

	restore_tty();
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	(void)sigaction(sig, &dfl, &mine);
	(void)raise(sig);                /* SA_NODEFER: stops here until SIGCONT */
	(void)sigaction(sig, &mine, NULL);
	if (was_off && tty_fd >= 0 && tcsetattr(tty_fd, TCSAFLUSH, &tty_noecho) == 0)
		echo_off = 1;
	errno = saved_errno;
}

static void install_handlers(int with_stop)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_term_signal;
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	for (size_t i = 0; i < NSIG_TERM; i++)
		(void)sigaction(term_signals[i], &sa, &old_term[i]);
	if (with_stop) {
		sa.sa_handler = on_stop_signal;
		sa.sa_flags = SA_NODEFER;     /* no SA_RESTART: read() sees EINTR and retries */
		for (size_t i = 0; i < NSIG_STOP; i++)
			(void)sigaction(stop_signals[i], &sa, &old_stop[i]);
	}
	handlers_installed = with_stop ? 2 : 1;
}

static void remove_handlers(void)
{
	if (!handlers_installed)
		return;
	for (size_t i = 0; i < NSIG_TERM; i++)
		(void)sigaction(term_signals[i], &old_term[i], NULL);
	if (handlers_installed == 2)
		for (size_t i = 0; i < NSIG_STOP; i++)
			(void)sigaction(stop_signals[i], &old_stop[i], NULL);
	handlers_installed = 0;
}

struct pin_secrets *pin_secrets_acquire(void)
{
	struct rlimit no_core = { 0, 0 };

	/* no core file, and (Linux) no ptrace by other processes of the user */
	(void)setrlimit(RLIMIT_CORE, &no_core);
#ifdef __linux__
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
	pin_wipe(&secrets, sizeof(secrets));
	/* never swapped out, when RLIMIT_MEMLOCK allows; without it, go on */
	secrets_locked = mlock(&secrets, sizeof(secrets)) == 0;
	return &secrets;
}

void pin_secrets_release(void)
{
	pin_wipe(&secrets, sizeof(secrets));
	if (secrets_locked)
		(void)munlock(&secrets, sizeof(secrets));
	secrets_locked = 0;
}

int pin_source_open(struct pin_source *src, int pin_fd)
{
	memset(src, 0, sizeof(*src));
	src->pin_fd = pin_fd;
	if (pin_fd >= 0) {
		int fl = fcntl(pin_fd, F_GETFL);

		if (fl < 0) {
			fprintf(stderr, "%s: --pin-fd %d: %s\n", tool_name, pin_fd, strerror(errno));
			return -1;
		}
		if ((fl & O_ACCMODE) == O_WRONLY) {
			fprintf(stderr, "%s: --pin-fd %d is not open for reading\n", tool_name,
				pin_fd);
			return -1;
		}
		src->fd = pin_fd;
		install_handlers(0);
		return 0;
	}
	src->fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (src->fd < 0) {
		fprintf(stderr, "%s: no terminal to read the PIN from (%s); scripts use --pin-fd\n",
			tool_name, strerror(errno));
		return -1;
	}
	if (tcgetattr(src->fd, &tty_saved) != 0) {
		fprintf(stderr, "%s: /dev/tty: %s; scripts use --pin-fd\n", tool_name,
			strerror(errno));
		close(src->fd);
		src->fd = -1;
		return -1;
	}
	src->tty = 1;
	tty_noecho = tty_saved;
	tty_noecho.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
	tty_fd = src->fd;
	install_handlers(1);
	return 0;
}

void pin_source_close(struct pin_source *src)
{
	if (src->tty) {
		restore_tty();
		tty_fd = -1;
		close(src->fd);
		src->tty = 0;
	}
	remove_handlers();
	src->fd = -1;
}

static int write_all(int fd, const char *s)
{
	size_t n = strlen(s);

	while (n) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* One line into buf (cap bytes, NUL-terminated). 1 = a line (possibly the last,
 * without newline), 0 = end of input before anything, -1 = read error (errno).
 * A line longer than cap - 1 is consumed to its end and reported with
 * *len = cap (buf wiped). */
static int read_line(int fd, char *buf, size_t cap, size_t *len)
{
	size_t n = 0;
	int any = 0, overlong = 0;
	char c;

	for (;;) {
		ssize_t r = read(fd, &c, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			pin_wipe(buf, cap);
			pin_wipe(&c, sizeof(c));
			errno = e;
			return -1;
		}
		if (r == 0)
			break;
		any = 1;
		if (c == '\n')
			break;
		if (n + 1 < cap)
			buf[n++] = c;
		else
			overlong = 1;
	}
	pin_wipe(&c, sizeof(c));
	if (n && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	if (overlong) {
		pin_wipe(buf, cap);
		n = cap;
	}
	*len = n;
	return any;
}

int pin_read(struct pin_source *src, const char *prompt, const char *what,
	     struct pin_secrets *s, int slot)
{
	char *buf = s->value[slot];
	size_t cap = sizeof(s->value[slot]);
	int r, e;

	if (!src->tty) {
		r = read_line(src->fd, buf, cap, &s->len[slot]);
		if (r < 0)
			fprintf(stderr, "%s: reading %s from --pin-fd %d: %s\n", tool_name, what,
				src->pin_fd, strerror(errno));
		else if (r == 0)
			fprintf(stderr, "%s: --pin-fd %d: end of input, no line for %s\n", tool_name,
				src->pin_fd, what);
		return r > 0 ? 0 : -1;
	}
	if (tcsetattr(src->fd, TCSAFLUSH, &tty_noecho) != 0) {
		fprintf(stderr, "%s: cannot turn the terminal echo off: %s\n", tool_name,
			strerror(errno));
		return -1;
	}
	echo_off = 1;
	if (write_all(src->fd, prompt) != 0) {
		e = errno;
		restore_tty();
		fprintf(stderr, "%s: writing to the terminal: %s\n", tool_name, strerror(e));
		return -1;
	}
	r = read_line(src->fd, buf, cap, &s->len[slot]);
	e = errno;
	restore_tty();
	if (r < 0)
		fprintf(stderr, "%s: reading %s from the terminal: %s\n", tool_name, what,
			strerror(e));
	else if (r == 0)
		fprintf(stderr, "%s: end of input before %s was entered\n", tool_name, what);
	return r > 0 ? 0 : -1;
}
