/* check_tlv.c - unit tests for the BER-TLV and COMPACT-TLV code (src/lib/tlv.c). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "santecard.h"
#include "check_util.h"

/* EF.DIR FCP of a CPS3 (reference/cards.md). */
static const char FCP[] =
	"62 25 80 02 00 65 82 01 01 83 02 2F 00 88 01 F0 A1 12 8C 07 7B 45 FF FF FF 45 00"
	" 9C 07 7B FF FF FF FF FF 00 8A 01 05";

/* ------------------------------------------------------------------ parse */

START_TEST(test_fcp_top_level)
{
	uint8_t b[64];
	size_t n = hex(FCP, b, sizeof(b)), len = n;
	const uint8_t *p = b;
	stc_tlv t;

	ck_assert_int_eq(stc_tlv_next(&p, &len, &t), STC_OK);
	ck_assert_uint_eq(t.tag, 0x62);
	ck_assert_int_eq(t.constructed, 1);
	ck_assert_uint_eq(t.len, 0x25);
	ck_assert_ptr_eq(t.value, b + 2);
	ck_assert_ptr_eq(t.raw, b);
	ck_assert_uint_eq(t.raw_len, n);
	ck_assert_uint_eq(len, 0);
	ck_assert_ptr_eq(p, b + n);
	ck_assert_int_eq(stc_tlv_next(&p, &len, &t), STC_ERR_NOT_FOUND);
	ck_assert_int_eq(stc_tlv_validate(b, n), STC_OK);
}
END_TEST

START_TEST(test_fcp_iterate_children)
{
	static const uint32_t tags[] = { 0x80, 0x82, 0x83, 0x88, 0xA1, 0x8A };
	static const size_t lens[] = { 2, 1, 2, 1, 0x12, 1 };
	uint8_t b[64];
	size_t n = hex(FCP, b, sizeof(b)), len, i;
	const uint8_t *p;
	stc_tlv top, t;

	ck_assert_int_eq(stc_tlv_find(b, n, 0x62, &top), STC_OK);
	p = top.value;
	len = top.len;
	for (i = 0; i < 6; i++) {
		ck_assert_int_eq(stc_tlv_next(&p, &len, &t), STC_OK);
		ck_assert_uint_eq(t.tag, tags[i]);
		ck_assert_uint_eq(t.len, lens[i]);
		ck_assert_int_eq(t.constructed, tags[i] == 0xA1);
	}
	ck_assert_int_eq(stc_tlv_next(&p, &len, &t), STC_ERR_NOT_FOUND);
}
END_TEST

START_TEST(test_fcp_find_path)
{
	static const uint32_t sfi_path[] = { 0x62, 0x88 };
	static const uint32_t sc_path[] = { 0x62, 0xA1, 0x8C };
	static const uint32_t missing[] = { 0x62, 0xA1, 0x8D };
	static const uint32_t through_primitive[] = { 0x62, 0x83, 0x2F };
	uint8_t b[64], want[8];
	size_t n = hex(FCP, b, sizeof(b));
	stc_tlv t;

	ck_assert_int_eq(stc_tlv_find_path(b, n, sfi_path, 2, &t), STC_OK);
	ck_assert_uint_eq(t.len, 1);
	ck_assert_uint_eq(t.value[0], 0xF0);
	ck_assert_int_eq(stc_tlv_find_path(b, n, sc_path, 3, &t), STC_OK);
	ck_assert_uint_eq(t.len, hex("7B 45 FF FF FF 45 00", want, sizeof(want)));
	ck_assert_mem_eq(t.value, want, t.len);
	ck_assert_int_eq(stc_tlv_find_path(b, n, missing, 3, &t), STC_ERR_NOT_FOUND);
	ck_assert_int_eq(stc_tlv_find_path(b, n, through_primitive, 3, &t),
			 STC_ERR_NOT_FOUND);
	ck_assert_int_eq(stc_tlv_find_path(b, n, sc_path, 0, &t), STC_ERR_INVALID_ARGS);
	ck_assert_int_eq(stc_tlv_find_path(b, n, sc_path, STC_TLV_MAX_DEPTH + 1, &t),
			 STC_ERR_INVALID_ARGS);
	ck_assert_int_eq(stc_tlv_find_path(b, n, NULL, 1, &t), STC_ERR_INVALID_ARGS);
}
END_TEST

