/* check_vitale_parse.c - unit tests for src/lib/vitale_parse.c (stc_vitale_parse):
 * carte Vitale 2 identity and NIR files, as cards.md §2.3 describes them and as
 * the simulator writes them (docs/SIMULATOR-VITALE.md §1.3). Every file here is
 * built in this test, by hand or with the small TLV writer below. */
#include "config.h"

#include <check.h>
#include <string.h>

#include "santecard.h"
#include "check_util.h"

/* -------------------------------------------------------------- file writer */

struct file {
	uint8_t d[4096];
	size_t len;
};

static void put(struct file *f, const void *v, size_t n)
{
	ck_assert_uint_le(n, sizeof(f->d) - f->len);
	memcpy(f->d + f->len, v, n);
	f->len += n;
}

static void put_byte(struct file *f, uint8_t b)
{
	put(f, &b, 1);
}

/* One BER-TLV with a one-byte tag: short length below 128, else 81 xx / 82 xx xx. */
static void put_tlv(struct file *f, uint8_t tag, const void *v, size_t n)
{
	put_byte(f, tag);
	if (n < 0x80) {
		put_byte(f, (uint8_t)n);
	} else if (n < 0x100) {
		put_byte(f, 0x81);
		put_byte(f, (uint8_t)n);
	} else {
		put_byte(f, 0x82);
		put_byte(f, (uint8_t)(n >> 8));
		put_byte(f, (uint8_t)n);
	}
	put(f, v, n);
}

/* A name as the simulator writes it: Latin-1 bytes, space-padded to 25. */
static void put_name(struct file *f, uint8_t tag, const char *latin1)
{
	char v[25];
	size_t n = strlen(latin1), i;

	ck_assert_uint_le(n, sizeof(v));
	memset(v, ' ', sizeof(v));
	for (i = 0; i < n; i++)
		v[i] = latin1[i];
	put_tlv(f, tag, v, sizeof(v));
}

/* 65 { 80 surname, 81 given, 82 birth, [90 nationality] } appended to f. */
static void put_identity(struct file *f, const char *surname, const char *given,
			 const char *birth, const char *nationality)
{
	struct file t = { .len = 0 };

	put_name(&t, 0x80, surname);
	put_name(&t, 0x81, given);
	put_tlv(&t, 0x82, birth, strlen(birth));
	if (nationality)
		put_tlv(&t, 0x90, nationality, strlen(nationality));
	put_tlv(f, 0x65, t.d, t.len);
}

/* 65 { 93 nir } appended to f. */
static void put_nir(struct file *f, const char *nir)
{
	struct file t = { .len = 0 };

	put_tlv(&t, 0x93, nir, strlen(nir));
	put_tlv(f, 0x65, t.d, t.len);
}

/* 66 { 80 validity } then 00 padding up to 124 bytes (the simulator's layout). */
static void put_card_and_padding(struct file *f, const char *validity)
{
	struct file t = { .len = 0 };

	put_tlv(&t, 0x80, validity, strlen(validity));
	put_tlv(f, 0x66, t.d, t.len);
	while (f->len < 124)
		put_byte(f, 0x00);
}

/* ------------------------------------------------------------------ helpers */

#define POISON 0xA5

static void poison(stc_beneficiary *b, size_t n)
{
	memset(b, POISON, n * sizeof(*b));
}

static void assert_poisoned(const stc_beneficiary *b, size_t n)
{
	const uint8_t *p = (const uint8_t *)b;
	size_t i;

	for (i = 0; i < n * sizeof(*b); i++)
		ck_assert_uint_eq(p[i], POISON);
}

/* Parse and expect an error with nothing returned. */
static void assert_refused(const struct file *id, const struct file *nirs, stc_rv want)
{
	stc_beneficiary out[4];
	size_t count = 99;

	poison(out, 4);
	ck_assert_int_eq(stc_vitale_parse(id->d, id->len, nirs ? nirs->d : NULL,
					  nirs ? nirs->len : 0, out, 4, &count), want);
	ck_assert_uint_eq(count, 0);
	assert_poisoned(out, 4);
}

