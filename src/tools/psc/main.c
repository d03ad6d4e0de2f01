/*
 * main.c - santecard-psc: the command line and the configuration (command
 * line, then SANTECARD_PSC_* in the environment, then the configuration file
 * $XDG_CONFIG_HOME/santecard/psc.conf, then the defaults). See
 * santecard-psc(1).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "psc.h"
#include "tool.h"

/* The ANS sandbox ("bac à sable"); production is auth.esw.esante.gouv.fr. */
#define DEFAULT_ISSUER "https://auth.bas.psc.esante.gouv.fr/auth/realms/esante-wallet"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: santecard-psc login --ecps --id NATIONAL_ID [OPTIONS]\n"
		"       santecard-psc login --card [--no-open] [OPTIONS]\n"
		"       santecard-psc login --card --no-browser [--pin-fd N] [--reader NAME]\n"
		"       santecard-psc token | userinfo [--json] | logout | status [--json]\n\n"
		"Log in to Pro Sante Connect with an e-CPS (push to the phone, CIBA) or a\n"
		"CPS card, and hand out the access token.\n\n"
		"  login --ecps --id ID  e-CPS: approve on the phone, choosing the code shown\n"
		"  login --card          CPS card in the browser (authorization code + PKCE,\n"
		"                        redirect to 127.0.0.1); --no-open prints the URL\n"
		"  login --card --no-browser  CPS card here: PIN, then CIBA with a TLS\n"
		"                        request made with the card's authentication key\n"
		"  token                 print a valid access token (refreshed when needed)\n"
		"  userinfo              the provider's claims about you (--json: as sent)\n"
		"  logout                end the session, revoke and forget the tokens\n"
		"  status                who is logged in, how long the token lasts\n\n"
		"Provider and client (also SANTECARD_PSC_ISSUER ... and psc.conf):\n"
		"  --issuer URL            default " DEFAULT_ISSUER "\n"
		"  --client-id ID\n"
		"  --client-cert F --client-key F   mTLS with the structure's certificate\n"
		"  --client-secret-file F           or the client secret (first line of F)\n"
		"  --ca F                  trust anchors for the provider (PEM)\n"
		"  --config F              configuration file (default\n"
		"                          $XDG_CONFIG_HOME/santecard/psc.conf)\n"
		"  --clock-skew S          tolerance on the ID token's times (default 60)\n"
		"  --timeout S             login --card: wait for the browser (default 300)\n"
		"  --poll-interval S       CIBA: poll every S seconds instead of the\n"
		"                          provider's interval (tests)\n"
		"  --pin-fd N              read the PIN from file descriptor N\n"
		"  -h, --help  -V, --version\n\n"
		"Exit status: 0 done, 1 failed, 2 usage, 5 wrong PIN, 6 PIN blocked,\n"
		"10 access denied, 11 expired (nobody approved), 12 not logged in,\n"
		"13 session ended (log in again), 14 invalid ID token or userinfo.\n");
}

struct opts {
	struct psc_conf conf;
	struct psc_login login;
	const char *cmd;
	const char *config_file;
	int ecps, json, no_browser, no_open;
};

/* Config file values (strdup'ed, live for the process). */
static char *cf_val[8];
static const char *const cf_keys[] = { "issuer", "client-id", "client-cert", "client-key",
				       "client-secret-file", "ca", "clock-skew", NULL };

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* key = value lines, # comments. 0, or -1 after a message (a missing default
 * file is fine, a missing named one is not). */
