/* cps3.c - the simulated CPS3 (IAS-ECC) card, contact and contactless, on the
 * card OS (firmware/card/cardos.h). Facts: reference/cards.md §1; what OpenSC
 * needs: reference/opensc-cpx.md §10; choices for the unknowns:
 * docs/SIMULATOR-CPS.md; profile keys: firmware/cps/profile_keys.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "card/cardos.h"
#include "cps/cps3.h"
#include "cps/der.h"
#include "cps/profile_keys.h"
#include "cps/shacore.h"
#include "profile.h"

static const uint8_t atr_contact[] = { 0x3B, 0xAC, 0x00, 0x40, 0x2A, 0x00, 0x12, 0x25, 0x00,
				       0x64, 0x80, 0x00, 0x03, 0x10, 0x00, 0x90, 0x00 };
static const uint8_t atr_cl[] = { 0x3B, 0x8F, 0x80, 0x01, 0x00, 0x31, 0xB8, 0x64, 0x04, 0xB0,
				  0xEC, 0xC1, 0x73, 0x94, 0x01, 0x80, 0x82, 0x90, 0x00, 0x0E };
static const uint8_t aid10[] = { 0xE8, 0x28, 0xBD, 0x08, 0x0F, 0x80, 0x25, 0x00, 0x00,
				 0x01, 0xFF, 0x00, 0x10 };
static const uint8_t aid20[] = { 0xE8, 0x28, 0xBD, 0x08, 0x0F, 0x80, 0x25, 0x00, 0x00,
				 0x01, 0xFF, 0x00, 0x20 };
static const uint8_t root_aid[] = { 0x80, 0x25, 0x00, 0x00, 0x01, 0xFF, 0x01, 0x00 };
/* EF.ATR, exactly as read from a CPS3 (cards.md §1.4). */
static const uint8_t ef_atr[57] = {
	0x80, 0x43, 0x01, 0xB8, 0x46, 0x04, 0x04, 0xB0, 0xEC, 0xC1, 0x47, 0x03, 0x94, 0x01, 0x80,
	0x4F, 0x08, 0x80, 0x25, 0x00, 0x00, 0x01, 0xFF, 0x01, 0x00, 0xE0, 0x10, 0x02, 0x02, 0x01,
	0x04, 0x02, 0x02, 0x01, 0x04, 0x02, 0x02, 0x01, 0x00, 0x02, 0x02, 0x01, 0x00, 0x78, 0x08,
	0x06, 0x06, 0x2B, 0x81, 0x22, 0xF8, 0x78, 0x02, 0x82, 0x02, 0x90, 0x00
};
/* FCP ACL bytes of the real EF.DIR / EF.ATR (UPDATE and DELETE under SM). */
static const uint8_t acl_dir[] = { 0x7B, 0x45, 0xFF, 0xFF, 0xFF, 0x45, 0x00 };
static const uint8_t acl_read[] = { 0x7B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00 };
/* READ under user authentication (SE 2): shown for PIN-protected files. */
static const uint8_t acl_read_user[] = { 0x7B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x12 };
static const uint8_t acl_read_never[] = { 0x7B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
static const uint8_t acl_chv_pin[] = { 0xF3, 0x00, 0x00, 0x13, 0xFF, 0x00 };
static const uint8_t acl_chv_puk[] = { 0xF3, 0xFF, 0x00, 0xFF, 0xFF, 0x00 };

#define SC_USER 0x12	/* SC byte "user authentication" in key DOCPs */
#define OP_CDS 1u
#define OP_IA 2u
#define OP_DEC 4u
#define RSA_WORK_US 250000ul

struct cps_key {
	uint8_t ref;		/* PKCS#15 keyReference (0x80 | SDO ref) */
	struct cos_file *df;
	EVP_PKEY *pk;
	unsigned ops;
	uint16_t ac;
	uint8_t acl[7];		/* DOCP 8C: AM 7B + CDS IA DEC GEN PUT GET */
};

struct cps3 {
	struct cos *os;
	bool contactless;
	bool cps2ter;
	int verbose;
	struct cps_key keys[2];
	size_t n_keys;
	/* PSO HASH result, for PSO CDS */
	uint8_t hash[32];
	size_t hash_len;
	unsigned long work_us;
	/* CPS2ter volet: current file (by FID) */
	struct cos_file *c2_cur;
};

/* "cps3: " + the parts, concatenated, on stderr. */
static void errmsg(const char *a, const char *b, const char *c)
{
	fprintf(stderr, "cps3: %s%s%s\n", a, b, c);
}

/* ------------------------------------------------------------------ helpers */

static struct cps3 *card_of(struct cos *c)
{
	return c->user;
}

static struct cps_key *find_key(struct cps3 *k, uint8_t ref)
{
	for (size_t i = 0; i < k->n_keys; i++)
		if (k->keys[i].ref == ref)
			return &k->keys[i];
	return NULL;
}

static size_t rsa_bytes(EVP_PKEY *pk)
{
	return (size_t)EVP_PKEY_get_size(pk);
}

/* RSA with PKCS#1 v1.5 type 1 padding over data (md NULL: data as given;
 * else data is a hash of md and the DigestInfo is built). */
static uint16_t rsa_sign(struct cps3 *k, EVP_PKEY *pk, const EVP_MD *md, const uint8_t *data,
			 size_t n, struct cos_resp *r)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pk, NULL);
	uint8_t sig[512];
	size_t siglen = sizeof(sig);
	uint16_t sw = COS_SW_NO_PRECISE;

	if (ctx && EVP_PKEY_sign_init(ctx) == 1 &&
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
	    (!md || EVP_PKEY_CTX_set_signature_md(ctx, md) == 1) &&
	    EVP_PKEY_sign(ctx, sig, &siglen, data, n) == 1 && cos_resp_put(r, sig, siglen)) {
		sw = COS_SW_OK;
		k->work_us = RSA_WORK_US;
	}
	EVP_PKEY_CTX_free(ctx);
	return sw;
}

/* ------------------------------------------------------------------ commands */

