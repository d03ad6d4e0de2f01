/*
 * cmd_pin.c - `santecard pin status|verify|change|unblock`: the user PIN and the
 * PUK of a CPS.
 *
 * PINs come from the terminal with the echo off or from --pin-fd (pin_input.c),
 * never from argv or the environment; they are checked against the card's
 * bounds before anything is sent, never printed, and wiped on every path. One
 * command per run: the library never retries, neither does this.
 *
 * The card is left as it was found: when the user PIN was not verified before,
 * a successful verify, change or unblock ends with a card reset, so that the
 * verification does not stay open to other applications.
 */
#include "config.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pin_input.h"
#include "tool.h"

enum pin_sub { SUB_STATUS, SUB_VERIFY, SUB_CHANGE, SUB_UNBLOCK };

struct pin_opts {
	enum pin_sub sub;
	const char *reader;   /* NULL: the first reader with a card that has a PIN */
	int json;
	int pin_fd;           /* -1: the terminal (or the reader's keypad) */
	int keypad;           /* 1 --pinpad, 0 --no-pinpad, -1 when the reader has one */
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: santecard pin status [--reader NAME] [--json]\n"
		   "       santecard pin verify [--reader NAME] [--pin-fd N | --[no-]pinpad]\n"
		   "       santecard pin change [--reader NAME] [--pin-fd N | --[no-]pinpad]\n"
		   "       santecard pin unblock [--reader NAME] [--pin-fd N]\n\n"
		   "The user PIN and the PUK (unblocking code) of a CPS.\n\n"
		   "  status   tries left, verified, blocked; the PUK's tries and uses left\n"
		   "  verify   present the PIN (the card's counter goes back to the maximum)\n"
		   "  change   change the PIN: current PIN, new PIN, new PIN again\n"
		   "  unblock  set a new PIN with the PUK: PUK, new PIN, new PIN again\n\n"
		   "  -r, --reader NAME  the reader (default: the first card with a PIN)\n"
		   "  -j, --json         status: machine-readable output\n"
		   "      --pin-fd N     read the values from file descriptor N, one line\n"
		   "                     each, in the order above, without the \"again\"\n"
		   "                     line (for scripts); default: the reader's keypad\n"
		   "                     when it has one, else the terminal, no echo\n"
		   "      --pinpad       verify, change: type on the reader's keypad (fail\n"
		   "                     if it has none); --no-pinpad: use the terminal\n"
		   "  -h, --help         show this help\n\n"
		   "PINs are never taken from the command line or the environment.\n"
		   "Exit status: 0 done, 1 failed (or no card with a PIN), 2 bad command line\n"
		   "or unusable PIN input, 4 no pcscd, 5 wrong PIN/PUK, 6 PIN/PUK blocked\n"
		   "(a PIN entry cancelled or timed out on the keypad: 1).\n"
		   "Example: santecard pin verify --pin-fd 3 3<<<\"$PIN\"\n");
}

/* ------------------------------------------------------------ the card */

struct target {
	char reader[STC_READER_NAME_MAX];
	stc_card *card;
	stc_token *tok;
	stc_pin_info pin;
};

static void target_close(struct target *t, int reset)
{
	if (t->tok)
		stc_token_close(t->tok);
	if (t->card)
		stc_disconnect(t->card, reset);
	t->tok = NULL;
	t->card = NULL;
}

/*
 * Open the card in reader as a token and read its user PIN's state. 0 when it
 * has a PIN; otherwise the rv (STC_ERR_NOT_SUPPORTED: a card without PIN;
 * STC_ERR_CARD_UNSUPPORTED: not a card we know) with what (the description of
 * the card, "" if unknown) filled, and nothing left open.
 */
static stc_rv try_reader(stc_ctx *ctx, const char *reader, struct target *t, char *what,
			 size_t cap)
{
	stc_rv rv;

	memset(t, 0, sizeof(*t));
	what[0] = '\0';
	snprintf(t->reader, sizeof(t->reader), "%s", reader);
	rv = stc_connect(ctx, reader, STC_SHARE_SHARED, &t->card);
	if (rv != STC_OK) {
		t->card = NULL;
		return rv;
	}
	rv = stc_token_open(t->card, &t->tok);
	if (rv != STC_OK) {
		t->tok = NULL;
		target_close(t, 0);
		return rv;
	}
	snprintf(what, cap, "%s", stc_token_description(t->tok));
	rv = stc_token_pin_info(t->tok, STC_PIN_USER, &t->pin);
	if (rv != STC_OK)
		target_close(t, 0);
	return rv;
}

