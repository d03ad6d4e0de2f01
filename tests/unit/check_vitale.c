/* check_vitale.c - the Vitale 2 and Vitale 1 cards, driven through their ops
 * directly, personalised from profiles written to temporary files. The
 * expected file contents are built here independently of vitale_data.c. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_util.h"
#include "profile.h"
#include "vitale/vitale.h"

static void *card;
static const struct sim_card_ops *ops;
static uint8_t rbuf[SIM_RAPDU_MIN + 16];
static size_t rlen;

/* --- profiles ------------------------------------------------------------- */

static const char single_profile[] =
	"card = vitale2\n"
	"card.validity = 20200115\n"
	"beneficiary.1.surname = DURAND-TEST\n"
	"beneficiary.1.given = THOMAS\n"
	"beneficiary.1.birth = 19850612\n"
	"beneficiary.1.nir = 185067511512380\n"
	"beneficiary.1.nationality = FR\n"
	"beneficiary.1.rank = 1\n"
	"beneficiary.1.quality = 00\n";

static const char family_profile[] =
	"card = vitale2\n"
	"card.validity = 20190903\n"
	"card.atr_variant = 4B\n"
	"beneficiary.1.surname = MARTIN-TEST\n"
	"beneficiary.1.given = PIERRE\n"
	"beneficiary.1.birth = 19790314\n"
	"beneficiary.1.nir = 179036912304535\n"
	"beneficiary.2.surname = MARTIN-TEST\n"
	"beneficiary.2.given = SOPHIE\n"
	"beneficiary.2.birth = 19811102\n"
	"beneficiary.2.nir = 281112A00401815\n"
	"beneficiary.3.surname = MARTIN-TEST\n"
	"beneficiary.3.given = L\xC3\x89" "A\n"
	"beneficiary.3.birth = 20120721\n"
	"beneficiary.3.nir = 212076938311224\n";

/* Writes text to a temporary profile file and loads it. */
static struct sim_profile *profile_from(const char *text)
{
	char path[] = "/tmp/check_vitale.XXXXXX.profile";
	char err[256];
	int fd = mkstemps(path, 8);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	struct sim_profile *p = sim_profile_load(path, err, sizeof(err));
	unlink(path);
	ck_assert_msg(p != NULL, "profile: %s", err);
	return p;
}

/* Creates ops' card from a profile text (NULL: no profile); NULL if refused. */
static void *card_from(const char *text)
{
	struct sim_profile *p = text ? profile_from(text) : NULL;
	struct sim_card_config cfg = { .profile = p };
	void *c = ops->create(&cfg);

	sim_profile_free(p);
	if (c)
		ops->power_on(c);
	return c;
}

static void teardown(void)
{
	if (card)
		ops->destroy(card);
	card = NULL;
}

static unsigned send_bytes(const uint8_t *capdu, size_t len)
{
	rlen = ops->process(card, capdu, len, rbuf, sizeof(rbuf));
	ck_assert_uint_ge(rlen, 2);
	ck_assert_uint_le(rlen, sizeof(rbuf));
	return (unsigned)rbuf[rlen - 2] << 8 | rbuf[rlen - 1];
}

static unsigned send_hex(const char *h)
{
	uint8_t capdu[300];
	return send_bytes(capdu, hex(h, capdu, sizeof(capdu)));
}

static size_t data_len(void)
{
	return rlen - 2;
}

/* A T=0 host as RUFUS and opensc-tool are: 61 xx -> GET RESPONSE xx, 6C xx ->
 * the same command again with Le = xx. The data is appended to out. Returns
 * the final SW; *n_6c counts the 6C retries. */
