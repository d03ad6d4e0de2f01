/*
 * ciba.c - Client-Initiated Backchannel Authentication, poll mode (OpenID
 * Connect CIBA Core 1.0), as Pro Santé Connect runs it: scope "openid
 * scope_all", acr_values eidas1, login_hint = the national id, a 2-digit
 * binding_message the user matches on the phone, and PSC's own parameter
 * channel = MOBILE (e-CPS push) or CARD (our card channel: the possession proof
 * is an mTLS request made with the CPS's authentication key, docs/PSC.md).
 *
 * Polling follows the interval the provider gives; slow_down adds 5 s to it for
 * good (CIBA Core 11, as RFC 8628 3.5); the request's expires_in bounds the
 * wait even if the provider never says expired_token.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <openssl/rand.h>

#include "psc.h"

#define SLOW_DOWN_STEP_MS 5000L

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 00-99, uniform (rejection of the bytes >= 200) */
static int binding_message(char out[3])
{
	unsigned char b;

	do {
		if (RAND_bytes(&b, 1) != 1)
			return -1;
	} while (b >= 200);
	snprintf(out, 3, "%02u", (unsigned)(b % 100));
	return 0;
}

static json_int_t int_member(const json_t *j, const char *name, json_int_t dflt)
{
	const json_t *v = json_object_get(j, name);

	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_real(v))
		return (json_int_t)json_real_value(v);
	return dflt;
}

/* POST the card proof: mTLS with the CPS's key. 0 or an exit code after a message. */
static int card_proof(const struct psc_conf *c, const struct psc_meta *m,
		      struct psc_card *card, const char *auth_req_id)
{
	const char *form[] = { "auth_req_id", auth_req_id, NULL };
	struct psc_reply r;
	char err[512], why[300];
	int code = PSC_EXIT_ERROR;

	psc_say("proving the card's possession (TLS with its authentication key) at %s",
		m->ciba_card);
	if (psc_request(c, psc_card_tls(card, c->ca), m->ciba_card, form, 0, NULL, &r, err,
			sizeof(err)) != 0) {
		psc_say("the card's TLS request failed: %s", err);
		return PSC_EXIT_ERROR;
	}
	if (r.status == 200) {
		code = PSC_EXIT_OK;
	} else {
		psc_say("the provider refused the card: %s", psc_reply_error(&r, why, sizeof(why)));
		if (!strcmp(psc_reply_code(&r), "access_denied"))
			code = PSC_EXIT_DENIED;
		else if (!strcmp(psc_reply_code(&r), "expired_token"))
			code = PSC_EXIT_EXPIRED;
	}
	psc_reply_free(&r);
	return code;
}