/* Find the card: the named reader, or the first reader holding a recognised card
 * with a PIN. EXIT_OK with t open, or an exit code after a message. */
static int find_target(stc_ctx *ctx, const char *reader, struct target *t)
{
	char what[96], first_what[96] = "", first_reader[STC_READER_NAME_MAX] = "";
	stc_reader_info *list;
	size_t n;
	stc_rv rv;
	int cards = 0;

	if (reader) {
		rv = try_reader(ctx, reader, t, what, sizeof(what));
		if (rv == STC_OK)
			return EXIT_OK;
		if (rv == STC_ERR_NOT_SUPPORTED) {
			fprintf(stderr, "%s: the card in '%s' (%s) has no PIN\n", tool_name, reader,
				what);
			return EXIT_ERROR;
		}
		if (rv == STC_ERR_CARD_UNSUPPORTED) {
			fprintf(stderr, "%s: the card in '%s' is not a card santecard knows\n",
				tool_name, reader);
			return EXIT_ERROR;
		}
		return tool_fail(rv, reader);
	}
	rv = stc_readers_list(ctx, &list, &n);
	if (rv != STC_OK)
		return tool_fail(rv, "listing readers");
	for (size_t i = 0; i < n; i++) {
		if (!list[i].card_present)
			continue;
		cards++;
		rv = try_reader(ctx, list[i].name, t, what, sizeof(what));
		if (rv == STC_OK) {
			stc_readers_free(list);
			return EXIT_OK;
		}
		if (!first_reader[0] && what[0]) {
			snprintf(first_reader, sizeof(first_reader), "%s", list[i].name);
			snprintf(first_what, sizeof(first_what), "%s", what);
		}
	}
	stc_readers_free(list);
	if (!n)
		return tool_fail(STC_ERR_NO_READERS, "finding a card");
	if (!cards)
		return tool_fail(STC_ERR_NO_CARD, "finding a card");
	if (first_reader[0])
		fprintf(stderr, "%s: no card with a PIN (the card in '%s' is a %s, which has "
			"none)\n", tool_name, first_reader, first_what);
	else
		fprintf(stderr, "%s: no card with a PIN\n", tool_name);
	return EXIT_ERROR;
}

/* ------------------------------------------------------------- status */

static void json_int(const char *name, int v)
{
	if (v < 0)
		printf("\"%s\":null", name);
	else
		printf("\"%s\":%d", name, v);
}

static void print_info_json(const stc_pin_info *p, int puk)
{
	printf("{");
	json_int("tries_left", p->tries_left);
	printf(",");
	json_int("max_tries", p->max_tries);
	if (puk) {
		printf(",");
		json_int("uses_left", p->uses_left);
	} else {
		printf(",\"verified\":%s", p->verified ? "true" : "false");
	}
	printf(",\"blocked\":%s,\"min_length\":%u,\"max_length\":%u}",
	       p->blocked ? "true" : "false", p->min_len, p->max_len);
}

static void print_info_human(const char *label, const stc_pin_info *p, int puk)
{
	printf("%-8s%s", label, p->blocked ? "blocked, " : "");
	if (p->tries_left < 0)
		printf("tries left unknown");
	else if (p->max_tries > 0)
		printf("%d of %d tr%s left", p->tries_left, p->max_tries,
		       p->max_tries == 1 ? "y" : "ies");
	else
		printf("%d tr%s left", p->tries_left, p->tries_left == 1 ? "y" : "ies");
	if (puk && p->uses_left >= 0)
		printf(", %d use%s left", p->uses_left, p->uses_left == 1 ? "" : "s");
	if (!puk)
		printf(", %s", p->verified ? "verified" : "not verified");
	printf(" (%u to %u digits)\n", p->min_len, p->max_len);
}