/* ---------------------------------------------------------- 1 beneficiary */

/*
 * The simulator's vitale-single card (firmware/profiles/vitale-single.profile:
 * DURAND-TEST THOMAS, 19850612, FR, NIR 185067511512380, validity 20200115),
 * written out byte for byte: 82 bytes of TLV and 42 bytes of 00.
 */
static const char SINGLE_IDENTITY[] =
	"65 44"
	" 80 19 44 55 52 41 4E 44 2D 54 45 53 54 20 20 20 20 20 20 20 20 20 20 20 20 20 20"
	" 81 19 54 48 4F 4D 41 53 20 20 20 20 20 20 20 20 20 20 20 20 20 20 20 20 20 20 20"
	" 82 08 31 39 38 35 30 36 31 32"
	" 90 02 46 52"
	" 66 0A 80 08 32 30 32 30 30 31 31 35"
	" 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
	" 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00";
static const char SINGLE_NIRS[] =
	"65 11 93 0F 31 38 35 30 36 37 35 31 31 35 31 32 33 38 30";

START_TEST(test_single)
{
	uint8_t id[256], nirs[64];
	size_t idlen = hex(SINGLE_IDENTITY, id, sizeof(id));
	size_t nlen = hex(SINGLE_NIRS, nirs, sizeof(nirs));
	stc_beneficiary out[STC_VITALE_MAX_BENEFICIARIES];
	size_t count = 0;

	ck_assert_uint_eq(idlen, 124);
	ck_assert_uint_eq(nlen, 19);
	poison(out, STC_VITALE_MAX_BENEFICIARIES);
	ck_assert_int_eq(stc_vitale_parse(id, idlen, nirs, nlen, out,
					  STC_VITALE_MAX_BENEFICIARIES, &count), STC_OK);
	ck_assert_uint_eq(count, 1);
	ck_assert_str_eq(out[0].surname, "DURAND-TEST");
	ck_assert_str_eq(out[0].given, "THOMAS");
	ck_assert_str_eq(out[0].birth, "19850612");
	ck_assert_str_eq(out[0].nationality, "FR");
	ck_assert_str_eq(out[0].nir, "185067511512380");
	ck_assert_int_eq(out[0].nir_valid, 1);
	ck_assert_int_eq(out[0].rank, 0);
	ck_assert_int_eq(out[0].quality, -1);
	/* nothing written past the one entry */
	assert_poisoned(out + 1, STC_VITALE_MAX_BENEFICIARIES - 1);
}
END_TEST

START_TEST(test_single_without_nir_file)
{
	uint8_t id[256];
	size_t idlen = hex(SINGLE_IDENTITY, id, sizeof(id));
	stc_beneficiary out[1];
	size_t count = 0;

	ck_assert_int_eq(stc_vitale_parse(id, idlen, NULL, 0, out, 1, &count), STC_OK);
	ck_assert_uint_eq(count, 1);
	ck_assert_str_eq(out[0].surname, "DURAND-TEST");
	ck_assert_str_eq(out[0].nir, "");
	ck_assert_int_eq(out[0].nir_valid, 0);
}
END_TEST

/* ------------------------------------------------------- 3 beneficiaries */

/* firmware/profiles/vitale-family.profile; LÉA is written in Latin-1 (É = C9). */
static void family(struct file *id, struct file *nirs)
{
	id->len = nirs->len = 0;
	put_identity(id, "MARTIN-TEST", "PIERRE", "19790314", NULL);
	put_identity(id, "MARTIN-TEST", "SOPHIE", "19811102", NULL);
	put_identity(id, "MARTIN-TEST", "L\xC9" "A", "20120721", NULL);
	put_card_and_padding(id, "20190903");
	put_nir(nirs, "179036912304535");
	put_nir(nirs, "281112A00401815");  /* Corsica: 2A -> 19 */
	put_nir(nirs, "212076938311224");
}

