/*
 * check_concurrency.c - threads sharing one card or token, and a card reset by
 * another connection, through the real stack (libpcsclite -> pcscd -> vpcd ->
 * santecard-sim, the cps-doctor CPS3 in reader 0). Run by
 * tests/integration/test_concurrency.sh inside the testbed.
 */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "santecard.h"
#include "check_util.h"
#include "tb.h"

static const uint8_t cps_aid[] = { 0xE8, 0x28, 0xBD, 0x08, 0x0F, 0x80, 0x25, 0x00, 0x00,
				   0x01, 0xFF, 0x00, 0x10 };

static stc_ctx *ctx;
static stc_card *card;
static stc_token *tok;

static void setup(void)
{
	ck_assert_int_eq(stc_ctx_new(&ctx), STC_OK);
	ck_assert_int_eq(tb_wait_card(ctx, READER0, 1), 0);
	ck_assert_int_eq(stc_connect(ctx, READER0, STC_SHARE_SHARED, &card), STC_OK);
	tok = NULL;
}

static void teardown(void)
{
	stc_token_close(tok);
	stc_disconnect(card, 1);   /* leave no verified PIN to the next test */
	stc_ctx_free(ctx);
}

/* ------------------------------------------------------ transactions */

#define THREADS 4
#define ROUNDS 40
#define PAIRS 3            /* SELECT + GET CHALLENGE pairs per transaction */

static pthread_mutex_t trace_lock = PTHREAD_MUTEX_INITIALIZER;
static int trace[THREADS * ROUNDS * PAIRS * 2];
static size_t ntrace;
static int failures;

static void note(int who)
{
	pthread_mutex_lock(&trace_lock);
	if (ntrace < sizeof(trace) / sizeof(trace[0]))
		trace[ntrace++] = who;
	pthread_mutex_unlock(&trace_lock);
}

static void bad(void)
{
	pthread_mutex_lock(&trace_lock);
	failures++;
	pthread_mutex_unlock(&trace_lock);
}

/* Each thread: ROUNDS transactions of PAIRS (SELECT, GET CHALLENGE) pairs, each
 * exchange noted in the shared trace right after it returns. Inside one
 * transaction no other thread may send anything: the trace shows runs of
 * PAIRS * 2 entries of one thread. */
static void *tx_worker(void *arg)
{
	int who = (int)(intptr_t)arg;
	stc_apdu sel = { 0x00, 0xA4, 0x04, 0x0C, cps_aid, sizeof(cps_aid), 0 };
	stc_apdu chal = { 0x00, 0x84, 0x00, 0x00, NULL, 0, 8 };
	uint8_t resp[64];
	size_t len;
	uint16_t sw;

	for (int r = 0; r < ROUNDS; r++) {
		if (stc_begin(card) != STC_OK) {
			bad();
			continue;
		}
		for (int p = 0; p < PAIRS; p++) {
			if (stc_transmit(card, &sel, resp, sizeof(resp), &len, &sw) != STC_OK ||
			    sw != 0x9000)
				bad();
			note(who);
			if (stc_transmit(card, &chal, resp, sizeof(resp), &len, &sw) != STC_OK ||
			    sw != 0x9000 || len != 8)
				bad();
			note(who);
		}
		if (stc_end(card) != STC_OK)
			bad();
	}
	return NULL;
}

START_TEST(transactions_do_not_interleave)
{
	pthread_t th[THREADS];
	int switches = 0;

	ntrace = 0;
	failures = 0;
	for (int i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, tx_worker, (void *)(intptr_t)i), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	ck_assert_int_eq(failures, 0);
	ck_assert_uint_eq(ntrace, THREADS * ROUNDS * PAIRS * 2);
	for (size_t i = 0; i < ntrace; i += PAIRS * 2) {
		for (size_t j = 1; j < PAIRS * 2; j++)
			ck_assert_msg(trace[i + j] == trace[i],
				      "transaction at %zu interleaved: thread %d then %d", i,
				      trace[i], trace[i + j]);
		if (i && trace[i] != trace[i - 1])
			switches++;
	}
	/* the threads did run concurrently (not one after the other) */
	ck_assert_int_gt(switches, THREADS - 1);
	/* stc_end belongs to the thread in the transaction */
	ck_assert_int_eq(stc_end(card), STC_ERR_INVALID_ARGS);
}
END_TEST

/* A thread connects (same stc_ctx) while another holds a transaction on the
 * reader: pcscd makes the connect wait for the transaction's end, which must
 * still be able to come (each card has its own PC/SC context). */
