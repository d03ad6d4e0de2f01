/*
 * cmd_serve.c - `santecard-vitale serve`: a small local web server showing the
 * current card. The watcher (watcher.c) runs in a thread and keeps the current
 * state as one JSON document; this thread serves the page (web/, built in),
 * GET /state (the document) and GET /events (Server-Sent Events: the document on
 * connect and again after every change).
 *
 * Rules: loopback address by default; GET only, on these few paths; a request
 * head of at most 8 KiB, read within 10 s; at most 32 connections; the Host
 * header must name the server (a web page elsewhere cannot read the state
 * through DNS rebinding); no keep-alive; nothing logged but, with --verbose,
 * method-less status lines without any personal data; nothing written to disk.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vitale.h"

#define MAX_CLIENTS 32
#define REQ_MAX 8192
#define REQ_TIMEOUT_MS 10000
#define KEEPALIVE_MS 15000
#define OUT_MAX ((size_t)256 * 1024)
#define MAX_SLOTS 16

static volatile int stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* ------------------------------------------------------------- shared state */

struct slot {
	char reader[STC_READER_NAME_MAX];
	int ok;                     /* a "card" document, not an "error" one */
	unsigned long seq;          /* when it came: the latest card is shown */
	struct sbuf doc;
};

struct shared {
	pthread_mutex_t mu;
	struct slot slots[MAX_SLOTS];
	size_t nslots;
	unsigned long seq;
	int readers;                /* -1: pcscd unreachable, -2: not known yet */
	unsigned long version;      /* bumped on every change of state */
	struct sbuf state;          /* the current document */
	int wake_w;                 /* the server's wake-up pipe */
	struct render_opts r;
};

/* Rebuild the current document (mutex held): the card inserted last, a carte
 * Vitale read preferred over a card that could not be read. The version moves
 * only when the document changes, so clients get no repeats. */
static void rebuild(struct shared *s)
{
	const struct slot *cur = NULL;
	struct sbuf nb;

	for (size_t i = 0; i < s->nslots; i++) {
		const struct slot *c = &s->slots[i];

		if (!cur || c->ok > cur->ok || (c->ok == cur->ok && c->seq > cur->seq))
			cur = c;
	}
	sb_init(&nb);
	sb_printf(&nb, "{\"schema\":%d,\"state\":\"%s\",\"readers\":%d", VITALE_SCHEMA,
		  cur ? (cur->ok ? "card" : "error") : s->readers == -1 ? "no-service" : "waiting",
		  s->readers < 0 ? 0 : s->readers);
	if (cur) {
		sb_puts(&nb, ",\"document\":");
		sb_puts(&nb, sb_str(&cur->doc));
	}
	sb_puts(&nb, "}");
	if (nb.oom || (s->state.p && !strcmp(sb_str(&nb), sb_str(&s->state)))) {
		sb_free(&nb);
		return;
	}
	sb_free(&s->state);
	s->state = nb;
	s->version++;
}

static void on_event(const struct wevent *ev, void *arg)
{
	struct shared *s = arg;
	size_t i;

	if (ev->kind == WE_TICK)
		return;
	pthread_mutex_lock(&s->mu);
	switch (ev->kind) {
	case WE_CARD:
		for (i = 0; i < s->nslots; i++)
			if (!strcmp(s->slots[i].reader, ev->reader))
				break;
		if (i == s->nslots) {
			if (s->nslots == MAX_SLOTS)
				break;
			s->nslots++;
			sb_init(&s->slots[i].doc);
		}
		snprintf(s->slots[i].reader, sizeof(s->slots[i].reader), "%s", ev->reader);
		s->slots[i].ok = ev->vc->result == VC_OK;
		s->slots[i].seq = ++s->seq;
		sb_reset(&s->slots[i].doc);
		render_json_card(&s->slots[i].doc, ev->vc, &s->r);
		break;
	case WE_REMOVED:
		for (i = 0; i < s->nslots; i++) {
			if (!strcmp(s->slots[i].reader, ev->reader)) {
				sb_free(&s->slots[i].doc);
				s->slots[i] = s->slots[--s->nslots];
				break;
			}
		}
		break;
	case WE_READERS:
		s->readers = ev->readers;
		break;
	case WE_TICK:
		break;
	}
	rebuild(s);
	pthread_mutex_unlock(&s->mu);
	if (write(s->wake_w, "!", 1) < 0) {
		/* the pipe is full: the server is awake already */
	}
}

