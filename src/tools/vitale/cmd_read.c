/* cmd_read.c - `santecard-vitale read`: the card's beneficiaries, once. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vitale.h"

enum format { FMT_TEXT, FMT_JSON, FMT_FHIR, FMT_HL7 };

struct read_opts {
	enum format fmt;
	const char *reader;
	long wait_ms;            /* -1: do not wait for a card */
	struct render_opts r;
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: santecard-vitale read [--json|--fhir|--hl7] [--reader NAME]\n"
		   "                             [--wait SECONDS] [--ins test|nir|demo]\n\n"
		   "Print the beneficiaries of the carte Vitale: name, given name, birth date,\n"
		   "NIR with its key checked, INS.\n\n"
		   "  -j, --json            JSON document (schema in santecard-vitale(1))\n"
		   "      --fhir            FHIR R4 Bundle of Patient resources (FR Core INS)\n"
		   "      --hl7             HL7 v2 PID segments (INS in PID-3)\n"
		   "  -r, --reader NAME     the card in this reader (default: the first\n"
		   "                        reader holding a carte Vitale)\n"
		   "  -w, --wait SECONDS    wait up to SECONDS for a card to be inserted\n"
		   "      --ins SYSTEM      OID of the INS: test (1.2.250.1.213.1.4.10, the\n"
		   "                        default), nir (1.2.250.1.213.1.4.8) or demo (.11)\n"
		   "  -h, --help            show this help\n");
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Readers to try, Vitale ATRs first. Returns an exit code: VX_OK when at least
 * one reader holds a card. */
static int candidates(stc_ctx *ctx, const struct read_opts *o, char (*names)[STC_READER_NAME_MAX],
		      size_t *n)
{
	stc_reader_info *list;
	size_t count, named = 0;
	stc_rv rv = stc_readers_list(ctx, &list, &count);

	*n = 0;
	if (rv != STC_OK)
		return vfail(rv, "listing readers");
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < count; i++) {
			stc_card_kind kind = STC_CARD_UNKNOWN;
			const char *nm;
			int vit;

			if (o->reader && strcmp(o->reader, list[i].name) != 0)
				continue;
			if (pass == 0)
				named++;
			if (!list[i].card_present || *n >= 8)
				continue;
			vit = stc_atr_identify(list[i].atr, list[i].atr_len, &kind, &nm) == STC_OK &&
			      kind == STC_CARD_VITALE2;
			if (vit == (pass == 0))
				memcpy(names[(*n)++], list[i].name, STC_READER_NAME_MAX);
		}
	}
	stc_readers_free(list);
	if (!named) {
		/* read --wait says it once, at the timeout */
		if (o->wait_ms < 0 && o->reader)
			fprintf(stderr, "%s: no reader named '%s'\n", vtool_name, o->reader);
		else if (o->wait_ms < 0)
			fprintf(stderr, "%s: no smart card reader found\n", vtool_name);
		return VX_NO_READER;
	}
	if (!*n) {
		if (o->wait_ms < 0)
			fprintf(stderr, "%s: no card in the reader%s\n", vtool_name,
				named > 1 ? "s" : "");
		return VX_NO_CARD;
	}
	return VX_OK;
}

static void print_result(const struct vcard *v, const struct read_opts *o)
{
	struct sbuf b;

	sb_init(&b);
	switch (o->fmt) {
	case FMT_TEXT:
		render_text(&b, v, &o->r);
		break;
	case FMT_JSON:
		render_json_card(&b, v, &o->r);
		sb_puts(&b, "\n");
		break;
	case FMT_FHIR:
		render_fhir(&b, v, &o->r);
		sb_puts(&b, "\n");
		break;
	case FMT_HL7:
		render_hl7(&b, v, &o->r);
		break;
	}
	if (b.oom)
		fprintf(stderr, "%s: out of memory\n", vtool_name);
	else
		fputs(sb_str(&b), stdout);
	sb_free(&b);
}

static int result_code(const struct vcard *v, const struct read_opts *o)
{
	char msg[200];
	size_t bad;

	if (v->result == VC_OK) {
		bad = vcard_bad_nirs(v);
		if (!bad)
			return VX_OK;
		fprintf(stderr, "%s: %zu NIR%s on the card do%s not check (wrong key): "
			"no INS for %s\n", vtool_name, bad, bad > 1 ? "s" : "",
			bad > 1 ? "" : "es", bad > 1 ? "them" : "it");
		return VX_BAD_NIR;
	}
	vcard_error_text(v, msg, sizeof(msg));
	fprintf(stderr, "%s: %s: %s\n", vtool_name, v->reader, msg);
	if (o->fmt == FMT_JSON)
		print_result(v, o);
	switch (v->result) {
	case VC_NOT_VITALE:
	case VC_VITALE1:
		return VX_NOT_VITALE;
	case VC_UNREADABLE:
		return VX_UNREADABLE;
	case VC_GONE:
		return VX_NO_CARD;
	default:
		return VX_ERROR;
	}
}

