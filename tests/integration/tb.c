/* tb.c - C side of the test bed: simulator control socket, pcscd stop/start. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "tb.h"

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

int tb_card(int slot, const char *cmd, char *reply, size_t cap)
{
	const char *path = getenv(slot ? "TESTBED_SIM1_CTL" : "TESTBED_SIM0_CTL");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char line[128];
	ssize_t n;
	int fd;

	if (!path || strlen(path) >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, path, strlen(path) + 1);  /* length checked above */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	snprintf(line, sizeof(line), "%s\n", cmd);
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line)) {
		close(fd);
		return -1;
	}
	n = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	line[n] = '\0';
	line[strcspn(line, "\n")] = '\0';
	if (reply)
		snprintf(reply, cap, "%s", line);
	return strncmp(line, "error", 5) == 0 ? -1 : 0;
}

int tb_pcscd(int start)
{
	const char *dir = getenv("TESTBED_DIR"), *pid = getenv("TESTBED_PID");
	const char *want = start ? "running" : "stopped";
	char path[512], buf[64];

	if (!dir || !pid)
		return -1;
	snprintf(path, sizeof(path), "%s/pcscd.state", dir);
	unlink(path);
	if (kill((pid_t)atoi(pid), start ? SIGUSR2 : SIGUSR1) != 0)
		return -1;
	for (int i = 0; i < 200; i++) {
		FILE *f = fopen(path, "r");

		if (f) {
			int ok = fgets(buf, sizeof(buf), f) && !strncmp(buf, want, strlen(want));
			fclose(f);
			if (ok)
				return 0;
		}
		sleep_ms(25);
	}
	return -1;
}

int tb_wait_card(stc_ctx *ctx, const char *reader, int present)
{
	for (int i = 0; i < 200; i++) {
		stc_reader_info *list;
		size_t n;

		if (stc_readers_list(ctx, &list, &n) == STC_OK) {
			for (size_t k = 0; k < n; k++)
				if (!strcmp(list[k].name, reader) && list[k].card_present == present) {
					stc_readers_free(list);
					return 0;
				}
			stc_readers_free(list);
		}
		sleep_ms(25);
	}
	return -1;
}

struct later {
	long delay_ms;
	void (*fn)(void *);
	void *arg;
};

static pthread_t later_thread;
static struct later later_job;

static void *later_main(void *p)
{
	struct later *l = p;

	sleep_ms(l->delay_ms);
	l->fn(l->arg);
	return NULL;
}

void tb_later(long delay_ms, void (*fn)(void *), void *arg)
{
	later_job.delay_ms = delay_ms;
	later_job.fn = fn;
	later_job.arg = arg;
	if (pthread_create(&later_thread, NULL, later_main, &later_job) != 0)
		abort();
}

void tb_join(void)
{
	pthread_join(later_thread, NULL);
}
