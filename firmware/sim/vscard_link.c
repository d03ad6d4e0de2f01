/* vscard_link.c - the VSCard transport of santecard-sim (see vscard_link.h). */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "ccid/vscard.h"
#include "ccid/vscard_t1.h"
#include "sim/log.h"
#include "sim/signals.h"
#include "sim/sim.h"
#include "sim/vscard_link.h"

/* Replies QEMU owes us (one Error per ReaderRemove/ReaderAdd/ATR/CardRemove). */
#define AWAIT_MAX 32

struct link {
	struct sim *s;
	int proto;			/* 0 or 1: the transport we play */
	uint8_t atr[VSC_QEMU_MAX_ATR];	/* the ATR QEMU gets */
	size_t atr_len;
	struct vsc_atr_info info;	/* of the card's own ATR */
	unsigned slow_ms;		/* T=1: ask for WTX when a command takes longer */
	struct vsc_t1 t1;
	uint8_t *rx;			/* unparsed input */
	size_t rx_len;
	uint8_t *tx;			/* one outgoing message */
	uint8_t *rapdu;			/* T=0: the card's answer */
	uint32_t await[AWAIT_MAX];	/* types whose Error reply is due, oldest first */
	size_t nawait;
	bool in_reader;			/* QEMU accepted our ATR */
	bool waiting_logged;
	int64_t next_try_ms;
	unsigned long apdus;
	char reply[96];
};

#define RX_CAP (VSC_HEADER_LEN + VSC_MAX_PAYLOAD)
#define TX_CAP (VSC_HEADER_LEN + VSC_T1_MAX_RAPDU)

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool vscard_link_parse(const char *spec, char *host, size_t hostcap, char *port,
		       size_t portcap, int *proto)
{
	char ep[300];
	const char *comma = strrchr(spec, ',');
	size_t n = comma ? (size_t)(comma - spec) : strlen(spec);

	*proto = VSCARD_PROTO_AUTO;
	if (comma) {
		if (strcmp(comma + 1, "t0") == 0)
			*proto = VSCARD_PROTO_T0;
		else if (strcmp(comma + 1, "t1") == 0)
			*proto = VSCARD_PROTO_T1;
		else
			return false;
	}
	if (n >= sizeof(ep))
		return false;
	memcpy(ep, spec, n);
	ep[n] = '\0';
	return vpcd_parse_endpoint(ep, host, hostcap, port, portcap);
}

/* ------------------------------------------------------------ sending */

/* One message, one write: QEMU must never see a half message (it keeps a
 * partial one across reconnections). */
