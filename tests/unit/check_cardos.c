/* check_cardos.c - the card OS (firmware/card/cardos.h) on a small test tree. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "card/cardos.h"
#include "check_util.h"

static struct cos *os;
static uint8_t rbuf[600];
static size_t rlen;
static char state_path[64];
static const uint8_t aid1[] = { 0xA0, 0x00, 0x00, 0x00, 0x01, 0x02 };
static const uint8_t root[] = { 0x80, 0x25, 0x00, 0x00, 0x01, 0xFF, 0x01, 0x00 };

/* A chaining-capable test command: answers the total length (2 bytes), the
 * first and the last byte of its data. */
static uint16_t cmd_chain(struct cos *c, const struct cos_apdu *a, struct cos_resp *r)
{
	uint8_t out[4] = { (uint8_t)(a->lc >> 8), (uint8_t)a->lc, 0, 0 };

	(void)c;
	if (a->lc) {
		out[2] = a->data[0];
		out[3] = a->data[a->lc - 1];
	}
	cos_resp_put(r, out, sizeof(out));
	return COS_SW_OK;
}

static const struct cos_command cmds[] = {
	{ 0x00, 0xFF, 0xA4, 0, cos_cmd_select },
	{ 0x00, 0xFF, 0xB0, COS_F_DIRECT, cos_cmd_read_binary },
	{ 0x00, 0xFF, 0x20, 0, cos_cmd_verify },
	{ 0x00, 0xFF, 0x24, 0, cos_cmd_change },
	{ 0x00, 0xFF, 0x2C, 0, cos_cmd_reset_retry },
	{ 0x00, 0xFF, 0x22, 0, cos_cmd_mse },
	{ 0x00, 0xFF, 0x84, COS_F_DIRECT, cos_cmd_get_challenge },
	{ 0x00, 0xFF, 0x2A, COS_F_CHAIN, cmd_chain },
};

static struct cos *make(const char *path)
{
	struct cos *c = cos_new();
	struct cos_file *df, *f;
	uint8_t d[300];
	struct cos_chv *pin, *puk;

	ck_assert_ptr_nonnull(c);
	c->commands = cmds;
	c->n_commands = sizeof(cmds) / sizeof(cmds[0]);
	c->refuse_p2_00 = true;
	c->state_path = path;
	memcpy(c->mf->aid, root, sizeof(root));
	c->mf->aid_len = sizeof(root);
	c->mf->aid_no_fci = true;
	for (size_t i = 0; i < sizeof(d); i++)
		d[i] = (uint8_t)i;
	ck_assert_ptr_nonnull(cos_add_ef(c, NULL, 0x2F00, 0x1E, d, 10));
	df = cos_add_df(c, NULL, 0x0001, aid1, sizeof(aid1));
	ck_assert_ptr_nonnull(df);
	ck_assert_ptr_nonnull(cos_add_ef(c, df, 0x5031, 0, d, sizeof(d)));
	f = cos_add_ef(c, df, 0xD120, 0x01, d, 4);
	ck_assert_ptr_nonnull(f);
	f->read_ac[0] = COS_AC_CHV(1);
	pin = cos_add_chv(c, 0x01, (const uint8_t *)"1234", 4, 3);
	puk = cos_add_chv(c, 0x02, (const uint8_t *)"12345678", 8, 10);
	ck_assert_ptr_nonnull(pin);
	ck_assert_ptr_nonnull(puk);
	pin->min_len = 4, pin->max_len = 8, pin->unblock_ref = 0x02;
	puk->has_usage = true, puk->usage_max = 100, puk->usage_left = 100;
	return c;
}

static void setup(void)
{
	snprintf(state_path, sizeof(state_path), "/tmp/check_cardos.%ld.state", (long)getpid());
	unlink(state_path);
	os = make(NULL);
}

static void teardown(void)
{
	cos_free(os);
	os = NULL;
	unlink(state_path);
}

static unsigned send_on(struct cos *c, const char *h)
{
	uint8_t capdu[300];
	size_t n = hex(h, capdu, sizeof(capdu));

	rlen = cos_process(c, capdu, n, rbuf, sizeof(rbuf));
	ck_assert_uint_ge(rlen, 2);
	return (unsigned)rbuf[rlen - 2] << 8 | rbuf[rlen - 1];
}

