/* testcard.c - the "test" card: a T=0 card whose few instructions exercise the
 * host side's transport handling rather than any real application.
 *
 *   00 A4 04 00|0C Lc AID   SELECT the test AID (P2=00: FCI pending, 61 0C)
 *   00 C0 00 00 Le          GET RESPONSE (6C xx if Le > pending, 69 85 if none)
 *   00 84 00 00 Le          GET CHALLENGE, Le random bytes directly
 *   00 20 00 01 [Lc PIN]    VERIFY PIN "1234", 3 tries, 63 Cx / 69 83
 *   80 CA 01 00 14          GET DATA: 00 01 .. 13 (6C 14 for any other Le)
 *   80 E0 00 00 Lc data     ECHO: data pending (short or extended length)
 *   80 E2 00 00 00          BIG: 600 bytes pending (byte i = i & 0xFF)
 *   80 E4 00 00 00          HOSTILE: GET RESPONSE answers 61 10 forever
 *   90|80 E6 00 00 Lc data  CHAIN: accumulate; last (CLA 80): length + SHA-256
 *   80 E8 P1 P2             SLEEP P1*256+P2 ms, then 90 00
 *
 * As on a T=0 card, any command other than GET RESPONSE discards pending
 * response data, and any command other than CHAIN ends a chain.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "apdu.h"
#include "testcard/testcard.h"

/* Largest command data (extended Lc) and so largest pending response. */
#define TC_MAX_DATA 65535u
#define TC_BIG_LEN 600u
#define TC_HOSTILE_LEN 16u

static const uint8_t tc_atr[] = {
	/* TS T0 (TA1..TD1 absent: T=0), category 80, COMPACT-TLV 57 "STCTEST" */
	0x3B, 0x09, 0x80, 0x57, 0x53, 0x54, 0x43, 0x54, 0x45, 0x53, 0x54
};
static const uint8_t tc_aid[] = TESTCARD_AID;

struct testcard {
	/* Response data announced by 61 xx, fetched with GET RESPONSE. */
	uint8_t *pending;
	size_t pending_len;
	size_t pending_off;
	bool hostile;
	/* Data accumulated by CLA 90 CHAIN commands. */
	uint8_t *chain;
	size_t chain_len;
	/* Security status (volatile) and try counter (survives reset). */
	bool verified;
	unsigned tries;
};

/* The R-APDU being built; the SW is appended by process(). */
struct out {
	uint8_t *buf;
	size_t cap;		/* room for data, the SW excluded */
	size_t len;
	bool overflow;
};

static bool out_put(struct out *o, const uint8_t *d, size_t n)
{
	if (n > o->cap - o->len) {
		o->overflow = true;
		return false;
	}
	memcpy(o->buf + o->len, d, n);
	o->len += n;
	return true;
}

static void clear_pending(struct testcard *tc)
{
	tc->pending_len = 0;
	tc->pending_off = 0;
	tc->hostile = false;
}

static void clear_volatile(struct testcard *tc)
{
	clear_pending(tc);
	tc->chain_len = 0;
	tc->verified = false;
}

/* 61 xx announcing what remains (00 for 256 or more), or 90 00. */
static uint16_t sw_pending(const struct testcard *tc)
{
	size_t left = tc->pending_len - tc->pending_off;

	if (left == 0)
		return 0x9000;
	return (uint16_t)(0x6100 | (left >= 256 ? 0 : left));
}

static uint16_t set_pending(struct testcard *tc, const uint8_t *d, size_t n)
{
	if (n)
		memcpy(tc->pending, d, n);
	tc->pending_len = n;
	tc->pending_off = 0;
	return sw_pending(tc);
}

static uint16_t do_select(struct testcard *tc, const struct sim_apdu *a, struct out *o)
{
	(void)o;
	if (a->p1 != 0x04 || (a->p2 != 0x00 && a->p2 != 0x0C))
		return 0x6A86;
	if (a->lc == 0)
		return 0x6700;
	if (a->lc != sizeof(tc_aid) || memcmp(a->data, tc_aid, sizeof(tc_aid)) != 0)
		return 0x6A82;
	if (a->p2 == 0x0C)
		return 0x9000;
	uint8_t fci[4 + sizeof(tc_aid)] = { 0x6F, 2 + sizeof(tc_aid), 0x84, sizeof(tc_aid) };
	memcpy(fci + 4, tc_aid, sizeof(tc_aid));
	return set_pending(tc, fci, sizeof(fci));
}

