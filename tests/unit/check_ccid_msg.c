/* check_ccid_msg.c - the CCID driver's message layer, T=1 block protocol,
 * APDU-level chaining, dispatcher and interrupt handling, run against the
 * reader firmware core (firmware/ccid) through the in-process transport;
 * hostile replies must give a clean error, never an overflow or a hang. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "check_ccid.h"
#include "check_util.h"

static struct ccidfw *fw;
static struct ccid_dev *dev;
static void *card[2];
static uint8_t *tx, *rx;
#define BUF (70000)

static void open_reader(const struct ccidfw_config *c)
{
	struct ccid_opened io;
	RESPONSECODE rc;
	unsigned i;

	fw = ccidfw_new(c);
	ck_assert_ptr_nonnull(fw);
	for (i = 0; i < c->nslots && i < 2; i++) {
		card[i] = readertest_card_ops.create(&(struct sim_card_config){ 0 });
		ck_assert_ptr_nonnull(card[i]);
		ck_assert(ccidfw_insert(fw, i, &readertest_card_ops, card[i]));
	}
	inproc_register(0, fw);
	ck_assert_int_eq(ccid_transport_open("inproc:0", &io), CCID_TP_OK);
	dev = ccid_dev_new(&io, &rc);
	ck_assert_int_eq(rc, IFD_SUCCESS);
	dev->timeout_ms = 300;	/* a silent reader must not slow the suite */
	tx = malloc(BUF);
	rx = malloc(BUF);
}

static void open_level(uint32_t level)
{
	struct ccidfw_config c;

	ccidfw_config_default(&c, level);
	open_reader(&c);
}

static void setup_tpdu(void) { open_level(CCID_FEAT_LEVEL_TPDU); }
static void setup_short(void) { open_level(CCID_FEAT_LEVEL_SHORT_APDU); }
static void setup_ext(void) { open_level(CCID_FEAT_LEVEL_EXT_APDU); }

static void setup_two(void)
{
	struct ccidfw_config c;

	ccidfw_config_two_slot(&c);
	open_reader(&c);
}

static void teardown(void)
{
	unsigned i;

	ccid_dev_free(dev);
	dev = NULL;
	inproc_unregister(0);
	ccidfw_free(fw);
	for (i = 0; i < 2; i++)
		if (card[i]) {
			readertest_card_ops.destroy(card[i]);
			card[i] = NULL;
		}
	free(tx);
	free(rx);
}

static void power_on(unsigned slot)
{
	static const uint8_t want[] = READERTEST_ATR;
	uint8_t atr[40];
	size_t n = sizeof(atr);

	ck_assert_int_eq(ccid_power_on(dev, slot, atr, &n), IFD_SUCCESS);
	ck_assert_uint_eq(n, sizeof(want));
	ck_assert_mem_eq(atr, want, n);
}

/* A short APDU round trip at short-APDU level (or T=0-style TPDU). */
static RESPONSECODE case1(unsigned slot, size_t *n)
{
	static const uint8_t c1[] = { 0x80, 0x30, 0x00, 0x00 };

	*n = BUF;
	return ccid_xfr(dev, slot, c1, sizeof(c1), rx, n, 0);
}

/* ---- descriptor */