/* GET DATA 00 CB 3F FF: SDO DOCPs (CHV, RSA private keys, SE). */
static uint16_t cmd_get_data(struct cos *c, const struct cos_apdu *a, struct cos_resp *r)
{
	struct cps3 *k = card_of(c);
	const uint8_t *d = a->data;
	struct der x = { .len = 0 };
	size_t m70, msdo, ma0, ma1;
	uint8_t cls, ref, first;

	if (a->p1 != 0x3F || a->p2 != 0xFF)
		return COS_SW_WRONG_P1P2;
	/* 4D L 70 L BF cc rr L <tag list> */
	if (a->lc < 9 || d[0] != 0x4D || d[1] != a->lc - 2 || d[2] != 0x70 || d[3] != a->lc - 4 ||
	    d[4] != 0xBF || d[7] != a->lc - 8)
		return COS_SW_WRONG_DATA;
	cls = d[5];
	ref = d[6];
	first = d[8];
	switch (cls) {
	case 0x81: {	/* CHV */
		struct cos_chv *h = cos_find_chv(c, ref);

		if (c->cur_df != c->mf || !h)
			return COS_SW_REF_NOT_FOUND;
		if (first != 0xA0)
			return COS_SW_WRONG_P1P2;	/* 7F41: "incorrect parameters" */
		m70 = der_open(&x, 0x70);
		msdo = der_open(&x, 0xBF8100u | ref);
		ma0 = der_open(&x, 0xA0);
		der_prim(&x, 0x9A, &h->max_tries, 1);
		der_prim(&x, 0x9B, &h->tries_left, 1);
		if (h->has_usage) {
			uint8_t u[2] = { (uint8_t)(h->usage_left >> 8), (uint8_t)h->usage_left };

			der_prim(&x, 0x9D, u, 2);
		}
		ma1 = der_open(&x, 0xA1);
		if (h->has_usage)
			der_prim(&x, 0x8C, acl_chv_puk, sizeof(acl_chv_puk));
		else
			der_prim(&x, 0x8C, acl_chv_pin, sizeof(acl_chv_pin));
		break;
	}
	case 0x90: {	/* RSA private key, with its DF current */
		struct cps_key *key = find_key(k, (uint8_t)(0x80 | ref));
		static const uint8_t size[2] = { 0x01, 0x00 };

		if (!key || key->df != c->cur_df)
			return COS_SW_REF_NOT_FOUND;
		if (first != 0xA0)
			return COS_SW_WRONG_P1P2;	/* 7F48 */
		m70 = der_open(&x, 0x70);
		msdo = der_open(&x, 0xBF9000u | ref);
		ma0 = der_open(&x, 0xA0);
		if (rsa_bytes(key->pk) == 256)
			der_prim(&x, 0x80, size, 2);
		else {
			uint8_t s[2] = { (uint8_t)(rsa_bytes(key->pk) >> 8), (uint8_t)rsa_bytes(key->pk) };

			der_prim(&x, 0x80, s, 2);
		}
		ma1 = der_open(&x, 0xA1);
		der_prim(&x, 0x8C, key->acl, sizeof(key->acl));
		break;
	}
	case 0xFB: {	/* SE: only with the MF current, as the real card */
		static const uint8_t crt[] = { 0xA4, 0x06, 0x83, 0x01, 0x01, 0x95, 0x01, 0x08 };

		if (c->cur_df != c->mf || first != 0x7B)
			return COS_SW_REF_NOT_FOUND;
		m70 = der_open(&x, 0x70);
		msdo = der_open(&x, 0xBFFB00u | ref);
		ma0 = der_open(&x, 0x7B);
		der_raw(&x, crt, sizeof(crt));
		ma1 = x.len;
		break;
	}
	default:
		return COS_SW_REF_NOT_FOUND;
	}
	if (ma1 != x.len || cls != 0xFB)
		der_close(&x, ma1);
	der_close(&x, ma0);
	der_close(&x, msdo);
	der_close(&x, m70);
	if (x.err || !cos_resp_put(r, x.buf, x.len))
		return COS_SW_NO_PRECISE;
	return COS_SW_OK;
}

/* The key named by an SE template, with the operation and access checks. */
static uint16_t use_key(struct cos *c, enum cos_se_tmpl t, unsigned op, struct cps_key **out)
{
	struct cps3 *k = card_of(c);
	struct cps_key *key;

	if (!c->se[t].has_key)
		return COS_SW_CONDITIONS;
	key = find_key(k, c->se[t].key_ref);
	if (!key)
		return COS_SW_REF_NOT_FOUND;
	if (!(key->ops & op))
		return COS_SW_CONDITIONS;
	if (!cos_ac_ok(c, key->ac))
		return COS_SW_SECURITY;
	*out = key;
	return COS_SW_OK;
}

static uint16_t pso_hash(struct cos *c, const struct cos_apdu *a)
{
	struct cps3 *k = card_of(c);
	struct shacore s;
	const uint8_t *state = NULL, *tail = NULL;
	size_t state_len = 0, tail_len = 0, hlen;
	bool have_state = false, have_tail = false, sha256;
	uint64_t bits = 0;

	k->hash_len = 0;
	if (!c->se[COS_SE_HT].has_alg)
		return COS_SW_CONDITIONS;
	if (c->se[COS_SE_HT].alg == 0x10)
		sha256 = false;
	else if (c->se[COS_SE_HT].alg == 0x40)
		sha256 = true;
	else
		return COS_SW_CONDITIONS;
	hlen = sha256 ? 32 : 20;
	for (size_t i = 0; i < a->lc;) {
		uint8_t tag = a->data[i];
		size_t len, hdr = 2;

		if (a->lc - i < 2)
			return COS_SW_WRONG_DATA;
		len = a->data[i + 1];
		if (len == 0x81) {
			if (a->lc - i < 3)
				return COS_SW_WRONG_DATA;
			len = a->data[i + 2];
			hdr = 3;
		} else if (len > 0x80) {
			return COS_SW_WRONG_DATA;
		}
		if (len > a->lc - i - hdr)
			return COS_SW_WRONG_DATA;
		if (tag == 0x90 && !have_state) {
			have_state = true;
			state = a->data + i + hdr;
			state_len = len;
		} else if (tag == 0x80 && !have_tail) {
			have_tail = true;
			tail = a->data + i + hdr;
			tail_len = len;
		} else {
			return COS_SW_WRONG_DATA;
		}
		i += hdr + len;
	}
	if (!have_tail)
		return COS_SW_WRONG_DATA;
	if (!have_state || state_len == 0) {
		shacore_init(&s, sha256);
	} else {
		if (state_len != hlen + 8)
			return COS_SW_WRONG_DATA;
		for (size_t j = 0; j < 8; j++)
			bits = bits << 8 | state[hlen + j];
		if (!shacore_load(&s, sha256, state, hlen, bits))
			return COS_SW_WRONG_DATA;
	}
	shacore_update(&s, tail, tail_len);
	k->hash_len = shacore_final(&s, k->hash);
	return COS_SW_OK;
}

