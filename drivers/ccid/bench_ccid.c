/* bench_ccid.c - the CCID driver's own cost, without USB: APDU round trips
 * through IFDHTransmitToICC -> message layer (-> T=1 or APDU chaining) ->
 * in-process transport -> reader firmware core -> readertest card, at each
 * exchange level; and card insertion to the end of the polling function
 * (what pcscd's event thread waits on). `make bench-ccid`; figures in
 * docs/PERFORMANCE.md. Usage: bench_ccid [ROUNDS] */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ccid.h"
#include "inproc.h"
#include "readertest/readertest.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *what, double *t, unsigned n)
{
	double sum = 0;
	unsigned i;

	qsort(t, n, sizeof(*t), cmp);
	for (i = 0; i < n; i++)
		sum += t[i];
	printf("| %s | %.1f us | %.1f us | %.1f us | %.1f us |\n", what, sum / n, t[n / 2],
	       t[(size_t)(n * 0.99)], t[n - 1]);
}

static size_t apdu(uint8_t *a, size_t nc, size_t ne)
{
	size_t i, l = 4;
	bool ext = nc > 255 || ne > 256;

	a[0] = 0x80;
	a[1] = nc ? 0x36 : (ne ? 0x34 : 0x30);
	a[2] = 0;
	a[3] = 0;
	if (nc) {
		if (ext) {
			a[l++] = 0;
			a[l++] = (uint8_t)(nc >> 8);
		}
		a[l++] = (uint8_t)nc;
		for (i = 0; i < nc; i++)
			a[l++] = (uint8_t)i;
	}
	if (ne) {
		if (ext && !nc)
			a[l++] = 0;
		if (ext)
			a[l++] = (uint8_t)(ne >> 8);
		a[l++] = (uint8_t)ne;
	}
	return l;
}

static void bench_level(const char *name, uint32_t level, unsigned rounds)
{
	static const size_t sizes[][2] = { { 0, 0 }, { 0, 256 }, { 255, 256 }, { 4096, 4096 } };
	struct ccidfw_config c;
	struct ccidfw *fw;
	void *card = readertest_card_ops.create(&(struct sim_card_config){ 0 });
	char dev[] = "inproc:0";
	uint8_t *tx = malloc(70000), *rx = malloc(70000), atr[MAX_ATR_SIZE];
	double *t = malloc(rounds * sizeof(double));
	DWORD an = sizeof(atr);
	size_t s;

	ccidfw_config_default(&c, level);
	if (level == CCID_FEAT_LEVEL_EXT_APDU)
		c.max_msg = 4096 + 64;
	fw = ccidfw_new(&c);
	ccidfw_insert(fw, 0, &readertest_card_ops, card);
	inproc_register(0, fw);
	if (IFDHCreateChannelByName(0, dev) != IFD_SUCCESS || IFDHPowerICC(0, IFD_POWER_UP, atr, &an) ||
	    IFDHSetProtocolParameters(0, SCARD_PROTOCOL_T1, 0, 0, 0, 0)) {
		fprintf(stderr, "bench_ccid: reader set-up failed\n");
		exit(1);
	}
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size_t l = apdu(tx, sizes[s][0], sizes[s][1]);
		char what[96];
		unsigned i;

		if (level == CCID_FEAT_LEVEL_SHORT_APDU && sizes[s][0] > 255)
			continue;
		for (i = 0; i < rounds; i++) {
			SCARD_IO_HEADER pci = { 1, 8 };
			DWORD n = 70000;
			double t0 = now_us();

			if (IFDHTransmitToICC(0, pci, tx, (DWORD)l, rx, &n, NULL) != IFD_SUCCESS ||
			    n != sizes[s][1] + 2) {
				fprintf(stderr, "bench_ccid: transmit failed\n");
				exit(1);
			}
			t[i] = now_us() - t0;
		}
		snprintf(what, sizeof(what), "%s, %zu bytes in, %zu out", name, sizes[s][0], sizes[s][1]);
		report(what, t, rounds);
	}
	IFDHCloseChannel(0);
	inproc_unregister(0);
	ccidfw_free(fw);
	readertest_card_ops.destroy(card);
	free(tx);
	free(rx);
	free(t);
}

struct poller {
	RESPONSECODE (*fn)(DWORD, int);
	double done;
};

static void *poll_thread(void *arg)
{
	struct poller *p = arg;

	p->fn(0, 5000);
	p->done = now_us();
	return NULL;
}

static void bench_events(unsigned rounds)
{
	struct ccidfw_config c;
	struct ccidfw *fw;
	void *card = readertest_card_ops.create(&(struct sim_card_config){ 0 });
	char dev[] = "inproc:0";
	double *t = malloc(rounds * sizeof(double));
	struct poller p;
	DWORD n = sizeof(p.fn);
	unsigned i;

	ccidfw_config_default(&c, CCID_FEAT_LEVEL_TPDU);
	fw = ccidfw_new(&c);
	inproc_register(0, fw);
	if (IFDHCreateChannelByName(0, dev) != IFD_SUCCESS ||
	    IFDHGetCapabilities(0, TAG_IFD_POLLING_THREAD_WITH_TIMEOUT, &n, (PUCHAR)&p.fn) != IFD_SUCCESS) {
		fprintf(stderr, "bench_ccid: reader set-up failed\n");
		exit(1);
	}
	for (i = 0; i < rounds; i++) {
		pthread_t th;
		double t0;

		pthread_create(&th, NULL, poll_thread, &p);
		usleep(2000);	/* the poller is waiting on the interrupt endpoint */
		t0 = now_us();
		if (i % 2 == 0)
			inproc_insert(0, 0, &readertest_card_ops, card);
		else
			inproc_remove(0, 0);
		pthread_join(th, NULL);
		t[i] = p.done - t0;
	}
	report("card inserted/removed -> polling function returns", t, rounds);
	IFDHCloseChannel(0);
	inproc_unregister(0);
	ccidfw_free(fw);
	readertest_card_ops.destroy(card);
	free(t);
}

int main(int argc, char **argv)
{
	unsigned rounds = argc > 1 ? (unsigned)atoi(argv[1]) : 2000;

	if (rounds < 10)
		rounds = 10;
	printf("| path | mean | p50 | p99 | max |\n|---|---|---|---|---|\n");
	bench_level("TPDU, T=1", CCID_FEAT_LEVEL_TPDU, rounds);
	bench_level("short APDU", CCID_FEAT_LEVEL_SHORT_APDU, rounds);
	bench_level("extended APDU", CCID_FEAT_LEVEL_EXT_APDU, rounds);
	bench_events(rounds / 10 < 100 ? 100 : rounds / 10);
	return 0;
}