START_TEST(test_descriptor_parse)
{
	struct ccidfw_config c;
	struct ccidfw *f;
	struct ccid_desc d;
	uint8_t raw[54];

	ccidfw_config_two_slot(&c);
	f = ccidfw_new(&c);
	ccidfw_descriptor(f, raw);
	ccidfw_free(f);
	ck_assert_int_eq(ccid_desc_parse(raw, sizeof(raw), &d), IFD_SUCCESS);
	ck_assert_uint_eq(d.nslots, 2);
	ck_assert_uint_eq(d.level, CCID_FEAT_LEVEL_TPDU);
	ck_assert_uint_eq(d.protocols, 3);
	ck_assert_uint_eq(d.max_msg, 271);
	ck_assert_uint_eq(d.pin_support, 3);
	ck_assert_uint_eq(d.max_busy, 2);
	/* QEMU 7.2's usb-ccid, byte for byte (qemu-ccid.md §2.2) */
	{
		uint8_t q[54];
		size_t n = hex("36 21 10 01 00 07 01 00 00 00 a0 0f 00 00 00 00 01 00 00 80 25 00 00 00 c2 01 00 00"
			       " fe 00 00 00 00 00 00 00 00 00 00 00 fe 04 01 00 12 00 01 00 ff ff 00 00 01 01", q, sizeof(q));

		ck_assert_uint_eq(n, 54);
		ck_assert_int_eq(ccid_desc_parse(q, n, &d), IFD_SUCCESS);
		ck_assert_uint_eq(d.level, CCID_FEAT_LEVEL_TPDU);
		ck_assert_uint_eq(d.protocols, 1);
		ck_assert(d.features & CCID_FEAT_AUTO_PPS_CUR);
		ck_assert_uint_eq(d.max_msg, 65554);
	}
	/* broken ones */
	ck_assert_int_eq(ccid_desc_parse(raw, 53, &d), IFD_COMMUNICATION_ERROR);
	raw[0] = 53;
	ck_assert_int_eq(ccid_desc_parse(raw, 54, &d), IFD_COMMUNICATION_ERROR);
	raw[0] = 54;
	raw[CCID_DESC_MAXSLOT] = 8;	/* 9 slots */
	ck_assert_int_eq(ccid_desc_parse(raw, 54, &d), IFD_COMMUNICATION_ERROR);
	raw[CCID_DESC_MAXSLOT] = 1;
	raw[CCID_DESC_FEATURES + 2] = 0x03;	/* TPDU and short APDU at once */
	ck_assert_int_eq(ccid_desc_parse(raw, 54, &d), IFD_COMMUNICATION_ERROR);
	ck_assert_int_eq(ccid_desc_parse(NULL, 54, &d), IFD_COMMUNICATION_ERROR);
}
END_TEST

START_TEST(test_error_mapping)
{
	ck_assert_int_eq(ccid_error_to_ifd(0x00, 0x00), IFD_SUCCESS);
	ck_assert_int_eq(ccid_error_to_ifd(0x42, CCID_ERR_ICC_MUTE), IFD_ICC_NOT_PRESENT);
	ck_assert_int_eq(ccid_error_to_ifd(0x40, CCID_ERR_ICC_MUTE), IFD_RESPONSE_TIMEOUT);
	ck_assert_int_eq(ccid_error_to_ifd(0x41, CCID_ERR_CMD_NOT_SUPPORTED), IFD_NOT_SUPPORTED);
	ck_assert_int_eq(ccid_error_to_ifd(0x40, CCID_ERR_BAD_ATR_TS), IFD_ERROR_POWER_ACTION);
	ck_assert_int_eq(ccid_error_to_ifd(0x40, CCID_ERR_BAD_ATR_TCK), IFD_ERROR_POWER_ACTION);
	ck_assert_int_eq(ccid_error_to_ifd(0x40, CCID_ERR_BAD_PROTOCOLNUM), IFD_PROTOCOL_NOT_SUPPORTED);
	ck_assert_int_eq(ccid_error_to_ifd(0x40, CCID_ERR_XFR_PARITY), IFD_COMMUNICATION_ERROR);
	ck_assert_int_eq(ccid_error_to_ifd(0x40, CCID_ERR_HW_ERROR), IFD_COMMUNICATION_ERROR);
	ck_assert_int_eq(ccid_error_to_ifd(0x40, CCID_ERR_CMD_SLOT_BUSY), IFD_COMMUNICATION_ERROR);
	ck_assert_str_eq(ccid_error_name(CCID_ERR_PIN_CANCELLED), "PIN cancelled");
	ck_assert_str_eq(ccid_error_name(0x42), "unknown error");
}
END_TEST

