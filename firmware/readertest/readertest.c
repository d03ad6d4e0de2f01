/* readertest.c - the reader-test applet: every APDU case, short and extended
 * (instruction set in readertest.h). */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apdu.h"
#include "readertest/readertest.h"

static const uint8_t rt_atr[] = READERTEST_ATR;

struct readertest {
	/* Response data announced by 61 xx (P1 = 01), fetched with GET RESPONSE. */
	uint8_t *pending;
	size_t pending_len;
	size_t pending_off;
};

/* The R-APDU being built; the SW is appended by process(). */
struct out {
	uint8_t *buf;
	size_t cap;		/* room for data, the SW excluded */
	size_t len;
	bool overflow;
};

static uint8_t *out_room(struct out *o, size_t n)
{
	if (n > o->cap - o->len) {
		o->overflow = true;
		return NULL;
	}
	uint8_t *p = o->buf + o->len;
	o->len += n;
	return p;
}

static void pattern(uint8_t *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		d[i] = (uint8_t)(i & 0xFF);
}

static bool data_ok(const struct sim_apdu *a)
{
	for (size_t i = 0; i < a->lc; i++)
		if (a->data[i] != (uint8_t)((i + a->p2) & 0xFF))
			return false;
	return true;
}

static uint16_t sw_pending(const struct readertest *rt)
{
	size_t left = rt->pending_len - rt->pending_off;

	if (left == 0)
		return 0x9000;
	return (uint16_t)(0x6100 | (left >= 256 ? 0 : left));
}

/* Le bytes of pattern, directly (P1 = 00) or pending behind 61 xx (P1 = 01). */
static uint16_t answer_pattern(struct readertest *rt, const struct sim_apdu *a, struct out *o)
{
	if (a->p1 == 0x01) {
		pattern(rt->pending, a->ne);
		rt->pending_len = a->ne;
		rt->pending_off = 0;
		return sw_pending(rt);
	}
	uint8_t *d = out_room(o, a->ne);
	if (!d)
		return 0x6F00;
	pattern(d, a->ne);
	return 0x9000;
}

static uint16_t do_case1(struct readertest *rt, const struct sim_apdu *a, struct out *o)
{
	(void)rt;
	(void)o;
	if (a->lc != 0 || a->has_le)
		return 0x6700;
	if (a->p1 != 0 || a->p2 != 0)
		return 0x6A86;
	return 0x9000;
}

static uint16_t do_case3(struct readertest *rt, const struct sim_apdu *a, struct out *o)
{
	(void)rt;
	(void)o;
	if (a->lc == 0 || a->has_le)
		return 0x6700;
	if (a->p1 != 0)
		return 0x6A86;
	return data_ok(a) ? 0x9000 : 0x6A80;
}

static uint16_t do_case2(struct readertest *rt, const struct sim_apdu *a, struct out *o)
{
	if (a->lc != 0 || !a->has_le)
		return 0x6700;
	if (a->p1 > 0x01)
		return 0x6A86;
	return answer_pattern(rt, a, o);
}

static uint16_t do_case4(struct readertest *rt, const struct sim_apdu *a, struct out *o)
{
	if (a->lc == 0 || !a->has_le)
		return 0x6700;
	if (a->p1 > 0x01)
		return 0x6A86;
	if (!data_ok(a))
		return 0x6A80;
	return answer_pattern(rt, a, o);
}

static uint16_t do_wait(struct readertest *rt, const struct sim_apdu *a, struct out *o)
{
	unsigned ms = (unsigned)a->p1 << 8 | a->p2;
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	(void)rt;
	(void)o;
	if (a->lc != 0 || a->has_le)
		return 0x6700;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	return 0x9000;
}