static int read_once(stc_ctx *ctx, const struct read_opts *o)
{
	char names[8][STC_READER_NAME_MAX];
	size_t n;
	int code = candidates(ctx, o, names, &n);
	struct vcard *v, *first_err = NULL;

	if (code != VX_OK)
		return code;
	v = calloc(2, sizeof(*v));
	if (!v) {
		fprintf(stderr, "%s: out of memory\n", vtool_name);
		return VX_ERROR;
	}
	for (size_t i = 0; i < n; i++) {
		vcard_read(ctx, names[i], &v[0]);
		if (v[0].result == VC_OK) {
			print_result(&v[0], o);
			code = result_code(&v[0], o);
			goto out;
		}
		if (!first_err) {
			v[1] = v[0];
			first_err = &v[1];
		}
	}
	code = first_err ? result_code(first_err, o) : VX_NO_CARD;
out:
	vcard_wipe(&v[0]);
	vcard_wipe(&v[1]);
	free(v);
	return code;
}

static int read_waiting(stc_ctx *ctx, const struct read_opts *o)
{
	long long deadline = now_ms() + o->wait_ms;
	stc_event ev;
	int code;

	/* the first call takes the snapshot: a card inserted from now on is an event */
	stc_wait_event(ctx, 0, &ev);
	for (;;) {
		long left;
		stc_rv rv;

		code = read_once(ctx, o);
		if (code != VX_NO_CARD && code != VX_NO_READER)
			return code;
		do {
			left = (long)(deadline - now_ms());
			if (left <= 0) {
				fprintf(stderr, "%s: no card within %ld s\n", vtool_name,
					o->wait_ms / 1000);
				return VX_TIMEOUT;
			}
			rv = stc_wait_event(ctx, left, &ev);
			if (rv != STC_OK && rv != STC_ERR_TIMEOUT)
				return vfail(rv, "waiting for a card");
		} while (rv == STC_OK && ev.kind != STC_EV_CARD_INSERTED &&
			 ev.kind != STC_EV_READER_ADDED);
	}
}

int cmd_read(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "fhir", no_argument, NULL, 'F' },
		{ "hl7", no_argument, NULL, 'H' },
		{ "reader", required_argument, NULL, 'r' },
		{ "wait", required_argument, NULL, 'w' },
		{ "ins", required_argument, NULL, 'I' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct read_opts o = { .fmt = FMT_TEXT, .wait_ms = -1, .r = { STC_INS_NIR_TEST } };
	int c, formats = 0, code;
	stc_ctx *ctx;
	stc_rv rv;

	vtool_name = "santecard-vitale read";
	while ((c = getopt_long(argc, argv, "jr:w:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': o.fmt = FMT_JSON; formats++; break;
		case 'F': o.fmt = FMT_FHIR; formats++; break;
		case 'H': o.fmt = FMT_HL7; formats++; break;
		case 'r': o.reader = optarg; break;
		case 'w': {
			char *end;
			double s = strtod(optarg, &end);

			if (end == optarg || *end || s < 0 || s > 86400.0 * 365) {
				vusage_error("invalid --wait '%s' (seconds expected)", optarg);
				return VX_USAGE;
			}
			o.wait_ms = (long)(s * 1000.0);
			break;
		}
		case 'I':
			if (parse_ins_system(optarg, &o.r.ins)) {
				vusage_error("invalid --ins '%s' (test, nir or demo)", optarg);
				return VX_USAGE;
			}
			break;
		case 'h': usage(stdout); return VX_OK;
		default:
			fprintf(stderr, "Try 'santecard-vitale read --help' for more information.\n");
			return VX_USAGE;
		}
	}
	if (optind < argc) {
		vusage_error("unexpected argument '%s'", argv[optind]);
		return VX_USAGE;
	}
	if (formats > 1) {
		vusage_error("--json, --fhir and --hl7 exclude each other");
		return VX_USAGE;
	}
	rv = stc_ctx_new(&ctx);
	if (rv != STC_OK)
		return vfail(rv, "connecting to the PC/SC service");
	code = o.wait_ms >= 0 ? read_waiting(ctx, &o) : read_once(ctx, &o);
	stc_ctx_free(ctx);
	return code;
}
