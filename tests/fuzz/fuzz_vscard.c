/*
 * fuzz_vscard.c - libFuzzer target for what QEMU (or anyone on its chardev)
 * can send santecard-sim --vscard: the VSCard stream parser, and every APDU
 * payload as a T=1 block to the card side of T=1 (firmware/ccid/vscard*.c),
 * plus the ATR walker on the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ccid/vscard.h"
#include "ccid/vscard_t1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

/* A card answering P3 bytes (from its 5th byte) and 90 00; slow on INS 38. */
static size_t card(void *ctx, const uint8_t *c, size_t len, uint8_t *r, size_t cap, bool *slow)
{
	size_t n = len >= 5 ? c[4] : 0;

	(void)ctx;
	CHECK(len <= VSC_T1_MAX_APDU && cap >= VSC_T1_MAX_RAPDU);
	for (size_t i = 0; i < n; i++)
		r[i] = (uint8_t)i;
	r[n] = 0x90;
	r[n + 1] = 0x00;
	*slow = len >= 2 && c[1] == 0x38;
	return n + 2;
}

static void check_block(const struct vsc_t1 *t, const uint8_t *b, size_t n)
{
	CHECK(n >= 4 && n <= VSC_T1_BLOCK_MAX);
	CHECK(b[2] == n - 3 - (t->crc ? 2 : 1));
	if (!t->crc)
		CHECK(vsc_t1_lrc(b, n - 1) == b[n - 1]);
	CHECK(b[2] <= t->ifsd || (b[1] & 0x80));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vsc_atr_info atr;
	struct vsc_t1 t;
	uint8_t out[VSC_T1_BLOCK_MAX], t0[64];
	size_t off = 0;

	vsc_atr_parse(data, size < 40 ? size : 40, &atr);
	if (atr.valid) {
		CHECK(atr.hist + atr.hist_len <= data + size);
		CHECK(vsc_atr_to_t0(data, size < 40 ? size : 40, t0, sizeof(t0)) == 2 + atr.hist_len);
	}
	/* The first byte picks the EDC, so both get fuzzed. */
	atr.crc = size > 0 && (data[0] & 1);
	atr.ifsc = size > 1 && data[1] ? data[1] : 32;
	if (!vsc_t1_init(&t, &atr))
		return 0;
	while (off < size) {
		struct vsc_msg m;
		uint32_t v;
		long n = vsc_parse(data + off, size - off, VSC_MAX_PAYLOAD, &m);

		if (n <= 0)
			break;
		CHECK((size_t)n == VSC_HEADER_LEN + m.length && (size_t)n <= size - off);
		(void)vsc_type_name(m.type);
		(void)vsc_decode_init(&m, &v);
		(void)vsc_decode_error(&m, &v);
		if (m.type == VSC_APDU) {
			size_t r = vsc_t1_block(&t, m.payload, m.length, out, sizeof(out), card, NULL);
			check_block(&t, out, r);
		}
		off += (size_t)n;
	}
	vsc_t1_free(&t);
	return 0;
}
