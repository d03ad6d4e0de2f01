/* cmd_status.c - `santecard status`: readers, cards, ATRs; --wait for events. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

struct status_opts {
	int json;
	int wait;
	int follow;
	long timeout_ms;       /* -1 = forever */
	const char *reader;    /* only this reader, or NULL */
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: santecard status [--json] [--reader NAME]\n"
		   "       santecard status --wait [--follow] [--timeout SECONDS] [--json]\n\n"
		   "Show the smart card readers, whether a card is present, and its ATR decoded.\n\n"
		   "  -j, --json            machine-readable output (schema in santecard(1))\n"
		   "  -r, --reader NAME     only this reader\n"
		   "  -w, --wait            block until a reader or card event, print it, exit\n"
		   "  -f, --follow          with --wait: keep printing events until interrupted\n"
		   "  -t, --timeout SECONDS with --wait: give up after SECONDS (exit code 3)\n"
		   "  -h, --help            show this help\n");
}

static void print_atr_human(const uint8_t *atr, size_t len)
{
	stc_atr a;
	char desc[160];
	stc_rv rv = stc_atr_parse(atr, len, &a);

	printf("  ATR:    ");
	out_hex(stdout, atr, len, " ");
	printf("\n");
	if (stc_atr_describe(&a, desc, sizeof(desc)) == STC_OK)
		printf("          %s%s\n", desc, rv == STC_OK ? "" : " (malformed ATR)");
	else
		printf("          malformed ATR\n");
	if (a.hist_len) {
		printf("          historical bytes: ");
		out_hex(stdout, a.hist, a.hist_len, " ");
		printf("\n");
	}
}

static void print_atr_json(const uint8_t *atr, size_t len)
{
	stc_atr a;
	stc_rv rv = stc_atr_parse(atr, len, &a);

	printf(",\"atr\":");
	out_json_hex(stdout, atr, len);
	printf(",\"atr_info\":{\"valid\":%s,\"convention\":\"%s\",\"protocols\":[",
	       rv == STC_OK ? "true" : "false", a.inverse ? "inverse" : "direct");
	if (a.protocols & STC_PROTO_T0)
		printf("\"T=0\"%s", a.protocols & STC_PROTO_T1 ? "," : "");
	if (a.protocols & STC_PROTO_T1)
		printf("\"T=1\"");
	printf("],\"fi\":%u,\"di\":%u,\"fmax_khz\":%u,\"historical_bytes\":", a.fi, a.di,
	       a.fmax_khz);
	out_json_hex(stdout, a.hist, a.hist_len);
	printf("}");
}

/* What the token layer can tell about a recognised card without a PIN.
 * Vitale: personal data stays on the card, only counts are shown. CPS: the
 * holder as the (public) authentication certificate names them, and the PIN
 * tries left. */
struct card_details {
	int recognised;
	char description[96];
	long beneficiaries;          /* Vitale: -1 when not read */
	int has_holder;              /* CPS */
	stc_cps_holder holder;
	int has_pin;                 /* CPS (contact) */
	int pin_tries;
	int pin_blocked;
	stc_rv error;                /* reading failed */
};

static void read_cps(stc_token *tok, struct card_details *d)
{
	stc_pin_info pi;
	stc_rv rv = stc_token_cps_holder(tok, &d->holder);

	if (rv == STC_OK)
		d->has_holder = 1;
	else
		d->error = rv;
	rv = stc_token_pin_info(tok, STC_PIN_USER, &pi);
	if (rv == STC_OK) {
		d->has_pin = 1;
		d->pin_tries = pi.tries_left;
		d->pin_blocked = pi.blocked;
	} else if (rv != STC_ERR_NOT_SUPPORTED && !d->error) {
		d->error = rv;
	}
}