static int do_status(struct target *t, const struct pin_opts *o)
{
	stc_pin_info puk;
	stc_rv rv = stc_token_pin_info(t->tok, STC_PIN_PUK, &puk);
	int has_puk = rv == STC_OK;

	stc_pinpad_info pp = { 0, 0 };

	if (rv != STC_OK && rv != STC_ERR_NOT_SUPPORTED)
		return tool_fail(rv, "reading the PUK's state");
	(void)stc_card_pinpad(t->card, &pp);   /* a reader that cannot tell: no keypad */
	if (o->json) {
		printf("{\"reader\":");
		out_json_string(stdout, t->reader);
		printf(",\"card\":");
		out_json_string(stdout, stc_token_description(t->tok));
		printf(",\"pin\":");
		print_info_json(&t->pin, 0);
		if (has_puk) {
			printf(",\"puk\":");
			print_info_json(&puk, 1);
		}
		printf(",\"keypad\":{\"verify\":%s,\"change\":%s}}\n",
		       pp.verify ? "true" : "false", pp.modify ? "true" : "false");
		return EXIT_OK;
	}
	printf("Reader: %s\nCard:   %s\n", t->reader, stc_token_description(t->tok));
	print_info_human("PIN:", &t->pin, 0);
	if (has_puk)
		print_info_human("PUK:", &puk, 1);
	printf("Keypad: %s\n", pp.verify && pp.modify ? "yes (verify, change)" :
				pp.verify ? "yes (verify)" : "no");
	if (t->pin.blocked)
		printf("The PIN is blocked: unblock it with the PUK (santecard pin unblock).\n");
	return EXIT_OK;
}

/* ----------------------------------------------------- verify, change, unblock */