static void *watcher_main(void *arg)
{
	watch_run(on_event, arg, &stop_flag);
	return NULL;
}

/* --------------------------------------------------------------- clients */

struct client {
	int fd;
	char in[REQ_MAX];
	size_t inlen;
	int answered;               /* the response is queued; input is ignored */
	int sse;
	int close_after;            /* close once out is flushed */
	unsigned long version;      /* SSE: last state sent */
	long long deadline;         /* request head expected before this */
	long long last_sent;
	struct sbuf out;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *status_text(int code)
{
	switch (code) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 421: return "Misdirected Request";
	case 431: return "Request Header Fields Too Large";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	}
	return "Error";
}

static void head(struct sbuf *b, int code, const char *type, long len)
{
	sb_printf(b, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n", code, status_text(code), type);
	if (len >= 0)
		sb_printf(b, "Content-Length: %ld\r\n", len);
	if (code == 405)
		sb_puts(b, "Allow: GET\r\n");
	sb_puts(b, "Cache-Control: no-store\r\n"
		   "X-Content-Type-Options: nosniff\r\n"
		   "X-Frame-Options: DENY\r\n"
		   "Referrer-Policy: no-referrer\r\n"
		   "Content-Security-Policy: default-src 'self'; frame-ancestors 'none'\r\n");
	sb_puts(b, len >= 0 ? "Connection: close\r\n\r\n" : "\r\n");
}

static void respond(struct client *c, int code, const char *type, const void *body, size_t len)
{
	head(&c->out, code, type, (long)len);
	sb_putn(&c->out, body, len);
	c->answered = 1;
	c->close_after = 1;
}

static void respond_error(struct client *c, int code)
{
	char body[96];
	int n = snprintf(body, sizeof(body), "%d %s\n", code, status_text(code));

	respond(c, code, "text/plain; charset=utf-8", body, (size_t)n);
}

static void sse_push(struct client *c, struct shared *s)
{
	sb_puts(&c->out, "event: state\ndata: ");
	sb_puts(&c->out, sb_str(&s->state));
	sb_puts(&c->out, "\n\n");
	c->version = s->version;
	c->last_sent = now_ms();
}

struct server {
	struct shared *sh;
	unsigned port;
	const char *listen_arg;
	int verbose;
	struct client *cl[MAX_CLIENTS];
};

static void route(struct server *sv, struct client *c, const struct http_req *r)
{
	const char *path = r->path;

	if (!http_host_ok(r->host, sv->port, sv->listen_arg)) {
		respond_error(c, 421);
		return;
	}
	if (!strcmp(path, "/"))
		path = "/index.html";
	if (!strcmp(path, "/state")) {
		pthread_mutex_lock(&sv->sh->mu);
		respond(c, 200, "application/json", sb_str(&sv->sh->state), sv->sh->state.len);
		pthread_mutex_unlock(&sv->sh->mu);
		return;
	}
	if (!strcmp(path, "/events")) {
		head(&c->out, 200, "text/event-stream; charset=utf-8", -1);
		sb_puts(&c->out, "retry: 1000\n\n");
		pthread_mutex_lock(&sv->sh->mu);
		sse_push(c, sv->sh);
		pthread_mutex_unlock(&sv->sh->mu);
		c->answered = 1;
		c->sse = 1;
		return;
	}
	for (size_t i = 0; i < web_asset_count; i++) {
		if (!strcmp(path, web_assets[i].path)) {
			respond(c, 200, web_assets[i].type, web_assets[i].data, web_assets[i].len);
			return;
		}
	}
	respond_error(c, 404);
}

static void client_input(struct server *sv, struct client *c)
{
	char junk[512];
	ssize_t n;
	struct http_req r;
	enum http_parse p;

	if (c->answered) {
		/* nothing more is expected; read to notice the close */
		n = recv(c->fd, junk, sizeof(junk), 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			c->close_after = 2;
		return;
	}
	n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, 0);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		c->close_after = 2;
		return;
	}
	if (n < 0)
		return;
	c->inlen += (size_t)n;
	p = http_parse_request(c->in, c->inlen, sizeof(c->in), &r);
	switch (p) {
	case HTTP_INCOMPLETE: return;
	case HTTP_OK: route(sv, c, &r); break;
	case HTTP_BAD: respond_error(c, 400); break;
	case HTTP_TOO_LARGE: respond_error(c, 431); break;
	case HTTP_BAD_METHOD: respond_error(c, 405); break;
	case HTTP_BAD_VERSION: respond_error(c, 505); break;
	}
	if (sv->verbose)
		fprintf(stderr, "%s: request %s\n", vtool_name,
			p == HTTP_OK ? (c->sse ? "events" : "served") : "refused");
	explicit_bzero(c->in, sizeof(c->in));
}

