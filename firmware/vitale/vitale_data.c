/* vitale_data.c - the Vitale 2 data model: a profile turned into the bytes of
 * the card's files (identity templates, NIR templates, POINTERS, EF.DIR, PAN).
 * Layout choices are documented in docs/SIMULATOR-VITALE.md. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nir.h"
#include "profile.h"
#include "vitale/vitale.h"

/* A growing byte buffer; a failed append leaves ok false. */
struct buf {
	uint8_t *d;
	size_t len, cap;
	bool ok;
};

static void buf_put(struct buf *b, const void *p, size_t n)
{
	if (!b->ok)
		return;
	if (n > b->cap - b->len) {
		size_t cap = b->cap ? b->cap : 256;
		while (n > cap - b->len)
			cap *= 2;
		uint8_t *d = realloc(b->d, cap);
		if (!d) {
			b->ok = false;
			return;
		}
		b->d = d;
		b->cap = cap;
	}
	if (n)
		memcpy(b->d + b->len, p, n);
	b->len += n;
}

static void buf_byte(struct buf *b, uint8_t v)
{
	buf_put(b, &v, 1);
}

/* tag, length (BER: 1 byte below 128, else 81 xx / 82 xx xx), value. */
static void buf_len(struct buf *b, size_t n)
{
	if (n < 0x80) {
		buf_byte(b, (uint8_t)n);
	} else if (n < 0x100) {
		buf_byte(b, 0x81);
		buf_byte(b, (uint8_t)n);
	} else {
		buf_byte(b, 0x82);
		buf_byte(b, (uint8_t)(n >> 8));
		buf_byte(b, (uint8_t)n);
	}
}

static void buf_tlv(struct buf *b, uint8_t tag, const void *v, size_t n)
{
	buf_byte(b, tag);
	buf_len(b, n);
	buf_put(b, v, n);
}

static void fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

long vitale_latin1(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		unsigned cp;
		if (*p < 0x80) {
			cp = *p++;
		} else if ((*p & 0xE0) == 0xC0 && (p[1] & 0xC0) == 0x80) {
			cp = (unsigned)(*p & 0x1F) << 6 | (p[1] & 0x3F);
			if (cp < 0x80)
				return -1;	/* overlong */
			p += 2;
		} else {
			/* 3- and 4-byte sequences are above U+00FF; stray bytes are bad UTF-8. */
			return -1;
		}
		if (cp > 0xFF)
			return -1;
		if (n < cap)
			out[n++] = (uint8_t)cp;
	}
	return (long)n;
}

