/*
 * codeflow.c - `login --card`: the authorization code flow of a native app
 * (RFC 8252) with PKCE S256 (RFC 7636), state and nonce, in the system
 * browser. The provider's login page authenticates the user by TLS client
 * certificate from the CPS (the browser reaches the card through our PKCS#11
 * module in its NSS database); the browser then comes back to our loopback
 * listener with the code, which we exchange with the client's authentication
 * and the PKCE verifier.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "jose.h"
#include "psc.h"

/* PKCE: the challenge of a verifier, base64url(SHA-256(verifier)). */
static char *s256(const char *verifier)
{
	uint8_t md[32];
	unsigned int mdlen = 0;

	if (EVP_Digest(verifier, strlen(verifier), md, &mdlen, EVP_sha256(), NULL) != 1)
		return NULL;
	return b64url_encode(md, mdlen);
}

/* The shell command for $BROWSER: "%s" in it stands for the URL, else the URL
 * is appended; the URL goes in as "$1", never pasted into the command. */
static char *browser_cmd(const char *b)
{
	const char *at = strstr(b, "%s");
	char *cmd = NULL;

	if (at ? asprintf(&cmd, "%.*s\"$1\"%s", (int)(at - b), b, at + 2) < 0 :
		 asprintf(&cmd, "%s \"$1\"", b) < 0)
		return NULL;
	return cmd;
}

/* $BROWSER, else xdg-open, started in the background (double fork: no zombie,
 * the browser outlives us). 0 or -1. */
static int open_browser(const char *url)
{
	const char *b = getenv("BROWSER");
	char *cmd = b && *b ? browser_cmd(b) : NULL;
	pid_t pid;
	int st = 0;

	if (b && *b && !cmd)
		return -1;
	pid = fork();
	if (pid < 0) {
		free(cmd);
		return -1;
	}
	if (pid == 0) {
		pid_t p2 = fork();

		if (p2 != 0)
			_exit(p2 < 0 ? 127 : 0);
		if (cmd)
			execl("/bin/sh", "sh", "-c", cmd, "sh", url, (char *)NULL);
		else
			execlp("xdg-open", "xdg-open", url, (char *)NULL);
		_exit(127);
	}
	free(cmd);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

int psc_code_login(const struct psc_conf *c, struct psc_meta *m, const struct psc_login *l,
		   json_t **answer, char **nonce_out)
{
	struct psc_loopback lb = { .fd = -1 };
	char *verifier = psc_random_b64url(32), *challenge = NULL, *state = psc_random_b64url(16);
	char *nonce = psc_random_b64url(16), *redirect = NULL, *url = NULL, *code = NULL;
	char err[512], why[300];
	struct psc_reply r;
	int rc = PSC_EXIT_ERROR;

	*answer = NULL;
	*nonce_out = NULL;
	if (!m->authorization) {
		psc_say("the provider has no authorization endpoint");
		goto out;
	}
	if (!verifier || !state || !nonce || !(challenge = s256(verifier))) {
		psc_say("no random numbers");
		goto out;
	}
	if (psc_loopback_open(&lb, err, sizeof(err)) != 0) {
		psc_say("%s", err);
		goto out;
	}
	if (asprintf(&redirect, "http://127.0.0.1:%u/callback", lb.port) < 0)
		goto out;
	{
		const char *q[] = { "response_type", "code", "client_id", c->client_id,
				    "redirect_uri", redirect, "scope", "openid scope_all",
				    "acr_values", "eidas1", "state", state, "nonce", nonce,
				    "code_challenge", challenge, "code_challenge_method", "S256",
				    NULL };
		char *query = http_form(q);

		if (!query || asprintf(&url, "%s%c%s", m->authorization,
				       strchr(m->authorization, '?') ? '&' : '?', query) < 0) {
			free(query);
			goto out;
		}
		free(query);
	}
	if (l->open_browser) {
		psc_say("opening the browser; log in there with your CPS (the page: %s)", url);
		if (open_browser(url) != 0)
			psc_say("could not start the browser ($BROWSER or xdg-open): open the page "
				"above yourself");
	} else {
		printf("Open this page in a browser that has your CPS (santecard-pkcs11) and log "
		       "in:\n%s\n", url);
		fflush(stdout);
	}
	psc_say("waiting for the browser on %s (%ld s)", redirect, c->timeout_s);
	rc = psc_loopback_wait(&lb, state, m->issuer, c->timeout_s, &code);
	psc_loopback_close(&lb);
	if (rc != 0)
		goto out;
	{
		const char *form[] = { "grant_type", "authorization_code", "code", code,
				       "redirect_uri", redirect, "code_verifier", verifier, NULL };

		rc = PSC_EXIT_ERROR;
		if (psc_request(c, NULL, m->token, form, 1, NULL, &r, err, sizeof(err)) != 0) {
			psc_say("exchanging the code: %s", err);
			goto out;
		}
	}
	if (r.status != 200 || !json_is_object(r.json)) {
		psc_say("the token endpoint refused the code: %s",
			psc_reply_error(&r, why, sizeof(why)));
		psc_reply_free(&r);
		goto out;
	}
	*answer = r.json;
	r.json = NULL;
	psc_reply_free(&r);
	*nonce_out = nonce;
	nonce = NULL;
	rc = PSC_EXIT_OK;
out:
	psc_loopback_close(&lb);
	free(verifier);
	free(challenge);
	free(state);
	free(nonce);
	free(redirect);
	free(url);
	if (code) {
		memset(code, 0, strlen(code));
		free(code);
	}
	return rc;
}