static uint16_t pso_cds(struct cos *c, const struct cos_apdu *a, struct cos_resp *r)
{
	struct cps3 *k = card_of(c);
	struct cps_key *key;
	const EVP_MD *md;
	const uint8_t *h;
	size_t hlen;
	uint16_t sw = use_key(c, COS_SE_DST, OP_CDS, &key);

	if (sw != COS_SW_OK)
		return sw;
	if (!c->se[COS_SE_DST].has_alg)
		return COS_SW_CONDITIONS;
	if (c->se[COS_SE_DST].alg == 0x12)
		md = EVP_sha1(), hlen = 20;
	else if (c->se[COS_SE_DST].alg == 0x42)
		md = EVP_sha256(), hlen = 32;
	else
		return COS_SW_CONDITIONS;
	if (a->lc == 0) {
		if (k->hash_len != hlen)
			return COS_SW_CONDITIONS;	/* no PSO HASH of this algorithm */
		h = k->hash;
	} else {
		if (a->lc != hlen)
			return COS_SW_WRONG_LENGTH;
		h = a->data;
	}
	sw = rsa_sign(k, key->pk, md, h, hlen, r);
	k->hash_len = 0;
	return sw;
}

static uint16_t pso_decipher(struct cos *c, const struct cos_apdu *a, struct cos_resp *r)
{
	struct cps3 *k = card_of(c);
	struct cps_key *key;
	EVP_PKEY_CTX *ctx;
	uint8_t out[512];
	size_t outlen = sizeof(out);
	uint16_t sw = use_key(c, COS_SE_CT, OP_DEC, &key);

	if (sw != COS_SW_OK)
		return sw;
	if (a->lc < 1 || a->data[0] != 0x81)
		return COS_SW_WRONG_DATA;
	if (a->lc - 1 != rsa_bytes(key->pk))
		return COS_SW_WRONG_LENGTH;
	ctx = EVP_PKEY_CTX_new(key->pk, NULL);
	sw = COS_SW_WRONG_DATA;
	if (ctx && EVP_PKEY_decrypt_init(ctx) == 1 &&
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
	    EVP_PKEY_decrypt(ctx, out, &outlen, a->data + 1, a->lc - 1) == 1) {
		sw = cos_resp_put(r, out, outlen) ? COS_SW_OK : COS_SW_NO_PRECISE;
		k->work_us = RSA_WORK_US;
	}
	OPENSSL_cleanse(out, sizeof(out));
	EVP_PKEY_CTX_free(ctx);
	return sw;
}

/* PSO 00 2A: HASH (90 A0), CDS (9E 9A), DECIPHER (80 86). */
static uint16_t cmd_pso(struct cos *c, const struct cos_apdu *a, struct cos_resp *r)
{
	if (a->p1 == 0x90 && a->p2 == 0xA0)
		return pso_hash(c, a);
	if (a->p1 == 0x9E && a->p2 == 0x9A)
		return pso_cds(c, a, r);
	if (a->p1 == 0x80 && a->p2 == 0x86)
		return pso_decipher(c, a, r);
	return COS_SW_WRONG_P1P2;
}

/* INTERNAL AUTHENTICATE 00 88 00 00: PKCS#1 type 1 signature of the data. */
static uint16_t cmd_int_auth(struct cos *c, const struct cos_apdu *a, struct cos_resp *r)
{
	struct cps_key *key;
	uint16_t sw;

	if (a->p1 || a->p2)
		return COS_SW_WRONG_P1P2;
	sw = use_key(c, COS_SE_AT, OP_IA, &key);
	if (sw != COS_SW_OK)
		return sw;
	/* the data may be at most 40% of the modulus (cards.md §1.7h) */
	if (a->lc == 0 || a->lc * 10 > rsa_bytes(key->pk) * 4)
		return COS_SW_WRONG_LENGTH;
	return rsa_sign(card_of(c), key->pk, NULL, a->data, a->lc, r);
}

/* --- CPS2ter volet (CLA A0): SELECT by FID -> 9F xx, FCI 85 via GET RESPONSE. */
static uint16_t c2_select(struct cos *c, const struct cos_apdu *a, struct cos_resp *r)
{
	struct cps3 *k = card_of(c);
	struct cos_file *f, *from;
	uint16_t fid;
	uint8_t fci[9];

	if (a->p1 || a->p2)
		return COS_SW_WRONG_P1P2;
	if (a->lc != 2)
		return COS_SW_WRONG_LENGTH;
	fid = (uint16_t)(a->data[0] << 8 | a->data[1]);
	from = k->c2_cur ? (k->c2_cur->is_df ? k->c2_cur : k->c2_cur->parent) : c->mf;
	if (fid == 0x3F00)
		f = c->mf;
	else if (!(f = cos_child(from, fid)) && from->parent)
		f = cos_child(from->parent, fid);
	/* only the CPS2ter files: 4010..401F, 7F01 and below */
	if (!f || (f != c->mf && !((f->fid & 0xFFF0) == 0x4010 || f->fid == 0x7F01 ||
				   (f->parent && f->parent->fid == 0x7F01))))
		return 0x9404;
	k->c2_cur = f;
	fci[0] = 0x85, fci[1] = 7;
	fci[2] = (uint8_t)(f->size >> 8), fci[3] = (uint8_t)f->size;
	fci[4] = (uint8_t)(f->fid >> 8), fci[5] = (uint8_t)f->fid;
	fci[6] = f == c->mf ? 1 : f->is_df ? 2 : 4;
	fci[7] = 0, fci[8] = 0;
	cos_resp_put(r, fci, sizeof(fci));
	return 0x9F00;
}

