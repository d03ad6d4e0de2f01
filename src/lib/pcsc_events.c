/*
 * pcsc_events.c - reader and card events on top of SCardGetStatusChange.
 *
 * pcsc-lite 1.9.9 reports a change of the reader list through the
 * "\\?PnP?\Notification" entry only while a call is blocked (the count is taken
 * when the call starts), so every wake-up, and every call, re-lists the readers
 * and compares the list with the last snapshot: nothing is trusted from counts.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pcsc_internal.h"

#define PNP_NAME "\\\\?PnP?\\Notification"
#define SERVICE_RETRY_MS 100

const char *stc_event_name(stc_event_kind kind)
{
	switch (kind) {
	case STC_EV_READER_ADDED: return "reader-added";
	case STC_EV_READER_REMOVED: return "reader-removed";
	case STC_EV_CARD_INSERTED: return "card-inserted";
	case STC_EV_CARD_REMOVED: return "card-removed";
	case STC_EV_SERVICE_LOST: return "service-lost";
	case STC_EV_SERVICE_BACK: return "service-back";
	}
	return "unknown";
}

/* ------------------------------------------------------------ the queue */

static stc_rv push(stc_ctx *ctx, stc_event_kind kind, const char *reader,
		   const uint8_t *atr, size_t atr_len)
{
	stc_event *ev;

	if (ctx->qlen == ctx->qcap) {
		size_t ncap = ctx->qcap ? ctx->qcap * 2 : 16;
		stc_event *nq = malloc(ncap * sizeof(*nq));

		if (!nq)
			return STC_ERR_NO_MEMORY;
		for (size_t i = 0; i < ctx->qlen; i++)
			nq[i] = ctx->queue[(ctx->qhead + i) % ctx->qcap];
		free(ctx->queue);
		ctx->queue = nq;
		ctx->qcap = ncap;
		ctx->qhead = 0;
	}
	ev = &ctx->queue[(ctx->qhead + ctx->qlen) % ctx->qcap];
	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	if (reader)
		strncpy(ev->reader, reader, sizeof(ev->reader) - 1);
	if (atr && atr_len <= STC_ATR_MAX) {
		memcpy(ev->atr, atr, atr_len);
		ev->atr_len = atr_len;
	}
	ctx->qlen++;
	return STC_OK;
}

static int pop(stc_ctx *ctx, stc_event *ev)
{
	if (!ctx->qlen)
		return 0;
	*ev = ctx->queue[ctx->qhead];
	ctx->qhead = (ctx->qhead + 1) % ctx->qcap;
	ctx->qlen--;
	return 1;
}

/* ------------------------------------------------------- snapshot diffs */

static const stc_reader_info *find_info(const stc_reader_info *list, size_t n,
					const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i].name, name) == 0)
			return &list[i];
	return NULL;
}

static const struct stci_known_reader *find_known(const stc_ctx *ctx, const char *name)
{
	for (size_t i = 0; i < ctx->nknown; i++)
		if (strcmp(ctx->known[i].name, name) == 0)
			return &ctx->known[i];
	return NULL;
}

static stc_rv queue_diff(stc_ctx *ctx, const stc_reader_info *list, const DWORD *states,
			 size_t n)
{
	stc_rv rv = STC_OK;

	for (size_t k = 0; k < ctx->nknown && rv == STC_OK; k++) {
		const struct stci_known_reader *old = &ctx->known[k];

		if (find_info(list, n, old->name))
			continue;
		if (old->card_present)
			rv = push(ctx, STC_EV_CARD_REMOVED, old->name, NULL, 0);
		if (rv == STC_OK)
			rv = push(ctx, STC_EV_READER_REMOVED, old->name, NULL, 0);
	}
	for (size_t i = 0; i < n && rv == STC_OK; i++) {
		const stc_reader_info *now = &list[i];
		const struct stci_known_reader *old = find_known(ctx, now->name);
		int swapped;

		if (!old) {
			rv = push(ctx, STC_EV_READER_ADDED, now->name, NULL, 0);
			if (rv == STC_OK && now->card_present)
				rv = push(ctx, STC_EV_CARD_INSERTED, now->name, now->atr,
					  now->atr_len);
			continue;
		}
		/* present before and now, but pcscd counted insertions/removals in
		 * between: the card was swapped while nobody was looking */
		swapped = old->card_present && now->card_present &&
			  (old->state >> 16) != (states[i] >> 16);
		if (old->card_present && (!now->card_present || swapped))
			rv = push(ctx, STC_EV_CARD_REMOVED, now->name, NULL, 0);
		if (rv == STC_OK && now->card_present && (!old->card_present || swapped))
			rv = push(ctx, STC_EV_CARD_INSERTED, now->name, now->atr, now->atr_len);
	}
	return rv;
}

