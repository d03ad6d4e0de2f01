/* cmd_apdu.c - `santecard apdu`: send APDUs to a card and show the answers. */
#include "config.h"

#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

struct apdu_opts {
	const char *reader;
	int raw;
	int json;
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: santecard apdu [--reader NAME] [--raw] [--json] APDU...\n\n"
		   "Send each APDU (hexadecimal, spaces or colons allowed inside one argument)\n"
		   "to the card, in one transaction, and print the answers.\n\n"
		   "  -r, --reader NAME  the reader (default: the first one with a card)\n"
		   "      --raw          send the bytes as they are: no GET RESPONSE after 61xx,\n"
		   "                     no repeat after 6Cxx (what a protocol trace shows)\n"
		   "  -j, --json         one JSON object per APDU\n"
		   "  -h, --help         show this help\n\n"
		   "Without --raw the command is sent in the form the connection needs (T=0\n"
		   "TPDUs, chaining) and the whole answer is collected.\n");
}

/* "00 A4:04" -> bytes. Returns the length, or 0 on a malformed string. */
static size_t parse_hex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int half = -1;

	for (; *s; s++) {
		int v;

		if (*s == ' ' || *s == ':')
			continue;
		if (!isxdigit((unsigned char)*s))
			return 0;
		v = isdigit((unsigned char)*s) ? *s - '0' : (tolower((unsigned char)*s) - 'a' + 10);
		if (half < 0) {
			half = v;
			continue;
		}
		if (n == cap)
			return 0;
		out[n++] = (uint8_t)(half << 4 | v);
		half = -1;
	}
	return half < 0 ? n : 0;
}

static void show(const struct apdu_opts *o, const uint8_t *cmd, size_t cmd_len,
		 const uint8_t *data, size_t len, uint16_t sw)
{
	uint8_t swb[2] = { (uint8_t)(sw >> 8), (uint8_t)sw };

	if (o->json) {
		printf("{\"command\":");
		out_json_hex(stdout, cmd, cmd_len);
		printf(",\"response\":");
		out_json_hex(stdout, data, len);
		printf(",\"sw\":\"%04X\",\"meaning\":", sw);
		out_json_string(stdout, stc_sw_text(sw));
		printf("}\n");
		return;
	}
	printf("> ");
	out_hex(stdout, cmd, cmd_len, " ");
	printf("\n< ");
	if (len) {
		out_hex(stdout, data, len, " ");
		printf(" ");
	}
	out_hex(stdout, swb, 2, " ");
	printf("  (%s)\n", stc_sw_text(sw));
}

static int send_one(stc_card *card, const struct apdu_opts *o, const char *arg)
{
	static uint8_t cmd[STC_APDU_MAX_CMD], resp[STC_APDU_MAX_RESP];
	size_t cmd_len = parse_hex(arg, cmd, sizeof(cmd)), len = sizeof(resp);
	uint16_t sw;
	stc_apdu a;
	stc_rv rv;

	if (cmd_len < 4) {
		fprintf(stderr, "%s: '%s' is not an APDU (at least 4 hexadecimal bytes)\n",
			tool_name, arg);
		return EXIT_USAGE;
	}
	if (o->raw) {
		rv = stc_transmit_raw(card, cmd, cmd_len, resp, &len);
		if (rv == STC_OK && len < 2)
			rv = STC_ERR_PROTOCOL;
		if (rv == STC_OK) {
			sw = (uint16_t)(resp[len - 2] << 8 | resp[len - 1]);
			len -= 2;
		}
	} else {
		rv = stc_apdu_decode(cmd, cmd_len, &a);
		if (rv != STC_OK) {
			fprintf(stderr, "%s: '%s': inconsistent lengths (use --raw to send it anyway)\n",
				tool_name, arg);
			return EXIT_USAGE;
		}
		rv = stc_transmit(card, &a, resp, sizeof(resp), &len, &sw);
	}
	if (rv != STC_OK)
		return tool_fail(rv, "transmit");
	show(o, cmd, cmd_len, resp, len, sw);
	return EXIT_OK;
}

static stc_rv first_reader_with_card(stc_ctx *ctx, char *name, size_t cap)
{
	stc_reader_info *list;
	size_t n;
	stc_rv rv = stc_readers_list(ctx, &list, &n);

	if (rv != STC_OK)
		return rv;
	rv = n ? STC_ERR_NO_CARD : STC_ERR_NO_READERS;
	for (size_t i = 0; i < n; i++)
		if (list[i].card_present) {
			snprintf(name, cap, "%s", list[i].name);
			rv = STC_OK;
			break;
		}
	stc_readers_free(list);
	return rv;
}

int cmd_apdu(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "reader", required_argument, NULL, 'r' },
		{ "raw", no_argument, NULL, 'R' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct apdu_opts o = { 0 };
	char reader[STC_READER_NAME_MAX];
	stc_ctx *ctx;
	stc_card *card;
	stc_rv rv;
	int c, code = EXIT_OK;

	tool_name = "santecard apdu";
	while ((c = getopt_long(argc, argv, "r:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': o.reader = optarg; break;
		case 'R': o.raw = 1; break;
		case 'j': o.json = 1; break;
		case 'h': usage(stdout); return EXIT_OK;
		default:
			fprintf(stderr, "Try 'santecard apdu --help' for more information.\n");
			return EXIT_USAGE;
		}
	}
	if (optind == argc) {
		tool_usage_error("no APDU given");
		return EXIT_USAGE;
	}
	rv = stc_ctx_new(&ctx);
	if (rv != STC_OK)
		return tool_fail(rv, "connecting to the PC/SC service");
	if (o.reader)
		snprintf(reader, sizeof(reader), "%s", o.reader);
	else if ((rv = first_reader_with_card(ctx, reader, sizeof(reader))) != STC_OK) {
		code = tool_fail(rv, "finding a card");
		goto out;
	}
	rv = stc_connect(ctx, reader, STC_SHARE_SHARED, &card);
	if (rv != STC_OK) {
		code = tool_fail(rv, reader);
		goto out;
	}
	rv = stc_begin(card);
	if (rv != STC_OK)
		code = tool_fail(rv, "starting a transaction");
	for (int i = optind; i < argc && code == EXIT_OK; i++)
		code = send_one(card, &o, argv[i]);
	if (rv == STC_OK)
		(void)stc_end(card);
	stc_disconnect(card, 0);
out:
	stc_ctx_free(ctx);
	return code;
}
