/* ccid_gadget.c - our CCID reader firmware (firmware/ccid, ccidfw_*) as a USB
 * gadget on FunctionFS, for Run 2 in the QEMU guest (dummy_hcd connects it to
 * the guest's own USB host side, where pcscd and the driver see it).
 *
 *   ccid_gadget FFS_DIR [--time-ext N] [--keys KEYS] PORT...
 *
 * FFS_DIR is the mounted functionfs instance (ep0 there). Each PORT is a
 * virtio-serial port (/dev/vportNpM) through which a card is bridged from the
 * host: this program plays vsmartcard's vpcd on it (2-byte big-endian length
 * + payload; 1-byte controls 0 off, 1 on, 2 reset, 4 ATR) and santecard-sim
 * --vpcd on the host, connected to QEMU's chardev, is the card. The host side
 * being connected is the card being in the slot: a `remove` on the sim's
 * control socket closes it, the port hangs up, the slot empties
 * (NotifySlotChange). One slot per port, up to 2 (the two-slot reader
 * 1209:5C02 of drivers/ccid/Info.plist, TPDU level, pinpad, 2 busy slots).
 * --time-ext N: N time extension replies before every answer; --keys: what the
 * scripted keypad types at the PIN entries (a line written to /run/ccid-keys
 * replaces it at run time). Prints "ccid_gadget: ready" once
 * the descriptors are written (bind the UDC then).
 */
#include "config.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/usb/ch9.h>
#include <linux/usb/functionfs.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "card.h"
#include "ccid/reader.h"

#define MAX_PORTS 2
#define MSG_MAX (10 + 65536)

static struct ccidfw *fw;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static int ep_out = -1, ep_in = -1, ep_int = -1;

/* ------------------------------------------------------------ bridged cards */

struct proxy {
	int fd;
	const char *path;
	bool present;
};

/* Waits up to ms for fd to be ready for events. */
static bool ready(int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };

	return poll(&p, 1, ms) > 0 && (p.revents & events);
}

/* Whole buffers on the endpoints (blocking fds), or on the ports (non-blocking:
 * QEMU stops taking a port's data when its socket peer is gone without
 * telling the guest, so every wait is bounded by ms). */
static bool write_all_ms(int fd, const uint8_t *p, size_t n, int ms)
{
	while (n) {
		ssize_t r = write(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN && ms > 0 && ready(fd, POLLOUT, ms))
			continue;
		if (r <= 0)
			return false;
		p += r;
		n -= (size_t)r;
	}
	return true;
}

static bool write_all(int fd, const uint8_t *p, size_t n)
{
	return write_all_ms(fd, p, n, 0);
}

static bool read_all_ms(int fd, uint8_t *p, size_t n, int ms)
{
	while (n) {
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN && ready(fd, POLLIN, ms))
			continue;
		if (r <= 0)
			return false;
		p += r;
		n -= (size_t)r;
	}
	return true;
}

/* Drops whatever a port holds (answers to requests that waited in QEMU while
 * the card was out). */
static void drain(int fd)
{
	uint8_t sink[256];

	while (ready(fd, POLLIN, 100) && read(fd, sink, sizeof(sink)) > 0)
		;
}

static void glog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One vpcd exchange; the reply (if one is expected) into r, within wait_ms. */
static size_t vpcd_xchg(struct proxy *px, const uint8_t *c, size_t n, uint8_t *r, size_t cap,
			bool reply, int wait_ms)
{
	static uint8_t msg[2 + 65544];	/* under the lock */
	uint8_t hdr[2];

	if (n > sizeof(msg) - 2)
		return 0;
	/* One write per message: a port that stops taking data must never keep
	 * half a message (the card would read the rest of the stream wrong). */
	msg[0] = (uint8_t)(n >> 8);
	msg[1] = (uint8_t)n;
	memcpy(msg + 2, c, n);
	if (!write_all_ms(px->fd, msg, 2 + n, 1000)) {
		if (px->present)
			glog("%s: write: %s", px->path, strerror(errno));
		return 0;
	}
	if (!reply)
		return 0;
	if (!read_all_ms(px->fd, hdr, 2, wait_ms)) {
		if (px->present)
			glog("%s: no answer", px->path);
		return 0;
	}
	size_t len = (size_t)hdr[0] << 8 | hdr[1];
	if (len > cap) {
		uint8_t sink[256];
		while (len) {
			size_t k = len > sizeof(sink) ? sizeof(sink) : len;
			if (!read_all_ms(px->fd, sink, k, 1000))
				return 0;
			len -= k;
		}
		return 0;
	}
	return read_all_ms(px->fd, r, len, 1000) ? len : 0;
}