static bool is_digits(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static bool is_yes(const char *v)
{
	return v && (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

/* beneficiary.N.field -> N (0 if the key is not of that form) and field. */
static unsigned beneficiary_key(const char *key, const char **field)
{
	static const char pre[] = "beneficiary.";
	char *end;

	if (strncmp(key, pre, sizeof(pre) - 1) != 0)
		return 0;
	const char *num = key + sizeof(pre) - 1;
	if (*num < '0' || *num > '9')
		return 0;
	unsigned long n = strtoul(num, &end, 10);
	if (*end != '.' || n > 1000)
		return 0;
	*field = end + 1;
	return (unsigned)n;
}

static const char *const known_fields[] = {
	"surname", "given", "birth", "nir", "nir_bad_key_ok", "nationality", "rank", "quality",
};

static const char *ben_get(const struct sim_profile *p, unsigned n, const char *field)
{
	char key[64];

	snprintf(key, sizeof(key), "beneficiary.%u.%s", n, field);
	return sim_profile_get(p, key);
}

/* Latin-1 name field, space-padded or cut to VITALE_NAME_WIDTH. */
static bool name_field(const struct sim_profile *p, unsigned n, const char *field,
		       uint8_t out[VITALE_NAME_WIDTH], char *err, size_t errlen)
{
	const char *v = ben_get(p, n, field);

	if (!v || !*v) {
		fail(err, errlen, "beneficiary.%u.%s is missing", n, field);
		return false;
	}
	long len = vitale_latin1(v, out, VITALE_NAME_WIDTH);
	if (len < 0) {
		fail(err, errlen, "beneficiary.%u.%s: not Latin-1 text (UTF-8 up to U+00FF)", n, field);
		return false;
	}
	memset(out + len, ' ', VITALE_NAME_WIDTH - (size_t)len);
	return true;
}

static bool parse_atr_variant(const char *v, uint8_t *out)
{
	char *end;

	if (!v) {
		*out = 0x49;
		return true;
	}
	if (strncmp(v, "0x", 2) == 0 || strncmp(v, "0X", 2) == 0)
		v += 2;
	if (strlen(v) != 2)
		return false;
	unsigned long x = strtoul(v, &end, 16);
	if (*end || x < 0x40 || x > 0x4F)
		return false;
	*out = (uint8_t)x;
	return true;
}

static const uint8_t aid_vitale[] = VITALE_AID_VITALE;
static const uint8_t aid_mf_vitale[] = VITALE_AID_MF_VITALE;

/* E0 { A0 { 82 {entry, 00 00, AID} x2 } 80 {name8, entry, FID} x2 }. */
static void build_pointers(struct buf *b)
{
	struct buf a0 = { .ok = true }, e0 = { .ok = true };
	uint8_t e[2 + 2 + sizeof(aid_mf_vitale)];

	e[0] = 0x00; e[1] = 0x01; e[2] = 0x00; e[3] = 0x00;
	memcpy(e + 4, aid_vitale, sizeof(aid_vitale));
	buf_tlv(&a0, 0x82, e, 4 + sizeof(aid_vitale));
	e[1] = 0x02;
	memcpy(e + 4, aid_mf_vitale, sizeof(aid_mf_vitale));
	buf_tlv(&a0, 0x82, e, 4 + sizeof(aid_mf_vitale));
	buf_tlv(&e0, 0xA0, a0.d, a0.len);
	e0.ok = e0.ok && a0.ok;
	buf_tlv(&e0, 0x80, "IDENTITE\x00\x02\xD0\x01", 12);
	buf_tlv(&e0, 0x80, "NIR     \x00\x01\x20\x02", 12);
	buf_tlv(b, 0xE0, e0.d, e0.len);
	b->ok = b->ok && e0.ok;
	free(a0.d);
	free(e0.d);
}

/* EF.DIR: one 61 { 4F AID, 50 label } per application. */
static void build_dir(struct buf *b)
{
	struct buf t = { .ok = true };

	buf_tlv(&t, 0x4F, aid_mf_vitale, sizeof(aid_mf_vitale));
	buf_tlv(&t, 0x50, "MF_VITALE", 9);
	buf_tlv(b, 0x61, t.d, t.len);
	t.len = 0;
	buf_tlv(&t, 0x4F, aid_vitale, sizeof(aid_vitale));
	buf_tlv(&t, 0x50, "VITALE", 6);
	buf_tlv(b, 0x61, t.d, t.len);
	b->ok = b->ok && t.ok;
	free(t.d);
}

void vitale_data_free(struct vitale_data *d)
{
	if (!d)
		return;
	free(d->ident);
	free(d->nirs);
	free(d->pointers);
	free(d->dir);
	free(d->pan);
	memset(d, 0, sizeof(*d));
}

bool vitale_data_build(const struct sim_profile *p, struct vitale_data *d,
		       char *err, size_t errlen)
{
	struct buf ident = { .ok = true }, nirs = { .ok = true }, t = { .ok = true };
	struct buf misc = { .ok = true };
	unsigned max = 0;
	bool corrupt;

	memset(d, 0, sizeof(*d));
	if (!p) {
		fail(err, errlen, "vitale2 needs a profile (beneficiaries)");
		return false;
	}
	if (!parse_atr_variant(sim_profile_get(p, "card.atr_variant"), &d->atr_variant)) {
		fail(err, errlen, "card.atr_variant must be a hex byte 40..4F");
		return false;
	}
	const char *validity = sim_profile_get(p, "card.validity");
	if (!validity || !is_digits(validity, 8)) {
		fail(err, errlen, "card.validity must be AAAAMMJJ (8 digits)");
		return false;
	}
	corrupt = is_yes(sim_profile_get(p, "card.corrupt_tlv"));

	/* Beneficiary keys: known fields, N in 1..19. */
	for (size_t i = 0; i < sim_profile_count(p); i++) {
		const char *key = sim_profile_key_at(p, i), *field = NULL;
		if (strncmp(key, "beneficiary.", 12) != 0)
			continue;
		unsigned n = beneficiary_key(key, &field);
		if (n == 0 || n > VITALE_MAX_BENEFICIARIES) {
			fail(err, errlen, "%s: beneficiary number must be 1..%d", key,
			     VITALE_MAX_BENEFICIARIES);
			return false;
		}
		bool known = false;
		for (size_t k = 0; k < sizeof(known_fields) / sizeof(known_fields[0]); k++)
			known |= strcmp(field, known_fields[k]) == 0;
		if (!known) {
			fail(err, errlen, "%s: unknown key", key);
			return false;
		}
		if (n > max)
			max = n;
	}
	if (max == 0) {
		fail(err, errlen, "no beneficiary (beneficiary.1.surname ...)");
		return false;
	}

	for (unsigned n = 1; n <= max; n++) {
		uint8_t surname[VITALE_NAME_WIDTH], given[VITALE_NAME_WIDTH];
		uint8_t nat[VITALE_NAME_WIDTH];
		long natlen = -1;

		if (!name_field(p, n, "surname", surname, err, errlen) ||
		    !name_field(p, n, "given", given, err, errlen))
			goto fail;
		const char *birth = ben_get(p, n, "birth");
		if (!birth || !is_digits(birth, 8)) {
			fail(err, errlen, "beneficiary.%u.birth must be AAAAMMJJ (8 digits)", n);
			goto fail;
		}
		const char *nir = ben_get(p, n, "nir");
		bool bad_ok = is_yes(ben_get(p, n, "nir_bad_key_ok"));
		if (!nir || !*nir) {
			fail(err, errlen, "beneficiary.%u.nir is missing", n);
			goto fail;
		}
		if (!bad_ok && !sim_nir_valid(nir)) {
			fail(err, errlen, "beneficiary.%u.nir '%s' is not a valid NIR (15 characters "
			     "with its key; set beneficiary.%u.nir_bad_key_ok = yes to allow it)",
			     n, nir, n);
			goto fail;
		}
		if (strlen(nir) > 32) {
			fail(err, errlen, "beneficiary.%u.nir is longer than 32 characters", n);
			goto fail;
		}
		const char *nv = ben_get(p, n, "nationality");
		if (nv) {
			natlen = vitale_latin1(nv, nat, sizeof(nat));
			if (natlen < 0) {
				fail(err, errlen, "beneficiary.%u.nationality: not Latin-1 text", n);
				goto fail;
			}
		}
		t.len = 0;
		buf_tlv(&t, 0x80, surname, sizeof(surname));
		buf_tlv(&t, 0x81, given, sizeof(given));
		buf_tlv(&t, 0x82, birth, 8);
		if (natlen >= 0)
			buf_tlv(&t, 0x90, nat, (size_t)natlen);
		buf_tlv(&ident, 0x65, t.d, t.len);
		t.len = 0;
		buf_tlv(&t, 0x93, nir, strlen(nir));
		buf_tlv(&nirs, 0x65, t.d, t.len);
	}
	t.len = 0;
	buf_tlv(&t, 0x80, validity, 8);
	if (corrupt) {
		/* The last 65 template cut in the middle (its length now runs past the
		 * end of the file), no 66 template, no padding. */
		ident.len -= 10 + VITALE_NAME_WIDTH / 2;
		nirs.len -= 8;
	} else {
		buf_tlv(&ident, 0x66, t.d, t.len);
		while (ident.ok && ident.len < VITALE_IDENT_MIN_SIZE)
			buf_byte(&ident, 0x00);
	}

	if (!ident.ok || !nirs.ok || !t.ok) {
		fail(err, errlen, "out of memory");
		goto fail;
	}
	d->count = max;
	d->ident = ident.d;
	d->ident_len = ident.len;
	d->nirs = nirs.d;
	d->nirs_len = nirs.len;
	free(t.d);

	build_pointers(&misc);
	d->pointers = misc.d;
	d->pointers_len = misc.len;
	if (!misc.ok)
		goto oom;
	misc = (struct buf){ .ok = true };
	build_dir(&misc);
	d->dir = misc.d;
	d->dir_len = misc.len;
	if (!misc.ok)
		goto oom;
	misc = (struct buf){ .ok = true };
	/* PAN: an invented card number, 5A (application PAN, BCD, F-padded). */
	buf_tlv(&misc, 0x5A, "\x25\x00\x00\x00\x00\x01\x23\x45\x67\x8F", 10);
	d->pan = misc.d;
	d->pan_len = misc.len;
	if (!misc.ok)
		goto oom;
	return true;

oom:
	vitale_data_free(d);
	fail(err, errlen, "out of memory");
	return false;
fail:
	free(ident.d);
	free(nirs.d);
	free(t.d);
	memset(d, 0, sizeof(*d));
	return false;
}