static stc_rv remember(stc_ctx *ctx, const stc_reader_info *list, const DWORD *states,
		       size_t n)
{
	struct stci_known_reader *k = calloc(n ? n : 1, sizeof(*k));

	if (!k)
		return STC_ERR_NO_MEMORY;
	for (size_t i = 0; i < n; i++) {
		memcpy(k[i].name, list[i].name, sizeof(k[i].name));
		k[i].state = states[i];
		k[i].card_present = list[i].card_present;
		memcpy(k[i].atr, list[i].atr, list[i].atr_len);
		k[i].atr_len = list[i].atr_len;
	}
	free(ctx->known);
	ctx->known = k;
	ctx->nknown = n;
	return STC_OK;
}

/* Re-list the readers; queue what changed (unless quiet) and remember it. */
static stc_rv refresh(stc_ctx *ctx, int quiet)
{
	stc_reader_info *list;
	DWORD *states;
	size_t n;
	stc_rv rv = stci_snapshot(ctx->ev, &list, &states, &n);

	if (rv != STC_OK)
		return rv;
	if (!quiet)
		rv = queue_diff(ctx, list, states, n);
	if (rv == STC_OK)
		rv = remember(ctx, list, states, n);
	free(list);
	free(states);
	return rv;
}

/* pcscd went away: everything we knew is gone with it. */
static stc_rv service_lost(stc_ctx *ctx)
{
	stc_rv rv = push(ctx, STC_EV_SERVICE_LOST, NULL, NULL, 0);

	if (rv == STC_OK)
		rv = queue_diff(ctx, NULL, NULL, 0);
	if (rv == STC_OK)
		rv = remember(ctx, NULL, NULL, 0);
	ctx->service_lost = 1;
	return rv;
}

