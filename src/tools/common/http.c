/*
 * http.c - one HTTP(S) request with libcurl (OpenSSL backend), client
 * authentication from PEM files or from a card (p11card.c).
 *
 * The card's certificate and key are loaded before curl starts (a missing
 * object or a refused PIN is HTTP_ERR_CLIENT_KEY without any traffic) and put
 * into curl's SSL_CTX by CURLOPT_SSL_CTX_FUNCTION, rather than through curl's
 * own CURLOPT_SSLENGINE/"ENG" key loading: curl keeps CURLOPT_KEYPASSWD in a
 * strdup()ed string it frees without wiping, and with no password its UI
 * falls back to prompting on the terminal from inside the engine.
 */
#include "config.h"

#include "http.h"
#include "p11card.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#define DEFAULT_TIMEOUT_MS 30000L
#define DEFAULT_MAX_BODY (8u << 20)

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int http_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void http_global_cleanup(void)
{
	curl_global_cleanup();
}

const char *http_rv_text(enum http_rv rv)
{
	switch (rv) {
	case HTTP_OK: return "OK";
	case HTTP_ERR_USAGE: return "bad request arguments";
	case HTTP_ERR_CONNECT: return "cannot reach the server";
	case HTTP_ERR_TIMEOUT: return "no complete answer in time";
	case HTTP_ERR_TLS: return "TLS handshake failed";
	case HTTP_ERR_CLIENT_KEY: return "the client certificate or key cannot be used";
	case HTTP_ERR_TOO_BIG: return "the response is too big";
	case HTTP_ERR_OTHER: break;
	}
	return "HTTP error";
}

struct sink {
	char *p;
	size_t len, cap, max;
	int too_big;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
	struct sink *s = ud;
	size_t n = size * nmemb;

	if (n > s->max - s->len) {
		s->too_big = 1;
		return 0; /* CURLE_WRITE_ERROR */
	}
	if (s->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		char *np;

		while (cap < s->len + n + 1)
			cap *= 2;
		np = realloc(s->p, cap);
		if (!np)
			return 0;
		s->p = np;
		s->cap = cap;
	}
	memcpy(s->p + s->len, data, n);
	s->len += n;
	s->p[s->len] = '\0';
	return n;
}

struct ctx_data {
	struct p11card *card;         /* NULL: files or no client key */
	STACK_OF(X509) *chain;        /* intermediates to send, or NULL */
};

/* The card's certificate and key, and the intermediates, into the handshake
 * (curl's OpenSSL SSL_CTX; curl has set up its own certificate by then). */
static CURLcode on_ssl_ctx(CURL *h, void *sslctx, void *ud)
{
	SSL_CTX *ctx = sslctx;
	const struct ctx_data *d = ud;
	int i;

	(void)h;
	if (d->card) {
		if (SSL_CTX_use_certificate(ctx, d->card->cert) != 1 ||
		    SSL_CTX_use_PrivateKey(ctx, d->card->key) != 1 ||
		    SSL_CTX_check_private_key(ctx) != 1)
			return CURLE_SSL_CERTPROBLEM;
		/* the CPS3 signs RSA PKCS#1 v1.5 only: never offer to sign with PSS */
		if (SSL_CTX_set1_client_sigalgs_list(ctx, "RSA+SHA256:RSA+SHA384:RSA+SHA512") != 1)
			return CURLE_SSL_CERTPROBLEM;
	}
	for (i = 0; d->chain && i < sk_X509_num(d->chain); i++)
		if (SSL_CTX_add1_chain_cert(ctx, sk_X509_value(d->chain, i)) != 1)
			return CURLE_SSL_CERTPROBLEM;
	return CURLE_OK;
}

/* The certificates of a PEM file; NULL if none or unreadable. */
static STACK_OF(X509) *read_chain(const char *path)
{
	FILE *f = fopen(path, "r");
	STACK_OF(X509) *sk;
	X509 *x;

	if (!f)
		return NULL;
	sk = sk_X509_new_null();
	while (sk && (x = PEM_read_X509(f, NULL, NULL, NULL)))
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			break;
		}
	fclose(f);
	ERR_clear_error();
	if (sk && sk_X509_num(sk) == 0) {
		sk_X509_free(sk);
		sk = NULL;
	}
	return sk;
}

static enum http_rv map_curl(CURLcode c, int too_big)
{
	if (too_big)
		return HTTP_ERR_TOO_BIG;
	switch (c) {
	case CURLE_OK: return HTTP_OK;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return HTTP_ERR_USAGE;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return HTTP_ERR_CONNECT;
	case CURLE_OPERATION_TIMEDOUT:
		return HTTP_ERR_TIMEOUT;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CIPHER:
		return HTTP_ERR_TLS;
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_CERTPROBLEM:
		return HTTP_ERR_CLIENT_KEY;
	case CURLE_TOO_MANY_REDIRECTS:
	case CURLE_FILESIZE_EXCEEDED:
		return HTTP_ERR_TOO_BIG;
	default:
		return HTTP_ERR_OTHER;
	}
}

static int readable(const char *path)
{
	return path && *path && access(path, R_OK) == 0;
}

