/*
 * session.c - what follows a login: the ID token validated and the tokens
 * stored; `token` (refreshed when expired or close to it), `userinfo`,
 * `logout` (the provider's logout and revocation, then the local store) and
 * `status`. The refresh token is never printed.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "psc.h"

static int store_fail(const char *err)
{
	psc_say("token store: %s", err);
	return PSC_EXIT_ERROR;
}

int psc_finish_login(const struct psc_conf *c, struct psc_meta *m, json_t *answer,
		     const char *nonce, const char *method)
{
	const char *idt = json_string_value(json_object_get(answer, "id_token"));
	const json_t *jwks;
	json_t *claims = NULL, *rec;
	char err[512];
	int code;

	if (!json_string_value(json_object_get(answer, "access_token"))) {
		psc_say("the token endpoint sent no access token");
		return PSC_EXIT_ERROR;
	}
	jwks = psc_meta_jwks(c, m, err, sizeof(err));
	if (!jwks) {
		psc_say("%s", err);
		return PSC_EXIT_ERROR;
	}
	if (psc_idtoken_check(idt, jwks, c->issuer, c->client_id, nonce, psc_now(),
			      c->clock_skew, &claims, err, sizeof(err)) != 0) {
		psc_say("login refused: %s", err);
		return PSC_EXIT_BAD_TOKEN;
	}
	rec = psc_store_record(answer, NULL, c->issuer, c->client_id, method, claims, psc_now());
	code = rec && psc_store_save(c->state_dir, rec, err, sizeof(err)) == 0 ? PSC_EXIT_OK :
	       store_fail(rec ? err : "out of memory");
	if (code == PSC_EXIT_OK) {
		const char *sub = json_string_value(json_object_get(claims, "sub"));
		const json_t *amr = json_object_get(claims, "amr");
		char *amrs = amr ? json_dumps(amr, JSON_COMPACT) : NULL;

		printf("Logged in to %s as %s (%s%s%s).\n", c->issuer, sub ? sub : "?", method,
		       amrs ? ", amr " : "", amrs ? amrs : "");
		free(amrs);
	}
	json_decref(rec);
	json_decref(claims);
	return code;
}

/* Load the store (and check it belongs to this issuer and client). */
static int load(const struct psc_conf *c, json_t **tok)
{
	char err[512];
	int r = psc_store_load(c->state_dir, tok, err, sizeof(err));
	const char *iss, *cid;

	if (r == 1) {
		psc_say("not logged in (santecard-psc login --ecps --id ID, or --card)");
		return PSC_EXIT_NOT_LOGGED_IN;
	}
	if (r < 0)
		return store_fail(err);
	iss = json_string_value(json_object_get(*tok, "issuer"));
	cid = json_string_value(json_object_get(*tok, "client_id"));
	if (!iss || strcmp(iss, c->issuer) != 0 || !cid || strcmp(cid, c->client_id) != 0) {
		psc_say("the stored login is for %s (client %s), not %s (client %s): log in again",
			iss ? iss : "?", cid ? cid : "?", c->issuer, c->client_id);
		json_decref(*tok);
		*tok = NULL;
		return PSC_EXIT_NOT_LOGGED_IN;
	}
	return PSC_EXIT_OK;
}