static void *holder_of_transaction(void *arg)
{
	stc_apdu sel = { 0x00, 0xA4, 0x04, 0x0C, cps_aid, sizeof(cps_aid), 0 };
	uint8_t resp[16];
	size_t len;
	uint16_t sw;

	(void)arg;
	if (stc_begin(card) != STC_OK) {
		bad();
		return NULL;
	}
	usleep(300000);
	if (stc_transmit(card, &sel, resp, sizeof(resp), &len, &sw) != STC_OK || sw != 0x9000)
		bad();
	if (stc_end(card) != STC_OK)
		bad();
	return NULL;
}

START_TEST(connect_while_another_thread_in_transaction)
{
	stc_card *second = NULL;
	pthread_t th;

	failures = 0;
	ck_assert_int_eq(pthread_create(&th, NULL, holder_of_transaction, NULL), 0);
	usleep(100000);
	ck_assert_int_eq(stc_connect(ctx, READER0, STC_SHARE_SHARED, &second), STC_OK);
	pthread_join(th, NULL);
	ck_assert_int_eq(failures, 0);
	stc_disconnect(second, 0);
}
END_TEST

/* --------------------------------------------------------- one token */

static const stc_object *find(const char *label)
{
	const stc_object *objs;
	size_t n;

	ck_assert_int_eq(stc_token_objects(tok, &objs, &n), STC_OK);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(objs[i].label, label))
			return &objs[i];
	ck_abort_msg("no object '%s'", label);
	return NULL;
}

struct reader_job {
	unsigned handle;
	const uint8_t *want;
	size_t want_len;
};

/* Read one certificate again and again through the shared token: each read
 * is a SELECT by path and several READ BINARY; another thread's SELECT in
 * between would give the wrong bytes. */
static void *read_worker(void *arg)
{
	const struct reader_job *j = arg;

	for (int r = 0; r < 15; r++) {
		uint8_t *data;
		size_t len;

		if (stc_token_read_object(tok, j->handle, &data, &len) != STC_OK ||
		    len != j->want_len || memcmp(data, j->want, len))
			bad();
		stc_free(data, len);
	}
	return NULL;
}