START_TEST(test_atr_parse)
{
	static const uint8_t rt[] = READERTEST_ATR;
	static const uint8_t cps[] = { 0x3B, 0xAC, 0x00, 0x40, 0x2A, 0x00, 0x12, 0x25, 0x00,
				       0x64, 0x80, 0x00, 0x03, 0x10, 0x00, 0x90, 0x00 };
	struct ccid_atr a;
	uint8_t bad[sizeof(rt)], pps[4], ans[4];

	ck_assert(ccid_atr_parse(rt, sizeof(rt), &a));
	ck_assert(a.t1 && !a.t0);
	ck_assert_uint_eq(a.first_protocol, 1);
	ck_assert_uint_eq(a.ifsc, 254);
	ck_assert_uint_eq(a.bwi_cwi, 0x45);
	ck_assert(!a.crc);
	ck_assert(ccid_atr_parse(cps, sizeof(cps), &a));
	ck_assert(a.t0 && !a.t1);
	ck_assert_uint_eq(a.ta1, 0x11);
	memcpy(bad, rt, sizeof(rt));
	bad[sizeof(bad) - 1] ^= 1;	/* TCK */
	ck_assert(!ccid_atr_parse(bad, sizeof(bad), &a));
	ck_assert(!ccid_atr_parse(rt, sizeof(rt) - 3, &a));
	bad[0] = 0x3C;
	ck_assert(!ccid_atr_parse(bad, sizeof(bad), &a));
	ck_assert(!ccid_atr_parse(rt, 1, &a));
	ck_assert_uint_eq(ccid_pps_build(1, 0x95, pps), 4);
	ck_assert_uint_eq(pps[0], 0xFF);
	ck_assert_uint_eq(pps[1], 0x11);
	ck_assert_uint_eq(pps[3], (uint8_t)(0xFF ^ 0x11 ^ 0x95));
	memcpy(ans, pps, 4);
	ck_assert(ccid_pps_accepted(pps, 4, ans, 4));
	ans[2] = 0x11;
	ck_assert(!ccid_pps_accepted(pps, 4, ans, 4));
}
END_TEST

/* ---- power and slot status */

START_TEST(test_power_and_status)
{
	bool active;
	size_t n = 40;
	uint8_t atr[40];

	ck_assert_int_eq(ccid_slot_status(dev, 0, &active), IFD_ICC_PRESENT);
	ck_assert(!active);
	power_on(0);
	ck_assert_int_eq(ccid_slot_status(dev, 0, &active), IFD_ICC_PRESENT);
	ck_assert(active);
	power_on(0);	/* warm reset */
	ck_assert_int_eq(ccid_power_off(dev, 0), IFD_SUCCESS);
	ck_assert_int_eq(ccid_slot_status(dev, 0, &active), IFD_ICC_PRESENT);
	ck_assert(!active);
	inproc_remove(0, 0);
	ck_assert_int_eq(ccid_slot_status(dev, 0, &active), IFD_ICC_NOT_PRESENT);
	ck_assert_int_eq(ccid_power_on(dev, 0, atr, &n), IFD_ICC_NOT_PRESENT);
	ck_assert_uint_eq(n, 0);
	/* no card: XfrBlock fails cleanly */
	ck_assert_int_eq(case1(0, &n), IFD_ICC_NOT_PRESENT);
	ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(test_short_apdu_level)
{
	size_t n, i;
	static const size_t lens[] = { 1, 2, 127, 128, 255, 256 };

	power_on(0);
	ck_assert_int_eq(case1(0, &n), IFD_SUCCESS);
	sw_is(rx, n, 0x9000);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t l;

		if (lens[i] <= 255) {
			l = rt_case3(tx, lens[i], false);
			n = BUF;
			ck_assert_int_eq(ccid_xfr(dev, 0, tx, l, rx, &n, 0), IFD_SUCCESS);
			sw_is(rx, n, 0x9000);
		}
		l = rt_case2(tx, lens[i], false);
		n = BUF;
		ck_assert_int_eq(ccid_xfr(dev, 0, tx, l, rx, &n, 0), IFD_SUCCESS);
		rt_check_pattern(rx, n, lens[i]);
	}
	/* too long for a short-APDU reader: the reader refuses, the driver says so */
	n = BUF;
	ck_assert_int_eq(ccid_xfr(dev, 0, tx, rt_case3(tx, 300, true), rx, &n, 0), IFD_COMMUNICATION_ERROR);
	ck_assert_uint_eq(n, 0);
	/* a buffer too small for the answer */
	n = 10;
	ck_assert_int_eq(ccid_xfr(dev, 0, tx, rt_case2(tx, 100, false), rx, &n, 0),
			 IFD_ERROR_INSUFFICIENT_BUFFER);
	ck_assert_uint_eq(n, 0);
}
END_TEST

/* ---- extended APDU level: chaining both ways */

