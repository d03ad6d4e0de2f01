/* cardos.c - the card OS: dispatcher, T=0 handling, file system, CHVs, SE,
 * persistent state. See cardos.h for the rules. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "apdu.h"
#include "card/cardos.h"

#define STATE_MAGIC "santecard-cardos-state 1"

static const uint8_t default_acl[] = { 0x7B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00 };

bool cos_resp_put(struct cos_resp *r, const void *data, size_t n)
{
	if (n > r->cap - r->len)
		return false;
	if (n)
		memcpy(r->buf + r->len, data, n);
	r->len += n;
	return true;
}

/* ------------------------------------------------------------------ tree */

static struct cos_file *new_file(struct cos_file *parent, uint16_t fid, bool is_df)
{
	struct cos_file *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->fid = fid;
	f->is_df = is_df;
	f->read_ac[0] = f->read_ac[1] = COS_AC_ALWAYS;
	f->update_ac[0] = f->update_ac[1] = COS_AC_NEVER;
	cos_file_set_acl(f, default_acl, sizeof(default_acl), default_acl, sizeof(default_acl));
	f->parent = parent;
	if (parent) {
		/* append, keeping creation order */
		struct cos_file **pp = &parent->child;

		while (*pp)
			pp = &(*pp)->next;
		*pp = f;
	}
	return f;
}

static void free_tree(struct cos_file *f)
{
	while (f) {
		struct cos_file *next = f->next;

		free_tree(f->child);
		free(f->data);
		free(f);
		f = next;
	}
}

struct cos *cos_new(void)
{
	struct cos *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->mf = new_file(NULL, 0x3F00, true);
	c->rbuf = malloc(COS_MAX_RESP);
	if (!c->mf || !c->rbuf) {
		cos_free(c);
		return NULL;
	}
	c->short_read_sw = COS_SW_EOF;
	cos_reset(c);
	return c;
}

void cos_free(struct cos *c)
{
	if (!c)
		return;
	free_tree(c->mf);
	OPENSSL_cleanse(c->chv, sizeof(c->chv));
	free(c->pending);
	if (c->chain) {
		OPENSSL_cleanse(c->chain, COS_MAX_DATA);
		free(c->chain);
	}
	if (c->rbuf) {
		OPENSSL_cleanse(c->rbuf, COS_MAX_RESP);
		free(c->rbuf);
	}
	free(c);
}

struct cos_file *cos_add_df(struct cos *c, struct cos_file *parent, uint16_t fid,
			    const uint8_t *aid, size_t aid_len)
{
	struct cos_file *f;

	if (!parent)
		parent = c->mf;
	if (aid_len > COS_AID_MAX || !parent->is_df)
		return NULL;
	f = new_file(parent, fid, true);
	if (f && aid && aid_len) {
		memcpy(f->aid, aid, aid_len);
		f->aid_len = aid_len;
	}
	return f;
}

bool cos_ef_set_data(struct cos_file *f, const uint8_t *data, size_t size)
{
	uint8_t *d = calloc(1, size ? size : 1);

	if (!d)
		return false;
	if (data && size)
		memcpy(d, data, size);
	free(f->data);
	f->data = d;
	f->size = size;
	return true;
}

struct cos_file *cos_add_ef(struct cos *c, struct cos_file *parent, uint16_t fid, uint8_t sfi,
			    const uint8_t *data, size_t size)
{
	struct cos_file *f;

	if (!parent)
		parent = c->mf;
	if (!parent->is_df || sfi > 30)
		return NULL;
	f = new_file(parent, fid, false);
	if (!f)
		return NULL;
	f->sfi = sfi;
	if (!cos_ef_set_data(f, data, size)) {
		/* unlink the last child again */
		struct cos_file **pp = &parent->child;

		while (*pp != f)
			pp = &(*pp)->next;
		*pp = NULL;
		free(f);
		return NULL;
	}
	return f;
}

void cos_file_set_acl(struct cos_file *f, const uint8_t *c8, size_t c8_len,
		      const uint8_t *c9, size_t c9_len)
{
	if (c8_len > sizeof(f->acl_c))
		c8_len = sizeof(f->acl_c);
	if (c9_len > sizeof(f->acl_cl))
		c9_len = sizeof(f->acl_cl);
	if (c8 && c8_len)
		memcpy(f->acl_c, c8, c8_len);
	f->acl_c_len = c8 ? c8_len : 0;
	if (c9 && c9_len)
		memcpy(f->acl_cl, c9, c9_len);
	f->acl_cl_len = c9 ? c9_len : 0;
}

