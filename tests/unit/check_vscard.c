/* check_vscard.c - VSCard framing (firmware/ccid/vscard.c), the ATR facts and
 * the card side of T=1 (firmware/ccid/vscard_t1.c). */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ccid/vscard.h"
#include "ccid/vscard_t1.h"
#include "check_util.h"

/* ------------------------------------------------------------ framing */

START_TEST(test_init_bytes)
{
	/* Exactly what QEMU 7.2 exchanges (reference/qemu-ccid.md §1.2). */
	uint8_t want[24], out[64];

	hex("00 00 00 01 00 00 00 00 00 00 00 0c 56 53 43 44 00 00 00 02 00 00 00 00", want,
	    sizeof(want));
	ck_assert_uint_eq(vsc_encode_init(out, sizeof(out), 0), 24);
	ck_assert_mem_eq(out, want, 24);
	ck_assert_uint_eq(vsc_encode_init(out, 23, 0), 0);
}
END_TEST

START_TEST(test_parse_qemu_init)
{
	uint8_t in[24];
	struct vsc_msg m;
	uint32_t version = 0;

	hex("00 00 00 01 ff ff ff ff 00 00 00 0c 56 53 43 44 00 00 00 02 00 00 00 00", in,
	    sizeof(in));
	for (size_t n = 0; n < sizeof(in); n++)
		ck_assert_int_eq(vsc_parse(in, n, VSC_MAX_PAYLOAD, &m), 0);
	ck_assert_int_eq(vsc_parse(in, sizeof(in), VSC_MAX_PAYLOAD, &m), 24);
	ck_assert_uint_eq(m.type, VSC_INIT);
	ck_assert_uint_eq(m.reader_id, VSC_UNDEFINED_READER_ID);
	ck_assert_uint_eq(m.length, 12);
	ck_assert(vsc_decode_init(&m, &version));
	ck_assert_uint_eq(version, VSC_VERSION);
	in[15] = 'X';	/* wrong magic */
	ck_assert_int_eq(vsc_parse(in, sizeof(in), VSC_MAX_PAYLOAD, &m), 24);
	ck_assert(!vsc_decode_init(&m, &version));
	/* Too short an Init (QEMU itself would crash on it). */
	hex("00 00 00 01 00 00 00 00 00 00 00 08 56 53 43 44 00 00 00 02", in, sizeof(in));
	ck_assert_int_eq(vsc_parse(in, 20, VSC_MAX_PAYLOAD, &m), 20);
	ck_assert(!vsc_decode_init(&m, &version));
}
END_TEST

START_TEST(test_error_and_empty)
{
	uint8_t out[32];
	struct vsc_msg m;
	uint32_t code = 99;

	ck_assert_uint_eq(vsc_encode_error(out, sizeof(out), 7, VSC_GENERAL_ERROR), 16);
	ck_assert_int_eq(vsc_parse(out, 16, VSC_MAX_PAYLOAD, &m), 16);
	ck_assert_uint_eq(m.type, VSC_ERROR);
	ck_assert_uint_eq(m.reader_id, 7);
	ck_assert(vsc_decode_error(&m, &code));
	ck_assert_uint_eq(code, 1);
	ck_assert_uint_eq(out[15], 1);	/* network order */

	ck_assert_uint_eq(vsc_encode(out, sizeof(out), VSC_CARD_REMOVE, 0, NULL, 0), 12);
	ck_assert_int_eq(vsc_parse(out, 12, VSC_MAX_PAYLOAD, &m), 12);
	ck_assert_uint_eq(m.type, VSC_CARD_REMOVE);
	ck_assert_uint_eq(m.length, 0);
	ck_assert_ptr_null(m.payload);
	ck_assert(!vsc_decode_error(&m, &code));
	ck_assert_str_eq(vsc_type_name(VSC_CARD_REMOVE), "CardRemove");
	ck_assert_str_eq(vsc_type_name(0), "unknown");
	ck_assert_str_eq(vsc_type_name(1000), "unknown");
}
END_TEST