START_TEST(test_extended_apdu_chaining)
{
	static const size_t lens[] = { 1, 255, 256, 1013, 1014, 1015, 4096, 65535 };
	size_t i, n, l;
	struct ccidfw_stats st;

	power_on(0);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		l = rt_case3(tx, lens[i], true);
		n = BUF;
		ck_assert_int_eq(ccid_xfr_apdu_ext(dev, 0, tx, l, rx, &n), IFD_SUCCESS);
		sw_is(rx, n, 0x9000);
		l = rt_case2(tx, lens[i], true);
		n = BUF;
		ck_assert_int_eq(ccid_xfr_apdu_ext(dev, 0, tx, l, rx, &n), IFD_SUCCESS);
		rt_check_pattern(rx, n, lens[i]);
	}
	l = rt_case2(tx, 65536, true);
	n = BUF;
	ck_assert_int_eq(ccid_xfr_apdu_ext(dev, 0, tx, l, rx, &n), IFD_SUCCESS);
	rt_check_pattern(rx, n, 65536);
	l = rt_case4(tx, 65535, 65536, true);
	n = BUF;
	ck_assert_int_eq(ccid_xfr_apdu_ext(dev, 0, tx, l, rx, &n), IFD_SUCCESS);
	rt_check_pattern(rx, n, 65536);
	/* 65535 data bytes at 1014 per message: 65 command parts */
	ccidfw_stats(fw, 0, &st);
	ck_assert_uint_gt(st.xfr_blocks, 200);
	/* the answer does not fit: clean error, nothing written past the buffer */
	l = rt_case2(tx, 5000, true);
	n = 3000;
	ck_assert_int_eq(ccid_xfr_apdu_ext(dev, 0, tx, l, rx, &n), IFD_ERROR_INSUFFICIENT_BUFFER);
	ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(test_extended_bad_chain)
{
	size_t n, l;

	power_on(0);
	/* a first reply claiming to continue a chain */
	inproc_hostile(0, HOSTILE_BAD_CHAIN, 1);
	l = rt_case2(tx, 10, true);
	n = BUF;
	ck_assert_int_eq(ccid_xfr_apdu_ext(dev, 0, tx, l, rx, &n), IFD_COMMUNICATION_ERROR);
	ck_assert_uint_eq(n, 0);
	/* and the reader is usable afterwards */
	n = BUF;
	ck_assert_int_eq(ccid_xfr_apdu_ext(dev, 0, tx, l, rx, &n), IFD_SUCCESS);
	rt_check_pattern(rx, n, 10);
}
END_TEST

/* ---- time extension */

START_TEST(test_time_extension)
{
	size_t n;
	struct ccidfw_stats st;

	power_on(0);
	ccidfw_time_extensions(fw, 5, 2);
	ck_assert_int_eq(case1(0, &n), IFD_SUCCESS);
	sw_is(rx, n, 0x9000);
	ccidfw_stats(fw, 0, &st);
	ck_assert_uint_eq(st.time_ext, 5);
	/* above the bound: a timeout, not an endless wait */
	dev->max_time_ext = 4;
	ck_assert_int_eq(case1(0, &n), IFD_RESPONSE_TIMEOUT);
	ck_assert_uint_eq(n, 0);
	ccidfw_time_extensions(fw, 0, 0);
	dev->max_time_ext = 600;
	/* the reply left behind is skipped as stale (wrong bSeq) */
	ck_assert_int_eq(case1(0, &n), IFD_SUCCESS);
	sw_is(rx, n, 0x9000);
}
END_TEST

START_TEST(test_endless_time_extension)
{
	size_t n;
	double t0;

	power_on(0);
	dev->max_time_ext = 1000;
	inproc_hostile(0, HOSTILE_ENDLESS_TIME_EXT, 100000);
	t0 = now_ms();
	ck_assert_int_eq(case1(0, &n), IFD_RESPONSE_TIMEOUT);
	ck_assert_uint_eq(n, 0);
	ck_assert_double_lt(now_ms() - t0, 5000);
	inproc_hostile(0, HOSTILE_NONE, 0);
	ck_assert_int_eq(case1(0, &n), IFD_SUCCESS);
}
END_TEST

/* ---- hostile replies */

static void hostile_once(enum inproc_hostile mode, RESPONSECODE want)
{
	size_t n = 77;
	double t0 = now_ms();

	inproc_hostile(0, mode, 1);
	ck_assert_int_eq(case1(0, &n), want);
	ck_assert_uint_eq(n, 0);
	ck_assert_double_lt(now_ms() - t0, 2000);
	/* recovered: the next command works */
	inproc_hostile(0, HOSTILE_NONE, 0);
	ck_assert_int_eq(case1(0, &n), IFD_SUCCESS);
	sw_is(rx, n, 0x9000);
}