static uint16_t c2_read(struct cos *c, const struct cos_apdu *a, struct cos_resp *r)
{
	struct cps3 *k = card_of(c);
	size_t off = (size_t)a->p1 << 8 | a->p2, n;

	if (a->lc || !a->has_le)
		return COS_SW_WRONG_LENGTH;
	if (!k->c2_cur || k->c2_cur->is_df)
		return 0x9400;
	if (!cos_ac_ok(c, k->c2_cur->read_ac[c->contactless]))
		return 0x9804;
	if (off > k->c2_cur->size)
		return 0x6B00;
	n = k->c2_cur->size - off;
	if (n < a->ne)
		return (uint16_t)(0x6700);
	cos_resp_put(r, k->c2_cur->data + off, a->ne);
	return COS_SW_OK;
}

static const struct cos_command cps3_commands[] = {
	{ 0x00, 0xFF, 0xA4, 0, cos_cmd_select },
	{ 0x00, 0xFF, 0xB0, COS_F_DIRECT, cos_cmd_read_binary },
	{ 0x00, 0xFF, 0xD6, 0, cos_cmd_update_binary },
	{ 0x00, 0xFF, 0x20, 0, cos_cmd_verify },
	{ 0x00, 0xFF, 0x24, 0, cos_cmd_change },
	{ 0x00, 0xFF, 0x2C, 0, cos_cmd_reset_retry },
	{ 0x00, 0xFF, 0x22, 0, cos_cmd_mse },
	{ 0x00, 0xFF, 0x84, COS_F_DIRECT, cos_cmd_get_challenge },
	{ 0x00, 0xFF, 0xCB, 0, cmd_get_data },
	{ 0x00, 0xFF, 0x2A, COS_F_CHAIN, cmd_pso },
	{ 0x00, 0xFF, 0x88, 0, cmd_int_auth },
	/* CPS2ter volet */
	{ 0xA0, 0xFF, 0xA4, 0, c2_select },
	{ 0xA0, 0xFF, 0xB0, COS_F_DIRECT, c2_read },
};

/* ------------------------------------------------------------------ PKCS#15 */

struct files {
	uint16_t prkdf, cdf, aodf, dodf, cert_auth, cert_sign, cert_tech;
};

static void path_abs(struct der *x, uint16_t df, uint16_t fid)
{
	uint8_t p[6] = { 0x3F, 0x00, (uint8_t)(df >> 8), (uint8_t)df, (uint8_t)(fid >> 8), (uint8_t)fid };
	size_t m = der_open(x, 0x30);

	der_prim(x, 0x04, p, sizeof(p));
	der_close(x, m);
}

static void odf_entry(struct der *x, uint32_t tag, uint16_t df, uint16_t fid)
{
	size_t m = der_open(x, tag);

	path_abs(x, df, fid);
	der_close(x, m);
}

static void tokeninfo(struct der *x, const uint8_t *serial8, const char *label)
{
	static const unsigned flags[] = { 0, 1 };	/* readOnly, loginRequired */
	static const struct {
		unsigned ref, mech, op;
		uint8_t oid[10];
		size_t oid_len;
		unsigned alg;
	} algs[] = {
		{ 1, 0x220, 6, { 0x2B, 0x0E, 0x03, 0x02, 0x1A }, 5, 0x10 },
		{ 2, 0x250, 6, { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01 }, 9, 0x40 },
		{ 3, 0x06, 1, { 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x05 }, 9, 0x12 },
		{ 4, 0x40, 1, { 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B }, 9, 0x42 },
		{ 5, 0x01, 1, { 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01 }, 9, 0x02 },
		{ 6, 0x01, 5, { 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01 }, 9, 0x1A },
	};
	size_t m = der_open(x, 0x30), ma;

	der_uint(x, 0x02, 0);
	der_prim(x, 0x04, serial8, 8);
	der_str(x, 0x0C, "ASIP SANTE");
	der_str(x, 0x80, label);
	der_bits(x, flags, 2);
	ma = der_open(x, 0xA2);
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		size_t s = der_open(x, 0x30);

		der_uint(x, 0x02, algs[i].ref);
		der_uint(x, 0x02, algs[i].mech);
		der_prim(x, 0x05, NULL, 0);
		der_bits(x, &algs[i].op, 1);
		der_prim(x, 0x06, algs[i].oid, algs[i].oid_len);
		der_uint(x, 0x02, algs[i].alg);
		der_close(x, s);
	}
	der_close(x, ma);
	der_close(x, m);
}

static void common_obj(struct der *x, const char *label, bool private_, bool modifiable,
		       int auth_id)
{
	size_t m = der_open(x, 0x30);
	unsigned fl[2];
	size_t nfl = 0;

	der_str(x, 0x0C, label);
	if (private_)
		fl[nfl++] = 0;
	if (modifiable)
		fl[nfl++] = 1;
	if (nfl)
		der_bits(x, fl, nfl);
	if (auth_id > 0) {
		uint8_t id = (uint8_t)auth_id;

		der_prim(x, 0x04, &id, 1);
	}
	der_close(x, m);
}

static void prkdf_entry(struct der *x, const char *label, const uint8_t *aid, uint8_t idlast,
			const unsigned *usage, size_t nusage, bool modifiable, uint8_t keyref,
			int auth_id, size_t modbits)
{
	static const unsigned access[] = { 0, 2, 3 };	/* sensitive, alwaysSensitive, neverExtract */
	static const uint8_t t = 0xFF;
	uint8_t id[14];
	size_t m = der_open(x, 0x30), s, a1, s2, p;

	common_obj(x, label, true, modifiable, auth_id);
	memcpy(id, aid, 13);
	id[13] = idlast;
	s = der_open(x, 0x30);
	der_prim(x, 0x04, id, sizeof(id));
	der_bits(x, usage, nusage);
	der_prim(x, 0x01, &t, 1);
	der_bits(x, access, 3);
	der_uint(x, 0x02, keyref);
	der_close(x, s);
	a1 = der_open(x, 0xA1);
	s2 = der_open(x, 0x30);
	p = der_open(x, 0x30);	/* Path: aid only (the key's application) */
	der_prim(x, 0x04, NULL, 0);
	der_prim(x, 0x4F, aid, 13);
	der_close(x, p);
	der_uint(x, 0x02, modbits);
	der_close(x, s2);
	der_close(x, a1);
	der_close(x, m);
}