START_TEST(test_find_top_level_only)
{
	uint8_t b[64];
	size_t n = hex(FCP, b, sizeof(b));
	stc_tlv t;

	/* 83 exists, but inside 62: find does not descend. */
	ck_assert_int_eq(stc_tlv_find(b, n, 0x83, &t), STC_ERR_NOT_FOUND);
	/* A malformed object before the tag is reported, not skipped. */
	n = hex("80 05 01 83 01 00", b, sizeof(b));
	ck_assert_int_eq(stc_tlv_find(b, n, 0x83, &t), STC_ERR_INVALID_DATA);
	n = hex("80 01 01 83 01 07", b, sizeof(b));
	ck_assert_int_eq(stc_tlv_find(b, n, 0x83, &t), STC_OK);
	ck_assert_uint_eq(t.value[0], 0x07);
}
END_TEST

START_TEST(test_multibyte_tags)
{
	uint8_t b[32];
	size_t n, len;
	const uint8_t *p = b;
	stc_tlv t;

	n = len = hex("5F 20 02 41 42 9F 7F 01 00 5F 81 01 00 7F 81 82 03 00", b, sizeof(b));
	ck_assert_int_eq(stc_tlv_next(&p, &len, &t), STC_OK);
	ck_assert_uint_eq(t.tag, 0x5F20);
	ck_assert_int_eq(t.constructed, 0);
	ck_assert_uint_eq(t.len, 2);
	ck_assert_int_eq(stc_tlv_next(&p, &len, &t), STC_OK);
	ck_assert_uint_eq(t.tag, 0x9F7F);
	ck_assert_int_eq(stc_tlv_next(&p, &len, &t), STC_OK);
	ck_assert_uint_eq(t.tag, 0x5F8101);
	ck_assert_int_eq(stc_tlv_next(&p, &len, &t), STC_OK);
	ck_assert_uint_eq(t.tag, 0x7F818203);
	ck_assert_int_eq(t.constructed, 1);
	ck_assert_uint_eq(t.len, 0);
	ck_assert_int_eq(stc_tlv_next(&p, &len, &t), STC_ERR_NOT_FOUND);
	ck_assert_int_eq(stc_tlv_validate(b, n), STC_OK);
}
END_TEST

START_TEST(test_tag_too_long)
{
	uint8_t b[16];
	size_t n, len;
	const uint8_t *p = b;
	stc_tlv t;

	n = len = hex("7F 81 82 83 04 00", b, sizeof(b));
	ck_assert_int_eq(stc_tlv_next(&p, &len, &t), STC_ERR_INVALID_DATA);
	ck_assert_ptr_eq(p, b);       /* not advanced on error */
	ck_assert_uint_eq(len, n);
	ck_assert_int_eq(stc_tlv_validate(b, n), STC_ERR_INVALID_DATA);
}
END_TEST

START_TEST(test_long_form_lengths)
{
	static uint8_t b[300];
	const uint8_t *p;
	size_t len;
	stc_tlv t;

	/* 81 80: 128 bytes */
	memset(b, 0xAA, sizeof(b));
	b[0] = 0x04; b[1] = 0x81; b[2] = 0x80;
	p = b; len = 3 + 128;
	ck_assert_int_eq(stc_tlv_next(&p, &len, &t), STC_OK);
	ck_assert_uint_eq(t.len, 128);
	ck_assert_ptr_eq(t.value, b + 3);
	ck_assert_uint_eq(len, 0);
	/* 82 01 00: 256 bytes */
	b[1] = 0x82; b[2] = 0x01; b[3] = 0x00;
	p = b; len = 4 + 256;
	ck_assert_int_eq(stc_tlv_next(&p, &len, &t), STC_OK);
	ck_assert_uint_eq(t.len, 256);
	ck_assert_uint_eq(t.raw_len, 260);
	/* 83 00 01 02 and 84 00 00 01 03: non-minimal but definite */
	b[1] = 0x83; b[2] = 0x00; b[3] = 0x01; b[4] = 0x02;
	p = b; len = 5 + 258;
	ck_assert_int_eq(stc_tlv_next(&p, &len, &t), STC_OK);
	ck_assert_uint_eq(t.len, 258);
	b[1] = 0x84; b[2] = 0x00; b[3] = 0x00; b[4] = 0x01; b[5] = 0x03;
	p = b; len = 6 + 259;
	ck_assert_int_eq(stc_tlv_next(&p, &len, &t), STC_OK);
	ck_assert_uint_eq(t.len, 259);
	ck_assert_ptr_eq(t.value, b + 6);
	/* 81 05: non-minimal short length in long form, accepted */
	b[1] = 0x81; b[2] = 0x05;
	p = b; len = 3 + 5;
	ck_assert_int_eq(stc_tlv_next(&p, &len, &t), STC_OK);
	ck_assert_uint_eq(t.len, 5);
}
END_TEST