START_TEST(test_hostile_replies)
{
	power_on(0);
	hostile_once(HOSTILE_LEN_MISMATCH, IFD_COMMUNICATION_ERROR);
	hostile_once(HOSTILE_OVERSIZED, IFD_COMMUNICATION_ERROR);
	hostile_once(HOSTILE_TRUNCATED, IFD_COMMUNICATION_ERROR);
	hostile_once(HOSTILE_WRONG_TYPE, IFD_COMMUNICATION_ERROR);
	/* a reply with another bSeq is skipped; none comes after it */
	hostile_once(HOSTILE_WRONG_SEQ, IFD_RESPONSE_TIMEOUT);
	/* a reply for a slot that does not exist is dropped */
	hostile_once(HOSTILE_WRONG_SLOT, IFD_RESPONSE_TIMEOUT);
	hostile_once(HOSTILE_SILENT, IFD_RESPONSE_TIMEOUT);
	/* QEMU 7.2: an XfrBlock without a card "succeeds" with ICC status absent */
	hostile_once(HOSTILE_ABSENT_OK, IFD_ICC_NOT_PRESENT);
}
END_TEST

START_TEST(test_zero_length_reads_skipped)
{
	size_t n;

	power_on(0);
	/* QEMU 7.2 surfaces a pending ZLP as an empty read after 64-byte messages */
	inproc_hostile(0, HOSTILE_ZLP, 3);
	ck_assert_int_eq(case1(0, &n), IFD_SUCCESS);
	sw_is(rx, n, 0x9000);
	/* but not forever */
	inproc_hostile(0, HOSTILE_ZLP, 1000);
	ck_assert_int_eq(case1(0, &n), IFD_COMMUNICATION_ERROR);
	ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(test_hostile_atr)
{
	uint8_t atr[33];
	size_t n = sizeof(atr);

	inproc_hostile(0, HOSTILE_BIG_ATR, 1);
	ck_assert_int_eq(ccid_power_on(dev, 0, atr, &n), IFD_ERROR_POWER_ACTION);
	ck_assert_uint_eq(n, 0);
	power_on(0);
}
END_TEST

START_TEST(test_stale_reply_skipped)
{
	uint8_t m[CCID_HDR] = { PC_TO_RDR_GETSLOTSTATUS, 0, 0, 0, 0, 0, 0xA5, 0, 0, 0 };
	size_t n;

	power_on(0);
	/* a command nobody waits for leaves its reply queued */
	ck_assert_int_eq(dev->io.tp->send(dev->io.ctx, m, sizeof(m)), CCID_TP_OK);
	ck_assert_int_eq(case1(0, &n), IFD_SUCCESS);
	sw_is(rx, n, 0x9000);
}
END_TEST

/* ---- T=1 at TPDU level */

static struct ccid_t1 t1;

static void t1_start(void)
{
	static const uint8_t rt[] = READERTEST_ATR;
	struct ccid_atr a;

	power_on(0);
	ck_assert(ccid_atr_parse(rt, sizeof(rt), &a));
	ccid_t1_init(&t1, &a);
	ck_assert_int_eq(ccid_t1_set_ifsd(&t1, dev, 0, 254), IFD_SUCCESS);
}

static void t1_roundtrip(size_t nc, size_t ne)
{
	size_t l = nc ? rt_case4(tx, nc, ne, false) : rt_case2(tx, ne, false), n = BUF;

	ck_assert_int_eq(ccid_t1_transceive(&t1, dev, 0, tx, l, rx, &n), IFD_SUCCESS);
	rt_check_pattern(rx, n, ne);
}

START_TEST(test_t1_chaining)
{
	static const size_t lens[] = { 1, 253, 254, 255, 256, 1000, 4000, 65535 };
	struct ccidfw_stats st;
	size_t i;

	t1_start();
	ccidfw_stats(fw, 0, &st);
	ck_assert_uint_eq(st.t1_ifs, 1);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		t1_roundtrip(lens[i], lens[i] > 65536 ? 65536 : lens[i]);
	t1_roundtrip(0, 65536);
	t1_roundtrip(300, 1);
	ck_assert_uint_eq(t1.stat_retransmits, 0);
	/* a small IFSC from the card: more blocks, same result */
	t1.ifsc = 16;
	t1_roundtrip(100, 100);
}
END_TEST

START_TEST(test_t1_wtx)
{
	t1_start();
	ccidfw_t1_wtx(fw, 0, 3);
	t1_roundtrip(10, 10);
	ck_assert_uint_eq(t1.stat_wtx, 3);
	t1_roundtrip(300, 600);
	ck_assert_uint_eq(t1.stat_wtx, 6);
}
END_TEST

START_TEST(test_t1_retransmit)
{
	t1_start();
	ccidfw_t1_corrupt(fw, 0, 2);
	t1_roundtrip(10, 10);
	ck_assert_uint_eq(t1.stat_retransmits, 2);
	ck_assert_uint_eq(t1.stat_resynch, 0);
	/* damaged blocks in the middle of both chains */
	ccidfw_t1_corrupt(fw, 0, 1);
	t1_roundtrip(600, 700);
	ck_assert_uint_eq(t1.stat_retransmits, 3);
}
END_TEST

START_TEST(test_t1_resynch)
{
	struct ccidfw_stats st;

	t1_start();
	t1_roundtrip(5, 5);
	ccidfw_t1_desync(fw, 0);
	t1_roundtrip(20, 20);
	ck_assert_uint_eq(t1.stat_resynch, 1);
	ccidfw_stats(fw, 0, &st);
	ck_assert_uint_eq(st.t1_resynch, 1);
	/* too many damaged blocks: resynchronisation, then success */
	ccidfw_t1_corrupt(fw, 0, 4);
	t1_roundtrip(20, 20);
	ck_assert_uint_eq(t1.stat_resynch, 2);
}
END_TEST

START_TEST(test_t1_hopeless)
{
	size_t n = BUF, l;

	t1_start();
	/* every block damaged: a clean error after bounded retries */
	ccidfw_t1_corrupt(fw, 0, 1000000);
	l = rt_case2(tx, 10, false);
	ck_assert_int_eq(ccid_t1_transceive(&t1, dev, 0, tx, l, rx, &n), IFD_COMMUNICATION_ERROR);
	ck_assert_uint_eq(n, 0);
	ccidfw_t1_corrupt(fw, 0, 0);
	/* reader silent: timeouts count as lost blocks, then an error */
	inproc_hostile(0, HOSTILE_SILENT, 1000000);
	n = BUF;
	ck_assert_int_eq(ccid_t1_transceive(&t1, dev, 0, tx, l, rx, &n), IFD_COMMUNICATION_ERROR);
	inproc_hostile(0, HOSTILE_NONE, 0);
	/* a response larger than the buffer */
	n = 50;
	l = rt_case2(tx, 200, false);
	ck_assert_int_eq(ccid_t1_transceive(&t1, dev, 0, tx, l, rx, &n), IFD_ERROR_INSUFFICIENT_BUFFER);
	ck_assert_uint_eq(n, 0);
	t1_roundtrip(3, 3);
}
END_TEST

/* ---- two slots, one bulk IN endpoint */

struct worker {
	unsigned slot, rounds, ok;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	uint8_t a[300], *r = malloc(300);
	unsigned i;

	for (i = 0; i < w->rounds; i++) {
		size_t ne = 1 + (i * 37 + w->slot * 11) % 256, n = 300;
		size_t l = rt_case2(a, ne, false);

		if (ccid_xfr(dev, w->slot, a, l, r, &n, 0) == IFD_SUCCESS && n == ne + 2 &&
		    r[ne - 1] == (uint8_t)(ne - 1) && r[ne] == 0x90)
			w->ok++;
	}
	free(r);
	return NULL;
}

START_TEST(test_two_slots_at_once)
{
	struct worker w[2] = { { 0, 300, 0 }, { 1, 300, 0 } };
	pthread_t th[2];
	unsigned i;

	static const uint8_t t0[5] = { 0x11, 0x00, 0x00, 0x0A, 0x00 };

	power_on(0);
	power_on(1);
	/* T=0 TPDUs (the card's T=1 is the driver's job, tested above) */
	ck_assert_int_eq(ccid_set_parameters(dev, 0, 0, t0, sizeof(t0)), IFD_SUCCESS);
	ck_assert_int_eq(ccid_set_parameters(dev, 1, 0, t0, sizeof(t0)), IFD_SUCCESS);
	dev->timeout_ms = 5000;
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, work, &w[i]), 0);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	ck_assert_uint_eq(w[0].ok, 300);
	ck_assert_uint_eq(w[1].ok, 300);
}
END_TEST