static void cdf_entry(struct der *x, const char *label, const uint8_t *aid, uint8_t idlast,
		      uint16_t df, uint16_t fid)
{
	uint8_t id[14];
	size_t m = der_open(x, 0x30), s, a1, s2;

	common_obj(x, label, false, false, 0);
	memcpy(id, aid, 13);
	id[13] = idlast;
	s = der_open(x, 0x30);
	der_prim(x, 0x04, id, sizeof(id));
	der_close(x, s);
	a1 = der_open(x, 0xA1);
	s2 = der_open(x, 0x30);
	path_abs(x, df, fid);
	der_close(x, s2);
	der_close(x, a1);
	der_close(x, m);
}

static void aodf_entry(struct der *x, const char *label, uint8_t id, int auth_id,
		       const unsigned *flags, size_t nflags, uint8_t ref, size_t minl, size_t maxl)
{
	size_t m = der_open(x, 0x30), s, a1, s2;

	common_obj(x, label, false, false, auth_id);
	s = der_open(x, 0x30);
	der_prim(x, 0x04, &id, 1);
	der_close(x, s);
	a1 = der_open(x, 0xA1);
	s2 = der_open(x, 0x30);
	der_bits(x, flags, nflags);
	der_uint(x, 0x0A, 1);	/* ascii-numeric */
	der_uint(x, 0x02, minl);
	der_uint(x, 0x02, maxl);	/* storedLength */
	der_uint(x, 0x02, maxl);	/* maxLength */
	der_uint(x, 0x80, ref);
	der_close(x, s2);
	der_close(x, a1);
	der_close(x, m);
}

static void dodf_entry(struct der *x, const char *label, bool pin, uint16_t df, uint16_t fid)
{
	size_t m = der_open(x, 0x30), s, a1;

	common_obj(x, label, pin, false, pin ? 1 : 0);
	s = der_open(x, 0x30);
	der_str(x, 0x0C, "CPS");
	der_close(x, s);
	a1 = der_open(x, 0xA1);
	path_abs(x, df, fid);
	der_close(x, a1);
	der_close(x, m);
}

/* ------------------------------------------------------------------ personalisation */

struct perso {
	const struct sim_profile *p;
	const char *name;
	bool ok;
};

static const char *pstr(struct perso *ps, const char *key, const char *def)
{
	return ps->p ? sim_profile_str(ps->p, key, def) : def;
}

static long pint(struct perso *ps, const char *key, long min, long max, long def)
{
	long v = def;

	if (ps->p && !sim_profile_int(ps->p, key, min, max, def, &v)) {
		errmsg("profile key ", key, ": not an integer in its range (firmware/cps/profile_keys.h)");
		ps->ok = false;
	}
	return v;
}

static bool digits_ok(const char *s, size_t minl, size_t maxl)
{
	size_t n = strlen(s);

	if (n < minl || n > maxl)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static uint8_t *read_file(const char *dir, const char *name, size_t *len)
{
	char path[4096];
	FILE *f;
	uint8_t *buf = NULL;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f) {
		errmsg("cannot open ", path, "");
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && n < 65536 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)n;
	}
	fclose(f);
	if (!buf)
		errmsg("cannot read ", path, "");
	return buf;
}

static EVP_PKEY *read_key(const char *dir, const char *name)
{
	char path[4096];
	FILE *f;
	EVP_PKEY *pk;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f) {
		errmsg("cannot open ", path, "");
		return NULL;
	}
	pk = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!pk || EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA) {
		errmsg(path, ": not an RSA private key in PEM", "");
		EVP_PKEY_free(pk);
		return NULL;
	}
	return pk;
}

static bool add_ef_der(struct cos *os, struct cos_file *df, uint16_t fid, const struct der *x)
{
	return !x->err && cos_add_ef(os, df, fid, 0, x->buf, x->len) != NULL;
}

static bool add_cert(struct cos *os, struct cos_file *df, uint16_t fid, const char *dir,
		     const char *name)
{
	size_t n = 0;
	uint8_t *d = read_file(dir, name, &n);
	bool ok = d && cos_add_ef(os, df, fid, 0, d, n) != NULL;

	free(d);
	return ok;
}

static void set_pin_protected(struct cos_file *f)
{
	f->read_ac[0] = COS_AC_CHV(1);
	f->read_ac[1] = COS_AC_NEVER;
	cos_file_set_acl(f, acl_read_user, sizeof(acl_read_user), acl_read_never,
			 sizeof(acl_read_never));
}

static void dir_record(struct der *x, const uint8_t *aid, const char *label, uint16_t df)
{
	uint8_t path[4] = { 0x3F, 0x00, (uint8_t)(df >> 8), (uint8_t)df };
	size_t m = der_open(x, 0x61);

	der_prim(x, 0x4F, aid, 13);
	der_str(x, 0x50, label);
	der_prim(x, 0x51, path, sizeof(path));
	der_close(x, m);
}

