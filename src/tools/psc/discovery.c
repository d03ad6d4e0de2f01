/*
 * discovery.c - the provider's metadata: PSC publishes it under the
 * non-standard name <issuer>/.well-known/wallet-openid-configuration; when that
 * fails the standard /.well-known/openid-configuration is tried. The document's
 * issuer must be the configured one (OpenID Connect Discovery 4.3). With mTLS,
 * mtls_endpoint_aliases (RFC 8705 5) replace the endpoints they name.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "psc.h"

static const char *str(const json_t *doc, const char *name)
{
	return json_string_value(json_object_get(doc, name));
}

/* The endpoint name, or its mTLS alias when the client authenticates by certificate. */
static const char *endpoint(const struct psc_conf *c, const json_t *doc, const char *name)
{
	const char *alias = c->client_cert ?
		str(json_object_get(doc, "mtls_endpoint_aliases"), name) : NULL;

	return alias ? alias : str(doc, name);
}

static int fetch(const struct psc_conf *c, const char *url, struct psc_reply *r, char *err,
		 size_t errlen)
{
	return psc_request(c, NULL, url, NULL, 0, NULL, r, err, errlen);
}

int psc_discover(const struct psc_conf *c, struct psc_meta *m, char *err, size_t errlen)
{
	static const char *const paths[] = { "/.well-known/wallet-openid-configuration",
					      "/.well-known/openid-configuration" };
	struct psc_reply r = { 0 };
	char why[256] = "", first[300] = "", *url = NULL;
	size_t ilen = strlen(c->issuer);

	memset(m, 0, sizeof(*m));
	/* issuer with a trailing slash: the paths are appended to it without one */
	while (ilen && c->issuer[ilen - 1] == '/')
		ilen--;
	for (size_t i = 0; i < 2; i++) {
		free(url);
		if (asprintf(&url, "%.*s%s", (int)ilen, c->issuer, paths[i]) < 0) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (fetch(c, url, &r, why, sizeof(why)) != 0) {
			/* the provider is unreachable: the other path will not help */
			snprintf(err, errlen, "discovery at %s: %s", url, why);
			free(url);
			return -1;
		}
		if (r.status == 200 && json_is_object(r.json))
			break;
		if (i == 0)
			snprintf(first, sizeof(first), "%s: %s", paths[i],
				 r.status == 200 ? "not a JSON object" :
				 psc_reply_error(&r, why, sizeof(why)));
		else
			snprintf(err, errlen, "discovery failed at %s (%s) and at %s (%s)",
				 paths[0], first, url, r.status == 200 ? "not a JSON object" :
				 psc_reply_error(&r, why, sizeof(why)));
		psc_reply_free(&r);
		if (i == 1) {
			free(url);
			return -1;
		}
		m->fallback_used = 1;
	}
	free(url);
	m->doc = r.json;
	r.json = NULL;
	psc_reply_free(&r);
	m->issuer = str(m->doc, "issuer");
	if (!m->issuer || strcmp(m->issuer, c->issuer) != 0) {
		snprintf(err, errlen, "the discovery document is for issuer \"%s\", not \"%s\"",
			 m->issuer ? m->issuer : "", c->issuer);
		psc_meta_free(m);
		return -1;
	}
	m->authorization = str(m->doc, "authorization_endpoint");
	m->token = endpoint(c, m->doc, "token_endpoint");
	m->userinfo = endpoint(c, m->doc, "userinfo_endpoint");
	m->jwks_uri = str(m->doc, "jwks_uri");
	m->end_session = str(m->doc, "end_session_endpoint");
	m->revocation = endpoint(c, m->doc, "revocation_endpoint");
	m->backchannel = endpoint(c, m->doc, "backchannel_authentication_endpoint");
	if (!m->token || !m->jwks_uri) {
		snprintf(err, errlen, "the discovery document has no %s",
			 m->token ? "jwks_uri" : "token_endpoint");
		psc_meta_free(m);
		return -1;
	}
	/* our card channel's possession proof (docs/PSC.md), beside the CIBA endpoint */
	if (asprintf(&m->ciba_card, "%s/protocol/openid-connect/ext/ciba/card", m->issuer) < 0)
		m->ciba_card = NULL;
	return 0;
}

const json_t *psc_meta_jwks(const struct psc_conf *c, struct psc_meta *m, char *err,
			    size_t errlen)
{
	struct psc_reply r;
	char why[256];

	if (m->jwks)
		return m->jwks;
	if (fetch(c, m->jwks_uri, &r, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "fetching the provider's keys: %s", why);
		return NULL;
	}
	if (r.status != 200 || !json_is_object(r.json)) {
		snprintf(err, errlen, "fetching the provider's keys at %s: %s", m->jwks_uri,
			 r.status == 200 ? "not JSON" : psc_reply_error(&r, why, sizeof(why)));
		psc_reply_free(&r);
		return NULL;
	}
	m->jwks = r.json;
	r.json = NULL;
	psc_reply_free(&r);
	return m->jwks;
}

void psc_meta_free(struct psc_meta *m)
{
	json_decref(m->doc);
	json_decref(m->jwks);
	free(m->ciba_card);
	memset(m, 0, sizeof(*m));
}