/* ---- interrupt endpoint */

struct waiter {
	unsigned slot;
	int timeout;
	RESPONSECODE rc;
	double ms;
};

static void *wait_change(void *arg)
{
	struct waiter *w = arg;
	double t0 = now_ms();

	w->rc = ccid_wait_slot_change(dev, w->slot, w->timeout);
	w->ms = now_ms() - t0;
	return NULL;
}

START_TEST(test_slot_change_notification)
{
	struct waiter w = { 1, 5000, -1, 0 };
	pthread_t th;
	unsigned before;

	/* the insertions at set-up are reported first */
	ck_assert_int_eq(ccid_wait_slot_change(dev, 0, 100), IFD_SUCCESS);
	ck_assert(dev->slot_present[0] && dev->slot_present[1]);
	before = dev->slot_events[1];
	ck_assert_int_eq(pthread_create(&th, NULL, wait_change, &w), 0);
	usleep(50000);
	inproc_remove(0, 1);
	pthread_join(th, NULL);
	ck_assert_int_eq(w.rc, IFD_SUCCESS);
	ck_assert_double_lt(w.ms, 1000);
	ck_assert_uint_eq(dev->slot_events[1], before + 1);
	ck_assert(!dev->slot_present[1]);
	ck_assert(dev->slot_present[0]);
	/* nothing happens: the wait ends at its timeout */
	w.timeout = 200;
	wait_change(&w);
	ck_assert_int_eq(w.rc, IFD_SUCCESS);
	ck_assert_double_ge(w.ms, 150);
}
END_TEST