static unsigned send(const char *h)
{
	return send_on(os, h);
}

/* Data of the last answer equals the hex string. */
static void data_is(const char *h)
{
	uint8_t want[300];
	size_t n = hex(h, want, sizeof(want));

	ck_assert_uint_eq(rlen - 2, n);
	ck_assert_mem_eq(rbuf, want, n);
}

START_TEST(select_variants)
{
	ck_assert_uint_eq(send("00 A4 00 0C 02 3F 00"), 0x9000);
	ck_assert_uint_eq(rlen, 2);
	ck_assert_uint_eq(send("00 A4 09 0C 02 3F 00"), 0x9000);
	ck_assert_uint_eq(send("00 A4 02 0C 02 00 01"), 0x9000);
	ck_assert_ptr_eq(os->cur_df, cos_child(os->mf, 0x0001));
	/* relative path from DF 0001 */
	ck_assert_uint_eq(send("00 A4 09 0C 02 50 31"), 0x9000);
	ck_assert_uint_eq(os->cur_ef->fid, 0x5031);
	/* 2F00 is not a child of 0001: relative path fails, absolute works */
	ck_assert_uint_eq(send("00 A4 09 04 02 2F 00"), 0x6A82);
	ck_assert_uint_eq(send("00 A4 09 04 04 3F 00 2F 00"), 0x6127);
	/* P2=04: FCP through GET RESPONSE, real CPS3 layout */
	ck_assert_uint_eq(send("00 C0 00 00 27"), 0x9000);
	data_is("62 25 80 02 00 0A 82 01 01 83 02 2F 00 88 01 F0 A1 12 8C 07 7B FF FF FF FF FF 00"
		" 9C 07 7B FF FF FF FF FF 00 8A 01 05");
	/* by AID, P2 0C / 04 / 00 */
	ck_assert_uint_eq(send("00 A4 04 0C 06 A0 00 00 00 01 02"), 0x9000);
	ck_assert_uint_eq(rlen, 2);
	ck_assert_uint_eq(send("00 A4 04 00 06 A0 00 00 00 01 02"), 0x6A86);
	ck_assert_uint_eq(send("00 A4 04 04 06 A0 00 00 00 01 02") >> 8, 0x61);
	/* root AID: 90 00, no data, whatever P2 */
	ck_assert_uint_eq(send("00 A4 04 00 08 80 25 00 00 01 FF 01 00"), 0x9000);
	ck_assert_uint_eq(rlen, 2);
	ck_assert_ptr_eq(os->cur_df, os->mf);
	ck_assert_uint_eq(send("00 A4 04 04 08 80 25 00 00 01 FF 01 00"), 0x9000);
	ck_assert_uint_eq(rlen, 2);
	/* refusals */
	ck_assert_uint_eq(send("00 A4 02 00 02 2F 00"), 0x6A86);
	ck_assert_uint_eq(send("00 A4 02 04 02 12 34"), 0x6A82);
	ck_assert_uint_eq(send("00 A4 04 04 03 A0 00 99"), 0x6A82);
	ck_assert_uint_eq(send("00 A4 05 04 02 3F 00"), 0x6A86);
	ck_assert_uint_eq(send("00 A4 09 04 03 3F 00 01"), 0x6700);
	ck_assert_uint_eq(send("00 A4 00 08 02 3F 00"), 0x6A86);
	/* P1=00 from inside the DF: sibling via parent */
	ck_assert_uint_eq(send("00 A4 09 0C 04 3F 00 00 01"), 0x9000);
	ck_assert_uint_eq(send("00 A4 00 0C 02 2F 00"), 0x9000);
	ck_assert_uint_eq(os->cur_ef->fid, 0x2F00);
	/* P1=03 parent */
	ck_assert_uint_eq(send("00 A4 09 0C 04 3F 00 00 01"), 0x9000);
	ck_assert_uint_eq(send("00 A4 03 0C"), 0x9000);
	ck_assert_ptr_eq(os->cur_df, os->mf);
}
END_TEST

