/* vpcd.c - the vpcd transport (see vpcd.h for the protocol). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sim/log.h"
#include "sim/vpcd.h"

#define VPCD_MAX_PAYLOAD 0xFFFFu

enum { VPCD_CTRL_OFF = 0, VPCD_CTRL_ON = 1, VPCD_CTRL_RESET = 2, VPCD_CTRL_ATR = 4 };

bool vpcd_parse_endpoint(const char *s, char *host, size_t hostcap, char *port, size_t portcap)
{
	const char *colon, *h = s;
	size_t hlen;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (!end || end[1] != ':')
			return false;
		h = s + 1;
		hlen = (size_t)(end - h);
		colon = end + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return false;
		hlen = (size_t)(colon - s);
	}
	if (hlen == 0 || hlen >= hostcap)
		return false;

	char *endp;
	errno = 0;
	long p = strtol(colon + 1, &endp, 10);
	if (colon[1] == '\0' || *endp != '\0' || errno || p < 1 || p > 65535)
		return false;
	if ((size_t)snprintf(port, portcap, "%ld", p) >= portcap)
		return false;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	return true;
}

bool vpcd_init(struct vpcd *v, const char *host, const char *port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_family = AF_UNSPEC };
	struct addrinfo *res = NULL;

	memset(v, 0, sizeof(*v));
	v->fd = -1;
	snprintf(v->name, sizeof(v->name), "%s:%s", host, port);
	/* Resolved once: a name lookup every 100 ms while waiting would be waste. */
	int rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		sim_log(LOG_ERROR, "cannot resolve %s: %s", v->name, gai_strerror(rc));
		return false;
	}
	memcpy(&v->addr, res->ai_addr, res->ai_addrlen);
	v->addrlen = res->ai_addrlen;
	freeaddrinfo(res);

	v->rx = malloc(VPCD_MAX_PAYLOAD);
	v->tx = malloc(2 + VPCD_MAX_PAYLOAD);
	if (!v->rx || !v->tx) {
		sim_log(LOG_ERROR, "out of memory");
		vpcd_free(v);
		return false;
	}
	return true;
}

void vpcd_free(struct vpcd *v)
{
	vpcd_close(v);
	free(v->rx);
	free(v->tx);
	v->rx = v->tx = NULL;
}

void vpcd_close(struct vpcd *v)
{
	if (v->fd >= 0)
		close(v->fd);
	v->fd = -1;
	v->connecting = false;
}

static int connected(struct vpcd *v)
{
	int one = 1;
	int flags = fcntl(v->fd, F_GETFL);

	/* Blocking from now on: a message is read whole once poll() sees its start. */
	if (flags < 0 || fcntl(v->fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		int e = errno;
		vpcd_close(v);
		errno = e;
		return -1;
	}
	/* Replies go out in one segment, not held back by Nagle. */
	setsockopt(v->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	v->connecting = false;
	return 1;
}

int vpcd_connect_start(struct vpcd *v)
{
	vpcd_close(v);
	v->fd = socket(v->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (v->fd < 0)
		return -1;
	/* Non-blocking, so an unanswering host never stalls the control socket. */
	if (connect(v->fd, (struct sockaddr *)&v->addr, v->addrlen) == 0)
		return connected(v);
	if (errno == EINPROGRESS) {
		v->connecting = true;
		return 0;
	}
	int e = errno;
	vpcd_close(v);
	errno = e;
	return -1;
}

int vpcd_connect_finish(struct vpcd *v)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(v->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err != 0) {
		vpcd_close(v);
		errno = err;
		return -1;
	}
	return connected(v);
}

/* Reads exactly n bytes. Debian's vpcd sends the length and the payload in
 * two send() calls: without TCP_QUICKACK before each recv, our delayed ACK
 * meets its Nagle and every APDU costs ~40 ms. */
static bool read_exact(int fd, uint8_t *buf, size_t n)
{
	int one = 1;

	while (n > 0) {
		setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
		ssize_t r = recv(fd, buf, n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		buf += r;
		n -= (size_t)r;
	}
	return true;
}

static bool write_exact(int fd, const uint8_t *buf, size_t n)
{
	while (n > 0) {
		ssize_t r = send(fd, buf, n, MSG_NOSIGNAL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		buf += r;
		n -= (size_t)r;
	}
	return true;
}

/* Frames len bytes already placed at v->tx + 2 and sends them in one write. */
static bool send_reply(struct vpcd *v, size_t len)
{
	v->tx[0] = (uint8_t)(len >> 8);
	v->tx[1] = (uint8_t)len;
	return write_exact(v->fd, v->tx, 2 + len);
}

static bool serve_control(struct vpcd *v, struct vpcd_card *c, uint8_t ctrl)
{
	switch (ctrl) {
	case VPCD_CTRL_OFF:
		sim_log(LOG_APDU, "power off");
		c->ops->power_off(c->card);
		c->powered = false;
		return true;
	case VPCD_CTRL_ON:
		sim_log(LOG_APDU, "power on");
		c->ops->power_on(c->card);
		c->powered = true;
		return true;
	case VPCD_CTRL_RESET:
		sim_log(LOG_APDU, "reset");
		c->ops->reset(c->card);
		c->powered = true;
		return true;
	case VPCD_CTRL_ATR: {
		/* vpcd asks for the ATR on every presence poll: log it only at -vvv. */
		sim_log(LOG_POLL, "ATR requested");
		size_t n = c->ops->atr(c->card, v->tx + 2, SIM_ATR_MAX);
		return send_reply(v, n);
	}
	default:
		sim_log(LOG_ERROR, "unknown vpcd control byte %u, ignored", ctrl);
		return true;
	}
}

bool vpcd_serve(struct vpcd *v, struct vpcd_card *c)
{
	uint8_t hdr[2];

	if (!read_exact(v->fd, hdr, 2))
		return false;
	size_t len = (size_t)hdr[0] << 8 | hdr[1];
	if (!read_exact(v->fd, v->rx, len))
		return false;
	if (len == 0)
		return true;
	if (len == 1)
		return serve_control(v, c, v->rx[0]);

	sim_log_apdu("C>", v->rx, len, 1);
	sim_trace_apdu(c->trace, "C>", v->rx, len, 1);
	if (!c->powered)
		sim_log(LOG_APDU, "APDU while the card is powered off");
	size_t rlen = c->ops->process(c->card, v->rx, len, v->tx + 2, VPCD_MAX_PAYLOAD);
	if (rlen < 2) {
		/* A card must answer a status word; stand in for a broken one. */
		v->tx[2] = 0x6F;
		v->tx[3] = 0x00;
		rlen = 2;
	}
	if (c->pace && !c->pace(c->pace_ctx, len, rlen)) {
		sim_trace_apdu(c->trace, "R< (card pulled, no answer)", NULL, 0, 0);
		return true;  /* pulled mid-command: the connection is already closed */
	}
	sim_log_apdu("R<", v->tx + 2, rlen, 0);
	sim_trace_apdu(c->trace, "R<", v->tx + 2, rlen, 0);
	return send_reply(v, rlen);
}
