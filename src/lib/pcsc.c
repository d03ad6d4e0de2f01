/*
 * pcsc.c - PC/SC access: context (re-established after pcscd restarts), reader
 * list, connections, transactions and transmission.
 *
 * Threads: a stc_card may be shared. Its lock (pcsc_internal.h) is held by
 * one thread from stc_begin to the matching stc_end, and for the duration of
 * an exchange (stc_transmit, stc_transmit_raw) or reconnect outside one, so
 * the APDUs of two threads never interleave inside a transaction. A stc_ctx
 * may be shared by every thread (pcsc_internal.h, "Threads").
 *
 * Each card has its own PC/SC context: libpcsclite runs one call at a time per
 * context, and pcscd makes a SCardConnect to a reader wait while another
 * handle holds a transaction there. On a shared context, a thread connecting
 * to a reader while another thread of the process holds a transaction on it
 * would keep that thread from ever ending it (seen: a deadlock).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <winscard.h>

#include "pcsc_internal.h"

/* --------------------------------------------------------- error mapping */

struct pcsc_map {
	LONG code;
	stc_rv rv;
};

static const struct pcsc_map pcsc_table[] = {
	{ (LONG)SCARD_S_SUCCESS, STC_OK },
	{ (LONG)SCARD_E_NO_SERVICE, STC_ERR_NO_SERVICE },
	{ (LONG)SCARD_E_SERVICE_STOPPED, STC_ERR_NO_SERVICE },
	{ (LONG)SCARD_E_NO_READERS_AVAILABLE, STC_ERR_NO_READERS },
	{ (LONG)SCARD_E_UNKNOWN_READER, STC_ERR_READER_NOT_FOUND },
	{ (LONG)SCARD_E_READER_UNAVAILABLE, STC_ERR_READER_REMOVED },
	{ (LONG)SCARD_E_NO_SMARTCARD, STC_ERR_NO_CARD },
	{ (LONG)SCARD_W_REMOVED_CARD, STC_ERR_CARD_REMOVED },
	{ (LONG)SCARD_W_RESET_CARD, STC_ERR_CARD_RESET },
	{ (LONG)SCARD_W_UNRESPONSIVE_CARD, STC_ERR_CARD_UNRESPONSIVE },
	{ (LONG)SCARD_W_UNPOWERED_CARD, STC_ERR_CARD_UNRESPONSIVE },
	{ (LONG)SCARD_W_UNSUPPORTED_CARD, STC_ERR_CARD_UNSUPPORTED },
	{ (LONG)SCARD_E_PROTO_MISMATCH, STC_ERR_CARD_UNSUPPORTED },
	{ (LONG)SCARD_E_SHARING_VIOLATION, STC_ERR_SHARING_VIOLATION },
	{ (LONG)SCARD_E_TIMEOUT, STC_ERR_TIMEOUT },
	{ (LONG)SCARD_E_CANCELLED, STC_ERR_CANCELLED },
	{ (LONG)SCARD_E_NOT_TRANSACTED, STC_ERR_COMM },
	{ (LONG)SCARD_F_COMM_ERROR, STC_ERR_COMM },
	{ (LONG)SCARD_E_COMM_DATA_LOST, STC_ERR_COMM },
	{ (LONG)SCARD_E_INSUFFICIENT_BUFFER, STC_ERR_BUFFER_TOO_SMALL },
	{ (LONG)SCARD_E_NO_MEMORY, STC_ERR_NO_MEMORY },
	{ (LONG)SCARD_E_INVALID_PARAMETER, STC_ERR_INVALID_ARGS },
	{ (LONG)SCARD_E_INVALID_VALUE, STC_ERR_INVALID_ARGS },
	{ (LONG)SCARD_E_UNSUPPORTED_FEATURE, STC_ERR_NOT_SUPPORTED },
};

static int service_alive(void)
{
	SCARDCONTEXT probe;

	if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &probe) != SCARD_S_SUCCESS)
		return 0;
	(void)SCardReleaseContext(probe);
	return 1;
}

static void ctx_drop(stc_ctx *ctx)
{
	pthread_mutex_lock(&ctx->mu);
	if (ctx->valid)
		(void)SCardReleaseContext(ctx->hctx);
	ctx->valid = 0;
	ctx->hctx = 0;
	pthread_mutex_unlock(&ctx->mu);
}