START_TEST(test_family)
{
	struct file id, nirs;
	stc_beneficiary out[STC_VITALE_MAX_BENEFICIARIES];
	size_t count = 0;

	family(&id, &nirs);
	ck_assert_uint_eq(id.len, 210);  /* docs/SIMULATOR-VITALE.md: 3 beneficiaries */
	ck_assert_int_eq(stc_vitale_parse(id.d, id.len, nirs.d, nirs.len, out,
					  STC_VITALE_MAX_BENEFICIARIES, &count), STC_OK);
	ck_assert_uint_eq(count, 3);
	ck_assert_str_eq(out[0].given, "PIERRE");
	ck_assert_str_eq(out[0].birth, "19790314");
	ck_assert_str_eq(out[0].nir, "179036912304535");
	ck_assert_str_eq(out[1].given, "SOPHIE");
	ck_assert_str_eq(out[1].nir, "281112A00401815");
	ck_assert_str_eq(out[2].surname, "MARTIN-TEST");
	ck_assert_str_eq(out[2].given, "L\xC3\x89" "A");  /* UTF-8 É */
	ck_assert_str_eq(out[2].birth, "20120721");
	ck_assert_str_eq(out[2].nir, "212076938311224");
	for (size_t i = 0; i < 3; i++) {
		ck_assert_int_eq(out[i].nir_valid, 1);
		ck_assert_str_eq(out[i].nationality, "");
		ck_assert_int_eq(out[i].rank, 0);
		ck_assert_int_eq(out[i].quality, -1);
	}
}
END_TEST

/* Exactly max fits; one less is BUFFER_TOO_SMALL with the count and out untouched. */
START_TEST(test_family_max)
{
	struct file id, nirs;
	stc_beneficiary out[3];
	size_t count = 0;

	family(&id, &nirs);
	ck_assert_int_eq(stc_vitale_parse(id.d, id.len, nirs.d, nirs.len, out, 3, &count),
			 STC_OK);
	ck_assert_uint_eq(count, 3);
	poison(out, 3);
	count = 0;
	ck_assert_int_eq(stc_vitale_parse(id.d, id.len, nirs.d, nirs.len, out, 2, &count),
			 STC_ERR_BUFFER_TOO_SMALL);
	ck_assert_uint_eq(count, 3);
	assert_poisoned(out, 3);
	/* out NULL with max 0: a way to learn the count */
	count = 0;
	ck_assert_int_eq(stc_vitale_parse(id.d, id.len, nirs.d, nirs.len, NULL, 0, &count),
			 STC_ERR_BUFFER_TOO_SMALL);
	ck_assert_uint_eq(count, 3);
}
END_TEST

/* 19 beneficiaries (the simulator's limit, a 1266-byte file) fit the documented
 * maximum; 20 do not. */
START_TEST(test_nineteen_and_twenty)
{
	struct file id = { .len = 0 }, nirs = { .len = 0 };
	stc_beneficiary out[STC_VITALE_MAX_BENEFICIARIES];
	size_t count = 0, i;

	for (i = 0; i < 19; i++) {
		char given[8] = "ENFANTA";

		given[6] = (char)('A' + i);
		put_identity(&id, "NOMBREUX", given, "20000101", NULL);
		put_nir(&nirs, "179036912304535");
	}
	put_card_and_padding(&id, "20190903");
	ck_assert_uint_eq(id.len, 1266);
	ck_assert_int_eq(stc_vitale_parse(id.d, id.len, nirs.d, nirs.len, out,
					  STC_VITALE_MAX_BENEFICIARIES, &count), STC_OK);
	ck_assert_uint_eq(count, 19);
	ck_assert_str_eq(out[0].given, "ENFANTA");
	ck_assert_str_eq(out[18].given, "ENFANTS");

	/* a 20th template after the card template */
	put_identity(&id, "NOMBREUX", "VINGT", "20000101", NULL);
	put_nir(&nirs, "179036912304535");
	poison(out, STC_VITALE_MAX_BENEFICIARIES);
	ck_assert_int_eq(stc_vitale_parse(id.d, id.len, nirs.d, nirs.len, out,
					  STC_VITALE_MAX_BENEFICIARIES, &count),
			 STC_ERR_BUFFER_TOO_SMALL);
	ck_assert_uint_eq(count, 20);
	assert_poisoned(out, STC_VITALE_MAX_BENEFICIARIES);
}
END_TEST

