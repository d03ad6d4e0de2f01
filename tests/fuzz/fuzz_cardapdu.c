/*
 * fuzz_cardapdu.c - libFuzzer target on the APDU dispatcher of every simulated
 * card (firmware/): a card is a function from C-APDU to R-APDU, so the target
 * feeds it sequences of arbitrary APDUs, with resets and power cycles between
 * them, and checks the contract of firmware/card.h on every answer.
 *
 * Input:
 *   byte 0      card: 0 test, 1 readertest, 2 vitale2 (vitale-family profile),
 *               3 vitale1 (vitale1 profile), 4 cps3 contact (cps-doctor),
 *               5 cps3 contactless (cps-doctor); taken modulo 6
 *   byte 1      R-APDU buffer size, low 2 bits: 258 (SIM_RAPDU_MIN), 259,
 *               4098 (the card OS's largest answer + SW), 65538 (readertest's)
 *   then up to FUZZ_MAX_APDUS records:
 *     byte      event before the APDU, low 2 bits: 0 none, 1 warm reset,
 *               2 power cycle, 3 the APDU is sent while the card is powered
 *               off (then the card is powered on again)
 *     2 bytes   APDU length, big endian (cut to what remains of the input)
 *     n bytes   the C-APDU
 * The seeds in tests/fuzz/corpus/cardapdu/ follow this layout.
 *
 * Checked on every process(): the answer is at least a status word and at
 * most cap bytes (the R-APDU buffer is allocated with exactly cap bytes, so
 * ASan sees any write past it), SW1 is 6X (not 60) or 9X as ISO 7816-3 says;
 * atr() fits SIM_ATR_MAX and answers 0 to a buffer too small. Each APDU is
 * copied into its own heap block of its exact length, so reads past the
 * command are caught too. libFuzzer's -timeout catches commands that hang.
 *
 * Commands rewritten by the harness: the test card's SLEEP (80 E8 P1 P2) and
 * readertest's WAIT (80 38 P1 P2) sleep P1P2 milliseconds (up to 65 s) on
 * purpose; the harness zeroes their P1 P2 so they answer at once instead of
 * tripping the timeout. Every other byte reaches the card as generated.
 *
 * Cards are created once (a CPS3 reads its PEM keys at creation, which is
 * slow) with no state file, and powered on/off around every input. Their
 * persistent state (PIN try counters and values, files written) would make an
 * input's outcome depend on the inputs run before it (a PIN blocked for good,
 * changed, ...), so a card that was sent a command able to change that state
 * (VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER, UPDATE BINARY) is
 * destroyed after the input and created again before the next input that
 * uses it: every input then starts from the personalised card, and a crash
 * reproduces from its input file alone.
 *
 * FUZZ_TRACE=1 in the environment prints every C-APDU and its status word on
 * stderr (to read what a seed or a crash input does).
 *
 * Profiles and keys: FUZZ_PROFILE_DIR (firmware/profiles) and FUZZ_PKI_DIR
 * (the build tree's pki/, made by `make pki`), set by run-fuzz.sh; the
 * defaults compiled in by the make rule let a crash input be replayed by
 * running the binary on it directly. Without the PKI (or the profiles) the
 * cards that need them are skipped, said once on stderr, and inputs for them
 * are rejected from the corpus.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "card.h"
#include "cps/cps3.h"
#include "profile.h"
#include "readertest/readertest.h"
#include "testcard/testcard.h"
#include "vitale/vitale.h"

#ifndef FUZZ_DEFAULT_PROFILE_DIR
#define FUZZ_DEFAULT_PROFILE_DIR "firmware/profiles"
#endif
#ifndef FUZZ_DEFAULT_PKI_DIR
#define FUZZ_DEFAULT_PKI_DIR "pki"
#endif

#define FUZZ_MAX_APDUS 16
#define FUZZ_CPS_PROFILE "cps-doctor"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "fuzz_cardapdu: %s: contract violated: %s\n", v->label, #cond); \
	abort(); } } while (0)

struct variant {
	const char *label;
	const struct sim_card_ops *ops;
	const char *profile;		/* profile file name without .profile, or NULL */
	bool needs_pki;
	bool contactless;
	uint8_t sleep_ins;		/* INS that sleeps P1P2 ms (rewritten), 0 = none */
	const uint8_t *dirty_ins;	/* INS that may change persistent state */
	size_t n_dirty;
	/* runtime */
	struct sim_profile *prof;
	char pki[4096];
	bool unavailable;
	void *card;
	bool dirty;
};

