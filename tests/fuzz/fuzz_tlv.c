/*
 * fuzz_tlv.c - libFuzzer target for the BER-TLV and COMPACT-TLV parsers.
 *
 * Beyond "does not crash", it checks invariants the callers rely on: every object
 * returned lies inside the input, validate agrees with iteration at the top
 * level, and what the builder writes from a parsed object parses back the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "santecard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

static void check_inside(const stc_tlv *t, const uint8_t *data, size_t size)
{
	CHECK(t->raw >= data && t->raw_len <= size && (size_t)(t->raw - data) <= size - t->raw_len);
	CHECK(t->value >= t->raw && t->value + t->len == t->raw + t->raw_len);
}

/* Re-encode one object and parse it back: same tag, same value. */
static void check_roundtrip(const stc_tlv *t)
{
	static uint8_t out[4096];
	const uint8_t *p = out;
	stc_buf b;
	stc_tlv back;
	size_t len;

	if (t->len > sizeof(out) - 9)
		return;
	stc_buf_init(&b, out, sizeof(out));
	stc_tlv_put(&b, t->tag, t->value, t->len);
	CHECK(stc_buf_status(&b) == STC_OK);
	len = b.len;
	CHECK(stc_tlv_next(&p, &len, &back) == STC_OK && len == 0);
	CHECK(back.tag == t->tag && back.len == t->len && back.constructed == t->constructed);
	CHECK(t->len == 0 || memcmp(back.value, t->value, t->len) == 0);
}

/* Look up every child path of a constructed object: tag of the parent, then each
 * child's tag; the result must be inside the input too. */
static void walk_paths(const stc_tlv *parent, const uint8_t *data, size_t size)
{
	const uint8_t *p = parent->value;
	size_t len = parent->len;
	uint32_t path[2] = { parent->tag, 0 };
	stc_tlv child, found;

	while (stc_tlv_next(&p, &len, &child) == STC_OK) {
		check_inside(&child, data, size);
		path[1] = child.tag;
		if (stc_tlv_find_path(data, size, path, 2, &found) == STC_OK)
			check_inside(&found, data, size);
	}
}

static void fuzz_ber(const uint8_t *data, size_t size)
{
	const uint8_t *p = data;
	size_t len = size;
	stc_rv valid = stc_tlv_validate(data, size), rv;
	stc_tlv t;

	while ((rv = stc_tlv_next(&p, &len, &t)) == STC_OK) {
		check_inside(&t, data, size);
		check_roundtrip(&t);
		if (t.constructed)
			walk_paths(&t, data, size);
	}
	CHECK(rv == STC_ERR_NOT_FOUND || rv == STC_ERR_INVALID_DATA);
	/* A malformed top level makes the whole buffer invalid. */
	CHECK(rv == STC_ERR_NOT_FOUND || valid == STC_ERR_INVALID_DATA);
}

static void fuzz_compact(const uint8_t *data, size_t size)
{
	const uint8_t *p = data;
	size_t len = size;
	stc_ctlv c;

	while (stc_ctlv_next(&p, &len, &c) == STC_OK)
		CHECK(c.value >= data && c.len <= size && (size_t)(c.value - data) <= size - c.len);
}

/* Wrap the input in nested templates with the builder and validate the result. */
static void fuzz_builder(const uint8_t *data, size_t size)
{
	static uint8_t out[8192];
	unsigned depth = size ? data[0] % (STC_TLV_MAX_DEPTH + 4) : 0, i;
	size_t marks[STC_TLV_MAX_DEPTH + 4];
	stc_buf b;

	stc_buf_init(&b, out, size % 2 ? sizeof(out) : size);   /* sometimes too small */
	for (i = 0; i < depth; i++)
		marks[i] = stc_tlv_begin(&b, 0xA0);
	stc_tlv_put(&b, 0x5F20, data, size);
	while (i-- > 0)
		stc_tlv_end(&b, marks[i]);
	CHECK(b.len <= b.cap);
	if (stc_buf_status(&b) == STC_OK)
		CHECK(stc_tlv_validate(out, b.len) ==
		      (depth + 1 > STC_TLV_MAX_DEPTH ? STC_ERR_INVALID_DATA : STC_OK));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_ber(data, size);
	fuzz_compact(data, size);
	fuzz_builder(data, size);
	return 0;
}
