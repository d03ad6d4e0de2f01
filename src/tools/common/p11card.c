/*
 * p11card.c - the client certificate and key of a card, through OpenSSL's
 * pkcs11 engine (libp11) loading our PKCS#11 module, and the pkcs11: URIs
 * (RFC 7512) of a CPS's authentication objects.
 *
 * The ENGINE interface is deprecated in OpenSSL 3 but libp11's engine is what
 * Debian 12 ships (pkcs11-provider is only in backports), hence the one
 * OPENSSL_SUPPRESS_DEPRECATED of the tree, confined to this file.
 *
 * Lifetime: the engine is loaded from its shared object (the "dynamic"
 * engine: SO_PATH, ID, LOAD, then MODULE_PATH), with nothing read from
 * openssl.cnf, for one request, and freed after it. Why not once per process:
 * libp11 caches the PIN after a successful login (engine ctx->pin, and a copy
 * in its slot for re-logins) and offers no way to drop it but destroying the
 * engine; it also keeps the PKCS#11 session logged in while the module is
 * loaded. Freeing the engine wipes both copies (OPENSSL_cleanse), and
 * C_Finalize ends the session (our module then resets the card: the PIN is no
 * longer verified, for any other connection to the card either), so nothing of
 * the PIN and no open login outlive http_do(); test_http_card.sh scans the
 * process's memory after the request to check it. The cost is the module's
 * start (readers, card objects) per request that uses the card.
 *
 * The PIN reaches libp11 through an OpenSSL UI method whose reader hands it
 * the caller's string (UI_set_result copies it into libp11's buffer); we make
 * no copy. NULL PIN: the reader refuses (no terminal prompt from inside the
 * engine), and on a keypad reader (CKF_PROTECTED_AUTHENTICATION_PATH) libp11
 * never asks: it calls C_Login with a NULL PIN and the reader takes it.
 */
#include "config.h"

#define OPENSSL_SUPPRESS_DEPRECATED
#include "p11card.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/ui.h>

#ifndef SANTECARD_PKCS11_DEFAULT
#define SANTECARD_PKCS11_DEFAULT "/usr/lib/x86_64-linux-gnu/pkcs11/santecard-pkcs11.so"
#endif
#define ENGINE_SO "pkcs11.so"

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Why the engine failed: the first error queued is the cause (libp11's
 * "PIN incorrect", "PIN locked", "object not found" ...), the last one only
 * OpenSSL's "failed loading private key". */
static const char *first_reason(const char *fallback)
{
	unsigned long e = ERR_peek_error();
	const char *r;

	if (!e)
		return fallback;
	if (ERR_GET_LIB(e) == ERR_LIB_UI) /* libp11 takes 4 to 32 characters */
		return "the PIN is not 4 to 32 characters long";
	r = ERR_reason_error_string(e);
	return r ? r : fallback;
}

const char *p11card_module_path(const char *explicit_path)
{
	const char *env;

	if (explicit_path && *explicit_path)
		return explicit_path;
	env = getenv("SANTECARD_PKCS11_MODULE");
	if (env && *env)
		return env;
	return SANTECARD_PKCS11_DEFAULT;
}

/* The engines directory: OPENSSL_ENGINES, else OpenSSL's ENGINESDIR, which
 * OpenSSL_version() gives as ENGINESDIR: "/usr/lib/.../engines-3". */
static int engine_so_path(char *out, size_t outlen)
{
	const char *env = getenv("OPENSSL_ENGINES"), *v, *q1, *q2;

	if (env && *env)
		return (size_t)snprintf(out, outlen, "%s/%s", env, ENGINE_SO) < outlen ? 0 : -1;
	v = OpenSSL_version(OPENSSL_ENGINES_DIR);
	q1 = v ? strchr(v, '"') : NULL;
	q2 = q1 ? strchr(q1 + 1, '"') : NULL;
	if (!q2)
		return -1;
	return (size_t)snprintf(out, outlen, "%.*s/%s", (int)(q2 - q1 - 1), q1 + 1, ENGINE_SO) <
			       outlen ? 0 : -1;
}