/* -------------------------------------------------------------------- text */

START_TEST(test_latin1)
{
	struct file id = { .len = 0 };
	stc_beneficiary out[1];
	size_t count = 0;

	/* every byte class: ASCII, 80 (C1, still mapped as Latin-1), A0, C9, FF */
	put_identity(&id, "\x80\xA0\xC9\xFF" "Z", "FRAN\xC7OISE", "19700101", "FR");
	ck_assert_int_eq(stc_vitale_parse(id.d, id.len, NULL, 0, out, 1, &count), STC_OK);
	ck_assert_str_eq(out[0].surname, "\xC2\x80\xC2\xA0\xC3\x89\xC3\xBF" "Z");
	ck_assert_str_eq(out[0].given, "FRAN\xC3\x87OISE");
}
END_TEST

/* Trailing spaces and 00 are trimmed; leading and inner spaces are kept. */
START_TEST(test_trim)
{
	struct file id = { .len = 0 }, t = { .len = 0 };
	stc_beneficiary out[1];
	size_t count = 0;

	put_tlv(&t, 0x80, " DE LA TOUR  \0\0 \0", 17);
	put_tlv(&t, 0x81, "JEAN PIERRE", 11);  /* not padded at all */
	put_tlv(&t, 0x82, "19700101  ", 10);
	put_tlv(&t, 0x90, "FR\0\0\0", 5);
	put_tlv(&id, 0x65, t.d, t.len);
	ck_assert_int_eq(stc_vitale_parse(id.d, id.len, NULL, 0, out, 1, &count), STC_OK);
	ck_assert_str_eq(out[0].surname, " DE LA TOUR");
	ck_assert_str_eq(out[0].given, "JEAN PIERRE");
	ck_assert_str_eq(out[0].birth, "19700101");
	ck_assert_str_eq(out[0].nationality, "FR");
}
END_TEST