static void px_ctrl(void *card, uint8_t b)
{
	vpcd_xchg(card, &b, 1, NULL, 0, false, 0);
}

static void px_on(void *card) { px_ctrl(card, 1); }
static void px_off(void *card) { px_ctrl(card, 0); }
static void px_reset(void *card) { px_ctrl(card, 2); }

static size_t px_atr(void *card, uint8_t *out, size_t cap)
{
	uint8_t b = 4;

	return vpcd_xchg(card, &b, 1, out, cap, true, 1000);
}

static size_t px_process(void *card, const uint8_t *c, size_t n, uint8_t *r, size_t cap)
{
	size_t len = vpcd_xchg(card, c, n, r, cap, true, 30000);

	if (len < 2 && cap >= 2) {
		r[0] = 0x6F;	/* the host side went away mid-command */
		r[1] = 0x00;
		len = 2;
	}
	return len;
}

static const struct sim_card_ops proxy_ops = {
	.name = "proxy",
	.description = "a card bridged from the host (vpcd over virtio-serial)",
	.atr = px_atr,
	.power_on = px_on,
	.power_off = px_off,
	.reset = px_reset,
	.process = px_process,
};

/* ------------------------------------------------------------ descriptors */

struct __attribute__((packed)) ccid_function {
	struct usb_interface_descriptor intf;
	uint8_t ccid[54];
	struct usb_endpoint_descriptor_no_audio out, in, irq;
};

static void fill_function(struct ccid_function *f, uint16_t bulk_mps)
{
	memset(f, 0, sizeof(*f));
	f->intf.bLength = sizeof(f->intf);
	f->intf.bDescriptorType = USB_DT_INTERFACE;
	f->intf.bNumEndpoints = 3;
	f->intf.bInterfaceClass = 0x0B;
	f->intf.iInterface = 1;
	ccidfw_descriptor(fw, f->ccid);
	f->out.bLength = f->in.bLength = f->irq.bLength = USB_DT_ENDPOINT_SIZE;
	f->out.bDescriptorType = f->in.bDescriptorType = f->irq.bDescriptorType = USB_DT_ENDPOINT;
	f->out.bEndpointAddress = 1 | USB_DIR_OUT;
	f->out.bmAttributes = USB_ENDPOINT_XFER_BULK;
	f->out.wMaxPacketSize = htole16(bulk_mps);
	f->in.bEndpointAddress = 2 | USB_DIR_IN;
	f->in.bmAttributes = USB_ENDPOINT_XFER_BULK;
	f->in.wMaxPacketSize = htole16(bulk_mps);
	f->irq.bEndpointAddress = 3 | USB_DIR_IN;
	f->irq.bmAttributes = USB_ENDPOINT_XFER_INT;
	f->irq.wMaxPacketSize = htole16(8);
	f->irq.bInterval = 4;
}

static bool write_descriptors(int ep0)
{
	struct __attribute__((packed)) {
		struct usb_functionfs_descs_head_v2 head;
		uint32_t fs_count, hs_count;
		struct ccid_function fs, hs;
	} d;
	const struct __attribute__((packed)) {
		struct usb_functionfs_strings_head head;
		uint16_t lang;
		char str[15];
	} s = {
		.head = { .magic = htole32(FUNCTIONFS_STRINGS_MAGIC), .length = htole32(sizeof(s)),
			  .str_count = htole32(1), .lang_count = htole32(1) },
		.lang = htole16(0x0409),
		.str = "CCID Interface",
	};

	d.head.magic = htole32(FUNCTIONFS_DESCRIPTORS_MAGIC_V2);
	d.head.length = htole32(sizeof(d));
	d.head.flags = htole32(FUNCTIONFS_HAS_FS_DESC | FUNCTIONFS_HAS_HS_DESC);
	d.fs_count = d.hs_count = htole32(5);
	fill_function(&d.fs, 64);
	fill_function(&d.hs, 512);
	if (write(ep0, &d, sizeof(d)) != (ssize_t)sizeof(d)) {
		perror("ccid_gadget: descriptors");
		return false;
	}
	if (write(ep0, &s, sizeof(s)) != (ssize_t)sizeof(s)) {
		perror("ccid_gadget: strings");
		return false;
	}
	return true;
}

