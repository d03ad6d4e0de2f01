/* sim.c - santecard-sim's poll loop and presence state.
 *
 * Presence is the vpcd connection: "inserted" means we want to be connected,
 * and while we are not (pcscd not started yet, killed, restarting) we retry
 * every SIM_RETRY_MS, forever. "remove" closes the connection. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sim/log.h"
#include "sim/signals.h"
#include "sim/sim.h"

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Out of the reader, or the reader gone: the card loses power either way. */
static void card_unpowered(struct sim *s)
{
	s->card.ops->power_off(s->card.card);
	s->card.powered = false;
}

static void connected(struct sim *s)
{
	s->waiting_logged = false;
	sim_log(LOG_EVENT, "connected to vpcd at %s: card present", s->vpcd.name);
}

static void connect_failed(struct sim *s, int err)
{
	/* Once per outage: retries come every 100 ms and would flood -v. */
	if (!s->waiting_logged)
		sim_log(LOG_EVENT, "waiting for vpcd at %s (%s); retrying every %d ms",
			s->vpcd.name, strerror(err), SIM_RETRY_MS);
	s->waiting_logged = true;
	s->next_try_ms = now_ms() + SIM_RETRY_MS;
}

static void connection_lost(struct sim *s)
{
	vpcd_close(&s->vpcd);
	card_unpowered(s);
	sim_log(LOG_EVENT, "connection to vpcd at %s lost; reconnecting every %d ms",
		s->vpcd.name, SIM_RETRY_MS);
	s->waiting_logged = true;
	s->next_try_ms = now_ms() + SIM_RETRY_MS;
}

static void try_connect(struct sim *s)
{
	int r = vpcd_connect_start(&s->vpcd);

	if (r > 0)
		connected(s);
	else if (r < 0)
		connect_failed(s, errno);
}

void sim_insert(struct sim *s)
{
	if (s->inserted)
		return;
	s->inserted = true;
	s->waiting_logged = false;
	s->next_try_ms = now_ms();
	sim_log(LOG_EVENT, "card inserted");
}

void sim_remove(struct sim *s)
{
	if (!s->inserted)
		return;
	s->inserted = false;
	vpcd_close(&s->vpcd);
	card_unpowered(s);
	sim_log(LOG_EVENT, "card removed");
}

static const char *command(void *ctx, const char *cmd)
{
	struct sim *s = ctx;

	if (strcmp(cmd, "remove") == 0) {
		sim_remove(s);
		return "ok";
	}
	if (strcmp(cmd, "insert") == 0) {
		sim_insert(s);
		return "ok";
	}
	if (strcmp(cmd, "quit") == 0) {
		s->running = false;
		return "ok";
	}
	if (strcmp(cmd, "status") == 0) {
		const char *where = !s->inserted ? "removed" :
			(s->vpcd.fd >= 0 && !s->vpcd.connecting) ? "inserted connected" :
			"inserted waiting";
		snprintf(s->reply, sizeof(s->reply), "%s%s", where,
			 s->card.powered ? " powered" : "");
		return s->reply;
	}
	return "error unknown command";
}

static void signals_ready(struct sim *s)
{
	int sig;

	while ((sig = sim_signals_next(s->sigfd)) != 0) {
		switch (sig) {
		case SIGUSR1:
			sim_remove(s);
			break;
		case SIGUSR2:
			sim_insert(s);
			break;
		default:
			sim_log(LOG_EVENT, "signal %d: exiting", sig);
			s->running = false;
			break;
		}
	}
}

static void vpcd_ready(struct sim *s, short revents)
{
	if (!s->vpcd.connecting) {
		if (!vpcd_serve(&s->vpcd, &s->card))
			connection_lost(s);
		return;
	}
	if (!(revents & (POLLOUT | POLLERR | POLLHUP)))
		return;
	if (vpcd_connect_finish(&s->vpcd) > 0)
		connected(s);
	else
		connect_failed(s, errno);
}

bool sim_pace(void *ctx, size_t cmd_len, size_t resp_len)
{
	enum { P_SIG, P_CONTROL, P_COUNT = P_CONTROL + CONTROL_POLLFDS };
	struct sim *s = ctx;
	struct pollfd pfd[P_COUNT];
	unsigned long work = s->card.ops->work_us ? s->card.ops->work_us(s->card.card) : 0;
	int64_t end = now_ms() + (int64_t)(sim_timing_delay_us(&s->timing, cmd_len, resp_len,
							       work) / 1000);
	int64_t left;

	while (s->inserted && (left = end - now_ms()) > 0) {
		pfd[P_SIG].fd = s->sigfd;
		pfd[P_SIG].events = POLLIN;
		control_fill(&s->control, pfd + P_CONTROL);
		if (poll(pfd, P_COUNT, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[P_SIG].revents & POLLIN)
			signals_ready(s);
		control_ready(&s->control, pfd + P_CONTROL, command, s);
	}
	return s->inserted;
}

int sim_run(struct sim *s)
{
	enum { P_SIG, P_VPCD, P_CONTROL, P_COUNT = P_CONTROL + CONTROL_POLLFDS };
	struct pollfd pfd[P_COUNT];

	s->running = true;
	while (s->running) {
		int timeout = -1;

		if (s->inserted && s->vpcd.fd < 0) {
			int64_t wait = s->next_try_ms - now_ms();
			if (wait <= 0) {
				try_connect(s);
				wait = s->vpcd.fd < 0 ? SIM_RETRY_MS : 0;
			}
			if (s->vpcd.fd < 0)
				timeout = (int)wait;
		}
		pfd[P_SIG].fd = s->sigfd;
		pfd[P_SIG].events = POLLIN;
		pfd[P_VPCD].fd = s->vpcd.fd;
		pfd[P_VPCD].events = s->vpcd.connecting ? POLLOUT : POLLIN;
		control_fill(&s->control, pfd + P_CONTROL);

		if (poll(pfd, P_COUNT, timeout) < 0) {
			if (errno == EINTR)
				continue;
			sim_log(LOG_ERROR, "poll: %s", strerror(errno));
			return 1;
		}
		if (pfd[P_SIG].revents & POLLIN)
			signals_ready(s);
		/* Compare fds: a signal above may have closed the connection. */
		if (s->vpcd.fd >= 0 && pfd[P_VPCD].fd == s->vpcd.fd && pfd[P_VPCD].revents)
			vpcd_ready(s, pfd[P_VPCD].revents);
		control_ready(&s->control, pfd + P_CONTROL, command, s);
	}
	return 0;
}