START_TEST(test_parse_stream_and_limits)
{
	uint8_t buf[64];
	struct vsc_msg m;
	size_t a = vsc_encode(buf, sizeof(buf), VSC_APDU, 0, (const uint8_t *)"\x80\x30\x00\x00", 4);
	size_t b = vsc_encode(buf + a, sizeof(buf) - a, VSC_ERROR, 0, (const uint8_t *)"\0\0\0\0", 4);

	ck_assert_uint_eq(a, 16);
	ck_assert_uint_eq(b, 16);
	ck_assert_int_eq(vsc_parse(buf, a + b, VSC_MAX_PAYLOAD, &m), 16);
	ck_assert_uint_eq(m.type, VSC_APDU);
	ck_assert_mem_eq(m.payload, "\x80\x30\x00\x00", 4);
	ck_assert_int_eq(vsc_parse(buf + a, b, VSC_MAX_PAYLOAD, &m), 16);
	ck_assert_uint_eq(m.type, VSC_ERROR);

	/* A header announcing more than allowed cannot be resynchronised. */
	hex("00 00 00 07 00 00 00 00 00 01 00 01", buf, sizeof(buf));
	ck_assert_int_eq(vsc_parse(buf, 12, VSC_MAX_PAYLOAD, &m), -1);
	hex("00 00 00 07 00 00 00 00 00 00 01 00", buf, sizeof(buf));
	ck_assert_int_eq(vsc_parse(buf, 12, 255, &m), -1);
	ck_assert_int_eq(vsc_parse(buf, 12, 256, &m), 0);
	ck_assert_int_eq(vsc_parse(NULL, 0, 256, &m), 0);
	/* Encoding refuses what does not fit. */
	ck_assert_uint_eq(vsc_encode(buf, 15, VSC_APDU, 0, buf, 4), 0);
	ck_assert_uint_eq(vsc_encode(buf, sizeof(buf), VSC_APDU, 0, NULL, 4), 0);
	ck_assert_uint_eq(vsc_encode(buf, sizeof(buf), VSC_APDU, 0, buf, VSC_MAX_PAYLOAD + 1), 0);
}
END_TEST

/* ------------------------------------------------------------ ATR */

static const uint8_t rt_atr[] = { 0x3B, 0x8B, 0x81, 0x31, 0xFE, 0x45, 0x80, 0x73, 0x80, 0x01,
				  0x40, 0x55, 0x53, 0x54, 0x43, 0x52, 0x54, 0xA5 };

START_TEST(test_atr_t1)
{
	struct vsc_atr_info i;
	uint8_t t0[40], want[13];

	vsc_atr_parse(rt_atr, sizeof(rt_atr), &i);
	ck_assert(i.valid);
	ck_assert_int_eq(i.first_protocol, 1);
	ck_assert(i.offers_t1);
	ck_assert(!i.offers_t0);
	ck_assert_uint_eq(i.ifsc, 0xFE);
	ck_assert_uint_eq(i.bwi, 4);
	ck_assert(!i.crc);
	ck_assert_uint_eq(i.hist_len, 11);
	ck_assert_uint_eq(i.hist[0], 0x80);

	hex("3B 0B 80 73 80 01 40 55 53 54 43 52 54", want, sizeof(want));
	ck_assert_uint_eq(vsc_atr_to_t0(rt_atr, sizeof(rt_atr), t0, sizeof(t0)), 13);
	ck_assert_mem_eq(t0, want, 13);
	ck_assert_uint_eq(vsc_atr_to_t0(rt_atr, sizeof(rt_atr), t0, 12), 0);
}
END_TEST