size_t cos_fcp(const struct cos_file *f, uint8_t *out, size_t cap)
{
	uint8_t b[128];
	size_t n = 2;
	size_t a1 = f->acl_c_len + 2 + (f->acl_cl_len ? f->acl_cl_len + 2 : 0);

	if (!f->is_df) {
		b[n++] = 0x80, b[n++] = 2, b[n++] = (uint8_t)(f->size >> 8), b[n++] = (uint8_t)f->size;
		b[n++] = 0x82, b[n++] = 1, b[n++] = 0x01;
	} else {
		b[n++] = 0x82, b[n++] = 1, b[n++] = 0x38;
	}
	b[n++] = 0x83, b[n++] = 2, b[n++] = (uint8_t)(f->fid >> 8), b[n++] = (uint8_t)f->fid;
	if (f->is_df && f->aid_len) {
		b[n++] = 0x84, b[n++] = (uint8_t)f->aid_len;
		memcpy(b + n, f->aid, f->aid_len);
		n += f->aid_len;
	}
	if (!f->is_df && f->sfi)
		b[n++] = 0x88, b[n++] = 1, b[n++] = (uint8_t)(f->sfi << 3);
	b[n++] = 0xA1, b[n++] = (uint8_t)a1;
	b[n++] = 0x8C, b[n++] = (uint8_t)f->acl_c_len;
	memcpy(b + n, f->acl_c, f->acl_c_len);
	n += f->acl_c_len;
	if (f->acl_cl_len) {
		b[n++] = 0x9C, b[n++] = (uint8_t)f->acl_cl_len;
		memcpy(b + n, f->acl_cl, f->acl_cl_len);
		n += f->acl_cl_len;
	}
	b[n++] = 0x8A, b[n++] = 1, b[n++] = 0x05;
	b[0] = 0x62;
	b[1] = (uint8_t)(n - 2);
	if (n > cap)
		return 0;
	memcpy(out, b, n);
	return n;
}

struct cos_file *cos_child(const struct cos_file *df, uint16_t fid)
{
	if (!df || !df->is_df)
		return NULL;
	for (struct cos_file *f = df->child; f; f = f->next)
		if (f->fid == fid)
			return f;
	return NULL;
}

static struct cos_file *find_aid_in(struct cos_file *f, const uint8_t *aid, size_t len)
{
	for (; f; f = f->next) {
		struct cos_file *r;

		if (f->is_df && f->aid_len == len && memcmp(f->aid, aid, len) == 0)
			return f;
		r = find_aid_in(f->child, aid, len);
		if (r)
			return r;
	}
	return NULL;
}

struct cos_file *cos_find_aid(const struct cos *c, const uint8_t *aid, size_t len)
{
	if (!len)
		return NULL;
	return find_aid_in(c->mf, aid, len);
}

static struct cos_file *find_sfi(const struct cos_file *df, uint8_t sfi)
{
	for (struct cos_file *f = df ? df->child : NULL; f; f = f->next)
		if (!f->is_df && f->sfi == sfi)
			return f;
	return NULL;
}

bool cos_ac_ok(const struct cos *c, uint16_t ac)
{
	if (ac == COS_AC_ALWAYS)
		return true;
	if ((ac & 0xFF00u) == 0x0100u)
		return cos_chv_verified(c, (uint8_t)ac);
	return false;
}

/* ------------------------------------------------------------------ CHV */

struct cos_chv *cos_find_chv(struct cos *c, uint8_t ref)
{
	for (size_t i = 0; i < COS_MAX_CHV; i++)
		if (c->chv[i].present && (c->chv[i].ref & 0x7F) == (ref & 0x7F))
			return &c->chv[i];
	return NULL;
}

bool cos_chv_verified(const struct cos *c, uint8_t ref)
{
	for (size_t i = 0; i < COS_MAX_CHV; i++)
		if (c->chv[i].present && (c->chv[i].ref & 0x7F) == (ref & 0x7F))
			return c->chv[i].verified;
	return false;
}

struct cos_chv *cos_add_chv(struct cos *c, uint8_t ref, const uint8_t *value, size_t len,
			    uint8_t max_tries)
{
	if (len == 0 || len > COS_CHV_MAX_LEN || max_tries == 0 || max_tries > 15 ||
	    cos_find_chv(c, ref))
		return NULL;
	for (size_t i = 0; i < COS_MAX_CHV; i++) {
		struct cos_chv *h = &c->chv[i];

		if (h->present)
			continue;
		memset(h, 0, sizeof(*h));
		h->present = true;
		h->ref = ref;
		memcpy(h->value, value, len);
		h->len = len;
		h->min_len = 1;
		h->max_len = COS_CHV_MAX_LEN;
		h->max_tries = h->tries_left = max_tries;
		return h;
	}
	return NULL;
}

