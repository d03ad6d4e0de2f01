/* main.c - santecard-sim: command line, set-up and tear-down around the loop. */
#include "config.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/cards.h"
#include "sim/log.h"
#include "sim/signals.h"
#include "sim/sim.h"

#define EXIT_USAGE 2

struct options {
	char host[256];
	char port[8];
	const struct sim_card_ops *card;
	const char *control;
	bool removed;
	int verbose;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: santecard-sim [OPTION]...\n"
		"Simulate a smart card in vsmartcard's virtual reader (vpcd, inside pcscd).\n"
		"\n"
		"  --vpcd HOST:PORT  vpcd slot to connect to (default %s:%s)\n"
		"  --card NAME       card to simulate (default \"test\"; see --list-cards)\n"
		"  --control PATH    Unix socket taking the commands insert, remove, status, quit\n"
		"  --removed         start with the card out of the reader\n"
		"  -v, --verbose     log connection events; twice: APDUs (PINs masked)\n"
		"  --list-cards      list the cards and exit\n"
		"  -h, --help        show this help and exit\n"
		"  --version         show the version and exit\n"
		"\n"
		"Signals: SIGUSR1 removes the card, SIGUSR2 inserts it, SIGTERM/SIGINT exit.\n"
		"Report bugs to <%s>.\n",
		VPCD_DEFAULT_HOST, VPCD_DEFAULT_PORT, PACKAGE_BUGREPORT);
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
	enum { OPT_VPCD = 256, OPT_CARD, OPT_CONTROL, OPT_REMOVED, OPT_LIST, OPT_VERSION };
	static const struct option longopts[] = {
		{ "vpcd", required_argument, NULL, OPT_VPCD },
		{ "card", required_argument, NULL, OPT_CARD },
		{ "control", required_argument, NULL, OPT_CONTROL },
		{ "removed", no_argument, NULL, OPT_REMOVED },
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
		case OPT_CARD:
			o->card = sim_card_find(optarg);
			if (!o->card)
				return usage_error("unknown card '%s' (see --list-cards)", optarg);
			break;
		case OPT_CONTROL:
			if (optarg[0] == '\0')
				return usage_error("--control wants a path");
			o->control = optarg;
			break;
		case OPT_REMOVED:
			o->removed = true;
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
	return -1;
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	struct sim s;
	int rc = parse_args(argc, argv, &o);

	if (rc >= 0)
		return rc;
	sim_log_set_level(o.verbose);

	memset(&s, 0, sizeof(s));
	control_init(&s.control);
	s.sigfd = -1;
	s.card.ops = o.card;
	rc = EXIT_FAILURE;

	struct sim_card_config cfg = { .verbose = o.verbose };
	s.card.card = o.card->create(&cfg);
	if (!s.card.card) {
		sim_log(LOG_ERROR, "cannot create card '%s'", o.card->name);
		return EXIT_FAILURE;
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

	sim_log(LOG_EVENT, "card '%s', vpcd %s%s%s", o.card->name, s.vpcd.name,
		o.control ? ", control " : "", o.control ? o.control : "");
	if (!o.removed)
		sim_insert(&s);
	rc = sim_run(&s);

	control_close(&s.control);
out_signals:
	sim_signals_close(s.sigfd);
out_vpcd:
	vpcd_free(&s.vpcd);
out_card:
	o.card->destroy(s.card.card);
	return rc;
}
