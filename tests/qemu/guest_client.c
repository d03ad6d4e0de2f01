/* guest_client.c - the PC/SC client that runs inside the QEMU guest
 * (tests/qemu/run-qemu-ccid): lists the readers and drives the reader-test
 * applet (firmware/readertest) through every APDU case and length the reader
 * allows, and watches card removal and insertion.
 *
 *   guest_client list
 *   guest_client readertest READER quick|full
 *   guest_client events READER
 *   guest_client zlp READER        64-byte DataBlocks (QEMU's zero-length packet)
 *   guest_client unplug READER CMD CMD unplugs the reader: commands must fail
 *   guest_client pinpad READER     PC/SC part 10 verify/modify on a CPS3 with
 *                                  ccid_gadget's scripted keypad
 *   guest_client find READER       prints the reader's full name
 *
 * READER is a substring of the reader name, its index, or atr:HEX (the reader
 * whose card's ATR starts with HEX). Output is one line
 * per check, "GC ok NAME" or "GC FAIL NAME: why", then "GC summary pass=N
 * fail=M" (events: "GC wait remove"/"GC wait insert" tell the host when to
 * act). Exit status 0 when nothing failed. Only test data here: no PIN.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <reader.h>
#include <winscard.h>
#include <wintypes.h>

#define RBUF_CAP (65536 + 2)
#define CBUF_CAP (65544)

/* GC_SKIP_ZLP=1 (set for Debian's libccid): leave out responses whose
 * DataBlock is a multiple of 64 bytes. QEMU 7.2 sends a zero-length packet
 * after them (reference/qemu-ccid.md §2.5) and a driver that does not skip
 * it reads every later answer one command late. The `zlp` step tests it. */
static bool skip_zlp;

static SCARDCONTEXT ctx;
static SCARDHANDLE card;
static DWORD proto;
static unsigned pass, fail;
static uint8_t *cbuf, *rbuf;
static DWORD rlen;

