/* pn532_pty.c - the pseudo-terminal transport of the PN532 reader (see
 * pn532_pty.h). We keep a descriptor on the slave ourselves, so the master
 * never sees a hang-up while no client has the port open (poll would spin),
 * and the slave is in raw mode before libnfc even opens it. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "pn532/frame.h"
#include "pn532/pn532.h"
#include "sim/log.h"
#include "sim/pn532_pty.h"
#include "sim/signals.h"

struct pty_reader {
	struct sim *s;
	struct pn532 chip;
	struct pn532_parser parser;
	int master, slave;
	const char *link;
	uint8_t last[PN532_FRAME_MAX];	/* the last answer, for a NACK */
	size_t last_len;
	char reply[64];
};

static void on_apdu(void *ctx, const uint8_t *c, size_t clen, const uint8_t *r, size_t rlen)
{
	struct pty_reader *p = ctx;

	sim_log_apdu("C>", c, clen, 1);
	sim_log_apdu("R<", r, rlen, 0);
	sim_trace_apdu(p->s->card.trace, "C>", c, clen, 1);
	sim_trace_apdu(p->s->card.trace, "R<", r, rlen, 0);
}

/* The chip follows the user's wish (s->inserted), whoever changed it. */
static void sync_card(struct pty_reader *p)
{
	if (p->chip.card_in_field != p->s->inserted)
		pn532_set_card(&p->chip, p->s->inserted);
}

static bool write_all(int fd, const uint8_t *b, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, b, n);

		if (w < 0) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			if (errno == EINTR)
				continue;
			if (errno != EAGAIN || poll(&pfd, 1, 1000) <= 0)
				return false;
			continue;
		}
		b += w;
		n -= (size_t)w;
	}
	return true;
}

static void answer(struct pty_reader *p, const uint8_t *body, size_t len)
{
	uint8_t out[PN532_BODY_MAX];
	int n;

	if (!write_all(p->master, pn532_ack_frame, sizeof(pn532_ack_frame)))
		return;
	n = pn532_command(&p->chip, body, len, out, sizeof(out));
	/* --timing realistic: the time the RF exchange would take (the card may be
	 * pulled meanwhile: then the chip sees it leave before answering) */
	if (len >= 2 && body[1] == 0x40 && n > 0 && p->s->timing.realistic) {
		if (!sim_pace(p->s, len - 3, (size_t)n - 3)) {
			sync_card(p);
			out[2] = PN532_ST_TIMEOUT;
			n = 3;
		}
	}
	if (n < 0) {
		sim_log(LOG_EVENT, "pn532: command %02X (%zu bytes) refused (syntax error frame)",
			len >= 2 ? body[1] : 0, len);
		memcpy(p->last, pn532_error_frame, sizeof(pn532_error_frame));
		p->last_len = sizeof(pn532_error_frame);
	} else {
		p->last_len = pn532_frame_build(out, (size_t)n, p->last, sizeof(p->last));
	}
	sim_log(LOG_POLL, "pn532: command %02X answered", len >= 2 ? body[1] : 0);
	write_all(p->master, p->last, p->last_len);
}

static void master_ready(struct pty_reader *p)
{
	uint8_t buf[512];
	ssize_t n = read(p->master, buf, sizeof(buf));

	for (ssize_t i = 0; i < n; i++) {
		switch (pn532_parse_byte(&p->parser, buf[i])) {
		case PN532_FRAME_DATA:
			answer(p, p->parser.body, p->parser.len);
			break;
		case PN532_FRAME_NACK:		/* send the last answer again */
			write_all(p->master, p->last, p->last_len);
			break;
		case PN532_FRAME_BAD:
			sim_log(LOG_EVENT, "pn532: bad frame from the host dropped");
			break;
		default:			/* ACK (abort): nothing is pending */
			break;
		}
	}
}

static const char *command(void *ctx, const char *cmd)
{
	struct pty_reader *p = ctx;

	if (strcmp(cmd, "remove") == 0)
		sim_remove(p->s);
	else if (strcmp(cmd, "insert") == 0)
		sim_insert(p->s);
	else if (strcmp(cmd, "quit") == 0)
		p->s->running = false;
	else if (strcmp(cmd, "status") == 0) {
		snprintf(p->reply, sizeof(p->reply), "%s%s%s",
			 p->s->inserted ? "inserted" : "removed",
			 p->chip.picc.state != PICC_OFF ? " powered" : "",
			 p->chip.selected ? " active" : "");
		return p->reply;
	} else
		return "error unknown command";
	sync_card(p);
	return "ok";
}

