/*
 * net.c - requests to the provider: the structure's TLS client certificate on
 * every request when configured (tls_client_auth at the token endpoint, and the
 * certificate-bound access token at userinfo), or the client secret as HTTP
 * Basic (RFC 6749 2.3.1: both parts form-encoded first); answers parsed as
 * JSON when they are JSON. Plus small helpers the flows share.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/rand.h>

#include "jose.h"
#include "psc.h"

long long psc_now(void)
{
	return (long long)time(NULL);
}

void psc_say(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "santecard-psc: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

char *psc_random_b64url(size_t n)
{
	uint8_t buf[64];
	char *s;

	if (n > sizeof(buf) || RAND_bytes(buf, (int)n) != 1)
		return NULL;
	s = b64url_encode(buf, n);
	memset(buf, 0, sizeof(buf));
	return s;
}

/* "Authorization: Basic base64(urlenc(id):urlenc(secret))"; malloc()ed. */
static char *basic_header(const char *id, const char *secret)
{
	char *eid = http_escape(id), *esec = http_escape(secret), *pair = NULL, *b64 = NULL,
	     *hdr = NULL;

	if (eid && esec && asprintf(&pair, "%s:%s", eid, esec) >= 0) {
		b64 = b64_encode((const uint8_t *)pair, strlen(pair));
		if (b64 && asprintf(&hdr, "Authorization: Basic %s", b64) < 0)
			hdr = NULL;
	}
	if (pair) {
		memset(pair, 0, strlen(pair));
		free(pair);
	}
	if (b64) {
		memset(b64, 0, strlen(b64));
		free(b64);
	}
	if (esec) {
		memset(esec, 0, strlen(esec));
		free(esec);
	}
	free(eid);
	return hdr;
}

static void wipe_free(char *s)
{
	if (s) {
		memset(s, 0, strlen(s));
		free(s);
	}
}

int psc_request(const struct psc_conf *c, const struct http_tls *tls, const char *url,
		const char *const *form, int client_auth, const char *bearer,
		struct psc_reply *r, char *err, size_t errlen)
{
	struct http_tls deftls = { .ca_file = c->ca };
	struct http_request req = { .url = url, .timeout_ms = 30000 };
	struct http_response resp = { 0 };
	const char *pairs[32];
	const char *headers[4];
	char *body = NULL, *auth = NULL, *bear = NULL;
	size_t np = 0, nh = 0;
	enum http_rv rv;
	json_error_t je;

	memset(r, 0, sizeof(*r));
	if (!tls) {
		if (c->client_cert) {
			deftls.auth = HTTP_AUTH_FILES;
			deftls.cert_file = c->client_cert;
			deftls.key_file = c->client_key;
		}
		tls = &deftls;
	}
	headers[nh++] = "Accept: application/json";
	if (form) {
		for (; form[np] && np + 2 < sizeof(pairs) / sizeof(pairs[0]) - 3; np += 2) {
			pairs[np] = form[np];
			pairs[np + 1] = form[np + 1];
		}
		/* tls_client_auth: the client says who it is in the body (RFC 8705 2) */
		if (client_auth && !c->client_secret) {
			pairs[np++] = "client_id";
			pairs[np++] = c->client_id;
		}
		pairs[np] = NULL;
		body = http_form(pairs);
		if (!body) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		req.method = "POST";
		req.content_type = "application/x-www-form-urlencoded";
		req.body = body;
		req.body_len = strlen(body);
	} else {
		req.method = "GET";
	}
	if (client_auth && c->client_secret) {
		auth = basic_header(c->client_id, c->client_secret);
		if (!auth) {
			wipe_free(body);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		headers[nh++] = auth;
	}
	if (bearer) {
		if (asprintf(&bear, "Authorization: Bearer %s", bearer) < 0) {
			wipe_free(body);
			wipe_free(auth);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		headers[nh++] = bear;
	}
	headers[nh] = NULL;
	req.headers = headers;
	rv = http_do(tls, &req, &resp, err, errlen);
	wipe_free(body);
	wipe_free(auth);
	wipe_free(bear);
	if (rv != HTTP_OK) {
		http_response_free(&resp);
		return -1;
	}
	r->status = resp.status;
	r->body = resp.body;
	resp.body = NULL;
	if (r->body && resp.content_type && strstr(resp.content_type, "json"))
		r->json = json_loads(r->body, 0, &je);
	http_response_free(&resp);
	return 0;
}

void psc_reply_free(struct psc_reply *r)
{
	json_decref(r->json);
	wipe_free(r->body);
	memset(r, 0, sizeof(*r));
}

const char *psc_reply_code(const struct psc_reply *r)
{
	const char *e = json_string_value(json_object_get(r->json, "error"));

	return e ? e : "";
}

const char *psc_reply_error(const struct psc_reply *r, char *buf, size_t len)
{
	const char *e = json_string_value(json_object_get(r->json, "error"));
	const char *d = json_string_value(json_object_get(r->json, "error_description"));

	if (e && d)
		snprintf(buf, len, "%s: %s (HTTP %ld)", e, d, r->status);
	else if (e)
		snprintf(buf, len, "%s (HTTP %ld)", e, r->status);
	else
		snprintf(buf, len, "HTTP %ld", r->status);
	return buf;
}