/* Renew with the refresh token; *tok replaced. 0 or an exit code after a message. */
static int refresh(const struct psc_conf *c, struct psc_meta *m, json_t **tok)
{
	const char *rt = json_string_value(json_object_get(*tok, "refresh_token"));
	const char *idt;
	struct psc_reply r;
	char err[512], why[300];
	json_t *claims = NULL, *rec;
	int code = PSC_EXIT_OK;

	if (!rt) {
		psc_say("the access token has expired and there is no refresh token: log in again");
		return PSC_EXIT_SESSION_ENDED;
	}
	{
		const char *form[] = { "grant_type", "refresh_token", "refresh_token", rt, NULL };

		if (psc_request(c, NULL, m->token, form, 1, NULL, &r, err, sizeof(err)) != 0) {
			psc_say("refreshing the access token: %s", err);
			return PSC_EXIT_ERROR;
		}
	}
	if (r.status != 200 || !json_string_value(json_object_get(r.json, "access_token"))) {
		const char *e = psc_reply_code(&r);

		if (!strcmp(e, "invalid_grant") || !strcmp(e, "unauthorized_client")) {
			psc_say("the session has ended: the provider refused the refresh token (%s); "
				"log in again", psc_reply_error(&r, why, sizeof(why)));
			code = PSC_EXIT_SESSION_ENDED;
		} else {
			psc_say("refreshing the access token: %s", psc_reply_error(&r, why, sizeof(why)));
			code = PSC_EXIT_ERROR;
		}
		psc_reply_free(&r);
		return code;
	}
	/* a new ID token must be for the same person (OIDC Core 12.2); no nonce then */
	idt = json_string_value(json_object_get(r.json, "id_token"));
	if (idt) {
		const json_t *jwks = psc_meta_jwks(c, m, err, sizeof(err));
		const char *old = json_string_value(json_object_get(
			json_object_get(*tok, "id_claims"), "sub"));

		if (!jwks || psc_idtoken_check(idt, jwks, c->issuer, c->client_id, NULL,
					       psc_now(), c->clock_skew, &claims, err,
					       sizeof(err)) != 0) {
			psc_say("refresh: %s", err);
			psc_reply_free(&r);
			return PSC_EXIT_BAD_TOKEN;
		}
		if (old && strcmp(old, json_string_value(json_object_get(claims, "sub"))) != 0) {
			psc_say("refresh: the new ID token is for another subject");
			json_decref(claims);
			psc_reply_free(&r);
			return PSC_EXIT_BAD_TOKEN;
		}
	}
	rec = psc_store_record(r.json, *tok, c->issuer, c->client_id, NULL, claims, psc_now());
	json_decref(claims);
	psc_reply_free(&r);
	if (!rec || psc_store_save(c->state_dir, rec, err, sizeof(err)) != 0) {
		json_decref(rec);
		return store_fail(rec ? err : "out of memory");
	}
	json_decref(*tok);
	*tok = rec;
	return PSC_EXIT_OK;
}

/* Stored tokens with a valid access token (refreshed if needed); m discovered. */
static int fresh(const struct psc_conf *c, struct psc_meta *m, json_t **tok)
{
	char err[512];
	long long exp;
	int code = load(c, tok);

	if (code != PSC_EXIT_OK)
		return code;
	if (psc_discover(c, m, err, sizeof(err)) != 0) {
		psc_say("%s", err);
		json_decref(*tok);
		*tok = NULL;
		return PSC_EXIT_ERROR;
	}
	exp = json_integer_value(json_object_get(*tok, "expires_at"));
	if (psc_now() + psc_refresh_margin(*tok) < exp)
		return PSC_EXIT_OK;
	code = refresh(c, m, tok);
	if (code != PSC_EXIT_OK) {
		json_decref(*tok);
		*tok = NULL;
		psc_meta_free(m);
	}
	return code;
}

int psc_cmd_token(const struct psc_conf *c)
{
	struct psc_meta m;
	json_t *tok;
	int code = fresh(c, &m, &tok);

	if (code != PSC_EXIT_OK)
		return code;
	printf("%s\n", json_string_value(json_object_get(tok, "access_token")));
	json_decref(tok);
	psc_meta_free(&m);
	return PSC_EXIT_OK;
}

static const char *jstr(const json_t *j, const char *name)
{
	const char *s = json_string_value(json_object_get(j, name));

	return s ? s : "";
}