static uint16_t do_get_response(struct testcard *tc, const struct sim_apdu *a, struct out *o)
{
	if (a->p1 != 0 || a->p2 != 0)
		return 0x6A86;
	if (a->lc != 0 || !a->has_le || a->extended)
		return 0x6700;
	if (tc->hostile) {
		/* Always 16 more bytes: a host must bound its GET RESPONSE loop. */
		uint8_t junk[TC_HOSTILE_LEN];
		if (a->ne > sizeof(junk))
			return 0x6C00 | TC_HOSTILE_LEN;
		for (size_t i = 0; i < sizeof(junk); i++)
			junk[i] = (uint8_t)(0xA0 + i);
		out_put(o, junk, a->ne);
		return 0x6100 | TC_HOSTILE_LEN;
	}
	size_t left = tc->pending_len - tc->pending_off;
	if (left == 0)
		return 0x6985;
	if (a->ne > left)
		return (uint16_t)(0x6C00 | left);	/* left < 256 here */
	if (!out_put(o, tc->pending + tc->pending_off, a->ne))
		return 0x6F00;
	tc->pending_off += a->ne;
	return sw_pending(tc);
}

static uint16_t do_get_challenge(struct testcard *tc, const struct sim_apdu *a, struct out *o)
{
	uint8_t rnd[256];

	(void)tc;
	if (a->p1 != 0 || a->p2 != 0)
		return 0x6A86;
	if (a->lc != 0 || !a->has_le || a->extended)
		return 0x6700;
	if (RAND_bytes(rnd, (int)a->ne) != 1)
		return 0x6F00;
	out_put(o, rnd, a->ne);
	OPENSSL_cleanse(rnd, sizeof(rnd));
	return 0x9000;
}

static uint16_t do_verify(struct testcard *tc, const struct sim_apdu *a, struct out *o)
{
	static const char pin[] = TESTCARD_PIN;

	(void)o;
	if (a->p1 != 0x00)
		return 0x6A86;
	if (a->p2 != 0x01)
		return 0x6A88;
	if (a->lc == 0) {
		/* Status query: no data, P3 absent or 00 (a non-zero P3 promised data). */
		if (a->has_le && a->ne != 256)
			return 0x6700;
		if (tc->tries == 0)
			return 0x6983;
		return tc->verified ? 0x9000 : (uint16_t)(0x63C0 | tc->tries);
	}
	if (a->has_le)
		return 0x6700;
	if (tc->tries == 0)
		return 0x6983;
	if (a->lc == sizeof(pin) - 1 && CRYPTO_memcmp(a->data, pin, a->lc) == 0) {
		tc->tries = TESTCARD_PIN_TRIES;
		tc->verified = true;
		return 0x9000;
	}
	tc->tries--;
	tc->verified = false;
	return (uint16_t)(0x63C0 | tc->tries);
}

static uint16_t do_get_data(struct testcard *tc, const struct sim_apdu *a, struct out *o)
{
	uint8_t obj[20];

	(void)tc;
	if (a->p1 != 0x01 || a->p2 != 0x00)
		return 0x6A88;
	if (a->lc != 0)
		return 0x6700;
	if (!a->has_le || a->ne != sizeof(obj))
		return 0x6C00 | sizeof(obj);
	for (size_t i = 0; i < sizeof(obj); i++)
		obj[i] = (uint8_t)i;
	out_put(o, obj, sizeof(obj));
	return 0x9000;
}

static uint16_t do_echo(struct testcard *tc, const struct sim_apdu *a, struct out *o)
{
	(void)o;
	if (a->p1 != 0 || a->p2 != 0)
		return 0x6A86;
	return set_pending(tc, a->data, a->lc);
}

static uint16_t do_big(struct testcard *tc, const struct sim_apdu *a, struct out *o)
{
	(void)o;
	if (a->p1 != 0 || a->p2 != 0)
		return 0x6A86;
	if (a->lc != 0)
		return 0x6700;
	for (size_t i = 0; i < TC_BIG_LEN; i++)
		tc->pending[i] = (uint8_t)(i & 0xFF);
	tc->pending_len = TC_BIG_LEN;
	tc->pending_off = 0;
	return sw_pending(tc);
}

static uint16_t do_hostile(struct testcard *tc, const struct sim_apdu *a, struct out *o)
{
	(void)o;
	if (a->p1 != 0 || a->p2 != 0)
		return 0x6A86;
	if (a->lc != 0)
		return 0x6700;
	tc->hostile = true;
	return 0x6100 | TC_HOSTILE_LEN;
}

static uint16_t do_chain(struct testcard *tc, const struct sim_apdu *a, struct out *o)
{
	(void)o;
	if (a->p1 != 0 || a->p2 != 0) {
		tc->chain_len = 0;
		return 0x6A86;
	}
	if (a->lc > TC_MAX_DATA - tc->chain_len) {
		tc->chain_len = 0;
		return 0x6700;
	}
	if (a->lc)
		memcpy(tc->chain + tc->chain_len, a->data, a->lc);
	tc->chain_len += a->lc;
	if (a->cla & 0x10)
		return 0x9000;

	/* Last command of the chain: total length (2 bytes) + SHA-256. */
	uint8_t res[2 + 32];
	unsigned int mdlen = 0;
	res[0] = (uint8_t)(tc->chain_len >> 8);
	res[1] = (uint8_t)tc->chain_len;
	int ok = EVP_Digest(tc->chain, tc->chain_len, res + 2, &mdlen, EVP_sha256(), NULL);
	tc->chain_len = 0;
	if (!ok || mdlen != 32)
		return 0x6F00;
	return set_pending(tc, res, sizeof(res));
}

