/*
 * loopback.c - the redirect listener of a native app (RFC 8252 7.3): TCP on
 * 127.0.0.1 with a port the system picks, only for the length of one login.
 * Requests other than GET /callback get a 404 and the wait goes on (browsers
 * ask for /favicon.ico); the callback is served once: its state must be the
 * one sent (a request with another state is refused and ends the login, it is
 * someone else's or forged) and its iss, when present, the issuer (RFC 9207,
 * mix-up); then a small page tells the user to close the window, and the
 * listener closes.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "psc.h"

#define REQ_MAX 8192

int psc_loopback_open(struct psc_loopback *lb, char *err, size_t errlen)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);

	lb->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lb->fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = 0;
	if (bind(lb->fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(lb->fd, 8) != 0 ||
	    getsockname(lb->fd, (struct sockaddr *)&a, &alen) != 0) {
		snprintf(err, errlen, "listening on 127.0.0.1: %s", strerror(errno));
		close(lb->fd);
		lb->fd = -1;
		return -1;
	}
	lb->port = ntohs(a.sin_port);
	return 0;
}

void psc_loopback_close(struct psc_loopback *lb)
{
	if (lb->fd >= 0)
		close(lb->fd);
	lb->fd = -1;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode [s, s+n) ('+' is a space in a query); NULL on a bad escape. */
static char *pct_decode(const char *s, size_t n)
{
	char *out = malloc(n + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			int h, l;

			if (i + 2 >= n) {
				free(out);
				return NULL;
			}
			h = hexval((unsigned char)s[i + 1]);
			l = hexval((unsigned char)s[i + 2]);
			if (h < 0 || l < 0 || (h == 0 && l == 0)) {
				free(out);
				return NULL;
			}
			*o++ = (char)(h * 16 + l);
			i += 2;
		} else {
			*o++ = s[i] == '+' ? ' ' : s[i];
		}
	}
	*o = '\0';
	return out;
}

char *psc_query_get(const char *q, const char *name)
{
	size_t nl = strlen(name);

	while (q && *q) {
		const char *amp = strchr(q, '&');
		size_t len = amp ? (size_t)(amp - q) : strlen(q);

		if (len > nl && !strncmp(q, name, nl) && q[nl] == '=')
			return pct_decode(q + nl + 1, len - nl - 1);
		if (len == nl && !strncmp(q, name, nl))
			return strdup("");
		q = amp ? amp + 1 : NULL;
	}
	return NULL;
}

static void respond(int fd, int status, const char *reason, const char *title, const char *text)
{
	char page[1024], head[256];
	int n = snprintf(page, sizeof(page),
			 "<!doctype html><html><head><meta charset=\"utf-8\"><title>%s</title>"
			 "</head><body><h1>%s</h1><p>%s</p></body></html>\n", title, title, text);
	int h = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d %s\r\nContent-Type: text/html; charset=utf-8\r\n"
			 "Content-Length: %d\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
			 status, reason, n);

	(void)!write(fd, head, (size_t)h);
	(void)!write(fd, page, (size_t)n);
}

/* Read the request head (bounded in size and time). 0 with the target in buf. */
static int read_request(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (n + 1 < cap) {
		ssize_t r;

		if (poll(&p, 1, 10000) <= 0)
			return -1;
		r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		n += (size_t)r;
		buf[n] = '\0';
		if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
			return 0;
	}
	return -1;
}

/* One connection: -1 go on waiting, else the result (0 with *code, or an exit code). */
static int serve(int fd, const char *state, const char *issuer, char **code)
{
	char buf[REQ_MAX], *sp, *query, *got_state = NULL, *err = NULL, *desc = NULL, *iss = NULL;
	int rc = -1;

	if (read_request(fd, buf, sizeof(buf)) != 0)
		return -1;
	if (strncmp(buf, "GET /callback", 13) != 0 || (buf[13] != '?' && buf[13] != ' ')) {
		respond(fd, 404, "Not Found", "Not found", "santecard-psc waits for the login.");
		return -1;
	}
	sp = strchr(buf + 4, ' ');
	if (!sp)
		return -1;
	*sp = '\0';
	query = buf[13] == '?' ? buf + 14 : "";
	got_state = psc_query_get(query, "state");
	err = psc_query_get(query, "error");
	desc = psc_query_get(query, "error_description");
	iss = psc_query_get(query, "iss");
	if (!got_state || strcmp(got_state, state) != 0) {
		respond(fd, 400, "Bad Request", "Login refused",
			"This answer does not belong to the login santecard-psc started.");
		psc_say("the redirect's state is not the one sent: login abandoned");
		rc = PSC_EXIT_ERROR;
	} else if (iss && strcmp(iss, issuer) != 0) {
		/* RFC 9207: the answer comes from another provider (mix-up) */
		respond(fd, 400, "Bad Request", "Login refused",
			"This answer comes from another provider.");
		psc_say("the redirect's iss (%s) is not the issuer: login abandoned", iss);
		rc = PSC_EXIT_ERROR;
	} else if (err) {
		respond(fd, 200, "OK", "Login failed", "Pro Sant&eacute; Connect did not log you "
			"in. You can close this window.");
		psc_say("the provider answered %s%s%s", err, desc ? ": " : "", desc ? desc : "");
		rc = !strcmp(err, "access_denied") ? PSC_EXIT_DENIED : PSC_EXIT_ERROR;
	} else {
		*code = psc_query_get(query, "code");
		if (!*code || !**code) {
			free(*code);
			*code = NULL;
			respond(fd, 400, "Bad Request", "Login failed", "No authorization code.");
			psc_say("the redirect carries no code");
			rc = PSC_EXIT_ERROR;
		} else {
			respond(fd, 200, "OK", "Logged in", "santecard-psc has your login. You can "
				"close this window.");
			rc = 0;
		}
	}
	free(got_state);
	free(err);
	free(desc);
	free(iss);
	memset(buf, 0, sizeof(buf));
	return rc;
}

int psc_loopback_wait(struct psc_loopback *lb, const char *state, const char *issuer,
		      long timeout_s, char **code)
{
	time_t end = time(NULL) + timeout_s;

	*code = NULL;
	for (;;) {
		struct pollfd p = { .fd = lb->fd, .events = POLLIN };
		long left = (long)(end - time(NULL));
		int fd, rc;

		if (left <= 0) {
			psc_say("no answer from the browser within %ld s", timeout_s);
			return PSC_EXIT_EXPIRED;
		}
		if (poll(&p, 1, (int)(left > 1000000 ? 1000000000 : left * 1000)) <= 0)
			continue;
		fd = accept4(lb->fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		rc = serve(fd, state, issuer, code);
		close(fd);
		if (rc >= 0)
			return rc;
	}
}