START_TEST(test_atr_t0_and_bad)
{
	struct vsc_atr_info i;
	uint8_t a[40];
	/* CPS3 contact ATR shape: TB1, TD1 = T=0 with TC2. */
	size_t n = hex("3B AC 00 40 2A 00 12 25 00 64 80 00 03 10 00 90 00", a, sizeof(a));

	vsc_atr_parse(a, n, &i);
	ck_assert(i.valid);
	ck_assert_int_eq(i.first_protocol, 0);
	ck_assert(i.offers_t0);
	ck_assert(!i.offers_t1);
	ck_assert_uint_eq(i.hist_len, 12);

	n = hex("3B 09 80 57 53 54 43 54 45 53 54", a, sizeof(a));	/* no TD1: T=0 */
	vsc_atr_parse(a, n, &i);
	ck_assert(i.valid);
	ck_assert(i.offers_t0);
	ck_assert_int_eq(i.first_protocol, 0);

	/* T=1 with CRC (TC3 bit 0) and IFSC 0x20 */
	n = hex("3B 80 81 71 20 45 01 00", a, sizeof(a));
	vsc_atr_parse(a, n, &i);
	ck_assert(i.valid);
	ck_assert(i.crc);
	ck_assert_uint_eq(i.ifsc, 0x20);

	vsc_atr_parse(a, 1, &i);
	ck_assert(!i.valid);
	n = hex("3C 00", a, sizeof(a));
	vsc_atr_parse(a, n, &i);
	ck_assert(!i.valid);
	n = hex("3B 8F 81", a, sizeof(a));	/* TD1 promises more than there is */
	vsc_atr_parse(a, n, &i);
	ck_assert(!i.valid);
	n = hex("3B 05 01 02", a, sizeof(a));	/* 5 historical bytes announced, 2 there */
	vsc_atr_parse(a, n, &i);
	ck_assert(!i.valid);
	vsc_atr_parse(NULL, 0, &i);
	ck_assert(!i.valid);
	ck_assert_uint_eq(vsc_atr_to_t0(a, n, a, sizeof(a)), 0);
}
END_TEST

/* ------------------------------------------------------------ T=1 */

static struct vsc_t1 t1;
static size_t last_cmd_len;
static int calls;
static uint8_t *last_cmd;

/* The test card: answers P1P2 bytes of i & FF and 90 00; INS 38 is "slow". */
static size_t fake_card(void *ctx, const uint8_t *c, size_t len, uint8_t *r, size_t cap,
			bool *slow)
{
	(void)ctx;
	calls++;
	last_cmd_len = len;
	memcpy(last_cmd, c, len);
	if (len < 4) {
		r[0] = 0x67;
		r[1] = 0x00;
		return 2;
	}
	size_t n = (size_t)c[2] << 8 | c[3];
	if (n + 2 > cap)
		n = cap - 2;
	for (size_t i = 0; i < n; i++)
		r[i] = (uint8_t)i;
	r[n] = 0x90;
	r[n + 1] = 0x00;
	*slow = c[1] == 0x38;
	return n + 2;
}

static void t1_setup(void)
{
	struct vsc_atr_info i;

	vsc_atr_parse(rt_atr, sizeof(rt_atr), &i);
	ck_assert(vsc_t1_init(&t1, &i));
	last_cmd = malloc(VSC_T1_MAX_APDU);
	ck_assert_ptr_nonnull(last_cmd);
	calls = 0;
}

static void t1_teardown(void)
{
	vsc_t1_free(&t1);
	free(last_cmd);
}

/* Frames a block with LRC. */
static size_t blk(uint8_t *out, uint8_t pcb, const uint8_t *inf, size_t n)
{
	out[0] = 0;
	out[1] = pcb;
	out[2] = (uint8_t)n;
	if (n)
		memcpy(out + 3, inf, n);
	out[3 + n] = vsc_t1_lrc(out, 3 + n);
	return 4 + n;
}

static uint8_t reply[VSC_T1_BLOCK_MAX];

static size_t xfer(uint8_t pcb, const uint8_t *inf, size_t n)
{
	uint8_t b[VSC_T1_BLOCK_MAX];
	size_t len = blk(b, pcb, inf, n);
	size_t r = vsc_t1_block(&t1, b, len, reply, sizeof(reply), fake_card, NULL);

	ck_assert_uint_ge(r, 4);
	ck_assert_uint_eq(reply[2], r - 4);
	ck_assert_uint_eq(vsc_t1_lrc(reply, r - 1), reply[r - 1]);
	return r;
}