static char *dup_header(CURL *h, const char *name)
{
	struct curl_header *hd = NULL;

	if (curl_easy_header(h, name, 0, CURLH_HEADER, -1, &hd) != CURLHE_OK || !hd || !hd->value)
		return NULL;
	return strdup(hd->value);
}

/* A header line must stay one line: no CR or LF smuggled into the request. */
static int one_line(const char *s)
{
	return s && !strpbrk(s, "\r\n");
}

static int add_header(struct curl_slist **l, const char *line)
{
	struct curl_slist *n = curl_slist_append(*l, line);

	if (!n)
		return -1;
	*l = n;
	return 0;
}

enum http_rv http_do(const struct http_tls *tls, const struct http_request *req,
		     struct http_response *out, char *err, size_t errlen)
{
	static const struct http_tls no_tls = {0};
	char cerr[CURL_ERROR_SIZE] = "";
	struct sink sink = {0};
	struct curl_slist *hdrs = NULL;
	struct p11card card = {0};
	struct ctx_data cd = {0};
	int have_card = 0;
	enum http_rv rv = HTTP_ERR_OTHER;
	CURL *h = NULL;
	CURLcode c;
	const char *ct = NULL;
	long ver;

	if (err && errlen)
		*err = '\0';
	if (out) /* the caller may free it whatever happens */
		memset(out, 0, sizeof(*out));
	if (!out || !req || !req->url || !req->method || !*req->method ||
	    (req->body_len && !req->body)) {
		set_err(err, errlen, "HTTP: bad arguments");
		return HTTP_ERR_USAGE;
	}
	if ((req->content_type && !one_line(req->content_type)) || !one_line(req->method)) {
		set_err(err, errlen, "HTTP: a line break in the method or content type");
		return HTTP_ERR_USAGE;
	}
	for (const char *const *p = req->headers; p && *p; p++)
		if (!one_line(*p) || !strchr(*p, ':')) {
			set_err(err, errlen, "HTTP: bad header line (\"Name: value\", one line)");
			return HTTP_ERR_USAGE;
		}
	if (!tls)
		tls = &no_tls;
	/* before the card: no login for a request that cannot be made */
	if (tls->client_chain && tls->auth != HTTP_AUTH_NONE) {
		cd.chain = read_chain(tls->client_chain);
		if (!cd.chain) {
			set_err(err, errlen, "client chain %s: no PEM certificate", tls->client_chain);
			return HTTP_ERR_CLIENT_KEY;
		}
	}
	if (tls->auth == HTTP_AUTH_FILES) {
		if (!readable(tls->cert_file) || !readable(tls->key_file)) {
			set_err(err, errlen, "client certificate %s or key %s: %s",
				tls->cert_file ? tls->cert_file : "(none)",
				tls->key_file ? tls->key_file : "(none)",
				"not readable");
			rv = HTTP_ERR_CLIENT_KEY;
			goto out;
		}
	} else if (tls->auth == HTTP_AUTH_CARD) {
		if (!tls->p11_cert_uri || !tls->p11_key_uri) {
			set_err(err, errlen, "card authentication needs the certificate and key URIs");
			rv = HTTP_ERR_USAGE;
			goto out;
		}
		if (p11card_open(&card, tls->p11_module, tls->p11_cert_uri, tls->p11_key_uri,
				 tls->pin, err, errlen)) {
			rv = HTTP_ERR_CLIENT_KEY;
			goto out;
		}
		have_card = 1;
	} else if (tls->auth != HTTP_AUTH_NONE) {
		set_err(err, errlen, "HTTP: unknown client authentication %d", (int)tls->auth);
		rv = HTTP_ERR_USAGE;
		goto out;
	}

