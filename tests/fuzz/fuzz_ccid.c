/*
 * fuzz_ccid.c - libFuzzer target for the CCID driver's reply handling: the
 * message layer (header, bSeq, dwLength, time extension, failure status),
 * APDU-level response chaining, the T=1 block protocol and the interrupt
 * message and T=0 at character level, all reading replies from the fuzz input; and the reader firmware
 * core's command parser reading commands from it.
 *
 * Input: byte 0 picks the operation, byte 1 its parameter; the rest is a
 * series of messages, each a 2-byte little-endian length and that many bytes,
 * handed out one per bulk IN read (then: timeout).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ccid.h"
#include "reader.h"
#include "readertest/readertest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

struct feed {
	const uint8_t *p;
	size_t left;
};

static bool next(struct feed *f, const uint8_t **m, size_t *n)
{
	size_t len;

	if (f->left < 2)
		return false;
	len = (size_t)f->p[0] | (size_t)f->p[1] << 8;
	f->p += 2;
	f->left -= 2;
	if (len > f->left)
		len = f->left;
	*m = f->p;
	*n = len;
	f->p += len;
	f->left -= len;
	return true;
}

static int f_send(void *c, const uint8_t *buf, size_t len)
{
	(void)c;
	CHECK(len >= CCID_HDR && len <= CCID_MAX_MSG);
	CHECK(ccid_le32(buf + CCID_OFF_LEN) == len - CCID_HDR);
	return CCID_TP_OK;
}

static int f_recv(void *c, uint8_t *buf, size_t cap, size_t *len, unsigned timeout_ms)
{
	const uint8_t *m;
	size_t n;

	(void)timeout_ms;
	*len = 0;
	if (!next(c, &m, &n))
		return CCID_TP_TIMEOUT;
	if (n > cap)
		return CCID_TP_ERROR;	/* libusb: overflow */
	memcpy(buf, m, n);
	*len = n;
	return CCID_TP_OK;
}

static int f_intr(void *c, uint8_t *buf, size_t cap, size_t *len, unsigned timeout_ms)
{
	return f_recv(c, buf, cap, len, timeout_ms);
}

static void f_close(void *c)
{
	(void)c;
}

static const struct ccid_transport fuzz_tp = { "fuzz", f_send, f_recv, f_intr, f_close };

/* transport.c falls back on libusb, which the target does not link. */
int ccid_usb_open(const char *name, struct ccid_opened *out)
{
	(void)name;
	(void)out;
	return CCID_TP_ERROR;
}

static const RESPONSECODE known[] = {
	IFD_SUCCESS, IFD_COMMUNICATION_ERROR, IFD_RESPONSE_TIMEOUT, IFD_NOT_SUPPORTED,
	IFD_ICC_PRESENT, IFD_ICC_NOT_PRESENT, IFD_NO_SUCH_DEVICE, IFD_ERROR_INSUFFICIENT_BUFFER,
	IFD_ERROR_POWER_ACTION, IFD_PROTOCOL_NOT_SUPPORTED,
};

static void rc_ok(RESPONSECODE rc)
{
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (rc == known[i])
			return;
	abort();
}