static bool build_contact_app(struct cps3 *k, struct perso *ps, const struct files *fx,
			      const uint8_t *serial8, const uint8_t *sn, const char *pki)
{
	static const unsigned u_sig[] = { 9 };		/* nonRepudiation */
	static const unsigned u_aut[] = { 1, 2 };	/* decrypt, sign */
	static const unsigned pin_flags[] = { 4 };	/* initialized */
	static const unsigned puk_flags[] = { 4, 6 };	/* initialized, unblockingPin */
	struct cos *os = k->os;
	struct cos_file *df = cos_add_df(os, os->mf, 0x0001, aid10, sizeof(aid10));
	struct der *x = calloc(1, sizeof(*x));
	char idcard_type[] = "CPS3v3";
	bool ok = df && x;
	size_t m;
	struct cos_file *f;
	static const uint8_t mode_byte = 0x01;

	if (!ok)
		goto out;
	/* ODF */
	odf_entry(x, 0xA0, 0x0001, fx->prkdf);
	odf_entry(x, 0xA4, 0x0001, fx->cdf);
	odf_entry(x, 0xA7, 0x0001, fx->dodf);
	odf_entry(x, 0xA8, 0x0001, fx->aodf);
	ok = ok && add_ef_der(os, df, 0x5031, x);
	/* TokenInfo */
	x->len = 0;
	tokeninfo(x, serial8, pstr(ps, "token.label", ps->name));
	ok = ok && add_ef_der(os, df, 0x5032, x);
	/* PrKDF */
	x->len = 0;
	prkdf_entry(x, "CPS_PRIV_SIG", aid10, 0x01, u_sig, 1, false, 0x81, 1, 2048);
	prkdf_entry(x, "CPS_PRIV_AUT", aid10, 0x02, u_aut, 2, true, 0x82, 1, 2048);
	ok = ok && add_ef_der(os, df, fx->prkdf, x);
	/* CDF */
	x->len = 0;
	cdf_entry(x, "Certificat d'Authentification CPS", aid10, 0x02, 0x0001, fx->cert_auth);
	cdf_entry(x, "Certificat de Signature CPS", aid10, 0x01, 0x0001, fx->cert_sign);
	ok = ok && add_ef_der(os, df, fx->cdf, x);
	/* AODF: PIN (protected by the PUK), PUK */
	x->len = 0;
	aodf_entry(x, "Code porteur", 0x01, 2, pin_flags, 1, 0x01, 4, 8);
	aodf_entry(x, "Code de deblocage", 0x02, 0, puk_flags, 2, 0x02, 4, 8);
	ok = ok && add_ef_der(os, df, fx->aodf, x);
	/* DODF */
	x->len = 0;
	dodf_entry(x, "CPS_ID_CARD", false, 0x0001, 0xD101);
	dodf_entry(x, "CPS_NAME_PS", false, 0x0001, 0xD102);
	dodf_entry(x, "CPS_INFO_PS", false, 0x0001, 0xD103);
	dodf_entry(x, "CPS_DATA", false, 0x0001, 0xD107);
	dodf_entry(x, "CPS_ACTIVITY_01_PS", true, 0x0001, 0xD120);
	ok = ok && add_ef_der(os, df, fx->dodf, x);
	/* data objects (content: docs/SIMULATOR-CPS.md) */
	x->len = 0;
	m = der_open(x, 0x30);
	der_str(x, 0x13, idcard_type);
	der_prim(x, 0x04, sn + 2, 10);
	der_str(x, 0x13, pstr(ps, "holder.idnat", "899700000001"));
	der_close(x, m);
	ok = ok && add_ef_der(os, df, 0xD101, x);
	x->len = 0;
	m = der_open(x, 0x30);
	der_str(x, 0x0C, pstr(ps, "holder.surname", "TEST"));
	der_str(x, 0x0C, pstr(ps, "holder.given", "CPS"));
	der_close(x, m);
	ok = ok && add_ef_der(os, df, 0xD102, x);
	x->len = 0;
	m = der_open(x, 0x30);
	der_str(x, 0x13, pstr(ps, "holder.idnat", "899700000001"));
	der_str(x, 0x0C, pstr(ps, "holder.profession", "M\xC3\xA9" "decin"));
	der_close(x, m);
	ok = ok && add_ef_der(os, df, 0xD103, x);
	f = ok ? cos_add_ef(os, df, 0xD107, 0, NULL, 64) : NULL;	/* CPS_DATA, writable after PIN */
	if (f)
		f->update_ac[0] = COS_AC_CHV(1);
	ok = ok && f;
	x->len = 0;
	m = der_open(x, 0x30);
	der_uint(x, 0x02, 1);
	der_str(x, 0x0C, pstr(ps, "holder.profession", "M\xC3\xA9" "decin"));
	der_str(x, 0x13, pstr(ps, "holder.idnat", "899700000001"));
	der_str(x, 0x0C, "CABINET TEST");
	der_close(x, m);
	f = ok && add_ef_der(os, df, 0xD120, x) ? cos_child(df, 0xD120) : NULL;
	if (f)
		set_pin_protected(f);
	ok = ok && f;
	/* 7001: readable in contact mode only */
	f = ok ? cos_add_ef(os, df, 0x7001, 0, &mode_byte, 1) : NULL;
	ok = ok && f;
	/* certificates */
	ok = ok && add_cert(os, df, fx->cert_auth, pki, "auth.crt.der");
	ok = ok && add_cert(os, df, fx->cert_sign, pki, "sign.crt.der");
	if (!ok)
		goto out;
	k->keys[0] = (struct cps_key){ .ref = 0x81, .df = df, .ops = OP_CDS, .ac = COS_AC_CHV(1),
				       .acl = { 0x7B, SC_USER, 0xFF, 0xFF, 0xFF, 0xFF, 0x00 } };
	k->keys[1] = (struct cps_key){ .ref = 0x82, .df = df, .ops = OP_IA | OP_DEC,
				       .ac = COS_AC_CHV(1),
				       .acl = { 0x7B, 0xFF, SC_USER, SC_USER, 0xFF, 0xFF, 0x00 } };
	k->keys[0].pk = read_key(pki, "sign.key.pem");
	k->keys[1].pk = read_key(pki, "auth.key.pem");
	k->n_keys = 2;
	ok = k->keys[0].pk && k->keys[1].pk;
out:
	free(x);
	return ok;
}