static bool chv_blocked(const struct cos_chv *h)
{
	return h->tries_left == 0 || (h->has_usage && h->usage_left == 0);
}

static bool ct_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	uint8_t d = 0;

	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++)
		d |= (uint8_t)(a[i] ^ b[i]);
	return d == 0;
}

static void chv_notify(struct cos *c, struct cos_chv *h)
{
	if (c->hooks && c->hooks->chv_changed)
		c->hooks->chv_changed(c, h);
}

/* Save after a persistent change; 65 81 (memory failure) if it cannot be written. */
static bool persist(struct cos *c)
{
	if (!c->state_path)
		return true;
	if (cos_state_save(c))
		return true;
	if (c->verbose > 0)
		fprintf(stderr, "cardos: %s\n", c->err);
	return false;
}

/* Checks value against h, counting a try first (anti-tearing: the decrement is
 * saved before the comparison). Returns the SW: 90 00, 63 Cx, 69 83, 65 81. */
static uint16_t chv_check(struct cos *c, struct cos_chv *h, const uint8_t *v, size_t n)
{
	bool ok;

	if (chv_blocked(h))
		return COS_SW_BLOCKED;
	h->tries_left--;
	h->verified = false;
	if (!persist(c))
		return 0x6581;
	ok = ct_equal(h->value, h->len, v, n);
	if (ok) {
		h->tries_left = h->max_tries;
		h->verified = true;
		if (!persist(c))
			return 0x6581;
	}
	chv_notify(c, h);
	return ok ? COS_SW_OK : (uint16_t)(0x63C0u | h->tries_left);
}

static bool new_len_ok(const struct cos_chv *h, size_t n)
{
	return n >= h->min_len && n <= h->max_len && n <= COS_CHV_MAX_LEN && n > 0;
}

uint16_t cos_cmd_verify(struct cos *c, const struct cos_apdu *a, struct cos_resp *r)
{
	struct cos_chv *h;

	(void)r;
	if (a->p1 != 0x00)
		return COS_SW_WRONG_P1P2;
	h = cos_find_chv(c, a->p2);
	if (!h)
		return COS_SW_REF_NOT_FOUND;
	if (a->lc == 0) {
		/* status query: never counts a try */
		if (chv_blocked(h))
			return COS_SW_BLOCKED;
		if (h->verified)
			return COS_SW_OK;
		return (uint16_t)(0x63C0u | h->tries_left);
	}
	if (chv_blocked(h))
		return COS_SW_BLOCKED;
	if (a->lc > COS_CHV_MAX_LEN)
		return COS_SW_WRONG_DATA;
	return chv_check(c, h, a->data, a->lc);
}

static void chv_set_value(struct cos_chv *h, const uint8_t *v, size_t n)
{
	OPENSSL_cleanse(h->value, sizeof(h->value));
	memcpy(h->value, v, n);
	h->len = n;
}

uint16_t cos_cmd_change(struct cos *c, const struct cos_apdu *a, struct cos_resp *r)
{
	struct cos_chv *h;
	uint16_t sw;

	(void)r;
	h = cos_find_chv(c, a->p2);
	if (a->p1 != 0x00 && a->p1 != 0x01)
		return COS_SW_WRONG_P1P2;
	if (!h)
		return COS_SW_REF_NOT_FOUND;
	if (a->lc == 0)
		return COS_SW_WRONG_LENGTH;
	if (chv_blocked(h))
		return COS_SW_BLOCKED;
	if (a->p1 == 0x01) {
		/* new value only, after a VERIFY in this session */
		if (!h->verified)
			return COS_SW_SECURITY;
		if (!new_len_ok(h, a->lc))
			return COS_SW_WRONG_DATA;
		chv_set_value(h, a->data, a->lc);
	} else {
		/* old value (its current length) || new value */
		if (a->lc <= h->len)
			return COS_SW_WRONG_LENGTH;
		if (!new_len_ok(h, a->lc - h->len))
			return COS_SW_WRONG_DATA;
		sw = chv_check(c, h, a->data, h->len);
		if (sw != COS_SW_OK)
			return sw;
		chv_set_value(h, a->data + h->len, a->lc - h->len);
	}
	h->tries_left = h->max_tries;
	h->verified = true;
	chv_notify(c, h);
	return persist(c) ? COS_SW_OK : 0x6581;
}