START_TEST(test_unplug)
{
	struct waiter w = { 0, 5000, -1, 0 };
	pthread_t th;
	size_t n;
	bool active;

	power_on(0);
	ccid_wait_slot_change(dev, 0, 50);
	ck_assert_int_eq(pthread_create(&th, NULL, wait_change, &w), 0);
	usleep(50000);
	inproc_unplug(0);
	pthread_join(th, NULL);
	ck_assert_int_eq(w.rc, IFD_NO_SUCH_DEVICE);
	ck_assert_double_lt(w.ms, 1000);
	ck_assert_int_eq(case1(0, &n), IFD_NO_SUCH_DEVICE);
	ck_assert_int_eq(ccid_slot_status(dev, 0, &active), IFD_NO_SUCH_DEVICE);
	ck_assert_int_eq(ccid_power_off(dev, 0), IFD_NO_SUCH_DEVICE);
}
END_TEST

/* ---- T=0 at character level (the driver runs the procedure bytes) */

static void setup_char(void) { open_level(CCID_FEAT_LEVEL_CHAR); }

START_TEST(test_t0_char_cases)
{
	static const uint8_t t0[5] = { 0x11, 0x00, 0x00, 0x0A, 0x00 };
	static const size_t lens[] = { 1, 2, 255, 256 };
	uint8_t gr[5] = { 0x00, 0xC0, 0x00, 0x00, 0x00 };
	size_t i, n, l;

	power_on(0);
	ck_assert_int_eq(ccid_set_parameters(dev, 0, 0, t0, sizeof(t0)), IFD_SUCCESS);
	n = BUF;
	ck_assert_int_eq(ccid_t0_char_transceive(dev, 0, (const uint8_t *)"\x80\x30\x00\x00", 4, rx, &n),
			 IFD_SUCCESS);
	sw_is(rx, n, 0x9000);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		if (lens[i] <= 255) {
			l = rt_case3(tx, lens[i], false);
			n = BUF;
			ck_assert_int_eq(ccid_t0_char_transceive(dev, 0, tx, l, rx, &n), IFD_SUCCESS);
			sw_is(rx, n, 0x9000);
			/* case 4: the reader's card side turns the data into 61 xx */
			l = rt_case4(tx, lens[i], lens[i], false);
			n = BUF;
			ck_assert_int_eq(ccid_t0_char_transceive(dev, 0, tx, l, rx, &n), IFD_SUCCESS);
			ck_assert_uint_eq(n, 2);
			/* (readertest, given no Le by T=0, answers 256 bytes: 61 00) */
			ck_assert_uint_eq(rx[0], 0x61);
			ck_assert_uint_eq(rx[1], 0x00);
			gr[4] = (uint8_t)lens[i];
			n = BUF;
			ck_assert_int_eq(ccid_t0_char_transceive(dev, 0, gr, 5, rx, &n), IFD_SUCCESS);
			ck_assert_uint_eq(n, lens[i] + 2);
			ck_assert_uint_eq(rx[lens[i] - 1], (uint8_t)(lens[i] - 1));
			/* the rest is still there: 61 xx, or 90 00 once all is read */
			ck_assert(rx[lens[i]] == (lens[i] == 256 ? 0x90 : 0x61));
		}
		l = rt_case2(tx, lens[i], false);
		n = BUF;
		ck_assert_int_eq(ccid_t0_char_transceive(dev, 0, tx, l, rx, &n), IFD_SUCCESS);
		rt_check_pattern(rx, n, lens[i]);
	}
	/* malformed and extended: refused before the wire */
	n = BUF;
	ck_assert_int_eq(ccid_t0_char_transceive(dev, 0, tx, 3, rx, &n), IFD_COMMUNICATION_ERROR);
	n = BUF;
	ck_assert_int_eq(ccid_t0_char_transceive(dev, 0, tx, rt_case3(tx, 300, true), rx, &n),
			 IFD_NOT_SUPPORTED);
	/* a reply buffer too small */
	n = 10;
	ck_assert_int_eq(ccid_t0_char_transceive(dev, 0, tx, rt_case2(tx, 100, false), rx, &n),
			 IFD_ERROR_INSUFFICIENT_BUFFER);
	ck_assert_uint_eq(n, 0);
}
END_TEST

