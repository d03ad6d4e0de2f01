/* sbuf.c - growable text buffer with JSON and HL7 escaping (santecard-vitale). */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vitale.h"

void sb_init(struct sbuf *b)
{
	memset(b, 0, sizeof(*b));
}

void sb_free(struct sbuf *b)
{
	if (b->p)
		explicit_bzero(b->p, b->cap);   /* names and NIRs pass through here */
	free(b->p);
	sb_init(b);
}

void sb_reset(struct sbuf *b)
{
	if (b->p)
		explicit_bzero(b->p, b->cap);
	b->len = 0;
	b->oom = 0;
}

/* Room for n more bytes and a NUL; on failure oom is set and nothing changes.
 * The old block is wiped before it is given back. */
static int grow(struct sbuf *b, size_t n)
{
	size_t ncap;
	char *np;

	if (b->oom)
		return 0;
	if (b->len + n + 1 <= b->cap)
		return 1;
	if (n > ((size_t)1 << 28) || b->len > ((size_t)1 << 28)) {
		b->oom = 1;
		return 0;
	}
	ncap = b->cap ? b->cap : 256;
	while (ncap < b->len + n + 1)
		ncap *= 2;
	np = malloc(ncap);
	if (!np) {
		b->oom = 1;
		return 0;
	}
	if (b->p) {
		memcpy(np, b->p, b->len);
		explicit_bzero(b->p, b->cap);
		free(b->p);
	}
	b->p = np;
	b->cap = ncap;
	return 1;
}

void sb_putn(struct sbuf *b, const char *s, size_t n)
{
	if (!grow(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void sb_puts(struct sbuf *b, const char *s)
{
	sb_putn(b, s, strlen(s));
}

void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !grow(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void sb_json_str(struct sbuf *b, const char *s)
{
	static const char hexd[] = "0123456789abcdef";

	sb_putn(b, "\"", 1);
	for (const unsigned char *u = (const unsigned char *)s; *u; u++) {
		char esc[6] = { '\\', 'u', '0', '0', 0, 0 };

		if (*u == '"' || *u == '\\') {
			esc[1] = (char)*u;
			sb_putn(b, esc, 2);
		} else if (*u < 0x20 || *u == 0x7F || *u == '<' || *u == '>' || *u == '&') {
			/* controls must be escaped; < > & need not, but escaped a
			 * document never reads as markup wherever it ends up */
			esc[4] = hexd[*u >> 4];
			esc[5] = hexd[*u & 0x0F];
			sb_putn(b, esc, 6);
		} else {
			sb_putn(b, (const char *)u, 1);
		}
	}
	sb_putn(b, "\"", 1);
}

void sb_json_str_or_null(struct sbuf *b, const char *s)
{
	if (s == NULL || *s == '\0')
		sb_puts(b, "null");
	else
		sb_json_str(b, s);
}

void sb_hex(struct sbuf *b, const uint8_t *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sb_printf(b, "%02X", d[i]);
}

void sb_hl7_str(struct sbuf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '|': sb_puts(b, "\\F\\"); break;
		case '^': sb_puts(b, "\\S\\"); break;
		case '~': sb_puts(b, "\\R\\"); break;
		case '\\': sb_puts(b, "\\E\\"); break;
		case '&': sb_puts(b, "\\T\\"); break;
		case '\r': case '\n': break;
		default: sb_putn(b, s, 1);
		}
	}
}

const char *sb_str(const struct sbuf *b)
{
	return b->p ? b->p : "";
}
