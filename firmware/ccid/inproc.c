/* inproc.c - the in-process transport (inproc.h). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ccid_proto.h"
#include "inproc.h"
#include "../../drivers/ccid/transport.h"

struct inproc {
	struct ccidfw *fw;
	size_t last_len;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum inproc_hostile hostile;
	unsigned hostile_left;
	unsigned sent;
	bool used, unplugged;
	uint8_t last_seq, last_slot;
	uint8_t last[CCID_HDR + 300];
};

static struct inproc devs[INPROC_MAX] = {
	[0 ... INPROC_MAX - 1] = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER }
};

static void deadline(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static int ip_send(void *c, const uint8_t *buf, size_t len)
{
	struct inproc *d = c;

	pthread_mutex_lock(&d->lock);
	if (d->unplugged || !d->fw) {
		pthread_mutex_unlock(&d->lock);
		return CCID_TP_NODEV;
	}
	d->sent++;
	d->last_len = len < sizeof(d->last) ? len : sizeof(d->last);
	memcpy(d->last, buf, d->last_len);
	if (len >= CCID_HDR) {
		d->last_seq = buf[CCID_OFF_SEQ];
		d->last_slot = buf[CCID_OFF_SLOT];
	}
	ccidfw_bulk_out(d->fw, buf, len);
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
	return CCID_TP_OK;
}

/* Applies the hostile mode to a reply; false: swallow it. */
static bool spoil(struct inproc *d, uint8_t *buf, size_t *len, size_t cap)
{
	if (d->hostile == HOSTILE_NONE || d->hostile_left == 0)
		return true;
	d->hostile_left--;
	switch (d->hostile) {
	case HOSTILE_LEN_MISMATCH:
		ccid_put_le32(buf + CCID_OFF_LEN, ccid_le32(buf + CCID_OFF_LEN) + 1);
		break;
	case HOSTILE_WRONG_SEQ:
		buf[CCID_OFF_SEQ] ^= 0x55;
		break;
	case HOSTILE_OVERSIZED:
		ccid_put_le32(buf + CCID_OFF_LEN, 0xFFFFFFF0u);
		break;
	case HOSTILE_TRUNCATED:
		*len = 7;
		break;
	case HOSTILE_WRONG_TYPE:
		buf[CCID_OFF_TYPE] = RDR_TO_PC_SLOTSTATUS;
		break;
	case HOSTILE_BAD_CHAIN:
		buf[CCID_OFF_CHAIN] = CCID_CHAIN_MIDDLE;
		break;
	case HOSTILE_WRONG_SLOT:
		buf[CCID_OFF_SLOT] = 0x7F;
		break;
	case HOSTILE_ABSENT_OK:
		buf[CCID_OFF_STATUS] = CCID_ICC_ABSENT;
		ccid_put_le32(buf + CCID_OFF_LEN, 0);
		*len = CCID_HDR;
		break;
	case HOSTILE_BIG_ATR:
		if (cap >= CCID_HDR + 40) {
			memset(buf + CCID_HDR, 0x3B, 40);
			ccid_put_le32(buf + CCID_OFF_LEN, 40);
			*len = CCID_HDR + 40;
		}
		break;
	default:
		break;
	}
	return true;
}

static int ip_recv(void *c, uint8_t *buf, size_t cap, size_t *len, unsigned timeout_ms)
{
	struct inproc *d = c;
	struct timespec ts;
	int rc = CCID_TP_TIMEOUT;

	*len = 0;
	deadline(&ts, timeout_ms);
	pthread_mutex_lock(&d->lock);
	for (;;) {
		size_t n;

		if (d->unplugged || !d->fw) {
			rc = CCID_TP_NODEV;
			break;
		}
		if (d->hostile == HOSTILE_SILENT && d->hostile_left) {
			while (ccidfw_bulk_in(d->fw, buf, cap))
				;	/* swallowed */
		} else if (d->hostile == HOSTILE_ENDLESS_TIME_EXT && d->hostile_left) {
			/* drain the real reply; answer "more time" forever */
			while (ccidfw_bulk_in(d->fw, buf, cap))
				;
			if (cap >= CCID_HDR) {
				memset(buf, 0, CCID_HDR);
				buf[CCID_OFF_TYPE] = RDR_TO_PC_DATABLOCK;
				buf[CCID_OFF_SLOT] = d->last_slot;
				buf[CCID_OFF_SEQ] = d->last_seq;
				buf[CCID_OFF_STATUS] = CCID_CMD_TIME_EXT;
				buf[CCID_OFF_ERROR] = 1;
				*len = CCID_HDR;
				rc = CCID_TP_OK;
				break;
			}
		} else if (d->hostile == HOSTILE_ZLP && d->hostile_left) {
			d->hostile_left--;
			rc = CCID_TP_OK;	/* *len = 0 */
			break;
		} else {
			n = ccidfw_bulk_in(d->fw, buf, cap);
			if (n) {
				*len = n;
				spoil(d, buf, len, cap);
				rc = CCID_TP_OK;
				break;
			}
		}
		if (pthread_cond_timedwait(&d->cond, &d->lock, &ts) != 0) {
			rc = CCID_TP_TIMEOUT;
			break;
		}
	}
	pthread_mutex_unlock(&d->lock);
	return rc;
}

