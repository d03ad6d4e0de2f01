/*
 * fuzz_vitale.c - libFuzzer target for stc_vitale_parse (carte Vitale identity and
 * NIR files), and for the INS renderings of the NIRs it returns.
 *
 * Input: byte 0 says how the rest splits into the two files. 0xFF: all of it is
 * the identity file and there is no NIR file (NULL). Otherwise the NIR file is the
 * last min(byte 0, rest) bytes and the identity file what comes before. (One
 * beneficiary's NIR template is 19 bytes, so up to 13 beneficiaries' NIR files
 * can be expressed; the seeds in corpus/vitale use this layout.)
 *
 * Invariants checked beyond "does not crash":
 *  - only the documented return codes; *count 0 on errors but BUFFER_TOO_SMALL;
 *  - on success: every string NUL-terminated inside its member, valid UTF-8 with
 *    no C0 control, no trailing blank; birth "" or 8 digits; nir "" or 15
 *    printable ASCII characters; nir_valid equal to stc_nir_check's verdict;
 *    rank 0, quality -1; entries past *count untouched;
 *  - on error: out untouched;
 *  - a second parse with room for one less entry is BUFFER_TOO_SMALL with the
 *    same count, and out untouched;
 *  - the HL7 CX and FHIR renderings of a valid NIR succeed and contain the NIR.
 * The library's log.c needs apdu.c; this target stubs stc_log instead.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "santecard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)
#define POISON 0xA5

void stc_log(stc_log_level level, const char *fmt, ...)
{
	(void)level;
	(void)fmt;
}

static int untouched(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != POISON)
			return 0;
	return 1;
}

/* s is a NUL-terminated string inside cap bytes, valid UTF-8 as this parser
 * makes it (1-byte ASCII or 2-byte C2/C3 sequences), no control, no trailing blank. */
static void check_text(const char *s, size_t cap)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strnlen(s, cap), i;

	CHECK(n < cap);
	for (i = 0; i < n; i++) {
		if (u[i] < 0x80) {
			CHECK(u[i] >= 0x20 && u[i] != 0x7F);
		} else {
			CHECK((u[i] == 0xC2 || u[i] == 0xC3) && i + 1 < n &&
			      (u[i + 1] & 0xC0) == 0x80);
			i++;
		}
	}
	CHECK(n == 0 || u[n - 1] != ' ');
}

static void check_ins(const char *nir)
{
	char out[512];

	CHECK(stc_ins_hl7_cx(nir, STC_INS_NIR, out, sizeof(out)) == STC_OK);
	CHECK(strncmp(out, nir, 15) == 0);
	CHECK(stc_ins_fhir_identifier(nir, STC_INS_NIR_TEST, out, sizeof(out)) == STC_OK);
	CHECK(strstr(out, nir) != NULL);
	CHECK(stc_ins_fhir_identifier(nir, STC_INS_NIA, out, 20) == STC_ERR_BUFFER_TOO_SMALL);
}

static void check_entry(const stc_beneficiary *b, int have_nirs)
{
	size_t i;

	check_text(b->surname, sizeof(b->surname));
	check_text(b->given, sizeof(b->given));
	check_text(b->nationality, sizeof(b->nationality));
	CHECK(strnlen(b->birth, sizeof(b->birth)) < sizeof(b->birth));
	if (b->birth[0] != '\0')
		for (i = 0; i < 8; i++)
			CHECK(b->birth[i] >= '0' && b->birth[i] <= '9');
	CHECK(strnlen(b->nir, sizeof(b->nir)) == (have_nirs ? 15 : 0));
	for (i = 0; b->nir[i]; i++)
		CHECK(b->nir[i] > 0x20 && b->nir[i] < 0x7F);
	CHECK(b->nir_valid == (have_nirs && stc_nir_check(b->nir) == STC_OK));
	CHECK(b->rank == 0 && b->quality == -1);
	if (b->nir_valid)
		check_ins(b->nir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static stc_beneficiary out[STC_VITALE_MAX_BENEFICIARIES + 1];
	const uint8_t *identity, *nirs = NULL;
	size_t identity_len, nirs_len = 0, count = 12345, count2, i;
	const size_t max = STC_VITALE_MAX_BENEFICIARIES;
	stc_rv rv;

	if (size < 1)
		return 0;
	identity = data + 1;
	identity_len = size - 1;
	if (data[0] != 0xFF) {
		nirs_len = data[0] < identity_len ? data[0] : identity_len;
		identity_len -= nirs_len;
		nirs = identity + identity_len;
	}

	memset(out, POISON, sizeof(out));
	rv = stc_vitale_parse(identity, identity_len, nirs, nirs_len, out, max, &count);
	CHECK(rv == STC_OK || rv == STC_ERR_INVALID_DATA || rv == STC_ERR_BUFFER_TOO_SMALL);
	if (rv == STC_ERR_INVALID_DATA) {
		CHECK(count == 0 && untouched(out, sizeof(out)));
		return 0;
	}
	if (rv == STC_ERR_BUFFER_TOO_SMALL) {
		CHECK(count > max && untouched(out, sizeof(out)));
		return 0;
	}
	CHECK(count >= 1 && count <= max);
	for (i = 0; i < count; i++)
		check_entry(&out[i], nirs != NULL);
	CHECK(untouched(&out[count], (max + 1 - count) * sizeof(out[0])));

	/* one entry less: refused, count kept, nothing written */
	memset(out, POISON, sizeof(out));
	rv = stc_vitale_parse(identity, identity_len, nirs, nirs_len, count > 1 ? out : NULL,
			      count - 1, &count2);
	CHECK(rv == STC_ERR_BUFFER_TOO_SMALL && count2 == count && untouched(out, sizeof(out)));
	return 0;
}
