/* main.c - santecard-vitale: the kiosk and desk reader for carte Vitale. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "vitale.h"

const char *vtool_name = "santecard-vitale";

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "read", cmd_read, "print the card's beneficiaries (text, --json, --fhir, --hl7)" },
	{ "watch", cmd_watch, "kiosk mode: one JSON line per card inserted or removed" },
	{ "serve", cmd_serve, "a local web page showing the card, live" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: santecard-vitale COMMAND [OPTIONS]\n\n"
		   "Read the carte Vitale as soon as it is inserted: who it belongs to\n"
		   "(beneficiaries, NIR, INS), as text, JSON, FHIR or HL7.\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nOptions:\n"
		   "  -h, --help     show this help\n"
		   "  -V, --version  show the version\n\n"
		   "'santecard-vitale COMMAND --help' describes a command. See santecard-vitale(1).\n");
}

int parse_ins_system(const char *s, stc_ins_system *out)
{
	if (!strcmp(s, "test"))
		*out = STC_INS_NIR_TEST;
	else if (!strcmp(s, "nir"))
		*out = STC_INS_NIR;
	else if (!strcmp(s, "demo"))
		*out = STC_INS_NIR_DEMO;
	else
		return -1;
	return 0;
}

int vfail(stc_rv rv, const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", vtool_name, what, stc_strerror(rv));
	if (rv == STC_ERR_NO_SERVICE) {
		fprintf(stderr, "%s: is pcscd running? (start it with 'pcscd' or your init system)\n",
			vtool_name);
		return VX_NO_SERVICE;
	}
	return VX_ERROR;
}

void vusage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", vtool_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help' for more information.\n", vtool_name);
}

int main(int argc, char **argv)
{
	/* a core dump would put the card's personal data on disk */
	struct rlimit no_core = { 0, 0 };

	setrlimit(RLIMIT_CORE, &no_core);
	if (argc < 2) {
		usage(stderr);
		return VX_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return VX_OK;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("santecard-vitale %s\n", PACKAGE_VERSION);
		return VX_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	vusage_error("unknown command '%s'", argv[1]);
	return VX_USAGE;
}