static void print_userinfo(const json_t *u)
{
	const json_t *ex = json_object_get(json_object_get(u, "SubjectRefPro"), "exercices");
	const json_t *roles = json_object_get(u, "SubjectRole"), *e, *v;
	size_t i;

	printf("SubjectNameID:        %s\n", jstr(u, "SubjectNameID"));
	printf("Name:                 %s %s\n", jstr(u, "given_name"), jstr(u, "family_name"));
	printf("sub:                  %s\n", jstr(u, "sub"));
	json_array_foreach(roles, i, v) {
		printf("SubjectRole:          %s\n", json_string_value(v) ? json_string_value(v) : "");
	}
	if (json_object_get(u, "SubjectOrganization"))
		printf("SubjectOrganization:  %s (%s)\n", jstr(u, "SubjectOrganization"),
		       jstr(u, "SubjectOrganizationID"));
	if (json_object_get(u, "Secteur_Activite"))
		printf("Secteur_Activite:     %s\n", jstr(u, "Secteur_Activite"));
	if (json_object_get(u, "Palier_Authentification"))
		printf("Palier:               %s\n", jstr(u, "Palier_Authentification"));
	json_array_foreach(ex, i, e) {
		const json_t *acts = json_object_get(e, "activities"), *a;
		size_t k;

		printf("Exercice %zu:           profession %s, category %s, %s %s\n", i + 1,
		       jstr(e, "codeProfession"), jstr(e, "codeCategorieProfessionnelle"),
		       jstr(e, "prenomDexercice"), jstr(e, "nomDexercice"));
		json_array_foreach(acts, k, a) {
			printf("  activity %zu:         %s, %s %s\n", k + 1,
			       jstr(a, "raisonSocialeSite"), jstr(a, "codeSecteurDactivite"),
			       jstr(a, "identifiantTechniqueDeLaStructure"));
		}
	}
}

