/*
 * service.h - the transport adapter of santecard-erx: the e-prescription
 * service's HTTP API (the contract in docs/ERX.md) over http.h. A real
 * téléservice would be another implementation of these few calls.
 */
#ifndef STC_ERX_SERVICE_H
#define STC_ERX_SERVICE_H

#include <stddef.h>
#include <jansson.h>

#include "http.h"

enum svc_result {
	SVC_DONE = 0,       /* 2xx */
	SVC_REFUSED,        /* 4xx: the service said no (err: its code and message) */
	SVC_TRANSIENT,      /* connection refused, timeout, 5xx: try again later */
	SVC_TLS,            /* TLS handshake failed (trust, our certificate) */
	SVC_CLIENT_KEY,     /* the card key could not be used for TLS */
	SVC_FAILED          /* anything else (bad URL, bad answer) */
};

struct svc {
	char base[1024];        /* e.g. https://127.0.0.1:8443/erx/v1, no trailing slash */
	struct http_tls tls;
	long timeout_ms;
};

struct svc_reply {
	long status;
	char code[64];          /* the error code of a 4xx/5xx ("" if none) */
	json_t *json;           /* the parsed body, NULL if none or not JSON */
	char *body;             /* raw body (malloc()ed), NUL-terminated */
	size_t len;
};

/* POST a signed bundle to "prescriptions" or "dispensations". */
enum svc_result svc_post_bundle(struct svc *s, const char *what, const char *body, size_t len,
				struct svc_reply *r, char *err, size_t errlen);
/* GET base + "/" + path. */
enum svc_result svc_get(struct svc *s, const char *path, struct svc_reply *r, char *err,
			size_t errlen);
void svc_reply_free(struct svc_reply *r);

#endif
