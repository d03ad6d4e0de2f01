/* usb.c - the libusb-1.0 transport: finds the device pcscd names, its CCID
 * interface (class 0x0B, or a vendor class with a CCID descriptor), the class
 * descriptor and the bulk IN/OUT and interrupt IN endpoints (addresses taken
 * from the descriptors: a gadget's UDC may renumber them). */
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libusb.h>

#include "transport.h"

#define USB_WRITE_TIMEOUT_MS 5000

struct usb_ctx {
	libusb_context *ctx;
	libusb_device_handle *h;
	int iface;
	uint8_t ep_in, ep_out, ep_intr;
};

static int map(int r)
{
	switch (r) {
	case 0:
		return CCID_TP_OK;
	case LIBUSB_ERROR_TIMEOUT:
		return CCID_TP_TIMEOUT;
	case LIBUSB_ERROR_NO_DEVICE:
	case LIBUSB_ERROR_NOT_FOUND:
		return CCID_TP_NODEV;
	default:
		return CCID_TP_ERROR;
	}
}

static int usb_send(void *c, const uint8_t *buf, size_t len)
{
	struct usb_ctx *u = c;
	int done = 0, r;

	r = libusb_bulk_transfer(u->h, u->ep_out, (unsigned char *)buf, (int)len, &done,
				 USB_WRITE_TIMEOUT_MS);
	if (r == LIBUSB_ERROR_PIPE) {
		/* a stalled OUT pipe: clear it once and retry */
		libusb_clear_halt(u->h, u->ep_out);
		r = libusb_bulk_transfer(u->h, u->ep_out, (unsigned char *)buf, (int)len, &done,
					 USB_WRITE_TIMEOUT_MS);
	}
	if (r == 0 && (size_t)done != len)
		return CCID_TP_ERROR;
	return map(r);
}

static int usb_recv(void *c, uint8_t *buf, size_t cap, size_t *len, unsigned timeout_ms)
{
	struct usb_ctx *u = c;
	int done = 0, r;

	*len = 0;
	r = libusb_bulk_transfer(u->h, u->ep_in, buf, (int)cap, &done, timeout_ms ? timeout_ms : 1);
	if (r == 0)
		*len = (size_t)done;
	return map(r);
}

static int usb_intr(void *c, uint8_t *buf, size_t cap, size_t *len, unsigned timeout_ms)
{
	struct usb_ctx *u = c;
	int done = 0, r;

	*len = 0;
	r = libusb_interrupt_transfer(u->h, u->ep_intr, buf, (int)cap, &done,
				      timeout_ms ? timeout_ms : 1);
	if (r == 0)
		*len = (size_t)done;
	return map(r);
}

static void usb_close(void *c)
{
	struct usb_ctx *u = c;

	if (!u)
		return;
	if (u->h) {
		libusb_release_interface(u->h, u->iface);
		libusb_close(u->h);
	}
	if (u->ctx)
		libusb_exit(u->ctx);
	free(u);
}

static const struct ccid_transport usb_tp = {
	"libusb", usb_send, usb_recv, usb_intr, usb_close
};
static const struct ccid_transport usb_tp_nointr = {
	"libusb", usb_send, usb_recv, NULL, usb_close
};

/* The CCID class descriptor in an interface's extra bytes (or, for old
 * readers, after the endpoints). */
static const uint8_t *find_ccid_desc(const struct libusb_interface_descriptor *alt)
{
	int i;

	for (i = 0; i + 1 < alt->extra_length; i += alt->extra[i] ? alt->extra[i] : 1)
		if (alt->extra[i] == 54 && (alt->extra[i + 1] == 0x21 || alt->extra[i + 1] == 0xFF) &&
		    i + 54 <= alt->extra_length)
			return alt->extra + i;
	for (i = 0; i < alt->bNumEndpoints; i++) {
		const struct libusb_endpoint_descriptor *e = &alt->endpoint[i];

		if (e->extra_length >= 54 && e->extra[0] == 54 && (e->extra[1] == 0x21 || e->extra[1] == 0xFF))
			return e->extra;
	}
	return NULL;
}