static void read_details(stc_ctx *ctx, const char *reader, struct card_details *d)
{
	stc_card *card;
	stc_token *tok;
	stc_rv rv;

	memset(d, 0, sizeof(*d));
	d->beneficiaries = -1;
	rv = stc_connect(ctx, reader, STC_SHARE_SHARED, &card);
	if (rv != STC_OK) {
		d->error = rv;
		return;
	}
	rv = stc_token_open(card, &tok);
	if (rv == STC_OK) {
		d->recognised = 1;
		snprintf(d->description, sizeof(d->description), "%s", stc_token_description(tok));
		if (stc_token_kind(tok) == STC_CARD_VITALE2) {
			stc_beneficiary b[STC_VITALE_MAX_BENEFICIARIES];
			size_t n;

			rv = stc_token_vitale_read(tok, b, STC_VITALE_MAX_BENEFICIARIES, &n);
			if (rv == STC_OK)
				d->beneficiaries = (long)n;
			else
				d->error = rv;
			memset(b, 0, sizeof(b));
		} else if (stc_token_kind(tok) == STC_CARD_CPS3 ||
			   stc_token_kind(tok) == STC_CARD_CPS3_CL) {
			read_cps(tok, d);
		}
		stc_token_close(tok);
	} else if (rv != STC_ERR_CARD_UNSUPPORTED) {
		d->error = rv;
	}
	stc_disconnect(card, 0);
}

static void print_details_human(const struct card_details *d)
{
	if (d->beneficiaries >= 0)
		printf("  Vitale: %ld beneficiar%s\n", d->beneficiaries,
		       d->beneficiaries == 1 ? "y" : "ies");
	if (d->has_holder) {
		printf("  Holder: %s %s, %s\n", d->holder.given, d->holder.surname,
		       d->holder.profession);
		printf("  Id:     %s%s%s%s\n", d->holder.national_id, d->holder.id_type[0] ? " (" : "",
		       d->holder.id_type, d->holder.id_type[0] ? ")" : "");
	}
	if (d->has_pin) {
		if (d->pin_blocked)
			printf("  PIN:    blocked\n");
		else
			printf("  PIN:    %d tries left\n", d->pin_tries);
	}
	if (d->error)
		printf("  Error:  %s\n", stc_strerror(d->error));
}

static void print_details_json(const struct card_details *d)
{
	printf(",\"recognised\":%s", d->recognised ? "true" : "false");
	if (d->beneficiaries >= 0)
		printf(",\"beneficiaries\":%ld", d->beneficiaries);
	if (d->has_holder) {
		printf(",\"holder\":{\"national_id\":");
		out_json_string(stdout, d->holder.national_id);
		printf(",\"id_type\":");
		out_json_string(stdout, d->holder.id_type);
		printf(",\"surname\":");
		out_json_string(stdout, d->holder.surname);
		printf(",\"given\":");
		out_json_string(stdout, d->holder.given);
		printf(",\"profession\":");
		out_json_string(stdout, d->holder.profession);
		printf("}");
	}
	if (d->has_pin)
		printf(",\"pin\":{\"tries_left\":%d,\"blocked\":%s}", d->pin_tries,
		       d->pin_blocked ? "true" : "false");
	if (d->error) {
		printf(",\"error\":\"%s\",\"error_text\":", stc_rv_name(d->error));
		out_json_string(stdout, stc_strerror(d->error));
	}
}

static void print_reader(stc_ctx *ctx, const stc_reader_info *r, size_t idx, int json)
{
	struct card_details d = { .beneficiaries = -1 };

	if (json) {
		printf("%s{\"name\":", idx ? "," : "");
		out_json_string(stdout, r->name);
		printf(",\"card_present\":%s,\"card_in_use\":%s,\"card_mute\":%s",
		       r->card_present ? "true" : "false", r->card_in_use ? "true" : "false",
		       r->card_mute ? "true" : "false");
		if (r->card_present && r->atr_len) {
			const char *name;
			stc_card_kind kind;

			stc_atr_identify(r->atr, r->atr_len, &kind, &name);
			read_details(ctx, r->name, &d);
			printf(",\"card_type\":\"%s\",\"card_name\":", stc_card_kind_id(kind));
			out_json_string(stdout, d.recognised ? d.description : name);
			print_details_json(&d);
			print_atr_json(r->atr, r->atr_len);
		}
		printf("}");
		return;
	}
	printf("Reader %zu: %s\n", idx, r->name);
	if (!r->card_present) {
		printf("  Card:   absent\n");
		return;
	}
	printf("  Card:   present%s%s\n", r->card_in_use ? ", in exclusive use" : "",
	       r->card_mute ? ", mute (no ATR)" : "");
	if (r->atr_len) {
		const char *name;
		stc_card_kind kind;

		stc_atr_identify(r->atr, r->atr_len, &kind, &name);
		read_details(ctx, r->name, &d);
		printf("  Type:   %s\n", d.recognised ? d.description : name);
		print_details_human(&d);
		print_atr_human(r->atr, r->atr_len);
	}
}

