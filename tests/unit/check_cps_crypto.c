/*
 * check_cps_crypto.c - CPS signatures, decipher and random against a canned
 * CPS3: the transport checks every command against a script. The object
 * listing answers are the simulator's (as in check_cps_driver.c); the
 * signature and plaintext answers are scripted. The exact APDU sequences
 * (MSE CRTs, PSO HASH with the intermediate state computed here by the test's
 * own SHA-1/SHA-256 block code), DigestInfo stripping, the 40% limit, a card
 * pulled at every APDU of a signature, 6982.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "santecard.h"
#include "check_util.h"
#include "canned.h"

#define CPS3_ATR "3B AC 00 40 2A 00 12 25 00 64 80 00 03 10 00 90 00"

static stc_card *canned_card(struct canned *c)
{
	uint8_t atr[STC_ATR_MAX];
	stc_transport t = { .transmit = canned_xmit, .io = c, .atr = atr,
			    .atr_len = hex(CPS3_ATR, atr, sizeof(atr)), .protocol = STC_PROTO_T0,
			    .name = "r-cps" };
	stc_card *card;

	ck_assert_int_eq(stc_card_from_transport(&t, &card), STC_OK);
	return card;
}

/* ---------------------------------------------- the simulator's answers */

#define SEL_CPS "00 A4 04 0C 0D E8 28 BD 08 0F 80 25 00 00 01 FF 00 10"
#define SEL_ODF "00 A4 02 0C 02 50 31"
#define SEL_TI "00 A4 02 0C 02 50 32"
#define SEL(fid) "00 A4 09 0C 06 3F 00 00 01 " fid
#define READ0 "00 B0 00 00 E7"
#define OK "90 00"

#define ODF "A0 0A 30 08 04 06 3F 00 00 01 50 01 A4 0A 30 08 04 06 3F 00 00 01 50 02 " \
	"A7 0A 30 08 04 06 3F 00 00 01 50 04 A8 0A 30 08 04 06 3F 00 00 01 50 03 62 82"
#define TOKENINFO "30 81 D9 02 01 00 04 08 00 00 01 99 21 00 01 01 0C 0A 41 53 49 50 20 53 41 " \
	"4E 54 45 80 11 43 50 53 33 76 33 2D 39 39 32 31 30 30 30 31 30 31 03 02 06 C0 A2 81 A6 " \
	"30 17 02 01 01 02 02 02 20 05 00 03 02 01 02 06 05 2B 0E 03 02 1A 02 01 10 30 1B 02 01 " \
	"02 02 02 02 50 05 00 03 02 01 02 06 09 60 86 48 01 65 03 04 02 01 02 01 40 30 1A 02 01 " \
	"03 02 01 06 05 00 03 02 06 40 06 09 2A 86 48 86 F7 0D 01 01 05 02 01 12 30 1A 02 01 04 " \
	"02 01 40 05 00 03 02 06 40 06 09 2A 86 48 86 F7 0D 01 01 0B 02 01 42 30 1A 02 01 05 02 " \
	"01 01 05 00 03 02 06 40 06 09 2A 86 48 86 F7 0D 01 01 01 02 01 02 30 1A 02 01 06 02 01 " \
	"01 05 00 03 02 02 04 06 09 2A 86 48 86 F7 0D 01 01 01 02 01 1A 62 82"
#define PRKDF "30 54 30 15 0C 0C 43 50 53 5F 50 52 49 56 5F 53 49 47 03 02 07 80 04 01 01 30 " \
	"20 04 0E E8 28 BD 08 0F 80 25 00 00 01 FF 00 10 01 03 03 06 00 40 01 01 FF 03 02 04 B0 " \
	"02 02 00 81 A1 19 30 17 30 11 04 00 4F 0D E8 28 BD 08 0F 80 25 00 00 01 FF 00 10 02 02 " \
	"08 00 30 53 30 15 0C 0C 43 50 53 5F 50 52 49 56 5F 41 55 54 03 02 06 C0 04 01 01 30 1F " \
	"04 0E E8 28 BD 08 0F 80 25 00 00 01 FF 00 10 02 03 02 05 60 01 01 FF 03 02 04 B0 02 02 " \
	"00 82 A1 19 30 17 30 11 04 00 4F 0D E8 28 BD 08 0F 80 25 00 00 01 FF 00 10 02 02 08 00 62 82"
#define CDF "30 45 30 23 0C 21 43 65 72 74 69 66 69 63 61 74 20 64 27 41 75 74 68 65 6E 74 69 " \
	"66 69 63 61 74 69 6F 6E 20 43 50 53 30 10 04 0E E8 28 BD 08 0F 80 25 00 00 01 FF 00 10 " \
	"02 A1 0C 30 0A 30 08 04 06 3F 00 00 01 C1 01 30 3F 30 1D 0C 1B 43 65 72 74 69 66 69 63 " \
	"61 74 20 64 65 20 53 69 67 6E 61 74 75 72 65 20 43 50 53 30 10 04 0E E8 28 BD 08 0F 80 " \
	"25 00 00 01 FF 00 10 01 A1 0C 30 0A 30 08 04 06 3F 00 00 01 C1 02 62 82"
