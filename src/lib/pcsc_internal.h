/* pcsc_internal.h - state shared by pcsc.c and pcsc_events.c (not installed). */
#ifndef STC_PCSC_INTERNAL_H
#define STC_PCSC_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <winscard.h>

#include "santecard.h"

/* What the event watcher last saw of one reader. */
struct stci_known_reader {
	char name[STC_READER_NAME_MAX];
	DWORD state;                 /* dwEventState as last seen (counter in bits 16+) */
	int card_present;
	uint8_t atr[STC_ATR_MAX];
	size_t atr_len;
};

/*
 * Threads: a stc_ctx may be shared by every thread of a process. mu (recursive)
 * guards hctx: listing readers runs under it, and dropping or re-establishing
 * the context (pcscd restarted) waits for a listing in progress; valid is
 * atomic because cards read it without the lock. The event watcher has its
 * own PC/SC context (ev): libpcsclite runs one call at a time per context, so
 * a waiter blocked in SCardGetStatusChange on the shared one would stall every
 * other thread's listing. ev_mu makes stc_wait_event callers take turns; the
 * watcher state below it is theirs.
 */
struct stc_ctx {
	pthread_mutex_t mu;
	SCARDCONTEXT hctx;
	atomic_int valid;            /* hctx established and believed alive */
	atomic_int cancelled;        /* set by stc_cancel, consumed by stc_wait_event */

	/* event watcher state (pcsc_events.c), under ev_mu */
	pthread_mutex_t ev_mu;
	struct stc_ctx *ev;          /* the watcher's own context (no ev of its own) */
	int have_snapshot;
	int service_lost;            /* SERVICE_LOST reported, SERVICE_BACK pending */
	struct stci_known_reader *known;
	size_t nknown;
	stc_event *queue;            /* pending events, reported one per call */
	size_t qhead, qlen, qcap;
};

struct stc_card {
	stc_ctx *ctx;                /* NULL for a card behind a custom transport */
	stc_transport transport;     /* used when ctx is NULL */
	SCARDCONTEXT hctx;           /* the card's own context (pcsc.c, "Threads") */
	SCARDHANDLE h;
	DWORD protocol;              /* SCARD_PROTOCOL_T0 / T1 */
	char reader[STC_READER_NAME_MAX];
	uint8_t atr[STC_ATR_MAX];
	size_t atr_len;

	/*
	 * Thread safety: one lock per card, recursive, owned by a thread. stc_begin
	 * takes it and stc_end gives it back, so a transaction is one thread's
	 * from begin to end; an exchange or a reconnect outside a transaction
	 * takes it for its own duration. mu guards only owner and lock_depth;
	 * everything below them is the owner's.
	 */
	pthread_mutex_t mu;
	pthread_cond_t cv;           /* signalled when the lock is given back */
	pthread_t owner;             /* valid while lock_depth > 0 */
	unsigned lock_depth;         /* the owner's recursion */
	unsigned tx_depth;           /* nesting of stc_begin (owner only) */
	int tx_open;                 /* SCardBeginTransaction done, not yet ended */
	int pinpad_known;            /* features asked (stc_card_pinpad), under the lock */
	unsigned long ioctl_verify, ioctl_modify;   /* 0: not offered */
	unsigned generation;         /* successful stc_reconnect calls: a token
				      * seeing it change re-selects (token.c) */
};

/* Take / give back the card's lock (recursive; the owner may nest). */
void stci_card_lock(stc_card *card);
void stci_card_unlock(stc_card *card);
/* How many times the card was reconnected (read it under the lock). */
unsigned stci_card_generation(const stc_card *card);

/* A context with its locks and nothing established (stci_ctx_ensure does it). */
stc_ctx *stci_ctx_alloc(void);
void stci_ctx_release(stc_ctx *ctx);
/* Make sure ctx->hctx is usable (re-establish after pcscd came back). */
stc_rv stci_ctx_ensure(stc_ctx *ctx);
/* Map a PC/SC code to stc_rv; drops the context when the service is gone. */
stc_rv stci_pcsc_rv(stc_ctx *ctx, LONG rv, const char *what);
/* Readers and their state, as pcscd reports them now; *states (optional, freed
 * by the caller) receives each reader's raw dwEventState. */
stc_rv stci_snapshot(stc_ctx *ctx, stc_reader_info **out, DWORD **states, size_t *count);

#endif