START_TEST(test_t1_simple)
{
	static const uint8_t apdu[] = { 0x80, 0x34, 0x00, 0x05 };

	xfer(0x00, apdu, sizeof(apdu));
	ck_assert_int_eq(calls, 1);
	ck_assert_uint_eq(last_cmd_len, 4);
	ck_assert_uint_eq(reply[1], 0x00);	/* I(0, no more) */
	ck_assert_uint_eq(reply[2], 7);
	ck_assert_uint_eq(reply[3 + 5], 0x90);
	/* Next command carries N(S) = 1 and gets our N(S) = 1. */
	xfer(0x40, apdu, sizeof(apdu));
	ck_assert_int_eq(calls, 2);
	ck_assert_uint_eq(reply[1], 0x40);
}
END_TEST

START_TEST(test_t1_bad_blocks)
{
	uint8_t b[16];
	size_t n = blk(b, 0x00, (const uint8_t *)"\x80\x30\x00\x00", 4);

	b[n - 1] ^= 0xFF;	/* bad LRC */
	ck_assert_uint_eq(vsc_t1_block(&t1, b, n, reply, sizeof(reply), fake_card, NULL), 4);
	ck_assert_uint_eq(reply[1], 0x81);	/* R(0), EDC error */
	b[n - 1] ^= 0xFF;
	b[2] = 5;		/* LEN disagrees with the block */
	ck_assert_uint_eq(vsc_t1_block(&t1, b, n, reply, sizeof(reply), fake_card, NULL), 4);
	ck_assert_uint_eq(reply[1], 0x82);
	ck_assert_uint_eq(vsc_t1_block(&t1, b, 2, reply, sizeof(reply), fake_card, NULL), 4);
	ck_assert_uint_eq(vsc_t1_block(&t1, NULL, 0, reply, sizeof(reply), fake_card, NULL), 4);
	ck_assert_uint_eq(vsc_t1_block(&t1, b, n, reply, 10, fake_card, NULL), 0);
	ck_assert_int_eq(calls, 0);
	/* Unknown S-block */
	xfer(0xC5, NULL, 0);
	ck_assert_uint_eq(reply[1], 0x82);
	/* INF longer than IFSC */
	uint8_t big[255] = { 0 };
	xfer(0x00, big, 255);
	ck_assert_uint_eq(reply[1], 0x82);
	ck_assert_int_eq(calls, 0);
}
END_TEST

START_TEST(test_t1_command_chaining_extended)
{
	/* Extended case 3: 80 32 00 00 00 01 F4 + 500 bytes, in IFSC-sized blocks. */
	uint8_t apdu[507];
	size_t off = 0;
	uint8_t ns = 0;

	apdu[0] = 0x80, apdu[1] = 0x32, apdu[2] = 0x00, apdu[3] = 0x00;
	apdu[4] = 0x00, apdu[5] = 0x01, apdu[6] = 0xF4;
	for (size_t i = 0; i < 500; i++)
		apdu[7 + i] = (uint8_t)i;
	while (off < sizeof(apdu)) {
		size_t n = sizeof(apdu) - off > 254 ? 254 : sizeof(apdu) - off;
		bool more = off + n < sizeof(apdu);
		xfer((uint8_t)((ns ? 0x40 : 0) | (more ? 0x20 : 0)), apdu + off, n);
		off += n;
		ns ^= 1;
		if (more) {
			/* R-block acknowledging, N(R) = next expected N(S) */
			ck_assert_uint_eq(reply[1], (uint8_t)(0x80 | (ns ? 0x10 : 0)));
			ck_assert_int_eq(calls, 0);
		}
	}
	ck_assert_int_eq(calls, 1);
	ck_assert_uint_eq(last_cmd_len, sizeof(apdu));
	ck_assert_mem_eq(last_cmd, apdu, sizeof(apdu));
}
END_TEST