#define DODF "30 22 30 0D 0C 0B 43 50 53 5F 49 44 5F 43 41 52 44 30 05 0C 03 43 50 53 A1 0A " \
	"30 08 04 06 3F 00 00 01 D1 01 30 22 30 0D 0C 0B 43 50 53 5F 4E 41 4D 45 5F 50 53 30 05 " \
	"0C 03 43 50 53 A1 0A 30 08 04 06 3F 00 00 01 D1 02 30 22 30 0D 0C 0B 43 50 53 5F 49 4E " \
	"46 4F 5F 50 53 30 05 0C 03 43 50 53 A1 0A 30 08 04 06 3F 00 00 01 D1 03 30 1F 30 0A 0C " \
	"08 43 50 53 5F 44 41 54 41 30 05 0C 03 43 50 53 A1 0A 30 08 04 06 3F 00 00 01 D1 07 30 " \
	"30 30 1B 0C 12 43 50 53 5F 41 43 54 49 56 49 54 59 5F 30 31 5F 50 53 03 02 07 80 04 01 " \
	"01 30 05 0C 03 43 50 53 A1 0A 30 08 04 06 3F 00 00 01 D1 20 62 82"

/* The object listing: 11 APDUs. */
#define LISTING \
	{ SEL_CPS, OK, STC_OK }, { SEL_ODF, OK, STC_OK }, { READ0, ODF, STC_OK }, \
	{ SEL_TI, OK, STC_OK }, { READ0, TOKENINFO, STC_OK }, \
	{ SEL("50 01"), OK, STC_OK }, { READ0, PRKDF, STC_OK }, \
	{ SEL("50 02"), OK, STC_OK }, { READ0, CDF, STC_OK }, \
	{ SEL("50 04"), OK, STC_OK }, { READ0, DODF, STC_OK }
#define LISTING_N 11

#define SCRIPT(...) { (const struct step[]){ __VA_ARGS__ }, \
	sizeof((const struct step[]){ __VA_ARGS__ }) / sizeof(struct step), 0 }

#define H_SIG 1u    /* CPS_PRIV_SIG: nonRepudiation, key 81 */
#define H_AUT 2u    /* CPS_PRIV_AUT: sign + decrypt, key 82 */
#define H_CERT 3u   /* a certificate */
#define H_DATA 5u   /* a data object */

#define MSE_AT "00 22 41 A4 06 80 01 02 84 01 82"
#define MSE_DST1 "00 22 41 B6 06 80 01 12 84 01 81"
#define MSE_DST256 "00 22 41 B6 06 80 01 42 84 01 81"
#define MSE_HT1 "00 22 41 AA 03 80 01 10"
#define MSE_HT256 "00 22 41 AA 03 80 01 40"
#define MSE_CT "00 22 41 B8 06 80 01 1A 84 01 82"
#define CDS_CASE2 "00 2A 9E 9A 00"
#define GET_RESP "00 C0 00 00 00"
#define MORE "61 00"

/* ------------------------------------------------- hex strings, pooled */

static char pool[24][1400];
static size_t npool;

/* prefix, then the bytes, then suffix (each may be empty) as one hex string. */
static const char *hx(const char *prefix, const uint8_t *b, size_t n, const char *suffix)
{
	char *s, *p;

	ck_assert_uint_lt(npool, sizeof(pool) / sizeof(pool[0]));
	s = p = pool[npool++];
	p += sprintf(p, "%s ", prefix);
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%02X ", b[i]);
	sprintf(p, "%s", suffix);
	return s;
}

static uint8_t sig_bytes[256];

/* The scripted signature answer: 256 bytes and 90 00. */
static const char *sig_answer(void)
{
	for (size_t i = 0; i < sizeof(sig_bytes); i++)
		sig_bytes[i] = (uint8_t)(0x5A ^ i);
	return hx("", sig_bytes, sizeof(sig_bytes), "90 00");
}

static void setup(void)
{
	npool = 0;
}

/* ------------------------------------- SHA-1 / SHA-256 blocks, the test's own */

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
#define ROL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void sha256_block(uint32_t h[8], const uint8_t *b)
{
	static const uint32_t k[64] = {
		0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
		0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
		0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
		0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
		0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
		0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
		0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
		0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
		0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
		0xc67178f2
	};
	uint32_t w[64], v[8];

	for (int i = 0; i < 16; i++)
		w[i] = be32(b + 4 * i);
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	memcpy(v, h, sizeof(v));
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = v[7] + (ROR(v[4], 6) ^ ROR(v[4], 11) ^ ROR(v[4], 25)) +
			      ((v[4] & v[5]) ^ (~v[4] & v[6])) + k[i] + w[i];
		uint32_t t2 = (ROR(v[0], 2) ^ ROR(v[0], 13) ^ ROR(v[0], 22)) +
			      ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));

		memmove(v + 1, v, 7 * sizeof(uint32_t));
		v[4] += t1;
		v[0] = t1 + t2;
	}
	for (int i = 0; i < 8; i++)
		h[i] += v[i];
}