/* ---- Escape */

START_TEST(test_escape)
{
	static const uint8_t ver[] = { 0x01 }, echo[] = { 0x02, 0xAA, 0xBB }, bad[] = { 0x99 };
	size_t n = BUF;

	ck_assert_int_eq(ccid_escape(dev, 0, ver, sizeof(ver), rx, &n), IFD_SUCCESS);
	ck_assert_uint_eq(n, 18);
	ck_assert_mem_eq(rx, "santecard-ccid 1.0", 18);
	n = BUF;
	ck_assert_int_eq(ccid_escape(dev, 0, echo, sizeof(echo), rx, &n), IFD_SUCCESS);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(rx[1], 0xBB);
	n = BUF;
	ck_assert_int_eq(ccid_escape(dev, 0, bad, sizeof(bad), rx, &n), IFD_NOT_SUPPORTED);
	ck_assert_uint_eq(n, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ccid_msg");
	TCase *tc;

	tc = tcase_create("parsers");
	tcase_add_test(tc, test_descriptor_parse);
	tcase_add_test(tc, test_error_mapping);
	tcase_add_test(tc, test_atr_parse);
	suite_add_tcase(s, tc);

	tc = tcase_create("short_apdu");
	tcase_add_checked_fixture(tc, setup_short, teardown);
	tcase_add_test(tc, test_power_and_status);
	tcase_add_test(tc, test_short_apdu_level);
	tcase_add_test(tc, test_time_extension);
	tcase_add_test(tc, test_endless_time_extension);
	tcase_add_test(tc, test_hostile_replies);
	tcase_add_test(tc, test_hostile_atr);
	tcase_add_test(tc, test_zero_length_reads_skipped);
	tcase_add_test(tc, test_stale_reply_skipped);
	tcase_add_test(tc, test_escape);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);

	tc = tcase_create("extended_apdu");
	tcase_add_checked_fixture(tc, setup_ext, teardown);
	tcase_add_test(tc, test_extended_apdu_chaining);
	tcase_add_test(tc, test_extended_bad_chain);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);

	tc = tcase_create("t0_char");
	tcase_add_checked_fixture(tc, setup_char, teardown);
	tcase_add_test(tc, test_t0_char_cases);
	suite_add_tcase(s, tc);

	tc = tcase_create("t1");
	tcase_add_checked_fixture(tc, setup_tpdu, teardown);
	tcase_add_test(tc, test_t1_chaining);
	tcase_add_test(tc, test_t1_wtx);
	tcase_add_test(tc, test_t1_retransmit);
	tcase_add_test(tc, test_t1_resynch);
	tcase_add_test(tc, test_t1_hopeless);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);

	tc = tcase_create("two_slots");
	tcase_add_checked_fixture(tc, setup_two, teardown);
	tcase_add_test(tc, test_two_slots_at_once);
	tcase_add_test(tc, test_slot_change_notification);
	tcase_add_test(tc, test_unplug);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