START_TEST(test_bad_length_forms)
{
	static const char *const bad[] = {
		"04 80 01 02 00 00",                  /* indefinite length */
		"04 85 00 00 00 00 01 AA",            /* 5-byte length field */
		"04 86 00 00 00 00 00 01 AA",
		"04 FF 01",
		"04 84 FF FF FF FF 01 02 03",          /* 4 GiB announced, 3 bytes there */
		"04 84 7F FF FF FF 00",
		"04 84 00 00 00 02 01",                /* one byte short */
		"04 82 01",                            /* length field truncated */
		"04 81",
		"04",                                  /* no length at all */
		"04 02 41",                            /* value past the end */
		"5F",                                  /* tag truncated */
		"5F 81",
		"A0 05 80 01",
	};
	uint8_t b[32];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = hex(bad[i], b, sizeof(b)), len = n;
		const uint8_t *p = b;
		stc_tlv t;

		ck_assert_msg(stc_tlv_next(&p, &len, &t) == STC_ERR_INVALID_DATA, "%s", bad[i]);
		ck_assert_ptr_eq(p, b);
		ck_assert_uint_eq(len, n);
		ck_assert_msg(stc_tlv_validate(b, n) == STC_ERR_INVALID_DATA, "%s", bad[i]);
	}
}
END_TEST

/* A reader that trusts the length would run past the buffer: copy into an exact-size
 * heap block so ASan catches any read beyond it. */
START_TEST(test_every_truncation_is_invalid)
{
	uint8_t b[64];
	size_t n = hex(FCP, b, sizeof(b)), k;

	for (k = 1; k < n; k++) {
		uint8_t *copy = malloc(k);
		const uint8_t *p = copy;
		size_t len = k;
		stc_tlv t;

		ck_assert_ptr_nonnull(copy);
		memcpy(copy, b, k);
		ck_assert_int_eq(stc_tlv_next(&p, &len, &t), STC_ERR_INVALID_DATA);
		ck_assert_int_eq(stc_tlv_validate(copy, k), STC_ERR_INVALID_DATA);
		free(copy);
	}
}
END_TEST

START_TEST(test_nested_inner_malformed)
{
	uint8_t b[16];
	size_t n = hex("62 03 80 05 00", b, sizeof(b));
	static const uint32_t path[] = { 0x62, 0x80 };
	stc_tlv t;

	/* The outer object is fine, its content is not. */
	ck_assert_int_eq(stc_tlv_find(b, n, 0x62, &t), STC_OK);
	ck_assert_int_eq(stc_tlv_validate(b, n), STC_ERR_INVALID_DATA);
	ck_assert_int_eq(stc_tlv_find_path(b, n, path, 2, &t), STC_ERR_INVALID_DATA);
}
END_TEST

START_TEST(test_padding_skipped)
{
	uint8_t b[16];
	size_t n, len;
	const uint8_t *p = b;
	stc_tlv t;

	n = len = hex("00 FF 00 80 01 AA FF FF 00 81 00 FF", b, sizeof(b));
	ck_assert_int_eq(stc_tlv_next(&p, &len, &t), STC_OK);
	ck_assert_uint_eq(t.tag, 0x80);
	ck_assert_ptr_eq(t.raw, b + 3);
	ck_assert_uint_eq(t.value[0], 0xAA);
	ck_assert_int_eq(stc_tlv_next(&p, &len, &t), STC_OK);
	ck_assert_uint_eq(t.tag, 0x81);
	ck_assert_uint_eq(t.len, 0);
	ck_assert_int_eq(stc_tlv_next(&p, &len, &t), STC_ERR_NOT_FOUND);
	ck_assert_uint_eq(len, 0);
	ck_assert_ptr_eq(p, b + n);
	ck_assert_int_eq(stc_tlv_validate(b, n), STC_OK);
}
END_TEST