static void signals_ready(struct pty_reader *p)
{
	int sig;

	while ((sig = sim_signals_next(p->s->sigfd)) != 0) {
		if (sig == SIGUSR1)
			sim_remove(p->s);
		else if (sig == SIGUSR2)
			sim_insert(p->s);
		else {
			sim_log(LOG_EVENT, "signal %d: exiting", sig);
			p->s->running = false;
		}
	}
	sync_card(p);
}

/* A pty in raw mode, its slave held open and linked at p->link (an old
 * symbolic link there is replaced, never a file of another kind). */
static bool open_pty(struct pty_reader *p)
{
	struct termios tio;
	struct stat st;
	const char *name;

	p->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (p->master < 0 || grantpt(p->master) < 0 || unlockpt(p->master) < 0 ||
	    !(name = ptsname(p->master))) {
		sim_log(LOG_ERROR, "pn532: cannot open a pseudo-terminal: %s", strerror(errno));
		return false;
	}
	p->slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (p->slave < 0 || tcgetattr(p->slave, &tio) < 0) {
		sim_log(LOG_ERROR, "pn532: %s: %s", name, strerror(errno));
		return false;
	}
	cfmakeraw(&tio);
	tcsetattr(p->slave, TCSANOW, &tio);
	fcntl(p->master, F_SETFL, fcntl(p->master, F_GETFL) | O_NONBLOCK);
	if (lstat(p->link, &st) == 0 && !S_ISLNK(st.st_mode)) {
		sim_log(LOG_ERROR, "pn532: %s exists and is not a symbolic link", p->link);
		return false;
	}
	unlink(p->link);
	if (symlink(name, p->link) < 0) {
		sim_log(LOG_ERROR, "pn532: cannot link %s to %s: %s", p->link, name, strerror(errno));
		return false;
	}
	sim_log(LOG_EVENT, "pn532: reader on %s (%s)", p->link, name);
	return true;
}

int pn532_pty_run(struct sim *s, const char *spec)
{
	enum { P_SIG, P_PTY, P_CONTROL, P_COUNT = P_CONTROL + CONTROL_POLLFDS };
	static struct pty_reader r;	/* large: keep it off the stack */
	struct pollfd pfd[P_COUNT];
	enum pn532_tech tech = PN532_TYPE_A;
	int rc = 0;

	if (strncmp(spec, "a:", 2) == 0 || strncmp(spec, "b:", 2) == 0) {
		tech = spec[0] == 'b' ? PN532_TYPE_B : PN532_TYPE_A;
		spec += 2;
	}
	memset(&r, 0, sizeof(r));
	r.s = s;
	r.link = spec;
	r.slave = -1;
	pn532_parser_init(&r.parser);
	pn532_init(&r.chip, s->card.ops, s->card.card, tech);
	r.chip.picc.on_apdu = on_apdu;
	r.chip.picc.ctx = &r;
	if (!open_pty(&r)) {
		rc = 1;
		goto out;
	}
	sim_log(LOG_EVENT, "pn532: ISO 14443-4 type %c card, %s", (char)tech,
		s->inserted ? "in the field" : "off the field");
	sync_card(&r);
	s->running = true;
	while (s->running) {
		pfd[P_SIG].fd = s->sigfd;
		pfd[P_SIG].events = POLLIN;
		pfd[P_PTY].fd = r.master;
		pfd[P_PTY].events = POLLIN;
		control_fill(&s->control, pfd + P_CONTROL);
		if (poll(pfd, P_COUNT, -1) < 0) {
			if (errno == EINTR)
				continue;
			sim_log(LOG_ERROR, "poll: %s", strerror(errno));
			rc = 1;
			break;
		}
		if (pfd[P_SIG].revents & POLLIN)
			signals_ready(&r);
		if (pfd[P_PTY].revents & POLLIN)
			master_ready(&r);
		else if (pfd[P_PTY].revents) {
			sim_log(LOG_ERROR, "pn532: the pseudo-terminal failed");
			rc = 1;
			break;
		}
		control_ready(&s->control, pfd + P_CONTROL, command, &r);
		sync_card(&r);
	}
	unlink(r.link);
out:
	if (r.slave >= 0)
		close(r.slave);
	if (r.master >= 0)
		close(r.master);
	return rc;
}
