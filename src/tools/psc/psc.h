/*
 * psc.h - santecard-psc: log in to Pro Santé Connect (PSC, ANS's OpenID Connect
 * provider) with an e-CPS (CIBA push to the phone) or a CPS card (browser code
 * flow with PKCE, or CIBA with a card possession proof over mTLS), keep the
 * tokens, hand out a valid access token. docs/PSC.md has the design.
 *
 * Module map: main.c (command line, config), discovery.c, net.c (requests to
 * the provider with the client's authentication), ciba.c, codeflow.c +
 * loopback.c, idtoken.c (ID token validation, pure), store.c (token store),
 * card.c (the CPS through the token layer), session.c (token, userinfo,
 * logout, status).
 */
#ifndef STC_PSC_H
#define STC_PSC_H

#include <stddef.h>
#include <jansson.h>

#include "http.h"

/* Exit codes of santecard-psc (docs/santecard-psc.1); 0-2 and 5-6 as santecard. */
enum {
	PSC_EXIT_OK = 0,
	PSC_EXIT_ERROR = 1,        /* failed: network, provider error, bad answer */
	PSC_EXIT_USAGE = 2,        /* bad command line or configuration */
	PSC_EXIT_PIN_INCORRECT = 5,
	PSC_EXIT_PIN_BLOCKED = 6,
	PSC_EXIT_DENIED = 10,      /* the user (or the provider) refused: access_denied */
	PSC_EXIT_EXPIRED = 11,     /* nobody answered in time: expired_token */
	PSC_EXIT_NOT_LOGGED_IN = 12, /* no stored tokens */
	PSC_EXIT_SESSION_ENDED = 13, /* refresh refused: log in again */
	PSC_EXIT_BAD_TOKEN = 14    /* the ID token (or userinfo) failed validation */
};

/* ------------------------------------------------------------- configuration */

struct psc_conf {
	const char *issuer;
	const char *client_id;
	const char *client_cert, *client_key;   /* mTLS (tls_client_auth) */
	const char *client_secret_file;         /* or client_secret_basic */
	const char *ca;                         /* the provider's trust anchors (PEM) */
	long clock_skew;                        /* seconds tolerated on exp/iat */
	long poll_ms;                           /* 0: the provider's interval */
	long timeout_s;                         /* code flow: wait for the browser */
	char *client_secret;                    /* read from client_secret_file */
	char *state_dir;                        /* $XDG_STATE_HOME/santecard/psc */
};

/* ------------------------------------------------------------- discovery */

struct psc_meta {
	json_t *doc;                 /* the whole document */
	const char *issuer, *authorization, *token, *userinfo, *jwks_uri, *end_session,
		*revocation, *backchannel;   /* point into doc (NULL if absent) */
	char *ciba_card;             /* <issuer>/protocol/openid-connect/ext/ciba/card */
	json_t *jwks;                /* fetched on demand (psc_meta_jwks) */
	int fallback_used;           /* the wallet-openid-configuration path failed */
};

int psc_discover(const struct psc_conf *c, struct psc_meta *m, char *err, size_t errlen);
/* The JWKS (fetched once). NULL + err. */
const json_t *psc_meta_jwks(const struct psc_conf *c, struct psc_meta *m, char *err,
			    size_t errlen);
void psc_meta_free(struct psc_meta *m);

/* ------------------------------------------------------------- requests */

struct psc_reply {
	long status;
	json_t *json;                /* parsed body when it is JSON, else NULL */
	char *body;
};

/*
 * A request to the provider. form: name/value pairs (NULL-terminated) sent as
 * application/x-www-form-urlencoded with POST; NULL: GET. client_auth: add the
 * client's authentication (client_id in the form with mTLS, HTTP Basic with a
 * secret). bearer: an access token for the Authorization header. The TLS
 * client certificate of the structure goes with every request when configured
 * (certificate-bound tokens need it at userinfo too). tls: NULL for that
 * default, or a caller's setting (the card's key). 0 or -1 + err.
 */
int psc_request(const struct psc_conf *c, const struct http_tls *tls, const char *url,
		const char *const *form, int client_auth, const char *bearer,
		struct psc_reply *r, char *err, size_t errlen);
void psc_reply_free(struct psc_reply *r);
/* "error: error_description" of an OAuth error answer, or "HTTP n". */
const char *psc_reply_error(const struct psc_reply *r, char *buf, size_t len);
/* The "error" member, or "". */
const char *psc_reply_code(const struct psc_reply *r);

/* ------------------------------------------------------------- ID token */

/*
 * Validate a compact ID token: alg from the header, restricted to RSA
 * signatures (RS256/384/512, PS256/384/512; none and HS* refused) and to the
 * "alg" of the JWKS key when the key names one; the key picked by kid (no kid:
 * the JWKS's only RSA signing key); signature; iss == issuer; aud holds
 * client_id (several audiences: azp must be client_id; azp, when present, must
 * be client_id); exp >= now - skew; iat <= now + skew; nbf <= now + skew; sub
 * present; nonce == nonce when nonce is not NULL. On success *claims gets the
 * payload (json_decref it). 0 or -1 + err.
 */