/* A field that does not fit its member is refused, never cut. */
START_TEST(test_field_lengths)
{
	char v[80], pad[200];
	struct file id, t;
	stc_beneficiary out[1];
	size_t count = 0;

	/* 63 ASCII bytes fit surname[64]; 64 do not */
	memset(v, 'A', sizeof(v));
	id.len = t.len = 0;
	put_tlv(&t, 0x80, v, 63);
	put_tlv(&id, 0x65, t.d, t.len);
	ck_assert_int_eq(stc_vitale_parse(id.d, id.len, NULL, 0, out, 1, &count), STC_OK);
	ck_assert_uint_eq(strlen(out[0].surname), 63);
	id.len = t.len = 0;
	put_tlv(&t, 0x80, v, 64);
	put_tlv(&id, 0x65, t.d, t.len);
	assert_refused(&id, NULL, STC_ERR_INVALID_DATA);

	/* 31 Latin-1 letters (62 UTF-8 bytes) + 1 fit; 32 (64 bytes) do not */
	memset(v, 0xE9, 31);
	v[31] = 'A';
	id.len = t.len = 0;
	put_tlv(&t, 0x80, "X", 1);
	put_tlv(&t, 0x81, v, 32);
	put_tlv(&id, 0x65, t.d, t.len);
	ck_assert_int_eq(stc_vitale_parse(id.d, id.len, NULL, 0, out, 1, &count), STC_OK);
	ck_assert_uint_eq(strlen(out[0].given), 63);
	memset(v, 0xE9, 32);
	id.len = t.len = 0;
	put_tlv(&t, 0x80, "X", 1);
	put_tlv(&t, 0x81, v, 32);
	put_tlv(&id, 0x65, t.d, t.len);
	assert_refused(&id, NULL, STC_ERR_INVALID_DATA);

	/* nationality[8]: 7 bytes fit, 8 do not */
	id.len = t.len = 0;
	put_tlv(&t, 0x80, "X", 1);
	put_tlv(&t, 0x90, "ABCDEFG", 7);
	put_tlv(&id, 0x65, t.d, t.len);
	ck_assert_int_eq(stc_vitale_parse(id.d, id.len, NULL, 0, out, 1, &count), STC_OK);
	ck_assert_str_eq(out[0].nationality, "ABCDEFG");
	id.len = t.len = 0;
	put_tlv(&t, 0x80, "X", 1);
	put_tlv(&t, 0x90, "ABCDEFGH", 8);
	put_tlv(&id, 0x65, t.d, t.len);
	assert_refused(&id, NULL, STC_ERR_INVALID_DATA);

	/* but 200 bytes of blanks after a short name are fine (long form length) */
	memset(pad, ' ', sizeof(pad));
	pad[0] = 'N';
	pad[1] = 'O';
	pad[2] = 'M';
	id.len = t.len = 0;
	put_tlv(&t, 0x80, pad, sizeof(pad));
	put_tlv(&id, 0x65, t.d, t.len);
	ck_assert_uint_eq(id.d[1], 0x81);
	ck_assert_int_eq(stc_vitale_parse(id.d, id.len, NULL, 0, out, 1, &count), STC_OK);
	ck_assert_str_eq(out[0].surname, "NOM");
}
END_TEST

/* Controls inside a text field, and birth dates that are not 8 digits. */
static const struct {
	uint8_t tag;
	const char *v;
	size_t n;
} BAD_FIELDS[] = {
	{ 0x80, "DU\0RAND", 7 },   /* inner 00 would cut the string */
	{ 0x80, "DU\nRAND", 7 },
	{ 0x80, "DURAND\x7F", 7 },
	{ 0x81, "\x1F", 1 },
	{ 0x82, "1985061", 7 },
	{ 0x82, "198506123", 9 },
	{ 0x82, "1985-6-1", 8 },
	{ 0x82, " 19850612", 9 },
	{ 0x82, "", 0 },
	{ 0x90, "F\x01", 2 },
};
#define NBAD_FIELDS (sizeof(BAD_FIELDS) / sizeof(BAD_FIELDS[0]))

START_TEST(test_bad_field)
{
	struct file id = { .len = 0 }, t = { .len = 0 };

	if (BAD_FIELDS[_i].tag != 0x80)
		put_tlv(&t, 0x80, "DURAND", 6);
	put_tlv(&t, BAD_FIELDS[_i].tag, BAD_FIELDS[_i].v, BAD_FIELDS[_i].n);
	put_tlv(&id, 0x65, t.d, t.len);
	assert_refused(&id, NULL, STC_ERR_INVALID_DATA);
}
END_TEST

/* ------------------------------------------------------ structure, padding */