static const uint8_t testcard_dirty[] = { 0x20 };
static const uint8_t cps3_dirty[] = { 0x20, 0x24, 0x2C, 0xD6 };

static struct variant variants[] = {
	{ .label = "test", .ops = &testcard_card_ops, .sleep_ins = 0xE8,
	  .dirty_ins = testcard_dirty, .n_dirty = sizeof(testcard_dirty) },
	{ .label = "readertest", .ops = &readertest_card_ops, .sleep_ins = 0x38 },
	{ .label = "vitale2", .ops = &vitale2_card_ops, .profile = "vitale-family" },
	{ .label = "vitale1", .ops = &vitale1_card_ops, .profile = "vitale1" },
	{ .label = "cps3 contact", .ops = &cps3_card_ops, .profile = FUZZ_CPS_PROFILE,
	  .needs_pki = true, .dirty_ins = cps3_dirty, .n_dirty = sizeof(cps3_dirty) },
	{ .label = "cps3 contactless", .ops = &cps3_card_ops, .profile = FUZZ_CPS_PROFILE,
	  .needs_pki = true, .contactless = true,
	  .dirty_ins = cps3_dirty, .n_dirty = sizeof(cps3_dirty) },
};
#define N_VARIANTS (sizeof(variants) / sizeof(variants[0]))

static bool trace;

static const size_t caps[4] = { SIM_RAPDU_MIN, SIM_RAPDU_MIN + 1, 4096 + 2, 65536 + 2 };

static const char *env_or(const char *name, const char *def)
{
	const char *s = getenv(name);

	return s && *s ? s : def;
}

/* Creates v's card; on failure marks the variant unavailable (once). */
static bool card_create(struct variant *v)
{
	struct sim_card_config cfg = {
		.state_path = NULL,
		.profile = v->prof,
		.pki_dir = v->needs_pki ? v->pki : NULL,
		.contactless = v->contactless,
		.verbose = 0,
	};

	v->card = v->ops->create(&cfg);
	if (!v->card) {
		fprintf(stderr, "fuzz_cardapdu: %s: create() failed; inputs for it are skipped\n",
			v->label);
		v->unavailable = true;
	}
	v->dirty = false;
	return v->card != NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *profdir = env_or("FUZZ_PROFILE_DIR", FUZZ_DEFAULT_PROFILE_DIR);
	const char *pkidir = env_or("FUZZ_PKI_DIR", FUZZ_DEFAULT_PKI_DIR);
	bool said_pki = false;

	(void)argc;
	(void)argv;
	trace = env_or("FUZZ_TRACE", NULL) != NULL;
	for (size_t i = 0; i < N_VARIANTS; i++) {
		struct variant *v = &variants[i];
		char path[4096], err[256];

		if (v->profile) {
			snprintf(path, sizeof(path), "%s/%s.profile", profdir, v->profile);
			v->prof = sim_profile_load(path, err, sizeof(err));
			if (!v->prof) {
				fprintf(stderr, "fuzz_cardapdu: SKIP %s: no profile (%s; set FUZZ_PROFILE_DIR)\n",
					v->label, err);
				v->unavailable = true;
				continue;
			}
		}
		if (v->needs_pki) {
			static const char *const need[] = { "auth.key.pem", "sign.key.pem", "tech.key.pem",
							    "auth.crt.der", "sign.crt.der", "tech.crt.der" };

			snprintf(v->pki, sizeof(v->pki), "%s/%s", pkidir, v->profile);
			for (size_t j = 0; j < sizeof(need) / sizeof(need[0]); j++) {
				snprintf(path, sizeof(path), "%s/%s", v->pki, need[j]);
				if (access(path, R_OK) != 0) {
					v->unavailable = true;
					break;
				}
			}
			if (v->unavailable) {
				if (!said_pki)
					fprintf(stderr, "fuzz_cardapdu: SKIP the CPS3 cards: no PKI in %s"
						" (run `make pki`, or set FUZZ_PKI_DIR)\n", v->pki);
				said_pki = true;
				continue;
			}
		}
		card_create(v);
	}
	return 0;
}