stc_rv stci_pcsc_rv(stc_ctx *ctx, LONG code, const char *what)
{
	stc_rv rv = STC_ERR_PCSC;

	for (size_t i = 0; i < sizeof(pcsc_table) / sizeof(pcsc_table[0]); i++)
		if (pcsc_table[i].code == code) {
			rv = pcsc_table[i].rv;
			break;
		}
	/* When pcscd dies under a call, the client library reports a broken
	 * socket (SCARD_F_COMM_ERROR) or a stale handle, not "no service": ask
	 * the service directly before blaming the card or the reader. */
	if (ctx && (rv == STC_ERR_COMM || rv == STC_ERR_PCSC ||
		    code == (LONG)SCARD_E_INVALID_HANDLE) && !service_alive())
		rv = STC_ERR_NO_SERVICE;
	if (rv == STC_ERR_NO_SERVICE && ctx)
		ctx_drop(ctx);
	if (rv != STC_OK) {
		/* timeouts, cancels and a stopped pcscd are ordinary; retries would flood */
		stc_log_level lvl = rv == STC_ERR_PCSC ? STC_LOG_ERROR :
				    (rv == STC_ERR_TIMEOUT || rv == STC_ERR_CANCELLED ||
				     rv == STC_ERR_NO_SERVICE) ? STC_LOG_DEBUG : STC_LOG_INFO;
		stc_log(lvl, "%s: %s (0x%08lX)", what, pcsc_stringify_error(code),
			(unsigned long)code);
	}
	return rv;
}

/* -------------------------------------------------------------- context */

stc_rv stci_ctx_ensure(stc_ctx *ctx)
{
	stc_rv rv = STC_OK;
	LONG r;

	if (ctx->valid)
		return STC_OK;
	pthread_mutex_lock(&ctx->mu);
	if (!ctx->valid) {
		r = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx->hctx);
		if (r != SCARD_S_SUCCESS) {
			ctx->hctx = 0;
			rv = stci_pcsc_rv(NULL, r, "SCardEstablishContext");
		} else {
			ctx->valid = 1;
		}
	}
	pthread_mutex_unlock(&ctx->mu);
	return rv;
}

stc_ctx *stci_ctx_alloc(void)
{
	stc_ctx *ctx = calloc(1, sizeof(*ctx));
	pthread_mutexattr_t a;

	if (!ctx)
		return NULL;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&ctx->mu, &a);
	pthread_mutexattr_destroy(&a);
	pthread_mutex_init(&ctx->ev_mu, NULL);
	atomic_init(&ctx->valid, 0);
	atomic_init(&ctx->cancelled, 0);
	return ctx;
}

void stci_ctx_release(stc_ctx *ctx)
{
	ctx_drop(ctx);
	pthread_mutex_destroy(&ctx->mu);
	pthread_mutex_destroy(&ctx->ev_mu);
	free(ctx->known);
	free(ctx->queue);
	free(ctx);
}

stc_rv stc_ctx_new(stc_ctx **out)
{
	stc_ctx *ctx;
	stc_rv rv;

	if (!out)
		return STC_ERR_INVALID_ARGS;
	*out = NULL;
	ctx = stci_ctx_alloc();
	if (!ctx)
		return STC_ERR_NO_MEMORY;
	ctx->ev = stci_ctx_alloc();
	rv = ctx->ev ? stci_ctx_ensure(ctx) : STC_ERR_NO_MEMORY;
	if (rv != STC_OK) {
		if (ctx->ev)
			stci_ctx_release(ctx->ev);
		stci_ctx_release(ctx);
		return rv;
	}
	*out = ctx;
	return STC_OK;
}

void stc_ctx_free(stc_ctx *ctx)
{
	if (!ctx)
		return;
	stci_ctx_release(ctx->ev);
	stci_ctx_release(ctx);
}

/* -------------------------------------------------------------- readers */

static void fill_info(stc_reader_info *ri, const SCARD_READERSTATE *st)
{
	DWORD s = st->dwEventState;

	snprintf(ri->name, sizeof(ri->name), "%s", st->szReader);
	ri->card_present = (s & SCARD_STATE_PRESENT) != 0;
	ri->card_in_use = (s & SCARD_STATE_EXCLUSIVE) != 0;
	ri->card_mute = (s & SCARD_STATE_MUTE) != 0;
	ri->event_count = (unsigned)(s >> 16);
	ri->atr_len = 0;
	if (ri->card_present && st->cbAtr <= STC_ATR_MAX) {
		memcpy(ri->atr, st->rgbAtr, st->cbAtr);
		ri->atr_len = st->cbAtr;
	}
}

