/*
 * service.c - the e-prescription service's API over HTTPS (service.h). The
 * answers are sorted into what the caller acts on: done, refused (keep
 * nothing), transient (keep the bundle in the outbox), TLS trouble.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "erx.h"
#include "service.h"

static enum svc_result classify(enum http_rv hrv, struct http_response *resp,
				struct svc_reply *r, char *err, size_t errlen, const char *detail)
{
	switch (hrv) {
	case HTTP_OK:
		break;
	case HTTP_ERR_CONNECT:
		snprintf(err, errlen, "the service is unreachable: %s", detail);
		return SVC_TRANSIENT;
	case HTTP_ERR_TIMEOUT:
		snprintf(err, errlen, "the service did not answer in time: %s", detail);
		return SVC_TRANSIENT;
	case HTTP_ERR_TLS:
		snprintf(err, errlen, "TLS with the service failed: %s", detail);
		return SVC_TLS;
	case HTTP_ERR_CLIENT_KEY:
		snprintf(err, errlen, "the CPS authentication key could not be used for TLS: %s",
			 detail);
		return SVC_CLIENT_KEY;
	default:
		snprintf(err, errlen, "%s: %s", http_rv_text(hrv), detail);
		return SVC_FAILED;
	}
	r->status = resp->status;
	r->body = resp->body;
	r->len = resp->len;
	resp->body = NULL;
	if (r->body && r->len) {
		char perr[200];

		r->json = erx_json_parse(r->body, r->len, perr, sizeof(perr));
	}
	if (r->status >= 200 && r->status < 300)
		return SVC_DONE;
	{
		const char *code = json_string_value(json_object_get(r->json, "error"));
		const char *msg = json_string_value(json_object_get(r->json, "message"));

		snprintf(r->code, sizeof(r->code), "%s", code ? code : "");
		snprintf(err, errlen, "the service answered %ld%s%s%s%s", r->status,
			 code ? " " : "", code ? code : "", msg ? ": " : "", msg ? msg : "");
	}
	return r->status >= 500 ? SVC_TRANSIENT : r->status >= 400 ? SVC_REFUSED : SVC_FAILED;
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static int read_all(int fd, void *p, size_t n)
{
	char *c = p;

	while (n) {
		ssize_t r = read(fd, c, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

/* What the child sends back: the result, then the detail and the body. */
struct wire {
	int hrv;
	long status;
	size_t detail_len, body_len;
};

/*
 * http_do() in a child process. libstcsvc's card TLS loads libp11's engine
 * for each request, and after a key was used through it a second load in the
 * same process fails ("dynamic_load: init failed"), so every request after
 * the first would fail. A child per request gives each its own engine and
 * module (one more PIN login per request, which the module does with the PIN
 * already verified). The PIN is only in the child's copy of our memory, which
 * ends with it.
 */
static enum http_rv do_in_child(const struct http_tls *tls, const struct http_request *req,
				struct http_response *out, char *detail, size_t dlen)
{
	struct wire w;
	int fds[2], st;
	pid_t pid;

	memset(out, 0, sizeof(*out));
	if (pipe(fds) != 0) {
		snprintf(detail, dlen, "pipe: %s", strerror(errno));
		return HTTP_ERR_OTHER;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		snprintf(detail, dlen, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return HTTP_ERR_OTHER;
	}
	if (pid == 0) {
		struct http_response r;

		close(fds[0]);
		memset(&r, 0, sizeof(r));
		memset(&w, 0, sizeof(w));
		w.hrv = (int)http_do(tls, req, &r, detail, dlen);
		w.status = r.status;
		w.detail_len = strnlen(detail, dlen);
		w.body_len = r.body ? r.len : 0;
		if (write_all(fds[1], &w, sizeof(w)) || write_all(fds[1], detail, w.detail_len) ||
		    (w.body_len && write_all(fds[1], r.body, w.body_len)))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	if (read_all(fds[0], &w, sizeof(w)) || w.detail_len >= dlen ||
	    w.body_len > ((size_t)64 << 20)) {
		snprintf(detail, dlen, "the HTTPS request ended abnormally");
		w.hrv = HTTP_ERR_OTHER;
		goto out;
	}
	if (read_all(fds[0], detail, w.detail_len)) {
		snprintf(detail, dlen, "the HTTPS request ended abnormally");
		w.hrv = HTTP_ERR_OTHER;
		goto out;
	}
	detail[w.detail_len] = '\0';
	if (w.hrv == HTTP_OK) {
		out->status = w.status;
		out->body = malloc(w.body_len + 1);
		if (!out->body || (w.body_len && read_all(fds[0], out->body, w.body_len))) {
			free(out->body);
			out->body = NULL;
			snprintf(detail, dlen, "the HTTPS request ended abnormally");
			w.hrv = HTTP_ERR_OTHER;
			goto out;
		}
		out->body[w.body_len] = '\0';
		out->len = w.body_len;
	}
out:
	close(fds[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return (enum http_rv)w.hrv;
}

static enum svc_result request(struct svc *s, const char *method, const char *path,
			       const char *body, size_t len, struct svc_reply *r, char *err,
			       size_t errlen)
{
	static const char *const headers[] = { "Accept: application/json, application/fhir+json",
					       NULL };
	struct http_request req;
	struct http_response resp;
	char url[2048], detail[512] = "";
	enum http_rv hrv;
	enum svc_result res;

	memset(r, 0, sizeof(*r));
	memset(&resp, 0, sizeof(resp));
	snprintf(url, sizeof(url), "%s/%s", s->base, path);
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.url = url;
	req.content_type = body ? "application/fhir+json" : NULL;
	req.body = body;
	req.body_len = len;
	req.headers = headers;
	req.timeout_ms = s->timeout_ms;
	hrv = do_in_child(&s->tls, &req, &resp, detail, sizeof(detail));
	res = classify(hrv, &resp, r, err, errlen, detail[0] ? detail : http_rv_text(hrv));
	http_response_free(&resp);
	return res;
}

enum svc_result svc_post_bundle(struct svc *s, const char *what, const char *body, size_t len,
				struct svc_reply *r, char *err, size_t errlen)
{
	return request(s, "POST", what, body, len, r, err, errlen);
}

enum svc_result svc_get(struct svc *s, const char *path, struct svc_reply *r, char *err,
			size_t errlen)
{
	return request(s, "GET", path, NULL, 0, r, err, errlen);
}

void svc_reply_free(struct svc_reply *r)
{
	json_decref(r->json);
	free(r->body);
	memset(r, 0, sizeof(*r));
}
