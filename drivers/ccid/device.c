/* device.c - one USB reader shared by its slots, and the bulk IN dispatcher.
 *
 * A multi-slot reader (the two-slot CPS + Vitale readers) answers the slots'
 * commands on one bulk IN endpoint, in any order. Whichever waiting thread
 * finds nobody reading becomes the reader: it reads one message and drops it
 * into the mailbox of the slot named by bSlot, then everybody looks at their
 * mailbox again. No extra thread, and the same code serves one slot. The
 * interrupt endpoint is shared the same way by the slots' polling threads. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ccid.h"

/* Default limits: a bulk read waits 10 s (CCID's default read timeout grows
 * with the card's waiting time; time extensions restart it), and a command
 * accepts 600 time extensions (10 min at the usual one per second). */
#define CCID_DEF_TIMEOUT_MS 10000
#define CCID_DEF_MAX_TIME_EXT 600
#define CCID_DEF_MAX_STALE 8

struct ccid_dev *ccid_dev_new(const struct ccid_opened *io, RESPONSECODE *rc)
{
	struct ccid_dev *dev = calloc(1, sizeof(*dev));
	unsigned i;

	*rc = IFD_COMMUNICATION_ERROR;
	if (!dev)
		return NULL;
	dev->io = *io;
	*rc = ccid_desc_parse(io->desc, io->desc_len, &dev->desc);
	if (*rc != IFD_SUCCESS) {
		free(dev);
		return NULL;
	}
	pthread_mutex_init(&dev->lock, NULL);
	pthread_cond_init(&dev->cond, NULL);
	dev->timeout_ms = CCID_DEF_TIMEOUT_MS;
	dev->max_time_ext = CCID_DEF_MAX_TIME_EXT;
	dev->max_stale = CCID_DEF_MAX_STALE;
	dev->scratch = malloc(CCID_MAX_MSG);
	for (i = 0; i < dev->desc.nslots; i++)
		dev->mbox[i].buf = malloc(CCID_MAX_MSG);
	for (i = 0; i < dev->desc.nslots; i++)
		if (!dev->mbox[i].buf)
			break;
	if (!dev->scratch || i < dev->desc.nslots) {
		*rc = IFD_COMMUNICATION_ERROR;
		ccid_dev_free(dev);
		return NULL;
	}
	*rc = IFD_SUCCESS;
	return dev;
}

void ccid_dev_free(struct ccid_dev *dev)
{
	unsigned i;

	if (!dev)
		return;
	if (dev->io.tp && dev->io.tp->close)
		dev->io.tp->close(dev->io.ctx);
	for (i = 0; i < CCID_MAX_SLOTS; i++)
		free(dev->mbox[i].buf);
	free(dev->scratch);
	pthread_cond_destroy(&dev->cond);
	pthread_mutex_destroy(&dev->lock);
	free(dev);
}

static void deadline_after(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Milliseconds left before ts (0 when passed). */
static unsigned ms_left(const struct timespec *ts)
{
	struct timespec now;
	long long d;

	clock_gettime(CLOCK_MONOTONIC, &now);
	d = (long long)(ts->tv_sec - now.tv_sec) * 1000 + (ts->tv_nsec - now.tv_nsec) / 1000000;
	return d > 0 ? (unsigned)d : 0;
}

/* cond waits use CLOCK_REALTIME by default; convert a monotonic deadline. */
static void cond_wait_until(struct ccid_dev *dev, const struct timespec *mono)
{
	struct timespec abs;
	unsigned ms = ms_left(mono);

	clock_gettime(CLOCK_REALTIME, &abs);
	abs.tv_sec += ms / 1000;
	abs.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (abs.tv_nsec >= 1000000000L) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&dev->cond, &dev->lock, &abs);
}