START_TEST(read_binary)
{
	ck_assert_uint_eq(send("00 B0 00 00 04"), 0x6986);	/* no current EF */
	ck_assert_uint_eq(send("00 A4 02 0C 02 2F 00"), 0x9000);
	ck_assert_uint_eq(send("00 B0 00 00 04"), 0x9000);
	data_is("00 01 02 03");
	ck_assert_uint_eq(send("00 B0 00 08 04"), 0x6282);
	data_is("08 09");
	ck_assert_uint_eq(send("00 B0 00 0A 01"), 0x6282);
	ck_assert_uint_eq(rlen, 2);
	ck_assert_uint_eq(send("00 B0 00 0B 01"), 0x6B00);
	ck_assert_uint_eq(send("00 B0 00 00"), 0x6700);	/* no Le */
	ck_assert_uint_eq(send("00 B0 00 00 01 00 04"), 0x6700);	/* data */
	/* SFI 1E from DF 0001: falls back to the MF */
	ck_assert_uint_eq(send("00 A4 09 0C 04 3F 00 00 01"), 0x9000);
	ck_assert_uint_eq(send("00 B0 9E 02 02"), 0x9000);
	data_is("02 03");
	ck_assert_uint_eq(os->cur_ef->fid, 0x2F00);
	ck_assert_uint_eq(send("00 B0 85 00 01"), 0x6A82);
	ck_assert_uint_eq(send("00 B0 C1 00 01"), 0x6A86);
	/* Le 00 = 256, then the rest of a 300-byte file */
	ck_assert_uint_eq(send("00 A4 09 0C 06 3F 00 00 01 50 31"), 0x9000);
	ck_assert_uint_eq(send("00 B0 00 00 00"), 0x9000);
	ck_assert_uint_eq(rlen, 258);
	ck_assert_uint_eq(rbuf[255], 0xFF);
	ck_assert_uint_eq(send("00 B0 01 00 00"), 0x6282);
	ck_assert_uint_eq(rlen, 46);
	ck_assert_uint_eq(rbuf[0], 0x00);	/* byte 256 = 0x00 */
	ck_assert_uint_eq(send("00 B0 01 00 2C"), 0x9000);
	/* PIN-protected EF */
	ck_assert_uint_eq(send("00 A4 02 0C 02 D1 20"), 0x9000);
	ck_assert_uint_eq(send("00 B0 00 00 04"), 0x6982);
	ck_assert_uint_eq(send("00 20 00 01 04 31 32 33 34"), 0x9000);
	ck_assert_uint_eq(send("00 B0 00 00 04"), 0x9000);
	cos_reset(os);
	ck_assert_uint_eq(send("00 B0 81 00 04"), 0x6A82);	/* MF current again */
	ck_assert_uint_eq(send("00 A4 09 0C 04 3F 00 00 01"), 0x9000);
	ck_assert_uint_eq(send("00 B0 81 00 04"), 0x6982);
}
END_TEST

START_TEST(t0_get_response)
{
	ck_assert_uint_eq(send("00 C0 00 00 10"), 0x6985);	/* nothing pending */
	ck_assert_uint_eq(send("00 A4 09 04 04 3F 00 2F 00"), 0x6127);
	ck_assert_uint_eq(send("00 C0 00 00 30"), 0x6C27);
	ck_assert_uint_eq(send("00 C0 00 00 10"), 0x6117);
	ck_assert_uint_eq(rlen, 0x12);
	ck_assert_uint_eq(rbuf[0], 0x62);
	ck_assert_uint_eq(send("00 C0 01 00 17"), 0x6A86);
	ck_assert_uint_eq(send("00 C0 00 00 17"), 0x9000);
	ck_assert_uint_eq(rbuf[0x16], 0x05);
	ck_assert_uint_eq(send("00 C0 00 00 01"), 0x6985);
	/* any other command drops pending data */
	ck_assert_uint_eq(send("00 A4 09 04 04 3F 00 2F 00"), 0x6127);
	ck_assert_uint_eq(send("00 20 00 01 00"), 0x63C3);
	ck_assert_uint_eq(send("00 C0 00 00 27"), 0x6985);
	/* direct command with a wrong Le: 6C xx */
	ck_assert_uint_eq(send("00 84 00 00 08"), 0x9000);
	ck_assert_uint_eq(rlen, 10);
	/* case 4 with an explicit Le still goes through 61 xx */
	ck_assert_uint_eq(send("00 A4 09 04 04 3F 00 2F 00 00"), 0x6127);
}
END_TEST