static int ip_intr(void *c, uint8_t *buf, size_t cap, size_t *len, unsigned timeout_ms)
{
	struct inproc *d = c;
	struct timespec ts;
	int rc;

	*len = 0;
	deadline(&ts, timeout_ms);
	pthread_mutex_lock(&d->lock);
	for (;;) {
		if (d->unplugged || !d->fw) {
			rc = CCID_TP_NODEV;
			break;
		}
		*len = ccidfw_interrupt_in(d->fw, buf, cap);
		if (*len) {
			rc = CCID_TP_OK;
			break;
		}
		if (pthread_cond_timedwait(&d->cond, &d->lock, &ts) != 0) {
			rc = CCID_TP_TIMEOUT;
			break;
		}
	}
	pthread_mutex_unlock(&d->lock);
	return rc;
}

static void ip_close(void *c)
{
	(void)c;
}

static const struct ccid_transport inproc_tp = { "inproc", ip_send, ip_recv, ip_intr, ip_close };

static int ip_open(const char *name, struct ccid_opened *out)
{
	unsigned i = (unsigned)atoi(name + 7);
	struct inproc *d;

	if (i >= INPROC_MAX)
		return CCID_TP_ERROR;
	d = &devs[i];
	pthread_mutex_lock(&d->lock);
	if (!d->used || !d->fw || d->unplugged) {
		pthread_mutex_unlock(&d->lock);
		return CCID_TP_NODEV;
	}
	ccidfw_descriptor(d->fw, out->desc);
	pthread_mutex_unlock(&d->lock);
	out->desc_len = 54;
	out->tp = &inproc_tp;
	out->ctx = d;
	out->vid = SANTECARD_CCID_VID;
	out->pid = SANTECARD_CCID_PID_1SLOT;
	strcpy(out->product, "santecard in-process CCID");
	return CCID_TP_OK;
}

void inproc_register(unsigned index, struct ccidfw *fw)
{
	struct inproc *d;

	if (index >= INPROC_MAX)
		return;
	d = &devs[index];
	pthread_mutex_lock(&d->lock);
	d->fw = fw;
	d->used = true;
	d->unplugged = false;
	d->hostile = HOSTILE_NONE;
	d->hostile_left = 0;
	d->sent = 0;
	pthread_mutex_unlock(&d->lock);
	ccid_transport_register("inproc:", ip_open);
}

void inproc_unregister(unsigned index)
{
	struct inproc *d;

	if (index >= INPROC_MAX)
		return;
	d = &devs[index];
	pthread_mutex_lock(&d->lock);
	d->fw = NULL;
	d->used = false;
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

void inproc_hostile(unsigned index, enum inproc_hostile mode, unsigned count)
{
	struct inproc *d = &devs[index % INPROC_MAX];

	pthread_mutex_lock(&d->lock);
	d->hostile = mode;
	d->hostile_left = count;
	pthread_mutex_unlock(&d->lock);
}

void inproc_unplug(unsigned index)
{
	struct inproc *d = &devs[index % INPROC_MAX];

	pthread_mutex_lock(&d->lock);
	d->unplugged = true;
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

bool inproc_insert(unsigned index, unsigned slot, const struct sim_card_ops *ops, void *card)
{
	struct inproc *d = &devs[index % INPROC_MAX];
	bool ok;

	pthread_mutex_lock(&d->lock);
	ok = d->fw && ccidfw_insert(d->fw, slot, ops, card);
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
	return ok;
}

void inproc_remove(unsigned index, unsigned slot)
{
	struct inproc *d = &devs[index % INPROC_MAX];

	pthread_mutex_lock(&d->lock);
	if (d->fw)
		ccidfw_remove(d->fw, slot);
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

void inproc_keypad(unsigned index, const char *keys)
{
	struct inproc *d = &devs[index % INPROC_MAX];

	pthread_mutex_lock(&d->lock);
	if (d->fw)
		ccidfw_keypad(d->fw, keys);
	pthread_mutex_unlock(&d->lock);
}

void inproc_locked(unsigned index, void (*fn)(struct ccidfw *fw, void *arg), void *arg)
{
	struct inproc *d = &devs[index % INPROC_MAX];

	pthread_mutex_lock(&d->lock);
	if (d->fw)
		fn(d->fw, arg);
	pthread_mutex_unlock(&d->lock);
}

unsigned inproc_sent(unsigned index, uint8_t *last, size_t cap, size_t *last_len)
{
	struct inproc *d = &devs[index % INPROC_MAX];
	unsigned n;

	pthread_mutex_lock(&d->lock);
	n = d->sent;
	if (last && last_len) {
		*last_len = d->last_len < cap ? d->last_len : cap;
		memcpy(last, d->last, *last_len);
	}
	pthread_mutex_unlock(&d->lock);
	return n;
}
