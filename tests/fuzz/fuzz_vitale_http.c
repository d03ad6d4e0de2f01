/*
 * fuzz_vitale_http.c - libFuzzer target for the request head parser of
 * santecard-vitale serve (src/tools/vitale/http.c) and its Host check.
 *
 * Input: the bytes a client sends, cut at a 512-byte limit or at the size (the
 * server uses 8 KiB; a small limit reaches HTTP_TOO_LARGE). Invariants: only
 * the documented results; on HTTP_OK the path is a NUL-terminated origin-form
 * path (starts with '/', printable ASCII, no '?'), the head holds a blank line
 * within the limit, and host is NUL-terminated; HTTP_INCOMPLETE never when the
 * input reached the limit; parsing a prefix never gives HTTP_OK unless it holds
 * the blank line.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vitale.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const size_t max = 512;
	struct http_req r;
	enum http_parse p;
	char *buf;

	/* a copy of exactly size bytes: ASan sees any read past the end */
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	p = http_parse_request(buf, size, max, &r);
	CHECK(p >= HTTP_INCOMPLETE && p <= HTTP_BAD_VERSION);
	CHECK(memchr(r.path, '\0', sizeof(r.path)) && memchr(r.host, '\0', sizeof(r.host)));
	if (p == HTTP_OK) {
		CHECK(r.path[0] == '/' && !strchr(r.path, '?'));
		for (const char *c = r.path; *c; c++)
			CHECK(*c > 0x20 && *c < 0x7F);
		CHECK(size >= 16);
		(void)http_host_ok(r.host, 8765, "example.test:8765");
		(void)http_host_ok(r.host, 80, NULL);
	}
	if (p == HTTP_INCOMPLETE)
		CHECK(size < max);
	if (size > 1) {
		struct http_req r2;
		enum http_parse p2 = http_parse_request(buf, size / 2, max, &r2);

		if (p2 == HTTP_OK)
			CHECK(memmem(buf, size / 2, "\n\n", 2) || memmem(buf, size / 2, "\n\r\n", 3));
	}
	free(buf);
	return 0;
}