/* ---------------------------------------------------------------- time */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left before the deadline (-1 = forever), 0 when past it. */
static long remaining(long long deadline)
{
	long long left;

	if (deadline < 0)
		return -1;
	left = deadline - now_ms();
	return left > 0 ? (long)left : 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* ----------------------------------------------------------- the waiter */

/* While pcscd is down: retry every 100 ms until it is back or time is up. */
static stc_rv wait_service(stc_ctx *ctx, long long deadline)
{
	for (;;) {
		long left;
		stc_rv rv;

		if (atomic_exchange(&ctx->cancelled, 0))
			return STC_ERR_CANCELLED;
		rv = stci_ctx_ensure(ctx->ev);
		if (rv == STC_OK) {
			rv = push(ctx, STC_EV_SERVICE_BACK, NULL, NULL, 0);
			if (rv == STC_OK)
				rv = refresh(ctx, 0);
			if (rv == STC_OK) {
				ctx->service_lost = 0;
				return STC_OK;
			}
		}
		if (rv != STC_ERR_NO_SERVICE)
			return rv;
		left = remaining(deadline);
		if (left == 0)
			return STC_ERR_TIMEOUT;
		sleep_ms(left < 0 || left > SERVICE_RETRY_MS ? SERVICE_RETRY_MS : left);
	}
}

/* One blocking SCardGetStatusChange on the known readers and the PnP entry. */
static stc_rv block_on_changes(stc_ctx *ctx, long long deadline)
{
	SCARD_READERSTATE *st = calloc(ctx->nknown + 1, sizeof(*st));
	long left = remaining(deadline);
	LONG r;

	if (!st)
		return STC_ERR_NO_MEMORY;
	for (size_t i = 0; i < ctx->nknown; i++) {
		st[i].szReader = ctx->known[i].name;
		st[i].dwCurrentState = ctx->known[i].state;
	}
	st[ctx->nknown].szReader = PNP_NAME;
	st[ctx->nknown].dwCurrentState = SCARD_STATE_UNAWARE;
	r = SCardGetStatusChange(ctx->ev->hctx, left < 0 ? INFINITE : (DWORD)left, st,
				 (DWORD)(ctx->nknown + 1));
	free(st);
	if (r == (LONG)SCARD_E_UNKNOWN_READER)
		return STC_OK;  /* a reader vanished: the refresh will say which */
	return r == SCARD_S_SUCCESS ? STC_OK : stci_pcsc_rv(ctx->ev, r, "SCardGetStatusChange");
}

/* One caller at a time (ev_mu held): the watcher state is its own. */
static stc_rv wait_event(stc_ctx *ctx, long timeout_ms, stc_event *ev)
{
	long long deadline;
	stc_rv rv;

	deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	if (pop(ctx, ev))
		return STC_OK;
	if (atomic_exchange(&ctx->cancelled, 0))
		return STC_ERR_CANCELLED;

	if (!ctx->have_snapshot) {
		rv = refresh(ctx, 1);
		ctx->have_snapshot = 1;
		if (rv == STC_ERR_NO_SERVICE)
			ctx->service_lost = 1;  /* down from the start: no LOST event */
		else if (rv != STC_OK)
			return rv;
	} else if (!ctx->service_lost) {
		/* what changed between two calls */
		rv = refresh(ctx, 0);
		if (rv == STC_ERR_NO_SERVICE)
			rv = service_lost(ctx);
		if (rv != STC_OK)
			return rv;
		if (pop(ctx, ev))
			return STC_OK;
	}

	for (;;) {
		if (ctx->service_lost) {
			rv = wait_service(ctx, deadline);
			if (rv != STC_OK)
				return rv;
			if (pop(ctx, ev))
				return STC_OK;
			continue;
		}
		if (!ctx->ev->valid && (rv = stci_ctx_ensure(ctx->ev)) != STC_OK) {
			if (rv != STC_ERR_NO_SERVICE)
				return rv;
			if ((rv = service_lost(ctx)) != STC_OK)
				return rv;
			if (pop(ctx, ev))
				return STC_OK;
			continue;
		}
		rv = block_on_changes(ctx, deadline);
		if (rv == STC_OK)
			rv = refresh(ctx, 0);
		if (rv == STC_ERR_NO_SERVICE)
			rv = service_lost(ctx);
		if (rv == STC_ERR_CANCELLED)
			atomic_store(&ctx->cancelled, 0);
		if (rv != STC_OK)
			return rv;
		if (pop(ctx, ev))
			return STC_OK;
		if (remaining(deadline) == 0)
			return STC_ERR_TIMEOUT;
		if (atomic_exchange(&ctx->cancelled, 0))
			return STC_ERR_CANCELLED;
	}
}

stc_rv stc_wait_event(stc_ctx *ctx, long timeout_ms, stc_event *ev)
{
	stc_rv rv;

	if (!ctx || !ev || !ctx->ev)
		return STC_ERR_INVALID_ARGS;
	pthread_mutex_lock(&ctx->ev_mu);
	rv = wait_event(ctx, timeout_ms, ev);
	pthread_mutex_unlock(&ctx->ev_mu);
	return rv;
}

stc_rv stc_cancel(stc_ctx *ctx)
{
	if (!ctx || !ctx->ev)
		return STC_ERR_INVALID_ARGS;
	atomic_store(&ctx->cancelled, 1);
	/* the watcher's context: only its own thread drops or re-establishes it,
	 * under its lock */
	pthread_mutex_lock(&ctx->ev->mu);
	if (ctx->ev->valid)
		(void)SCardCancel(ctx->ev->hctx);
	pthread_mutex_unlock(&ctx->ev->mu);
	return STC_OK;
}