/* One attempt: list, then read every reader's state without waiting. */
static LONG snapshot_once(stc_ctx *ctx, char **names_out, SCARD_READERSTATE **st_out,
			  size_t *n_out)
{
	DWORD len = 0;
	char *names = NULL;
	SCARD_READERSTATE *st = NULL;
	size_t n = 0;
	LONG r;

	*names_out = NULL;
	*st_out = NULL;
	*n_out = 0;
	r = SCardListReaders(ctx->hctx, NULL, NULL, &len);
	if (r == (LONG)SCARD_E_NO_READERS_AVAILABLE)
		return SCARD_S_SUCCESS;
	if (r != SCARD_S_SUCCESS)
		return r;
	names = malloc(len);
	if (!names)
		return SCARD_E_NO_MEMORY;
	r = SCardListReaders(ctx->hctx, NULL, names, &len);
	if (r == (LONG)SCARD_E_NO_READERS_AVAILABLE) {
		free(names);
		return SCARD_S_SUCCESS;
	}
	if (r != SCARD_S_SUCCESS)
		goto fail;
	for (const char *p = names; *p; p += strlen(p) + 1)
		n++;
	st = calloc(n ? n : 1, sizeof(*st));
	if (!st) {
		r = SCARD_E_NO_MEMORY;
		goto fail;
	}
	n = 0;
	for (const char *p = names; *p; p += strlen(p) + 1) {
		st[n].szReader = p;
		st[n].dwCurrentState = SCARD_STATE_UNAWARE;
		n++;
	}
	if (n) {
		r = SCardGetStatusChange(ctx->hctx, 0, st, (DWORD)n);
		if (r != SCARD_S_SUCCESS)
			goto fail;
	}
	*names_out = names;
	*st_out = st;
	*n_out = n;
	return SCARD_S_SUCCESS;
fail:
	free(st);
	free(names);
	return r;
}

stc_rv stci_snapshot(stc_ctx *ctx, stc_reader_info **out, DWORD **states, size_t *count)
{
	char *names = NULL;
	SCARD_READERSTATE *st = NULL;
	size_t n = 0;
	LONG r = SCARD_S_SUCCESS;
	stc_reader_info *list;
	stc_rv rv;

	*out = NULL;
	*count = 0;
	if (states)
		*states = NULL;
	pthread_mutex_lock(&ctx->mu);
	rv = stci_ctx_ensure(ctx);
	/* A reader may vanish between the list and the status call: try again. */
	for (int attempt = 0; rv == STC_OK && attempt < 3; attempt++) {
		r = snapshot_once(ctx, &names, &st, &n);
		if (r != (LONG)SCARD_E_UNKNOWN_READER && r != (LONG)SCARD_E_READER_UNAVAILABLE)
			break;
	}
	if (rv == STC_OK && r != SCARD_S_SUCCESS)
		rv = stci_pcsc_rv(ctx, r, "listing readers");
	pthread_mutex_unlock(&ctx->mu);
	if (rv != STC_OK)
		return rv;

	list = calloc(n ? n : 1, sizeof(*list));
	if (states)
		*states = calloc(n ? n : 1, sizeof(DWORD));
	if (!list || (states && !*states)) {
		free(list);
		if (states) {
			free(*states);
			*states = NULL;
		}
		free(st);
		free(names);
		return STC_ERR_NO_MEMORY;
	}
	for (size_t i = 0; i < n; i++) {
		fill_info(&list[i], &st[i]);
		if (states)
			(*states)[i] = st[i].dwEventState;
	}
	free(st);
	free(names);
	*out = list;
	*count = n;
	return STC_OK;
}

stc_rv stc_readers_list(stc_ctx *ctx, stc_reader_info **out, size_t *count)
{
	if (!ctx || !out || !count)
		return STC_ERR_INVALID_ARGS;
	return stci_snapshot(ctx, out, NULL, count);
}

void stc_readers_free(stc_reader_info *list)
{
	free(list);
}

/* ------------------------------------------------------------ card lock */