static int read_config(const char *path, int named)
{
	char line[4096];
	FILE *f = fopen(path, "r");
	int ln = 0;

	if (!f) {
		if (!named && errno == ENOENT)
			return 0;
		psc_say("configuration %s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *s = trim(line), *eq, *k, *v;
		int i;

		ln++;
		if (!*s || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			psc_say("%s:%d: \"key = value\" expected", path, ln);
			fclose(f);
			return -1;
		}
		*eq = '\0';
		k = trim(s);
		v = trim(eq + 1);
		for (i = 0; cf_keys[i] && strcmp(cf_keys[i], k) != 0; i++)
			;
		if (!cf_keys[i]) {
			psc_say("%s:%d: unknown key \"%s\"", path, ln, k);
			fclose(f);
			return -1;
		}
		free(cf_val[i]);
		cf_val[i] = strdup(v);
	}
	fclose(f);
	return 0;
}

/* command line > environment > file > default */
static const char *pick(const char *cli, const char *env, int key, const char *dflt)
{
	const char *e = getenv(env);

	if (cli)
		return cli;
	if (e && *e)
		return e;
	if (cf_val[key])
		return cf_val[key];
	return dflt;
}

static int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* The secret: the first line of the file, which should be the user's only. */
static char *read_secret(const char *path)
{
	char buf[1024], *s = NULL;
	struct stat st;
	FILE *f = fopen(path, "r");

	if (!f) {
		psc_say("client secret file %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077))
		psc_say("warning: %s is readable by other users", path);
	if (fgets(buf, sizeof(buf), f)) {
		char *t = trim(buf);

		if (*t)
			s = strdup(t);
	}
	memset(buf, 0, sizeof(buf));
	fclose(f);
	if (!s)
		psc_say("client secret file %s is empty", path);
	return s;
}

enum { O_ISSUER = 256, O_CLIENT_ID, O_CERT, O_KEY, O_SECRET, O_CA, O_CONFIG, O_SKEW,
       O_TIMEOUT, O_POLL, O_PIN_FD, O_READER, O_ECPS, O_CARD, O_ID, O_NO_BROWSER, O_NO_OPEN,
       O_JSON };

static int parse(int argc, char **argv, struct opts *o, const char **cli, long *skew,
		 long *timeout, double *poll_s)
{
	static const struct option lo[] = {
		{ "issuer", required_argument, NULL, O_ISSUER },
		{ "client-id", required_argument, NULL, O_CLIENT_ID },
		{ "client-cert", required_argument, NULL, O_CERT },
		{ "client-key", required_argument, NULL, O_KEY },
		{ "client-secret-file", required_argument, NULL, O_SECRET },
		{ "ca", required_argument, NULL, O_CA },
		{ "config", required_argument, NULL, O_CONFIG },
		{ "clock-skew", required_argument, NULL, O_SKEW },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "poll-interval", required_argument, NULL, O_POLL },
		{ "pin-fd", required_argument, NULL, O_PIN_FD },
		{ "reader", required_argument, NULL, O_READER },
		{ "ecps", no_argument, NULL, O_ECPS },
		{ "card", no_argument, NULL, O_CARD },
		{ "id", required_argument, NULL, O_ID },
		{ "no-browser", no_argument, NULL, O_NO_BROWSER },
		{ "no-open", no_argument, NULL, O_NO_OPEN },
		{ "json", no_argument, NULL, O_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;
	long v;
	char *end;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case O_ISSUER: cli[0] = optarg; break;
		case O_CLIENT_ID: cli[1] = optarg; break;
		case O_CERT: cli[2] = optarg; break;
		case O_KEY: cli[3] = optarg; break;
		case O_SECRET: cli[4] = optarg; break;
		case O_CA: cli[5] = optarg; break;
		case O_CONFIG: o->config_file = optarg; break;
		case O_SKEW:
			if (parse_long(optarg, 0, 86400, skew)) {
				tool_usage_error("--clock-skew: seconds (0 to 86400)");
				return -1;
			}
			break;
		case O_TIMEOUT:
			if (parse_long(optarg, 1, 86400, timeout)) {
				tool_usage_error("--timeout: seconds (1 to 86400)");
				return -1;
			}
			break;
		case O_POLL:
			errno = 0;
			*poll_s = strtod(optarg, &end);
			if (!*optarg || *end || errno || *poll_s < 0.05 || *poll_s > 600) {
				tool_usage_error("--poll-interval: seconds (0.05 to 600)");
				return -1;
			}
			break;
		case O_PIN_FD:
			if (parse_long(optarg, 0, INT_MAX, &v)) {
				tool_usage_error("--pin-fd: a file descriptor number");
				return -1;
			}
			o->login.pin_fd = (int)v;
			break;
		case O_READER: o->login.reader = optarg; break;
		case O_ECPS: o->ecps = 1; break;
		case O_CARD: o->login.card = 1; break;
		case O_ID: o->login.id = optarg; break;
		case O_NO_BROWSER: o->no_browser = 1; break;
		case O_NO_OPEN: o->no_open = 1; break;
		case O_JSON: o->json = 1; break;
		case 'h': usage(stdout); exit(PSC_EXIT_OK);
		default:
			tool_usage_error("unknown option, or an option without its value");
			return -1;
		}
	}
	if (optind < argc) {
		tool_usage_error("unexpected argument '%s'", argv[optind]);
		return -1;
	}
	return 0;
}

/* Options that go with the command; 0 or -1 after a message. */
static int check_combination(const struct opts *o)
{
	int login = !strcmp(o->cmd, "login");

	if (!login && (o->ecps || o->login.card || o->login.id || o->no_browser || o->no_open ||
		       o->login.pin_fd >= 0 || o->login.reader)) {
		tool_usage_error("--ecps, --card, --id, --no-browser, --no-open, --pin-fd and "
				 "--reader go with login");
		return -1;
	}
	if (o->json && strcmp(o->cmd, "userinfo") != 0 && strcmp(o->cmd, "status") != 0) {
		tool_usage_error("--json goes with userinfo and status");
		return -1;
	}
	if (!login)
		return 0;
	if (o->ecps == o->login.card) {
		tool_usage_error("login: --ecps or --card");
		return -1;
	}
	if (o->ecps && !o->login.id) {
		tool_usage_error("login --ecps needs --id NATIONAL_ID (your IdNat, e.g. 8 + RPPS)");
		return -1;
	}
	if (o->ecps && (o->no_browser || o->no_open || o->login.pin_fd >= 0 || o->login.reader)) {
		tool_usage_error("--no-browser, --no-open, --pin-fd and --reader go with --card");
		return -1;
	}
	if (o->login.card && o->no_browser && o->no_open) {
		tool_usage_error("--no-open goes with the browser login (without --no-browser)");
		return -1;
	}
	if (o->login.card && !o->no_browser && (o->login.pin_fd >= 0 || o->login.reader)) {
		tool_usage_error("--pin-fd and --reader go with --card --no-browser (in the "
				 "browser, the browser asks for the PIN)");
		return -1;
	}
	return 0;
}

static int do_login(struct opts *o)
{
	struct psc_conf *c = &o->conf;
	struct psc_meta m;
	struct psc_card *card = NULL;
	json_t *answer = NULL;
	char err[512], *nonce = NULL;
	const char *method, *hint = o->login.id;
	int code;

	if (o->login.card && o->no_browser) {
		/* the card first: a wrong PIN ends here, before the provider is bothered */
		code = psc_card_open(o->login.reader, &card);
		if (code != PSC_EXIT_OK)
			return code;
		if (hint && strcmp(hint, psc_card_national_id(card)) != 0) {
			psc_say("--id %s is not the card's holder (%s)", hint,
				psc_card_national_id(card));
			psc_card_close(card);
			return PSC_EXIT_USAGE;
		}
		code = psc_card_login(card, o->login.pin_fd);
		if (code != PSC_EXIT_OK) {
			psc_card_close(card);
			return code;
		}
		hint = psc_card_national_id(card);
	}
	if (psc_discover(c, &m, err, sizeof(err)) != 0) {
		psc_say("%s", err);
		psc_card_close(card);
		return PSC_EXIT_ERROR;
	}
	if (m.fallback_used)
		psc_say("no wallet-openid-configuration: using /.well-known/openid-configuration");
	if (o->ecps) {
		method = "ecps";
		code = psc_ciba_login(c, &m, hint, "MOBILE", NULL, &answer, &nonce);
	} else if (o->no_browser) {
		method = "card";
		code = psc_ciba_login(c, &m, hint, "CARD", card, &answer, &nonce);
	} else {
		method = "card-browser";
		o->login.open_browser = !o->no_open;
		code = psc_code_login(c, &m, &o->login, &answer, &nonce);
	}
	psc_card_close(card);
	if (code == PSC_EXIT_OK)
		code = psc_finish_login(c, &m, answer, nonce, method);
	json_decref(answer);
	free(nonce);
	psc_meta_free(&m);
	return code;
}

int main(int argc, char **argv)
{
	static const char *const cmds[] = { "login", "token", "userinfo", "logout", "status" };
	struct opts o;
	const char *cli[6] = { NULL };
	char *default_conf = NULL;
	long skew = -1, timeout = 300;
	double poll_s = 0;
	const char *xdg, *skew_s;
	int code, known = 0;

	tool_name = "santecard-psc";
	memset(&o, 0, sizeof(o));
	o.login.pin_fd = -1;
	if (argc < 2) {
		usage(stderr);
		return PSC_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return PSC_EXIT_OK;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("santecard-psc %s\n", PACKAGE_VERSION);
		return PSC_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		known |= !strcmp(argv[1], cmds[i]);
	if (!known) {
		tool_usage_error("unknown command '%s' (login, token, userinfo, logout, status)",
				 argv[1]);
		return PSC_EXIT_USAGE;
	}
	o.cmd = argv[1];
	if (parse(argc - 1, argv + 1, &o, cli, &skew, &timeout, &poll_s) != 0 ||
	    check_combination(&o) != 0)
		return PSC_EXIT_USAGE;

	/* the configuration file: --config, SANTECARD_PSC_CONFIG, or the XDG default */
	if (!o.config_file)
		o.config_file = getenv("SANTECARD_PSC_CONFIG");
	if (o.config_file) {
		if (read_config(o.config_file, 1) != 0)
			return PSC_EXIT_USAGE;
	} else {
		xdg = getenv("XDG_CONFIG_HOME");
		if (xdg && xdg[0] == '/')
			code = asprintf(&default_conf, "%s/santecard/psc.conf", xdg);
		else if (getenv("HOME"))
			code = asprintf(&default_conf, "%s/.config/santecard/psc.conf", getenv("HOME"));
		else
			code = -1;
		if (code >= 0 && read_config(default_conf, 0) != 0) {
			free(default_conf);
			return PSC_EXIT_USAGE;
		}
		free(default_conf);
	}
	o.conf.issuer = pick(cli[0], "SANTECARD_PSC_ISSUER", 0, DEFAULT_ISSUER);
	o.conf.client_id = pick(cli[1], "SANTECARD_PSC_CLIENT_ID", 1, NULL);
	o.conf.client_cert = pick(cli[2], "SANTECARD_PSC_CLIENT_CERT", 2, NULL);
	o.conf.client_key = pick(cli[3], "SANTECARD_PSC_CLIENT_KEY", 3, NULL);
	o.conf.client_secret_file = pick(cli[4], "SANTECARD_PSC_CLIENT_SECRET_FILE", 4, NULL);
	o.conf.ca = pick(cli[5], "SANTECARD_PSC_CA", 5, NULL);
	skew_s = pick(NULL, "SANTECARD_PSC_CLOCK_SKEW", 6, "60");
	if (skew < 0 && parse_long(skew_s, 0, 86400, &skew)) {
		tool_usage_error("clock-skew: seconds (0 to 86400), not '%s'", skew_s);
		return PSC_EXIT_USAGE;
	}
	o.conf.clock_skew = skew;
	o.conf.timeout_s = timeout;
	o.conf.poll_ms = (long)(poll_s * 1000);
	if (!o.conf.client_id) {
		tool_usage_error("no client id (--client-id, SANTECARD_PSC_CLIENT_ID or client-id "
				 "in psc.conf)");
		return PSC_EXIT_USAGE;
	}
	if (!!o.conf.client_cert != !!o.conf.client_key) {
		tool_usage_error("--client-cert and --client-key go together");
		return PSC_EXIT_USAGE;
	}
	if (o.conf.client_cert && o.conf.client_secret_file) {
		tool_usage_error("client authentication: a certificate or a secret, not both");
		return PSC_EXIT_USAGE;
	}
	if (!o.conf.client_cert && !o.conf.client_secret_file && strcmp(o.cmd, "status") != 0) {
		tool_usage_error("no client authentication (--client-cert/--client-key or "
				 "--client-secret-file)");
		return PSC_EXIT_USAGE;
	}
	if (o.conf.client_secret_file && strcmp(o.cmd, "status") != 0) {
		o.conf.client_secret = read_secret(o.conf.client_secret_file);
		if (!o.conf.client_secret)
			return PSC_EXIT_USAGE;
	}
	o.conf.state_dir = psc_store_dir();
	if (!o.conf.state_dir) {
		psc_say("no XDG_STATE_HOME and no HOME: nowhere to keep the tokens");
		return PSC_EXIT_USAGE;
	}
	if (http_global_init() != 0) {
		psc_say("cannot initialise libcurl");
		return PSC_EXIT_ERROR;
	}
	if (!strcmp(o.cmd, "login"))
		code = do_login(&o);
	else if (!strcmp(o.cmd, "token"))
		code = psc_cmd_token(&o.conf);
	else if (!strcmp(o.cmd, "userinfo"))
		code = psc_cmd_userinfo(&o.conf, o.json);
	else if (!strcmp(o.cmd, "logout"))
		code = psc_cmd_logout(&o.conf);
	else
		code = psc_cmd_status(&o.conf, o.json);
	http_global_cleanup();
	if (o.conf.client_secret) {
		memset(o.conf.client_secret, 0, strlen(o.conf.client_secret));
		free(o.conf.client_secret);
	}
	free(o.conf.state_dir);
	for (size_t i = 0; i < sizeof(cf_val) / sizeof(cf_val[0]); i++)
		free(cf_val[i]);
	return code;
}