START_TEST(test_padding_and_unknown)
{
	static const char ident[] =
		"FF FF 00"                                   /* padding before */
		" 7F 21 04 5F 37 01 AA"                      /* unknown top-level object */
		" 65 15"
		"  83 01 01"                                 /* unknown primitive */
		"  A0 03 84 01 02"                           /* unknown constructed */
		"  00 FF"                                    /* padding inside */
		"  5F 20 00"                                 /* two-byte tag, empty */
		"  80 06 4D 41 52 54 49 4E"                  /* MARTIN */
		" 00 00 FF"                                  /* between */
		" 66 0A 80 08 32 30 31 39 30 39 30 33"
		" 65 05 80 03 42 4F 42"                      /* BOB, after the 66 */
		" FF FF FF FF";
	static const char nirs[] =
		"00 65 11 93 0F 31 37 39 30 33 36 39 31 32 33 30 34 35 33 35"
		" FF 66 00 65 14 94 01 00 93 0F 32 38 31 31 31 32 41 30 30 34 30 31 38 31 35"
		" 00";
	uint8_t id[128], n[128];
	size_t idlen = hex(ident, id, sizeof(id)), nlen = hex(nirs, n, sizeof(n)), count = 0;
	stc_beneficiary out[2];

	ck_assert_int_eq(stc_vitale_parse(id, idlen, n, nlen, out, 2, &count), STC_OK);
	ck_assert_uint_eq(count, 2);
	ck_assert_str_eq(out[0].surname, "MARTIN");
	ck_assert_str_eq(out[0].given, "");
	ck_assert_str_eq(out[0].birth, "");
	ck_assert_str_eq(out[0].nir, "179036912304535");
	ck_assert_str_eq(out[1].surname, "BOB");
	ck_assert_str_eq(out[1].nir, "281112A00401815");
	ck_assert_int_eq(out[1].nir_valid, 1);
}
END_TEST

/* Malformed identity files (with the single card's NIR file beside them). */
static const char *const BAD_IDENTITY[] = {
	"",                                      /* no beneficiary at all */
	"00 00 FF",                              /* padding only */
	"66 0A 80 08 32 30 32 30 30 31 31 35",   /* card template only */
	"65 08 80 06 44 55 52 41 4E",            /* length past the end */
	"65",                                    /* tag without length */
	"65 81",                                 /* long form without its byte */
	"65 80 80 01 41 00 00",                  /* indefinite length */
	"65 85 00 00 00 00 05 80 01 41",         /* 5-byte length form */
	"65 03 81 01 41",                        /* no surname (80) */
	"65 00",                                 /* empty template */
	"65 04 80 03 41 42",                     /* inner length past the template */
	"65 06 80 01 41 81 02 42",               /* inner value cut by the template */
	"65 06 80 01 41 80 01 42",               /* surname twice */
	"65 09 80 01 41 90 01 46 90 01 46",      /* nationality twice */
	"65 03 80 01 41 1F",                     /* trailing bad tag at top level */
	"65 03 80 01 41 66 05 80 01",            /* 66 cut short */
};
#define NBAD_IDENTITY (sizeof(BAD_IDENTITY) / sizeof(BAD_IDENTITY[0]))

START_TEST(test_bad_identity)
{
	struct file id = { .len = 0 };

	id.len = hex(BAD_IDENTITY[_i], id.d, sizeof(id.d));
	assert_refused(&id, NULL, STC_ERR_INVALID_DATA);
}
END_TEST

/* The simulator's card.corrupt_tlv = yes: the last identity template cut 22
 * bytes short (no 66, no padding), the last NIR template cut 8 bytes short. */
START_TEST(test_simulator_corrupt)
{
	struct file id, nirs, good_nirs;

	family(&id, &nirs);
	good_nirs = nirs;
	id.len = 2 * 66 + 66 - 22;  /* three 66-byte templates, the last cut */
	nirs.len -= 8;
	assert_refused(&id, &nirs, STC_ERR_INVALID_DATA);
	assert_refused(&id, &good_nirs, STC_ERR_INVALID_DATA);
	assert_refused(&id, NULL, STC_ERR_INVALID_DATA);
	/* a good identity file with the cut NIR file */
	family(&id, &good_nirs);
	assert_refused(&id, &nirs, STC_ERR_INVALID_DATA);
}
END_TEST

/* Every truncation of the family files (210 bytes: no padding) is refused, but
 * for the one that drops exactly the 66 template. */