START_TEST(test_ff_runs)
{
	uint8_t b[300];
	size_t len;
	const uint8_t *p;
	stc_tlv t;

	/* A long FF run (erased EEPROM) is padding, whatever its length. */
	memset(b, 0xFF, sizeof(b));
	p = b; len = sizeof(b);
	ck_assert_int_eq(stc_tlv_next(&p, &len, &t), STC_ERR_NOT_FOUND);
	ck_assert_int_eq(stc_tlv_validate(b, sizeof(b)), STC_OK);
	ck_assert_int_eq(stc_tlv_find(b, sizeof(b), 0xFF, &t), STC_ERR_NOT_FOUND);
	/* ... and a tag after the run is found. */
	b[sizeof(b) - 2] = 0x8A;
	b[sizeof(b) - 1] = 0x00;
	ck_assert_int_eq(stc_tlv_find(b, sizeof(b), 0x8A, &t), STC_OK);
	ck_assert_ptr_eq(t.raw, b + sizeof(b) - 2);
	/* A run that ends on a tag that starts but does not finish. */
	b[sizeof(b) - 2] = 0xFF;
	b[sizeof(b) - 1] = 0x5F;
	p = b; len = sizeof(b);
	ck_assert_int_eq(stc_tlv_next(&p, &len, &t), STC_ERR_INVALID_DATA);
	/* FF continuation bytes inside a multi-byte tag are tag bytes: 4 is the limit. */
	len = hex("9F FF FF 01 00", b, sizeof(b));
	p = b;
	ck_assert_int_eq(stc_tlv_next(&p, &len, &t), STC_OK);
	ck_assert_uint_eq(t.tag, 0x9FFFFF01u);
	len = hex("5F FF FF FF FF FF 01 00", b, sizeof(b));
	p = b;
	ck_assert_int_eq(stc_tlv_next(&p, &len, &t), STC_ERR_INVALID_DATA);
}
END_TEST

START_TEST(test_empty_input)
{
	const uint8_t *p = NULL;
	size_t len = 0;
	stc_tlv t;
	stc_ctlv c;
	static const uint32_t path[] = { 0x62 };

	ck_assert_int_eq(stc_tlv_next(&p, &len, &t), STC_ERR_NOT_FOUND);
	ck_assert_int_eq(stc_tlv_validate(NULL, 0), STC_OK);
	ck_assert_int_eq(stc_tlv_find(NULL, 0, 0x62, &t), STC_ERR_NOT_FOUND);
	ck_assert_int_eq(stc_tlv_find_path(NULL, 0, path, 1, &t), STC_ERR_NOT_FOUND);
	ck_assert_int_eq(stc_ctlv_next(&p, &len, &c), STC_ERR_NOT_FOUND);
}
END_TEST

START_TEST(test_invalid_args)
{
	uint8_t b[2] = { 0x80, 0x00 };
	const uint8_t *p = b, *nullp = NULL;
	size_t len = 2;
	stc_tlv t;
	stc_ctlv c;

	ck_assert_int_eq(stc_tlv_next(NULL, &len, &t), STC_ERR_INVALID_ARGS);
	ck_assert_int_eq(stc_tlv_next(&p, NULL, &t), STC_ERR_INVALID_ARGS);
	ck_assert_int_eq(stc_tlv_next(&p, &len, NULL), STC_ERR_INVALID_ARGS);
	ck_assert_int_eq(stc_tlv_next(&nullp, &len, &t), STC_ERR_INVALID_ARGS);
	ck_assert_int_eq(stc_tlv_validate(NULL, 3), STC_ERR_INVALID_ARGS);
	ck_assert_int_eq(stc_tlv_find(b, 2, 0x80, NULL), STC_ERR_INVALID_ARGS);
	ck_assert_int_eq(stc_ctlv_next(&nullp, &len, &c), STC_ERR_INVALID_ARGS);
	ck_assert_int_eq(stc_buf_status(NULL), STC_ERR_INVALID_ARGS);
}
END_TEST

/* n nested A0 templates written by hand ("A0 xx" bombs), around an empty 80
 * when leaf is set, else the innermost template is empty. */
static size_t nest(uint8_t *b, size_t cap, unsigned n, int leaf)
{
	size_t i, total = 2 * (size_t)n + (leaf ? 2 : 0);

	ck_assert_uint_le(total, cap);
	for (i = 0; i < n; i++) {
		b[2 * i] = 0xA0;
		b[2 * i + 1] = (uint8_t)(total - 2 * i - 2);
	}
	if (leaf) {
		b[2 * n] = 0x80;
		b[2 * n + 1] = 0x00;
	}
	return total;
}

