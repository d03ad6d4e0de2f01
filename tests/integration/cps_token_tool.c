/*
 * cps_token_tool.c - drive the token API on one reader for test_cps_token.sh:
 *   cps_token_tool READER STEP...
 * steps (run in order on one connection): objects, holder, pininfo, pukinfo,
 * read:LABEL:FILE, verify:PIN, change:OLD:NEW, unblock:PUK:NEW,
 * sign:LABEL:HASH:IN:OUT (HASH none|sha1|sha256; IN the data, OUT the
 * signature), msign:LABEL:HASH:IN:OUT:CHUNK (stc_token_sign_init, updates of
 * CHUNK bytes, final), decipher:LABEL:IN:OUT, random:N, cps2ter (the CPS2ter
 * volet's list; read: finds those labels too), keypad (the reader's pinpad
 * features), kverify and kchange (PIN on the keypad). One line of output per
 * step; exit status 1 if a step failed unexpectedly. Test PINs on the command
 * line: a test tool only.
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

static unsigned key_handle(stc_token *tok, const char *label)
{
	const stc_object *o;
	size_t n;

	if (stc_token_objects(tok, &o, &n) != STC_OK)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(o[i].label, label))
			return o[i].handle;
	return 0;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b = malloc(1 << 20);
	size_t n = 0;

	if (!f || !b) {
		if (f)
			fclose(f);
		free(b);
		return NULL;
	}
	n = fread(b, 1, 1 << 20, f);
	fclose(f);
	*len = n;
	return b;
}

static int spit(const char *path, const uint8_t *b, size_t n)
{
	FILE *f = fopen(path, "wb");
	int ok = f && fwrite(b, 1, n, f) == n;

	if (f && fclose(f))
		ok = 0;
	return ok ? 0 : 1;
}

static stc_hash hash_of(const char *s)
{
	return !strcmp(s, "sha1") ? STC_HASH_SHA1 : !strcmp(s, "sha256") ? STC_HASH_SHA256 :
	       STC_HASH_NONE;
}

/* sign, msign, decipher, random: a[] holds the ':'-separated arguments. */
static int key_step(stc_token *tok, const char *s, char **a, int na)
{
	uint8_t out[1024], *in = NULL;
	size_t in_len = 0, out_len = sizeof(out);
	stc_rv rv;
	int ret = 0;

	if (!strcmp(s, "random") && na == 1) {
		size_t n = strtoul(a[0], NULL, 10);
		char h[2049];

		if (n > 1024)
			return 1;
		rv = stc_token_random(tok, out, n);
		hexs(out, rv == STC_OK ? n : 0, h);
		printf("random: %s %s\n", stc_rv_name(rv), h);
		return 0;
	}
	if (((!strcmp(s, "sign") && na == 4) || (!strcmp(s, "msign") && na == 5) ||
	     (!strcmp(s, "decipher") && na == 3))) {
		const char *outp = a[na == 3 ? 2 : 3];
		unsigned key = key_handle(tok, a[0]);

		in = slurp(a[na == 3 ? 1 : 2], &in_len);
		if (!in)
			return 1;
		if (s[0] == 'd') {
			rv = stc_token_decipher(tok, key, in, in_len, out, &out_len);
		} else if (s[0] == 's') {
			rv = stc_token_sign(tok, key, hash_of(a[1]), in, in_len, out, &out_len);
		} else {
			size_t chunk = strtoul(a[4], NULL, 10);
			stc_sign_op *op = NULL;

			rv = stc_token_sign_init(tok, key, hash_of(a[1]), &op);
			for (size_t off = 0; rv == STC_OK && off < in_len; off += chunk) {
				size_t k = in_len - off < chunk ? in_len - off : chunk;

				rv = stc_sign_update(op, in + off, k);
			}
			if (op && rv == STC_OK)
				rv = stc_sign_final(op, out, &out_len);
			else if (op)
				stc_sign_abort(op);
		}
		printf("%s %s: %s %zu\n", s, a[0], stc_rv_name(rv), rv == STC_OK ? out_len : 0);
		if (rv == STC_OK)
			ret = spit(outp, out, out_len);
		free(in);
		return ret;
	}
	return -1;
}

static int step_old(stc_token *tok, char *s);

static int step(stc_token *tok, char *s)
{
	char *a[6];
	int na = 0;

	if (!strncmp(s, "sign:", 5) || !strncmp(s, "msign:", 6) || !strncmp(s, "decipher:", 9) ||
	    !strncmp(s, "random:", 7)) {
		char *p = strchr(s, ':');
		int r;

		while (p && na < 6) {
			*p++ = '\0';
			a[na++] = p;
			p = strchr(p, ':');
		}
		r = key_step(tok, s, a, na);
		if (r >= 0)
			return r;
		fprintf(stderr, "bad step '%s'\n", s);
		return 1;
	}
	return step_old(tok, s);
}

static int step_old(stc_token *tok, char *s)
{
	char *arg1 = strchr(s, ':'), *arg2 = NULL;
	stc_rv rv;

	if (arg1) {
		*arg1++ = '\0';
		arg2 = strchr(arg1, ':');
		if (arg2)
			*arg2++ = '\0';
	}
	if (!strcmp(s, "objects") || !strcmp(s, "cps2ter")) {
		const stc_object *o;
		size_t n;
		char id[129];

		rv = s[0] == 'o' ? stc_token_objects(tok, &o, &n) : stc_token_cps2ter_objects(tok, &o, &n);
		if (rv != STC_OK) {
			printf("%s: %s\n", s, stc_rv_name(rv));
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
		unsigned h = 0;


		rv = stc_token_objects(tok, &o, &n);
		for (size_t i = 0; rv == STC_OK && i < n; i++)
			if (!strcmp(o[i].label, arg1))
				h = o[i].handle;
		if (rv == STC_OK && !h)
			rv = stc_token_cps2ter_objects(tok, &o, &n);
		for (size_t i = 0; rv == STC_OK && !h && i < n; i++)
			if (!strcmp(o[i].label, arg1))
				h = o[i].handle;
		if (rv == STC_OK)
			rv = h ? stc_token_read_object(tok, h, &data, &len) : STC_ERR_NOT_FOUND;
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
	if (!strcmp(s, "keypad")) {
		stc_pinpad_info pi = { -1, -1 };

		rv = stc_card_pinpad(stc_token_card(tok), &pi);
		printf("keypad: %s %d %d\n", stc_rv_name(rv), pi.verify, pi.modify);
		return 0;
	}
	if (!strcmp(s, "kverify") || !strcmp(s, "kchange")) {
		int left = -1;

		rv = s[1] == 'v' ? stc_token_pin_verify_pinpad(tok, &left)
				 : stc_token_pin_change_pinpad(tok, &left);
		printf("%s: %s %d\n", s, stc_rv_name(rv), left);
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