/* The next bulk IN message for slot, into its mailbox. CCID_TP_* code. */
int ccid_dev_receive(struct ccid_dev *dev, unsigned slot, unsigned timeout_ms)
{
	struct timespec deadline;
	unsigned zlp = 0;
	int rc = CCID_TP_TIMEOUT;

	deadline_after(&deadline, timeout_ms);
	pthread_mutex_lock(&dev->lock);
	for (;;) {
		if (dev->mbox[slot].full) {
			dev->mbox[slot].full = false;
			rc = CCID_TP_OK;
			break;
		}
		if (dev->gone) {
			rc = CCID_TP_NODEV;
			break;
		}
		if (!dev->reading) {
			size_t n = 0;
			int r;

			dev->reading = true;
			pthread_mutex_unlock(&dev->lock);
			r = dev->io.tp->recv(dev->io.ctx, dev->scratch, CCID_MAX_MSG, &n,
					     ms_left(&deadline));
			pthread_mutex_lock(&dev->lock);
			dev->reading = false;
			pthread_cond_broadcast(&dev->cond);
			if (r == CCID_TP_OK && n == 0) {
				/* a zero-length packet after a message of a multiple of
				 * wMaxPacketSize (QEMU's usb-ccid): not a message */
				if (++zlp > 16) {
					rc = CCID_TP_ERROR;
					break;
				}
				continue;
			}
			if (r == CCID_TP_OK) {
				/* A message too short to name its slot goes to the
				 * reader, who will reject it. */
				unsigned s = n > CCID_OFF_SLOT ? dev->scratch[CCID_OFF_SLOT] : slot;

				if (s >= dev->desc.nslots) {
					ccid_log("reply for slot %u dropped", s);
					continue;
				}
				memcpy(dev->mbox[s].buf, dev->scratch, n);
				dev->mbox[s].len = n;
				dev->mbox[s].full = true;
				continue;
			}
			if (r == CCID_TP_NODEV)
				dev->gone = true;
			if (r != CCID_TP_TIMEOUT || ms_left(&deadline) == 0) {
				rc = r;
				break;
			}
			continue;
		}
		if (ms_left(&deadline) == 0) {
			rc = CCID_TP_TIMEOUT;
			break;
		}
		cond_wait_until(dev, &deadline);
	}
	pthread_mutex_unlock(&dev->lock);
	return rc;
}

/* Interrupt endpoint: RDR_to_PC_NotifySlotChange carries 2 bits per slot
 * (present, changed), slot 0 in the low bits of the first byte. */
static void note_slot_change(struct ccid_dev *dev, const uint8_t *m, size_t n)
{
	unsigned s;

	if (n < 2 || m[0] != RDR_TO_PC_NOTIFYSLOTCHANGE)
		return;
	for (s = 0; s < dev->desc.nslots; s++) {
		size_t byte = 1 + s / 4;
		unsigned bits;

		if (byte >= n)
			break;
		bits = m[byte] >> ((s % 4) * 2) & 3u;
		dev->slot_present[s] = bits & 1u;
		if (bits & 2u)
			dev->slot_events[s]++;
	}
}

RESPONSECODE ccid_wait_slot_change(struct ccid_dev *dev, unsigned slot, int timeout_ms)
{
	struct timespec deadline;
	unsigned seen;
	RESPONSECODE rc = IFD_SUCCESS;

	if (!dev->io.tp->intr)
		return IFD_NOT_SUPPORTED;
	deadline_after(&deadline, timeout_ms > 0 ? (unsigned)timeout_ms : 0);
	pthread_mutex_lock(&dev->lock);
	seen = dev->slot_events[slot];
	/* a stop asked before we got here still counts (pcscd stops, then joins) */
	while (dev->slot_events[slot] == seen && !dev->stop_polling) {
		if (dev->gone) {
			rc = IFD_NO_SUCH_DEVICE;
			break;
		}
		if (ms_left(&deadline) == 0)
			break;
		if (!dev->intr_reading) {
			uint8_t m[8];
			size_t n = 0;
			int r;
			/* short reads so IFDHStopPolling is heard within 0.5 s */
			unsigned t = ms_left(&deadline);

			dev->intr_reading = true;
			pthread_mutex_unlock(&dev->lock);
			r = dev->io.tp->intr(dev->io.ctx, m, sizeof(m), &n, t > 500 ? 500 : t);
			pthread_mutex_lock(&dev->lock);
			dev->intr_reading = false;
			if (r == CCID_TP_OK)
				note_slot_change(dev, m, n);
			else if (r == CCID_TP_NODEV)
				dev->gone = true;
			else if (r == CCID_TP_ERROR) {
				pthread_cond_broadcast(&dev->cond);
				pthread_mutex_unlock(&dev->lock);
				/* a broken interrupt pipe must not spin pcscd's thread */
				struct timespec ts = { 0, 100000000L };
				nanosleep(&ts, NULL);
				pthread_mutex_lock(&dev->lock);
			}
			pthread_cond_broadcast(&dev->cond);
			continue;
		}
		cond_wait_until(dev, &deadline);
	}
	dev->stop_polling = false;
	pthread_mutex_unlock(&dev->lock);
	return rc;
}
