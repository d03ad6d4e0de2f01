/*
 * service.c - the e-prescription service's API over HTTPS (service.h). The
 * answers are sorted into what the caller acts on: done, refused (keep
 * nothing), transient (keep the bundle in the outbox), TLS trouble.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	hrv = http_do(&s->tls, &req, &resp, detail, sizeof(detail));
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