START_TEST(test_every_truncation)
{
	struct file id, nirs, cut;
	stc_beneficiary out[3];
	size_t count, len;
	stc_rv rv;

	family(&id, &nirs);
	for (len = 0; len < id.len; len++) {
		cut = id;
		cut.len = len;
		rv = stc_vitale_parse(cut.d, cut.len, nirs.d, nirs.len, out, 3, &count);
		if (len == (size_t)3 * 66)  /* exactly the three templates, the 66 cut off */
			ck_assert_int_eq(rv, STC_OK);
		else
			ck_assert_int_eq(rv, STC_ERR_INVALID_DATA);
	}
	for (len = 0; len < nirs.len; len++) {
		cut = nirs;
		cut.len = len;
		rv = stc_vitale_parse(id.d, id.len, cut.d, cut.len, out, 3, &count);
		ck_assert_int_eq(rv, STC_ERR_INVALID_DATA);
	}
}
END_TEST

/* ---------------------------------------------------------------- NIR file */

START_TEST(test_count_mismatch)
{
	struct file id, nirs, two = { .len = 0 }, four, empty = { .len = 0 };

	family(&id, &nirs);
	put_nir(&two, "179036912304535");
	put_nir(&two, "281112A00401815");
	assert_refused(&id, &two, STC_ERR_INVALID_DATA);   /* 3 identities, 2 NIRs */
	four = nirs;
	put_nir(&four, "185067511512380");
	assert_refused(&id, &four, STC_ERR_INVALID_DATA);  /* 3 identities, 4 NIRs */
	assert_refused(&id, &empty, STC_ERR_INVALID_DATA); /* an empty NIR file */
}
END_TEST

static const char *const BAD_NIR_TEMPLATES[] = {
	"65 00",                                                   /* no 93 */
	"65 03 94 01 00",                                          /* no 93, other tag */
	"65 10 93 0E 31 38 35 30 36 37 35 31 31 35 31 32 33 38",   /* 14 characters */
	"65 12 93 10 31 38 35 30 36 37 35 31 31 35 31 32 33 38 30 31",  /* 16 */
	"65 11 93 0F 31 38 35 30 36 37 35 31 20 35 31 32 33 38 30",     /* inner blank */
	"65 11 93 0F 31 38 35 30 36 37 35 31 00 35 31 32 33 38 30",     /* inner 00 */
	"65 11 93 0F 31 38 35 30 36 37 35 31 C9 35 31 32 33 38 30",     /* non-ASCII */
	"65 11 93 10 31 38 35 30 36 37 35 31 31 35 31 32 33 38 30",     /* 93 past 65 */
	"93 0F 31 38 35 30 36 37 35 31 31 35 31 32 33 38 30",           /* no template */
};
#define NBAD_NIR_TEMPLATES (sizeof(BAD_NIR_TEMPLATES) / sizeof(BAD_NIR_TEMPLATES[0]))

START_TEST(test_bad_nir_template)
{
	struct file id = { .len = 0 }, nirs = { .len = 0 };

	id.len = hex(SINGLE_IDENTITY, id.d, sizeof(id.d));
	nirs.len = hex(BAD_NIR_TEMPLATES[_i], nirs.d, sizeof(nirs.d));
	assert_refused(&id, &nirs, STC_ERR_INVALID_DATA);
}
END_TEST

/* Two NIRs in one template: which one? */
START_TEST(test_two_nirs)
{
	struct file id = { .len = 0 }, nirs = { .len = 0 }, t = { .len = 0 };

	id.len = hex(SINGLE_IDENTITY, id.d, sizeof(id.d));
	put_tlv(&t, 0x93, "185067511512380", 15);
	put_tlv(&t, 0x93, "185067511512380", 15);
	put_tlv(&nirs, 0x65, t.d, t.len);
	assert_refused(&id, &nirs, STC_ERR_INVALID_DATA);
}
END_TEST

/* A NIR whose key does not check is returned as read, flagged nir_valid 0
 * (the simulator's nir_bad_key_ok); so is one that is not a NIR at all. */