uint16_t cos_cmd_reset_retry(struct cos *c, const struct cos_apdu *a, struct cos_resp *r)
{
	struct cos_chv *h, *puk;
	const uint8_t *newv = NULL;
	size_t newlen = 0;
	uint16_t sw;

	(void)r;
	if (a->p1 > 0x03)
		return COS_SW_WRONG_P1P2;
	h = cos_find_chv(c, a->p2);
	if (!h)
		return COS_SW_REF_NOT_FOUND;
	puk = h->unblock_ref ? cos_find_chv(c, h->unblock_ref) : NULL;
	if (!puk)
		return COS_SW_CONDITIONS;
	switch (a->p1) {
	case 0x00:	/* PUK || new value */
		if (a->lc <= puk->len)
			return COS_SW_WRONG_LENGTH;
		newv = a->data + puk->len;
		newlen = a->lc - puk->len;
		break;
	case 0x01:	/* PUK only: unblock */
		if (a->lc == 0)
			return COS_SW_WRONG_LENGTH;
		break;
	case 0x02:	/* new value only, PUK verified before */
		if (a->lc == 0)
			return COS_SW_WRONG_LENGTH;
		newv = a->data;
		newlen = a->lc;
		break;
	default:	/* 03: nothing, PUK verified before */
		if (a->lc != 0)
			return COS_SW_WRONG_LENGTH;
		break;
	}
	if (newv && !new_len_ok(h, newlen))
		return COS_SW_WRONG_DATA;
	if (chv_blocked(puk))
		return COS_SW_BLOCKED;
	if (a->p1 <= 0x01) {
		sw = chv_check(c, puk, a->data, a->p1 == 0x00 ? puk->len : a->lc);
		if (sw != COS_SW_OK)
			return sw;
	} else if (!puk->verified) {
		return COS_SW_SECURITY;
	}
	if (newv)
		chv_set_value(h, newv, newlen);
	h->tries_left = h->max_tries;
	h->verified = false;
	puk->verified = false;
	if (puk->has_usage && puk->usage_left)
		puk->usage_left--;
	chv_notify(c, h);
	chv_notify(c, puk);
	return persist(c) ? COS_SW_OK : 0x6581;
}

/* ------------------------------------------------------------------ SE */

uint16_t cos_cmd_mse(struct cos *c, const struct cos_apdu *a, struct cos_resp *r)
{
	struct cos_se se = { 0 };
	int t;

	(void)r;
	if (a->p1 == 0xF3) {	/* RESTORE: back to the empty environment */
		if (a->lc)
			return COS_SW_WRONG_LENGTH;
		memset(c->se, 0, sizeof(c->se));
		return COS_SW_OK;
	}
	if ((a->p1 & 0x0F) != 0x01)
		return COS_SW_WRONG_P1P2;
	switch (a->p2) {
	case 0xA4: t = COS_SE_AT; break;
	case 0xB6: t = COS_SE_DST; break;
	case 0xAA: t = COS_SE_HT; break;
	case 0xB8: t = COS_SE_CT; break;
	default: return COS_SW_WRONG_P1P2;
	}
	for (size_t i = 0; i < a->lc;) {
		uint8_t tag, len;

		if (a->lc - i < 2)
			return COS_SW_WRONG_DATA;
		tag = a->data[i];
		len = a->data[i + 1];
		if (len > a->lc - i - 2)
			return COS_SW_WRONG_DATA;
		switch (tag) {
		case 0x80:
			if (len != 1)
				return COS_SW_WRONG_DATA;
			se.has_alg = true;
			se.alg = a->data[i + 2];
			break;
		case 0x83:
		case 0x84:
			if (len != 1)
				return COS_SW_WRONG_DATA;
			se.has_key = true;
			se.key_ref = a->data[i + 2];
			break;
		case 0x95:	/* usage qualifier: accepted, not used */
			break;
		default:
			return COS_SW_WRONG_DATA;
		}
		i += 2u + len;
	}
	c->se[t] = se;
	return COS_SW_OK;
}

uint16_t cos_cmd_get_challenge(struct cos *c, const struct cos_apdu *a, struct cos_resp *r)
{
	uint8_t buf[256];

	(void)c;
	if (a->p1 || a->p2)
		return COS_SW_WRONG_P1P2;
	if (a->lc || !a->has_le)
		return COS_SW_WRONG_LENGTH;
	if (RAND_bytes(buf, (int)a->ne) != 1)
		return COS_SW_NO_PRECISE;
	cos_resp_put(r, buf, a->ne);
	return COS_SW_OK;
}

/* ------------------------------------------------------------------ SELECT */

static void set_current(struct cos *c, struct cos_file *f)
{
	if (f->is_df) {
		c->cur_df = f;
		c->cur_ef = NULL;
	} else {
		c->cur_ef = f;
		c->cur_df = f->parent;
	}
}

/* Walks a path of FIDs from start. */
static struct cos_file *walk(struct cos_file *start, const uint8_t *p, size_t n)
{
	struct cos_file *f = start;