/* Send what is queued. Returns -1 when the client must go. */
static int client_flush(struct client *c)
{
	while (c->out.len > 0) {
		ssize_t n = send(c->fd, c->out.p, c->out.len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0)
			return -1;
		memmove(c->out.p, c->out.p + n, c->out.len - (size_t)n);
		c->out.len -= (size_t)n;
		explicit_bzero(c->out.p + c->out.len, (size_t)n);
	}
	if (c->out.len > OUT_MAX || c->out.oom)
		return -1;   /* a client that does not read: drop it */
	if (c->out.len == 0 && c->close_after)
		return -1;
	return 0;
}

static void client_free(struct client *c)
{
	close(c->fd);
	sb_free(&c->out);
	explicit_bzero(c->in, sizeof(c->in));
	free(c);
}

static void accept_clients(struct server *sv, int lfd)
{
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		struct client *c;
		size_t i;

		if (fd < 0)
			return;
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		for (i = 0; i < MAX_CLIENTS && sv->cl[i]; i++)
			;
		c = i < MAX_CLIENTS ? calloc(1, sizeof(*c)) : NULL;
		if (!c) {
			static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
						   "Content-Length: 0\r\nConnection: close\r\n\r\n";
			if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL) < 0) {
				/* it goes anyway */
			}
			close(fd);
			continue;
		}
		c->fd = fd;
		sb_init(&c->out);
		c->deadline = now_ms() + REQ_TIMEOUT_MS;
		sv->cl[i] = c;
	}
}

static int open_listener(const char *arg, unsigned *port_out)
{
	char host[64];
	const char *colon = strrchr(arg, ':');
	struct sockaddr_storage ss;
	socklen_t sl;
	char *end;
	long port;
	int fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (!colon || (size_t)(colon - arg) >= sizeof(host))
		return -1;
	memcpy(host, arg, (size_t)(colon - arg));
	host[colon - arg] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (end == colon + 1 || *end || port < 0 || port > 65535)
		return -1;
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;

		host[strlen(host) - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
			return -1;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		sl = sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;

		if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
			return -1;
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		sl = sizeof(*a4);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -2;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 16) != 0) {
		close(fd);
		return -2;
	}
	sl = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	*port_out = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						  : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

static int is_loopback(const char *arg)
{
	return !strncmp(arg, "127.", 4) || !strncmp(arg, "[::1]:", 6);
}

static void serve_loop(struct server *sv, int lfd, int wake_r)
{
	struct pollfd pfd[MAX_CLIENTS + 2];
	int idx[MAX_CLIENTS + 2];

	while (!stop_flag) {
		nfds_t n = 0;
		long long now;
		int r;

		pfd[n].fd = lfd;
		pfd[n++].events = POLLIN;
		pfd[n].fd = wake_r;
		pfd[n++].events = POLLIN;
		for (int i = 0; i < MAX_CLIENTS; i++) {
			if (!sv->cl[i])
				continue;
			pfd[n].fd = sv->cl[i]->fd;
			pfd[n].events = POLLIN | (sv->cl[i]->out.len ? POLLOUT : 0);
			idx[n++] = i;
		}
		r = poll(pfd, n, 1000);
		if (r < 0 && errno != EINTR)
			break;
		if (r > 0 && (pfd[1].revents & POLLIN)) {
			char buf[64];

			while (read(wake_r, buf, sizeof(buf)) > 0)
				;
		}
		pthread_mutex_lock(&sv->sh->mu);
		now = now_ms();
		for (int i = 0; i < MAX_CLIENTS; i++) {
			struct client *c = sv->cl[i];

			if (c && c->sse && (c->version != sv->sh->version))
				sse_push(c, sv->sh);
			else if (c && c->sse && now - c->last_sent >= KEEPALIVE_MS) {
				sb_puts(&c->out, ": keep-alive\n\n");
				c->last_sent = now;
			}
		}
		pthread_mutex_unlock(&sv->sh->mu);
		for (nfds_t k = 2; r > 0 && k < n; k++) {
			struct client *c = sv->cl[idx[k]];

			if (pfd[k].revents & (POLLIN | POLLHUP | POLLERR))
				client_input(sv, c);
		}
		for (int i = 0; i < MAX_CLIENTS; i++) {
			struct client *c = sv->cl[i];

			if (!c)
				continue;
			if (!c->answered && now > c->deadline)
				respond_error(c, 408);
			if (c->close_after == 2 || client_flush(c) < 0) {
				client_free(c);
				sv->cl[i] = NULL;
			}
		}
		if (r > 0 && (pfd[0].revents & POLLIN))
			accept_clients(sv, lfd);
	}
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (sv->cl[i]) {
			client_free(sv->cl[i]);
			sv->cl[i] = NULL;
		}
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: santecard-vitale serve [--listen ADDRESS:PORT] [--ins test|nir|demo]\n"
		   "                              [--verbose]\n\n"
		   "Serve a local web page that shows the people of the carte Vitale in the\n"
		   "reader, live (Server-Sent Events), and a waiting state without a card.\n\n"
		   "  -l, --listen ADDR:PORT  where to listen (default 127.0.0.1:8765; port 0:\n"
		   "                          any free port, printed on standard error)\n"
		   "      --ins SYSTEM        OID of the INS: test (default), nir or demo\n"
		   "  -v, --verbose           say on standard error when requests are served\n"
		   "                          (never any personal data)\n"
		   "  -h, --help              show this help\n\n"
		   "Paths: / (the page), /state (the state as JSON), /events (the same as\n"
		   "Server-Sent Events).\n");
}