static void card_lock_init(stc_card *card)
{
	pthread_mutexattr_t a;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&card->mu, &a);
	pthread_mutexattr_destroy(&a);
	pthread_cond_init(&card->cv, NULL);
}

static void card_lock_destroy(stc_card *card)
{
	pthread_cond_destroy(&card->cv);
	pthread_mutex_destroy(&card->mu);
}

void stci_card_lock(stc_card *card)
{
	pthread_t self = pthread_self();

	pthread_mutex_lock(&card->mu);
	while (card->lock_depth && !pthread_equal(card->owner, self))
		pthread_cond_wait(&card->cv, &card->mu);
	card->owner = self;
	card->lock_depth++;
	pthread_mutex_unlock(&card->mu);
}

/* Does the calling thread hold the lock? */
static int card_lock_mine(stc_card *card)
{
	int mine;

	pthread_mutex_lock(&card->mu);
	mine = card->lock_depth && pthread_equal(card->owner, pthread_self());
	pthread_mutex_unlock(&card->mu);
	return mine;
}

void stci_card_unlock(stc_card *card)
{
	pthread_mutex_lock(&card->mu);
	if (card->lock_depth && pthread_equal(card->owner, pthread_self()) &&
	    --card->lock_depth == 0)
		pthread_cond_signal(&card->cv);
	pthread_mutex_unlock(&card->mu);
}

unsigned stci_card_generation(const stc_card *card)
{
	return card->generation;
}

/* ---------------------------------------------------------- connections */

static stc_rv read_status(stc_card *card)
{
	char name[STC_READER_NAME_MAX];
	DWORD name_len = sizeof(name), state = 0, proto = 0;
	BYTE atr[MAX_ATR_SIZE];
	DWORD atr_len = sizeof(atr);
	LONG r = SCardStatus(card->h, name, &name_len, &state, &proto, atr, &atr_len);

	if (r != SCARD_S_SUCCESS)
		return stci_pcsc_rv(card->ctx, r, "SCardStatus");
	if (!(state & SCARD_PRESENT))
		return STC_ERR_CARD_REMOVED;
	if (atr_len > STC_ATR_MAX)
		atr_len = STC_ATR_MAX;
	memcpy(card->atr, atr, atr_len);
	card->atr_len = atr_len;
	return STC_OK;
}

stc_rv stc_connect(stc_ctx *ctx, const char *reader, stc_share share, stc_card **out)
{
	stc_card *card;
	DWORD mode = share == STC_SHARE_EXCLUSIVE ? SCARD_SHARE_EXCLUSIVE : SCARD_SHARE_SHARED;
	LONG r;
	stc_rv rv;

	if (!ctx || !reader || !out || strlen(reader) >= STC_READER_NAME_MAX)
		return STC_ERR_INVALID_ARGS;
	*out = NULL;
	rv = stci_ctx_ensure(ctx);
	if (rv != STC_OK)
		return rv;
	card = calloc(1, sizeof(*card));
	if (!card)
		return STC_ERR_NO_MEMORY;
	card->ctx = ctx;
	snprintf(card->reader, sizeof(card->reader), "%s", reader);
	r = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &card->hctx);
	if (r != SCARD_S_SUCCESS) {
		free(card);
		return stci_pcsc_rv(ctx, r, "SCardEstablishContext");
	}
	r = SCardConnect(card->hctx, reader, mode, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
			 &card->h, &card->protocol);
	if (r != SCARD_S_SUCCESS) {
		(void)SCardReleaseContext(card->hctx);
		free(card);
		return stci_pcsc_rv(ctx, r, "SCardConnect");
	}
	rv = read_status(card);
	if (rv != STC_OK) {
		(void)SCardDisconnect(card->h, SCARD_LEAVE_CARD);
		(void)SCardReleaseContext(card->hctx);
		free(card);
		return rv;
	}
	card_lock_init(card);
	stc_log(STC_LOG_INFO, "connected to '%s' with T=%d", reader,
		card->protocol == SCARD_PROTOCOL_T1 ? 1 : 0);
	*out = card;
	return STC_OK;
}