static unsigned t0_transmit(const char *h, uint8_t *out, size_t *outlen, size_t cap, int *n_6c)
{
	uint8_t capdu[300];
	size_t n = hex(h, capdu, sizeof(capdu));
	unsigned sw = send_bytes(capdu, n);

	*outlen = 0;
	for (int tries = 0; tries < 4 && (sw >> 8) == 0x6C; tries++) {
		if (n_6c)
			(*n_6c)++;
		ck_assert_uint_eq(n, 5);
		capdu[4] = (uint8_t)sw;
		sw = send_bytes(capdu, n);
	}
	ck_assert_uint_le(data_len(), cap);
	memcpy(out, rbuf, data_len());
	*outlen = data_len();
	while ((sw >> 8) == 0x61) {
		uint8_t gr[5] = { 0x00, 0xC0, 0x00, 0x00, (uint8_t)sw };
		sw = send_bytes(gr, 5);
		ck_assert_uint_le(*outlen + data_len(), cap);
		memcpy(out + *outlen, rbuf, data_len());
		*outlen += data_len();
	}
	return sw;
}

/* --- expected bytes, built independently ------------------------------------ */

struct person {
	const char *surname, *given_latin1, *birth, *nir, *nat;
};

static const struct person single_people[] = {
	{ "DURAND-TEST", "THOMAS", "19850612", "185067511512380", "FR" },
};
static const struct person family_people[] = {
	{ "MARTIN-TEST", "PIERRE", "19790314", "179036912304535", NULL },
	{ "MARTIN-TEST", "SOPHIE", "19811102", "281112A00401815", NULL },
	{ "MARTIN-TEST", "L\xC9" "A", "20120721", "212076938311224", NULL },
};

static size_t put_padded(uint8_t *o, uint8_t tag, const char *s)
{
	o[0] = tag;
	o[1] = 25;
	memset(o + 2, ' ', 25);
	memcpy(o + 2, s, strlen(s));
	return 27;
}

static size_t expected_ident(const struct person *p, size_t n, const char *validity, uint8_t *o)
{
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		size_t start = len;
		o[len++] = 0x65;
		o[len++] = 0;
		len += put_padded(o + len, 0x80, p[i].surname);
		len += put_padded(o + len, 0x81, p[i].given_latin1);
		o[len++] = 0x82;
		o[len++] = 8;
		memcpy(o + len, p[i].birth, 8);
		len += 8;
		if (p[i].nat) {
			o[len++] = 0x90;
			o[len++] = (uint8_t)strlen(p[i].nat);
			memcpy(o + len, p[i].nat, strlen(p[i].nat));
			len += strlen(p[i].nat);
		}
		o[start + 1] = (uint8_t)(len - start - 2);
	}
	memcpy(o + len, "\x66\x0A\x80\x08", 4);
	memcpy(o + len + 4, validity, 8);
	len += 12;
	while (len < 124)
		o[len++] = 0;
	return len;
}

static size_t expected_nirs(const struct person *p, size_t n, uint8_t *o)
{
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		memcpy(o + len, "\x65\x11\x93\x0F", 4);
		memcpy(o + len + 4, p[i].nir, 15);
		len += 19;
	}
	return len;
}

/* A tiny BER-TLV walker (one-byte tags, short lengths): the value of the
 * k-th template `tag` at top level, or NULL. */
static const uint8_t *tlv_nth(const uint8_t *d, size_t n, uint8_t tag, size_t k, size_t *vlen)
{
	size_t i = 0;

	while (i + 2 <= n) {
		if (d[i] == 0x00) {	/* padding */
			i++;
			continue;
		}
		size_t l = d[i + 1];
		ck_assert_uint_lt(l, 0x80);
		if (i + 2 + l > n)
			return NULL;
		if (d[i] == tag && k-- == 0) {
			*vlen = l;
			return d + i + 2;
		}
		i += 2 + l;
	}
	return NULL;
}

/* --- Vitale 2 --------------------------------------------------------------- */

static void v2_setup(void)
{
	ops = &vitale2_card_ops;
}