	for (size_t i = 0; i < n; i += 2) {
		uint16_t fid = (uint16_t)(p[i] << 8 | p[i + 1]);

		f = cos_child(f, fid);
		if (!f)
			return NULL;
	}
	return f;
}

uint16_t cos_cmd_select(struct cos *c, const struct cos_apdu *a, struct cos_resp *r)
{
	struct cos_file *f = NULL;
	uint8_t fcp[128];
	size_t n;
	uint16_t sw;
	unsigned resp = a->p2 & 0x0C;

	if (c->hooks && c->hooks->select && c->hooks->select(c, a, r, &sw))
		return sw;
	if (a->p2 & 0xF3)
		return COS_SW_WRONG_P1P2;
	if (a->p1 == 0x04) {
		if (a->lc == 0 || a->lc > COS_AID_MAX)
			return COS_SW_WRONG_LENGTH;
		f = cos_find_aid(c, a->data, a->lc);
		if (f && f->aid_no_fci) {
			set_current(c, f);
			return COS_SW_OK;
		}
		if (resp == 0x08 || (resp == 0x00 && c->refuse_p2_00))
			return COS_SW_WRONG_P1P2;
		if (!f)
			return COS_SW_NOT_FOUND;
	} else {
		uint16_t fid;

		if (resp == 0x08 || (resp == 0x00 && c->refuse_p2_00))
			return COS_SW_WRONG_P1P2;
		switch (a->p1) {
		case 0x00:
			if (a->lc == 0) {
				f = c->mf;
				break;
			}
			if (a->lc != 2)
				return COS_SW_WRONG_LENGTH;
			fid = (uint16_t)(a->data[0] << 8 | a->data[1]);
			if (fid == 0x3F00)
				f = c->mf;
			else if (c->cur_df->fid == fid)
				f = c->cur_df;
			else if (!(f = cos_child(c->cur_df, fid)) && c->cur_df->parent) {
				f = c->cur_df->parent->fid == fid ? c->cur_df->parent
								 : cos_child(c->cur_df->parent, fid);
			}
			break;
		case 0x01:
		case 0x02:
			if (a->lc != 2)
				return COS_SW_WRONG_LENGTH;
			fid = (uint16_t)(a->data[0] << 8 | a->data[1]);
			f = cos_child(c->cur_df, fid);
			if (f && a->p1 == 0x01 && !f->is_df)
				f = NULL;
			if (!f && a->p1 == 0x02 && fid == 0x3F00)
				f = c->mf;
			break;
		case 0x03:
			if (a->lc != 0)
				return COS_SW_WRONG_LENGTH;
			f = c->cur_df->parent;
			break;
		case 0x08:
		case 0x09:
			if (a->lc == 0 || a->lc % 2)
				return COS_SW_WRONG_LENGTH;
			if (a->data[0] == 0x3F && a->data[1] == 0x00)
				f = walk(c->mf, a->data + 2, a->lc - 2);
			else
				f = walk(a->p1 == 0x08 ? c->mf : c->cur_df, a->data, a->lc);
			break;
		default:
			return COS_SW_WRONG_P1P2;
		}
		if (!f)
			return COS_SW_NOT_FOUND;
	}
	set_current(c, f);
	if (resp == 0x0C)
		return COS_SW_OK;
	n = cos_fcp(f, fcp, sizeof(fcp));
	if (!n || !cos_resp_put(r, fcp, n))
		return COS_SW_NO_PRECISE;
	return COS_SW_OK;
}

/* ------------------------------------------------------------------ binary */

static uint16_t target_ef(struct cos *c, const struct cos_apdu *a, struct cos_file **ef, size_t *off)
{
	if (a->p1 & 0x80) {
		struct cos_file *f;
		uint8_t sfi = a->p1 & 0x1F;

		if ((a->p1 & 0x60) || sfi == 0 || sfi == 31)
			return COS_SW_WRONG_P1P2;
		/* the current DF first, then the MF (EF.SN.ICC by SFI from anywhere) */
		f = find_sfi(c->cur_df, sfi);
		if (!f)
			f = find_sfi(c->mf, sfi);
		if (!f)
			return COS_SW_NOT_FOUND;
		set_current(c, f);
		*off = a->p2;
		*ef = f;
	} else {
		if (!c->cur_ef)
			return COS_SW_NO_CURRENT_EF;
		*off = (size_t)a->p1 << 8 | a->p2;
		*ef = c->cur_ef;
	}
	return COS_SW_OK;
}

