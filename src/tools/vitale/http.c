/*
 * http.c - the request head parser of santecard-vitale serve. A pure function
 * over a bounded buffer (fuzzed by tests/fuzz/fuzz_vitale_http.c): only GET,
 * only HTTP/1.0 and 1.1, origin-form targets, header lines counted and bounded.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vitale.h"

#define MAX_HEADERS 64

/* End of the head (index just past the blank line), or 0 when not there yet.
 * Bare LF line ends are accepted as well as CRLF. */
static size_t head_end(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (i + 1 < len && buf[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* Next line of buf[*at..end) without its CR LF; NULL past the end. */
static const char *next_line(const char *buf, size_t end, size_t *at, size_t *len)
{
	const char *s = buf + *at, *nl;

	if (*at >= end)
		return NULL;
	nl = memchr(s, '\n', end - *at);
	if (!nl)
		return NULL;
	*len = (size_t)(nl - s);
	if (*len && s[*len - 1] == '\r')
		(*len)--;
	*at += (size_t)(nl - s) + 1;
	return s;
}

static enum http_parse request_line(const char *s, size_t n, struct http_req *r)
{
	const char *sp1, *sp2, *target, *q;
	size_t tlen, vlen;

	sp1 = memchr(s, ' ', n);
	if (!sp1)
		return HTTP_BAD;
	sp2 = memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - s));
	if (!sp2)
		return HTTP_BAD;
	target = sp1 + 1;
	tlen = (size_t)(sp2 - target);
	vlen = n - (size_t)(sp2 + 1 - s);
	if (vlen != 8 || (memcmp(sp2 + 1, "HTTP/1.1", 8) != 0 && memcmp(sp2 + 1, "HTTP/1.0", 8) != 0)) {
		if (vlen >= 5 && memcmp(sp2 + 1, "HTTP/", 5) == 0)
			return HTTP_BAD_VERSION;
		return HTTP_BAD;
	}
	for (const char *m = s; m < sp1; m++)
		if (*m < 'A' || *m > 'Z')
			return HTTP_BAD;
	if (sp1 - s != 3 || memcmp(s, "GET", 3) != 0)
		return HTTP_BAD_METHOD;
	if (tlen == 0 || target[0] != '/')
		return HTTP_BAD;
	q = memchr(target, '?', tlen);
	if (q)
		tlen = (size_t)(q - target);
	if (tlen >= sizeof(r->path))
		return HTTP_BAD;
	for (size_t i = 0; i < tlen; i++)
		if ((unsigned char)target[i] <= 0x20 || (unsigned char)target[i] >= 0x7F)
			return HTTP_BAD;
	memcpy(r->path, target, tlen);
	r->path[tlen] = '\0';
	return HTTP_OK;
}

enum http_parse http_parse_request(const char *buf, size_t len, size_t max, struct http_req *r)
{
	size_t end = head_end(buf, len), at = 0, n, count = 0;
	const char *line;
	enum http_parse p;

	memset(r, 0, sizeof(*r));
	if (!end)
		return len >= max ? HTTP_TOO_LARGE : HTTP_INCOMPLETE;
	if (end > max)
		return HTTP_TOO_LARGE;
	line = next_line(buf, end, &at, &n);
	if (!line || n == 0)
		return HTTP_BAD;
	if (memchr(line, '\0', n))
		return HTTP_BAD;
	p = request_line(line, n, r);
	if (p != HTTP_OK)
		return p;
	while ((line = next_line(buf, end, &at, &n)) != NULL && n > 0) {
		const char *colon = memchr(line, ':', n);
		size_t vlen;
		const char *v;

		if (++count > MAX_HEADERS)
			return HTTP_TOO_LARGE;
		if (!colon || colon == line || memchr(line, '\0', n))
			return HTTP_BAD;
		for (const char *c = line; c < colon; c++)
			if (*c == ' ' || *c == '\t')
				return HTTP_BAD;   /* no space before the colon (RFC 9112 5.1) */
		v = colon + 1;
		vlen = n - (size_t)(v - line);
		while (vlen && (*v == ' ' || *v == '\t')) {
			v++;
			vlen--;
		}
		while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
			vlen--;
		if ((size_t)(colon - line) == 4 && !strncasecmp(line, "host", 4)) {
			if (r->host[0] || vlen >= sizeof(r->host))
				return HTTP_BAD;   /* two Host headers, or an absurd one */
			memcpy(r->host, v, vlen);
			r->host[vlen] = '\0';
		}
	}
	return HTTP_OK;
}

int http_host_ok(const char *host, unsigned port, const char *allowed)
{
	static const char *const names[] = { "127.0.0.1", "localhost", "[::1]" };
	char want[160];

	if (allowed && *allowed && !strcasecmp(host, allowed))
		return 1;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(want, sizeof(want), "%s:%u", names[i], port);
		if (!strcasecmp(host, want))
			return 1;
		if (port == 80 && !strcasecmp(host, names[i]))
			return 1;
	}
	return 0;
}