static void rufus_sequence(const struct person *people, size_t n, const char *validity)
{
	uint8_t got[1024], want[1024];
	size_t len, wlen;
	int n_6c = 0;

	ck_assert_uint_eq(t0_transmit("00 A4 00 00 02 3F 00", got, &len, sizeof(got), NULL), 0x9000);
	ck_assert_uint_eq(t0_transmit("00 B0 82 00 00", got, &len, sizeof(got), &n_6c), 0x9000);
	ck_assert_int_eq(n_6c, 1);
	wlen = expected_ident(people, n, validity, want);
	ck_assert_uint_eq(len, wlen);
	ck_assert_mem_eq(got, want, wlen);
	/* The names through the TLV walker too. */
	for (size_t i = 0; i < n; i++) {
		size_t vl, fl;
		const uint8_t *t = tlv_nth(got, len, 0x65, i, &vl);
		ck_assert_ptr_nonnull(t);
		const uint8_t *f = tlv_nth(t, vl, 0x80, 0, &fl);
		ck_assert_ptr_nonnull(f);
		ck_assert_mem_eq(f, people[i].surname, strlen(people[i].surname));
		f = tlv_nth(t, vl, 0x82, 0, &fl);
		ck_assert_uint_eq(fl, 8);
		ck_assert_mem_eq(f, people[i].birth, 8);
	}
	ck_assert_ptr_null(tlv_nth(got, len, 0x65, n, &(size_t){ 0 }));

	n_6c = 0;
	ck_assert_uint_eq(t0_transmit("00 A4 04 00 0B D2 50 00 00 02 56 49 54 41 4C 45", got, &len,
				      sizeof(got), NULL), 0x9000);
	ck_assert_uint_eq(t0_transmit("00 B0 82 00 00", got, &len, sizeof(got), &n_6c), 0x9000);
	ck_assert_int_eq(n_6c, 1);
	wlen = expected_nirs(people, n, want);
	ck_assert_uint_eq(len, wlen);
	ck_assert_mem_eq(got, want, wlen);
}

static void node_sequence(const struct person *people, size_t n, const char *validity)
{
	uint8_t got[1024], want[1024];
	size_t len;

	ck_assert_uint_eq(send_hex("00 A4 04 00 0E D2 50 00 00 02 4D 46 5F 56 49 54 41 4C 45 00") >> 8, 0x61);
	ck_assert_uint_eq(send_hex("00 A4 02 00 02 D0 01 00"), 0x611E);
	ck_assert_uint_eq(send_hex("00 C0 00 00 1E"), 0x9000);
	ck_assert_uint_eq(data_len(), 30);
	ck_assert_mem_eq(rbuf, "\x6F\x1C\x83\x02\xD0\x01", 6);
	ck_assert_uint_eq(send_hex("00 B0 00 00 7C"), 0x9000);
	ck_assert_uint_eq(data_len(), 124);
	memcpy(got, rbuf, 124);
	len = expected_ident(people, n, validity, want);
	ck_assert_uint_ge(len, 124);
	ck_assert_mem_eq(got, want, 124);
}

START_TEST(test_v2_atr)
{
	static const uint8_t want[] = { 0x3B, 0x75, 0x13, 0x00, 0x00, 0x49, 0x09, 0xEA, 0x90, 0x00 };
	uint8_t atr[SIM_ATR_MAX];

	card = card_from(single_profile);
	ck_assert_ptr_nonnull(card);
	ck_assert_uint_eq(ops->atr(card, atr, sizeof(atr)), sizeof(want));
	ck_assert_mem_eq(atr, want, sizeof(want));
	ops->destroy(card);
	card = card_from(family_profile);
	ck_assert_uint_eq(ops->atr(card, atr, sizeof(atr)), sizeof(want));
	ck_assert_uint_eq(atr[5], 0x4B);
	ck_assert_str_eq(ops->name, "vitale2");
}
END_TEST

START_TEST(test_v2_rufus_single)
{
	card = card_from(single_profile);
	ck_assert_ptr_nonnull(card);
	rufus_sequence(single_people, 1, "20200115");
}
END_TEST

START_TEST(test_v2_rufus_family)
{
	card = card_from(family_profile);
	ck_assert_ptr_nonnull(card);
	rufus_sequence(family_people, 3, "20190903");
	/* Again after a reset (volatile state cleared). */
	ops->reset(card);
	rufus_sequence(family_people, 3, "20190903");
}
END_TEST