	h = curl_easy_init();
	if (!h) {
		set_err(err, errlen, "HTTP: curl_easy_init failed");
		goto out;
	}
	sink.max = req->max_body ? req->max_body : DEFAULT_MAX_BODY;
	ver = CURL_SSLVERSION_TLSv1_2;
	if (tls->tls12_only)
		ver |= CURL_SSLVERSION_MAX_TLSv1_2;
	if (curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr) ||
	    curl_easy_setopt(h, CURLOPT_URL, req->url) ||
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http") ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
			     req->timeout_ms > 0 ? req->timeout_ms : DEFAULT_TIMEOUT_MS) ||
	    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body) ||
	    curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink) ||
	    curl_easy_setopt(h, CURLOPT_SSLVERSION, ver) ||
	    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) ||
	    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) ||
	    curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L)) {
		set_err(err, errlen, "HTTP: curl refused an option (%s)", cerr);
		rv = HTTP_ERR_USAGE;
		goto out;
	}
	if (tls->ca_file) {
		/* only these anchors: no system directory besides */
		if (!readable(tls->ca_file)) {
			set_err(err, errlen, "CA file %s: not readable", tls->ca_file);
			rv = HTTP_ERR_USAGE;
			goto out;
		}
		curl_easy_setopt(h, CURLOPT_CAINFO, tls->ca_file);
		curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
	}
	if (tls->auth == HTTP_AUTH_FILES) {
		curl_easy_setopt(h, CURLOPT_SSLCERT, tls->cert_file);
		curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
		curl_easy_setopt(h, CURLOPT_SSLKEY, tls->key_file);
		curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
	}
	if (have_card || cd.chain) {
		cd.card = have_card ? &card : NULL;
		if (curl_easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx) ||
		    curl_easy_setopt(h, CURLOPT_SSL_CTX_DATA, &cd)) {
			set_err(err, errlen, "HTTP: this libcurl cannot take a card key "
				"(not built with OpenSSL)");
			rv = HTTP_ERR_CLIENT_KEY;
			goto out;
		}
	}
	/* no "Expect: 100-continue" round trip */
	if (add_header(&hdrs, "Expect:"))
		goto oom;
	if (req->content_type) {
		char line[256];

		if ((size_t)snprintf(line, sizeof(line), "Content-Type: %s", req->content_type) >=
		    sizeof(line)) {
			set_err(err, errlen, "HTTP: content type too long");
			rv = HTTP_ERR_USAGE;
			goto out;
		}
		if (add_header(&hdrs, line))
			goto oom;
	}
	for (const char *const *p = req->headers; p && *p; p++)
		if (add_header(&hdrs, *p))
			goto oom;
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	if (!strcmp(req->method, "GET") && !req->content_type) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	} else if (!strcmp(req->method, "HEAD")) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else {
		if (req->content_type || req->body_len) {
			curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body_len ? req->body : "");
			curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		}
		if (strcmp(req->method, "POST") != 0)
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	}

	c = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
	rv = map_curl(c, sink.too_big);
	if (rv != HTTP_OK) {
		if (rv == HTTP_ERR_TOO_BIG)
			set_err(err, errlen, "response body over %zu bytes", sink.max);
		else
			set_err(err, errlen, "%s", *cerr ? cerr : curl_easy_strerror(c));
		goto out;
	}
	out->body = sink.p ? sink.p : strdup("");
	sink.p = NULL;
	if (!out->body)
		goto oom;
	out->len = sink.len;
	if (curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct) {
		out->content_type = strdup(ct);
		if (!out->content_type)
			goto oom;
	}
	out->location = dup_header(h, "Location");
	goto out;
oom:
	set_err(err, errlen, "HTTP: out of memory");
	rv = HTTP_ERR_OTHER;
out:
	if (rv != HTTP_OK) {
		long status = out->status;

		http_response_free(out);
		out->status = status;
	}
	free(sink.p);
	curl_slist_free_all(hdrs);
	if (h)
		curl_easy_cleanup(h);
	if (have_card)
		p11card_close(&card);
	sk_X509_pop_free(cd.chain, X509_free);
	ERR_clear_error();
	return rv;
}

void http_response_free(struct http_response *r)
{
	if (!r)
		return;
	free(r->body);
	free(r->content_type);
	free(r->location);
	memset(r, 0, sizeof(*r));
}

/* RFC 3986 unreserved stays, everything else %XX (form values: also ' ' as %20,
 * which every form decoder reads). */
char *http_escape(const char *s)
{
	static const char hexd[] = "0123456789ABCDEF";
	size_t n, i, o = 0;
	char *out;

	if (!s)
		return NULL;
	n = strlen(s);
	if (n > (SIZE_MAX - 1) / 3)
		return NULL;
	out = malloc(3 * n + 1);
	if (!out)
		return NULL;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    ch == '-' || ch == '.' || ch == '_' || ch == '~') {
			out[o++] = (char)ch;
		} else {
			out[o++] = '%';
			out[o++] = hexd[ch >> 4];
			out[o++] = hexd[ch & 15];
		}
	}
	out[o] = '\0';
	return out;
}

char *http_form(const char *const *pairs)
{
	size_t len = 0, cap = 256;
	char *out = malloc(cap);

	if (!out || !pairs) {
		free(out);
		return NULL;
	}
	out[0] = '\0';
	for (; pairs[0]; pairs += 2) {
		char *k = http_escape(pairs[0]);
		char *v = http_escape(pairs[1] ? pairs[1] : "");
		size_t need;

		if (!k || !v) {
			free(k);
			free(v);
			free(out);
			return NULL;
		}
		need = len + strlen(k) + strlen(v) + 3;
		if (need > cap) {
			char *np;

			while (cap < need)
				cap *= 2;
			np = realloc(out, cap);
			if (!np) {
				free(k);
				free(v);
				free(out);
				return NULL;
			}
			out = np;
		}
		len += (size_t)snprintf(out + len, cap - len, "%s%s=%s", len ? "&" : "", k, v);
		free(k);
		free(v);
		if (!pairs[1])
			break;
	}
	return out;
}

int http_card_auth_uris(const char *token_serial, const char *token_label, char **cert_uri,
			char **key_uri)
{
	if (!cert_uri || !key_uri)
		return -1;
	return p11card_cps_auth_uris(token_serial, token_label, cert_uri, key_uri);
}

const char *http_card_module(const char *p11_module)
{
	return p11card_module_path(p11_module);
}