START_TEST(token_shared_by_threads)
{
	const char *labels[2] = { "Certificat d'Authentification CPS",
				  "Certificat de Signature CPS" };
	struct reader_job jobs[4];
	uint8_t *want[2];
	size_t want_len[2];
	pthread_t th[4];

	ck_assert_int_eq(stc_token_open(card, &tok), STC_OK);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(stc_token_read_object(tok, find(labels[i])->handle, &want[i],
						       &want_len[i]), STC_OK);
		ck_assert_uint_gt(want_len[i], 0xE7 * 2);   /* several READ BINARY */
	}
	ck_assert(want_len[0] != want_len[1] || memcmp(want[0], want[1], want_len[0]));
	failures = 0;
	for (int i = 0; i < 4; i++) {
		jobs[i].handle = find(labels[i % 2])->handle;
		jobs[i].want = want[i % 2];
		jobs[i].want_len = want_len[i % 2];
		ck_assert_int_eq(pthread_create(&th[i], NULL, read_worker, &jobs[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	ck_assert_int_eq(failures, 0);
	for (int i = 0; i < 2; i++)
		stc_free(want[i], want_len[i]);
}
END_TEST

/* ------------------------------------------------------------ resets */

/* Another application resets the card: its own context (pcscd runs one
 * client's commands in order: a connect on our context would wait for our
 * own transaction, held by a worker thread stuck behind it). */
static void reset_by_other(void)
{
	stc_ctx *octx;
	stc_card *other;

	ck_assert_int_eq(stc_ctx_new(&octx), STC_OK);
	ck_assert_int_eq(stc_connect(octx, READER0, STC_SHARE_SHARED, &other), STC_OK);
	stc_disconnect(other, 1);
	stc_ctx_free(octx);
}

static const uint8_t msg[] = "santecard concurrency";

/* Handles looked up right after opening: looking them up later would be an
 * operation of its own (and absorb the reset before the one under test). */
static unsigned h_aut_key, h_act, h_auth_cert, h_sign_cert;

static void open_token(void)
{
	ck_assert_int_eq(stc_token_open(card, &tok), STC_OK);
	h_aut_key = find("CPS_PRIV_AUT")->handle;
	h_act = find("CPS_ACTIVITY_01_PS")->handle;
	h_auth_cert = find("Certificat d'Authentification CPS")->handle;
	h_sign_cert = find("Certificat de Signature CPS")->handle;
}

static stc_rv sign_aut(void)
{
	uint8_t sig[512];
	size_t sig_len = sizeof(sig);

	return stc_token_sign(tok, h_aut_key, STC_HASH_SHA256, msg, sizeof(msg), sig,
			      &sig_len);
}

static stc_rv read_handle(unsigned h)
{
	uint8_t *data;
	size_t len;
	stc_rv rv = stc_token_read_object(tok, h, &data, &len);

	stc_free(data, len);
	return rv;
}

static int verified(void)
{
	stc_pin_info pi;

	ck_assert_int_eq(stc_token_pin_info(tok, STC_PIN_USER, &pi), STC_OK);
	return pi.verified;
}

START_TEST(reset_then_pin_operation)
{
	int tries;

	open_token();
	ck_assert_int_eq(stc_token_pin_verify(tok, "1234", 4, &tries), STC_OK);
	ck_assert_int_eq(sign_aut(), STC_OK);
	ck_assert_int_eq(read_handle(h_act), STC_OK);

	/* the first operation after the reset needs the PIN: refused, not
	 * re-verified; the connection was restored on the way */
	reset_by_other();
	ck_assert_int_eq(sign_aut(), STC_ERR_SECURITY_STATUS);
	ck_assert_int_eq(verified(), 0);
	ck_assert_int_eq(read_handle(h_act), STC_ERR_SECURITY_STATUS);
	ck_assert_int_eq(read_handle(h_auth_cert), STC_OK);
	/* the application verifies again, then all is as before */
	ck_assert_int_eq(stc_token_pin_verify(tok, "1234", 4, &tries), STC_OK);
	ck_assert_int_eq(sign_aut(), STC_OK);
}
END_TEST

START_TEST(reset_then_public_operation)
{
	const stc_object *objs;
	stc_cps_holder holder;
	size_t n;
	int tries;

	open_token();
	ck_assert_int_eq(stc_token_pin_verify(tok, "1234", 4, &tries), STC_OK);
	ck_assert_int_eq(read_handle(h_act), STC_OK);

	/* operations without PIN: one transparent reconnect and retry each */
	reset_by_other();
	ck_assert_int_eq(read_handle(h_sign_cert), STC_OK);
	reset_by_other();
	ck_assert_int_eq(stc_token_objects(tok, &objs, &n), STC_OK);
	ck_assert_uint_gt(n, 0);
	reset_by_other();
	ck_assert_int_eq(stc_token_cps_holder(tok, &holder), STC_OK);
	/* the PIN was lost with the reset and is not verified behind our back */
	ck_assert_int_eq(verified(), 0);
	ck_assert_int_eq(read_handle(h_act), STC_ERR_SECURITY_STATUS);
	ck_assert_int_eq(sign_aut(), STC_ERR_SECURITY_STATUS);
	/* a reset before a PIN verification: retried (nothing had been sent) */
	reset_by_other();
	ck_assert_int_eq(stc_token_pin_verify(tok, "1234", 4, &tries), STC_OK);
	ck_assert_int_eq(verified(), 1);
}
END_TEST

/* Resets while two threads use the token: both keep working. */
static atomic_int stop;
static atomic_int pause_work;
static atomic_int reads;

static void *cert_worker(void *arg)
{
	unsigned h = *(const unsigned *)arg;

	/* bounded: the main thread stops it after its resets */
	for (int r = 0; r < 100000 && !atomic_load(&stop); r++) {
		stc_rv rv;

		/* pcscd lets a connect wait until it sees no transaction at one of
		 * its polls: back-to-back transactions would starve the resetter */
		while (atomic_load(&pause_work) && !atomic_load(&stop))
			usleep(1000);
		rv = read_handle(h);

		if (rv != STC_OK) {
			fprintf(stderr, "cert_worker: %s\n", stc_strerror(rv));
			bad();
		}
		atomic_fetch_add(&reads, 1);
	}
	return NULL;
}

START_TEST(reset_while_threads_work)
{
	pthread_t th[2];
	int before;

	open_token();
	failures = 0;
	atomic_store(&stop, 0);
	atomic_store(&pause_work, 0);
	atomic_store(&reads, 0);
	ck_assert_int_eq(pthread_create(&th[0], NULL, cert_worker, &h_auth_cert), 0);
	ck_assert_int_eq(pthread_create(&th[1], NULL, cert_worker, &h_sign_cert), 0);
	for (int i = 0; i < 5; i++) {
		atomic_store(&pause_work, 1);
		reset_by_other();
		atomic_store(&pause_work, 0);
		before = atomic_load(&reads);
		/* let the workers see it (a reset during the retry of the previous
		 * one would make that operation fail: retried once only) */
		for (int w = 0; w < 500 && atomic_load(&reads) < before + 4; w++)
			usleep(2000);
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	ck_assert_int_eq(failures, 0);
	ck_assert_int_gt(atomic_load(&reads), 10);
}
END_TEST

static Suite *concurrency_suite(void)
{
	Suite *s = suite_create("concurrency");
	TCase *tc = tcase_create("threads and resets");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, transactions_do_not_interleave);
	tcase_add_test(tc, connect_while_another_thread_in_transaction);
	tcase_add_test(tc, token_shared_by_threads);
	tcase_add_test(tc, reset_then_pin_operation);
	tcase_add_test(tc, reset_then_public_operation);
	tcase_add_test(tc, reset_while_threads_work);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(concurrency_suite());
}
