/* inproc.h - the in-process transport: the driver's message layer talks to
 * the firmware core (reader.h) by function calls, so the driver's unit tests
 * and benchmarks run the real driver code against the real reader code
 * without USB. It can also play a hostile reader. Device names "inproc:N". */
#ifndef SANTECARD_FIRMWARE_CCID_INPROC_H
#define SANTECARD_FIRMWARE_CCID_INPROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reader.h"

#define INPROC_MAX 4

enum inproc_hostile {
	HOSTILE_NONE,
	HOSTILE_LEN_MISMATCH,	/* dwLength one more than the data */
	HOSTILE_WRONG_SEQ,	/* bSeq of another command */
	HOSTILE_ENDLESS_TIME_EXT, /* time extension, again and again */
	HOSTILE_OVERSIZED,	/* dwLength 0xFFFFFFF0 */
	HOSTILE_TRUNCATED,	/* 7 bytes: less than a header */
	HOSTILE_SILENT,		/* never answers */
	HOSTILE_WRONG_TYPE,	/* SlotStatus where a DataBlock is due */
	HOSTILE_BAD_CHAIN,	/* bChainParameter 0x03 on a first reply */
	HOSTILE_WRONG_SLOT,	/* bSlot of a slot that does not exist */
	HOSTILE_BIG_ATR,	/* a 40-byte ATR */
	HOSTILE_ABSENT_OK,	/* "no error" with ICC status absent (QEMU 7.2, no card) */
	HOSTILE_ZLP		/* a zero-length read before the reply (QEMU 7.2) */
};

/* Registers fw as device "inproc:index" (and the "inproc:" opener). The
 * caller keeps owning fw; inproc_unregister before freeing it. */
void inproc_register(unsigned index, struct ccidfw *fw);
void inproc_unregister(unsigned index);

/* Test controls, thread-safe (they take the device's lock). */
void inproc_hostile(unsigned index, enum inproc_hostile mode, unsigned count);
void inproc_unplug(unsigned index);
bool inproc_insert(unsigned index, unsigned slot, const struct sim_card_ops *ops, void *card);
void inproc_remove(unsigned index, unsigned slot);
void inproc_keypad(unsigned index, const char *keys);
/* Runs fn(fw, arg) under the device's lock. */
void inproc_locked(unsigned index, void (*fn)(struct ccidfw *fw, void *arg), void *arg);
/* Messages the host sent, and a copy of the last one. */
unsigned inproc_sent(unsigned index, uint8_t *last, size_t cap, size_t *last_len);

#endif