static bool build_cl_app(struct cps3 *k, struct perso *ps, const struct files *fx,
			 const uint8_t *serial8, const char *pki)
{
	static const unsigned u_tech[] = { 2 };	/* sign */
	struct cos *os = k->os;
	struct cos_file *df = cos_add_df(os, os->mf, 0x0002, aid20, sizeof(aid20));
	struct cos_file *df1 = cos_add_df(os, os->mf, 0x0001, NULL, 0);	/* no app: no AID */
	struct der *x = calloc(1, sizeof(*x));
	struct cos_file *f;
	static const uint8_t mode_byte = 0x01;
	char label[128];
	bool ok = df && df1 && x;

	if (!ok)
		goto out;
	/* DF 0001 shows only 7001, which cannot be read contactless */
	f = cos_add_ef(os, df1, 0x7001, 0, &mode_byte, 1);
	ok = f != NULL;
	if (f) {
		f->read_ac[1] = COS_AC_NEVER;
		cos_file_set_acl(f, acl_read, sizeof(acl_read), acl_read_never, sizeof(acl_read_never));
	}
	odf_entry(x, 0xA0, 0x0002, fx->prkdf);
	odf_entry(x, 0xA4, 0x0002, fx->cdf);
	ok = ok && add_ef_der(os, df, 0x5031, x);
	x->len = 0;
	snprintf(label, sizeof(label), "%s CL", pstr(ps, "token.label", ps->name));
	tokeninfo(x, serial8, label);
	ok = ok && add_ef_der(os, df, 0x5032, x);
	x->len = 0;
	prkdf_entry(x, "CPS_PRIV_TECH_AUT", aid20, 0x01, u_tech, 1, false, 0x81, 0, 2048);
	ok = ok && add_ef_der(os, df, fx->prkdf, x);
	x->len = 0;
	cdf_entry(x, "Certificat Technique CPS", aid20, 0x01, 0x0002, fx->cert_tech);
	ok = ok && add_ef_der(os, df, fx->cdf, x);
	ok = ok && add_cert(os, df, fx->cert_tech, pki, "tech.crt.der");
	if (!ok)
		goto out;
	k->keys[0] = (struct cps_key){ .ref = 0x81, .df = df, .ops = OP_IA, .ac = COS_AC_ALWAYS,
				       .acl = { 0x7B, 0xFF, 0x00, 0xFF, 0xFF, 0xFF, 0x00 } };
	k->keys[0].pk = read_key(pki, "tech.key.pem");
	k->n_keys = 1;
	ok = k->keys[0].pk != NULL;
out:
	free(x);
	return ok;
}

/* CPS2ter volet: situation files 3F00/4010..401F and 3F00/7F01/4000. */
static bool build_cps2ter(struct cps3 *k, struct perso *ps)
{
	struct cos *os = k->os;
	struct der *x = calloc(1, sizeof(*x));
	struct cos_file *df, *f;
	bool ok = x != NULL;

	for (unsigned i = 0; ok && i < 16; i++) {
		size_t m;

		x->len = 0;
		m = der_open(x, 0x30);
		der_uint(x, 0x02, i + 1);
		if (i == 0) {
			der_str(x, 0x0C, pstr(ps, "holder.profession", "M\xC3\xA9" "decin"));
			der_str(x, 0x0C, "CABINET TEST");
		}
		der_close(x, m);
		f = add_ef_der(os, os->mf, (uint16_t)(0x4010 + i), x) ? cos_child(os->mf, (uint16_t)(0x4010 + i)) : NULL;
		if (f)
			set_pin_protected(f);
		ok = f != NULL;
	}
	df = ok ? cos_add_df(os, os->mf, 0x7F01, NULL, 0) : NULL;
	ok = ok && df;
	if (ok) {
		x->len = 0;
		der_str(x, 0x0C, "SIT FACT TEST");
		f = add_ef_der(os, df, 0x4000, x) ? cos_child(df, 0x4000) : NULL;
		if (f)
			set_pin_protected(f);
		ok = f != NULL;
	}
	free(x);
	return ok;
}