/* The UI reader: the caller's PIN for a password prompt, nothing else. */
static int ui_read(UI *ui, UI_STRING *uis)
{
	const char *pin = UI_get0_user_data(ui);

	switch (UI_get_string_type(uis)) {
	case UIT_PROMPT:
	case UIT_VERIFY:
		if (!pin)
			return 0; /* no PIN and no keypad: fail, never prompt */
		return UI_set_result(ui, uis, pin) == 0 ? 1 : 0;
	default:
		return 1; /* informational strings: nothing to show */
	}
}

static int ui_write(UI *ui, UI_STRING *uis)
{
	(void)ui;
	(void)uis;
	return 1;
}

void p11card_close(struct p11card *c)
{
	if (!c)
		return;
	X509_free(c->cert);
	/* libp11 keeps the key it returned (cached in its slot's key list) and
	 * the key holds a functional reference to the engine (its pmeth_engine):
	 * a cycle that would keep the engine, the module, the login and the
	 * PIN alive. Dropping the key's engine reference breaks it. */
	if (c->key)
		EVP_PKEY_set1_engine(c->key, NULL);
	EVP_PKEY_free(c->key);
	c->cert = NULL;
	c->key = NULL;
	/* the last references: libp11's finish (C_Finalize, session and login
	 * gone) then destroy (its PIN copies cleansed) */
	if (c->engine) {
		ENGINE_finish(c->engine);
		ENGINE_free(c->engine);
		c->engine = NULL;
	}
	if (c->ui) {
		UI_destroy_method(c->ui);
		c->ui = NULL;
	}
	ERR_clear_error();
}

int p11card_open(struct p11card *c, const char *module, const char *cert_uri,
		 const char *key_uri, const char *pin, char *err, size_t errlen)
{
	char so[1024];
	ENGINE *e;
	struct {
		const char *id;
		X509 *cert;
	} parms = {cert_uri, NULL};

	memset(c, 0, sizeof(*c));
	if (!cert_uri || !key_uri || strncmp(cert_uri, "pkcs11:", 7) != 0 ||
	    strncmp(key_uri, "pkcs11:", 7) != 0) {
		set_err(err, errlen, "card: the certificate and key must be pkcs11: URIs");
		return -1;
	}
	module = p11card_module_path(module);
	if (engine_so_path(so, sizeof(so))) {
		set_err(err, errlen, "card: cannot find OpenSSL's engines directory");
		return -1;
	}
	/* libp11 allocates its RSA/EC/EVP_PKEY method tables once, in static
	 * variables: if its code were unloaded with each engine, every request
	 * would leak them. RTLD_NODELETE keeps it mapped for the process (the
	 * engine objects, with the PIN, are still freed after each request). */
	if (!dlopen(so, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE)) {
		set_err(err, errlen, "card: cannot load the pkcs11 engine %s "
			"(libengine-pkcs11-openssl)", so);
		return -1;
	}
	e = ENGINE_by_id("dynamic");
	if (!e) {
		set_err(err, errlen, "card: OpenSSL has no dynamic engine");
		return -1;
	}
	if (!ENGINE_ctrl_cmd_string(e, "SO_PATH", so, 0) ||
	    !ENGINE_ctrl_cmd_string(e, "ID", "pkcs11", 0) ||
	    !ENGINE_ctrl_cmd_string(e, "LIST_ADD", "0", 0) ||
	    !ENGINE_ctrl_cmd_string(e, "LOAD", NULL, 0)) {
		ENGINE_free(e);
		set_err(err, errlen, "card: cannot load the pkcs11 engine %s "
			"(libengine-pkcs11-openssl)", so);
		ERR_clear_error();
		return -1;
	}
	/* the engine reports to stderr unless told to be quiet; our errors go to err */
	ENGINE_ctrl_cmd_string(e, "QUIET", NULL, 1);
	if (!ENGINE_ctrl_cmd_string(e, "MODULE_PATH", module, 0) || !ENGINE_init(e)) {
		ENGINE_free(e);
		set_err(err, errlen, "card: the pkcs11 engine refused the module %s", module);
		ERR_clear_error();
		return -1;
	}
	c->engine = e;
	c->ui = UI_create_method("santecard card PIN");
	if (!c->ui || UI_method_set_reader(c->ui, ui_read) || UI_method_set_writer(c->ui, ui_write)) {
		set_err(err, errlen, "card: out of memory");
		goto fail;
	}
	ERR_clear_error();
	if (!ENGINE_ctrl_cmd(e, "LOAD_CERT_CTRL", 0, &parms, NULL, 0) || !parms.cert) {
		set_err(err, errlen, "card: certificate %s: %s", cert_uri,
			first_reason("not found (module not loadable, no card, or no such object)"));
		goto fail;
	}
	c->cert = parms.cert;
	ERR_clear_error();
	/* the login happens here, once: libp11 looks for the key without login
	 * first (our module shows private keys only after C_Login), then logs in
	 * with the PIN our UI gives; a refused PIN is not tried again */
	c->key = ENGINE_load_private_key(e, key_uri, c->ui, (void *)pin);
	if (!c->key) {
		set_err(err, errlen, "card: private key %s: %s", key_uri,
			first_reason("not found or login refused"));
		goto fail;
	}
	if (X509_check_private_key(c->cert, c->key) != 1) {
		set_err(err, errlen, "card: the key %s does not match the certificate %s", key_uri,
			cert_uri);
		goto fail;
	}
	ERR_clear_error();
	return 0;
fail:
	p11card_close(c);
	return -1;
}

