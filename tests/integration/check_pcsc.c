/*
 * check_pcsc.c - the token layer's PC/SC core through the real stack:
 * libpcsclite -> pcscd -> vpcd -> santecard-sim (test card in reader 0,
 * reader 1 empty). Run by tests/integration/test_pcsc.sh inside the testbed.
 */
#include "config.h"

#include <check.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "santecard.h"
#include "check_util.h"
#include "tb.h"

static const uint8_t test_atr[] = { 0x3B, 0x09, 0x80, 0x57, 'S', 'T', 'C', 'T', 'E', 'S', 'T' };
static const uint8_t test_aid[] = { 0xF0, 'S', 'T', 'C', 'T', 'E', 'S', 'T' };

static stc_ctx *ctx;
static stc_card *card;
static uint8_t resp[4096];
static size_t rlen;
static uint16_t sw;

/* Every test starts with the card in reader 0 and pcscd running. */
static void setup(void)
{
	ck_assert_int_eq(stc_ctx_new(&ctx), STC_OK);
	ck_assert_int_eq(tb_wait_card(ctx, READER0, 1), 0);
	card = NULL;
}

static void teardown(void)
{
	stc_disconnect(card, 0);
	stc_ctx_free(ctx);
}

static stc_rv send(uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *data,
		   size_t lc, size_t le)
{
	stc_apdu a = { cla, ins, p1, p2, data, lc, le };

	return stc_transmit(card, &a, resp, sizeof(resp), &rlen, &sw);
}

static void connect0(void)
{
	ck_assert_int_eq(stc_connect(ctx, READER0, STC_SHARE_SHARED, &card), STC_OK);
}