stc_rv stc_card_from_transport(const stc_transport *t, stc_card **out)
{
	stc_card *card;

	if (!t || !t->transmit || !out || t->atr_len > STC_ATR_MAX || (t->atr_len && !t->atr) ||
	    (t->protocol != STC_PROTO_T0 && t->protocol != STC_PROTO_T1))
		return STC_ERR_INVALID_ARGS;
	card = calloc(1, sizeof(*card));
	if (!card)
		return STC_ERR_NO_MEMORY;
	card->transport = *t;
	card->transport.atr = NULL;
	card->transport.name = NULL;
	card->protocol = t->protocol == STC_PROTO_T1 ? SCARD_PROTOCOL_T1 : SCARD_PROTOCOL_T0;
	snprintf(card->reader, sizeof(card->reader), "%s", t->name ? t->name : "custom transport");
	if (t->atr_len)
		memcpy(card->atr, t->atr, t->atr_len);
	card->atr_len = t->atr_len;
	card_lock_init(card);
	*out = card;
	return STC_OK;
}

stc_rv stc_reconnect(stc_card *card, int reset)
{
	stc_rv rv;
	LONG r;

	if (!card)
		return STC_ERR_INVALID_ARGS;
	if (!card->ctx)
		return STC_ERR_NOT_SUPPORTED;
	stci_card_lock(card);
	r = SCardReconnect(card->h, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
			   reset ? SCARD_RESET_CARD : SCARD_LEAVE_CARD, &card->protocol);
	if (r != SCARD_S_SUCCESS) {
		rv = stci_pcsc_rv(card->ctx, r, "SCardReconnect");
	} else {
		/* A reconnect ends the PC/SC transaction; the nesting (and the lock)
		 * stay until the matching stc_end calls, and a stc_begin nested in
		 * between starts a new transaction. */
		card->tx_open = 0;
		card->generation++;
		rv = read_status(card);
	}
	stci_card_unlock(card);
	return rv;
}

void stc_disconnect(stc_card *card, int reset)
{
	if (!card)
		return;
	/* the caller's own transaction, if any, ends here; another thread's
	 * is waited for (disconnecting a card still in use is the caller's bug) */
	stci_card_lock(card);
	if (card->ctx && card->tx_open && card->ctx->valid)
		(void)SCardEndTransaction(card->h, SCARD_LEAVE_CARD);
	if (card->ctx && card->ctx->valid)
		(void)SCardDisconnect(card->h, reset ? SCARD_RESET_CARD : SCARD_LEAVE_CARD);
	if (card->ctx)
		(void)SCardReleaseContext(card->hctx);   /* frees the client side, pcscd or not */
	card_lock_destroy(card);
	free(card);
}

unsigned stc_card_protocol(const stc_card *card)
{
	return card && card->protocol == SCARD_PROTOCOL_T1 ? STC_PROTO_T1 : STC_PROTO_T0;
}

stc_rv stc_card_atr(const stc_card *card, uint8_t *atr, size_t *len)
{
	stc_card *c = (stc_card *)card;   /* the lock only: a reconnect rewrites the ATR */
	stc_rv rv = STC_OK;

	if (!card || !atr || !len)
		return STC_ERR_INVALID_ARGS;
	stci_card_lock(c);
	if (*len < card->atr_len) {
		rv = STC_ERR_BUFFER_TOO_SMALL;
	} else {
		memcpy(atr, card->atr, card->atr_len);
		*len = card->atr_len;
	}
	stci_card_unlock(c);
	return rv;
}

const char *stc_card_reader(const stc_card *card)
{
	return card ? card->reader : "";
}

/* ------------------------------------------------------- transactions */

/* The card lock is taken first and kept until the matching stc_end: another
 * thread's stc_begin waits for it (PC/SC serialises processes, the lock
 * serialises this process's threads, which may share one SCARDHANDLE). */
stc_rv stc_begin(stc_card *card)
{
	LONG r;

	if (!card)
		return STC_ERR_INVALID_ARGS;
	stci_card_lock(card);
	if (!card->tx_open && card->ctx) {
		if (!card->ctx->valid) {
			stci_card_unlock(card);
			return STC_ERR_NO_SERVICE;
		}
		r = SCardBeginTransaction(card->h);
		if (r != SCARD_S_SUCCESS) {
			stci_card_unlock(card);
			return stci_pcsc_rv(card->ctx, r, "SCardBeginTransaction");
		}
	}
	card->tx_open = 1;
	card->tx_depth++;
	return STC_OK;
}