static uint16_t do_get_response(struct readertest *rt, const struct sim_apdu *a, struct out *o)
{
	if (a->lc != 0 || !a->has_le)
		return 0x6700;
	if (a->p1 != 0 || a->p2 != 0)
		return 0x6A86;
	size_t left = rt->pending_len - rt->pending_off;
	if (left == 0)
		return 0x6985;
	size_t n = a->ne;
	if (n > left) {
		if (!a->extended)
			return (uint16_t)(0x6C00 | left);	/* left < 256 here */
		n = left;
	}
	uint8_t *d = out_room(o, n);
	if (!d)
		return 0x6F00;
	memcpy(d, rt->pending + rt->pending_off, n);
	rt->pending_off += n;
	return sw_pending(rt);
}

typedef uint16_t (*ins_fn)(struct readertest *, const struct sim_apdu *, struct out *);

static const struct {
	uint8_t cla;
	uint8_t ins;
	ins_fn fn;
} ins_table[] = {
	{ 0x80, 0x30, do_case1 },
	{ 0x80, 0x32, do_case3 },
	{ 0x80, 0x34, do_case2 },
	{ 0x80, 0x36, do_case4 },
	{ 0x80, 0x38, do_wait },
	{ 0x00, 0xC0, do_get_response },
	{ 0x80, 0xC0, do_get_response },
};
#define INS_COUNT (sizeof(ins_table) / sizeof(ins_table[0]))

static uint16_t dispatch(struct readertest *rt, const uint8_t *capdu, size_t len, struct out *o)
{
	struct sim_apdu a;

	if (len < 4) {
		rt->pending_len = rt->pending_off = 0;
		return 0x6700;
	}
	uint8_t cla = capdu[0], ins = capdu[1];
	if (ins != 0xC0) {
		rt->pending_len = rt->pending_off = 0;
	}
	if (cla != 0x00 && cla != 0x80)
		return 0x6E00;
	bool ins_known = false;
	for (size_t i = 0; i < INS_COUNT; i++) {
		if (ins_table[i].ins != ins)
			continue;
		ins_known = true;
		if (ins_table[i].cla != cla)
			continue;
		if (!sim_apdu_parse(capdu, len, &a))
			return 0x6700;
		return ins_table[i].fn(rt, &a, o);
	}
	return ins_known ? 0x6E00 : 0x6D00;
}

static size_t rt_process(void *card, const uint8_t *capdu, size_t len, uint8_t *rapdu, size_t cap)
{
	struct readertest *rt = card;
	struct out o = { .buf = rapdu, .cap = cap >= 2 ? cap - 2 : 0 };

	if (cap < 2)
		return 0;
	if (!rt || !capdu) {
		rapdu[0] = 0x6F;
		rapdu[1] = 0x00;
		return 2;
	}
	uint16_t sw = dispatch(rt, capdu, len, &o);
	if (o.overflow) {
		o.len = 0;
		sw = 0x6F00;
	}
	rapdu[o.len] = (uint8_t)(sw >> 8);
	rapdu[o.len + 1] = (uint8_t)sw;
	return o.len + 2;
}

static void *rt_create(const struct sim_card_config *config)
{
	struct readertest *rt = calloc(1, sizeof(*rt));

	(void)config;
	if (!rt)
		return NULL;
	rt->pending = malloc(READERTEST_MAX_NE);
	if (!rt->pending) {
		free(rt);
		return NULL;
	}
	return rt;
}

static void rt_destroy(void *card)
{
	struct readertest *rt = card;

	if (!rt)
		return;
	free(rt->pending);
	free(rt);
}

static size_t rt_atr_get(void *card, uint8_t *out, size_t cap)
{
	(void)card;
	if (cap < sizeof(rt_atr))
		return 0;
	memcpy(out, rt_atr, sizeof(rt_atr));
	return sizeof(rt_atr);
}

static void rt_power(void *card)
{
	struct readertest *rt = card;

	if (rt)
		rt->pending_len = rt->pending_off = 0;
}

const struct sim_card_ops readertest_card_ops = {
	.name = "readertest",
	.description = "reader-test applet (T=1, every APDU case, short and extended lengths)",
	.create = rt_create,
	.destroy = rt_destroy,
	.atr = rt_atr_get,
	.power_on = rt_power,
	.power_off = rt_power,
	.reset = rt_power,
	.process = rt_process,
};