/* RFC 7512 attribute value: everything but RFC 3986's unreserved characters
 * percent-encoded (more than the minimum, which any parser accepts). */
static int put_pct(char **p, size_t *left, const char *s, size_t n)
{
	static const char hexd[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		int plain = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
			    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' || ch == '~';

		if (*left < 4)
			return -1;
		if (plain) {
			*(*p)++ = (char)ch;
			(*left)--;
		} else {
			*(*p)++ = '%';
			*(*p)++ = hexd[ch >> 4];
			*(*p)++ = hexd[ch & 15];
			*left -= 3;
		}
	}
	**p = '\0';
	return 0;
}

static char *make_uri(const char *serial, size_t slen, const char *label, size_t llen,
		      const char *object, const char *type)
{
	size_t cap = 64 + 3 * (slen + llen + strlen(object)) + strlen(type), left;
	char *uri = malloc(cap), *p;

	if (!uri)
		return NULL;
	p = uri;
	left = cap;
	p += snprintf(p, left, "pkcs11:");
	left = cap - (size_t)(p - uri);
	if (llen) {
		p += snprintf(p, left, "token=");
		left -= 6;
		if (put_pct(&p, &left, label, llen))
			goto fail;
		*p++ = ';';
		left--;
	}
	if (slen) {
		p += snprintf(p, left, "serial=");
		left -= 7;
		if (put_pct(&p, &left, serial, slen))
			goto fail;
		*p++ = ';';
		left--;
	}
	p += snprintf(p, left, "object=");
	left -= 7;
	if (put_pct(&p, &left, object, strlen(object)))
		goto fail;
	if ((size_t)snprintf(p, left, ";type=%s", type) >= left)
		goto fail;
	return uri;
fail:
	free(uri);
	return NULL;
}

int p11card_cps_auth_uris(const char *token_serial, const char *token_label, char **cert_uri,
			  char **key_uri)
{
	size_t slen = token_serial ? strlen(token_serial) : 0;
	size_t llen = token_label ? strlen(token_label) : 0;

	*cert_uri = *key_uri = NULL;
	/* what the module puts into CK_TOKEN_INFO (santecard-pkcs11(8)): the last
	 * 16 characters of the serial; the label in 32 bytes, trailing blanks
	 * dropped (libp11 compares it so) */
	if (slen > 16) {
		token_serial += slen - 16;
		slen = 16;
	}
	if (llen > 32)
		llen = 32;
	while (llen && token_label[llen - 1] == ' ')
		llen--;
	*cert_uri = make_uri(token_serial, slen, token_label, llen, P11CARD_AUTH_CERT_LABEL, "cert");
	*key_uri = make_uri(token_serial, slen, token_label, llen, P11CARD_AUTH_KEY_LABEL, "private");
	if (!*cert_uri || !*key_uri) {
		free(*cert_uri);
		free(*key_uri);
		*cert_uri = *key_uri = NULL;
		return -1;
	}
	return 0;
}