START_TEST(test_depth_limit)
{
	uint8_t b[64];
	size_t n;

	/* 15 templates + the leaf = 16 levels: the deepest allowed. */
	n = nest(b, sizeof(b), STC_TLV_MAX_DEPTH - 1, 1);
	ck_assert_int_eq(stc_tlv_validate(b, n), STC_OK);
	n = nest(b, sizeof(b), STC_TLV_MAX_DEPTH, 1);
	ck_assert_int_eq(stc_tlv_validate(b, n), STC_ERR_INVALID_DATA);
	/* 16 nested templates, the last one empty: 16 levels, fine; 17 is not. */
	n = nest(b, sizeof(b), STC_TLV_MAX_DEPTH, 0);
	ck_assert_int_eq(stc_tlv_validate(b, n), STC_OK);
	n = nest(b, sizeof(b), STC_TLV_MAX_DEPTH + 1, 0);
	ck_assert_int_eq(stc_tlv_validate(b, n), STC_ERR_INVALID_DATA);
	n = nest(b, sizeof(b), 20, 1);
	ck_assert_int_eq(stc_tlv_validate(b, n), STC_ERR_INVALID_DATA);
	/* Padding inside the deepest template adds no level. */
	n = nest(b, sizeof(b), STC_TLV_MAX_DEPTH, 1);
	b[n - 2] = 0xFF;
	ck_assert_int_eq(stc_tlv_validate(b, n), STC_OK);
}
END_TEST

START_TEST(test_depth_bomb_built)
{
	static uint8_t data[4096];
	uint32_t path[STC_TLV_MAX_DEPTH];
	size_t marks[20], i;
	stc_buf b;
	stc_tlv t;

	stc_buf_init(&b, data, sizeof(data));
	for (i = 0; i < 20; i++)
		marks[i] = stc_tlv_begin(&b, 0xA0);
	stc_tlv_put(&b, 0x80, (const uint8_t *)"x", 1);
	for (i = 20; i-- > 0;)
		stc_tlv_end(&b, marks[i]);
	ck_assert_int_eq(stc_buf_status(&b), STC_OK);
	ck_assert_int_eq(stc_tlv_validate(data, b.len), STC_ERR_INVALID_DATA);
	/* Lookup still works within the allowed depth. */
	for (i = 0; i < STC_TLV_MAX_DEPTH; i++)
		path[i] = 0xA0;
	ck_assert_int_eq(stc_tlv_find_path(data, b.len, path, STC_TLV_MAX_DEPTH, &t), STC_OK);
	ck_assert_uint_eq(t.tag, 0xA0);
	ck_assert_uint_eq(t.len, 2 * (20 - STC_TLV_MAX_DEPTH) + 3);
}
END_TEST

/* ---------------------------------------------------------------- builder */

START_TEST(test_put_and_lengths)
{
	static uint8_t data[70000], value[65536];
	static const struct {
		size_t len;
		const char *hdr;
	} cases[] = {
		{ 0, "80 00" }, { 127, "80 7F" }, { 128, "80 81 80" }, { 255, "80 81 FF" },
		{ 256, "80 82 01 00" }, { 65535, "80 82 FF FF" }, { 65536, "80 83 01 00 00" },
	};
	size_t i;

	memset(value, 0x5A, sizeof(value));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t hdr[8];
		size_t hn = hex(cases[i].hdr, hdr, sizeof(hdr));
		stc_buf b;
		stc_tlv t;

		stc_buf_init(&b, data, sizeof(data));
		stc_tlv_put(&b, 0x80, value, cases[i].len);
		ck_assert_int_eq(stc_buf_status(&b), STC_OK);
		ck_assert_uint_eq(b.len, hn + cases[i].len);
		ck_assert_mem_eq(data, hdr, hn);
		ck_assert_int_eq(stc_tlv_find(data, b.len, 0x80, &t), STC_OK);
		ck_assert_uint_eq(t.len, cases[i].len);
	}
}
END_TEST

START_TEST(test_put_tags)
{
	uint8_t data[32], want[32];
	stc_buf b;

	stc_buf_init(&b, data, sizeof(data));
	stc_tlv_put(&b, 0x5F20, (const uint8_t *)"AB", 2);
	stc_tlv_put(&b, 0x9F7F, NULL, 0);
	stc_tlv_put(&b, 0x7F818203, NULL, 0);
	ck_assert_int_eq(stc_buf_status(&b), STC_OK);
	ck_assert_uint_eq(b.len, hex("5F 20 02 41 42 9F 7F 00 7F 81 82 03 00", want, sizeof(want)));
	ck_assert_mem_eq(data, want, b.len);
}
END_TEST