stc_rv stc_end(stc_card *card)
{
	stc_rv rv = STC_OK;
	LONG r;

	if (!card || !card_lock_mine(card) || card->tx_depth == 0)
		return STC_ERR_INVALID_ARGS;
	if (--card->tx_depth == 0 && card->tx_open) {
		card->tx_open = 0;
		if (!card->ctx) {
			rv = STC_OK;
		} else if (!card->ctx->valid) {
			rv = STC_ERR_NO_SERVICE;
		} else {
			r = SCardEndTransaction(card->h, SCARD_LEAVE_CARD);
			if (r != SCARD_S_SUCCESS)
				rv = stci_pcsc_rv(card->ctx, r, "SCardEndTransaction");
		}
	}
	stci_card_unlock(card);
	return rv;
}

/* ---------------------------------------------------------- transmission */

/* How long a failed transmission waits for pcscd to notice a pulled card: its
 * presence polling runs every 400 ms for readers without an event thread. */
#define REMOVAL_GRACE_MS 1000

/* After a transmission failure, tell "card pulled" from other failures. The
 * failure may come before pcscd has seen the card go (the reader driver fails
 * the exchange at once, presence is polled), so when the card still looks
 * present, wait a little for the reader's state to change. */
static stc_rv refine_failure(stc_card *card, stc_rv rv)
{
	DWORD state = 0, proto = 0, name_len = 0, atr_len = 0;
	SCARD_READERSTATE st = { .szReader = card->reader };
	LONG r;

	if (!card->ctx)
		return rv;
	if (rv != STC_ERR_COMM && rv != STC_ERR_CARD_UNRESPONSIVE && rv != STC_ERR_PCSC)
		return rv;
	if (!card->ctx->valid)
		return STC_ERR_NO_SERVICE;
	r = SCardStatus(card->h, NULL, &name_len, &state, &proto, NULL, &atr_len);
	if (r == (LONG)SCARD_W_REMOVED_CARD || r == (LONG)SCARD_E_NO_SMARTCARD ||
	    (r == SCARD_S_SUCCESS && !(state & SCARD_PRESENT)))
		return STC_ERR_CARD_REMOVED;
	if (r == (LONG)SCARD_E_READER_UNAVAILABLE)
		return STC_ERR_READER_REMOVED;
	if (r == (LONG)SCARD_E_NO_SERVICE || r == (LONG)SCARD_E_SERVICE_STOPPED)
		return stci_pcsc_rv(card->ctx, r, "SCardStatus");

	st.dwCurrentState = SCARD_STATE_UNAWARE;
	if (SCardGetStatusChange(card->hctx, 0, &st, 1) != SCARD_S_SUCCESS)
		return rv;
	if (st.dwEventState & SCARD_STATE_PRESENT) {
		st.dwCurrentState = st.dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
		r = SCardGetStatusChange(card->hctx, REMOVAL_GRACE_MS, &st, 1);
		if (r != SCARD_S_SUCCESS)
			return rv;   /* still there after the grace period: a real failure */
	}
	if (st.dwEventState & (SCARD_STATE_EMPTY | SCARD_STATE_UNAVAILABLE))
		return (st.dwEventState & SCARD_STATE_UNAVAILABLE) ? STC_ERR_READER_REMOVED
								   : STC_ERR_CARD_REMOVED;
	/* present again with another insertion count: pulled and put back */
	return (st.dwEventState >> 16) != (st.dwCurrentState >> 16) ? STC_ERR_CARD_REMOVED : rv;
}

static stc_rv transmit_locked(stc_card *card, const uint8_t *cmd, size_t cmd_len,
			      uint8_t *resp, size_t *resp_len);

stc_rv stc_transmit_raw(stc_card *card, const uint8_t *cmd, size_t cmd_len,
			uint8_t *resp, size_t *resp_len)
{

	stc_rv rv;

	if (!card || !cmd || !resp || !resp_len || cmd_len < 4)
		return STC_ERR_INVALID_ARGS;
	stci_card_lock(card);   /* no-op inside the caller's own transaction */
	rv = transmit_locked(card, cmd, cmd_len, resp, resp_len);
	stci_card_unlock(card);
	return rv;
}