START_TEST(test_v2_node_single)
{
	card = card_from(single_profile);
	node_sequence(single_people, 1, "20200115");
}
END_TEST

START_TEST(test_v2_node_family)
{
	card = card_from(family_profile);
	node_sequence(family_people, 3, "20190903");
}
END_TEST

/* The 6C retry byte for byte: 00 B0 82 00 00 -> 6C 7C (single: 124 bytes). */
START_TEST(test_v2_6c)
{
	card = card_from(single_profile);
	ck_assert_uint_eq(send_hex("00 A4 00 0C 02 3F 00"), 0x9000);
	ck_assert_uint_eq(send_hex("00 B0 82 00 00"), 0x6C7C);
	ck_assert_uint_eq(data_len(), 0);
	ck_assert_uint_eq(send_hex("00 B0 82 00 7C"), 0x9000);
	ck_assert_uint_eq(data_len(), 124);
	ck_assert_mem_eq(rbuf, "\x65\x44\x80\x19" "DURAND-TEST", 15);
	/* Offset reads by FID (current EF now D001). */
	ck_assert_uint_eq(send_hex("00 B0 00 04 0B"), 0x9000);
	ck_assert_mem_eq(rbuf, "DURAND-TEST", 11);
	ck_assert_uint_eq(send_hex("00 B0 00 70 10"), 0x6C0C);
	ck_assert_uint_eq(send_hex("00 B0 00 7C 01") >> 8, 0x6B);
}
END_TEST

START_TEST(test_v2_select)
{
	card = card_from(single_profile);
	/* By AID, P2 = 0C: no data. */
	ck_assert_uint_eq(send_hex("00 A4 04 0C 0B D2 50 00 00 02 56 49 54 41 4C 45"), 0x9000);
	ck_assert_uint_eq(data_len(), 0);
	/* By AID, P2 = 00: FCI 6F { 83 10 00, 84 AID, ... }. */
	unsigned sw = send_hex("00 A4 04 00 0B D2 50 00 00 02 56 49 54 41 4C 45");
	ck_assert_uint_eq(sw >> 8, 0x61);
	ck_assert_uint_eq(send_bytes((uint8_t[]){ 0x00, 0xC0, 0x00, 0x00, (uint8_t)sw }, 5), 0x9000);
	ck_assert_mem_eq(rbuf, "\x6F", 1);
	ck_assert_uint_eq(rbuf[1], data_len() - 2);
	ck_assert_mem_eq(rbuf + 2, "\x83\x02\x10\x00\x84\x0B\xD2\x50\x00\x00\x02VITALE", 17);
	/* POINTERS by FID in the current DF, read in full. */
	ck_assert_uint_eq(send_hex("00 A4 02 0C 02 20 01"), 0x9000);
	ck_assert_uint_eq(send_hex("00 B0 00 00 00") >> 8, 0x6C);
	ck_assert_uint_eq(rbuf[1], 0x45);
	ck_assert_uint_eq(send_bytes((uint8_t[]){ 0x00, 0xB0, 0x00, 0x00, rbuf[1] }, 5), 0x9000);
	ck_assert_uint_eq(rbuf[0], 0xE0);
	ck_assert_uint_eq(rbuf[1], data_len() - 2);
	ck_assert_mem_eq(rbuf + 2, "\xA0\x25\x82\x0F\x00\x01\x00\x00\xD2\x50\x00\x00\x02VITALE", 19);
	/* MF_VITALE by AID = the MF; 2F00 and 2F02 there. */
	ck_assert_uint_eq(send_hex("00 A4 04 0C 0E D2 50 00 00 02 4D 46 5F 56 49 54 41 4C 45"), 0x9000);
	ck_assert_uint_eq(send_hex("00 A4 02 0C 02 2F 00"), 0x9000);
	ck_assert_uint_eq(send_hex("00 B0 00 00 02"), 0x9000);
	ck_assert_mem_eq(rbuf, "\x61\x1B", 2);
	ck_assert_uint_eq(send_hex("00 A4 02 0C 02 2F 02"), 0x9000);
	ck_assert_uint_eq(send_hex("00 B0 00 00 02"), 0x9000);
	ck_assert_mem_eq(rbuf, "\x5A\x0A", 2);
	/* The MF by FID gives the MF_VITALE name in its FCI. */
	sw = send_hex("00 A4 00 00 02 3F 00");
	ck_assert_uint_eq(sw >> 8, 0x61);
	ck_assert_uint_eq(send_bytes((uint8_t[]){ 0x00, 0xC0, 0x00, 0x00, (uint8_t)sw }, 5), 0x9000);
	ck_assert_mem_eq(rbuf + 2, "\x83\x02\x3F\x00\x84\x0E\xD2\x50\x00\x00\x02MF_VITALE", 20);
}
END_TEST

