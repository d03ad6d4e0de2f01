/* santecard.c - the santecard command: dispatches to its subcommands. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "tool.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "status", cmd_status, "show readers, cards and ATRs; --wait for events" },
	{ "apdu", cmd_apdu, "send APDUs to a card and show the answers" },
	{ "pin", cmd_pin, "CPS PIN: status, verify, change, unblock with the PUK" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: santecard COMMAND [OPTIONS]\n\n"
		   "Use French health smart cards (CPS, carte Vitale) through PC/SC.\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nOptions:\n"
		   "  -h, --help     show this help\n"
		   "  -V, --version  show the version\n\n"
		   "'santecard COMMAND --help' describes a command. Set STC_DEBUG=debug to\n"
		   "see the APDUs (PINs are masked). See santecard(1).\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("santecard %s\n", PACKAGE_VERSION);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	tool_usage_error("unknown command '%s'", argv[1]);
	return EXIT_USAGE;
}