static bool is_dirty_ins(const struct variant *v, uint8_t ins)
{
	for (size_t i = 0; i < v->n_dirty; i++)
		if (v->dirty_ins[i] == ins)
			return true;
	return false;
}

static void check_atr(const struct variant *v)
{
	uint8_t atr[SIM_ATR_MAX], tiny[1];
	size_t n = v->ops->atr(v->card, atr, sizeof(atr));

	CHECK(n >= 2 && n <= sizeof(atr));
	CHECK(atr[0] == 0x3B || atr[0] == 0x3F);	/* TS: direct or inverse convention */
	CHECK(v->ops->atr(v->card, tiny, sizeof(tiny)) == 0);
}

/* One C-APDU: copied to a block of its exact size, answered into a block of
 * exactly cap bytes. */
static void run_apdu(struct variant *v, const uint8_t *apdu, size_t len, size_t cap)
{
	uint8_t *c = malloc(len ? len : 1), *r = malloc(cap);
	size_t n;

	if (!c || !r)
		abort();
	if (len)
		memcpy(c, apdu, len);
	if (len >= 4 && v->sleep_ins && c[1] == v->sleep_ins)
		c[2] = c[3] = 0;	/* sleep 0 ms, not P1P2 ms */
	if (len >= 2 && is_dirty_ins(v, c[1]))
		v->dirty = true;
	n = v->ops->process(v->card, c, len, r, cap);
	if (trace) {
		fprintf(stderr, "%s:", v->label);
		for (size_t i = 0; i < len && i < 48; i++)
			fprintf(stderr, " %02X", c[i]);
		fprintf(stderr, "%s -> %zu bytes", len > 48 ? " ..." : "", n);
		if (n >= 2 && n <= cap)
			fprintf(stderr, ", SW %02X %02X", r[n - 2], r[n - 1]);
		fputc('\n', stderr);
	}
	CHECK(n >= 2);
	CHECK(n <= cap);
	CHECK((r[n - 2] & 0xF0) == 0x60 || (r[n - 2] & 0xF0) == 0x90);
	CHECK(r[n - 2] != 0x60);
	if (v->ops->work_us)
		(void)v->ops->work_us(v->card);
	free(c);
	free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct variant *v;
	size_t cap, pos = 2;

	if (size < 2)
		return -1;
	v = &variants[data[0] % N_VARIANTS];
	if (v->unavailable)
		return -1;	/* not a useful input: keep it out of the corpus */
	if (!v->card && !card_create(v))
		return -1;
	cap = caps[data[1] & 3];

	v->ops->power_on(v->card);
	check_atr(v);
	for (unsigned i = 0; i < FUZZ_MAX_APDUS && size - pos >= 3; i++) {
		uint8_t event = data[pos] & 3;
		size_t len = (size_t)data[pos + 1] << 8 | data[pos + 2];

		pos += 3;
		if (len > size - pos)
			len = size - pos;
		switch (event) {
		case 1:
			v->ops->reset(v->card);
			break;
		case 2:
			v->ops->power_off(v->card);
			v->ops->power_on(v->card);
			break;
		case 3:
			v->ops->power_off(v->card);
			break;
		default:
			break;
		}
		run_apdu(v, data + pos, len, cap);
		if (event == 3)
			v->ops->power_on(v->card);
		pos += len;
	}
	v->ops->power_off(v->card);

	if (v->dirty) {
		/* Persistent state may have changed: start the next input afresh. */
		v->ops->destroy(v->card);
		v->card = NULL;
		v->dirty = false;
	}
	return 0;
}