START_TEST(test_put_bad_tags)
{
	/* Tags the parser could not read back: padding bytes first, a multi-byte
	 * marker without continuation, a bad continuation bit. */
	static const uint32_t bad[] = {
		0x00, 0xFF, 0x1F, 0x5F, 0x9F80, 0x5F0181, 0xFF20, 0x801F, 0x7F818283u,
	};
	uint8_t data[16];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		stc_buf b;

		stc_buf_init(&b, data, sizeof(data));
		stc_tlv_put(&b, bad[i], NULL, 0);
		ck_assert_msg(stc_buf_status(&b) == STC_ERR_INVALID_ARGS, "tag %x", bad[i]);
		ck_assert_uint_eq(b.len, 0);
		stc_buf_init(&b, data, sizeof(data));
		(void)stc_tlv_begin(&b, bad[i]);
		ck_assert_int_eq(stc_buf_status(&b), STC_ERR_INVALID_ARGS);
	}
}
END_TEST

/* The Vitale 2 beneficiary template: 65 {80 nom, 81 prénom, 82 date, 93 NIR}. */
START_TEST(test_vitale_template)
{
	static const uint32_t path[] = { 0x65, 0x93 };
	uint8_t data[64], want[64];
	size_t mark, n;
	stc_buf b;
	stc_tlv t;

	stc_buf_init(&b, data, sizeof(data));
	mark = stc_tlv_begin(&b, 0x65);
	stc_tlv_put(&b, 0x80, (const uint8_t *)"DUPONT", 6);
	stc_tlv_put(&b, 0x81, (const uint8_t *)"JEAN", 4);
	stc_tlv_put(&b, 0x82, (const uint8_t *)"19800115", 8);
	stc_tlv_put(&b, 0x93, (const uint8_t *)"1800175123456", 13);
	stc_tlv_end(&b, mark);
	ck_assert_int_eq(stc_buf_status(&b), STC_OK);
	n = hex("65 27 80 06 44 55 50 4F 4E 54 81 04 4A 45 41 4E"
		" 82 08 31 39 38 30 30 31 31 35"
		" 93 0D 31 38 30 30 31 37 35 31 32 33 34 35 36", want, sizeof(want));
	ck_assert_uint_eq(b.len, n);
	ck_assert_mem_eq(data, want, n);
	ck_assert_int_eq(stc_tlv_find_path(data, b.len, path, 2, &t), STC_OK);
	ck_assert_uint_eq(t.len, 13);
	ck_assert_mem_eq(t.value, "1800175123456", 13);
}
END_TEST

START_TEST(test_end_shifts_long_values)
{
	static uint8_t data[1024], value[300];
	static const uint32_t path[] = { 0x7F49, 0xA1, 0x86 };
	size_t outer, inner;
	stc_buf b;
	stc_tlv t;

	memset(value, 0x33, sizeof(value));
	stc_buf_init(&b, data, sizeof(data));
	outer = stc_tlv_begin(&b, 0x7F49);
	stc_tlv_put(&b, 0x80, value, 100);
	inner = stc_tlv_begin(&b, 0xA1);
	stc_tlv_put(&b, 0x86, value, 200);
	stc_tlv_end(&b, inner);
	stc_tlv_end(&b, outer);
	ck_assert_int_eq(stc_buf_status(&b), STC_OK);
	/* A1 81 CB { 86 81 C8 ... }: 3 + 203 = 206; outer value 102 + 206 = 308 */
	ck_assert_uint_eq(b.len, 2 + 3 + 308);
	ck_assert_uint_eq(data[0], 0x7F);
	ck_assert_uint_eq(data[1], 0x49);
	ck_assert_uint_eq(data[2], 0x82);
	ck_assert_uint_eq(data[3], 0x01);
	ck_assert_uint_eq(data[4], 0x34);
	ck_assert_int_eq(stc_tlv_validate(data, b.len), STC_OK);
	ck_assert_int_eq(stc_tlv_find_path(data, b.len, path, 3, &t), STC_OK);
	ck_assert_uint_eq(t.len, 200);
	ck_assert_mem_eq(t.value, value, 200);
	ck_assert_ptr_eq(t.raw + t.raw_len, data + b.len);
}
END_TEST

