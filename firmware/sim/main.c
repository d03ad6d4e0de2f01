/* main.c - santecard-sim: command line, set-up and tear-down around the loop. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "sim/cards.h"
#include "sim/log.h"
#include "sim/pn532_pty.h"
#include "sim/signals.h"
#include "sim/sim.h"
#include "sim/vscard_link.h"

#define EXIT_USAGE 2

struct options {
	char host[256];
	char port[8];
	const struct sim_card_ops *card;
	bool card_given;
	const char *profile;      /* NAME or PATH */
	const char *profile_dir;  /* where NAME.profile is looked up */
	const char *pki_dir;      /* where NAME/ holds the generated keys/certs */
	const char *state;
	bool contactless;
	bool realistic;           /* --timing realistic */
	const char *trace;
	const char *control;
	const char *pn532;        /* --pn532: a PN532 reader on a pty, not vpcd */
	bool removed;
	int verbose;
	bool vscard;              /* --vscard: QEMU's ccid-card-passthru, not vpcd */
	int vscard_proto;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: santecard-sim [OPTION]...\n"
		"Simulate a smart card in vsmartcard's virtual reader (vpcd, inside pcscd).\n"
		"\n"
		"  --vpcd HOST:PORT  vpcd slot to connect to (default %s:%s)\n"
		"  --vscard HOST:PORT[,t0|,t1]  instead of vpcd, plug the card into QEMU's\n"
		"                    usb-ccid reader (ccid-card-passthru chardev; docs/QEMU.md)\n"
		"  --card NAME       card to simulate (default \"test\"; see --list-cards)\n"
		"  --profile NAME    personalise the card from a profile (its `card` key picks\n"
		"                    the card): NAME.profile in the profile directory, or a path\n"
		"  --profile-dir DIR profiles (default $SANTECARD_PROFILE_DIR, else %s)\n"
		"  --pki-dir DIR     generated keys/certificates, DIR/NAME/ per profile\n"
		"                    (default $SANTECARD_PKI_DIR, else %s)\n"
		"  --state FILE      keep what the card keeps (PIN tries, PIN value) in FILE\n"
		"  --contactless     present the card's contactless interface (CPS3)\n"
		"  --timing MODE     none (default): answer at once; realistic: take as long\n"
		"                    as the real card and reader (model in santecard-sim(1))\n"
		"  --trace FILE      append every APDU, timestamped, to FILE (PINs masked)\n"
		"  --control PATH    Unix socket taking the commands insert, remove, status, quit\n"
		"  --removed         start with the card out of the reader\n"
		"  --pn532 [a:|b:]PATH  be a PN532 NFC reader on a pseudo-terminal linked at\n"
		"                    PATH (libnfc pn532_uart:PATH) instead of a vpcd card;\n"
		"                    the card is ISO 14443-4 type A (default) or B\n"
		"  -v, --verbose     log connection events; twice: APDUs (PINs masked)\n"
		"  --list-cards      list the cards and exit\n"
		"  -h, --help        show this help and exit\n"
		"  --version         show the version and exit\n"
		"\n"
		"Signals: SIGUSR1 removes the card, SIGUSR2 inserts it, SIGTERM/SIGINT exit.\n"
		"Report bugs to <%s>.\n",
		VPCD_DEFAULT_HOST, VPCD_DEFAULT_PORT, SIM_PROFILE_DIR, SIM_PKI_DIR,
		PACKAGE_BUGREPORT);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("santecard-sim: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'santecard-sim --help' for more information.\n", stderr);
	return EXIT_USAGE;
}

static void list_cards(void)
{
	const struct sim_card_ops *c;

	for (size_t i = 0; (c = sim_card_at(i)) != NULL; i++)
		printf("%-12s %s\n", c->name, c->description);
}

