/*
 * http.h - HTTPS requests for the service front-ends (santecard-erx, santecard-psc),
 * over libcurl with OpenSSL.
 *
 * TLS client authentication comes from files (a structure certificate) or from
 * a CPS card: then OpenSSL's pkcs11 engine (libp11) loads our PKCS#11 module in
 * this process and the private key never leaves the card. The engine is set up
 * here, by code, with MODULE_PATH pointing at the module, so nothing depends on
 * the user's openssl.cnf or on OPENSSL_CONF. It lives for one http_do() call:
 * freeing it is the only way to make libp11 wipe the PIN it caches, and it ends
 * the card login (see p11card.c).
 *
 * Errors are returned (enum http_rv) with a one-line message in err; nothing is
 * printed, and no PIN is ever copied into a message or a log.
 */
#ifndef STC_TOOLS_HTTP_H
#define STC_TOOLS_HTTP_H

#include <stddef.h>

enum http_rv {
	HTTP_OK = 0,          /* a response arrived (any status: look at .status) */
	HTTP_ERR_USAGE,       /* bad arguments (URL, options) */
	HTTP_ERR_CONNECT,     /* could not reach the server (refused, no route, DNS):
	                         transient, the request was not delivered */
	HTTP_ERR_TIMEOUT,     /* no complete answer in time: delivery unknown */
	HTTP_ERR_TLS,         /* handshake failed: server not trusted, name mismatch,
	                         our certificate refused */
	HTTP_ERR_CLIENT_KEY,  /* the client certificate or key could not be used:
	                         missing file, engine/module not loadable, object not
	                         on the card, card login refused */
	HTTP_ERR_TOO_BIG,     /* the response exceeded max_body */
	HTTP_ERR_OTHER
};

/* Where the client key is. */
enum http_client_auth {
	HTTP_AUTH_NONE = 0,
	HTTP_AUTH_FILES,      /* cert_file + key_file (PEM) */
	HTTP_AUTH_CARD        /* PKCS#11 URIs through our module */
};

struct http_tls {
	const char *ca_file;          /* trust anchors (PEM) for the server; NULL: system store */
	enum http_client_auth auth;
	/* HTTP_AUTH_FILES */
	const char *cert_file, *key_file;
	/* HTTP_AUTH_CARD */
	const char *p11_module;       /* NULL: SANTECARD_PKCS11_MODULE from the environment,
	                                 else the installed santecard-pkcs11.so */
	const char *p11_cert_uri;     /* e.g. "pkcs11:token=...;object=...;type=cert" */
	const char *p11_key_uri;      /* e.g. "pkcs11:token=...;object=...;type=private" */
	const char *pin;              /* NUL-terminated; NULL: keypad or no login needed.
	                                 Not copied: the caller wipes it after the call.
	                                 On a keypad reader it is not used: the PIN is
	                                 typed on the reader. The login ends with the
	                                 call (the card is reset, its PIN no longer
	                                 verified), see p11card.c. */
	int tls12_only;               /* 1: cap at TLS 1.2 (the CPS3 has no RSA-PSS) */
	const char *client_chain;     /* PEM intermediates sent after our certificate
	                                 (card or files), for a server that trusts
	                                 only the root; NULL: the certificate alone */
};

struct http_request {
	const char *method;           /* "GET", "POST", "DELETE" ... */
	const char *url;
	const char *content_type;     /* NULL: no body */
	const void *body;
	size_t body_len;
	const char *const *headers;   /* extra "Name: value" lines, NULL-terminated; may be NULL */
	long timeout_ms;              /* whole request; 0: 30 s */
	size_t max_body;              /* 0: 8 MiB */
};

struct http_response {
	long status;                  /* HTTP status, 0 when none arrived */
	char *body;                   /* NUL-terminated (the NUL is not counted in len) */
	size_t len;
	char *content_type;           /* NULL when the server sent none */
	char *location;               /* Location header or NULL */
};

/* Once per process, before any thread starts (curl_global_init). 0 or -1. */
int http_global_init(void);
void http_global_cleanup(void);

enum http_rv http_do(const struct http_tls *tls, const struct http_request *req,
		     struct http_response *out, char *err, size_t errlen);
void http_response_free(struct http_response *r);

/* application/x-www-form-urlencoded body from name/value pairs (NULL-terminated
 * list: n1, v1, n2, v2, ..., NULL). malloc()ed; NULL on allocation failure. */
char *http_form(const char *const *pairs);

/* Percent-encode s for a query or form value. malloc()ed. */
char *http_escape(const char *s);

/* The message for an enum value (without the detail put into err). */
const char *http_rv_text(enum http_rv rv);

/*
 * The pkcs11: URIs (RFC 7512, percent-encoded) of a contact CPS's
 * authentication certificate and private key in our module, for
 * http_tls.p11_cert_uri / p11_key_uri. The token is named by its serial and/or
 * label as stc_token_get_info() gives them (either may be NULL or ""; both
 * absent: the first card with such objects). The serial is cut to its last 16
 * characters and the label to 32 bytes, as the module does in CK_TOKEN_INFO.
 * Both malloc()ed; 0, or -1 on allocation failure.
 */
int http_card_auth_uris(const char *token_serial, const char *token_label,
			char **cert_uri, char **key_uri);

/* The PKCS#11 module HTTP_AUTH_CARD loads for this p11_module value (NULL:
 * SANTECARD_PKCS11_MODULE, else the installed santecard-pkcs11.so). */
const char *http_card_module(const char *p11_module);

#endif
