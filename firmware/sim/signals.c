/* signals.c - the self-pipe: handlers only write the signal number, so all
 * the work happens in the poll loop where it is safe. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "sim/signals.h"

static const int handled[] = { SIGUSR1, SIGUSR2, SIGTERM, SIGINT };
#define HANDLED_COUNT (sizeof(handled) / sizeof(handled[0]))

/* Write end of the pipe: a signal handler can reach nothing else. */
static volatile sig_atomic_t pipe_wr = -1;

static void on_signal(int sig)
{
	int saved = errno;
	unsigned char b = (unsigned char)sig;

	/* A full pipe means the loop has plenty to read already. */
	ssize_t r = write(pipe_wr, &b, 1);
	(void)r;
	errno = saved;
}

int sim_signals_init(void)
{
	int p[2];
	struct sigaction sa;

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	pipe_wr = p[1];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (size_t i = 0; i < HANDLED_COUNT; i++)
		sigaction(handled[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return p[0];
}

int sim_signals_next(int fd)
{
	unsigned char b;
	ssize_t n;

	do
		n = read(fd, &b, 1);
	while (n < 0 && errno == EINTR);
	return n == 1 ? b : 0;
}

void sim_signals_close(int fd)
{
	for (size_t i = 0; i < HANDLED_COUNT; i++)
		signal(handled[i], SIG_DFL);
	if (pipe_wr >= 0)
		close(pipe_wr);
	pipe_wr = -1;
	if (fd >= 0)
		close(fd);
}