/* ------------------------------------------------------------ threads */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void glog(const char *fmt, ...)
{
	va_list ap;

	printf("ccid_gadget: [%.3f] ", now_s());
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* Replies the firmware queued go out on bulk IN; a slot change wakes the
 * interrupt thread. Called with the lock held. */
static void flush_replies(void)
{
	static uint8_t buf[MSG_MAX];
	size_t n;

	while ((n = ccidfw_bulk_in(fw, buf, sizeof(buf))) > 0) {
		if (!write_all(ep_in, buf, n))
			glog("bulk IN: %s", strerror(errno));
		/* A transfer of a multiple of the packet size ends with a
		 * zero-length packet, or the host waits for more. */
		else if (n % 64 == 0 && write(ep_in, buf, 0) < 0)
			glog("bulk IN ZLP: %s", strerror(errno));
	}
	pthread_cond_broadcast(&changed);
}

/* Bulk OUT: reassemble each message from its dwLength (a message of a
 * multiple of 64 bytes ends without a short packet). */
static void *bulk_thread(void *arg)
{
	static uint8_t msg[MSG_MAX];

	(void)arg;
	for (;;) {
		ssize_t r = read(ep_out, msg, 512);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == ESHUTDOWN) {	/* not enabled (yet, or any more) */
			usleep(50000);
			continue;
		}
		if (r <= 0) {
			fprintf(stderr, "ccid_gadget: bulk OUT: %s\n", r ? strerror(errno) : "EOF");
			usleep(100000);
			continue;
		}
		size_t got = (size_t)r;
		if (got >= 10) {
			size_t want = 10 + ((size_t)msg[1] | (size_t)msg[2] << 8 | (size_t)msg[3] << 16);
			while (want <= sizeof(msg) && got < want) {
				size_t ask = want - got;
				if (ask % 64)
					ask += 64 - ask % 64;
				if (ask > sizeof(msg) - got)
					ask = sizeof(msg) - got;
				r = read(ep_out, msg + got, ask);
				if (r <= 0)
					break;
				got += (size_t)r;
			}
		}
		pthread_mutex_lock(&lock);
		ccidfw_bulk_out(fw, msg, got);
		flush_replies();
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

static void *interrupt_thread(void *arg)
{
	uint8_t buf[16];

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&lock);
		size_t n;
		while ((n = ccidfw_interrupt_in(fw, buf, sizeof(buf))) == 0)
			pthread_cond_wait(&changed, &lock);
		pthread_mutex_unlock(&lock);
		glog("interrupt IN %02X %02X queued", buf[0], n > 1 ? buf[1] : 0);
		if (!write_all(ep_int, buf, n))
			glog("interrupt IN: %s", strerror(errno));
		else
			glog("interrupt IN %02X %02X read by the host", buf[0], n > 1 ? buf[1] : 0);
	}
	return NULL;
}

/* The host side of each port connected and answering = a card in the slot.
 * QEMU notices that the simulator closed its socket only when it writes to
 * it, so present cards are asked for their ATR every 200 ms, as vpcd does. */
static void *presence_thread(void *arg)
{
	struct proxy *px = arg;

	for (;;) {
		for (unsigned i = 0; i < MAX_PORTS && px[i].path; i++) {
			struct pollfd p = { .fd = px[i].fd, .events = POLLOUT };
			uint8_t atr[SIM_ATR_MAX];
			if (poll(&p, 1, 0) < 0)
				continue;
			bool now = !(p.revents & POLLHUP);
			pthread_mutex_lock(&lock);
			if (now)
				now = px_atr(&px[i], atr, sizeof(atr)) >= 2;
			if (now == px[i].present) {
				pthread_mutex_unlock(&lock);
				continue;
			}
			if (now) {
				drain(px[i].fd);
				if (ccidfw_insert(fw, i, &proxy_ops, &px[i]))
					px[i].present = true;
			} else {
				ccidfw_remove(fw, i);
				px[i].present = false;
			}
			glog("slot %u %s", i, px[i].present ? "card in" : "card out");
			pthread_cond_broadcast(&changed);
			pthread_mutex_unlock(&lock);
		}
		/* The keys the next PIN entries will type (guest_client pinpad). */
		FILE *k = fopen("/run/ccid-keys", "r");
		if (k) {
			char keys[128] = "";
			if (fgets(keys, sizeof(keys), k)) {
				keys[strcspn(keys, "\n")] = '\0';
				pthread_mutex_lock(&lock);
				ccidfw_keypad(fw, keys);
				pthread_mutex_unlock(&lock);
				glog("keypad script set (%zu keys)", strlen(keys));
			}
			fclose(k);
			unlink("/run/ccid-keys");
		}
		usleep(100000);
	}
	return NULL;
}