static void sha1_block(uint32_t h[5], const uint8_t *b)
{
	uint32_t w[80], a = h[0], bb = h[1], c = h[2], d = h[3], e = h[4];

	for (int i = 0; i < 16; i++)
		w[i] = be32(b + 4 * i);
	for (int i = 16; i < 80; i++)
		w[i] = ROL(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	for (int i = 0; i < 80; i++) {
		uint32_t f, k, t;

		if (i < 20)
			f = (bb & c) | (~bb & d), k = 0x5A827999;
		else if (i < 40)
			f = bb ^ c ^ d, k = 0x6ED9EBA1;
		else if (i < 60)
			f = (bb & c) | (bb & d) | (c & d), k = 0x8F1BBCDC;
		else
			f = bb ^ c ^ d, k = 0xCA62C1D6;
		t = ROL(a, 5) + f + e + k + w[i];
		e = d, d = c, c = ROL(bb, 30), bb = a, a = t;
	}
	h[0] += a, h[1] += bb, h[2] += c, h[3] += d, h[4] += e;
}

/* The PSO HASH command for msg, Cryptolib's form: every full block but a last
 * one of 1..64 bytes hashed here, "90 00" when none was. */
static const char *pso_hash_cmd(int sha256, const uint8_t *msg, size_t len)
{
	uint32_t h256[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
			     0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	uint32_t h1[5] = { 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0 };
	size_t blocks = len ? (len - 1) / 64 : 0, tail = len - 64 * blocks, n = 0;
	uint8_t d[200];
	uint64_t bits = (uint64_t)blocks * 512;
	char head[40];

	for (size_t i = 0; i < blocks; i++) {
		if (sha256)
			sha256_block(h256, msg + 64 * i);
		else
			sha1_block(h1, msg + 64 * i);
	}
	d[n++] = 0x90;
	if (!blocks) {
		d[n++] = 0;
	} else {
		d[n++] = sha256 ? 40 : 28;
		for (int i = 0; i < (sha256 ? 8 : 5); i++) {
			uint32_t v = sha256 ? h256[i] : h1[i];

			d[n++] = (uint8_t)(v >> 24), d[n++] = (uint8_t)(v >> 16);
			d[n++] = (uint8_t)(v >> 8), d[n++] = (uint8_t)v;
		}
		for (int i = 7; i >= 0; i--)
			d[n++] = (uint8_t)(bits >> (8 * i));
	}
	d[n++] = 0x80;
	d[n++] = (uint8_t)tail;
	memcpy(d + n, msg + 64 * blocks, tail);
	n += tail;
	sprintf(head, "00 2A 90 A0 %02zX", n);
	return hx(head, d, n, "");
}

/* ----------------------------------------------------------- harness */

/* LISTING, then ops; the token lists its objects first. */
struct run {
	struct step s[LISTING_N + 12];
	struct canned c;
	stc_card *card;
	stc_token *tok;
};

static void start(struct run *r, const struct step *ops, size_t nops)
{
	static const struct step listing[] = { LISTING };
	const stc_object *o;
	size_t n;

	ck_assert_uint_le(nops, 12);
	memcpy(r->s, listing, sizeof(listing));
	if (nops)   /* ops may be NULL when there is nothing after the listing */
		memcpy(r->s + LISTING_N, ops, nops * sizeof(*ops));
	r->c = (struct canned){ r->s, LISTING_N + nops, 0 };
	r->card = canned_card(&r->c);
	ck_assert_int_eq(stc_token_open(r->card, &r->tok), STC_OK);
	ck_assert_int_eq(stc_token_objects(r->tok, &o, &n), STC_OK);
	ck_assert_uint_eq(n, 9);
	ck_assert_str_eq(o[H_SIG - 1].label, "CPS_PRIV_SIG");
	ck_assert_str_eq(o[H_AUT - 1].label, "CPS_PRIV_AUT");
	ck_assert_int_eq(o[H_CERT - 1].cls, STC_OBJ_CERTIFICATE);
	ck_assert_int_eq(o[H_DATA - 1].cls, STC_OBJ_DATA);
	ck_assert_uint_eq(r->c.next, LISTING_N);
}

/* Every scripted APDU was sent, and no other. */
static void finish(struct run *r)
{
	ck_assert_uint_eq(r->c.next, r->c.n);
	stc_token_close(r->tok);
	stc_disconnect(r->card, 0);
}

static const uint8_t di_sha1[] = { 0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2B, 0x0E,
				   0x03, 0x02, 0x1A, 0x05, 0x00, 0x04, 0x14 };
static const uint8_t di_sha256[] = { 0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48,
				     0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04,
				     0x20 };
/* SHA-256("abc"), FIPS 180-2 appendix B.1; SHA-1("abc"), FIPS 180-1 appendix A */
static const uint8_t abc256[32] = {
	0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22,
	0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00,
	0x15, 0xad
};
static const uint8_t abc1[20] = { 0xa9, 0x99, 0x3e, 0x36, 0x47, 0x06, 0x81, 0x6a, 0xba, 0x3e,
				  0x25, 0x71, 0x78, 0x50, 0xc2, 0x6c, 0x9c, 0xd0, 0xd8, 0x9d };

static size_t digest_info(int sha256, uint8_t *out)
{
	const uint8_t *p = sha256 ? di_sha256 : di_sha1;
	size_t pl = sha256 ? sizeof(di_sha256) : sizeof(di_sha1);

	memcpy(out, p, pl);
	memcpy(out + pl, sha256 ? abc256 : abc1, sha256 ? 32 : 20);
	return pl + (sha256 ? 32 : 20);
}

/* ------------------------------------------ authentication key (INTERNAL AUTH) */

static void check_sig(const uint8_t *sig, size_t len)
{
	ck_assert_uint_eq(len, 256);
	ck_assert_mem_eq(sig, sig_bytes, 256);
}

START_TEST(auth_key_digestinfo)
{
	uint8_t di[64], sig[300];
	size_t n = digest_info(1, di), sl = sizeof(sig);
	struct step ops[] = {
		{ SEL_CPS, OK, STC_OK }, { MSE_AT, OK, STC_OK },
		{ hx("00 88 00 00 33", di, n, ""), MORE, STC_OK },
		{ GET_RESP, sig_answer(), STC_OK },
	};
	struct run r;

	start(&r, ops, 4);
	ck_assert_int_eq(stc_token_sign(r.tok, H_AUT, STC_HASH_NONE, di, n, sig, &sl), STC_OK);
	check_sig(sig, sl);
	finish(&r);
}
END_TEST

/* hash SHA-x on the authentication key: the host hashes, the DigestInfo is sent */
START_TEST(auth_key_host_hash)
{
	int sha256 = _i;
	uint8_t di[64], sig[256];
	size_t n = digest_info(sha256, di), sl = sizeof(sig);
	char h[20];
	struct step ops[4];
	struct run r;
	stc_sign_op *op;

	sprintf(h, "00 88 00 00 %02zX", n);
	ops[0] = (struct step){ SEL_CPS, OK, STC_OK };
	ops[1] = (struct step){ MSE_AT, OK, STC_OK };
	ops[2] = (struct step){ hx(h, di, n, ""), MORE, STC_OK };
	ops[3] = (struct step){ GET_RESP, sig_answer(), STC_OK };
	start(&r, ops, 4);
	ck_assert_int_eq(stc_token_sign(r.tok, H_AUT, sha256 ? STC_HASH_SHA256 : STC_HASH_SHA1,
					(const uint8_t *)"abc", 3, sig, &sl), STC_OK);
	check_sig(sig, sl);
	/* multi-part: the same APDUs, none before final */
	r.c.next = LISTING_N;
	memset(sig, 0, sizeof(sig));
	ck_assert_int_eq(stc_token_sign_init(r.tok, H_AUT, sha256 ? STC_HASH_SHA256 : STC_HASH_SHA1,
					     &op), STC_OK);
	ck_assert_int_eq(stc_sign_update(op, (const uint8_t *)"a", 1), STC_OK);
	ck_assert_int_eq(stc_sign_update(op, (const uint8_t *)"bc", 2), STC_OK);
	ck_assert_uint_eq(r.c.next, LISTING_N);
	ck_assert_int_eq(stc_sign_final(op, sig, &sl), STC_OK);
	check_sig(sig, sl);
	finish(&r);
}
END_TEST

/* 40% of a 2048-bit modulus = 102 bytes: 103 is refused without an APDU */
START_TEST(auth_key_40_percent)
{
	static const uint8_t d[103] = { 0x11, 0x22, 0x33 };
	uint8_t sig[256];
	size_t sl = sizeof(sig);
	struct step ops[] = {
		{ SEL_CPS, OK, STC_OK }, { MSE_AT, OK, STC_OK },
		{ hx("00 88 00 00 66", d, 102, ""), MORE, STC_OK },
		{ GET_RESP, sig_answer(), STC_OK },
	};
	struct run r;

	start(&r, ops, 4);
	ck_assert_int_eq(stc_token_sign(r.tok, H_AUT, STC_HASH_NONE, d, 103, sig, &sl),
			 STC_ERR_INVALID_ARGS);
	ck_assert_int_eq(stc_token_sign(r.tok, H_AUT, STC_HASH_NONE, d, 0, sig, &sl),
			 STC_ERR_INVALID_ARGS);
	ck_assert_uint_eq(r.c.next, LISTING_N);
	ck_assert_uint_eq(sl, sizeof(sig));
	/* a signature buffer too small: refused before sending too */
	sl = 255;
	ck_assert_int_eq(stc_token_sign(r.tok, H_AUT, STC_HASH_NONE, d, 102, sig, &sl),
			 STC_ERR_BUFFER_TOO_SMALL);
	ck_assert_uint_eq(r.c.next, LISTING_N);
	sl = 256;
	ck_assert_int_eq(stc_token_sign(r.tok, H_AUT, STC_HASH_NONE, d, 102, sig, &sl), STC_OK);
	check_sig(sig, sl);
	finish(&r);
}
END_TEST

/* 69 82 before the PIN: SECURITY_STATUS, nothing more sent, nothing written */
START_TEST(auth_key_security_status)
{
	uint8_t di[64], sig[256];
	size_t n = digest_info(1, di), sl = sizeof(sig);
	struct step ops[] = {
		{ SEL_CPS, OK, STC_OK }, { MSE_AT, OK, STC_OK },
		{ hx("00 88 00 00 33", di, n, ""), "69 82", STC_OK },
	};
	struct run r;

	memset(sig, 0xAA, sizeof(sig));
	start(&r, ops, 3);
	ck_assert_int_eq(stc_token_sign(r.tok, H_AUT, STC_HASH_NONE, di, n, sig, &sl),
			 STC_ERR_SECURITY_STATUS);
	ck_assert_uint_eq(sl, sizeof(sig));
	for (size_t i = 0; i < sizeof(sig); i++)
		ck_assert_uint_eq(sig[i], 0xAA);
	finish(&r);
}
END_TEST

/* ---------------------------------------- signature key, hash given */

START_TEST(sig_key_bare_hash_and_digestinfo)
{
	/* _i: 0 bare SHA-1, 1 bare SHA-256, 2 SHA-1 DigestInfo, 3 SHA-256 DigestInfo */
	int sha256 = _i & 1;
	uint8_t in[64], sig[256];
	size_t n = _i >= 2 ? digest_info(sha256, in) : (memcpy(in, sha256 ? abc256 : abc1,
								  sha256 ? 32 : 20),
							   (size_t)(sha256 ? 32 : 20));
	size_t sl = sizeof(sig);
	struct step ops[] = {
		{ SEL_CPS, OK, STC_OK }, { sha256 ? MSE_DST256 : MSE_DST1, OK, STC_OK },
		{ sha256 ? hx("00 2A 9E 9A 20", abc256, 32, "") : hx("00 2A 9E 9A 14", abc1, 20, ""),
		  MORE, STC_OK },
		{ GET_RESP, sig_answer(), STC_OK },
	};
	struct run r;

	start(&r, ops, 4);
	ck_assert_int_eq(stc_token_sign(r.tok, H_SIG, STC_HASH_NONE, in, n, sig, &sl), STC_OK);
	check_sig(sig, sl);
	finish(&r);
}
END_TEST

/* hash NONE on the signature key: anything but a hash or an exact DigestInfo
 * is refused before any APDU */
START_TEST(sig_key_bad_input)
{
	uint8_t in[64], sig[256];
	size_t n, sl = sizeof(sig);
	struct run r;

	start(&r, NULL, 0);
	n = digest_info(1, in);
	for (size_t i = 0; i < sizeof(di_sha256); i++) {
		in[i] ^= 0x01;
		ck_assert_int_eq(stc_token_sign(r.tok, H_SIG, STC_HASH_NONE, in, n, sig, &sl),
				 STC_ERR_INVALID_ARGS);
		in[i] ^= 0x01;
	}
	/* a SHA-256 DigestInfo prefix on a SHA-1 length, and odd lengths */
	ck_assert_int_eq(stc_token_sign(r.tok, H_SIG, STC_HASH_NONE, in, 35, sig, &sl),
			 STC_ERR_INVALID_ARGS);
	ck_assert_int_eq(stc_token_sign(r.tok, H_SIG, STC_HASH_NONE, in, 33, sig, &sl),
			 STC_ERR_INVALID_ARGS);
	ck_assert_int_eq(stc_token_sign(r.tok, H_SIG, STC_HASH_NONE, in, 0, sig, &sl),
			 STC_ERR_INVALID_ARGS);
	ck_assert_int_eq(stc_token_sign(r.tok, H_SIG, STC_HASH_NONE, in, 19, sig, &sl),
			 STC_ERR_INVALID_ARGS);
	/* not keys, no such handle, a key that cannot decipher */
	ck_assert_int_eq(stc_token_sign(r.tok, H_CERT, STC_HASH_NONE, in, 32, sig, &sl),
			 STC_ERR_INVALID_ARGS);
	ck_assert_int_eq(stc_token_sign(r.tok, H_DATA, STC_HASH_SHA256, in, 32, sig, &sl),
			 STC_ERR_INVALID_ARGS);
	ck_assert_int_eq(stc_token_sign(r.tok, 0, STC_HASH_SHA256, in, 32, sig, &sl),
			 STC_ERR_INVALID_ARGS);
	ck_assert_int_eq(stc_token_sign(r.tok, 99, STC_HASH_SHA256, in, 32, sig, &sl),
			 STC_ERR_INVALID_ARGS);
	ck_assert_int_eq(stc_token_sign(r.tok, H_SIG, (stc_hash)7, in, 32, sig, &sl),
			 STC_ERR_INVALID_ARGS);
	sl = sizeof(in);
	ck_assert_int_eq(stc_token_decipher(r.tok, H_SIG, sig, 256, in, &sl),
			 STC_ERR_NOT_SUPPORTED);
	ck_assert_int_eq(stc_token_decipher(r.tok, H_CERT, sig, 256, in, &sl),
			 STC_ERR_INVALID_ARGS);
	finish(&r);
}
END_TEST

/* ---------------------------------------- signature key, PSO HASH */

static const size_t msg_lens[] = { 0, 63, 64, 65, 200, 128 };
#define NLENS (int)(sizeof(msg_lens) / sizeof(msg_lens[0]))

static uint8_t msg[1024];

static void fill_msg(void)
{
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7 + 3);
}

/* The 6 APDUs of a PSO HASH signature. */
static void hash_ops(struct step *ops, int sha256, size_t len)
{
	ops[0] = (struct step){ SEL_CPS, OK, STC_OK };
	ops[1] = (struct step){ sha256 ? MSE_HT256 : MSE_HT1, OK, STC_OK };
	ops[2] = (struct step){ pso_hash_cmd(sha256, msg, len), OK, STC_OK };
	ops[3] = (struct step){ sha256 ? MSE_DST256 : MSE_DST1, OK, STC_OK };
	ops[4] = (struct step){ CDS_CASE2, MORE, STC_OK };
	ops[5] = (struct step){ GET_RESP, sig_answer(), STC_OK };
}

START_TEST(sig_key_pso_hash)
{
	/* _i: message length index x {SHA-1, SHA-256} */
	int sha256 = _i % 2;
	size_t len = msg_lens[_i / 2];
	stc_hash hash = sha256 ? STC_HASH_SHA256 : STC_HASH_SHA1;
	struct step ops[6];
	uint8_t sig[256];
	size_t sl = sizeof(sig);
	struct run r;
	static const size_t chunks[] = { 1, 7, 63, 64, 65 };

	fill_msg();
	hash_ops(ops, sha256, len);
	start(&r, ops, 6);
	ck_assert_int_eq(stc_token_sign(r.tok, H_SIG, hash, msg, len, sig, &sl), STC_OK);
	check_sig(sig, sl);
	ck_assert_uint_eq(r.c.next, r.c.n);
	/* multi-part in chunks of every size: the same APDUs, none before final */
	for (size_t k = 0; k < sizeof(chunks) / sizeof(chunks[0]); k++) {
		stc_sign_op *op;

		r.c.next = LISTING_N;
		memset(sig, 0, sizeof(sig));
		ck_assert_int_eq(stc_token_sign_init(r.tok, H_SIG, hash, &op), STC_OK);
		for (size_t off = 0; off < len; off += chunks[k])
			ck_assert_int_eq(stc_sign_update(op, msg + off, len - off < chunks[k] ?
							 len - off : chunks[k]), STC_OK);
		ck_assert_int_eq(stc_sign_update(op, NULL, 0), STC_OK);
		ck_assert_uint_eq(r.c.next, LISTING_N);
		ck_assert_int_eq(stc_sign_final(op, sig, &sl), STC_OK);
		check_sig(sig, sl);
		ck_assert_uint_eq(r.c.next, r.c.n);
	}
	finish(&r);
}
END_TEST

/* the empty message is 90 00 80 00 (nothing hashed on the host) */
START_TEST(pso_hash_empty_bytes)
{
	ck_assert_str_eq(pso_hash_cmd(1, msg, 0), "00 2A 90 A0 04 90 00 80 00 ");
}
END_TEST

/* FIPS 180-2 B.2 has SHA-256 of a 56-byte message; check the test's block code
 * against it, padding by hand (one 64-byte block of data, one of padding). */
START_TEST(test_sha_code_is_right)
{
	static const char m[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	static const uint8_t want[32] = {
		0x24, 0x8d, 0x6a, 0x61, 0xd2, 0x06, 0x38, 0xb8, 0xe5, 0xc0, 0x26, 0x93, 0x0c, 0x3e,
		0x60, 0x39, 0xa3, 0x3c, 0xe4, 0x59, 0x64, 0xff, 0x21, 0x67, 0xf6, 0xec, 0xed, 0xd4,
		0x19, 0xdb, 0x06, 0xc1
	};
	uint32_t h[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
			  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	uint32_t h1[5] = { 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0 };
	uint8_t b[128] = { 0 }, out[32];

	memcpy(b, m, 56);
	b[56] = 0x80;
	b[126] = 0x01, b[127] = 0xC0;   /* 448 bits */
	sha256_block(h, b);
	sha256_block(h, b + 64);
	for (int i = 0; i < 8; i++)
		out[4 * i] = (uint8_t)(h[i] >> 24), out[4 * i + 1] = (uint8_t)(h[i] >> 16),
		out[4 * i + 2] = (uint8_t)(h[i] >> 8), out[4 * i + 3] = (uint8_t)h[i];
	ck_assert_mem_eq(out, want, 32);
	/* SHA-1("abc"), one block */
	memset(b, 0, sizeof(b));
	memcpy(b, "abc", 3);
	b[3] = 0x80;
	b[63] = 0x18;
	sha1_block(h1, b);
	for (int i = 0; i < 5; i++)
		out[4 * i] = (uint8_t)(h1[i] >> 24), out[4 * i + 1] = (uint8_t)(h1[i] >> 16),
		out[4 * i + 2] = (uint8_t)(h1[i] >> 8), out[4 * i + 3] = (uint8_t)h1[i];
	ck_assert_mem_eq(out, abc1, 20);
}
END_TEST

/* The card pulled at APDU i of a PSO HASH signature: CARD_REMOVED at once, no
 * further command, sig and sig_len untouched. */
START_TEST(sig_card_pulled_at_every_apdu)
{
	struct step ops[6];
	uint8_t sig[256];
	size_t sl = sizeof(sig);
	struct run r;

	fill_msg();
	hash_ops(ops, 1, 200);
	ops[_i].resp = NULL;
	ops[_i].rv = STC_ERR_CARD_REMOVED;
	start(&r, ops, (size_t)_i + 1);
	memset(sig, 0xAA, sizeof(sig));
	ck_assert_int_eq(stc_token_sign(r.tok, H_SIG, STC_HASH_SHA256, msg, 200, sig, &sl),
			 STC_ERR_CARD_REMOVED);
	ck_assert_uint_eq(sl, sizeof(sig));
	for (size_t i = 0; i < sizeof(sig); i++)
		ck_assert_uint_eq(sig[i], 0xAA);
	finish(&r);
}
END_TEST

/* The same for INTERNAL AUTHENTICATE (4 APDUs). */
START_TEST(auth_card_pulled_at_every_apdu)
{
	uint8_t di[64], sig[256];
	size_t n = digest_info(1, di), sl = sizeof(sig);
	struct step ops[] = {
		{ SEL_CPS, OK, STC_OK }, { MSE_AT, OK, STC_OK },
		{ hx("00 88 00 00 33", di, n, ""), MORE, STC_OK },
		{ GET_RESP, sig_answer(), STC_OK },
	};
	struct run r;

	ops[_i].resp = NULL;
	ops[_i].rv = STC_ERR_CARD_REMOVED;
	start(&r, ops, (size_t)_i + 1);
	memset(sig, 0xAA, sizeof(sig));
	ck_assert_int_eq(stc_token_sign(r.tok, H_AUT, STC_HASH_NONE, di, n, sig, &sl),
			 STC_ERR_CARD_REMOVED);
	ck_assert_uint_eq(sl, sizeof(sig));
	for (size_t i = 0; i < sizeof(sig); i++)
		ck_assert_uint_eq(sig[i], 0xAA);
	finish(&r);
}
END_TEST

/* 69 82 at PSO CDS (no PIN): SECURITY_STATUS, no retry, nothing written */
START_TEST(sig_security_status)
{
	struct step ops[6];
	uint8_t sig[256];
	size_t sl = sizeof(sig);
	struct run r;

	fill_msg();
	hash_ops(ops, 1, 65);
	ops[4].resp = "69 82";
	start(&r, ops, 5);
	memset(sig, 0xAA, sizeof(sig));
	ck_assert_int_eq(stc_token_sign(r.tok, H_SIG, STC_HASH_SHA256, msg, 65, sig, &sl),
			 STC_ERR_SECURITY_STATUS);
	ck_assert_uint_eq(sl, sizeof(sig));
	ck_assert_uint_eq(sig[0], 0xAA);
	finish(&r);
}
END_TEST

/* a short signature is left-padded; a long one is a protocol error */
START_TEST(sig_answer_lengths)
{
	uint8_t sig[256];
	size_t sl = sizeof(sig);
	struct step ops[] = {
		{ SEL_CPS, OK, STC_OK }, { MSE_DST256, OK, STC_OK },
		{ hx("00 2A 9E 9A 20", abc256, 32, ""), "61 02", STC_OK },
		{ "00 C0 00 00 02", "12 34 90 00", STC_OK },
		{ SEL_CPS, OK, STC_OK }, { MSE_DST256, OK, STC_OK },
		{ hx("00 2A 9E 9A 20", abc256, 32, ""), "90 00", STC_OK },
	};
	struct run r;

	start(&r, ops, 7);
	ck_assert_int_eq(stc_token_sign(r.tok, H_SIG, STC_HASH_NONE, abc256, 32, sig, &sl), STC_OK);
	ck_assert_uint_eq(sl, 256);
	for (size_t i = 0; i < 254; i++)
		ck_assert_uint_eq(sig[i], 0);
	ck_assert_uint_eq(sig[254], 0x12);
	ck_assert_uint_eq(sig[255], 0x34);
	/* no signature at all */
	ck_assert_int_eq(stc_token_sign(r.tok, H_SIG, STC_HASH_NONE, abc256, 32, sig, &sl),
			 STC_ERR_PROTOCOL);
	finish(&r);
}
END_TEST

/* -------------------------------------------------- decipher, random */

START_TEST(decipher_chained)
{
	uint8_t cg[256], out[256];
	size_t ol = sizeof(out);
	char last[40];
	struct step ops[5];
	struct run r;

	for (size_t i = 0; i < sizeof(cg); i++)
		cg[i] = (uint8_t)(0xC0 + i);
	sprintf(last, "00 2A 80 86 02 %02X %02X", cg[254], cg[255]);
	ops[0] = (struct step){ SEL_CPS, OK, STC_OK };
	ops[1] = (struct step){ MSE_CT, OK, STC_OK };
	ops[2] = (struct step){ hx("10 2A 80 86 FF 81", cg, 254, ""), OK, STC_OK };
	ops[3] = (struct step){ last, "61 03", STC_OK };
	ops[4] = (struct step){ "00 C0 00 00 03", "61 62 63 90 00", STC_OK };
	start(&r, ops, 5);
	/* wrong lengths, before anything is sent */
	ck_assert_int_eq(stc_token_decipher(r.tok, H_AUT, cg, 255, out, &ol), STC_ERR_INVALID_ARGS);
	ck_assert_int_eq(stc_token_decipher(r.tok, H_AUT, cg, 128, out, &ol), STC_ERR_INVALID_ARGS);
	ck_assert_uint_eq(r.c.next, LISTING_N);
	ck_assert_int_eq(stc_token_decipher(r.tok, H_AUT, cg, 256, out, &ol), STC_OK);
	ck_assert_uint_eq(ol, 3);
	ck_assert_mem_eq(out, "abc", 3);
	/* too small for the plaintext */
	r.c.next = LISTING_N;
	ol = 2;
	ck_assert_int_eq(stc_token_decipher(r.tok, H_AUT, cg, 256, out, &ol),
			 STC_ERR_BUFFER_TOO_SMALL);
	ck_assert_uint_eq(ol, 2);
	finish(&r);
}
END_TEST

START_TEST(random_by_eight)
{
	uint8_t out[20];
	struct step ops[] = {
		{ "00 84 00 00 08", "01 02 03 04 05 06 07 08 90 00", STC_OK },
		{ "00 84 00 00 08", "11 12 13 14 15 16 17 18 90 00", STC_OK },
		{ "00 84 00 00 08", "21 22 23 24 25 26 27 28 90 00", STC_OK },
		{ "00 84 00 00 08", NULL, STC_ERR_CARD_REMOVED },
	};
	static const uint8_t want[20] = { 1, 2, 3, 4, 5, 6, 7, 8, 0x11, 0x12, 0x13, 0x14, 0x15,
					  0x16, 0x17, 0x18, 0x21, 0x22, 0x23, 0x24 };
	struct run r;

	start(&r, ops, 4);
	ck_assert_int_eq(stc_token_random(r.tok, out, 20), STC_OK);
	ck_assert_mem_eq(out, want, 20);
	ck_assert_int_eq(stc_token_random(r.tok, out, 0), STC_OK);
	memset(out, 0xAA, sizeof(out));
	ck_assert_int_eq(stc_token_random(r.tok, out, 4), STC_ERR_CARD_REMOVED);
	ck_assert_uint_eq(out[0], 0xAA);
	finish(&r);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cps_crypto");
	TCase *tc = tcase_create("auth");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, auth_key_digestinfo);
	tcase_add_loop_test(tc, auth_key_host_hash, 0, 2);
	tcase_add_test(tc, auth_key_40_percent);
	tcase_add_test(tc, auth_key_security_status);
	tcase_add_loop_test(tc, auth_card_pulled_at_every_apdu, 0, 4);
	suite_add_tcase(s, tc);
	tc = tcase_create("signature");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_sha_code_is_right);
	tcase_add_test(tc, pso_hash_empty_bytes);
	tcase_add_loop_test(tc, sig_key_bare_hash_and_digestinfo, 0, 4);
	tcase_add_test(tc, sig_key_bad_input);
	tcase_add_loop_test(tc, sig_key_pso_hash, 0, 2 * NLENS);
	tcase_add_loop_test(tc, sig_card_pulled_at_every_apdu, 0, 6);
	tcase_add_test(tc, sig_security_status);
	tcase_add_test(tc, sig_answer_lengths);
	suite_add_tcase(s, tc);
	tc = tcase_create("decipher");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, decipher_chained);
	tcase_add_test(tc, random_by_eight);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	/* the scripts are the card's APDUs without the public-object cache */
	setenv("STC_NO_CACHE", "1", 1);
	return run_suite(suite());
}