static bool send_all(struct link *l, size_t n)
{
	const uint8_t *p = l->tx;

	while (n > 0) {
		ssize_t r = send(l->s->vpcd.fd, p, n, MSG_NOSIGNAL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		p += r;
		n -= (size_t)r;
	}
	return true;
}

static bool send_msg(struct link *l, uint32_t type, const uint8_t *payload, size_t len)
{
	size_t n = vsc_encode(l->tx, TX_CAP, type, 0, payload, len);

	if (n == 0)
		return false;
	if (type != VSC_APDU && type != VSC_INIT && type != VSC_FLUSH_COMPLETE &&
	    type != VSC_ERROR) {
		if (l->nawait == AWAIT_MAX) {
			sim_log(LOG_ERROR, "vscard: QEMU stopped answering");
			return false;
		}
		l->await[l->nawait++] = type;
	}
	sim_log(LOG_POLL, "vscard: -> %s (%zu bytes)", vsc_type_name(type), len);
	return send_all(l, n);
}

static bool send_error(struct link *l, uint32_t code)
{
	size_t n = vsc_encode_error(l->tx, TX_CAP, 0, code);

	return n && send_all(l, n);
}

/* ------------------------------------------------------------ the card */

static void card_power_on(struct link *l)
{
	struct sim *s = l->s;

	s->card.ops->power_on(s->card.card);
	s->card.powered = true;
	if (l->proto == 1)
		vsc_t1_reset(&l->t1);
}

static void card_power_off(struct link *l)
{
	struct sim *s = l->s;

	s->card.ops->power_off(s->card.card);
	s->card.powered = false;
	l->in_reader = false;
}

static bool connected(const struct link *l)
{
	return l->s->vpcd.fd >= 0 && !l->s->vpcd.connecting;
}

static bool send_atr(struct link *l)
{
	card_power_on(l);
	return send_msg(l, VSC_ATR, l->atr, l->atr_len);
}

/* Runs one C-APDU on the card, with the sim's logging and trace. */
static size_t run_apdu(void *ctx, const uint8_t *capdu, size_t len, uint8_t *rapdu,
		       size_t cap, bool *slow)
{
	struct link *l = ctx;
	struct sim *s = l->s;
	int64_t t0 = now_ms();

	sim_log_apdu("C>", capdu, len, 1);
	sim_trace_apdu(s->card.trace, "C>", capdu, len, 1);
	size_t r = s->card.ops->process(s->card.card, capdu, len, rapdu, cap);
	if (r < 2) {
		rapdu[0] = 0x6F;
		rapdu[1] = 0x00;
		r = 2;
	}
	if (slow)
		*slow = now_ms() - t0 > (int64_t)l->slow_ms;
	sim_log_apdu("R<", rapdu, r, 0);
	sim_trace_apdu(s->card.trace, "R<", rapdu, r, 0);
	l->apdus++;
	return r;
}

static bool answer_apdu(struct link *l, const struct vsc_msg *m)
{
	const uint8_t *resp;
	size_t n;

	/* QEMU pairs answers with requests by order only: answer every one. */
	if (!l->s->inserted || !l->in_reader) {
		sim_log(LOG_EVENT, "vscard: APDU with no card inserted: answering Error");
		return send_error(l, VSC_GENERAL_ERROR);
	}
	if (l->proto == 1) {
		uint8_t blk[VSC_T1_BLOCK_MAX];
		n = vsc_t1_block(&l->t1, m->payload, m->length, blk, sizeof(blk), run_apdu, l);
		sim_log(LOG_POLL, "vscard: T=1 block of %u bytes answered with %zu", m->length, n);
		if (n > 1 && blk[1] == 0xC3)
			sim_log(LOG_EVENT, "vscard: T=1 waiting time extension requested");
		return n ? send_msg(l, VSC_APDU, blk, n) : send_error(l, VSC_GENERAL_ERROR);
	}
	if (m->length == 0)
		return send_error(l, VSC_GENERAL_ERROR);
	n = run_apdu(l, m->payload, m->length, l->rapdu, VSC_T1_MAX_RAPDU, NULL);
	resp = l->rapdu;
	if (n > VSC_QEMU_MAX_RESPONSE) {
		/* QEMU 7.2 would drop it silently and the guest would time out. */
		sim_log(LOG_ERROR, "vscard: a %zu-byte response exceeds QEMU's %u: answering Error",
			n, VSC_QEMU_MAX_RESPONSE);
		return send_error(l, VSC_GENERAL_ERROR);
	}
	return send_msg(l, VSC_APDU, resp, n);
}

/* ------------------------------------------------------------ receiving */

static void got_error(struct link *l, const struct vsc_msg *m)
{
	uint32_t code = 0, type = 0;

	if (!vsc_decode_error(m, &code))
		sim_log(LOG_ERROR, "vscard: malformed Error message (%u bytes)", m->length);
	if (l->nawait) {
		type = l->await[0];
		memmove(l->await, l->await + 1, (l->nawait - 1) * sizeof(l->await[0]));
		l->nawait--;
	}
	if (code != VSC_SUCCESS) {
		sim_log(LOG_ERROR, "vscard: QEMU refused %s: error %u%s", vsc_type_name(type), code,
			type == VSC_ATR ? " (QEMU 7.2 accepts ATRs of TS 3B/3F, at most 40 bytes)" : "");
		return;
	}
	if (type == VSC_ATR) {
		l->in_reader = l->s->inserted;
		sim_log(LOG_EVENT, "vscard: card present in QEMU's reader (T=%d)", l->proto);
	} else if (type == VSC_CARD_REMOVE) {
		sim_log(LOG_EVENT, "vscard: card removed from QEMU's reader");
	}
}

static bool handle(struct link *l, const struct vsc_msg *m)
{
	uint32_t version;

	switch (m->type) {
	case VSC_INIT:
		if (!vsc_decode_init(m, &version)) {
			sim_log(LOG_ERROR, "vscard: malformed Init from QEMU (%u bytes)", m->length);
			return true;
		}
		sim_log(LOG_EVENT, "vscard: QEMU's Init, protocol version %u", version);
		return true;
	case VSC_ERROR:
		got_error(l, m);
		return true;
	case VSC_APDU:
		return answer_apdu(l, m);
	case VSC_FLUSH:
		return send_msg(l, VSC_FLUSH_COMPLETE, NULL, 0);
	default:
		sim_log(LOG_ERROR, "vscard: unexpected %s message (type %u) from QEMU, ignored",
			vsc_type_name(m->type), m->type);
		return true;
	}
}

/* Reads what is there and handles every whole message; false when the
 * connection is gone or the stream is unusable. */
static bool link_read(struct link *l)
{
	int one = 1;
	int fd = l->s->vpcd.fd;

	/* QEMU writes header and payload separately: ACK at once (see vpcd.c). */
	setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
	ssize_t r = recv(fd, l->rx + l->rx_len, RX_CAP - l->rx_len, MSG_DONTWAIT);
	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (r <= 0)
		return false;
	l->rx_len += (size_t)r;

	size_t off = 0;
	for (;;) {
		struct vsc_msg m;
		long n = vsc_parse(l->rx + off, l->rx_len - off, VSC_MAX_PAYLOAD, &m);
		if (n < 0) {
			sim_log(LOG_ERROR, "vscard: message over %u bytes from QEMU", VSC_MAX_PAYLOAD);
			return false;
		}
		if (n == 0)
			break;
		sim_log(LOG_POLL, "vscard: <- %s (%u bytes)", vsc_type_name(m.type), m.length);
		if (!handle(l, &m))
			return false;
		off += (size_t)n;
	}
	memmove(l->rx, l->rx + off, l->rx_len - off);
	l->rx_len -= off;
	return true;
}

/* ------------------------------------------------------------ connection */

static bool hello(struct link *l)
{
	size_t n = vsc_encode_init(l->tx, TX_CAP, 0);

	l->nawait = 0;
	l->rx_len = 0;
	l->in_reader = false;
	if (!n || !send_all(l, n))
		return false;
	/* ReaderRemove first: QEMU keeps unanswered requests across connections. */
	if (!send_msg(l, VSC_READER_REMOVE, NULL, 0) || !send_msg(l, VSC_READER_ADD, NULL, 0))
		return false;
	return !l->s->inserted || send_atr(l);
}

static void disconnect(struct link *l, const char *why)
{
	vpcd_close(&l->s->vpcd);
	card_power_off(l);
	sim_log(LOG_EVENT, "vscard: %s %s; reconnecting every %d ms", why, l->s->vpcd.name,
		SIM_RETRY_MS);
	l->waiting_logged = true;
	l->next_try_ms = now_ms() + SIM_RETRY_MS;
}

static void on_connected(struct link *l)
{
	l->waiting_logged = false;
	sim_log(LOG_EVENT, "vscard: connected to QEMU at %s", l->s->vpcd.name);
	if (!hello(l))
		disconnect(l, "lost the connection to");
}

static void connect_failed(struct link *l, int err)
{
	if (!l->waiting_logged)
		sim_log(LOG_EVENT, "vscard: waiting for QEMU at %s (%s); retrying every %d ms",
			l->s->vpcd.name, strerror(err), SIM_RETRY_MS);
	l->waiting_logged = true;
	l->next_try_ms = now_ms() + SIM_RETRY_MS;
}

/* ------------------------------------------------------------ control */

static void link_insert(struct link *l)
{
	if (l->s->inserted)
		return;
	l->s->inserted = true;
	sim_log(LOG_EVENT, "card inserted");
	if (connected(l) && !send_atr(l))
		disconnect(l, "lost the connection to");
}

static void link_remove(struct link *l)
{
	if (!l->s->inserted)
		return;
	l->s->inserted = false;
	card_power_off(l);
	sim_log(LOG_EVENT, "card removed");
	if (connected(l) && !send_msg(l, VSC_CARD_REMOVE, NULL, 0))
		disconnect(l, "lost the connection to");
}

static void link_reset(struct link *l)
{
	if (!l->s->inserted)
		return;
	l->s->card.ops->reset(l->s->card.card);
	sim_log(LOG_EVENT, "card reset");
	if (connected(l) && !send_atr(l))
		disconnect(l, "lost the connection to");
}

static const char *command(void *ctx, const char *cmd)
{
	struct link *l = ctx;

	if (strcmp(cmd, "remove") == 0) {
		link_remove(l);
		return "ok";
	}
	if (strcmp(cmd, "insert") == 0) {
		link_insert(l);
		return "ok";
	}
	if (strcmp(cmd, "reset") == 0) {
		link_reset(l);
		return l->s->inserted ? "ok" : "error card removed";
	}
	if (strcmp(cmd, "quit") == 0) {
		l->s->running = false;
		return "ok";
	}
	if (strcmp(cmd, "status") == 0) {
		snprintf(l->reply, sizeof(l->reply), "%s %s%s apdus %lu",
			 l->s->inserted ? "inserted" : "removed",
			 connected(l) ? "connected" : "waiting",
			 l->in_reader ? " in-reader" : "", l->apdus);
		return l->reply;
	}
	return "error unknown command";
}

static void signals_ready(struct link *l)
{
	int sig;

	while ((sig = sim_signals_next(l->s->sigfd)) != 0) {
		if (sig == SIGUSR1)
			link_remove(l);
		else if (sig == SIGUSR2)
			link_insert(l);
		else {
			sim_log(LOG_EVENT, "signal %d: exiting", sig);
			l->s->running = false;
		}
	}
}

/* ------------------------------------------------------------ set-up */

static bool link_setup(struct link *l, struct sim *s, int proto)
{
	uint8_t atr[SIM_ATR_MAX];
	size_t n = s->card.ops->atr(s->card.card, atr, sizeof(atr));

	memset(l, 0, sizeof(*l));
	l->s = s;
	vsc_atr_parse(atr, n, &l->info);
	if (!l->info.valid) {
		sim_log(LOG_ERROR, "vscard: the card's ATR is malformed");
		return false;
	}
	l->proto = proto == VSCARD_PROTO_AUTO ? (l->info.first_protocol == 1) : proto;
	if (l->proto == 1 && !l->info.offers_t1) {
		sim_log(LOG_ERROR, "vscard: the card's ATR offers no T=1");
		return false;
	}
	if (l->proto == 0 && !l->info.offers_t0) {
		/* An APDU-level card shown as T=0: same historical bytes. */
		l->atr_len = vsc_atr_to_t0(atr, n, l->atr, sizeof(l->atr));
		sim_log(LOG_EVENT, "vscard: presenting the T=1 card with a T=0 ATR");
	} else if (n <= sizeof(l->atr)) {
		memcpy(l->atr, atr, n);
		l->atr_len = n;
	}
	if (l->atr_len == 0) {
		sim_log(LOG_ERROR, "vscard: the card's ATR does not fit QEMU's %u bytes",
			VSC_QEMU_MAX_ATR);
		return false;
	}
	/* Half the block waiting time at the common 3.5712 MHz clock:
	 * BWT ~ 2^BWI x 960 x 372 / f, i.e. about 2^BWI x 100 ms. */
	l->slow_ms = (1u << (l->info.bwi > 9 ? 9 : l->info.bwi)) * 50u;
	l->rx = malloc(RX_CAP);
	l->tx = malloc(TX_CAP);
	l->rapdu = malloc(VSC_T1_MAX_RAPDU);
	if (!l->rx || !l->tx || !l->rapdu || (l->proto == 1 && !vsc_t1_init(&l->t1, &l->info))) {
		sim_log(LOG_ERROR, "out of memory");
		return false;
	}
	return true;
}

static void link_free(struct link *l)
{
	vsc_t1_free(&l->t1);
	free(l->rx);
	free(l->tx);
	free(l->rapdu);
}

static void try_connect(struct link *l)
{
	int r = vpcd_connect_start(&l->s->vpcd);

	if (r > 0)
		on_connected(l);
	else if (r < 0)
		connect_failed(l, errno);
}

static void ready(struct link *l, short revents)
{
	struct vpcd *v = &l->s->vpcd;

	if (!v->connecting) {
		if (!link_read(l))
			disconnect(l, "lost the connection to");
		return;
	}
	if (!(revents & (POLLOUT | POLLERR | POLLHUP)))
		return;
	if (vpcd_connect_finish(v) > 0)
		on_connected(l);
	else
		connect_failed(l, errno);
}

int vscard_link_run(struct sim *s, int proto)
{
	enum { P_SIG, P_LINK, P_CONTROL, P_COUNT = P_CONTROL + CONTROL_POLLFDS };
	struct pollfd pfd[P_COUNT];
	struct link l;
	int rc = 0;

	if (!link_setup(&l, s, proto)) {
		link_free(&l);
		return 1;
	}
	if (s->inserted)
		card_power_on(&l);
	l.next_try_ms = now_ms();
	s->running = true;
	while (s->running) {
		int timeout = -1;

		if (s->vpcd.fd < 0) {
			int64_t wait = l.next_try_ms - now_ms();
			if (wait <= 0) {
				try_connect(&l);
				wait = s->vpcd.fd < 0 ? SIM_RETRY_MS : 0;
			}
			if (s->vpcd.fd < 0)
				timeout = (int)wait;
		}
		pfd[P_SIG].fd = s->sigfd;
		pfd[P_SIG].events = POLLIN;
		pfd[P_LINK].fd = s->vpcd.fd;
		pfd[P_LINK].events = s->vpcd.connecting ? POLLOUT : POLLIN;
		control_fill(&s->control, pfd + P_CONTROL);

		if (poll(pfd, P_COUNT, timeout) < 0) {
			if (errno == EINTR)
				continue;
			sim_log(LOG_ERROR, "poll: %s", strerror(errno));
			rc = 1;
			break;
		}
		if (pfd[P_SIG].revents & POLLIN)
			signals_ready(&l);
		if (s->vpcd.fd >= 0 && pfd[P_LINK].fd == s->vpcd.fd && pfd[P_LINK].revents)
			ready(&l, pfd[P_LINK].revents);
		control_ready(&s->control, pfd + P_CONTROL, command, &l);
	}
	/* Leave QEMU clean, as vscclient's "exit" does. */
	if (connected(&l)) {
		if (s->inserted)
			send_msg(&l, VSC_CARD_REMOVE, NULL, 0);
		send_msg(&l, VSC_READER_REMOVE, NULL, 0);
	}
	vpcd_close(&s->vpcd);
	link_free(&l);
	return rc;
}