START_TEST(readers_listed)
{
	stc_reader_info *list;
	size_t n;

	ck_assert_int_eq(stc_readers_list(ctx, &list, &n), STC_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(list[0].name, READER0);
	ck_assert_str_eq(list[1].name, READER1);
	ck_assert_int_eq(list[0].card_present, 1);
	ck_assert_uint_eq(list[0].atr_len, sizeof(test_atr));
	ck_assert_mem_eq(list[0].atr, test_atr, sizeof(test_atr));
	ck_assert_int_eq(list[1].card_present, 0);
	ck_assert_uint_eq(list[1].atr_len, 0);
	stc_readers_free(list);
}
END_TEST

START_TEST(connect_errors)
{
	stc_card *c = NULL;

	ck_assert_int_eq(stc_connect(ctx, READER1, STC_SHARE_SHARED, &c), STC_ERR_NO_CARD);
	ck_assert_ptr_null(c);
	ck_assert_int_eq(stc_connect(ctx, "No Such Reader 00 00", STC_SHARE_SHARED, &c),
			 STC_ERR_READER_NOT_FOUND);
	ck_assert_ptr_null(c);
}
END_TEST

START_TEST(connect_t0_and_atr)
{
	uint8_t atr[STC_ATR_MAX];
	size_t len = sizeof(atr);

	connect0();
	ck_assert_uint_eq(stc_card_protocol(card), STC_PROTO_T0);
	ck_assert_int_eq(stc_card_atr(card, atr, &len), STC_OK);
	ck_assert_mem_eq(atr, test_atr, sizeof(test_atr));
	ck_assert_str_eq(stc_card_reader(card), READER0);
}
END_TEST

START_TEST(select_with_get_response)
{
	connect0();
	ck_assert_int_eq(send(0x00, 0xA4, 0x04, 0x0C, test_aid, sizeof(test_aid), 0), STC_OK);
	ck_assert_uint_eq(sw, 0x9000);
	ck_assert_uint_eq(rlen, 0);
	/* P2=00 returns an FCI, announced by 61 0C and fetched by GET RESPONSE */
	ck_assert_int_eq(send(0x00, 0xA4, 0x04, 0x00, test_aid, sizeof(test_aid), 256), STC_OK);
	ck_assert_uint_eq(sw, 0x9000);
	ck_assert_uint_eq(rlen, 12);
	ck_assert_mem_eq(resp, "\x6F\x0A\x84\x08", 4);
	ck_assert_mem_eq(resp + 4, test_aid, sizeof(test_aid));
	/* unknown AID: the card's error status comes back as is */
	ck_assert_int_eq(send(0x00, 0xA4, 0x04, 0x0C, (const uint8_t *)"\xA0\x00", 2, 0), STC_OK);
	ck_assert_uint_eq(sw, 0x6A82);
	ck_assert_int_eq(stc_sw_to_rv(sw), STC_ERR_NOT_FOUND);
}
END_TEST

START_TEST(long_answer_over_several_61)
{
	connect0();
	ck_assert_int_eq(send(0x80, 0xE2, 0x00, 0x00, NULL, 0, 256), STC_OK);
	ck_assert_uint_eq(sw, 0x9000);
	ck_assert_uint_eq(rlen, 600);
	for (size_t i = 0; i < 600; i++)
		ck_assert_uint_eq(resp[i], (uint8_t)i);
}
END_TEST

START_TEST(wrong_le_6c)
{
	connect0();
	ck_assert_int_eq(send(0x80, 0xCA, 0x01, 0x00, NULL, 0, 256), STC_OK);
	ck_assert_uint_eq(sw, 0x9000);
	ck_assert_uint_eq(rlen, 20);
	for (size_t i = 0; i < 20; i++)
		ck_assert_uint_eq(resp[i], i);
}
END_TEST

START_TEST(endless_61_is_bounded)
{
	connect0();
	ck_assert_int_eq(send(0x80, 0xE4, 0x00, 0x00, NULL, 0, 256), STC_ERR_PROTOCOL);
	/* the connection stays usable */
	ck_assert_int_eq(send(0x00, 0xA4, 0x04, 0x0C, test_aid, sizeof(test_aid), 0), STC_OK);
	ck_assert_uint_eq(sw, 0x9000);
}
END_TEST

START_TEST(command_chaining)
{
	uint8_t data[1000], digest[SHA256_DIGEST_LENGTH];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	SHA256(data, sizeof(data), digest);
	connect0();
	ck_assert_int_eq(send(0x80, 0xE6, 0x00, 0x00, data, sizeof(data), 256), STC_OK);
	ck_assert_uint_eq(sw, 0x9000);
	ck_assert_uint_eq(rlen, 34);
	ck_assert_uint_eq(resp[0], sizeof(data) >> 8);
	ck_assert_uint_eq(resp[1], sizeof(data) & 0xFF);
	ck_assert_mem_eq(resp + 2, digest, sizeof(digest));
}
END_TEST

START_TEST(pin_status_words)
{
	connect0();
	ck_assert_int_eq(send(0x00, 0x20, 0x00, 0x01, (const uint8_t *)"0000", 4, 0), STC_OK);
	ck_assert_int_eq(stc_sw_to_rv(sw), STC_ERR_PIN_INCORRECT);
	ck_assert_int_eq(stc_sw_tries_left(sw), 2);
	ck_assert_int_eq(send(0x00, 0x20, 0x00, 0x01, (const uint8_t *)"1234", 4, 0), STC_OK);
	ck_assert_uint_eq(sw, 0x9000);
}
END_TEST

START_TEST(nested_transactions)
{
	connect0();
	ck_assert_int_eq(stc_begin(card), STC_OK);
	ck_assert_int_eq(stc_begin(card), STC_OK);
	ck_assert_int_eq(send(0x80, 0xCA, 0x01, 0x00, NULL, 0, 20), STC_OK);
	ck_assert_int_eq(stc_end(card), STC_OK);
	ck_assert_int_eq(stc_end(card), STC_OK);
	ck_assert_int_eq(stc_end(card), STC_ERR_INVALID_ARGS);   /* unbalanced */
}
END_TEST

START_TEST(reset_by_another_application)
{
	stc_card *other;

	connect0();
	ck_assert_int_eq(send(0x80, 0xCA, 0x01, 0x00, NULL, 0, 20), STC_OK);
	ck_assert_int_eq(stc_connect(ctx, READER0, STC_SHARE_SHARED, &other), STC_OK);
	stc_disconnect(other, 1);          /* resets the card under our feet */
	ck_assert_int_eq(send(0x80, 0xCA, 0x01, 0x00, NULL, 0, 20), STC_ERR_CARD_RESET);
	ck_assert_int_eq(stc_reconnect(card, 0), STC_OK);
	ck_assert_int_eq(send(0x80, 0xCA, 0x01, 0x00, NULL, 0, 20), STC_OK);
	ck_assert_uint_eq(sw, 0x9000);
}
END_TEST

START_TEST(exclusive_sharing)
{
	stc_card *other = NULL;

	ck_assert_int_eq(stc_connect(ctx, READER0, STC_SHARE_EXCLUSIVE, &card), STC_OK);
	setenv("PCSCLITE_NO_BLOCKING", "1", 1);
	ck_assert_int_eq(stc_connect(ctx, READER0, STC_SHARE_SHARED, &other),
			 STC_ERR_SHARING_VIOLATION);
	ck_assert_ptr_null(other);
}
END_TEST

static void remove_card(void *arg)
{
	(void)arg;
	ck_assert_int_eq(tb_card(0, "remove", NULL, 0), 0);
}

static void insert_card(void *arg)
{
	(void)arg;
	ck_assert_int_eq(tb_card(0, "insert", NULL, 0), 0);
}

START_TEST(card_removed)
{
	connect0();
	ck_assert_int_eq(stc_begin(card), STC_OK);
	ck_assert_int_eq(send(0x80, 0xCA, 0x01, 0x00, NULL, 0, 20), STC_OK);
	remove_card(NULL);
	ck_assert_int_eq(tb_wait_card(ctx, READER0, 0), 0);
	/* inside the transaction, and outside it */
	ck_assert_int_eq(send(0x80, 0xCA, 0x01, 0x00, NULL, 0, 20), STC_ERR_CARD_REMOVED);
	(void)stc_end(card);
	ck_assert_int_eq(send(0x80, 0xCA, 0x01, 0x00, NULL, 0, 20), STC_ERR_CARD_REMOVED);
	stc_disconnect(card, 0);
	card = NULL;
	ck_assert_int_eq(stc_connect(ctx, READER0, STC_SHARE_SHARED, &card), STC_ERR_NO_CARD);
	insert_card(NULL);
	ck_assert_int_eq(tb_wait_card(ctx, READER0, 1), 0);
	connect0();
	ck_assert_int_eq(send(0x80, 0xCA, 0x01, 0x00, NULL, 0, 20), STC_OK);
	ck_assert_uint_eq(sw, 0x9000);
}
END_TEST

START_TEST(events_card_moves)
{
	stc_event ev;

	ck_assert_int_eq(stc_wait_event(ctx, 100, &ev), STC_ERR_TIMEOUT);
	tb_later(150, remove_card, NULL);
	ck_assert_int_eq(stc_wait_event(ctx, 5000, &ev), STC_OK);
	tb_join();
	ck_assert_int_eq(ev.kind, STC_EV_CARD_REMOVED);
	ck_assert_str_eq(ev.reader, READER0);
	tb_later(150, insert_card, NULL);
	ck_assert_int_eq(stc_wait_event(ctx, 5000, &ev), STC_OK);
	tb_join();
	ck_assert_int_eq(ev.kind, STC_EV_CARD_INSERTED);
	ck_assert_str_eq(ev.reader, READER0);
	ck_assert_uint_eq(ev.atr_len, sizeof(test_atr));
	ck_assert_mem_eq(ev.atr, test_atr, sizeof(test_atr));
}
END_TEST

static void cancel_ctx(void *arg)
{
	ck_assert_int_eq(stc_cancel(arg), STC_OK);
}

START_TEST(events_cancel)
{
	stc_event ev;

	tb_later(150, cancel_ctx, ctx);
	ck_assert_int_eq(stc_wait_event(ctx, 5000, &ev), STC_ERR_CANCELLED);
	tb_join();
	/* the context keeps working after a cancel */
	ck_assert_int_eq(stc_wait_event(ctx, 50, &ev), STC_ERR_TIMEOUT);
}
END_TEST


/* A thread blocked in stc_wait_event on the shared context stalls nobody:
 * listing and connecting from another thread answer at once, and a second
 * waiter takes its turn. */
struct lister {
	stc_rv rv;
	size_t n;
	long long ms;
};

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void list_from_thread(void *arg)
{
	struct lister *l = arg;
	stc_reader_info *r = NULL;
	stc_card *c = NULL;
	long long t0 = mono_ms();

	l->rv = stc_readers_list(ctx, &r, &l->n);
	if (l->rv == STC_OK)
		l->rv = stc_connect(ctx, READER0, STC_SHARE_SHARED, &c);
	l->ms = mono_ms() - t0;
	stc_readers_free(r);
	stc_disconnect(c, 0);
}

START_TEST(events_waiter_blocks_nobody)
{
	struct lister l = { STC_ERR_INTERNAL, 0, -1 };
	stc_event ev;
	long long t0 = mono_ms();

	tb_later(200, list_from_thread, &l);
	ck_assert_int_eq(stc_wait_event(ctx, 1500, &ev), STC_ERR_TIMEOUT);
	tb_join();
	ck_assert_int_ge(mono_ms() - t0, 1400);
	ck_assert_int_eq(l.rv, STC_OK);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_msg(l.ms >= 0 && l.ms < 500, "listing took %lld ms behind a waiter", l.ms);
}
END_TEST

static void stop_pcscd(void *arg)
{
	(void)arg;
	ck_assert_int_eq(tb_pcscd(0), 0);
}

static int wait_kind(stc_event_kind kind, const char *reader)
{
	stc_event ev;

	/* bounded: at most 20 events or 10 s */
	for (int i = 0; i < 20; i++) {
		if (stc_wait_event(ctx, 10000, &ev) != STC_OK)
			return -1;
		if (ev.kind == kind && (!reader || !strcmp(ev.reader, reader)))
			return 0;
	}
	return -1;
}

START_TEST(pcscd_restart)
{
	stc_reader_info *list;
	stc_event ev;
	size_t n;

	connect0();
	ck_assert_int_eq(stc_wait_event(ctx, 10, &ev), STC_ERR_TIMEOUT);  /* snapshot */
	tb_later(100, stop_pcscd, NULL);
	ck_assert_int_eq(stc_wait_event(ctx, 5000, &ev), STC_OK);
	tb_join();
	ck_assert_int_eq(ev.kind, STC_EV_SERVICE_LOST);
	ck_assert_int_eq(wait_kind(STC_EV_READER_REMOVED, READER1), 0);

	/* pcscd down: clear errors, no hang */
	ck_assert_int_eq(send(0x80, 0xCA, 0x01, 0x00, NULL, 0, 20), STC_ERR_NO_SERVICE);
	ck_assert_int_eq(stc_readers_list(ctx, &list, &n), STC_ERR_NO_SERVICE);
	stc_disconnect(card, 0);
	card = NULL;
	ck_assert_int_eq(stc_connect(ctx, READER0, STC_SHARE_SHARED, &card), STC_ERR_NO_SERVICE);
	ck_assert_int_eq(stc_wait_event(ctx, 200, &ev), STC_ERR_TIMEOUT);

	/* back: the same context recovers, the simulator reconnects by itself */
	ck_assert_int_eq(tb_pcscd(1), 0);
	ck_assert_int_eq(wait_kind(STC_EV_SERVICE_BACK, NULL), 0);
	ck_assert_int_eq(wait_kind(STC_EV_CARD_INSERTED, READER0), 0);
	ck_assert_int_eq(stc_readers_list(ctx, &list, &n), STC_OK);
	ck_assert_uint_eq(n, 2);
	stc_readers_free(list);
	connect0();
	ck_assert_int_eq(send(0x80, 0xCA, 0x01, 0x00, NULL, 0, 20), STC_OK);
	ck_assert_uint_eq(sw, 0x9000);
}
END_TEST

static Suite *pcsc_suite(void)
{
	Suite *s = suite_create("pcsc-integration");
	TCase *io = tcase_create("transmit");
	TCase *ev = tcase_create("events");

	tcase_add_checked_fixture(io, setup, teardown);
	tcase_add_checked_fixture(ev, setup, teardown);
	tcase_set_timeout(io, 30);
	tcase_set_timeout(ev, 60);
	tcase_add_test(io, readers_listed);
	tcase_add_test(io, connect_errors);
	tcase_add_test(io, connect_t0_and_atr);
	tcase_add_test(io, select_with_get_response);
	tcase_add_test(io, long_answer_over_several_61);
	tcase_add_test(io, wrong_le_6c);
	tcase_add_test(io, endless_61_is_bounded);
	tcase_add_test(io, command_chaining);
	tcase_add_test(io, pin_status_words);
	tcase_add_test(io, nested_transactions);
	tcase_add_test(io, reset_by_another_application);
	tcase_add_test(io, exclusive_sharing);
	tcase_add_test(io, card_removed);
	tcase_add_test(ev, events_card_moves);
	tcase_add_test(ev, events_cancel);
	tcase_add_test(ev, events_waiter_blocks_nobody);
	tcase_add_test(ev, pcscd_restart);
	suite_add_tcase(s, io);
	suite_add_tcase(s, ev);
	return s;
}

int main(void)
{
	return run_suite(pcsc_suite());
}