int psc_ciba_login(const struct psc_conf *c, struct psc_meta *m, const char *login_hint,
		   const char *channel, struct psc_card *card, json_t **answer, char **nonce_out)
{
	char bind[3], err[512], why[300];
	struct psc_reply r;
	const char *id;
	char *auth_req_id;
	long long expires_in, deadline, next_note;
	long interval_ms;
	int code, tty = isatty(2);

	*answer = NULL;
	*nonce_out = NULL;      /* CIBA has no nonce */
	if (!m->backchannel) {
		psc_say("the provider offers no CIBA (no backchannel_authentication_endpoint)");
		return PSC_EXIT_ERROR;
	}
	if (binding_message(bind) != 0) {
		psc_say("no random numbers");
		return PSC_EXIT_ERROR;
	}
	{
		const char *form[] = { "scope", "openid scope_all", "acr_values", "eidas1",
				       "login_hint", login_hint, "binding_message", bind,
				       "channel", channel, NULL };

		if (psc_request(c, NULL, m->backchannel, form, 1, NULL, &r, err, sizeof(err)) != 0) {
			psc_say("backchannel authentication request: %s", err);
			return PSC_EXIT_ERROR;
		}
	}
	id = json_string_value(json_object_get(r.json, "auth_req_id"));
	if (r.status != 200 || !id) {
		psc_say("the provider refused the authentication request: %s",
			r.status == 200 ? "no auth_req_id in the answer" :
			psc_reply_error(&r, why, sizeof(why)));
		code = !strcmp(psc_reply_code(&r), "access_denied") ? PSC_EXIT_DENIED :
		       PSC_EXIT_ERROR;
		psc_reply_free(&r);
		return code;
	}
	auth_req_id = strdup(id);
	expires_in = int_member(r.json, "expires_in", 120);
	interval_ms = (long)int_member(r.json, "interval", 5) * 1000;
	psc_reply_free(&r);
	if (!auth_req_id)
		return PSC_EXIT_ERROR;
	if (interval_ms <= 0)
		interval_ms = 5000;
	if (c->poll_ms > 0)
		interval_ms = c->poll_ms;
	if (!strcmp(channel, "MOBILE")) {
		printf("Binding message: %s\n", bind);
		printf("Approve the request in your e-CPS app: choose the code %s (expires in "
		       "%lld s).\n", bind, expires_in);
		fflush(stdout);
	} else {
		code = card_proof(c, m, card, auth_req_id);
		if (code != PSC_EXIT_OK) {
			free(auth_req_id);
			return code;
		}
	}
	deadline = now_ms() + expires_in * 1000 + 2000;
	next_note = now_ms() + 10000;
	for (;;) {
		const char *form[] = { "grant_type", "urn:openid:params:grant-type:ciba",
				       "auth_req_id", auth_req_id, NULL };
		const char *e;

		sleep_ms(interval_ms);
		if (psc_request(c, NULL, m->token, form, 1, NULL, &r, err, sizeof(err)) != 0) {
			if (tty)
				fputc('\n', stderr);
			psc_say("polling the token endpoint: %s", err);
			code = PSC_EXIT_ERROR;
			break;
		}
		if (r.status == 200 && json_is_object(r.json)) {
			if (tty)
				fputc('\n', stderr);
			*answer = r.json;
			r.json = NULL;
			psc_reply_free(&r);
			code = PSC_EXIT_OK;
			break;
		}
		e = psc_reply_code(&r);
		if (!strcmp(e, "authorization_pending")) {
			long long left = (deadline - now_ms()) / 1000;

			if (tty) {
				fprintf(stderr, "\rsantecard-psc: waiting for the approval (%lld s "
					"left) ", left > 0 ? left : 0);
			} else if (now_ms() >= next_note) {
				psc_say("still waiting for the approval (%lld s left)",
					left > 0 ? left : 0);
				next_note = now_ms() + 10000;
			}
			psc_reply_free(&r);
			if (now_ms() > deadline) {
				if (tty)
					fputc('\n', stderr);
				psc_say("the request expired: nobody approved it in time");
				code = PSC_EXIT_EXPIRED;
				break;
			}
			continue;
		}
		if (tty)
			fputc('\n', stderr);
		if (!strcmp(e, "slow_down")) {
			interval_ms += SLOW_DOWN_STEP_MS;
			psc_say("the provider asks to slow down: polling every %.1f s now",
				(double)interval_ms / 1000);
			psc_reply_free(&r);
			continue;
		}
		if (!strcmp(e, "expired_token")) {
			psc_say("the request expired: nobody approved it in time (expired_token)");
			code = PSC_EXIT_EXPIRED;
		} else if (!strcmp(e, "access_denied")) {
			psc_say("access denied: the request was refused (%s)",
				psc_reply_error(&r, why, sizeof(why)));
			code = PSC_EXIT_DENIED;
		} else {
			psc_say("the token endpoint answered %s", psc_reply_error(&r, why, sizeof(why)));
			code = PSC_EXIT_ERROR;
		}
		psc_reply_free(&r);
		break;
	}
	memset(auth_req_id, 0, strlen(auth_req_id));
	free(auth_req_id);
	return code;
}