START_TEST(test_v2_errors)
{
	card = card_from(single_profile);
	/* Unknown AID / FID. */
	ck_assert_uint_eq(send_hex("00 A4 04 00 06 D2 50 00 00 02 99"), 0x6A82);
	ck_assert_uint_eq(send_hex("00 A4 00 00 02 12 34"), 0x6A82);
	/* Bad P1 / P2. */
	ck_assert_uint_eq(send_hex("00 A4 07 00 02 3F 00"), 0x6A86);
	ck_assert_uint_eq(send_hex("00 A4 00 01 02 3F 00"), 0x6A86);
	/* Wrong Lc: promises 2 bytes, brings 1; no data for a SELECT by FID. */
	ck_assert_uint_eq(send_hex("00 A4 00 00 02 3F"), 0x6700);
	/* READ BINARY past the end of the file. */
	ck_assert_uint_eq(send_hex("00 A4 00 0C 02 3F 00"), 0x9000);
	ck_assert_uint_eq(send_hex("00 B0 82 00 01"), 0x9000);
	ck_assert_uint_eq(send_hex("00 B0 00 FF 01"), 0x6B00);
	ck_assert_uint_eq(send_hex("00 B0 A2 00 01"), 0x6A86);	/* SFI form with bits 60 */
	ck_assert_uint_eq(send_hex("00 B0 85 00 01"), 0x6A82);	/* no EF with SFI 5 */
	/* P2 = 04: the card OS's FCP. */
	ck_assert_uint_eq(send_hex("00 A4 02 04 02 D0 01") >> 8, 0x61);
	ck_assert_uint_eq(send_hex("00 C0 00 00 01") >> 8, 0x61);
	ck_assert_uint_eq(rbuf[0], 0x62);
	/* Unknown INS, CLA. */
	ck_assert_uint_eq(send_hex("00 DA 00 00 01 00"), 0x6D00);
	ck_assert_uint_eq(send_hex("00 20 00 01 00"), 0x6D00);
	ck_assert_uint_eq(send_hex("A0 A4 00 00 02 3F 00"), 0x6E00);
	/* No GET RESPONSE data pending. */
	ck_assert_uint_ne(send_hex("00 C0 00 00 10"), 0x9000);
	ck_assert_uint_eq(send_hex("00 B0"), 0x6700);
}
END_TEST

static void assert_refused(const char *text, const char *why)
{
	void *c = card_from(text);
	ck_assert_msg(c == NULL, "profile accepted: %s", why);
}