int psc_idtoken_check(const char *jwt, const json_t *jwks, const char *issuer,
		      const char *client_id, const char *nonce, long long now, long skew,
		      json_t **claims, char *err, size_t errlen);

/* ------------------------------------------------------------- token store */

/* $XDG_STATE_HOME/santecard/psc (default ~/.local/state/...). malloc()ed. */
char *psc_store_dir(void);
/* Create dir (and its parent santecard/) 0700, tighten an existing one. 0 or -1 + err. */
int psc_store_prepare(const char *dir, char *err, size_t errlen);
/* Write dir/tokens.json (0600) atomically: temp file, fsync, rename. */
int psc_store_save(const char *dir, const json_t *tokens, char *err, size_t errlen);
/* Read it; 1 when there is none (not logged in), 0 with *tokens, -1 + err
 * (unreadable, not JSON, or readable by others). */
int psc_store_load(const char *dir, json_t **tokens, char *err, size_t errlen);
/* Remove it; 0 (also when absent) or -1 + err. */
int psc_store_remove(const char *dir, char *err, size_t errlen);

/*
 * The stored record from a token endpoint answer: access_token, token_type,
 * expires_at (now + expires_in), lifetime, refresh_token, id_token, scope,
 * plus issuer, client_id, method and the validated ID token claims. A refresh
 * answer without refresh_token / id_token keeps prev's. New reference.
 */
json_t *psc_store_record(const json_t *answer, const json_t *prev, const char *issuer,
			 const char *client_id, const char *method, const json_t *id_claims,
			 long long now);
/* Seconds before expires_at when the access token is renewed: a quarter of its
 * lifetime, at most 30 s. */
long psc_refresh_margin(const json_t *tokens);

/* ------------------------------------------------------------- flows */

/* The CPS found in a reader, opened through the token layer. */
struct psc_card;

struct psc_login {
	const char *id;              /* --id: the national id (login_hint) */
	int card;                    /* --card */
	int browser;                 /* --card: code flow in a browser (0: CIBA CARD) */
	int open_browser;            /* 0: --no-open, print the URL */
	int pin_fd;                  /* -1: terminal or keypad */
	const char *reader;
};

int psc_ciba_login(const struct psc_conf *c, struct psc_meta *m, const char *login_hint,
		   const char *channel, struct psc_card *card, json_t **answer, char **nonce_out);
int psc_code_login(const struct psc_conf *c, struct psc_meta *m, const struct psc_login *l,
		   json_t **answer, char **nonce_out);

/* card.c */
/* Find the CPS (reader NULL: the first one). 0 or an exit code after a message. */
int psc_card_open(const char *reader, struct psc_card **out);
/* Verify the PIN once (--pin-fd, else the keypad or the terminal). Same. */
int psc_card_login(struct psc_card *card, int pin_fd);
const char *psc_card_national_id(const struct psc_card *card);
/* The TLS settings that authenticate with the card's key (PIN verified). */
const struct http_tls *psc_card_tls(struct psc_card *card, const char *ca);
void psc_card_close(struct psc_card *card);

/* loopback.c: the RFC 8252 redirect listener */
struct psc_loopback {
	int fd;
	unsigned port;
};
int psc_loopback_open(struct psc_loopback *lb, char *err, size_t errlen);
/*
 * Serve requests until the one to /callback arrives (others: 404) or
 * timeout_s passes. Checks state, and iss when the provider sends it (RFC
 * 9207); answers a small page. On success *code is
 * malloc()ed. Returns 0, or an exit code after a message: PSC_EXIT_DENIED for
 * an error=access_denied redirect, PSC_EXIT_EXPIRED on timeout, PSC_EXIT_ERROR.
 */
int psc_loopback_wait(struct psc_loopback *lb, const char *state, const char *issuer,
		      long timeout_s, char **code);
void psc_loopback_close(struct psc_loopback *lb);
/* Parse "a=b&c=d" (percent-decoding) and return the malloc()ed value of name or NULL. */
char *psc_query_get(const char *query, const char *name);

/* session.c: after a login, and the other commands */
int psc_finish_login(const struct psc_conf *c, struct psc_meta *m, json_t *answer,
		     const char *nonce, const char *method);
int psc_cmd_token(const struct psc_conf *c);
int psc_cmd_userinfo(const struct psc_conf *c, int json);
int psc_cmd_logout(const struct psc_conf *c);
int psc_cmd_status(const struct psc_conf *c, int json);

/* Random bytes as base64url (n bytes of entropy). malloc()ed or NULL. */
char *psc_random_b64url(size_t n);
/* Whole seconds since the epoch. */
long long psc_now(void);
/* Progress and messages on stderr, prefixed with the tool's name. */
void psc_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