START_TEST(verify_counters)
{
	ck_assert_uint_eq(send("00 20 00 01 00"), 0x63C3);
	ck_assert_uint_eq(send("00 20 00 01"), 0x63C3);
	ck_assert_uint_eq(send("00 20 00 01 04 31 31 31 31"), 0x63C2);
	ck_assert_uint_eq(send("00 20 00 01 00"), 0x63C2);	/* status does not count */
	ck_assert_uint_eq(send("00 20 00 01 04 31 32 33 34"), 0x9000);
	ck_assert_uint_eq(send("00 20 00 01 00"), 0x9000);
	ck_assert_uint_eq(send("00 20 00 01 04 31 31 31 31"), 0x63C2);
	ck_assert_uint_eq(send("00 20 00 01 00"), 0x63C2);	/* a failure clears the status */
	ck_assert_uint_eq(send("00 20 00 01 04 31 31 31 31"), 0x63C1);
	ck_assert_uint_eq(send("00 20 00 01 04 31 31 31 31"), 0x63C0);
	ck_assert_uint_eq(send("00 20 00 01 04 31 32 33 34"), 0x6983);
	ck_assert_uint_eq(send("00 20 00 01 00"), 0x6983);
	ck_assert_uint_eq(send("00 20 00 07 00"), 0x6A88);
	ck_assert_uint_eq(send("00 20 01 01 00"), 0x6A86);
	ck_assert_uint_eq(send("00 20 00 81 00"), 0x6983);	/* local bit ignored */
}
END_TEST

START_TEST(change_and_reset)
{
	ck_assert_uint_eq(send("00 24 01 01 04 35 36 37 38"), 0x6982);
	ck_assert_uint_eq(send("00 24 00 01 08 31 32 33 34 35 36 37 38"), 0x9000);
	cos_reset(os);
	ck_assert_uint_eq(send("00 20 00 01 04 31 32 33 34"), 0x63C2);
	ck_assert_uint_eq(send("00 20 00 01 04 35 36 37 38"), 0x9000);
	ck_assert_uint_eq(send("00 24 01 01 05 39 39 39 39 39"), 0x9000);
	ck_assert_uint_eq(send("00 24 00 01 07 39 39 39 39 39 31 32"), 0x6A80);	/* new too short */
	ck_assert_uint_eq(send("00 24 00 01 05 39 39 39 39 39"), 0x6700);	/* no new value */
	/* block, then unblock with PUK || new PIN */
	for (int i = 2; i >= 0; i--)
		ck_assert_uint_eq(send("00 20 00 01 04 30 30 30 30"), 0x63C0u | (unsigned)i);
	ck_assert_uint_eq(send("00 2C 00 01 0C 31 32 33 34 35 36 37 30 34 33 32 31"), 0x63C9);
	ck_assert_uint_eq(send("00 2C 00 01 0C 31 32 33 34 35 36 37 38 34 33 32 31"), 0x9000);
	ck_assert_uint_eq(cos_find_chv(os, 2)->usage_left, 99);
	ck_assert_uint_eq(cos_find_chv(os, 2)->tries_left, 10);
	ck_assert_uint_eq(send("00 20 00 01 00"), 0x63C3);
	ck_assert_uint_eq(send("00 20 00 01 04 34 33 32 31"), 0x9000);
	/* P1=01: PUK only, unblocks and keeps the value */
	for (int i = 2; i >= 0; i--)
		ck_assert_uint_eq(send("00 20 00 01 04 30 30 30 30"), 0x63C0u | (unsigned)i);
	ck_assert_uint_eq(send("00 2C 01 01 08 31 32 33 34 35 36 37 38"), 0x9000);
	ck_assert_uint_eq(send("00 20 00 01 04 34 33 32 31"), 0x9000);
	ck_assert_uint_eq(cos_find_chv(os, 2)->usage_left, 98);
	/* P1=02: new PIN only, needs the PUK verified first */
	ck_assert_uint_eq(send("00 2C 02 01 04 31 31 31 31"), 0x6982);
	ck_assert_uint_eq(send("00 20 00 02 08 31 32 33 34 35 36 37 38"), 0x9000);
	ck_assert_uint_eq(send("00 2C 02 01 04 31 31 31 31"), 0x9000);
	ck_assert_uint_eq(send("00 2C 02 01 04 31 31 31 31"), 0x6982);	/* PUK used up */
	ck_assert_uint_eq(send("00 20 00 01 04 31 31 31 31"), 0x9000);
	ck_assert_uint_eq(send("00 2C 04 01 00"), 0x6A86);
	ck_assert_uint_eq(send("00 2C 00 02 04 31 31 31 31"), 0x6985);	/* PUK has no PUK */
	/* PUK usage counter exhausted -> blocked */
	cos_find_chv(os, 2)->usage_left = 0;
	ck_assert_uint_eq(send("00 20 00 02 00"), 0x6983);
	ck_assert_uint_eq(send("00 2C 01 01 08 31 32 33 34 35 36 37 38"), 0x6983);
}
END_TEST