START_TEST(test_v2_bad_profiles)
{
	static const char bad_nir[] =
		"card = vitale2\ncard.validity = 20200115\n"
		"beneficiary.1.surname = A\nbeneficiary.1.given = B\nbeneficiary.1.birth = 19850612\n"
		"beneficiary.1.nir = 185067511512381\n";
	char buf[1024];

	assert_refused(bad_nir, "bad NIR key");
	/* nir_bad_key_ok lets it through, written as given. */
	snprintf(buf, sizeof(buf), "%sbeneficiary.1.nir_bad_key_ok = yes\n", bad_nir);
	card = card_from(buf);
	ck_assert_ptr_nonnull(card);
	ck_assert_uint_eq(send_hex("00 A4 04 0C 0B D2 50 00 00 02 56 49 54 41 4C 45"), 0x9000);
	ck_assert_uint_eq(send_hex("00 B0 82 00 13"), 0x9000);
	ck_assert_mem_eq(rbuf, "\x65\x11\x93\x0F" "185067511512381", 19);
	ops->destroy(card);
	card = NULL;

	assert_refused(NULL, "no profile");
	assert_refused("card = vitale2\ncard.validity = 20200115\n", "no beneficiary");
	assert_refused("card = vitale2\nbeneficiary.1.surname = A\nbeneficiary.1.given = B\n"
		       "beneficiary.1.birth = 19850612\nbeneficiary.1.nir = 185067511512380\n",
		       "no validity");
	/* Gap: 1 and 3. */
	assert_refused("card = vitale2\ncard.validity = 20200115\n"
		       "beneficiary.1.surname = A\nbeneficiary.1.given = B\n"
		       "beneficiary.1.birth = 19850612\nbeneficiary.1.nir = 185067511512380\n"
		       "beneficiary.3.surname = A\nbeneficiary.3.given = B\n"
		       "beneficiary.3.birth = 19850612\nbeneficiary.3.nir = 185067511512380\n", "gap");
	assert_refused("card = vitale2\ncard.validity = 20200115\n"
		       "beneficiary.20.surname = A\n", "N > 19");
	assert_refused("card = vitale2\ncard.validity = 20200115\n"
		       "beneficiary.1.surname = A\nbeneficiary.1.given = B\n"
		       "beneficiary.1.birth = 1985061\nbeneficiary.1.nir = 185067511512380\n", "birth");
	assert_refused("card = vitale2\ncard.validity = 20200115\n"
		       "beneficiary.1.surname = \xE2\x82\xAC\nbeneficiary.1.given = B\n"
		       "beneficiary.1.birth = 19850612\nbeneficiary.1.nir = 185067511512380\n",
		       "euro sign is not Latin-1");
	assert_refused("card = vitale2\ncard.validity = 20200115\ncard.atr_variant = 50\n"
		       "beneficiary.1.surname = A\nbeneficiary.1.given = B\n"
		       "beneficiary.1.birth = 19850612\nbeneficiary.1.nir = 185067511512380\n",
		       "atr variant");
	assert_refused("card = vitale2\ncard.validity = 20200115\n"
		       "beneficiary.1.surname = A\nbeneficiary.1.given = B\nbeneficiary.1.colour = red\n"
		       "beneficiary.1.birth = 19850612\nbeneficiary.1.nir = 185067511512380\n",
		       "unknown key");
}
END_TEST

START_TEST(test_v2_nineteen)
{
	char text[8192];
	size_t n = (size_t)snprintf(text, sizeof(text), "card = vitale2\ncard.validity = 20200115\n");

	for (int i = 1; i <= 19; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "beneficiary.%d.surname = NOM%d\nbeneficiary.%d.given = P\n"
				      "beneficiary.%d.birth = 19850612\n"
				      "beneficiary.%d.nir = 185067511512380\n", i, i, i, i, i);
	card = card_from(text);
	ck_assert_ptr_nonnull(card);
	/* 19 x 66 + 12 = 1266 bytes: read at offset 1254 (04E6). */
	ck_assert_uint_eq(send_hex("00 A4 00 0C 02 3F 00"), 0x9000);
	ck_assert_uint_eq(send_hex("00 A4 02 0C 02 D0 01"), 0x9000);
	ck_assert_uint_eq(send_hex("00 B0 04 E6 0C"), 0x9000);
	ck_assert_mem_eq(rbuf, "\x66\x0A\x80\x08" "20200115", 12);
	ck_assert_uint_eq(send_hex("00 B0 04 E4 02"), 0x9000);
	ck_assert_mem_eq(rbuf, "12", 2);	/* end of the 19th birth date */
}
END_TEST

