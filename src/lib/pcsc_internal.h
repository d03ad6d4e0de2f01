/* pcsc_internal.h - state shared by pcsc.c and pcsc_events.c (not installed). */
#ifndef STC_PCSC_INTERNAL_H
#define STC_PCSC_INTERNAL_H

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

struct stc_ctx {
	SCARDCONTEXT hctx;
	int valid;                   /* hctx established and believed alive */
	atomic_int cancelled;        /* set by stc_cancel, consumed by stc_wait_event */

	/* event watcher state (pcsc_events.c) */
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
	SCARDHANDLE h;
	DWORD protocol;              /* SCARD_PROTOCOL_T0 / T1 */
	char reader[STC_READER_NAME_MAX];
	uint8_t atr[STC_ATR_MAX];
	size_t atr_len;
	unsigned tx_depth;           /* nesting of stc_begin */
};

/* Make sure ctx->hctx is usable (re-establish after pcscd came back). */
stc_rv stci_ctx_ensure(stc_ctx *ctx);
/* Map a PC/SC code to stc_rv; drops the context when the service is gone. */
stc_rv stci_pcsc_rv(stc_ctx *ctx, LONG rv, const char *what);
/* Readers and their state, as pcscd reports them now; *states (optional, freed
 * by the caller) receives each reader's raw dwEventState. */
stc_rv stci_snapshot(stc_ctx *ctx, stc_reader_info **out, DWORD **states, size_t *count);

#endif