static stc_rv transmit_locked(stc_card *card, const uint8_t *cmd, size_t cmd_len,
			      uint8_t *resp, size_t *resp_len)
{
	const SCARD_IO_REQUEST *pci;
	DWORD rlen;
	LONG r;

	if (!card->ctx) {
		stc_rv rv;

		stc_log_apdu('>', cmd, cmd_len);
		rv = card->transport.transmit(card->transport.io, cmd, cmd_len, resp, resp_len);
		if (rv == STC_OK)
			stc_log_apdu('<', resp, *resp_len);
		return rv;
	}
	if (!card->ctx->valid)
		return STC_ERR_NO_SERVICE;
	pci = card->protocol == SCARD_PROTOCOL_T1 ? SCARD_PCI_T1 : SCARD_PCI_T0;
	rlen = (DWORD)*resp_len;
	stc_log_apdu('>', cmd, cmd_len);
	r = SCardTransmit(card->h, pci, cmd, (DWORD)cmd_len, NULL, resp, &rlen);
	if (r != SCARD_S_SUCCESS)
		return refine_failure(card, stci_pcsc_rv(card->ctx, r, "SCardTransmit"));
	/* vpcd (and some readers) report a card pulled mid-command as a success
	 * with no bytes at all: an answer without a status word is a failed
	 * exchange, and the card may well be gone */
	if (rlen < 2) {
		stc_log(STC_LOG_INFO, "SCardTransmit: %lu byte(s) back, no status word",
			(unsigned long)rlen);
		return refine_failure(card, STC_ERR_COMM);
	}
	*resp_len = rlen;
	stc_log_apdu('<', resp, rlen);
	return STC_OK;
}

static stc_rv xmit_card(void *io, const uint8_t *cmd, size_t cmd_len, uint8_t *resp,
			size_t *resp_len)
{
	return stc_transmit_raw(io, cmd, cmd_len, resp, resp_len);
}

stc_rv stc_transmit(stc_card *card, const stc_apdu *cmd, uint8_t *resp, size_t resp_cap,
		    size_t *resp_len, uint16_t *sw)
{
	stc_xfer_opts opts = { .chain = 1 };
	stc_rv rv;

	if (!card || !cmd)
		return STC_ERR_INVALID_ARGS;
	stci_card_lock(card);
	opts.form = card->protocol == SCARD_PROTOCOL_T1 ? STC_APDU_SHORT : STC_APDU_T0;
	rv = stc_begin(card);
	if (rv != STC_OK) {
		rv = card->ctx ? refine_failure(card, rv) : rv;
		stci_card_unlock(card);
		return rv;
	}
	rv = stc_apdu_transceive(xmit_card, card, &opts, cmd, resp, resp_cap, resp_len, sw);
	/* The answer is complete once transceive returns: a failure to end the
	 * transaction (card pulled just after, logged by stc_end) does not undo it. */
	(void)stc_end(card);
	stci_card_unlock(card);
	return rv;
}

/* ------------------------------------------------------------- control */

stc_rv stc_card_control(stc_card *card, unsigned long code, const uint8_t *in, size_t in_len,
			uint8_t *out, size_t *out_len)
{
	DWORD got = 0;
	stc_rv rv;
	LONG r;

	if (!card || !out_len || (in_len && !in) || (*out_len && !out))
		return STC_ERR_INVALID_ARGS;
	if (!card->ctx) {
		if (!card->transport.control)
			return STC_ERR_NOT_SUPPORTED;
		return card->transport.control(card->transport.io, code, in, in_len, out, out_len);
	}
	stci_card_lock(card);
	if (!card->ctx->valid) {
		stci_card_unlock(card);
		return STC_ERR_NO_SERVICE;
	}
	r = SCardControl(card->h, (DWORD)code, in, (DWORD)in_len, out, (DWORD)*out_len, &got);
	if (r == SCARD_S_SUCCESS) {
		*out_len = got;
		rv = STC_OK;
	} else if (r == (LONG)SCARD_E_UNSUPPORTED_FEATURE || r == (LONG)SCARD_E_NOT_TRANSACTED ||
		   r == (LONG)SCARD_E_INVALID_PARAMETER) {
		/* readers without the control answer one of these */
		stc_log(STC_LOG_DEBUG, "SCardControl(0x%08lX): %s", code, pcsc_stringify_error(r));
		rv = STC_ERR_NOT_SUPPORTED;
	} else {
		rv = refine_failure(card, stci_pcsc_rv(card->ctx, r, "SCardControl"));
	}
	stci_card_unlock(card);
	return rv;
}
