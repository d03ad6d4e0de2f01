/*
 * event_latency.c - how fast stc_wait_event() reports a card removed or
 * inserted, in the private test bed (bench/run-event-latency.sh, `make
 * bench-events`). Three clocks per event, all CLOCK_MONOTONIC in this process:
 *
 *   cmd    the simulator was told to remove / insert the card (vpcd);
 *   pcsc   a plain SCardGetStatusChange() waiter on its own context returned:
 *          the PC/SC event as any client sees it;
 *   ours   stc_wait_event() returned the event.
 *
 * And, when pcscd logs (TESTBED_PCSCD_LOG, debug logging on), the time pcscd
 * logged the state change ("Card Removed From" / "Card inserted into"), placed
 * on our clock by a marker: a connect to the empty reader 1 made just before
 * the command, whose log line starts the sum of pcscd's per-line deltas.
 *
 * vpcd has no event thread: pcscd polls the reader's presence every 400 ms, so
 * cmd -> pcsc is up to 400 ms by construction; the library's own part is
 * pcsc -> ours (and pcscd-log -> ours). The delay between rounds is varied so
 * the command falls at every phase of pcscd's polling.
 *
 * Usage (inside the test bed): event_latency [--count N]
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <winscard.h>

#include "santecard.h"
#include "integration/tb.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* --------------------------------------------- the plain PC/SC waiter */

static pthread_mutex_t ref_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ref_cv = PTHREAD_COND_INITIALIZER;
static double ref_time;      /* when the waiter last saw a presence change */
static int ref_present = -1;
static volatile int ref_stop;

static void *ref_waiter(void *arg)
{
	SCARDCONTEXT h;
	SCARD_READERSTATE st = { .szReader = READER0, .dwCurrentState = SCARD_STATE_UNAWARE };

	(void)arg;
	if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &h) != SCARD_S_SUCCESS)
		return NULL;
	while (!ref_stop) {
		LONG r = SCardGetStatusChange(h, 500, &st, 1);
		double t = now_ms();
		int present;

		if (r == (LONG)SCARD_E_TIMEOUT)
			continue;
		if (r != SCARD_S_SUCCESS)
			break;
		st.dwCurrentState = st.dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
		present = (st.dwEventState & SCARD_STATE_PRESENT) != 0;
		pthread_mutex_lock(&ref_lock);
		if (present != ref_present) {
			ref_present = present;
			ref_time = t;
			pthread_cond_broadcast(&ref_cv);
		}
		pthread_mutex_unlock(&ref_lock);
	}
	SCardReleaseContext(h);
	return NULL;
}

/* The waiter's time for the change to present (bounded wait, -1 if none). */
static double ref_wait(int present)
{
	struct timespec dl;
	double t = -1;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 3;
	pthread_mutex_lock(&ref_lock);
	while (ref_present != present)
		if (pthread_cond_timedwait(&ref_cv, &ref_lock, &dl) == ETIMEDOUT)
			break;
	if (ref_present == present)
		t = ref_time;
	pthread_mutex_unlock(&ref_lock);
	return t;
}

/* ------------------------------------------------------- pcscd's log */

static const char *log_path;
static long log_off;

static void log_mark_offset(void)
{
	FILE *f = log_path ? fopen(log_path, "r") : NULL;

	if (!f)
		return;
	fseek(f, 0, SEEK_END);
	log_off = ftell(f);
	fclose(f);
}

/* The marker: pcscd logs this connect to the empty reader. */
static double log_marker(void)
{
	SCARDCONTEXT h;
	SCARDHANDLE c;
	DWORD proto;
	double t;

	if (!log_path || SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &h) != SCARD_S_SUCCESS)
		return -1;
	log_mark_offset();
	t = now_ms();
	if (SCardConnect(h, READER1, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
			 &c, &proto) == SCARD_S_SUCCESS)
		SCardDisconnect(c, SCARD_LEAVE_CARD);
	SCardReleaseContext(h);
	return t;
}

/* pcscd's time of the state change, on our clock: t_mark plus the deltas (µs,
 * the first field of each line) from the marker line to the change line. */