/* Parses argv into o. Returns -1 to go on, or an exit status. */
static int parse_args(int argc, char **argv, struct options *o)
{
	enum { OPT_VPCD = 256, OPT_CARD, OPT_CONTROL, OPT_REMOVED, OPT_LIST, OPT_VERSION,
	       OPT_PROFILE, OPT_PROFILE_DIR, OPT_PKI_DIR, OPT_STATE, OPT_CONTACTLESS,
	       OPT_TIMING, OPT_TRACE, OPT_PN532, OPT_VSCARD };
	static const struct option longopts[] = {
		{ "vpcd", required_argument, NULL, OPT_VPCD },
		{ "card", required_argument, NULL, OPT_CARD },
		{ "vscard", required_argument, NULL, OPT_VSCARD },
		{ "profile", required_argument, NULL, OPT_PROFILE },
		{ "profile-dir", required_argument, NULL, OPT_PROFILE_DIR },
		{ "pki-dir", required_argument, NULL, OPT_PKI_DIR },
		{ "state", required_argument, NULL, OPT_STATE },
		{ "contactless", no_argument, NULL, OPT_CONTACTLESS },
		{ "timing", required_argument, NULL, OPT_TIMING },
		{ "trace", required_argument, NULL, OPT_TRACE },
		{ "control", required_argument, NULL, OPT_CONTROL },
		{ "removed", no_argument, NULL, OPT_REMOVED },
		{ "pn532", required_argument, NULL, OPT_PN532 },
		{ "verbose", no_argument, NULL, 'v' },
		{ "list-cards", no_argument, NULL, OPT_LIST },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	strcpy(o->host, VPCD_DEFAULT_HOST);
	strcpy(o->port, VPCD_DEFAULT_PORT);
	o->card = sim_card_find("test");
	opterr = 0;	/* our own messages, with the usage hint */
	while ((opt = getopt_long(argc, argv, ":vh", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_VPCD:
			if (!vpcd_parse_endpoint(optarg, o->host, sizeof(o->host), o->port, sizeof(o->port)))
				return usage_error("--vpcd wants HOST:PORT (port 1-65535), not '%s'", optarg);
			break;
		case OPT_VSCARD:
			if (!vscard_link_parse(optarg, o->host, sizeof(o->host), o->port,
					       sizeof(o->port), &o->vscard_proto))
				return usage_error("--vscard wants HOST:PORT[,t0|,t1], not '%s'", optarg);
			o->vscard = true;
			break;
		case OPT_CARD:
			o->card = sim_card_find(optarg);
			if (!o->card)
				return usage_error("unknown card '%s' (see --list-cards)", optarg);
			o->card_given = true;
			break;
		case OPT_PROFILE:
			o->profile = optarg;
			break;
		case OPT_PROFILE_DIR:
			o->profile_dir = optarg;
			break;
		case OPT_PKI_DIR:
			o->pki_dir = optarg;
			break;
		case OPT_STATE:
			o->state = optarg;
			break;
		case OPT_CONTACTLESS:
			o->contactless = true;
			break;
		case OPT_TIMING:
			if (strcmp(optarg, "none") != 0 && strcmp(optarg, "realistic") != 0)
				return usage_error("--timing takes none or realistic, not '%s'", optarg);
			o->realistic = strcmp(optarg, "realistic") == 0;
			break;
		case OPT_TRACE:
			o->trace = optarg;
			break;
		case OPT_CONTROL:
			if (optarg[0] == '\0')
				return usage_error("--control wants a path");
			o->control = optarg;
			break;
		case OPT_REMOVED:
			o->removed = true;
			break;
		case OPT_PN532:
			o->pn532 = optarg;
			break;
		case 'v':
			o->verbose++;
			break;
		case OPT_LIST:
			list_cards();
			return EXIT_SUCCESS;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		case OPT_VERSION:
			printf("santecard-sim (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			return EXIT_SUCCESS;
		case ':':
			return usage_error("option '%s' needs an argument", argv[optind - 1]);
		default:
			if (optopt > 0 && optopt < 256)
				return usage_error("unknown option '-%c'", optopt);
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (o->card_given && o->profile)
		return usage_error("--card and --profile exclude each other (the profile names its card)");
	if (o->pn532 && o->vscard)
		return usage_error("--pn532 and --vscard exclude each other (one reader per simulator)");
	return -1;
}

static const char *dir_option(const char *given, const char *env, const char *def)
{
	const char *v = getenv(env);

	return given ? given : (v && *v ? v : def);
}

/* Load the profile named on the command line and pick its card. */
static struct sim_profile *load_profile(struct options *o, char *pki, size_t pki_len)
{
	char path[4096], err[512];
	struct sim_profile *p;
	const char *card;

	if (strchr(o->profile, '/'))
		snprintf(path, sizeof(path), "%s", o->profile);
	else
		snprintf(path, sizeof(path), "%s/%s.profile",
			 dir_option(o->profile_dir, "SANTECARD_PROFILE_DIR", SIM_PROFILE_DIR),
			 o->profile);
	p = sim_profile_load(path, err, sizeof(err));
	if (!p) {
		sim_log(LOG_ERROR, "%s", err);
		return NULL;
	}
	card = sim_profile_get(p, "card");
	o->card = card ? sim_card_find(card) : NULL;
	if (!o->card) {
		sim_log(LOG_ERROR, "%s: %s card '%s' (see --list-cards)", path,
			card ? "unknown" : "no", card ? card : "card = ...");
		sim_profile_free(p);
		return NULL;
	}
	snprintf(pki, pki_len, "%s/%s", dir_option(o->pki_dir, "SANTECARD_PKI_DIR", SIM_PKI_DIR),
		 sim_profile_name(p));
	return p;
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	struct sim s;
	struct sim_profile *profile = NULL;
	char pki[4096] = "";
	int rc = parse_args(argc, argv, &o);

	if (rc >= 0)
		return rc;
	sim_log_set_level(o.verbose);
	if (o.profile && !(profile = load_profile(&o, pki, sizeof(pki))))
		return EXIT_FAILURE;

	memset(&s, 0, sizeof(s));
	control_init(&s.control);
	s.sigfd = -1;
	s.card.ops = o.card;
	rc = EXIT_FAILURE;

	struct sim_card_config cfg = {
		.state_path = o.state,
		.profile = profile,
		.pki_dir = profile ? pki : NULL,
		.contactless = o.contactless,
		.verbose = o.verbose,
	};
	s.card.card = o.card->create(&cfg);
	sim_profile_free(profile);  /* cards keep no pointer into it */
	if (!s.card.card) {
		sim_log(LOG_ERROR, "cannot create card '%s'%s%s", o.card->name,
			o.profile ? " from profile " : "", o.profile ? o.profile : "");
		return EXIT_FAILURE;
	}
	{
		uint8_t atr[SIM_ATR_MAX];
		size_t atr_len = o.card->atr(s.card.card, atr, sizeof(atr));

		sim_timing_from_atr(&s.timing, atr, atr_len);
		s.timing.realistic = o.realistic;
	}
	s.card.pace = sim_pace;
	s.card.pace_ctx = &s;
	if (o.trace && !(s.card.trace = fopen(o.trace, "ae"))) {
		sim_log(LOG_ERROR, "cannot open trace file %s: %s", o.trace, strerror(errno));
		goto out_card;
	}
	if (!vpcd_init(&s.vpcd, o.host, o.port))
		goto out_card;
	s.sigfd = sim_signals_init();
	if (s.sigfd < 0) {
		sim_log(LOG_ERROR, "cannot set up signals");
		goto out_vpcd;
	}
	if (o.control && !control_open(&s.control, o.control))
		goto out_signals;

	sim_log(LOG_EVENT, "card '%s', %s %s%s%s", o.card->name, o.vscard ? "vscard" : "vpcd",
		s.vpcd.name,
		o.control ? ", control " : "", o.control ? o.control : "");
	if (!o.removed)
		sim_insert(&s);
	rc = o.pn532 ? pn532_pty_run(&s, o.pn532) :
	     o.vscard ? vscard_link_run(&s, o.vscard_proto) : sim_run(&s);

	control_close(&s.control);
out_signals:
	sim_signals_close(s.sigfd);
out_vpcd:
	vpcd_free(&s.vpcd);
out_card:
	if (s.card.trace)
		fclose(s.card.trace);
	o.card->destroy(s.card.card);
	return rc;
}