static void firmware(const uint8_t *data, size_t size)
{
	struct ccidfw_config c;
	struct ccidfw *fw;
	struct feed f = { data, size };
	const uint8_t *m;
	size_t n;
	uint8_t out[2048];
	void *card;

	ccidfw_config_two_slot(&c);
	c.features = (c.features & ~CCID_FEAT_LEVEL_MASK) |
		     (size & 1 ? CCID_FEAT_LEVEL_EXT_APDU : CCID_FEAT_LEVEL_TPDU);
	c.max_msg = 1024;
	fw = ccidfw_new(&c);
	CHECK(fw);
	card = readertest_card_ops.create(&(struct sim_card_config){ 0 });
	CHECK(ccidfw_insert(fw, 0, &readertest_card_ops, card));
	ccidfw_keypad(fw, "1234E");
	while (next(&f, &m, &n)) {
		ccidfw_bulk_out(fw, m, n);
		while ((n = ccidfw_bulk_in(fw, out, sizeof(out))) != 0) {
			CHECK(n >= CCID_HDR && ccid_le32(out + CCID_OFF_LEN) == n - CCID_HDR);
			CHECK(n <= c.max_msg || out[0] == RDR_TO_PC_DATABLOCK);
		}
	}
	CHECK(ccidfw_interrupt_in(fw, out, sizeof(out)) <= 2);
	ccidfw_free(fw);
	readertest_card_ops.destroy(card);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ccid_opened io;
	struct ccid_dev *dev;
	struct feed f;
	RESPONSECODE rc;
	uint8_t op, arg, *rx, tx[600];
	size_t n, cap;
	struct ccidfw_config c;

	if (size < 2)
		return 0;
	op = data[0];
	arg = data[1];
	if (op >= 0xF0) {
		firmware(data + 2, size - 2);
		return 0;
	}
	ccidfw_config_default(&c, (op & 3) == 0 ? CCID_FEAT_LEVEL_TPDU :
			      (op & 3) == 1 ? CCID_FEAT_LEVEL_SHORT_APDU : CCID_FEAT_LEVEL_EXT_APDU);
	c.nslots = 2;
	{
		struct ccidfw *fw = ccidfw_new(&c);

		CHECK(fw);
		memset(&io, 0, sizeof(io));
		ccidfw_descriptor(fw, io.desc);
		ccidfw_free(fw);
	}
	io.desc_len = 54;
	io.tp = &fuzz_tp;
	f.p = data + 2;
	f.left = size - 2;
	io.ctx = &f;
	dev = ccid_dev_new(&io, &rc);
	CHECK(dev && rc == IFD_SUCCESS);
	dev->timeout_ms = 0;
	dev->max_time_ext = 20;
	cap = (size_t)arg * 64 + 2;
	rx = malloc(cap);
	CHECK(rx);
	memset(tx, 0x5A, sizeof(tx));
	tx[0] = 0x80;
	tx[1] = 0x34;
	n = cap;
	switch ((op >> 2) % 8) {
	case 0:
		rc = ccid_power_on(dev, arg & 1, rx, &n);
		break;
	case 1:
		rc = ccid_xfr(dev, arg & 1, tx, 5, rx, &n, 0);
		break;
	case 2:
		rc = ccid_xfr_apdu_ext(dev, arg & 1, tx, sizeof(tx), rx, &n);
		break;
	case 3: {
		struct ccid_t1 t1;

		ccid_t1_init(&t1, NULL);
		t1.ifsc = (uint16_t)(arg ? arg : 1);
		t1.crc = op & 0x80;
		rc = ccid_t1_transceive(&t1, dev, 0, tx, sizeof(tx), rx, &n);
		break;
	}
	case 4: {
		bool active;

		rc = ccid_slot_status(dev, arg & 1, &active);
		n = 0;
		break;
	}
	case 5:
		rc = ccid_escape(dev, 0, tx, 3, rx, &n);
		break;
	case 6:
		rc = ccid_secure(dev, 0, tx, 20, rx, &n);
		break;
	case 7:
		if (op & 0x80) {
			/* case 2 (Le = arg & 0x0F) or case 3 (that many data bytes) */
			tx[4] = (uint8_t)(arg & 0x0F);
			rc = ccid_t0_char_transceive(dev, 0, tx, (arg & 0x10) ? 5u : 5u + tx[4], rx, &n);
			break;
		}
		rc = ccid_wait_slot_change(dev, arg & 1, 0);
		n = 0;
		break;
	default:
		abort();
	}
	rc_ok(rc);
	CHECK(n <= cap);
	if (rc != IFD_SUCCESS)
		CHECK(n == 0 || ((op >> 2) % 8) == 0);
	free(rx);
	ccid_dev_free(dev);
	return 0;
}