/* digits only, within the card's bounds (and what we can hold) */
static int acceptable(const char *s, size_t len, const stc_pin_info *p)
{
	if (len < p->min_len || len > p->max_len || len > PIN_INPUT_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static int bad_length(const char *what, const stc_pin_info *p)
{
	if (p->min_len == p->max_len)
		fprintf(stderr, "%s: %s must have %u digits\n", tool_name, what, p->min_len);
	else
		fprintf(stderr, "%s: %s must have between %u and %u digits\n", tool_name, what,
			p->min_len, p->max_len);
	return EXIT_USAGE;
}

/* Read one value into slot and check it; EXIT_OK or an exit code after a message. */
static int get_value(struct pin_source *src, struct pin_secrets *s, int slot,
		     const char *prompt, const char *what, const stc_pin_info *bounds)
{
	if (pin_read(src, prompt, what, s, slot) != 0)
		return EXIT_USAGE;
	if (!acceptable(s->value[slot], s->len[slot], bounds))
		return bad_length(what, bounds);
	return EXIT_OK;
}

static int same(const struct pin_secrets *s, int a, int b)
{
	unsigned char diff = 0;

	if (s->len[a] != s->len[b])
		return 0;
	for (size_t i = 0; i < s->len[a]; i++)
		diff |= (unsigned char)(s->value[a][i] ^ s->value[b][i]);
	return diff == 0;
}

static void tries_msg(const char *what, int left)
{
	if (left < 0)
		fprintf(stderr, "%s: wrong %s\n", tool_name, what);
	else
		fprintf(stderr, "%s: wrong %s, %d tr%s left\n", tool_name, what, left,
			left == 1 ? "y" : "ies");
}

/* The exit code for what the card said; puk: the code checked was the PUK. */
static int report(stc_rv rv, int left, int puk, const stc_pin_info *bounds,
		  const char *doing)
{
	if (rv == STC_ERR_PIN_INCORRECT) {
		tries_msg(puk ? "PUK" : "PIN", left);
		if (left != 0)
			return EXIT_PIN_INCORRECT;
		rv = STC_ERR_PIN_BLOCKED;       /* that was the last try */
	}
	switch (rv) {
	case STC_OK:
		return EXIT_OK;
	case STC_ERR_PIN_BLOCKED:
		if (puk)
			fprintf(stderr, "%s: PUK blocked: the PIN can no longer be unblocked\n",
				tool_name);
		else
			fprintf(stderr, "%s: PIN blocked: unblock it with the PUK "
				"(santecard pin unblock)\n", tool_name);
		return EXIT_PIN_BLOCKED;
	case STC_ERR_INVALID_ARGS:
		/* the library's own check of the lengths (ours ran first) */
		return bad_length("the PIN", bounds);
	default:
		return tool_fail(rv, doing);
	}
}

static int do_secret(struct target *t, const struct pin_opts *o, struct pin_source *src,
		     struct pin_secrets *s)
{
	int tty = src->tty, left = -1, code;
	stc_pin_info puk;
	stc_rv rv;

	switch (o->sub) {
	case SUB_VERIFY:
		code = get_value(src, s, PIN_SLOT_1, "PIN: ", "the PIN", &t->pin);
		if (code != EXIT_OK)
			return code;
		rv = stc_token_pin_verify(t->tok, s->value[PIN_SLOT_1], s->len[PIN_SLOT_1], &left);
		code = report(rv, left, 0, &t->pin, "verifying the PIN");
		if (code == EXIT_OK)
			printf("PIN verified.\n");
		return code;
	case SUB_CHANGE:
		code = get_value(src, s, PIN_SLOT_1, "Current PIN: ", "the current PIN", &t->pin);
		if (code == EXIT_OK)
			code = get_value(src, s, PIN_SLOT_2, "New PIN: ", "the new PIN", &t->pin);
		if (code == EXIT_OK && tty &&
		    pin_read(src, "New PIN again: ", "the new PIN again", s, PIN_SLOT_3) != 0)
			code = EXIT_USAGE;
		if (code == EXIT_OK && tty && !same(s, PIN_SLOT_2, PIN_SLOT_3)) {
			fprintf(stderr, "%s: the new PINs do not match; nothing was changed\n",
				tool_name);
			code = EXIT_USAGE;
		}
		if (code != EXIT_OK)
			return code;
		rv = stc_token_pin_change(t->tok, s->value[PIN_SLOT_1], s->len[PIN_SLOT_1],
					  s->value[PIN_SLOT_2], s->len[PIN_SLOT_2], &left);
		code = report(rv, left, 0, &t->pin, "changing the PIN");
		if (code == EXIT_OK)
			printf("PIN changed.\n");
		return code;
	case SUB_UNBLOCK:
		rv = stc_token_pin_info(t->tok, STC_PIN_PUK, &puk);
		if (rv == STC_ERR_NOT_SUPPORTED) {
			fprintf(stderr, "%s: this card has no PUK\n", tool_name);
			return EXIT_ERROR;
		}
		if (rv != STC_OK)
			return tool_fail(rv, "reading the PUK's state");
		if (puk.blocked)
			return report(STC_ERR_PIN_BLOCKED, 0, 1, &puk, "unblocking the PIN");
		code = get_value(src, s, PIN_SLOT_1, "PUK: ", "the PUK", &puk);
		if (code == EXIT_OK)
			code = get_value(src, s, PIN_SLOT_2, "New PIN: ", "the new PIN", &t->pin);
		if (code == EXIT_OK && tty &&
		    pin_read(src, "New PIN again: ", "the new PIN again", s, PIN_SLOT_3) != 0)
			code = EXIT_USAGE;
		if (code == EXIT_OK && tty && !same(s, PIN_SLOT_2, PIN_SLOT_3)) {
			fprintf(stderr, "%s: the new PINs do not match; nothing was changed\n",
				tool_name);
			code = EXIT_USAGE;
		}
		if (code != EXIT_OK)
			return code;
		rv = stc_token_pin_unblock(t->tok, s->value[PIN_SLOT_1], s->len[PIN_SLOT_1],
					   s->value[PIN_SLOT_2], s->len[PIN_SLOT_2], &left);
		code = report(rv, left, 1, &t->pin, "unblocking the PIN");
		if (code != EXIT_OK)
			return code;
		if (stc_token_pin_info(t->tok, STC_PIN_PUK, &puk) == STC_OK && puk.uses_left >= 0)
			printf("PIN unblocked, new PIN set (the PUK has %d use%s left).\n",
			       puk.uses_left, puk.uses_left == 1 ? "" : "s");
		else
			printf("PIN unblocked, new PIN set.\n");
		return EXIT_OK;
	case SUB_STATUS:
		break;
	}
	return EXIT_ERROR;
}

/* ------------------------------------------------------------ the keypad */

/* do_keypad: the keypad cannot do it for this card, and it was not asked for */
#define KEYPAD_FALLBACK (-100)

/* 1: type on the reader's keypad, 0: not, -1: asked for and there is none. */
static int use_keypad(struct target *t, const struct pin_opts *o)
{
	stc_pinpad_info pi = { 0, 0 };
	stc_rv rv;
	int has;

	if (o->keypad == 0 || o->pin_fd >= 0)
		return 0;
	rv = stc_card_pinpad(t->card, &pi);
	has = rv == STC_OK && (o->sub == SUB_VERIFY ? pi.verify : pi.modify);
	if (!has && o->keypad == 1) {
		fprintf(stderr, "%s: the reader '%s' has no keypad for this%s%s\n", tool_name,
			t->reader, rv == STC_OK ? "" : ": ", rv == STC_OK ? "" : stc_strerror(rv));
		return -1;
	}
	return has;
}

static int do_keypad(struct target *t, const struct pin_opts *o)
{
	int left = -1, code;
	stc_rv rv;

	if (o->sub == SUB_VERIFY) {
		printf("Type the PIN on the reader's keypad, then OK.\n");
		fflush(stdout);
		rv = stc_token_pin_verify_pinpad(t->tok, &left);
	} else {
		printf("On the reader's keypad: the current PIN, the new PIN, the new PIN again.\n");
		fflush(stdout);
		rv = stc_token_pin_change_pinpad(t->tok, &left);
	}
	if (rv == STC_ERR_NOT_SUPPORTED && o->keypad < 0)
		return KEYPAD_FALLBACK;
	if (rv == STC_ERR_NOT_SUPPORTED) {
		fprintf(stderr, "%s: the keypad cannot %s this card's PIN (its PKCS#15 entry has "
			"no fixed PIN block): use --no-pinpad\n", tool_name,
			o->sub == SUB_VERIFY ? "verify" : "change");
		return EXIT_ERROR;
	}
	if (rv == STC_ERR_CANCELLED || rv == STC_ERR_TIMEOUT) {
		fprintf(stderr, "%s: PIN entry %s on the keypad; nothing was sent to the card\n",
			tool_name, rv == STC_ERR_CANCELLED ? "cancelled" : "timed out");
		return EXIT_ERROR;
	}
	if (rv == STC_ERR_INVALID_ARGS) {
		fprintf(stderr, "%s: the reader refused the entry (%s, or the new PINs differ)\n",
			tool_name, "wrong length");
		return EXIT_USAGE;
	}
	code = report(rv, left, 0, &t->pin,
		      o->sub == SUB_VERIFY ? "verifying the PIN" : "changing the PIN");
	if (code == EXIT_OK)
		printf(o->sub == SUB_VERIFY ? "PIN verified.\n" : "PIN changed.\n");
	return code;
}

/* ------------------------------------------------------------ command line */

static int parse_fd(const char *s, int *fd)
{
	char *end;
	long v;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	v = strtol(s, &end, 10);
	if (*end || v < 0 || v > INT_MAX)
		return -1;
	*fd = (int)v;
	return 0;
}

int cmd_pin(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "reader", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "pin-fd", required_argument, NULL, 'F' },
		{ "pinpad", no_argument, NULL, 'P' },
		{ "no-pinpad", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const subs[] = { "status", "verify", "change", "unblock" };
	struct pin_opts o = { .pin_fd = -1, .keypad = -1 };
	struct pin_source src = { .fd = -1, .pin_fd = -1 };
	struct pin_secrets *secrets = NULL;
	struct target t = { .card = NULL };
	stc_ctx *ctx = NULL;
	stc_rv rv;
	int c, code, found = 0, was_verified;

	tool_name = "santecard pin";
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return EXIT_OK;
	}
	if (argc < 2 || argv[1][0] == '-') {
		tool_usage_error("status, verify, change or unblock expected");
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (!strcmp(argv[1], subs[i])) {
			o.sub = (enum pin_sub)i;
			found = 1;
		}
	if (!found) {
		/* not repeated, in case it is a PIN */
		tool_usage_error("unknown subcommand: status, verify, change or unblock expected");
		return EXIT_USAGE;
	}
	argc--;
	argv++;
	opterr = 0;     /* getopt's messages would repeat the argument: it may be a PIN */
	while ((c = getopt_long(argc, argv, "r:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': o.reader = optarg; break;
		case 'j': o.json = 1; break;
		case 'F':
			if (parse_fd(optarg, &o.pin_fd)) {
				tool_usage_error("invalid --pin-fd '%s' (a file descriptor number)",
						 optarg);
				return EXIT_USAGE;
			}
			break;
		case 'P': o.keypad = 1; break;
		case 'N': o.keypad = 0; break;
		case 'h': usage(stdout); return EXIT_OK;
		default:
			tool_usage_error("unknown option, or an option without its value");
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		/* not repeated: it may be a PIN given where it must not be */
		tool_usage_error("unexpected argument (PINs are never taken from the "
				 "command line)");
		return EXIT_USAGE;
	}
	if (o.sub == SUB_STATUS && o.pin_fd >= 0) {
		tool_usage_error("--pin-fd goes with verify, change and unblock");
		return EXIT_USAGE;
	}
	if (o.keypad == 1 && (o.pin_fd >= 0 || (o.sub != SUB_VERIFY && o.sub != SUB_CHANGE))) {
		tool_usage_error("--pinpad goes with verify and change, without --pin-fd");
		return EXIT_USAGE;
	}
	if (o.sub != SUB_STATUS && o.json) {
		tool_usage_error("--json goes with status");
		return EXIT_USAGE;
	}
	/* an unusable --pin-fd is a usage error, found before the card is touched */
	if (o.sub != SUB_STATUS && o.pin_fd >= 0) {
		if (pin_source_open(&src, o.pin_fd) != 0)
			return EXIT_USAGE;
	}

	rv = stc_ctx_new(&ctx);
	if (rv != STC_OK) {
		code = tool_fail(rv, "connecting to the PC/SC service");
		ctx = NULL;
		goto out;
	}
	code = find_target(ctx, o.reader, &t);
	if (code != EXIT_OK)
		goto out;
	if (o.sub == SUB_STATUS) {
		code = do_status(&t, &o);
		target_close(&t, 0);
		goto out;
	}
	/* a blocked PIN: say so before asking for it (unblock needs the PUK only) */
	if (t.pin.blocked && o.sub != SUB_UNBLOCK) {
		code = report(STC_ERR_PIN_BLOCKED, 0, 0, &t.pin, "checking the PIN");
		target_close(&t, 0);
		goto out;
	}
	was_verified = t.pin.verified;
	if (o.sub == SUB_VERIFY || o.sub == SUB_CHANGE) {
		int k = use_keypad(&t, &o);

		if (k < 0) {
			code = EXIT_ERROR;
			target_close(&t, 0);
			goto out;
		}
		if (k) {
			code = do_keypad(&t, &o);
			if (code != KEYPAD_FALLBACK) {
				target_close(&t, code == EXIT_OK && !was_verified);
				goto out;
			}
			printf("The reader's keypad cannot do this for this card: type the PINs here.\n");
		}
	}
	secrets = pin_secrets_acquire();
	if (o.pin_fd < 0 && pin_source_open(&src, -1) != 0) {
		code = EXIT_USAGE;
		target_close(&t, 0);
		goto out;
	}
	code = do_secret(&t, &o, &src, secrets);
	pin_source_close(&src);
	pin_secrets_release();
	secrets = NULL;
	/* leave no verification behind that was not there before */
	target_close(&t, code == EXIT_OK && !was_verified);
out:
	if (secrets)
		pin_secrets_release();
	if (src.fd >= 0 || src.tty)
		pin_source_close(&src);
	if (ctx)
		stc_ctx_free(ctx);
	return code;
}