START_TEST(test_v2_corrupt)
{
	char buf[2048];
	uint8_t got[1024];
	size_t len, vl;

	snprintf(buf, sizeof(buf), "%scard.corrupt_tlv = yes\n", family_profile);
	card = card_from(buf);
	ck_assert_ptr_nonnull(card);
	ck_assert_uint_eq(t0_transmit("00 A4 00 00 02 3F 00", got, &len, sizeof(got), NULL), 0x9000);
	ck_assert_uint_eq(t0_transmit("00 B0 82 00 00", got, &len, sizeof(got), NULL), 0x9000);
	/* Two whole templates, then one whose length runs past the end. */
	ck_assert_ptr_nonnull(tlv_nth(got, len, 0x65, 1, &vl));
	ck_assert_ptr_null(tlv_nth(got, len, 0x65, 2, &vl));
	ck_assert_uint_eq(got[132], 0x65);
	ck_assert_uint_gt(132 + 2 + (size_t)got[133], len);
}
END_TEST

START_TEST(test_latin1)
{
	uint8_t o[8];

	ck_assert_int_eq(vitale_latin1("L\xC3\x89" "A", o, sizeof(o)), 3);
	ck_assert_mem_eq(o, "L\xC9" "A", 3);
	ck_assert_int_eq(vitale_latin1("\xC3\xBF", o, sizeof(o)), 1);
	ck_assert_uint_eq(o[0], 0xFF);
	ck_assert_int_eq(vitale_latin1("\xC4\x80", o, sizeof(o)), -1);	/* U+0100 */
	ck_assert_int_eq(vitale_latin1("\xE2\x82\xAC", o, sizeof(o)), -1);	/* euro */
	ck_assert_int_eq(vitale_latin1("\xC3", o, sizeof(o)), -1);
	ck_assert_int_eq(vitale_latin1("\xC1\x81", o, sizeof(o)), -1);	/* overlong */
	ck_assert_int_eq(vitale_latin1("ABCDEFGHIJ", o, 4), 4);	/* cut */
	ck_assert_mem_eq(o, "ABCD", 4);
}
END_TEST

/* --- Vitale 1 --------------------------------------------------------------- */

static void v1_setup(void)
{
	ops = &vitale1_card_ops;
}

START_TEST(test_v1_atr)
{
	static const uint8_t want[] = { 0x3F, 0x65, 0x25, 0x00, 0x22, 0x09, 0xF9, 0x90, 0x00 };
	uint8_t atr[SIM_ATR_MAX];

	card = card_from(NULL);
	ck_assert_ptr_nonnull(card);
	ck_assert_uint_eq(ops->atr(card, atr, sizeof(atr)), sizeof(want));
	ck_assert_mem_eq(atr, want, sizeof(want));
	ck_assert_str_eq(ops->name, "vitale1");
}
END_TEST

START_TEST(test_v1_admax)
{
	card = card_from(NULL);
	ck_assert_uint_eq(send_hex("BC C0 00 00 08"), 0x9000);
	ck_assert_uint_eq(data_len(), 8);
	ck_assert_mem_eq(rbuf, "\x00\x00\x21\x88\x00\x00\x02\x00", 8);
	ck_assert_uint_eq(send_hex("BC C0 00 00 04"), 0x6C08);
	ck_assert_uint_eq(send_hex("BC C0 00 01 08"), 0x6B00);
}
END_TEST