static double log_change_time(double t_mark, const char *what)
{
	FILE *f = log_path ? fopen(log_path, "r") : NULL;
	char line[1024];
	int seen_mark = 0;
	double sum = 0;

	if (!f || t_mark < 0) {
		if (f)
			fclose(f);
		return -1;
	}
	fseek(f, log_off, SEEK_SET);
	while (fgets(line, sizeof(line), f)) {
		long us = strtol(line, NULL, 10);

		if (!seen_mark) {
			seen_mark = strstr(line, "Attempting Connect to " READER1) != NULL;
			continue;
		}
		sum += us / 1e3;
		if (strstr(line, what)) {
			fclose(f);
			return t_mark + sum;
		}
	}
	fclose(f);
	return -1;
}

/* ------------------------------------------------------------- stats */

struct series {
	const char *name;
	double v[1000];
	size_t n;
};

static void add(struct series *s, double v)
{
	if (s->n < sizeof(s->v) / sizeof(s->v[0]))
		s->v[s->n++] = v;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(struct series *s)
{
	double sum = 0;

	if (!s->n) {
		printf("%-34s (no samples)\n", s->name);
		return;
	}
	qsort(s->v, s->n, sizeof(s->v[0]), cmp_d);
	for (size_t i = 0; i < s->n; i++)
		sum += s->v[i];
	printf("%-34s n=%3zu min %7.2f  median %7.2f  mean %7.2f  p95 %7.2f  max %7.2f ms\n",
	       s->name, s->n, s->v[0], s->v[s->n / 2], sum / s->n,
	       s->v[(s->n * 95) / 100 < s->n ? (s->n * 95) / 100 : s->n - 1], s->v[s->n - 1]);
}

/* ------------------------------------------------------------------ main */

int main(int argc, char **argv)
{
	struct series s[2][3] = {
		{ { .name = "removed:  sim command -> ours" },
		  { .name = "removed:  PC/SC event -> ours" },
		  { .name = "removed:  pcscd log -> ours" } },
		{ { .name = "inserted: sim command -> ours" },
		  { .name = "inserted: PC/SC event -> ours" },
		  { .name = "inserted: pcscd log -> ours" } },
	};
	int count = 20;
	pthread_t ref;
	stc_ctx *ctx;
	stc_event ev;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--count") && i + 1 < argc)
			count = atoi(argv[++i]);
	if (count < 1 || count > 1000)
		count = 20;
	log_path = getenv("TESTBED_PCSCD_LOG");
	if (stc_ctx_new(&ctx) != STC_OK || tb_wait_card(ctx, READER0, 1) != 0) {
		fprintf(stderr, "event_latency: no card in %s\n", READER0);
		return 1;
	}
	ref_present = 1;
	if (pthread_create(&ref, NULL, ref_waiter, NULL) != 0)
		return 1;
	(void)stc_wait_event(ctx, 10, &ev);   /* the first call takes the snapshot */
	srand(42);
	for (int i = 0; i < count; i++) {
		for (int k = 0; k < 2; k++) {
			int present = k == 0 ? 0 : 1;
			stc_event_kind want = present ? STC_EV_CARD_INSERTED : STC_EV_CARD_REMOVED;
			double t_mark, t_cmd, t_ours = -1, t_ref, t_log;
			stc_rv rv;

			usleep((useconds_t)(50000 + rand() % 400000));   /* any polling phase */
			t_mark = log_marker();
			t_cmd = now_ms();
			if (tb_card(0, present ? "insert" : "remove", NULL, 0) != 0) {
				fprintf(stderr, "event_latency: simulator command failed\n");
				return 1;
			}
			do {
				rv = stc_wait_event(ctx, 3000, &ev);
				if (rv == STC_OK && ev.kind == want && !strcmp(ev.reader, READER0))
					t_ours = now_ms();
			} while (rv == STC_OK && t_ours < 0);
			if (t_ours < 0) {
				fprintf(stderr, "event_latency: no event (%s)\n", stc_strerror(rv));
				return 1;
			}
			t_ref = ref_wait(present);
			t_log = log_change_time(t_mark, present ? "Card inserted into " READER0
								: "Card Removed From " READER0);
			add(&s[k][0], t_ours - t_cmd);
			if (t_ref >= 0)
				add(&s[k][1], t_ours - t_ref);
			if (t_log >= 0)
				add(&s[k][2], t_ours - t_log);
		}
	}
	ref_stop = 1;
	pthread_join(ref, NULL);
	printf("stc_wait_event latency, %d removals and insertions (vpcd: pcscd polls every 400 ms)\n",
	       count);
	for (int k = 0; k < 2; k++)
		for (int j = 0; j < 3; j++)
			report(&s[k][j]);
	stc_ctx_free(ctx);
	return 0;
}