START_TEST(test_bad_key)
{
	struct file id, nirs = { .len = 0 };
	stc_beneficiary out[3];
	size_t count = 0;

	family(&id, &nirs);
	nirs.len = 0;
	put_nir(&nirs, "179036912304536");   /* key 35 is right */
	put_nir(&nirs, "281112B00401815");   /* 2B: key would be 88 */
	put_nir(&nirs, "ABCDEFGHIJKLMNO");
	ck_assert_int_eq(stc_vitale_parse(id.d, id.len, nirs.d, nirs.len, out, 3, &count),
			 STC_OK);
	ck_assert_uint_eq(count, 3);
	ck_assert_str_eq(out[0].nir, "179036912304536");
	ck_assert_int_eq(out[0].nir_valid, 0);
	ck_assert_str_eq(out[1].nir, "281112B00401815");
	ck_assert_int_eq(out[1].nir_valid, 0);
	ck_assert_str_eq(out[2].nir, "ABCDEFGHIJKLMNO");
	ck_assert_int_eq(out[2].nir_valid, 0);
}
END_TEST

/* A NIR padded with blanks and 00 after its 15 characters is accepted. */
START_TEST(test_nir_padded)
{
	static const char nir[] =
		"65 14 93 12 31 38 35 30 36 37 35 31 31 35 31 32 33 38 30 20 20 00";
	struct file id = { .len = 0 }, nirs = { .len = 0 };
	stc_beneficiary out[1];
	size_t count = 0;

	id.len = hex(SINGLE_IDENTITY, id.d, sizeof(id.d));
	nirs.len = hex(nir, nirs.d, sizeof(nirs.d));
	ck_assert_int_eq(stc_vitale_parse(id.d, id.len, nirs.d, nirs.len, out, 1, &count),
			 STC_OK);
	ck_assert_str_eq(out[0].nir, "185067511512380");
	ck_assert_int_eq(out[0].nir_valid, 1);
}
END_TEST

/* ------------------------------------------------------------------- args */

START_TEST(test_args)
{
	uint8_t id[256];
	size_t idlen = hex(SINGLE_IDENTITY, id, sizeof(id)), count = 7;
	stc_beneficiary out[1];

	ck_assert_int_eq(stc_vitale_parse(id, idlen, NULL, 0, out, 1, NULL),
			 STC_ERR_INVALID_ARGS);
	ck_assert_int_eq(stc_vitale_parse(NULL, 0, NULL, 0, out, 1, &count),
			 STC_ERR_INVALID_ARGS);
	ck_assert_uint_eq(count, 0);
	count = 7;
	ck_assert_int_eq(stc_vitale_parse(id, idlen, NULL, 5, out, 1, &count),
			 STC_ERR_INVALID_ARGS);
	ck_assert_uint_eq(count, 0);
	ck_assert_int_eq(stc_vitale_parse(id, idlen, NULL, 0, NULL, 1, &count),
			 STC_ERR_INVALID_ARGS);
}
END_TEST

static Suite *vitale_parse_suite(void)
{
	Suite *s = suite_create("vitale_parse");
	TCase *tc = tcase_create("files");

	tcase_add_test(tc, test_single);
	tcase_add_test(tc, test_single_without_nir_file);
	tcase_add_test(tc, test_family);
	tcase_add_test(tc, test_family_max);
	tcase_add_test(tc, test_nineteen_and_twenty);
	tcase_add_test(tc, test_latin1);
	tcase_add_test(tc, test_trim);
	tcase_add_test(tc, test_field_lengths);
	tcase_add_loop_test(tc, test_bad_field, 0, NBAD_FIELDS);
	tcase_add_test(tc, test_padding_and_unknown);
	tcase_add_loop_test(tc, test_bad_identity, 0, NBAD_IDENTITY);
	tcase_add_test(tc, test_simulator_corrupt);
	tcase_add_test(tc, test_every_truncation);
	tcase_add_test(tc, test_count_mismatch);
	tcase_add_loop_test(tc, test_bad_nir_template, 0, NBAD_NIR_TEMPLATES);
	tcase_add_test(tc, test_two_nirs);
	tcase_add_test(tc, test_bad_key);
	tcase_add_test(tc, test_nir_padded);
	tcase_add_test(tc, test_args);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(vitale_parse_suite());
}