uint16_t cos_cmd_read_binary(struct cos *c, const struct cos_apdu *a, struct cos_resp *r)
{
	struct cos_file *f;
	size_t off, n;
	uint16_t sw;

	if (a->lc || !a->has_le)
		return COS_SW_WRONG_LENGTH;
	sw = target_ef(c, a, &f, &off);
	if (sw != COS_SW_OK)
		return sw;
	if (!cos_ac_ok(c, f->read_ac[c->contactless]))
		return COS_SW_SECURITY;
	if (off > f->size)
		return COS_SW_WRONG_P1P2_OFFSET;
	n = f->size - off;
	if (n > a->ne)
		n = a->ne;
	if (!cos_resp_put(r, f->data + off, n))
		return COS_SW_NO_PRECISE;
	return n < a->ne ? c->short_read_sw : COS_SW_OK;
}

uint16_t cos_cmd_update_binary(struct cos *c, const struct cos_apdu *a, struct cos_resp *r)
{
	struct cos_file *f;
	size_t off;
	uint16_t sw;

	(void)r;
	if (a->lc == 0 || a->has_le)
		return COS_SW_WRONG_LENGTH;
	sw = target_ef(c, a, &f, &off);
	if (sw != COS_SW_OK)
		return sw;
	if (!cos_ac_ok(c, f->update_ac[c->contactless]))
		return COS_SW_SECURITY;
	if (off > f->size)
		return COS_SW_WRONG_P1P2_OFFSET;
	if (a->lc > f->size - off)
		return 0x6A84;
	memcpy(f->data + off, a->data, a->lc);
	return COS_SW_OK;
}

/* ------------------------------------------------------------------ dispatcher */

static void clear_pending(struct cos *c)
{
	free(c->pending);
	c->pending = NULL;
	c->pending_len = c->pending_off = 0;
}

static void clear_chain(struct cos *c)
{
	c->chaining = false;
	c->chain_len = 0;
}

void cos_reset(struct cos *c)
{
	clear_pending(c);
	clear_chain(c);
	c->cur_df = c->mf;
	c->cur_ef = NULL;
	memset(c->se, 0, sizeof(c->se));
	for (size_t i = 0; i < COS_MAX_CHV; i++)
		c->chv[i].verified = false;
}

static size_t put_sw(uint8_t *out, size_t n, uint16_t sw)
{
	out[n] = (uint8_t)(sw >> 8);
	out[n + 1] = (uint8_t)sw;
	return n + 2;
}

/* Parses short APDUs (T=0 shapes included). false: malformed. */
static bool parse(const uint8_t *b, size_t n, struct cos_apdu *a)
{
	struct sim_apdu s;

	if (!sim_apdu_parse(b, n, &s) || s.extended)
		return false;	/* extended lengths are not supported */
	*a = (struct cos_apdu){ .cla = s.cla, .ins = s.ins, .p1 = s.p1, .p2 = s.p2,
				.data = s.data, .lc = s.lc, .has_le = s.has_le, .ne = s.ne };
	return true;
}

/* Case 1 in T=0 comes as P3=00: for commands that take no Le it means "no data". */
static void t0_case1(struct cos_apdu *a, unsigned flags)
{
	if (!(flags & COS_F_DIRECT) && a->has_le && a->lc == 0 && a->ne == 256) {
		a->has_le = false;
		a->ne = 0;
	}
}

static size_t get_response(struct cos *c, const struct cos_apdu *a, uint8_t *out, size_t cap)
{
	size_t rem, ne;

	if (a->p1 || a->p2)
		return put_sw(out, 0, COS_SW_WRONG_P1P2);
	if (a->lc || !a->has_le)
		return put_sw(out, 0, COS_SW_WRONG_LENGTH);
	if (!c->pending)
		return put_sw(out, 0, COS_SW_CONDITIONS);
	rem = c->pending_len - c->pending_off;
	ne = a->ne;
	if (ne > rem)
		return put_sw(out, 0, (uint16_t)(0x6C00u | (rem & 0xFF)));
	if (ne + 2 > cap)
		return put_sw(out, 0, COS_SW_NO_PRECISE);
	memcpy(out, c->pending + c->pending_off, ne);
	c->pending_off += ne;
	rem -= ne;
	if (rem == 0) {
		clear_pending(c);
		return put_sw(out, ne, COS_SW_OK);
	}
	return put_sw(out, ne, (uint16_t)(0x6100u | (rem >= 256 ? 0 : rem)));
}

static const struct cos_command *lookup(const struct cos *c, uint8_t cla, uint8_t ins, bool *cla_known)
{
	*cla_known = false;
	for (size_t i = 0; i < c->n_commands; i++) {
		const struct cos_command *e = &c->commands[i];

		if ((cla & ~0x10u & e->cla_mask) != e->cla)
			continue;
		*cla_known = true;
		if (e->ins == ins)
			return e;
	}
	return NULL;
}