static int hexdig(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

static void cps3_destroy(void *card)
{
	struct cps3 *k = card;

	if (!k)
		return;
	for (size_t i = 0; i < 2; i++)
		EVP_PKEY_free(k->keys[i].pk);
	cos_free(k->os);
	OPENSSL_cleanse(k->hash, sizeof(k->hash));
	free(k);
}

static void *cps3_create(const struct sim_card_config *cfg)
{
	struct cps3 *k = calloc(1, sizeof(*k));
	struct perso ps = { .p = cfg->profile, .ok = true };
	struct files fx;
	const char *serial, *pin, *puk;
	uint8_t sn[12] = { 0x5A, 0x0A, 0x80, 0x25, 0x00, 0x00, 0x01 };
	struct cos_file *f;
	struct cos_chv *hpin, *hpuk;
	struct der *dir = NULL;
	char defname[32];
	long pin_tries, puk_tries, puk_uses;

	if (!k || !(k->os = cos_new()))
		goto fail;
	k->os->user = k;
	k->os->commands = cps3_commands;
	k->os->n_commands = sizeof(cps3_commands) / sizeof(cps3_commands[0]);
	k->os->refuse_p2_00 = true;
	k->os->contactless = k->contactless = cfg->contactless;
	k->os->verbose = k->verbose = cfg->verbose;
	k->os->state_path = cfg->state_path;
	if (!cfg->pki_dir) {
		errmsg("no PKI directory (keys and certificates, tests/pki/make-pki)", "", "");
		goto fail;
	}
	serial = pstr(&ps, "card.serial", CPS_DEF_SERIAL);
	if (strlen(serial) != 10) {
		errmsg("profile key card.serial: 10 hex digits expected, got '", serial, "'");
		goto fail;
	}
	for (size_t i = 0; i < 5; i++) {
		int hi = hexdig(serial[2 * i]), lo = hexdig(serial[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			errmsg("profile key card.serial: 10 hex digits expected, got '", serial, "'");
			goto fail;
		}
		sn[7 + i] = (uint8_t)(hi << 4 | lo);
	}
	snprintf(defname, sizeof(defname), "CPS3v3-%s", serial);
	ps.name = defname;
	pin = pstr(&ps, "pin", CPS_DEF_PIN);
	puk = pstr(&ps, "puk", CPS_DEF_PUK);
	if (!digits_ok(pin, 4, 8) || !digits_ok(puk, 4, 8)) {
		errmsg("profile keys pin/puk: 4 to 8 digits expected", "", "");
		goto fail;
	}
	pin_tries = pint(&ps, "pin.tries_left", 0, 3, 3);
	puk_tries = pint(&ps, "puk.tries_left", 0, 10, 10);
	puk_uses = pint(&ps, "puk.uses_left", 0, 100, 100);
	k->cps2ter = pint(&ps, "cps.cps2ter", 0, 1, 1) != 0;
	fx.prkdf = (uint16_t)pint(&ps, "cps.fid.prkdf", 0x0001, 0xFFFE, CPS_DEF_FID_PRKDF);
	fx.cdf = (uint16_t)pint(&ps, "cps.fid.cdf", 0x0001, 0xFFFE, CPS_DEF_FID_CDF);
	fx.aodf = (uint16_t)pint(&ps, "cps.fid.aodf", 0x0001, 0xFFFE, CPS_DEF_FID_AODF);
	fx.dodf = (uint16_t)pint(&ps, "cps.fid.dodf", 0x0001, 0xFFFE, CPS_DEF_FID_DODF);
	fx.cert_auth = (uint16_t)pint(&ps, "cps.fid.cert_auth", 0x0001, 0xFFFE, CPS_DEF_FID_CERT_AUTH);
	fx.cert_sign = (uint16_t)pint(&ps, "cps.fid.cert_sign", 0x0001, 0xFFFE, CPS_DEF_FID_CERT_SIGN);
	fx.cert_tech = (uint16_t)pint(&ps, "cps.fid.cert_tech", 0x0001, 0xFFFE, CPS_DEF_FID_CERT_TECH);
	if (!ps.ok)
		goto fail;

	/* MF: the IAS-ECC root AID selects it with no FCI */
	memcpy(k->os->mf->aid, root_aid, sizeof(root_aid));
	k->os->mf->aid_len = sizeof(root_aid);
	k->os->mf->aid_no_fci = true;
	dir = calloc(1, sizeof(*dir));
	if (!dir)
		goto fail;
	/* One record, the app of the current interface: OpenSC 0.23 moves the
	 * contactless AID ahead of the contact one and would bind it first. */
	if (cfg->contactless)
		dir_record(dir, aid20, "ASIP CPS CL", 0x0002);
	else
		dir_record(dir, aid10, "ASIP CPS", 0x0001);
	f = dir->err ? NULL : cos_add_ef(k->os, NULL, 0x2F00, 0x1E, dir->buf, dir->len);
	if (!f)
		goto fail;
	cos_file_set_acl(f, acl_dir, sizeof(acl_dir), acl_read, sizeof(acl_read));
	f = cos_add_ef(k->os, NULL, 0x2F01, 0x1D, ef_atr, sizeof(ef_atr));
	if (!f)
		goto fail;
	cos_file_set_acl(f, acl_dir, sizeof(acl_dir), acl_read, sizeof(acl_read));
	if (!cos_add_ef(k->os, NULL, 0xD003, 0x1C, sn, sizeof(sn)))
		goto fail;
	if (cfg->contactless) {
		if (!build_cl_app(k, &ps, &fx, sn + 4, cfg->pki_dir))
			goto fail;
	} else {
		if (!build_contact_app(k, &ps, &fx, sn + 4, sn, cfg->pki_dir))
			goto fail;
		if (k->cps2ter && !build_cps2ter(k, &ps))
			goto fail;
	}
	/* CHVs live in the MF in both modes; only the contact app uses them. */
	hpin = cos_add_chv(k->os, 0x01, (const uint8_t *)pin, strlen(pin), 3);
	hpuk = cos_add_chv(k->os, 0x02, (const uint8_t *)puk, strlen(puk), 10);
	if (!hpin || !hpuk)
		goto fail;
	hpin->min_len = 4, hpin->max_len = 8;
	hpin->tries_left = (uint8_t)pin_tries;
	hpin->unblock_ref = 0x02;
	hpuk->min_len = 4, hpuk->max_len = 8;
	hpuk->tries_left = (uint8_t)puk_tries;
	hpuk->has_usage = true;
	hpuk->usage_max = 100;
	hpuk->usage_left = (uint16_t)puk_uses;
	if (!cos_state_load(k->os)) {
		fprintf(stderr, "cps3: %s\n", k->os->err);
		goto fail;
	}
	free(dir);
	return k;
fail:
	free(dir);
	cps3_destroy(k);
	return NULL;
}

static size_t cps3_atr(void *card, uint8_t *out, size_t cap)
{
	struct cps3 *k = card;
	const uint8_t *a = k->contactless ? atr_cl : atr_contact;
	size_t n = k->contactless ? sizeof(atr_cl) : sizeof(atr_contact);

	if (cap < n)
		return 0;
	memcpy(out, a, n);
	return n;
}

static void cps3_reset(void *card)
{
	struct cps3 *k = card;

	cos_reset(k->os);
	k->hash_len = 0;
	k->c2_cur = NULL;
}

static size_t cps3_process(void *card, const uint8_t *capdu, size_t len, uint8_t *rapdu, size_t cap)
{
	struct cps3 *k = card;

	k->work_us = 0;
	if (len >= 1 && capdu[0] == 0xA0 && !k->cps2ter && cap >= 2) {
		rapdu[0] = 0x6E, rapdu[1] = 0x00;
		return 2;
	}
	/* PSO HASH result is valid for the next command only if it is the CDS */
	if (len >= 4 && !(capdu[1] == 0x2A && capdu[2] == 0x9E) && !(capdu[1] == 0x22))
		k->hash_len = (capdu[1] == 0x2A && capdu[2] == 0x90) ? k->hash_len : 0;
	return cos_process(k->os, capdu, len, rapdu, cap);
}

static unsigned long cps3_work_us(void *card)
{
	return ((struct cps3 *)card)->work_us;
}

const struct sim_card_ops cps3_card_ops = {
	.name = "cps3",
	.description = "CPS3 (IAS-ECC) health professional card, contact or contactless (profile)",
	.create = cps3_create,
	.destroy = cps3_destroy,
	.atr = cps3_atr,
	.power_on = cps3_reset,
	.power_off = cps3_reset,
	.reset = cps3_reset,
	.process = cps3_process,
	.work_us = cps3_work_us,
};