int psc_cmd_userinfo(const struct psc_conf *c, int json)
{
	struct psc_meta m;
	struct psc_reply r;
	json_t *tok;
	char err[512], why[300];
	const char *sub, *idsub;
	int code = fresh(c, &m, &tok);

	if (code != PSC_EXIT_OK)
		return code;
	if (!m.userinfo) {
		psc_say("the provider has no userinfo endpoint");
		code = PSC_EXIT_ERROR;
		goto out;
	}
	if (psc_request(c, NULL, m.userinfo, NULL, 0,
			json_string_value(json_object_get(tok, "access_token")), &r, err,
			sizeof(err)) != 0) {
		psc_say("userinfo: %s", err);
		code = PSC_EXIT_ERROR;
		goto out;
	}
	if (r.status != 200 || !json_is_object(r.json)) {
		psc_say("userinfo: %s", r.status == 200 ? "the answer is not JSON" :
			psc_reply_error(&r, why, sizeof(why)));
		code = r.status == 401 ? PSC_EXIT_SESSION_ENDED : PSC_EXIT_ERROR;
		psc_reply_free(&r);
		goto out;
	}
	/* OIDC Core 5.3.2: the userinfo's sub must be the ID token's */
	sub = json_string_value(json_object_get(r.json, "sub"));
	idsub = json_string_value(json_object_get(json_object_get(tok, "id_claims"), "sub"));
	if (!sub || !idsub || strcmp(sub, idsub) != 0) {
		psc_say("userinfo: its sub (%s) is not the ID token's (%s)", sub ? sub : "none",
			idsub ? idsub : "none");
		code = PSC_EXIT_BAD_TOKEN;
	} else if (json) {
		json_dumpf(r.json, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else {
		print_userinfo(r.json);
	}
	psc_reply_free(&r);
out:
	json_decref(tok);
	psc_meta_free(&m);
	return code;
}

/* RFC 7009 revocation of one token; 1 revoked, 0 could not. */
static int revoke(const struct psc_conf *c, const struct psc_meta *m, const char *token,
		  const char *hint)
{
	const char *form[] = { "token", token, "token_type_hint", hint, NULL };
	struct psc_reply r;
	char err[512], why[300];
	int ok;

	if (psc_request(c, NULL, m->revocation, form, 1, NULL, &r, err, sizeof(err)) != 0) {
		psc_say("revoking the %s: %s", hint, err);
		return 0;
	}
	ok = r.status == 200;
	if (!ok)
		psc_say("revoking the %s: %s", hint, psc_reply_error(&r, why, sizeof(why)));
	psc_reply_free(&r);
	return ok;
}

int psc_cmd_logout(const struct psc_conf *c)
{
	struct psc_meta m;
	json_t *tok;
	char err[512];
	const char *rt, *at, *idt;
	int code = load(c, &tok), remote = 1;

	if (code != PSC_EXIT_OK)
		return code;
	rt = json_string_value(json_object_get(tok, "refresh_token"));
	at = json_string_value(json_object_get(tok, "access_token"));
	idt = json_string_value(json_object_get(tok, "id_token"));
	if (psc_discover(c, &m, err, sizeof(err)) != 0) {
		psc_say("%s: the tokens could not be revoked at the provider", err);
		remote = 0;
	} else {
		/* Keycloak's logout endpoint (PSC): POST with the client's authentication
		 * and the refresh token ends the session; a provider that only knows the
		 * browser form (RP-initiated logout) answers something else, then the
		 * revocation below is what ends the grant */
		if (m.end_session && rt) {
			const char *form[] = { "refresh_token", rt, "id_token_hint", idt ? idt : "",
					       NULL };
			struct psc_reply r;

			if (psc_request(c, NULL, m.end_session, form, 1, NULL, &r, err,
					sizeof(err)) == 0) {
				if (r.status / 100 == 2)
					psc_say("session ended at the provider");
				psc_reply_free(&r);
			}
		}
		if (m.revocation) {
			if (rt && !revoke(c, &m, rt, "refresh_token"))
				remote = 0;
			if (at && !revoke(c, &m, at, "access_token"))
				remote = 0;
			if (remote)
				psc_say("tokens revoked at the provider");
		} else {
			psc_say("the provider has no revocation endpoint: the tokens stay valid until "
				"they expire");
			remote = 0;
		}
		psc_meta_free(&m);
	}
	json_decref(tok);
	if (psc_store_remove(c->state_dir, err, sizeof(err)) != 0)
		return store_fail(err);
	printf("Logged out%s.\n", remote ? "" : " (locally; see above for the provider)");
	return PSC_EXIT_OK;
}

int psc_cmd_status(const struct psc_conf *c, int json)
{
	json_t *tok, *cl;
	long long now = psc_now(), exp, at;
	int code = load(c, &tok);

	if (code != PSC_EXIT_OK)
		return code;
	cl = json_object_get(tok, "id_claims");
	exp = json_integer_value(json_object_get(tok, "expires_at"));
	at = json_integer_value(json_object_get(tok, "logged_in_at"));
	if (json) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:b, s:O*}",
				      "issuer", jstr(tok, "issuer"), "client_id",
				      jstr(tok, "client_id"), "method", jstr(tok, "method"),
				      "sub", jstr(cl, "sub"), "expires_in",
				      (json_int_t)(exp - now), "logged_in_at", (json_int_t)at,
				      "refresh_token", json_object_get(tok, "refresh_token") != NULL,
				      "amr", json_object_get(cl, "amr"));

		json_dumpf(o, stdout, JSON_PRESERVE_ORDER | JSON_COMPACT);
		putchar('\n');
		json_decref(o);
	} else {
		const json_t *amr = json_object_get(cl, "amr");
		char *amrs = amr ? json_dumps(amr, JSON_COMPACT) : NULL;

		printf("Logged in:     %s (%s%s%s)\n", jstr(cl, "sub"), jstr(tok, "method"),
		       amrs ? ", amr " : "", amrs ? amrs : "");
		printf("Provider:      %s (client %s)\n", jstr(tok, "issuer"), jstr(tok, "client_id"));
		if (exp > now)
			printf("Access token:  valid for %lld s\n", exp - now);
		else
			printf("Access token:  expired %lld s ago\n", now - exp);
		printf("Refresh token: %s\n", json_object_get(tok, "refresh_token") ? "yes" : "no");
		free(amrs);
	}
	json_decref(tok);
	return PSC_EXIT_OK;
}
