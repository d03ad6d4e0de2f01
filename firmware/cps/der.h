/* der.h - a small DER writer for the card's PKCS#15 files and SDO answers. */
#ifndef SANTECARD_FIRMWARE_DER_H
#define SANTECARD_FIRMWARE_DER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct der {
	uint8_t buf[8192];
	size_t len;
	bool err;		/* set on overflow; the content is then unusable */
};

/* Opens a constructed value with tag (1 to 3 tag bytes, e.g. 0x30, 0xBF9001);
 * returns a mark for der_close(). */
size_t der_open(struct der *d, uint32_t tag);
/* Closes the value opened at mark, inserting its (minimal) length. */
void der_close(struct der *d, size_t mark);
/* A primitive value. */
void der_prim(struct der *d, uint32_t tag, const void *v, size_t n);
/* A primitive value holding a NUL-terminated string. */
void der_str(struct der *d, uint32_t tag, const char *s);
/* INTEGER (non-negative, minimal encoding) with the given tag (0x02, 0x80 ...). */
void der_uint(struct der *d, uint32_t tag, unsigned long v);
/* BIT STRING with the listed bit numbers set (bit 0 = first bit), minimal. */
void der_bits(struct der *d, const unsigned *bits, size_t n);
/* Raw bytes (already encoded). */
void der_raw(struct der *d, const void *v, size_t n);

#endif
