/*
 * watcher.c - the kiosk's event loop (santecard-vitale watch and serve).
 *
 * stc_wait_event() gives reader and card events and rides out pcscd restarts;
 * this loop adds what a kiosk needs on top: the cards already present at start
 * are read too, every insertion is read once (the start-up listing and the
 * first events may both show a card: the set of reported readers dedupes
 * them), a removal is reported only for a card that was reported, and the
 * PC/SC context is made again after any error it cannot ride out (pcscd absent
 * at start, an unexpected PC/SC failure).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vitale.h"

#define MAX_TRACKED 64
#define TICK_MS 500
#define RETRY_MS 500

struct tracked {
	char name[MAX_TRACKED][STC_READER_NAME_MAX];
	size_t n;
};

static int tracked_has(const struct tracked *t, const char *r)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->name[i], r))
			return 1;
	return 0;
}

static void tracked_add(struct tracked *t, const char *r)
{
	if (t->n < MAX_TRACKED && !tracked_has(t, r))
		snprintf(t->name[t->n++], STC_READER_NAME_MAX, "%s", r);
}

static int tracked_del(struct tracked *t, const char *r)
{
	for (size_t i = 0; i < t->n; i++) {
		if (!strcmp(t->name[i], r)) {
			memmove(t->name[i], t->name[t->n - 1], STC_READER_NAME_MAX);
			t->n--;
			return 1;
		}
	}
	return 0;
}

struct watcher {
	watch_cb cb;
	void *arg;
	struct tracked cards;     /* readers whose card was reported */
	int readers;              /* -2 unknown yet, -1 pcscd unreachable */
	struct vcard *vc;
};

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void set_readers(struct watcher *w, int n)
{
	struct wevent ev = { .kind = WE_READERS, .readers = n };

	if (n == w->readers)
		return;
	w->readers = n;
	w->cb(&ev, w->arg);
}

static void card_in(struct watcher *w, stc_ctx *ctx, const char *reader)
{
	struct wevent ev = { .kind = WE_CARD, .vc = w->vc, .reader = reader };

	if (tracked_has(&w->cards, reader))
		return;   /* already reported (start-up listing and first events overlap) */
	vcard_read(ctx, reader, w->vc);
	if (w->vc->result != VC_GONE) {
		tracked_add(&w->cards, reader);
		w->cb(&ev, w->arg);
	}
	vcard_wipe(w->vc);
}

static void card_out(struct watcher *w, const char *reader)
{
	struct wevent ev = { .kind = WE_REMOVED, .reader = reader };

	if (tracked_del(&w->cards, reader))
		w->cb(&ev, w->arg);
}

/* The state as it is now: report what appeared and what went while we were
 * not looking (start, or a new context after an error). */
static stc_rv reconcile(struct watcher *w, stc_ctx *ctx)
{
	stc_reader_info *list;
	size_t n;
	stc_rv rv = stc_readers_list(ctx, &list, &n);
	struct tracked gone;

	if (rv != STC_OK)
		return rv;
	gone = w->cards;
	for (size_t i = 0; i < n; i++)
		if (list[i].card_present && tracked_has(&gone, list[i].name))
			tracked_del(&gone, list[i].name);
	for (size_t i = 0; i < gone.n; i++)
		card_out(w, gone.name[i]);
	set_readers(w, (int)n);
	for (size_t i = 0; i < n; i++)
		if (list[i].card_present)
			card_in(w, ctx, list[i].name);
	stc_readers_free(list);
	return STC_OK;
}

static void handle(struct watcher *w, stc_ctx *ctx, const stc_event *ev)
{
	switch (ev->kind) {
	case STC_EV_CARD_INSERTED:
		card_in(w, ctx, ev->reader);
		break;
	case STC_EV_CARD_REMOVED:
		card_out(w, ev->reader);
		break;
	case STC_EV_READER_ADDED:
		set_readers(w, w->readers < 0 ? 1 : w->readers + 1);
		break;
	case STC_EV_READER_REMOVED:
		/* its card, if any, was reported removed just before */
		set_readers(w, w->readers > 0 ? w->readers - 1 : 0);
		break;
	case STC_EV_SERVICE_LOST:
		set_readers(w, -1);
		break;
	case STC_EV_SERVICE_BACK:
		set_readers(w, 0);
		break;
	}
}

int watch_run(watch_cb cb, void *arg, volatile int *stop)
{
	struct watcher w = { .cb = cb, .arg = arg, .readers = -2 };
	stc_ctx *ctx = NULL;
	struct wevent tick = { .kind = WE_TICK };

	w.vc = calloc(1, sizeof(*w.vc));
	if (!w.vc) {
		fprintf(stderr, "%s: out of memory\n", vtool_name);
		return VX_ERROR;
	}
	while (!*stop) {
		stc_event ev;
		stc_rv rv;

		if (!ctx) {
			rv = stc_ctx_new(&ctx);
			if (rv == STC_OK) {
				/* snapshot first, listing second: nothing falls in between */
				stc_wait_event(ctx, 0, &ev);
				rv = reconcile(&w, ctx);
			}
			if (rv != STC_OK) {
				if (rv != STC_ERR_NO_SERVICE)
					fprintf(stderr, "%s: %s; trying again\n", vtool_name,
						stc_strerror(rv));
				stc_ctx_free(ctx);
				ctx = NULL;
				/* pcscd gone: what we showed is gone too */
				for (size_t i = w.cards.n; i-- > 0;)
					card_out(&w, w.cards.name[i]);
				set_readers(&w, -1);
				cb(&tick, arg);
				pause_ms(RETRY_MS);
				continue;
			}
		}
		rv = stc_wait_event(ctx, TICK_MS, &ev);
		if (rv == STC_OK) {
			handle(&w, ctx, &ev);
		} else if (rv == STC_ERR_TIMEOUT || rv == STC_ERR_CANCELLED) {
			cb(&tick, arg);
		} else {
			fprintf(stderr, "%s: waiting for events: %s; starting again\n", vtool_name,
				stc_strerror(rv));
			stc_ctx_free(ctx);
			ctx = NULL;
			pause_ms(RETRY_MS);
		}
	}
	stc_ctx_free(ctx);
	vcard_wipe(w.vc);
	free(w.vc);
	return VX_OK;
}