int cmd_serve(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "ins", required_argument, NULL, 'I' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *listen_arg = "127.0.0.1:8765";
	struct shared sh;
	struct server sv;
	struct sigaction sa;
	pthread_t th;
	int c, lfd, wake[2];

	vtool_name = "santecard-vitale serve";
	memset(&sh, 0, sizeof(sh));
	memset(&sv, 0, sizeof(sv));
	sh.r.ins = STC_INS_NIR_TEST;
	while ((c = getopt_long(argc, argv, "l:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'l': listen_arg = optarg; break;
		case 'v': sv.verbose = 1; break;
		case 'I':
			if (parse_ins_system(optarg, &sh.r.ins)) {
				vusage_error("invalid --ins '%s' (test, nir or demo)", optarg);
				return VX_USAGE;
			}
			break;
		case 'h': usage(stdout); return VX_OK;
		default:
			fprintf(stderr, "Try 'santecard-vitale serve --help' for more information.\n");
			return VX_USAGE;
		}
	}
	if (optind < argc) {
		vusage_error("unexpected argument '%s'", argv[optind]);
		return VX_USAGE;
	}
	lfd = open_listener(listen_arg, &sv.port);
	if (lfd == -1) {
		vusage_error("invalid --listen '%s' (IPv4:PORT or [IPv6]:PORT)", listen_arg);
		return VX_USAGE;
	}
	if (lfd < 0) {
		fprintf(stderr, "%s: cannot listen on %s: %s\n", vtool_name, listen_arg,
			strerror(errno));
		return VX_ERROR;
	}
	if (!is_loopback(listen_arg))
		fprintf(stderr, "%s: warning: %s is not a loopback address: anyone who can reach "
			"it sees the card's personal data\n", vtool_name, listen_arg);
	if (pipe(wake) != 0) {
		close(lfd);
		return VX_ERROR;
	}
	fcntl(wake[0], F_SETFL, O_NONBLOCK);
	fcntl(wake[1], F_SETFL, O_NONBLOCK);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	pthread_mutex_init(&sh.mu, NULL);
	sh.readers = -2;
	sh.wake_w = wake[1];
	sb_init(&sh.state);
	rebuild(&sh);
	sv.sh = &sh;
	sv.listen_arg = listen_arg;
	fprintf(stderr, "%s: listening on http://%.*s:%u/\n", vtool_name,
		(int)(strrchr(listen_arg, ':') - listen_arg), listen_arg, sv.port);
	if (pthread_create(&th, NULL, watcher_main, &sh) != 0) {
		fprintf(stderr, "%s: cannot start the card watcher\n", vtool_name);
		return VX_ERROR;
	}
	serve_loop(&sv, lfd, wake[0]);
	stop_flag = 1;
	pthread_join(th, NULL);
	close(lfd);
	close(wake[0]);
	close(wake[1]);
	for (size_t i = 0; i < sh.nslots; i++)
		sb_free(&sh.slots[i].doc);
	sb_free(&sh.state);
	pthread_mutex_destroy(&sh.mu);
	return VX_OK;
}
