/*
 * apdu_rtt.c - round-trip time of SCardTransmit through pcscd, the reader driver
 * and the card: N exchanges of one short APDU, mean and percentiles.
 *
 *   apdu_rtt [--reader NAME] [--count N] [--apdu HEX] [--json]
 *
 * Default APDU: SELECT of the test card's AID with P2=0C (one exchange, 90 00).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "santecard.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static size_t parse_hex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (*s) {
		unsigned v;

		if (*s == ' ' || *s == ':') {
			s++;
			continue;
		}
		if (n == cap || sscanf(s, "%2x", &v) != 1 || !s[1])
			return 0;
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double pct(const double *sorted, size_t n, double p)
{
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);

	return sorted[i < n ? i : n - 1];
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "reader", required_argument, NULL, 'r' },
		{ "count", required_argument, NULL, 'n' },
		{ "apdu", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *reader = NULL;
	long count = 1000;
	int json = 0, c, code = 1;
	uint8_t cmd[261] = { 0x00, 0xA4, 0x04, 0x0C, 0x08, 0xF0, 'S', 'T', 'C', 'T', 'E', 'S', 'T' };
	size_t cmd_len = 13;
	stc_ctx *ctx = NULL;
	stc_card *card = NULL;
	stc_reader_info *list = NULL;
	size_t n;
	double *t = NULL, sum = 0;
	stc_rv rv;

	while ((c = getopt_long(argc, argv, "r:n:a:jh", lo, NULL)) != -1) {
		switch (c) {
		case 'r': reader = optarg; break;
		case 'n': count = strtol(optarg, NULL, 10); break;
		case 'a': cmd_len = parse_hex(optarg, cmd, sizeof(cmd)); break;
		case 'j': json = 1; break;
		case 'h':
			printf("Usage: apdu_rtt [--reader NAME] [--count N] [--apdu HEX] [--json]\n");
			return 0;
		default: return 2;
		}
	}
	if (count < 1 || count > 10000000 || cmd_len < 4) {
		fprintf(stderr, "apdu_rtt: bad --count or --apdu\n");
		return 2;
	}
	if ((rv = stc_ctx_new(&ctx)) != STC_OK ||
	    (rv = stc_readers_list(ctx, &list, &n)) != STC_OK) {
		fprintf(stderr, "apdu_rtt: %s\n", stc_strerror(rv));
		goto out;
	}
	for (size_t i = 0; i < n && !reader; i++)
		if (list[i].card_present)
			reader = list[i].name;
	if (!reader) {
		fprintf(stderr, "apdu_rtt: no reader with a card\n");
		goto out;
	}
	if ((rv = stc_connect(ctx, reader, STC_SHARE_SHARED, &card)) != STC_OK) {
		fprintf(stderr, "apdu_rtt: connect: %s\n", stc_strerror(rv));
		goto out;
	}
	t = calloc((size_t)count, sizeof(*t));
	if (!t)
		goto out;
	/* one transaction around the loop, as the token layer does per operation */
	if ((rv = stc_begin(card)) != STC_OK)
		goto out;
	for (long i = 0; i < count; i++) {
		uint8_t resp[258];
		size_t rlen = sizeof(resp);
		double t0 = now_ms();

		rv = stc_transmit_raw(card, cmd, cmd_len, resp, &rlen);
		t[i] = now_ms() - t0;
		if (rv != STC_OK) {
			fprintf(stderr, "apdu_rtt: transmit %ld: %s\n", i, stc_strerror(rv));
			goto out;
		}
		sum += t[i];
	}
	(void)stc_end(card);
	qsort(t, (size_t)count, sizeof(*t), cmp_double);
	if (json)
		printf("{\"count\":%ld,\"mean_ms\":%.4f,\"p50_ms\":%.4f,\"p99_ms\":%.4f,\"max_ms\":%.4f}\n",
		       count, sum / count, pct(t, count, 0.5), pct(t, count, 0.99), t[count - 1]);
	else
		printf("apdu_rtt: %ld round trips on '%s': mean %.3f ms, p50 %.3f ms, p99 %.3f ms, max %.3f ms\n",
		       count, reader, sum / count, pct(t, count, 0.5), pct(t, count, 0.99), t[count - 1]);
	code = 0;
out:
	free(t);
	stc_disconnect(card, 0);
	stc_readers_free(list);
	stc_ctx_free(ctx);
	return code;
}
