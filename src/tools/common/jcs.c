/*
 * jcs.c - RFC 8785 JSON Canonicalization Scheme over jansson values.
 *
 * Keys are sorted by their UTF-16 code units (not by UTF-8 bytes: the two
 * orders differ above U+FFFF, where UTF-16 uses surrogates D800..DFFF that
 * sort below E000..FFFF). Reals are written the way ECMAScript's
 * Number.prototype.toString does (§3.2.2.3): the shortest digit string that
 * reads back to the same double, then plain or exponent notation by its
 * decimal exponent. Integers (jansson's json_int_t) are written as is.
 */
#include "config.h"

#include "jose.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct buf {
	char *p;
	size_t len, cap;
	int failed;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *np;

		while (cap < b->len + n + 1)
			cap *= 2;
		np = realloc(b->p, cap);
		if (!np) {
			b->failed = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void put_string(struct buf *b, const char *s, size_t n)
{
	size_t i, start = 0;

	put(b, "\"", 1);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(b, s + start, i - start);
		start = i + 1;
		switch (c) {
		case '"': puts_(b, "\\\""); break;
		case '\\': puts_(b, "\\\\"); break;
		case '\b': puts_(b, "\\b"); break;
		case '\f': puts_(b, "\\f"); break;
		case '\n': puts_(b, "\\n"); break;
		case '\r': puts_(b, "\\r"); break;
		case '\t': puts_(b, "\\t"); break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			puts_(b, esc);
		}
	}
	put(b, s + start, n - start);
	put(b, "\"", 1);
}

/*
 * ECMAScript Number::toString for a finite double (RFC 8785 §3.2.2.3).
 * out gets at most 32 characters.
 */
static void put_real(struct buf *b, double d)
{
	char tmp[40], digits[24], out[48]; /* digits: at most 17, room for n <= 21 */
	int prec, k = 0, e, n, i, o = 0;
	const char *mant;

	if (d == 0) { /* also -0 */
		puts_(b, "0");
		return;
	}
	if (d < 0) {
		out[o++] = '-';
		d = -d;
	}
	/* the shortest %.Ne that reads back to d (at most 17 digits) */
	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	/* tmp: D[.DDD]e±XX */
	mant = tmp;
	for (; *mant && *mant != 'e'; mant++)
		if (*mant >= '0' && *mant <= '9')
			digits[k++] = *mant;
	e = atoi(mant + 1);
	while (k > 1 && digits[k - 1] == '0')
		k--;
	digits[k] = '\0';
	n = e + 1; /* the value is 0.DIGITS x 10^n */
	if (k <= n && n <= 21) {
		memcpy(out + o, digits, (size_t)k);
		o += k;
		for (i = 0; i < n - k; i++)
			out[o++] = '0';
	} else if (0 < n && n <= 21) {
		memcpy(out + o, digits, (size_t)n);
		o += n;
		out[o++] = '.';
		memcpy(out + o, digits + n, (size_t)(k - n));
		o += k - n;
	} else if (-6 < n && n <= 0) {
		out[o++] = '0';
		out[o++] = '.';
		for (i = 0; i < -n; i++)
			out[o++] = '0';
		memcpy(out + o, digits, (size_t)k);
		o += k;
	} else {
		out[o++] = digits[0];
		if (k > 1) {
			out[o++] = '.';
			memcpy(out + o, digits + 1, (size_t)(k - 1));
			o += k - 1;
		}
		o += snprintf(out + o, sizeof(out) - (size_t)o, "e%c%d", n - 1 < 0 ? '-' : '+',
			      n - 1 < 0 ? 1 - n : n - 1);
	}
	put(b, out, (size_t)o);
}

/* Next code point of valid UTF-8 (jansson guarantees it for strings and keys). */
static unsigned long next_cp(const unsigned char **p)
{
	const unsigned char *s = *p;
	unsigned long cp;
	int more, i;

	if (s[0] < 0x80) {
		cp = s[0];
		more = 0;
	} else if (s[0] < 0xe0) {
		cp = s[0] & 0x1f;
		more = 1;
	} else if (s[0] < 0xf0) {
		cp = s[0] & 0x0f;
		more = 2;
	} else {
		cp = s[0] & 0x07;
		more = 3;
	}
	for (i = 1; i <= more && s[i]; i++)
		cp = cp << 6 | (s[i] & 0x3f);
	*p = s + i;
	return cp;
}