START_TEST(test_empty_constructed)
{
	uint8_t data[8];
	stc_buf b;

	stc_buf_init(&b, data, sizeof(data));
	stc_tlv_end(&b, stc_tlv_begin(&b, 0xA5));
	ck_assert_int_eq(stc_buf_status(&b), STC_OK);
	ck_assert_uint_eq(b.len, 2);
	ck_assert_uint_eq(data[0], 0xA5);
	ck_assert_uint_eq(data[1], 0x00);
}
END_TEST

START_TEST(test_put_overflow)
{
	uint8_t data[16];
	stc_buf b;

	memset(data, 0xEE, sizeof(data));
	stc_buf_init(&b, data, 8);   /* bytes 8..15 are a guard */
	stc_tlv_put(&b, 0x80, (const uint8_t *)"abc", 3);
	ck_assert_int_eq(stc_buf_status(&b), STC_OK);
	ck_assert_uint_eq(b.len, 5);
	stc_tlv_put(&b, 0x81, (const uint8_t *)"abc", 3);   /* needs 5, 3 left */
	ck_assert_int_eq(stc_buf_status(&b), STC_ERR_BUFFER_TOO_SMALL);
	ck_assert_int_ne(b.overflow, 0);
	ck_assert_uint_eq(b.len, 5);
	/* Later writes are ignored, even those that would fit. */
	stc_tlv_put(&b, 0x82, NULL, 0);
	ck_assert_uint_eq(b.len, 5);
	ck_assert_uint_eq(data[5], 0xEE);
	for (size_t i = 8; i < sizeof(data); i++)
		ck_assert_uint_eq(data[i], 0xEE);
}
END_TEST

START_TEST(test_huge_put_overflow)
{
	uint8_t data[8];
	stc_buf b;

	/* len near SIZE_MAX must not wrap the capacity check (value is never read). */
	stc_buf_init(&b, data, sizeof(data));
	stc_tlv_put(&b, 0x80, data, (size_t)0xFFFFFFF0u);
	ck_assert_int_eq(stc_buf_status(&b), STC_ERR_BUFFER_TOO_SMALL);
	ck_assert_uint_eq(b.len, 0);
	stc_buf_init(&b, NULL, 100);
	stc_tlv_put(&b, 0x80, NULL, 0);
	ck_assert_int_eq(stc_buf_status(&b), STC_ERR_BUFFER_TOO_SMALL);
}
END_TEST

START_TEST(test_end_overflow)
{
	static uint8_t data[200], value[130];
	size_t mark;
	stc_buf b;

	memset(data, 0xEE, sizeof(data));
	/* begin (2) + put 80 81 82 + 130 (133) = 135: fits in 135, the 81 does not. */
	stc_buf_init(&b, data, 135);
	mark = stc_tlv_begin(&b, 0xA0);
	stc_tlv_put(&b, 0x80, value, 130);
	ck_assert_int_eq(stc_buf_status(&b), STC_OK);
	ck_assert_uint_eq(b.len, 135);
	stc_tlv_end(&b, mark);
	ck_assert_int_eq(stc_buf_status(&b), STC_ERR_BUFFER_TOO_SMALL);
	ck_assert_uint_eq(data[135], 0xEE);
	/* One byte more is enough. */
	stc_buf_init(&b, data, 136);
	mark = stc_tlv_begin(&b, 0xA0);
	stc_tlv_put(&b, 0x80, value, 130);
	stc_tlv_end(&b, mark);
	ck_assert_int_eq(stc_buf_status(&b), STC_OK);
	ck_assert_uint_eq(b.len, 136);
	ck_assert_uint_eq(data[1], 0x81);
	ck_assert_uint_eq(data[2], 133);
	ck_assert_int_eq(stc_tlv_validate(data, b.len), STC_OK);
}
END_TEST

START_TEST(test_begin_overflow_and_bad_mark)
{
	uint8_t data[4];
	size_t mark;
	stc_buf b;

	stc_buf_init(&b, data, 1);
	mark = stc_tlv_begin(&b, 0x7F49);
	ck_assert_int_eq(stc_buf_status(&b), STC_ERR_BUFFER_TOO_SMALL);
	stc_tlv_end(&b, mark);   /* ignored */
	ck_assert_uint_eq(b.len, 0);
	ck_assert_int_eq(stc_buf_status(&b), STC_ERR_BUFFER_TOO_SMALL);
	stc_buf_init(&b, data, sizeof(data));
	stc_tlv_end(&b, 3);      /* nothing was begun */
	ck_assert_int_eq(stc_buf_status(&b), STC_ERR_INVALID_ARGS);
}
END_TEST