static int show(stc_ctx *ctx, const struct status_opts *o)
{
	stc_reader_info *list;
	size_t n, shown = 0;
	stc_rv rv = stc_readers_list(ctx, &list, &n);

	if (rv != STC_OK)
		return tool_fail(rv, "listing readers");
	if (o->json)
		printf("{\"readers\":[");
	for (size_t i = 0; i < n; i++) {
		if (o->reader && strcmp(o->reader, list[i].name) != 0)
			continue;
		print_reader(ctx, &list[i], o->json ? shown : i, o->json);
		shown++;
	}
	if (o->json)
		printf("]}\n");
	else if (!n)
		printf("No smart card reader found.\n");
	stc_readers_free(list);
	if (o->reader && !shown) {
		fprintf(stderr, "%s: no reader named '%s'\n", tool_name, o->reader);
		return EXIT_ERROR;
	}
	return EXIT_OK;
}

static void print_event(const stc_event *ev, int json)
{
	if (json) {
		printf("{\"event\":\"%s\"", stc_event_name(ev->kind));
		if (ev->reader[0]) {
			printf(",\"reader\":");
			out_json_string(stdout, ev->reader);
		}
		if (ev->atr_len) {
			printf(",\"atr\":");
			out_json_hex(stdout, ev->atr, ev->atr_len);
		}
		printf("}\n");
	} else {
		printf("%s", stc_event_name(ev->kind));
		if (ev->reader[0])
			printf(": %s", ev->reader);
		if (ev->atr_len) {
			printf(" (ATR ");
			out_hex(stdout, ev->atr, ev->atr_len, " ");
			printf(")");
		}
		printf("\n");
	}
	fflush(stdout);
}

static int wait_events(stc_ctx *ctx, const struct status_opts *o)
{
	for (;;) {
		stc_event ev;
		stc_rv rv = stc_wait_event(ctx, o->timeout_ms, &ev);

		if (rv == STC_ERR_TIMEOUT) {
			fprintf(stderr, "%s: no event within the timeout\n", tool_name);
			return EXIT_TIMEOUT;
		}
		if (rv != STC_OK)
			return tool_fail(rv, "waiting for events");
		if (o->reader && ev.reader[0] && strcmp(o->reader, ev.reader) != 0)
			continue;
		print_event(&ev, o->json);
		if (!o->follow)
			return EXIT_OK;
	}
}

static int parse_timeout(const char *s, long *ms)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || v < 0 || v > 86400.0 * 365)
		return -1;
	*ms = (long)(v * 1000.0);
	return 0;
}

int cmd_status(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "reader", required_argument, NULL, 'r' },
		{ "wait", no_argument, NULL, 'w' },
		{ "follow", no_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct status_opts o = { .timeout_ms = -1 };
	stc_ctx *ctx;
	stc_rv rv;
	int c, code;

	tool_name = "santecard status";
	while ((c = getopt_long(argc, argv, "jr:wft:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': o.json = 1; break;
		case 'r': o.reader = optarg; break;
		case 'w': o.wait = 1; break;
		case 'f': o.follow = 1; break;
		case 't':
			if (parse_timeout(optarg, &o.timeout_ms)) {
				tool_usage_error("invalid timeout '%s' (seconds expected)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h': usage(stdout); return EXIT_OK;
		default:
			fprintf(stderr, "Try 'santecard status --help' for more information.\n");
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		tool_usage_error("unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if ((o.follow || o.timeout_ms >= 0) && !o.wait) {
		tool_usage_error("--follow and --timeout go with --wait");
		return EXIT_USAGE;
	}
	rv = stc_ctx_new(&ctx);
	if (rv != STC_OK)
		return tool_fail(rv, "connecting to the PC/SC service");
	code = o.wait ? wait_events(ctx, &o) : show(ctx, &o);
	stc_ctx_free(ctx);
	return code;
}