static uint16_t do_sleep(struct testcard *tc, const struct sim_apdu *a, struct out *o)
{
	unsigned ms = (unsigned)a->p1 << 8 | a->p2;
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	(void)tc;
	(void)o;
	if (a->lc != 0)
		return 0x6700;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	return 0x9000;
}

typedef uint16_t (*ins_fn)(struct testcard *, const struct sim_apdu *, struct out *);

/* The instruction set: (CLA, INS) -> handler. CLA 90 is CLA 80 with the
 * ISO 7816-4 command-chaining bit, valid only for CHAIN. */
static const struct {
	uint8_t cla;
	uint8_t ins;
	ins_fn fn;
} ins_table[] = {
	{ 0x00, 0xA4, do_select },
	{ 0x00, 0xC0, do_get_response },
	{ 0x00, 0x84, do_get_challenge },
	{ 0x00, 0x20, do_verify },
	{ 0x80, 0xCA, do_get_data },
	{ 0x80, 0xE0, do_echo },
	{ 0x80, 0xE2, do_big },
	{ 0x80, 0xE4, do_hostile },
	{ 0x80, 0xE6, do_chain },
	{ 0x90, 0xE6, do_chain },
	{ 0x80, 0xE8, do_sleep },
};
#define INS_COUNT (sizeof(ins_table) / sizeof(ins_table[0]))

static uint16_t dispatch(struct testcard *tc, const uint8_t *capdu, size_t len, struct out *o)
{
	struct sim_apdu a;

	if (len < 4) {
		clear_pending(tc);
		tc->chain_len = 0;
		return 0x6700;
	}
	uint8_t cla = capdu[0], ins = capdu[1];
	if (!(cla == 0x00 && ins == 0xC0))
		clear_pending(tc);
	if (!(ins == 0xE6 && (cla == 0x80 || cla == 0x90)))
		tc->chain_len = 0;

	if (cla != 0x00 && cla != 0x80 && cla != 0x90)
		return 0x6E00;
	bool ins_known = false;
	for (size_t i = 0; i < INS_COUNT; i++) {
		if (ins_table[i].ins != ins)
			continue;
		ins_known = true;
		if (ins_table[i].cla != cla)
			continue;
		if (!sim_apdu_parse(capdu, len, &a)) {
			tc->chain_len = 0;
			return 0x6700;
		}
		return ins_table[i].fn(tc, &a, o);
	}
	return ins_known ? 0x6E00 : 0x6D00;
}

static size_t tc_process(void *card, const uint8_t *capdu, size_t len, uint8_t *rapdu, size_t cap)
{
	struct testcard *tc = card;
	struct out o = { .buf = rapdu, .cap = cap >= 2 ? cap - 2 : 0 };

	if (cap < 2)
		return 0;
	uint16_t sw = dispatch(tc, capdu, len, &o);
	if (o.overflow) {
		o.len = 0;
		sw = 0x6F00;
	}
	rapdu[o.len] = (uint8_t)(sw >> 8);
	rapdu[o.len + 1] = (uint8_t)sw;
	return o.len + 2;
}

static void *tc_create(const struct sim_card_config *config)
{
	struct testcard *tc = calloc(1, sizeof(*tc));

	(void)config;
	if (!tc)
		return NULL;
	tc->pending = malloc(TC_MAX_DATA);
	tc->chain = malloc(TC_MAX_DATA);
	if (!tc->pending || !tc->chain) {
		free(tc->pending);
		free(tc->chain);
		free(tc);
		return NULL;
	}
	tc->tries = TESTCARD_PIN_TRIES;
	return tc;
}

static void tc_destroy(void *card)
{
	struct testcard *tc = card;

	if (!tc)
		return;
	OPENSSL_cleanse(tc->chain, TC_MAX_DATA);
	free(tc->pending);
	free(tc->chain);
	free(tc);
}

static size_t tc_atr_get(void *card, uint8_t *out, size_t cap)
{
	(void)card;
	if (cap < sizeof(tc_atr))
		return 0;
	memcpy(out, tc_atr, sizeof(tc_atr));
	return sizeof(tc_atr);
}

static void tc_power(void *card)
{
	clear_volatile(card);
}

const struct sim_card_ops testcard_card_ops = {
	.name = "test",
	.description = "transport test card (T=0, GET RESPONSE, chaining, extended length, PIN 1234)",
	.create = tc_create,
	.destroy = tc_destroy,
	.atr = tc_atr_get,
	.power_on = tc_power,
	.power_off = tc_power,
	.reset = tc_power,
	.process = tc_process,
};