/* ------------------------------------------------------------ COMPACT-TLV */

START_TEST(test_ctlv_cps3_historical)
{
	/* CPS3 historical bytes 00 | 12 25 00 | 64 80 00 03 10 | 00 90 00: with category
	 * 00 the last three bytes are the status indicator, not COMPACT-TLV. */
	uint8_t b[16];
	size_t n = hex("12 25 00 64 80 00 03 10", b, sizeof(b)), len = n;
	const uint8_t *p = b;
	stc_ctlv c;

	ck_assert_int_eq(stc_ctlv_next(&p, &len, &c), STC_OK);
	ck_assert_uint_eq(c.tag, 1);
	ck_assert_uint_eq(c.len, 2);
	ck_assert_ptr_eq(c.value, b + 1);
	ck_assert_int_eq(stc_ctlv_next(&p, &len, &c), STC_OK);
	ck_assert_uint_eq(c.tag, 6);
	ck_assert_uint_eq(c.len, 4);
	ck_assert_uint_eq(c.value[3], 0x10);
	ck_assert_int_eq(stc_ctlv_next(&p, &len, &c), STC_ERR_NOT_FOUND);
	ck_assert_uint_eq(len, 0);
}
END_TEST

START_TEST(test_ctlv_truncated)
{
	uint8_t b[16];
	size_t n = hex("31 80 65 01 02", b, sizeof(b)), len = n;
	const uint8_t *p = b;
	stc_ctlv c;

	ck_assert_int_eq(stc_ctlv_next(&p, &len, &c), STC_OK);
	ck_assert_uint_eq(c.tag, 3);
	ck_assert_int_eq(stc_ctlv_next(&p, &len, &c), STC_ERR_INVALID_DATA);
	ck_assert_ptr_eq(p, b + 2);
	ck_assert_uint_eq(len, 3);
	len = hex("0F", b, sizeof(b));
	p = b;
	ck_assert_int_eq(stc_ctlv_next(&p, &len, &c), STC_ERR_INVALID_DATA);
	len = hex("00", b, sizeof(b));
	p = b;
	ck_assert_int_eq(stc_ctlv_next(&p, &len, &c), STC_OK);
	ck_assert_uint_eq(c.tag, 0);
	ck_assert_uint_eq(c.len, 0);
}
END_TEST

static Suite *tlv_suite(void)
{
	Suite *s = suite_create("tlv");
	TCase *parse = tcase_create("parse");
	TCase *hostile = tcase_create("hostile");
	TCase *build = tcase_create("build");
	TCase *ctlv = tcase_create("compact");

	tcase_add_test(parse, test_fcp_top_level);
	tcase_add_test(parse, test_fcp_iterate_children);
	tcase_add_test(parse, test_fcp_find_path);
	tcase_add_test(parse, test_find_top_level_only);
	tcase_add_test(parse, test_multibyte_tags);
	tcase_add_test(parse, test_long_form_lengths);
	tcase_add_test(parse, test_padding_skipped);
	tcase_add_test(hostile, test_tag_too_long);
	tcase_add_test(hostile, test_bad_length_forms);
	tcase_add_test(hostile, test_every_truncation_is_invalid);
	tcase_add_test(hostile, test_nested_inner_malformed);
	tcase_add_test(hostile, test_ff_runs);
	tcase_add_test(hostile, test_empty_input);
	tcase_add_test(hostile, test_invalid_args);
	tcase_add_test(hostile, test_depth_limit);
	tcase_add_test(hostile, test_depth_bomb_built);
	tcase_add_test(build, test_put_and_lengths);
	tcase_add_test(build, test_put_tags);
	tcase_add_test(build, test_put_bad_tags);
	tcase_add_test(build, test_vitale_template);
	tcase_add_test(build, test_end_shifts_long_values);
	tcase_add_test(build, test_empty_constructed);
	tcase_add_test(build, test_put_overflow);
	tcase_add_test(build, test_huge_put_overflow);
	tcase_add_test(build, test_end_overflow);
	tcase_add_test(build, test_begin_overflow_and_bad_mark);
	tcase_add_test(ctlv, test_ctlv_cps3_historical);
	tcase_add_test(ctlv, test_ctlv_truncated);
	suite_add_tcase(s, parse);
	suite_add_tcase(s, hostile);
	suite_add_tcase(s, build);
	suite_add_tcase(s, ctlv);
	return s;
}

int main(void)
{
	return run_suite(tlv_suite());
}