/* Picks the CCID interface (the wanted number, or the first) of a device. */
static int probe(libusb_device *d, int want_iface, struct usb_ctx *u, struct ccid_opened *out)
{
	struct libusb_config_descriptor *cfg;
	int i, r = CCID_TP_NODEV;

	if (libusb_get_active_config_descriptor(d, &cfg) != 0)
		return CCID_TP_ERROR;
	for (i = 0; i < cfg->bNumInterfaces; i++) {
		const struct libusb_interface_descriptor *alt;
		const uint8_t *cd;
		int e;

		if (cfg->interface[i].num_altsetting < 1)
			continue;
		alt = &cfg->interface[i].altsetting[0];
		if (want_iface >= 0 && alt->bInterfaceNumber != want_iface)
			continue;
		if (alt->bInterfaceClass != 0x0B && alt->bInterfaceClass != 0xFF)
			continue;
		cd = find_ccid_desc(alt);
		if (!cd)
			continue;
		u->ep_in = u->ep_out = u->ep_intr = 0;
		for (e = 0; e < alt->bNumEndpoints; e++) {
			const struct libusb_endpoint_descriptor *ep = &alt->endpoint[e];
			int type = ep->bmAttributes & LIBUSB_TRANSFER_TYPE_MASK;
			bool in = ep->bEndpointAddress & LIBUSB_ENDPOINT_IN;

			if (type == LIBUSB_TRANSFER_TYPE_BULK && in)
				u->ep_in = ep->bEndpointAddress;
			else if (type == LIBUSB_TRANSFER_TYPE_BULK)
				u->ep_out = ep->bEndpointAddress;
			else if (type == LIBUSB_TRANSFER_TYPE_INTERRUPT && in)
				u->ep_intr = ep->bEndpointAddress;
		}
		if (!u->ep_in || !u->ep_out)
			continue;
		u->iface = alt->bInterfaceNumber;
		memcpy(out->desc, cd, 54);
		out->desc_len = 54;
		r = CCID_TP_OK;
		break;
	}
	libusb_free_config_descriptor(cfg);
	return r;
}

int ccid_usb_open(const char *name, struct ccid_opened *out)
{
	unsigned vid = 0, pid = 0, bus = 0, addr = 0;
	int iface = -1, n, i, r = CCID_TP_NODEV;
	const char *p;
	struct usb_ctx *u;
	libusb_device **list = NULL;
	ssize_t cnt;

	if (sscanf(name, "usb:%4x/%4x%n", &vid, &pid, &n) != 2)
		return CCID_TP_ERROR;
	p = name + n;
	if (strncmp(p, ":libudev:", 9) == 0) {
		const char *dev = strchr(p + 9, ':');

		iface = atoi(p + 9);
		if (dev && sscanf(dev, ":/dev/bus/usb/%u/%u", &bus, &addr) != 2)
			bus = addr = 0;
	} else if (strncmp(p, ":libusb-1.0:", 12) == 0) {
		if (sscanf(p + 12, "%u:%u:%d", &bus, &addr, &iface) < 2)
			bus = addr = 0;
	}
	u = calloc(1, sizeof(*u));
	if (!u)
		return CCID_TP_ERROR;
	if (libusb_init(&u->ctx) != 0) {
		free(u);
		return CCID_TP_ERROR;
	}
	cnt = libusb_get_device_list(u->ctx, &list);
	for (i = 0; i < cnt; i++) {
		struct libusb_device_descriptor dd;
		libusb_device *d = list[i];

		if (libusb_get_device_descriptor(d, &dd) != 0 || dd.idVendor != vid || dd.idProduct != pid)
			continue;
		if (bus && (libusb_get_bus_number(d) != bus || libusb_get_device_address(d) != addr))
			continue;
		r = probe(d, iface, u, out);
		if (r != CCID_TP_OK)
			continue;
		if (libusb_open(d, &u->h) != 0) {
			r = CCID_TP_ERROR;
			continue;
		}
		libusb_set_auto_detach_kernel_driver(u->h, 1);
		if (libusb_claim_interface(u->h, u->iface) != 0) {
			/* taken (another pcscd slot or program): try the next device */
			libusb_close(u->h);
			u->h = NULL;
			r = CCID_TP_ERROR;
			continue;
		}
		if (dd.iProduct)
			libusb_get_string_descriptor_ascii(u->h, dd.iProduct, (unsigned char *)out->product,
							   sizeof(out->product));
		out->vid = (uint16_t)vid;
		out->pid = (uint16_t)pid;
		break;
	}
	if (list)
		libusb_free_device_list(list, 1);
	if (!u->h) {
		usb_close(u);
		return r == CCID_TP_OK ? CCID_TP_ERROR : r;
	}
	out->tp = u->ep_intr ? &usb_tp : &usb_tp_nointr;
	out->ctx = u;
	return CCID_TP_OK;
}