START_TEST(state_file)
{
	struct cos *b;
	FILE *f;

	cos_free(os);
	os = make(state_path);
	ck_assert(cos_state_load(os));	/* missing file: fresh card */
	ck_assert_uint_eq(send("00 20 00 01 04 30 30 30 30"), 0x63C2);
	ck_assert_uint_eq(send("00 24 00 01 08 31 32 33 34 38 38 38 38"), 0x9000);
	ck_assert_uint_eq(send("00 20 00 01 04 30 30 30 30"), 0x63C2);
	ck_assert_uint_eq(access(state_path, F_OK), 0);
	b = make(state_path);
	ck_assert(cos_state_load(b));
	ck_assert_uint_eq(cos_find_chv(b, 1)->tries_left, 2);
	ck_assert_uint_eq(send_on(b, "00 20 00 01 04 38 38 38 38"), 0x9000);
	ck_assert_uint_eq(send_on(b, "00 20 00 01 04 31 32 33 34"), 0x63C2);
	ck_assert_uint_eq(send_on(b, "00 20 00 01 04 31 32 33 34"), 0x63C1);
	ck_assert_uint_eq(send_on(b, "00 20 00 01 04 31 32 33 34"), 0x63C0);
	cos_free(b);
	b = make(state_path);
	ck_assert(cos_state_load(b));
	ck_assert_uint_eq(send_on(b, "00 20 00 01 00"), 0x6983);	/* still blocked */
	cos_free(b);
	/* corrupt files are refused, and the CHVs are left as defined */
	f = fopen(state_path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("santecard-cardos-state 1\nchv 01 31323334 9 0\nend\n", f);	/* tries > max */
	fclose(f);
	b = make(state_path);
	ck_assert(!cos_state_load(b));
	ck_assert_ptr_nonnull(strstr(b->err, "corrupt"));
	cos_free(b);
	f = fopen(state_path, "w");
	fputs("santecard-cardos-state 1\nchv 01 31323334 0 0\n", f);	/* truncated */
	fclose(f);
	b = make(state_path);
	ck_assert(!cos_state_load(b));
	cos_free(b);
	f = fopen(state_path, "w");
	fputs("garbage\n", f);
	fclose(f);
	b = make(state_path);
	ck_assert(!cos_state_load(b));
	cos_free(b);
	f = fopen(state_path, "w");
	fputs("santecard-cardos-state 1\nchv 05 31323334 1 0\nend\n", f);	/* unknown CHV */
	fclose(f);
	b = make(state_path);
	ck_assert(!cos_state_load(b));
	cos_free(b);
}
END_TEST

START_TEST(mse)
{
	ck_assert_uint_eq(send("00 22 41 B6 06 84 01 81 80 01 42"), 0x9000);
	ck_assert(os->se[COS_SE_DST].has_key && os->se[COS_SE_DST].key_ref == 0x81);
	ck_assert(os->se[COS_SE_DST].has_alg && os->se[COS_SE_DST].alg == 0x42);
	ck_assert_uint_eq(send("00 22 41 A4 06 80 01 02 84 01 82"), 0x9000);
	ck_assert_uint_eq(os->se[COS_SE_AT].key_ref, 0x82);
	ck_assert_uint_eq(os->se[COS_SE_AT].alg, 0x02);
	ck_assert_uint_eq(send("00 22 41 AA 03 80 01 40"), 0x9000);
	ck_assert(!os->se[COS_SE_HT].has_key && os->se[COS_SE_HT].alg == 0x40);
	ck_assert_uint_eq(send("00 22 41 B8 06 84 01 82 80 01 1A"), 0x9000);
	ck_assert_uint_eq(os->se[COS_SE_CT].alg, 0x1A);
	ck_assert_uint_eq(send("00 22 41 B7 03 80 01 40"), 0x6A86);
	ck_assert_uint_eq(send("00 22 40 B6 03 80 01 40"), 0x6A86);
	ck_assert_uint_eq(send("00 22 41 B6 03 99 01 40"), 0x6A80);
	ck_assert_uint_eq(send("00 22 41 B6 03 80 05 40"), 0x6A80);
	ck_assert_uint_eq(send("00 22 41 B6 04 80 02 40 40"), 0x6A80);
	cos_reset(os);
	ck_assert(!os->se[COS_SE_AT].has_key && !os->se[COS_SE_DST].has_alg);
}
END_TEST

START_TEST(malformed)
{
	uint8_t b[300];

	ck_assert_uint_eq(send("00 A4 09"), 0x6700);
	ck_assert_uint_eq(send("00 A4 09 04 05 3F 00"), 0x6700);	/* truncated */
	ck_assert_uint_eq(send("00 A4 09 04 02 3F 00 00 00"), 0x6700);	/* too long */
	ck_assert_uint_eq(send("00 A4 09 04 00 00 02 3F 00"), 0x6700);	/* extended */
	ck_assert_uint_eq(send("80 A4 00 0C 02 3F 00"), 0x6E00);
	ck_assert_uint_eq(send("00 EE 00 00"), 0x6D00);
	ck_assert_uint_eq(send("10 A4 00 0C 02 3F 00"), 0x6884);
	ck_assert_uint_eq(send("0C A4 00 0C 02 3F 00"), 0x6E00);	/* SM: not offered */
	rlen = cos_process(os, NULL, 0, rbuf, sizeof(rbuf));
	ck_assert_uint_eq(rlen, 2);
	/* every 4- and 5-byte APDU answers a SW and never more than cap */
	for (unsigned ins = 0; ins < 256; ins++) {
		b[0] = 0x00, b[1] = (uint8_t)ins, b[2] = 0xFF, b[3] = 0xFF, b[4] = 0;
		rlen = cos_process(os, b, 5, rbuf, 258);
		ck_assert_uint_ge(rlen, 2);
		ck_assert_uint_le(rlen, 258);
		rlen = cos_process(os, b, 4, rbuf, 258);
		ck_assert_uint_ge(rlen, 2);
	}
}
END_TEST

START_TEST(chaining)
{
	ck_assert_uint_eq(send("10 2A 80 86 03 AA BB CC"), 0x9000);
	ck_assert_uint_eq(send("10 2A 80 86 01 DD"), 0x9000);
	ck_assert_uint_eq(send("00 2A 80 86 02 EE FF"), 0x6104);
	ck_assert_uint_eq(send("00 C0 00 00 04"), 0x9000);
	data_is("00 06 AA FF");
	/* another command ends a chain */
	ck_assert_uint_eq(send("10 2A 80 86 03 AA BB CC"), 0x9000);
	ck_assert_uint_eq(send("00 20 00 01 00"), 0x63C3);
	ck_assert_uint_eq(send("00 2A 80 86 02 EE FF"), 0x6104);
	ck_assert_uint_eq(send("00 C0 00 00 04"), 0x9000);
	data_is("00 02 EE FF");
	/* 255 + 2 bytes, as OpenSC sends a PSO DECIPHER */
	{
		char cmd[5 * 3 + 255 * 3 + 1] = "10 2A 80 86 FF";

		for (int i = 0; i < 255; i++)
			strcat(cmd, " 81");
		ck_assert_uint_eq(send(cmd), 0x9000);
	}
	ck_assert_uint_eq(send("00 2A 80 86 02 01 02"), 0x6104);
	ck_assert_uint_eq(send("00 C0 00 00 04"), 0x9000);
	data_is("01 01 81 02");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cardos");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, select_variants);
	tcase_add_test(tc, read_binary);
	tcase_add_test(tc, t0_get_response);
	tcase_add_test(tc, verify_counters);
	tcase_add_test(tc, change_and_reset);
	tcase_add_test(tc, state_file);
	tcase_add_test(tc, mse);
	tcase_add_test(tc, malformed);
	tcase_add_test(tc, chaining);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(suite());
}