START_TEST(test_t1_response_chaining)
{
	/* 100 data bytes + SW with the default IFSD of 32: 32+32+32+6. */
	static const uint8_t apdu[] = { 0x80, 0x34, 0x00, 100 };
	size_t got = 0;
	uint8_t resp[200];

	xfer(0x00, apdu, sizeof(apdu));
	ck_assert_uint_eq(reply[1], 0x20);	/* I(0, more) */
	ck_assert_uint_eq(reply[2], 32);
	memcpy(resp, reply + 3, 32);
	got = 32;
	/* The reader lost it: R(0) asks again, same block. */
	xfer(0x80, NULL, 0);
	ck_assert_uint_eq(reply[1], 0x20);
	ck_assert_uint_eq(reply[3], 0);
	/* R(1): next one. */
	xfer(0x90, NULL, 0);
	ck_assert_uint_eq(reply[1], 0x60);	/* I(1, more) */
	memcpy(resp + got, reply + 3, reply[2]);
	got += reply[2];
	xfer(0x80, NULL, 0);
	ck_assert_uint_eq(reply[1], 0x20);
	memcpy(resp + got, reply + 3, reply[2]);
	got += reply[2];
	xfer(0x90, NULL, 0);
	ck_assert_uint_eq(reply[1], 0x40);	/* I(1), last */
	ck_assert_uint_eq(reply[2], 6);
	memcpy(resp + got, reply + 3, reply[2]);
	got += reply[2];
	ck_assert_uint_eq(got, 102);
	for (size_t i = 0; i < 100; i++)
		ck_assert_uint_eq(resp[i], (uint8_t)i);
	ck_assert_uint_eq(resp[100], 0x90);
	ck_assert_int_eq(calls, 1);
	/* The next command: the reader's N(S) is 1 now, ours 0. */
	xfer(0x40, apdu, sizeof(apdu));
	ck_assert_uint_eq(reply[1], 0x20);
}
END_TEST

START_TEST(test_t1_sblocks)
{
	static const uint8_t apdu[] = { 0x80, 0x34, 0x00, 0xFD };
	uint8_t v = 0xFE;

	xfer(0xC1, &v, 1);		/* IFS request 254 */
	ck_assert_uint_eq(reply[1], 0xE1);
	ck_assert_uint_eq(reply[3], 0xFE);
	ck_assert_uint_eq(t1.ifsd, 0xFE);
	xfer(0x00, apdu, sizeof(apdu));	/* 253 + 2 bytes: 254 then 1 */
	ck_assert_uint_eq(reply[1], 0x20);
	ck_assert_uint_eq(reply[2], 254);
	xfer(0x90, NULL, 0);
	ck_assert_uint_eq(reply[1], 0x40);
	ck_assert_uint_eq(reply[2], 1);

	v = 0;
	xfer(0xC1, &v, 1);		/* IFS 0 is invalid */
	ck_assert_uint_eq(reply[1] & 0xC0, 0x80);

	xfer(0xC0, NULL, 0);		/* RESYNCH */
	ck_assert_uint_eq(reply[1], 0xE0);
	ck_assert_uint_eq(t1.ns, 0);
	ck_assert_uint_eq(t1.nr, 0);
	xfer(0xC2, NULL, 0);		/* ABORT */
	ck_assert_uint_eq(reply[1], 0xE2);
	xfer(0xE3, &v, 1);		/* WTX response nobody asked for */
	ck_assert_uint_eq(reply[1] & 0xC0, 0x80);
}
END_TEST