/* Compare two NUL-terminated UTF-8 keys by UTF-16 code units. */
static int utf16_cmp(const char *a, const char *b)
{
	const unsigned char *pa = (const unsigned char *)a, *pb = (const unsigned char *)b;
	unsigned int ua[2], ub[2];
	int na = 0, nb = 0, ia = 0, ib = 0;

	for (;;) {
		if (ia == na) {
			unsigned long cp;

			if (!*pa) {
				na = ia = 0;
			} else {
				cp = next_cp(&pa);
				if (cp >= 0x10000) {
					ua[0] = 0xd800 + (unsigned int)((cp - 0x10000) >> 10);
					ua[1] = 0xdc00 + (unsigned int)((cp - 0x10000) & 0x3ff);
					na = 2;
				} else {
					ua[0] = (unsigned int)cp;
					na = 1;
				}
				ia = 0;
			}
		}
		if (ib == nb) {
			unsigned long cp;

			if (!*pb) {
				nb = ib = 0;
			} else {
				cp = next_cp(&pb);
				if (cp >= 0x10000) {
					ub[0] = 0xd800 + (unsigned int)((cp - 0x10000) >> 10);
					ub[1] = 0xdc00 + (unsigned int)((cp - 0x10000) & 0x3ff);
					nb = 2;
				} else {
					ub[0] = (unsigned int)cp;
					nb = 1;
				}
				ib = 0;
			}
		}
		if (na == 0 || nb == 0)
			return (na != 0) - (nb != 0);
		if (ua[ia] != ub[ib])
			return ua[ia] < ub[ib] ? -1 : 1;
		ia++;
		ib++;
	}
}

struct member {
	const char *key;
	const json_t *value;
};

static int key_cmp(const void *x, const void *y)
{
	return utf16_cmp(((const struct member *)x)->key, ((const struct member *)y)->key);
}

static int dump(struct buf *b, const json_t *j, int depth)
{
	size_t i, n;

	if (depth > 512)
		return -1; /* jansson's own parser stops at 2048; a cycle would never end */
	switch (json_typeof(j)) {
	case JSON_NULL: puts_(b, "null"); return 0;
	case JSON_TRUE: puts_(b, "true"); return 0;
	case JSON_FALSE: puts_(b, "false"); return 0;
	case JSON_STRING:
		put_string(b, json_string_value(j), json_string_length(j));
		return 0;
	case JSON_INTEGER: {
		char num[32];

		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(j));
		puts_(b, num);
		return 0;
	}
	case JSON_REAL: {
		double d = json_real_value(j);

		if (!isfinite(d))
			return -1;
		put_real(b, d);
		return 0;
	}
	case JSON_ARRAY:
		put(b, "[", 1);
		n = json_array_size(j);
		for (i = 0; i < n; i++) {
			if (i)
				put(b, ",", 1);
			if (dump(b, json_array_get(j, i), depth + 1))
				return -1;
		}
		put(b, "]", 1);
		return 0;
	case JSON_OBJECT: {
		struct member *m;
		const char *k;
		json_t *v;

		n = json_object_size(j);
		m = malloc((n ? n : 1) * sizeof(*m));
		if (!m)
			return -1;
		i = 0;
		json_object_foreach((json_t *)j, k, v) {
			m[i].key = k;
			m[i++].value = v;
		}
		qsort(m, n, sizeof(*m), key_cmp);
		put(b, "{", 1);
		for (i = 0; i < n; i++) {
			if (i)
				put(b, ",", 1);
			put_string(b, m[i].key, strlen(m[i].key));
			put(b, ":", 1);
			if (dump(b, m[i].value, depth + 1)) {
				free(m);
				return -1;
			}
		}
		put(b, "}", 1);
		free(m);
		return 0;
	}
	}
	return -1;
}

char *jcs_dump(const json_t *j)
{
	struct buf b = {0};

	if (!j || dump(&b, j, 0) || b.failed) {
		free(b.p);
		return NULL;
	}
	return b.p;
}
