/*
 * cps_token_tool.c - drive the token API on one reader for test_cps_token.sh:
 *   cps_token_tool READER STEP...
 * steps (run in order on one connection): objects, holder, pininfo, pukinfo,
 * read:LABEL:FILE, verify:PIN, change:OLD:NEW, unblock:PUK:NEW. One line of
 * output per step; exit status 1 if a step failed unexpectedly. Test PINs on
 * the command line: a test tool only.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "santecard.h"

static void hexs(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	out[2 * n] = '\0';
}

static int step(stc_token *tok, char *s)
{
	char *arg1 = strchr(s, ':'), *arg2 = NULL;
	stc_rv rv;

	if (arg1) {
		*arg1++ = '\0';
		arg2 = strchr(arg1, ':');
		if (arg2)
			*arg2++ = '\0';
	}
	if (!strcmp(s, "objects")) {
		const stc_object *o;
		size_t n;
		char id[129];

		rv = stc_token_objects(tok, &o, &n);
		if (rv != STC_OK) {
			printf("objects: %s\n", stc_rv_name(rv));
			return 1;
		}
		for (size_t i = 0; i < n; i++) {
			hexs(o[i].id, o[i].id_len, id);
			printf("object %u|%d|%s|%s|%s|%d|%u|%u\n", o[i].handle, (int)o[i].cls,
			       o[i].label, id, o[i].application, o[i].needs_pin, o[i].usage,
			       o[i].key_bits);
		}
		return 0;
	}
	if (!strcmp(s, "read") && arg1 && arg2) {
		const stc_object *o;
		size_t n;
		uint8_t *data = NULL;
		size_t len = 0;
		FILE *f;

		rv = stc_token_objects(tok, &o, &n);
		for (size_t i = 0; rv == STC_OK && i < n; i++)
			if (!strcmp(o[i].label, arg1)) {
				rv = stc_token_read_object(tok, o[i].handle, &data, &len);
				break;
			}
		printf("read %s: %s %zu\n", arg1, stc_rv_name(rv), len);
		if (rv != STC_OK)
			return 0;
		f = fopen(arg2, "wb");
		if (!f || fwrite(data, 1, len, f) != len)
			return 1;
		fclose(f);
		stc_free(data, len);
		return 0;
	}
	if (!strcmp(s, "holder")) {
		stc_cps_holder h;

		rv = stc_token_cps_holder(tok, &h);
		printf("holder: %s|%s|%s|%s|%s|%s\n", stc_rv_name(rv), h.national_id, h.id_type,
		       h.surname, h.given, h.profession);
		return 0;
	}
	if (!strcmp(s, "pininfo") || !strcmp(s, "pukinfo")) {
		stc_pin_info pi;

		rv = stc_token_pin_info(tok, s[1] == 'i' ? STC_PIN_USER : STC_PIN_PUK, &pi);
		if (rv != STC_OK)
			printf("%s: %s\n", s, stc_rv_name(rv));
		else
			printf("%s: tries %d/%d uses %d verified %d blocked %d len %u-%u\n", s,
			       pi.tries_left, pi.max_tries, pi.uses_left, pi.verified, pi.blocked,
			       pi.min_len, pi.max_len);
		return 0;
	}
	if (!strcmp(s, "verify") && arg1) {
		int t = -9;

		rv = stc_token_pin_verify(tok, arg1, strlen(arg1), &t);
		printf("verify: %s %d\n", stc_rv_name(rv), t);
		return 0;
	}
	if ((!strcmp(s, "change") || !strcmp(s, "unblock")) && arg1 && arg2) {
		int t = -9;

		rv = s[0] == 'c' ? stc_token_pin_change(tok, arg1, strlen(arg1), arg2, strlen(arg2), &t)
				 : stc_token_pin_unblock(tok, arg1, strlen(arg1), arg2, strlen(arg2), &t);
		printf("%s: %s %d\n", s, stc_rv_name(rv), t);
		return 0;
	}
	fprintf(stderr, "bad step '%s'\n", s);
	return 1;
}

int main(int argc, char **argv)
{
	stc_ctx *ctx;
	stc_card *card;
	stc_token *tok;
	stc_rv rv;
	int bad = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: cps_token_tool READER STEP...\n");
		return 2;
	}
	rv = stc_ctx_new(&ctx);
	if (rv == STC_OK)
		rv = stc_connect(ctx, argv[1], STC_SHARE_SHARED, &card);
	if (rv != STC_OK) {
		fprintf(stderr, "connect: %s\n", stc_rv_name(rv));
		return 1;
	}
	rv = stc_token_open(card, &tok);
	if (rv != STC_OK) {
		fprintf(stderr, "token: %s\n", stc_rv_name(rv));
		return 1;
	}
	for (int i = 2; i < argc; i++)
		bad |= step(tok, argv[i]);
	stc_token_close(tok);
	stc_disconnect(card, 0);
	stc_ctx_free(ctx);
	return bad;
}