static void ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void ok(const char *fmt, ...)
{
	va_list ap;

	printf("GC ok ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	pass++;
}

static void bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void bad(const char *fmt, ...)
{
	va_list ap;

	printf("GC FAIL ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	fail++;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The reader holding a card whose ATR starts with the hex prefix. */
static bool reader_by_atr(const char *prefix, char *out, size_t cap)
{
	char buf[4096];
	DWORD len = sizeof(buf);
	SCARD_READERSTATE rs[8];
	DWORD n = 0;

	if (SCardListReaders(ctx, NULL, buf, &len) != SCARD_S_SUCCESS)
		return false;
	for (const char *r = buf; *r && n < 8; r += strlen(r) + 1, n++) {
		memset(&rs[n], 0, sizeof(rs[n]));
		rs[n].szReader = r;
		rs[n].dwCurrentState = SCARD_STATE_UNAWARE;
	}
	if (SCardGetStatusChange(ctx, 0, rs, n) != SCARD_S_SUCCESS)
		return false;
	for (DWORD i = 0; i < n; i++) {
		char hexatr[2 * 33 + 1] = "";
		for (DWORD k = 0; k < rs[i].cbAtr && k < 33; k++)
			snprintf(hexatr + 2 * k, 3, "%02X", rs[i].rgbAtr[k]);
		if ((rs[i].dwEventState & SCARD_STATE_PRESENT) && strncmp(hexatr, prefix, strlen(prefix)) == 0) {
			snprintf(out, cap, "%s", rs[i].szReader);
			return true;
		}
	}
	return false;
}

/* Finds the reader whose name contains want (or whose index it is, or, with
 * "atr:HEX", whose card's ATR starts with HEX). */
static bool pick_reader(const char *want, char *out, size_t cap)
{
	if (strncmp(want, "atr:", 4) == 0) {
		/* The card may still be on its way in: give it 10 s. */
		for (int i = 0; i < 100; i++) {
			if (reader_by_atr(want + 4, out, cap))
				return true;
			struct timespec ts = { 0, 100000000L };
			nanosleep(&ts, NULL);
		}
		bad("no reader with a card whose ATR starts with %s", want + 4);
		return false;
	}

	char buf[4096];
	DWORD len = sizeof(buf);
	LONG rv = SCardListReaders(ctx, NULL, buf, &len);
	int idx = 0;
	char *end;
	long n = strtol(want, &end, 10);
	bool by_index = *want && *end == '\0';

	if (rv != SCARD_S_SUCCESS) {
		bad("list readers: %s", pcsc_stringify_error(rv));
		return false;
	}
	for (const char *r = buf; *r; r += strlen(r) + 1, idx++) {
		if ((by_index && idx == n) || (!by_index && strstr(r, want))) {
			snprintf(out, cap, "%s", r);
			return true;
		}
	}
	bad("no reader matching '%s'", want);
	return false;
}

static int cmd_list(void)
{
	char buf[4096];
	DWORD len = sizeof(buf);
	LONG rv = SCardListReaders(ctx, NULL, buf, &len);
	int n = 0;

	if (rv != SCARD_S_SUCCESS) {
		bad("list readers: %s", pcsc_stringify_error(rv));
		return 1;
	}
	for (const char *r = buf; *r; r += strlen(r) + 1, n++)
		printf("GC reader %d: %s\n", n, r);
	ok("readers listed: %d", n);
	return 0;
}

/* Sends cbuf[0..len); returns the SW, or -1 on a transport error (reported). */
static long xmit(const char *what, size_t len)
{
	SCARD_IO_REQUEST rq = { proto, sizeof(SCARD_IO_REQUEST) };

	rlen = RBUF_CAP;
	LONG rv = SCardTransmit(card, &rq, cbuf, (DWORD)len, NULL, rbuf, &rlen);
	if (rv != SCARD_S_SUCCESS) {
		bad("%s: SCardTransmit: %s (0x%08lX)", what, pcsc_stringify_error(rv), (unsigned long)rv);
		return -1;
	}
	if (rlen < 2) {
		bad("%s: %lu-byte response", what, (unsigned long)rlen);
		return -1;
	}
	return (long)rbuf[rlen - 2] << 8 | rbuf[rlen - 1];
}

static size_t header(uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2)
{
	cbuf[0] = cla, cbuf[1] = ins, cbuf[2] = p1, cbuf[3] = p2;
	return 4;
}

/* Appends Lc (short or extended) and the pattern data (i + p2) & FF. */
static size_t put_data(size_t off, size_t lc, bool ext, uint8_t p2)
{
	if (ext) {
		cbuf[off++] = 0;
		cbuf[off++] = (uint8_t)(lc >> 8);
		cbuf[off++] = (uint8_t)lc;
	} else {
		cbuf[off++] = (uint8_t)lc;
	}
	for (size_t i = 0; i < lc; i++)
		cbuf[off++] = (uint8_t)((i + p2) & 0xFF);
	return off;
}

/* Appends Le: short (1 byte, 256 -> 00) or extended (2 bytes after data, 3 without). */
static size_t put_le(size_t off, size_t ne, bool ext, bool has_data)
{
	if (!ext) {
		cbuf[off++] = (uint8_t)(ne & 0xFF);
		return off;
	}
	if (!has_data)
		cbuf[off++] = 0;
	cbuf[off++] = (uint8_t)((ne >> 8) & 0xFF);
	cbuf[off++] = (uint8_t)(ne & 0xFF);
	return off;
}

static bool pattern_ok(const uint8_t *d, size_t n, size_t start)
{
	for (size_t i = 0; i < n; i++)
		if (d[i] != (uint8_t)((start + i) & 0xFF))
			return false;
	return true;
}

static void expect_sw(const char *name, long sw, long want)
{
	if (sw < 0)
		return;
	if (sw == want)
		ok("%s", name);
	else
		bad("%s: SW %04lX, expected %04lX", name, sw, want);
}

static void case1(void)
{
	expect_sw("case 1", xmit("case 1", header(0x80, 0x30, 0, 0)), 0x9000);
}

static void case3(size_t lc, bool ext)
{
	char name[64];
	uint8_t p2 = (uint8_t)(lc * 7);

	snprintf(name, sizeof(name), "case 3%s Lc=%zu", ext ? "E" : "S", lc);
	expect_sw(name, xmit(name, put_data(header(0x80, 0x32, 0, p2), lc, ext, p2)), 0x9000);
}

/* Would an answer of n data bytes + SW make a DataBlock of a multiple of 64? */
static bool zlp_size(size_t n)
{
	if (proto == SCARD_PROTOCOL_T0)
		return (10 + n + 2) % 64 == 0;
	return n + 2 <= 254 && (10 + 4 + n + 2) % 64 == 0;	/* one T=1 block */
}

/* A T=0 TPDU is at most 5 + 255 bytes: a case 4 command with its Le fits
 * with Lc <= 254 (Debian's libccid passes 261 bytes on, ours refuses them). */
static size_t t0_lc(size_t lc)
{
	return proto == SCARD_PROTOCOL_T0 && lc > 254 ? 254 : lc;
}

/* Le bytes directly (T=1 style, P1 = 00): case 2 (lc 0) or case 4. */
static void direct(size_t lc, size_t ne, bool ext)
{
	char name[64];
	size_t off = header(0x80, lc ? 0x36 : 0x34, 0, 0);

	if (!ext)
		lc = t0_lc(lc);

	snprintf(name, sizeof(name), "case %d%s Lc=%zu Le=%zu", lc ? 4 : 2, ext ? "E" : "S", lc, ne);
	if (skip_zlp && zlp_size(ne)) {
		printf("GC skip %s: 64-byte-multiple DataBlock (zlp step)\n", name);
		return;
	}
	if (lc)
		off = put_data(off, lc, ext, 0);
	off = put_le(off, ne, ext, lc != 0);
	long sw = xmit(name, off);
	if (sw < 0)
		return;
	if (sw != 0x9000 || rlen - 2 != ne || !pattern_ok(rbuf, ne, 0))
		bad("%s: SW %04lX, %lu bytes", name, sw, (unsigned long)rlen - 2);
	else
		ok("%s", name);
}

/* T=0 style (P1 = 01): 61 xx then GET RESPONSE, with a 6C xx detour when
 * asked for more than remains. */
static void via_get_response(size_t lc, size_t ne)
{
	char name[64];
	size_t off = header(0x80, lc ? 0x36 : 0x34, 1, 0), got = 0;
	uint8_t *all = malloc(ne ? ne : 1);

	lc = t0_lc(lc);

	snprintf(name, sizeof(name), "case %d T=0 61xx/GET RESPONSE Lc=%zu Le=%zu", lc ? 4 : 2, lc, ne);
	if (!all) {
		bad("%s: out of memory", name);
		return;
	}
	if (lc)
		off = put_data(off, lc, false, 0);
	off = put_le(off, ne, false, lc != 0);
	long sw = xmit(name, off);
	bool sixc = false;
	while (sw >= 0 && (sw & 0xFF00) == 0x6100) {
		size_t want = (sw & 0xFF) ? (size_t)(sw & 0xFF) : 256;
		/* Ask for one more than announced once to see 6C xx (when it can be said). */
		size_t ask = (!sixc && want < 256) ? want + 1 : want;
		off = header(0x00, 0xC0, 0, 0);
		cbuf[off++] = (uint8_t)(ask & 0xFF);
		sw = xmit(name, off);
		if (sw >= 0 && (sw & 0xFF00) == 0x6C00) {
			sixc = true;
			if ((size_t)(sw & 0xFF) != want) {
				bad("%s: 6C%02lX, expected 6C%02zX", name, sw & 0xFF, want);
				free(all);
				return;
			}
			cbuf[4] = (uint8_t)want;
			sw = xmit(name, 5);
		}
		if (sw < 0)
			break;
		size_t n = rlen - 2;
		if (got + n > ne) {
			bad("%s: more data than asked", name);
			free(all);
			return;
		}
		memcpy(all + got, rbuf, n);
		got += n;
	}
	if (sw >= 0) {
		if (sw != 0x9000 || got != ne || !pattern_ok(all, ne, 0))
			bad("%s: SW %04lX after %zu bytes", name, sw, got);
		else
			ok("%s", name);
	}
	free(all);
}

static void negative(void)
{
	size_t off = put_data(header(0x80, 0x32, 0, 0), 4, false, 0);

	cbuf[off - 1] ^= 0xFF;
	expect_sw("case 3 wrong data -> 6A80", xmit("wrong data", off), 0x6A80);
	expect_sw("unknown INS -> 6D00", xmit("unknown ins", header(0x80, 0x3A, 0, 0)), 0x6D00);
	expect_sw("GET RESPONSE with nothing pending -> 6985",
		  xmit("get response", put_le(header(0x00, 0xC0, 0, 0), 16, false, false)), 0x6985);
}

static void wait_cmd(unsigned ms)
{
	char name[64];
	double t0 = now_s();

	snprintf(name, sizeof(name), "slow command %u ms", ms);
	long sw = xmit(name, header(0x80, 0x38, (uint8_t)(ms >> 8), (uint8_t)ms));
	double dt = now_s() - t0;
	if (sw == 0x9000 && dt * 1000 >= ms)
		ok("%s (%.2f s)", name, dt);
	else if (sw >= 0)
		bad("%s: SW %04lX after %.2f s", name, sw, dt);
}

static const size_t quick_lengths[] = { 1, 2, 51, 52, 53, 116, 117, 200, 244, 255, 256 };

static int cmd_readertest(const char *want, bool full)
{
	char reader[512];
	double t0 = now_s();
	unsigned apdus_before = pass + fail;

	if (!pick_reader(want, reader, sizeof(reader)))
		return 1;
	LONG rv = SCardConnect(ctx, reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
			       &card, &proto);
	if (rv != SCARD_S_SUCCESS) {
		bad("connect %s: %s (0x%08lX)", reader, pcsc_stringify_error(rv), (unsigned long)rv);
		return 1;
	}
	ok("connect %s: T=%d", reader, proto == SCARD_PROTOCOL_T1 ? 1 : 0);
	{
		uint8_t atr[64];
		DWORD atr_len = sizeof(atr), state, p, nlen = 0;
		rv = SCardStatus(card, NULL, &nlen, &state, &p, atr, &atr_len);
		if (rv == SCARD_S_SUCCESS) {
			printf("GC atr ");
			for (DWORD i = 0; i < atr_len; i++)
				printf("%02X", atr[i]);
			putchar('\n');
		}
	}
	bool t1 = proto == SCARD_PROTOCOL_T1;
	case1();
	negative();
	if (full) {
		for (size_t n = 1; n <= 255; n++)
			case3(n, false);
		for (size_t n = 1; n <= 256; n++)
			direct(0, n, false);
		for (size_t n = 1; n <= 256; n += (n < 16 ? 1 : 15))
			direct(n > 255 ? 255 : n, 257 - n, false);
		for (size_t n = 1; n <= 256; n += (n < 8 ? 1 : 31))
			via_get_response(0, n);
		via_get_response(0, 256);
		via_get_response(255, 256);
		via_get_response(100, 37);
	} else {
		for (size_t i = 0; i < sizeof(quick_lengths) / sizeof(quick_lengths[0]); i++) {
			size_t n = quick_lengths[i];
			if (n <= 255)
				case3(n, false);
			direct(0, n, false);
		}
		direct(255, 256, false);
		direct(1, 1, false);
		via_get_response(0, 20);
		via_get_response(10, 256);
	}
	if (t1) {
		/* Extended lengths travel in chained T=1 blocks through QEMU's pipe. */
		static const size_t ext_quick[] = { 256, 300, 1000 };
		static const size_t ext_full[] = { 1, 256, 257, 300, 1000, 4096, 65535 };
		const size_t *e = full ? ext_full : ext_quick;
		size_t ne = full ? sizeof(ext_full) / sizeof(*ext_full) : sizeof(ext_quick) / sizeof(*ext_quick);
		for (size_t i = 0; i < ne; i++) {
			case3(e[i], true);
			direct(0, e[i], true);
			direct(e[i] > 1000 ? 1000 : e[i], e[i], true);
		}
		if (full)
			direct(0, 65536, true);
		wait_cmd(1500);
	} else {
		wait_cmd(300);
	}
	double dt = now_s() - t0;
	unsigned checks = pass + fail - apdus_before;
	printf("GC timing readertest %u checks in %.1f s\n", checks, dt);
	SCardDisconnect(card, SCARD_LEAVE_CARD);
	return fail ? 1 : 0;
}

/* QEMU's zero-length packet after a 64-byte DataBlock (52 data bytes + SW
 * at T=0), then plain commands that must each get their own answer. With
 * GC_ZLP_KNOWN set (Debian's libccid) a mismatch is reported as "GC known". */
static int cmd_zlp(const char *want)
{
	char reader[512];
	SCARD_IO_REQUEST rq;
	bool good = true;

	if (!pick_reader(want, reader, sizeof(reader)))
		return 1;
	LONG rv = SCardConnect(ctx, reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
			       &card, &proto);
	if (rv != SCARD_S_SUCCESS) {
		bad("zlp: connect: %s", pcsc_stringify_error(rv));
		return 1;
	}
	rq.dwProtocol = proto;
	rq.cbPciLength = sizeof(rq);
	/* T=0: 52 + SW + 10 = 64; T=1: 48 + SW + NAD PCB LEN LRC + 10 = 64. */
	size_t ne = proto == SCARD_PROTOCOL_T0 ? 52 : 48;
	for (int i = 0; i < 3 && good; i++) {
		size_t off = header(0x80, 0x34, 0, 0);
		cbuf[off++] = (uint8_t)ne;
		rlen = RBUF_CAP;
		rv = SCardTransmit(card, &rq, cbuf, (DWORD)off, NULL, rbuf, &rlen);
		good = rv == SCARD_S_SUCCESS && rlen == ne + 2 && pattern_ok(rbuf, ne, 0) &&
		       rbuf[ne] == 0x90 && rbuf[ne + 1] == 0x00;
		rlen = RBUF_CAP;
		rv = SCardTransmit(card, &rq, cbuf, header(0x80, 0x30, 0, 0), NULL, rbuf, &rlen);
		good = good && rv == SCARD_S_SUCCESS && rlen == 2 && rbuf[0] == 0x90;
	}
	if (good)
		ok("zlp: 64-byte DataBlocks, each followed by a command, all answered right");
	else if (getenv("GC_ZLP_KNOWN"))
		printf("GC known zlp: answers went astray after a 64-byte DataBlock "
		       "(QEMU 7.2's zero-length packet is not skipped by this driver)\n");
	else
		bad("zlp: answers went astray after a 64-byte DataBlock (QEMU's zero-length packet)");
	SCardDisconnect(card, SCARD_LEAVE_CARD);
	return fail ? 1 : 0;
}

/* Unplug: a command works, CMD (run by the shell) takes the reader away, the
 * next command must fail and the reader must turn unavailable or vanish. */
static int cmd_unplug(const char *want, const char *cmd)
{
	char reader[512];
	SCARD_READERSTATE rs;

	if (!pick_reader(want, reader, sizeof(reader)))
		return 1;
	LONG rv = SCardConnect(ctx, reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
			       &card, &proto);
	if (rv != SCARD_S_SUCCESS) {
		bad("unplug: connect: %s", pcsc_stringify_error(rv));
		return 1;
	}
	case1();
	double t0 = now_s();
	if (system(cmd) != 0)
		bad("unplug: '%s' failed", cmd);
	SCARD_IO_REQUEST rq = { proto, sizeof(SCARD_IO_REQUEST) };
	header(0x80, 0x30, 0, 0);
	rlen = RBUF_CAP;
	/* The first try may still be answered from before the unplug; give it 5 s. */
	do {
		rv = SCardTransmit(card, &rq, cbuf, 4, NULL, rbuf, &rlen);
		rlen = RBUF_CAP;
		if (rv == SCARD_S_SUCCESS) {
			struct timespec ts = { 0, 100000000L };
			nanosleep(&ts, NULL);
		}
	} while (rv == SCARD_S_SUCCESS && now_s() - t0 < 5);
	if (rv != SCARD_S_SUCCESS)
		ok("unplug: the next command fails: %s (0x%08lX)", pcsc_stringify_error(rv),
		   (unsigned long)rv);
	else
		bad("unplug: commands still answered 5 s after the unplug");
	memset(&rs, 0, sizeof(rs));
	rs.szReader = reader;
	rs.dwCurrentState = SCARD_STATE_UNAWARE;
	bool gone = false;
	while (!gone && now_s() - t0 < 10) {
		rv = SCardGetStatusChange(ctx, 500, &rs, 1);
		gone = rv == SCARD_E_UNKNOWN_READER || rv == SCARD_E_READER_UNAVAILABLE ||
		       (rv == SCARD_S_SUCCESS && (rs.dwEventState & (SCARD_STATE_UNAVAILABLE | SCARD_STATE_UNKNOWN |
								    SCARD_STATE_IGNORE)));
		rs.dwCurrentState = rs.dwEventState & ~SCARD_STATE_CHANGED;
	}
	if (gone)
		ok("unplug: the reader is reported gone/unavailable after %.2f s", now_s() - t0);
	else
		bad("unplug: the reader still looks present 10 s after the unplug");
	SCardDisconnect(card, SCARD_LEAVE_CARD);
	return fail ? 1 : 0;
}

/* ---- pinpad (PC/SC part 10) against the CPS3: the reader's scripted keypad
 * types what /run/ccid-keys says (ccid_gadget reads it). Test PINs only. */
#define IOCTL_GET_FEATURE_REQUEST SCARD_CTL_CODE(3400)
#define FEATURE_VERIFY_PIN_DIRECT 0x06
#define FEATURE_MODIFY_PIN_DIRECT 0x07

static DWORD feature_code(uint8_t tag)
{
	uint8_t buf[256];
	DWORD n = 0;

	if (SCardControl(card, IOCTL_GET_FEATURE_REQUEST, NULL, 0, buf, sizeof(buf), &n) != SCARD_S_SUCCESS)
		return 0;
	for (DWORD i = 0; i + 6 <= n; i += 6)
		if (buf[i] == tag && buf[i + 1] == 4)
			return (DWORD)buf[i + 2] << 24 | (DWORD)buf[i + 3] << 16 | (DWORD)buf[i + 4] << 8 | buf[i + 5];
	return 0;
}

static bool set_keys(const char *keys)
{
	FILE *f = fopen("/run/ccid-keys.tmp", "w");

	if (!f)
		return false;
	fprintf(f, "%s\n", keys);
	/* renamed into place whole: the gadget never reads half a script */
	if (fclose(f) != 0 || rename("/run/ccid-keys.tmp", "/run/ccid-keys") != 0)
		return false;
	/* the gadget picks it up within 100 ms */
	for (int i = 0; i < 30; i++) {
		struct timespec ts = { 0, 50000000L };
		nanosleep(&ts, NULL);
		if (access("/run/ccid-keys", F_OK) != 0)
			return true;
	}
	return false;
}

/* SCardControl with a PIN structure; the SW of the card's answer, or -1. */
static long pin_op(const char *name, DWORD code, const uint8_t *s, size_t len, const char *keys)
{
	DWORD n = 0;

	if (!set_keys(keys)) {
		bad("%s: the keypad script was not taken", name);
		return -1;
	}
	LONG rv = SCardControl(card, code, s, (DWORD)len, rbuf, RBUF_CAP, &n);
	if (rv != SCARD_S_SUCCESS || n < 2) {
		bad("%s: SCardControl: %s", name, pcsc_stringify_error(rv));
		return -1;
	}
	return (long)rbuf[n - 2] << 8 | rbuf[n - 1];
}

static int cmd_pinpad(const char *want)
{
	/* CPS3: ASCII PIN, 4-8 digits, no padding: 00 20 00 01 08 + placeholders */
	static const uint8_t vapdu[] = { 0x00, 0x20, 0x00, 0x01, 0x08, 0xFF, 0xFF, 0xFF, 0xFF,
					 0xFF, 0xFF, 0xFF, 0xFF };
	static const uint8_t mapdu[] = { 0x00, 0x24, 0x00, 0x01, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
					 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
	uint8_t v[19 + sizeof(vapdu)], m[24 + sizeof(mapdu)];
	char reader[512];

	if (!pick_reader(want, reader, sizeof(reader)))
		return 1;
	LONG rv = SCardConnect(ctx, reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
			       &card, &proto);
	if (rv != SCARD_S_SUCCESS) {
		bad("pinpad: connect: %s", pcsc_stringify_error(rv));
		return 1;
	}
	DWORD verify = feature_code(FEATURE_VERIFY_PIN_DIRECT);
	DWORD modify = feature_code(FEATURE_MODIFY_PIN_DIRECT);
	if (verify && modify)
		ok("pinpad: the reader offers FEATURE_VERIFY_PIN_DIRECT and FEATURE_MODIFY_PIN_DIRECT");
	else {
		bad("pinpad: features missing (verify %08lX, modify %08lX)", (unsigned long)verify,
		    (unsigned long)modify);
		SCardDisconnect(card, SCARD_LEAVE_CARD);
		return 1;
	}
	memset(v, 0, sizeof(v));
	v[0] = 30;		/* bTimerOut */
	v[2] = 0x82;		/* bytes, ASCII */
	v[5] = 0x08;		/* wPINMaxExtraDigit: max 8, min 4 */
	v[6] = 0x04;
	v[7] = 0x02;		/* validation key */
	v[8] = 0x01;
	v[15] = sizeof(vapdu);
	memcpy(v + 19, vapdu, sizeof(vapdu));
	memset(m, 0, sizeof(m));
	m[0] = 30;
	m[2] = 0x82;
	m[6] = 8;		/* new PIN at offset 8 */
	m[7] = 0x08;
	m[8] = 0x04;
	m[9] = 0x03;		/* current PIN asked, new one confirmed */
	m[10] = 0x02;
	m[11] = 0x03;
	m[20] = sizeof(mapdu);
	memcpy(m + 24, mapdu, sizeof(mapdu));

	long sw = pin_op("pinpad verify, wrong PIN", verify, v, sizeof(v), "9999E");
	if (sw >= 0)
		(sw == 0x63C2) ? ok("pinpad verify: a wrong PIN typed -> 63C2") :
			bad("pinpad verify, wrong PIN: SW %04lX", sw);
	sw = pin_op("pinpad verify", verify, v, sizeof(v), "12B234E");
	if (sw >= 0)
		(sw == 0x9000) ? ok("pinpad verify: the right PIN (with a backspace) -> 9000") :
			bad("pinpad verify: SW %04lX", sw);
	sw = pin_op("pinpad modify", modify, m, sizeof(m), "1234E567890E567890E");
	if (sw >= 0)
		(sw == 0x9000) ? ok("pinpad modify: 1234 -> 567890 -> 9000") :
			bad("pinpad modify: SW %04lX", sw);
	sw = pin_op("pinpad verify new PIN", verify, v, sizeof(v), "567890E");
	if (sw >= 0)
		(sw == 0x9000) ? ok("pinpad verify: the new PIN -> 9000") :
			bad("pinpad verify new PIN: SW %04lX", sw);
	sw = pin_op("pinpad cancel", verify, v, sizeof(v), "12C");
	if (sw >= 0)
		(sw == 0x6401) ? ok("pinpad verify: cancel -> 6401") : bad("pinpad cancel: SW %04lX", sw);
	SCardDisconnect(card, SCARD_RESET_CARD);
	return fail ? 1 : 0;
}

/* Waits until the reader's state has (present) or lacks (!present) a card. */
static bool wait_state(const char *reader, bool present, long timeout_ms)
{
	SCARD_READERSTATE rs = { .szReader = reader, .dwCurrentState = SCARD_STATE_UNAWARE };
	double end = now_s() + timeout_ms / 1000.0;

	for (;;) {
		LONG rv = SCardGetStatusChange(ctx, 500, &rs, 1);
		if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT) {
			bad("GetStatusChange: %s", pcsc_stringify_error(rv));
			return false;
		}
		rs.dwCurrentState = rs.dwEventState & ~SCARD_STATE_CHANGED;
		bool has = rs.dwEventState & SCARD_STATE_PRESENT;
		if (has == present)
			return true;
		if (now_s() > end)
			return false;
	}
}

static int cmd_events(const char *want)
{
	char reader[512];
	double t0;

	if (!pick_reader(want, reader, sizeof(reader)))
		return 1;
	if (!wait_state(reader, true, 10000)) {
		bad("events: no card in %s", reader);
		return 1;
	}
	printf("GC wait remove\n");
	fflush(stdout);
	t0 = now_s();
	if (wait_state(reader, false, 30000))
		ok("card removal seen (%.2f s after asking)", now_s() - t0);
	else
		bad("card removal not seen within 30 s");
	printf("GC wait insert\n");
	fflush(stdout);
	t0 = now_s();
	if (wait_state(reader, true, 30000))
		ok("card insertion seen (%.2f s after asking)", now_s() - t0);
	else
		bad("card insertion not seen within 30 s");
	return fail ? 1 : 0;
}

int main(int argc, char **argv)
{
	int rc = 2;

	setvbuf(stdout, NULL, _IOLBF, 0);
	skip_zlp = getenv("GC_SKIP_ZLP") != NULL;
	cbuf = malloc(CBUF_CAP);
	rbuf = malloc(RBUF_CAP);
	if (!cbuf || !rbuf)
		return 1;
	LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
	if (rv != SCARD_S_SUCCESS) {
		bad("establish context: %s", pcsc_stringify_error(rv));
		rc = 1;
	} else if (argc == 2 && !strcmp(argv[1], "list")) {
		rc = cmd_list();
	} else if (argc == 4 && !strcmp(argv[1], "readertest")) {
		rc = cmd_readertest(argv[2], !strcmp(argv[3], "full"));
	} else if (argc == 3 && !strcmp(argv[1], "find")) {
		char r[512];
		rc = pick_reader(argv[2], r, sizeof(r)) ? (puts(r), 0) : 1;
		if (rc == 0) {
			SCardReleaseContext(ctx);
			free(cbuf);
			free(rbuf);
			return 0;	/* the name alone, for scripts */
		}
	} else if (argc == 3 && !strcmp(argv[1], "events")) {
		rc = cmd_events(argv[2]);
	} else if (argc == 4 && !strcmp(argv[1], "unplug")) {
		rc = cmd_unplug(argv[2], argv[3]);
	} else if (argc == 3 && !strcmp(argv[1], "pinpad")) {
		rc = cmd_pinpad(argv[2]);
	} else if (argc == 3 && !strcmp(argv[1], "zlp")) {
		rc = cmd_zlp(argv[2]);
	} else {
		fprintf(stderr, "usage: guest_client list | find READER | readertest READER quick|full |"
				" events READER | zlp READER | unplug READER CMD | pinpad READER\n");
	}
	if (rc != 2)
		printf("GC summary pass=%u fail=%u\n", pass, fail);
	if (ctx)
		SCardReleaseContext(ctx);
	free(cbuf);
	free(rbuf);
	return rc;
}