static void *ep0_thread(void *arg)
{
	int ep0 = *(int *)arg;
	struct usb_functionfs_event ev;

	for (;;) {
		ssize_t r = read(ep0, &ev, sizeof(ev));
		if (r < 0 && errno == EINTR)
			continue;
		if (r != (ssize_t)sizeof(ev))
			return NULL;
		if (ev.type == FUNCTIONFS_ENABLE || ev.type == FUNCTIONFS_DISABLE ||
		    ev.type == FUNCTIONFS_UNBIND) {
			struct ccidfw_stats st;
			pthread_mutex_lock(&lock);
			ccidfw_stats(fw, 0, &st);
			pthread_mutex_unlock(&lock);
			glog("%s: messages %u xfr %u apdus %u t1 blocks %u time extensions %u",
			     ev.type == FUNCTIONFS_ENABLE ? "enabled" :
			     ev.type == FUNCTIONFS_DISABLE ? "disabled" : "unbound",
			     st.messages, st.xfr_blocks, st.apdus, st.t1_blocks, st.time_ext);
		}
		if (ev.type == FUNCTIONFS_SETUP) {
			/* CCID class requests (ABORT, clock/data rates): acknowledge
			 * ABORT, stall the rest, as the firmware has no control path. */
			if (ev.u.setup.bRequestType & USB_DIR_IN) {
				if (read(ep0, NULL, 0) < 0) { /* stall */ }
			} else if (ev.u.setup.bRequest == 0x01) {
				if (read(ep0, NULL, 0) < 0) { /* ack */ }
			} else if (write(ep0, NULL, 0) < 0) { /* stall */ }
		}
	}
}

int main(int argc, char **argv)
{
	struct ccidfw_config c;
	struct proxy px[MAX_PORTS] = { { -1, NULL, false }, { -1, NULL, false } };
	char path[512];
	unsigned nports = 0, text = 0;
	const char *keys = NULL;
	int ep0;
	pthread_t t;

	if (argc < 3) {
		fprintf(stderr, "usage: ccid_gadget FFS_DIR [--time-ext N] [--keys KEYS] PORT...\n");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--time-ext") && i + 1 < argc)
			text = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--keys") && i + 1 < argc)
			keys = argv[++i];
		else if (nports < MAX_PORTS)
			px[nports++].path = argv[i];
	}
	ccidfw_config_two_slot(&c);
	c.nslots = nports ? nports : 1;
	fw = ccidfw_new(&c);
	if (!fw)
		return 1;
	if (text)
		ccidfw_time_extensions(fw, text, 1);
	if (keys)
		ccidfw_keypad(fw, keys);
	for (unsigned i = 0; i < nports; i++) {
		px[i].fd = open(px[i].path, O_RDWR | O_CLOEXEC | O_NONBLOCK);
		if (px[i].fd < 0) {
			fprintf(stderr, "ccid_gadget: %s: %s\n", px[i].path, strerror(errno));
			return 1;
		}
	}
	snprintf(path, sizeof(path), "%s/ep0", argv[1]);
	ep0 = open(path, O_RDWR);
	if (ep0 < 0 || !write_descriptors(ep0)) {
		fprintf(stderr, "ccid_gadget: %s: %s\n", path, strerror(errno));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/ep1", argv[1]);
	ep_out = open(path, O_RDWR);
	snprintf(path, sizeof(path), "%s/ep2", argv[1]);
	ep_in = open(path, O_RDWR);
	snprintf(path, sizeof(path), "%s/ep3", argv[1]);
	ep_int = open(path, O_RDWR);
	if (ep_out < 0 || ep_in < 0 || ep_int < 0) {
		fprintf(stderr, "ccid_gadget: endpoints: %s\n", strerror(errno));
		return 1;
	}
	printf("ccid_gadget: ready, %u slot(s)\n", c.nslots);
	fflush(stdout);
	pthread_create(&t, NULL, bulk_thread, NULL);
	pthread_create(&t, NULL, interrupt_thread, NULL);
	pthread_create(&t, NULL, presence_thread, px);
	ep0_thread(&ep0);
	return 0;
}