START_TEST(test_v1_reads)
{
	uint8_t first[256];

	card = card_from("card = vitale1\ncard.data = 00010203 04050607 08\n");
	ck_assert_ptr_nonnull(card);
	/* First address: the profile's bytes, then FF. */
	ck_assert_uint_eq(send_hex("BC B0 02 00 0C"), 0x9000);
	ck_assert_uint_eq(data_len(), 12);
	ck_assert_mem_eq(rbuf, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\xFF\xFF\xFF", 12);
	/* Word addresses: 0208 is the second word. */
	ck_assert_uint_eq(send_hex("BC B0 02 08 04"), 0x9000);
	ck_assert_mem_eq(rbuf, "\x04\x05\x06\x07", 4);
	/* The last word (ADMAX), and nothing past it. */
	ck_assert_uint_eq(send_hex("BC B0 21 88 04"), 0x9000);
	ck_assert_uint_eq(data_len(), 4);
	ck_assert_uint_eq(send_hex("BC B0 21 80 08"), 0x9000);
	ck_assert_uint_eq(send_hex("BC B0 21 88 08"), 0x6700);
	ck_assert_uint_eq(send_hex("BC B0 21 90 04"), 0x6B00);
	ck_assert_uint_eq(send_hex("BC B0 01 F8 04"), 0x6B00);
	ck_assert_uint_eq(send_hex("BC B0 02 04 04"), 0x6B00);
	ck_assert_uint_eq(send_hex("BC B0 02 00 03"), 0x6700);
	ck_assert_uint_eq(send_hex("BC B0 02 00"), 0x6700);
	/* 256 bytes with P3 = 00. */
	ck_assert_uint_eq(send_hex("BC B0 02 00 00"), 0x9000);
	ck_assert_uint_eq(data_len(), 256);
	memcpy(first, rbuf, 256);
	ck_assert_uint_eq(send_hex("BC B0 04 00 04"), 0x9000);	/* word 64 = byte 256 */
	ck_assert_mem_eq(rbuf, "\xFF\xFF\xFF\xFF", 4);
	/* Others. */
	ck_assert_uint_eq(send_hex("BC A4 00 00 02 3F 00"), 0x6D00);
	ck_assert_uint_eq(send_hex("00 B0 02 00 04"), 0x6E00);
	ck_assert_uint_eq(send_hex("00 A4 00 00 02 3F 00"), 0x6E00);
}
END_TEST

START_TEST(test_v1_default_pattern)
{
	uint8_t a[16];

	card = card_from(NULL);
	ck_assert_uint_eq(send_hex("BC B0 02 00 10"), 0x9000);
	memcpy(a, rbuf, 16);
	ops->destroy(card);
	card = card_from("card = vitale1\n");
	ck_assert_uint_eq(send_hex("BC B0 02 00 10"), 0x9000);
	ck_assert_mem_eq(rbuf, a, 16);	/* fixed, not random */
	ck_assert_mem_ne(a, "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 16);
}
END_TEST

START_TEST(test_v1_bad_profiles)
{
	ck_assert_ptr_null(card_from("card = vitale1\ncard.data = 0G\n"));
	ck_assert_ptr_null(card_from("card = vitale1\ncard.admax = 0x2189\n"));
	card = card_from("card = vitale1\ncard.admax = 0x0208\n");
	ck_assert_ptr_nonnull(card);
	ck_assert_uint_eq(send_hex("BC B0 02 00 08"), 0x9000);
	ck_assert_uint_eq(send_hex("BC B0 02 00 0C"), 0x6700);
}
END_TEST

static Suite *vitale_suite(void)
{
	Suite *s = suite_create("vitale");
	TCase *tc = tcase_create("vitale2");

	tcase_add_checked_fixture(tc, v2_setup, teardown);
	tcase_add_test(tc, test_v2_atr);
	tcase_add_test(tc, test_v2_rufus_single);
	tcase_add_test(tc, test_v2_rufus_family);
	tcase_add_test(tc, test_v2_node_single);
	tcase_add_test(tc, test_v2_node_family);
	tcase_add_test(tc, test_v2_6c);
	tcase_add_test(tc, test_v2_select);
	tcase_add_test(tc, test_v2_errors);
	tcase_add_test(tc, test_v2_bad_profiles);
	tcase_add_test(tc, test_v2_nineteen);
	tcase_add_test(tc, test_v2_corrupt);
	tcase_add_test(tc, test_latin1);
	suite_add_tcase(s, tc);

	tc = tcase_create("vitale1");
	tcase_add_checked_fixture(tc, v1_setup, teardown);
	tcase_add_test(tc, test_v1_atr);
	tcase_add_test(tc, test_v1_admax);
	tcase_add_test(tc, test_v1_reads);
	tcase_add_test(tc, test_v1_default_pattern);
	tcase_add_test(tc, test_v1_bad_profiles);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(vitale_suite());
}