static size_t set_pending(struct cos *c, const uint8_t *d, size_t n, uint8_t sw1, uint8_t *out)
{
	clear_pending(c);
	c->pending = malloc(n);
	if (!c->pending)
		return put_sw(out, 0, COS_SW_NO_PRECISE);
	memcpy(c->pending, d, n);
	c->pending_len = n;
	return put_sw(out, 0, (uint16_t)(sw1 << 8 | (n >= 256 ? 0 : n)));
}

size_t cos_process(struct cos *c, const uint8_t *capdu, size_t len, uint8_t *rapdu, size_t cap)
{
	struct cos_apdu a;
	const struct cos_command *e;
	struct cos_resp r;
	bool cla_known;
	uint16_t sw;

	if (cap < 2)
		return 0;
	if (!capdu || !parse(capdu, len, &a)) {
		clear_pending(c);
		clear_chain(c);
		return put_sw(rapdu, 0, COS_SW_WRONG_LENGTH);
	}
	e = lookup(c, a.cla, a.ins, &cla_known);
	if (a.ins == 0xC0 && cla_known && !(a.cla & 0x10)) {
		clear_chain(c);
		return get_response(c, &a, rapdu, cap);
	}
	clear_pending(c);
	if (!cla_known) {
		/* unknown class, or secure messaging asked for */
		clear_chain(c);
		return put_sw(rapdu, 0, COS_SW_CLA_UNKNOWN);
	}
	if (!e) {
		clear_chain(c);
		return put_sw(rapdu, 0, COS_SW_INS_UNKNOWN);
	}
	t0_case1(&a, e->flags);
	if (a.cla & 0x10) {
		if (!(e->flags & COS_F_CHAIN)) {
			clear_chain(c);
			return put_sw(rapdu, 0, COS_SW_CHAIN_UNSUPPORTED);
		}
		if (c->chaining && (c->chain_ins != a.ins || c->chain_p1 != a.p1 || c->chain_p2 != a.p2))
			clear_chain(c);
		if (!c->chain)
			c->chain = malloc(COS_MAX_DATA);
		if (!c->chain)
			return put_sw(rapdu, 0, COS_SW_NO_PRECISE);
		if (a.lc > COS_MAX_DATA - c->chain_len) {
			clear_chain(c);
			return put_sw(rapdu, 0, COS_SW_WRONG_LENGTH);
		}
		if (a.lc)
			memcpy(c->chain + c->chain_len, a.data, a.lc);
		c->chain_len += a.lc;
		c->chaining = true;
		c->chain_ins = a.ins, c->chain_p1 = a.p1, c->chain_p2 = a.p2;
		return put_sw(rapdu, 0, COS_SW_OK);
	}
	if (c->chaining) {
		if (c->chain_ins == a.ins && c->chain_p1 == a.p1 && c->chain_p2 == a.p2 &&
		    (e->flags & COS_F_CHAIN)) {
			if (a.lc > COS_MAX_DATA - c->chain_len) {
				clear_chain(c);
				return put_sw(rapdu, 0, COS_SW_WRONG_LENGTH);
			}
			if (a.lc)
				memcpy(c->chain + c->chain_len, a.data, a.lc);
			c->chain_len += a.lc;
			a.data = c->chain;
			a.lc = c->chain_len;
		}
		c->chaining = false;	/* the buffer stays valid for this call */
	}
	r.buf = c->rbuf;
	r.cap = COS_MAX_RESP;
	r.len = 0;
	sw = e->fn(c, &a, &r);
	c->chain_len = 0;
	if ((sw & 0xFF00u) == 0x9F00u && r.len)	/* GSM-style "9F xx": data pending */
		return set_pending(c, r.buf, r.len, 0x9F, rapdu);
	if (r.len == 0 || (sw != COS_SW_OK && (sw & 0xFF00u) != 0x6200u))
		return put_sw(rapdu, 0, sw);
	if (e->flags & COS_F_DIRECT) {
		if (!a.has_le)
			return put_sw(rapdu, 0, COS_SW_WRONG_LENGTH);
		if (sw == COS_SW_OK && r.len != a.ne)
			return put_sw(rapdu, 0, (uint16_t)(0x6C00u | (r.len >= 256 ? 0 : r.len)));
		if (r.len + 2 > cap)
			return put_sw(rapdu, 0, COS_SW_NO_PRECISE);
		memcpy(rapdu, r.buf, r.len);
		return put_sw(rapdu, r.len, sw);
	}
	return set_pending(c, r.buf, r.len, 0x61, rapdu);
}

