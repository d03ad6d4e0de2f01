/*
 * fuzz_atr.c - libFuzzer target for the ATR parser and its description.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "santecard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[160], tiny[16];
	stc_atr a;
	stc_rv rv = stc_atr_parse(data, size, &a);
	size_t i;

	CHECK(rv == STC_OK || rv == STC_ERR_INVALID_DATA);
	CHECK(a.raw_len <= STC_ATR_MAX && a.hist_len <= sizeof(a.hist));
	CHECK(memcmp(a.raw, data, a.raw_len) == 0);
	if (rv == STC_OK) {
		CHECK(size <= STC_ATR_MAX && a.raw_len == size);
		CHECK(a.tck_ok == a.tck_present);
	}
	for (i = 0; i < sizeof(a.present); i++)
		CHECK(a.present[i] <= 0x0F);
	/* Describe whatever was parsed, even from invalid input. */
	CHECK(stc_atr_describe(&a, text, sizeof(text)) == STC_OK);
	CHECK(strlen(text) < sizeof(text));
	rv = stc_atr_describe(&a, tiny, sizeof(tiny));
	CHECK(rv == STC_ERR_BUFFER_TOO_SMALL && tiny[0] == '\0');
	return 0;
}
