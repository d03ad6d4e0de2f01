/* vitale1.c - the Vitale 1 card ("vitale1"): a Bull CP8 B0'-style memory card
 * (cards.md §2.2). Its data coding was never published, so the memory holds
 * opaque test data (profile key card.data) and only the two documented reads
 * are implemented:
 *
 *   BC C0 00 00 08        8 bytes: 00 00 <ADMAX hi lo> 00 00 02 00 (last and first word addresses)
 *   BC B0 AH AL LL        LL bytes (00 = 256, a multiple of 4) from nibble address AHAL
 *
 * Addresses count 4-bit nibbles: a 32-bit word every 8 addresses, the first at
 * 0200h, the last at ADMAX (default 2188h, so 1010 words = 4040 bytes, the "4 kB"
 * of the card). A read must start on a word (address multiple of 8) in
 * [0200h, ADMAX] and must not run past the last word.
 *
 *   address not word-aligned, below 0200h or above ADMAX  -> 6B 00
 *   LL not a multiple of 4 or read running past ADMAX      -> 67 00
 *   P1P2 of C0 not 0000 -> 6B 00; Le of C0 not 08 -> 6C 08
 *   missing P3 -> 67 00; INS other than B0/C0 -> 6D 00; CLA other than BC -> 6E 00
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "vitale/vitale.h"

static const uint8_t v1_atr[] = VITALE1_ATR;

struct vitale1 {
	unsigned admax;
	uint8_t *mem;		/* (admax - 0200h) / 8 + 1 words */
	size_t mem_len;
	int verbose;
};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Default memory: a fixed pseudo-random pattern (xorshift32 from a constant seed). */
static void default_pattern(uint8_t *m, size_t n)
{
	uint32_t x = 0x56495431u;	/* "VIT1" */

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		m[i] = (uint8_t)(x >> 24);
	}
}

static void *v1_create(const struct sim_card_config *config)
{
	struct vitale1 *v = calloc(1, sizeof(*v));
	const struct sim_profile *p = config ? config->profile : NULL;
	long admax = VITALE1_ADMAX_DEFAULT;

	if (!v)
		return NULL;
	v->verbose = config ? config->verbose : 0;
	if (p && !sim_profile_int(p, "card.admax", VITALE1_ADMIN, 0xFFF8, VITALE1_ADMAX_DEFAULT, &admax)) {
		fprintf(stderr, "vitale1: card.admax must be an address 0x0200..0xFFF8\n");
		free(v);
		return NULL;
	}
	if (admax % 8) {
		fprintf(stderr, "vitale1: card.admax must be a word address (multiple of 8)\n");
		free(v);
		return NULL;
	}
	v->admax = (unsigned)admax;
	v->mem_len = ((size_t)(v->admax - VITALE1_ADMIN) / 8 + 1) * 4;
	v->mem = malloc(v->mem_len);
	if (!v->mem) {
		free(v);
		return NULL;
	}
	const char *data = p ? sim_profile_get(p, "card.data") : NULL;
	if (!data) {
		default_pattern(v->mem, v->mem_len);
		return v;
	}
	/* card.data: hex (spaces allowed), from 0200h on; the rest of the memory FF. */
	memset(v->mem, 0xFF, v->mem_len);
	size_t n = 0;
	for (const char *s = data; *s;) {
		if (*s == ' ' || *s == ':') {
			s++;
			continue;
		}
		int hi = hexval(s[0]), lo = hi < 0 ? -1 : hexval(s[1]);
		if (hi < 0 || lo < 0) {
			fprintf(stderr, "vitale1: card.data is not hex\n");
			goto fail;
		}
		if (n == v->mem_len) {
			fprintf(stderr, "vitale1: card.data is longer than the memory (%zu bytes)\n",
				v->mem_len);
			goto fail;
		}
		v->mem[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	return v;
fail:
	free(v->mem);
	free(v);
	return NULL;
}

static void v1_destroy(void *card)
{
	struct vitale1 *v = card;

	if (!v)
		return;
	free(v->mem);
	free(v);
}

static size_t v1_atr_get(void *card, uint8_t *out, size_t cap)
{
	(void)card;
	if (cap < sizeof(v1_atr))
		return 0;
	memcpy(out, v1_atr, sizeof(v1_atr));
	return sizeof(v1_atr);
}

static void v1_power(void *card)
{
	(void)card;	/* no volatile state */
}

static uint16_t v1_dispatch(struct vitale1 *v, const uint8_t *c, size_t len, uint8_t *out,
			    size_t cap, size_t *outlen)
{
	*outlen = 0;
	if (len < 4)
		return 0x6700;
	if (c[0] != 0xBC)
		return 0x6E00;
	if (c[1] != 0xB0 && c[1] != 0xC0)
		return 0x6D00;
	/* Both are outgoing (T=0 case 2): exactly one P3 byte. */
	if (len != 5)
		return 0x6700;
	size_t le = c[4] ? c[4] : 256;
	unsigned addr = (unsigned)c[2] << 8 | c[3];

	if (c[1] == 0xC0) {
		if (addr != 0)
			return 0x6B00;
		if (le != 8)
			return 0x6C08;
		uint8_t r[8] = { 0, 0, (uint8_t)(v->admax >> 8), (uint8_t)v->admax,
				 0, 0, VITALE1_ADMIN >> 8, VITALE1_ADMIN & 0xFF };
		if (cap < sizeof(r))
			return 0x6F00;
		memcpy(out, r, sizeof(r));
		*outlen = sizeof(r);
		return 0x9000;
	}
	if (addr < VITALE1_ADMIN || addr > v->admax || addr % 8)
		return 0x6B00;
	if (le % 4)
		return 0x6700;
	size_t off = (size_t)(addr - VITALE1_ADMIN) / 8 * 4;
	if (le > v->mem_len - off)
		return 0x6700;
	if (le > cap)
		return 0x6F00;
	memcpy(out, v->mem + off, le);
	*outlen = le;
	return 0x9000;
}

static size_t v1_process(void *card, const uint8_t *capdu, size_t len, uint8_t *rapdu, size_t cap)
{
	size_t n = 0;
	uint16_t sw;

	if (cap < 2)
		return 0;
	if (!card || !capdu)
		sw = 0x6F00;
	else
		sw = v1_dispatch(card, capdu, len, rapdu, cap - 2, &n);
	rapdu[n] = (uint8_t)(sw >> 8);
	rapdu[n + 1] = (uint8_t)sw;
	return n + 2;
}

const struct sim_card_ops vitale1_card_ops = {
	.name = "vitale1",
	.description = "carte Vitale 1 (Bull CP8 B0' memory card, CLA BC, opaque test data)",
	.create = v1_create,
	.destroy = v1_destroy,
	.atr = v1_atr_get,
	.power_on = v1_power,
	.power_off = v1_power,
	.reset = v1_power,
	.process = v1_process,
};