/* ------------------------------------------------------------------ state */

bool cos_state_save(struct cos *c)
{
	char *tmp = NULL, *dircopy = NULL;
	FILE *f = NULL;
	int fd = -1, dfd;
	bool ok = false;

	if (!c->state_path)
		return true;
	if (asprintf(&tmp, "%s.XXXXXX", c->state_path) < 0) {
		tmp = NULL;
		goto out;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		snprintf(c->err, sizeof(c->err), "%s: cannot create: %s", tmp, strerror(errno));
		goto out;
	}
	(void)fchmod(fd, 0600);
	f = fdopen(fd, "w");
	if (!f)
		goto out;
	fd = -1;
	fprintf(f, "%s\n", STATE_MAGIC);
	for (size_t i = 0; i < COS_MAX_CHV; i++) {
		const struct cos_chv *h = &c->chv[i];

		if (!h->present)
			continue;
		fprintf(f, "chv %02X ", h->ref);
		for (size_t j = 0; j < h->len; j++)
			fprintf(f, "%02X", h->value[j]);
		fprintf(f, " %u %u\n", h->tries_left, h->has_usage ? h->usage_left : 0u);
	}
	fprintf(f, "end\n");
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		snprintf(c->err, sizeof(c->err), "%s: write failed: %s", tmp, strerror(errno));
		goto out;
	}
	if (fclose(f) != 0) {
		f = NULL;
		goto out;
	}
	f = NULL;
	if (rename(tmp, c->state_path) != 0) {
		snprintf(c->err, sizeof(c->err), "%s: rename failed: %s", c->state_path, strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
	/* make the rename itself durable */
	dircopy = strdup(c->state_path);
	if (dircopy) {
		dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY);
		if (dfd >= 0) {
			(void)fsync(dfd);
			close(dfd);
		}
	}
	ok = true;
out:
	if (!ok && c->err[0] == 0)
		snprintf(c->err, sizeof(c->err), "%s: cannot save state", c->state_path);
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	free(dircopy);
	return ok;
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

bool cos_state_load(struct cos *c)
{
	FILE *f;
	char line[256];
	unsigned lineno = 0;
	bool ended = false, ok = false;
	struct cos_chv saved[COS_MAX_CHV];

	if (!c->state_path)
		return true;
	f = fopen(c->state_path, "r");
	if (!f) {
		if (errno == ENOENT)
			return true;
		snprintf(c->err, sizeof(c->err), "%s: %s", c->state_path, strerror(errno));
		return false;
	}
	memcpy(saved, c->chv, sizeof(saved));
	while (fgets(line, sizeof(line), f)) {
		char hexv[2 * COS_CHV_MAX_LEN + 2];
		unsigned ref, tries, usage;
		struct cos_chv *h;
		size_t n;
		int used = 0;

		lineno++;
		line[strcspn(line, "\n")] = 0;
		if (ended)
			goto bad;
		if (lineno == 1) {
			if (strcmp(line, STATE_MAGIC) != 0)
				goto bad;
			continue;
		}
		if (strcmp(line, "end") == 0) {
			ended = true;
			continue;
		}
		if (sscanf(line, "chv %2X %33s %u %u%n", &ref, hexv, &tries, &usage, &used) != 4 ||
		    line[used] != 0)
			goto bad;
		h = cos_find_chv(c, (uint8_t)ref);
		n = strlen(hexv);
		if (!h || n % 2 || n == 0 || n > (size_t)2 * COS_CHV_MAX_LEN || tries > h->max_tries ||
		    (h->has_usage ? usage > h->usage_max : usage != 0))
			goto bad;
		for (size_t i = 0; i < n / 2; i++) {
			int hi = hexval(hexv[(size_t)2 * i]), lo = hexval(hexv[(size_t)2 * i + 1]);

			if (hi < 0 || lo < 0)
				goto bad;
			h->value[i] = (uint8_t)(hi << 4 | lo);
		}
		h->len = n / 2;
		h->tries_left = (uint8_t)tries;
		if (h->has_usage)
			h->usage_left = (uint16_t)usage;
		OPENSSL_cleanse(hexv, sizeof(hexv));
	}
	if (!ended || lineno < 2)
		goto bad;
	ok = true;
	goto out;
bad:
	memcpy(c->chv, saved, sizeof(saved));
	snprintf(c->err, sizeof(c->err),
		 "%s:%u: corrupt card state file (refusing to start; delete it for a fresh card)",
		 c->state_path, lineno);
out:
	OPENSSL_cleanse(line, sizeof(line));
	OPENSSL_cleanse(saved, sizeof(saved));
	fclose(f);
	return ok;
}