START_TEST(test_t1_wtx)
{
	static const uint8_t apdu[] = { 0x80, 0x38, 0x00, 0x02 };
	uint8_t m = 1;

	xfer(0x00, apdu, sizeof(apdu));
	ck_assert_uint_eq(reply[1], 0xC3);	/* WTX request */
	ck_assert_uint_eq(reply[2], 1);
	/* An R-block meanwhile gets the WTX request again. */
	xfer(0x80, NULL, 0);
	ck_assert_uint_eq(reply[1], 0xC3);
	/* An I-block is out of place. */
	xfer(0x40, apdu, sizeof(apdu));
	ck_assert_uint_eq(reply[1] & 0xC0, 0x80);
	xfer(0x80, NULL, 0);			/* still the WTX request to repeat */
	ck_assert_uint_eq(reply[1], 0xC3);
	xfer(0xE3, &m, 1);
	ck_assert_uint_eq(reply[1], 0x00);
	ck_assert_uint_eq(reply[2], 4);
	ck_assert_int_eq(calls, 1);
}
END_TEST

START_TEST(test_t1_repeated_iblock)
{
	static const uint8_t apdu[] = { 0x80, 0x34, 0x00, 0x01 };

	xfer(0x00, apdu, sizeof(apdu));
	ck_assert_int_eq(calls, 1);
	/* The reader did not get our answer and sends the same I(0) again:
	 * our last block comes back, the command is not run twice. */
	xfer(0x00, apdu, sizeof(apdu));
	ck_assert_int_eq(calls, 1);
	ck_assert_uint_eq(reply[1], 0x00);
	ck_assert_uint_eq(reply[2], 3);
	vsc_t1_reset(&t1);
	xfer(0x00, apdu, sizeof(apdu));
	ck_assert_int_eq(calls, 2);
}
END_TEST

START_TEST(test_t1_crc)
{
	struct vsc_atr_info i;
	uint8_t a[16], b[16];
	size_t n = hex("3B 80 81 71 20 45 01 00", a, sizeof(a));

	/* CRC-16/X-25's check value without the final XOR: ~0x906E. */
	ck_assert_uint_eq(vsc_t1_crc((const uint8_t *)"123456789", 9), (uint16_t)~0x906Eu);
	vsc_t1_free(&t1);
	vsc_atr_parse(a, n, &i);
	ck_assert(vsc_t1_init(&t1, &i));
	b[0] = 0, b[1] = 0, b[2] = 4;
	memcpy(b + 3, "\x80\x34\x00\x01", 4);
	uint16_t c = vsc_t1_crc(b, 7);
	b[7] = (uint8_t)(c >> 8), b[8] = (uint8_t)c;
	size_t r = vsc_t1_block(&t1, b, 9, reply, sizeof(reply), fake_card, NULL);
	ck_assert_uint_eq(r, 3 + 3 + 2);
	c = vsc_t1_crc(reply, r - 2);
	ck_assert_uint_eq(reply[r - 2], (uint8_t)(c >> 8));
	ck_assert_uint_eq(reply[r - 1], (uint8_t)c);
	b[8] ^= 1;
	r = vsc_t1_block(&t1, b, 9, reply, sizeof(reply), fake_card, NULL);
	ck_assert_uint_eq(reply[1], 0x91);	/* R(1), EDC error */
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("vscard");
	TCase *tc = tcase_create("framing");

	tcase_add_test(tc, test_init_bytes);
	tcase_add_test(tc, test_parse_qemu_init);
	tcase_add_test(tc, test_error_and_empty);
	tcase_add_test(tc, test_parse_stream_and_limits);
	tcase_add_test(tc, test_atr_t1);
	tcase_add_test(tc, test_atr_t0_and_bad);
	suite_add_tcase(s, tc);

	tc = tcase_create("t1");
	tcase_add_checked_fixture(tc, t1_setup, t1_teardown);
	tcase_add_test(tc, test_t1_simple);
	tcase_add_test(tc, test_t1_bad_blocks);
	tcase_add_test(tc, test_t1_command_chaining_extended);
	tcase_add_test(tc, test_t1_response_chaining);
	tcase_add_test(tc, test_t1_sblocks);
	tcase_add_test(tc, test_t1_wtx);
	tcase_add_test(tc, test_t1_repeated_iblock);
	tcase_add_test(tc, test_t1_crc);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(suite());
}
