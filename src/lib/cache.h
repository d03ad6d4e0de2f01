/*
 * cache.h - the on-disk cache of a card's public data (not installed).
 *
 * $XDG_CACHE_HOME/santecard (default ~/.cache/santecard), 0700 and owned by
 * the user, else no cache; one sub-directory per card, named by its serial
 * (EF.SN.ICC, hex) and a digest of its EF_ACTUA ("none" when the card has
 * none), so that another card or an update of the card's situation data
 * finds nothing; one 0600 file per entry, written atomically (temp file,
 * fsync, rename), at most STCI_CACHE_ENTRY_MAX bytes. STC_NO_CACHE=1 turns it
 * off. The callers store only public data: PKCS#15 files and certificates of
 * a CPS, never anything PIN-protected, never anything from a Vitale card.
 * Every failure means "no cache" and is logged at debug level only.
 */
#ifndef STC_CACHE_H
#define STC_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "santecard.h"

#define STCI_CACHE_ENTRY_MAX 65536
/* The longest entry name (hex digits, '-'). */
#define STCI_CACHE_NAME_MAX 96
/* The longest serial used in the key (bytes). */
#define STCI_CACHE_SERIAL_MAX 32

struct stci_cache;

/* The cache of one card: NULL when disabled (STC_NO_CACHE=1), when no safe
 * directory can be had, or for an empty or too long serial. actua NULL or
 * actua_len 0: the card has no EF_ACTUA. Entries of the same serial under
 * another EF_ACTUA are removed. */
struct stci_cache *stci_cache_open(const uint8_t *serial, size_t serial_len,
				   const uint8_t *actua, size_t actua_len);
void stci_cache_close(struct stci_cache *c);
/* The card's directory name (for tests and logs). */
const char *stci_cache_key(const struct stci_cache *c);
/* An entry: STC_OK with *data malloc'd (free() it), STC_ERR_NOT_FOUND when
 * absent, not a regular 0600 file of ours, empty or too large. c may be NULL. */
stc_rv stci_cache_get(struct stci_cache *c, const char *name, uint8_t **data, size_t *len);
/* Store an entry (replacing it): STC_ERR_INVALID_ARGS for a bad name, an
 * empty or too large value; STC_ERR_NOT_SUPPORTED when c is NULL or the file
 * could not be written (nothing is left behind). */
stc_rv stci_cache_put(struct stci_cache *c, const char *name, const uint8_t *data, size_t len);
/* Remove every entry of this card (a cached file that does not parse). */
void stci_cache_clear(struct stci_cache *c);
/* An entry name from bytes (a file path): lower-case hex into out (cap >=
 * 2 * len + 1); "" when it does not fit. */
void stci_cache_hex(const uint8_t *b, size_t len, char *out, size_t cap);

#endif
