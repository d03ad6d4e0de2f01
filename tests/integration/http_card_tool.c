/*
 * http_card_tool - drives http_do() for test_http_card.sh.
 *
 *   http_card_tool [options] URL
 *     --ca FILE              server trust anchors
 *     --card CERT_URI KEY_URI  client key on the card (pkcs11: URIs)
 *     --token SERIAL LABEL   the same, URIs from http_card_auth_uris ("" = absent)
 *     --files CERT KEY       client key from PEM files
 *     --pin-fd N             read the PIN from descriptor N (one line)
 *     --module PATH          PKCS#11 module (else SANTECARD_PKCS11_MODULE)
 *     --tls12                cap at TLS 1.2
 *     --chain FILE           PEM intermediates sent after the client certificate
 *     --method M --data STRING --type CONTENT-TYPE --max-body N --timeout MS
 *     --scan-pin             after the request, look for copies of the PIN in
 *                            this process's writable memory (but our own
 *                            buffer) and print "pin copies: N" (+ where)
 *     --leak-pin             (the scan's own check) keep a strdup()ed copy
 *   http_card_tool --uris SERIAL LABEL   prints the two URIs
 *
 *     --header "Name: value" (repeatable, up to 8)
 *
 * Prints "rv=NAME status=N", then on success "type=CONTENT-TYPE location=URL"
 * ("-" when absent) and the body; the error detail on stderr. Exit
 * status: the enum http_rv value.
 */
#include "config.h"

#include "http.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <openssl/crypto.h>

static const char *rv_name(enum http_rv rv)
{
	static const char *const names[] = {"OK", "USAGE", "CONNECT", "TIMEOUT", "TLS",
					    "CLIENT_KEY", "TOO_BIG", "OTHER"};

	return (unsigned)rv < sizeof(names) / sizeof(names[0]) ? names[rv] : "?";
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/*
 * Copies of pin (not preceded or followed by a digit, so that a longer number
 * such as a certificate's "899700012345" does not count) in the writable
 * mappings of this process, but [own, own + ownlen) and the scratch buffer.
 * /proc/self/mem reads the memory without touching it through pointers.
 */
static int scan_pin(const char *pin, const void *own, size_t ownlen)
{
	size_t plen = strlen(pin), cap = 1 << 20;
	unsigned char *scratch = mmap(NULL, cap, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	FILE *maps = fopen("/proc/self/maps", "r");
	int mem = open("/proc/self/mem", O_RDONLY);
	char line[512];
	int copies = 0;

	if (scratch == MAP_FAILED || !maps || mem < 0 || !plen)
		return -1;
	while (fgets(line, sizeof(line), maps)) {
		unsigned long lo, hi, a;
		char perms[8];

		if (strstr(line, "pkcs11") && strstr(line, "r-xp"))
			fprintf(stderr, "still mapped: %s", strchr(line, '/') ? strchr(line, '/') : line);
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || perms[1] != 'w' ||
		    (void *)lo == scratch || strstr(line, "[vvar]") || strstr(line, "[vsyscall]"))
			continue;
		if (hi - lo > (1ul << 30)) { /* a sanitizer's shadow, not our data */
			fprintf(stderr, "not scanned: %s", line);
			continue;
		}
		for (a = lo; a < hi; a += cap - 64) {
			size_t want = hi - a < cap ? hi - a : cap, i;
			ssize_t n = pread(mem, scratch, want, (off_t)a);

			if (n <= 0)
				break;
			/* chunks overlap by 64 bytes: a match starting in the overlap
			 * belongs to the next chunk */
			size_t limit = (size_t)n == cap && a + cap < hi ? cap - 64 : (size_t)n;

			for (i = 0; i < limit && i + plen <= (size_t)n; i++) {
				const unsigned char *q = scratch + i;
				unsigned long at = a + i;

				if (memcmp(q, pin, plen) != 0 || (i > 0 && is_digit(q[-1])) ||
				    (i + plen < (size_t)n && is_digit(q[plen])))
					continue;
				if (at >= (unsigned long)own && at < (unsigned long)own + ownlen)
					continue;
				copies++;
				fprintf(stderr, "pin copy at %#lx in %s  ", at, line);
				/* what surrounds it, to tell whose buffer it is */
				for (size_t j = i >= 16 ? i - 16 : 0; j < i + 24 && j < (size_t)n; j++)
					fprintf(stderr, "%02x%s", scratch[j], j + 1 == i ? " |" : " ");
				fputc('\n', stderr);
			}
			if (want < cap)
				break;
		}
	}
	fclose(maps);
	close(mem);
	munmap(scratch, cap);
	return copies;
}

static int usage(void)
{
	fprintf(stderr, "usage: http_card_tool [--ca F] [--card C K | --token S L | --files C K] "
		"[--pin-fd N] [--module P] [--tls12] [--method M] [--data S] [--type T] "
		"[--max-body N] [--timeout MS] URL\n       http_card_tool --uris SERIAL LABEL\n");
	return HTTP_ERR_USAGE;
}

int main(int argc, char **argv)
{
	struct http_tls tls = {0};
	struct http_request req = {0};
	struct http_response resp;
	char err[512], pin[64];
	char *cert_uri = NULL, *key_uri = NULL;
	int i, have_pin = 0, scan = 0;
	char *leak = NULL;
	const char *headers[9] = {0};
	int nh = 0;
	enum http_rv rv;

	req.method = "GET";
	if (argc == 4 && !strcmp(argv[1], "--uris")) {
		if (http_card_auth_uris(argv[2], argv[3], &cert_uri, &key_uri))
			return HTTP_ERR_OTHER;
		printf("%s\n%s\n", cert_uri, key_uri);
		free(cert_uri);
		free(key_uri);
		return 0;
	}
	for (i = 1; i < argc - 1; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--ca")) {
			tls.ca_file = argv[++i];
		} else if (!strcmp(a, "--card") && i + 2 < argc - 1) {
			tls.auth = HTTP_AUTH_CARD;
			tls.p11_cert_uri = argv[++i];
			tls.p11_key_uri = argv[++i];
		} else if (!strcmp(a, "--token") && i + 2 < argc - 1) {
			tls.auth = HTTP_AUTH_CARD;
			if (http_card_auth_uris(argv[i + 1], argv[i + 2], &cert_uri, &key_uri))
				return HTTP_ERR_OTHER;
			i += 2;
			tls.p11_cert_uri = cert_uri;
			tls.p11_key_uri = key_uri;
		} else if (!strcmp(a, "--files") && i + 2 < argc - 1) {
			tls.auth = HTTP_AUTH_FILES;
			tls.cert_file = argv[++i];
			tls.key_file = argv[++i];
		} else if (!strcmp(a, "--pin-fd")) {
			int fd = atoi(argv[++i]);
			ssize_t n = read(fd, pin, sizeof(pin) - 1);

			if (n < 0)
				return usage();
			pin[n] = '\0';
			pin[strcspn(pin, "\r\n")] = '\0';
			have_pin = 1;
		} else if (!strcmp(a, "--scan-pin")) {
			scan = 1;
		} else if (!strcmp(a, "--leak-pin")) {
			leak = pin;
		} else if (!strcmp(a, "--module")) {
			tls.p11_module = argv[++i];
		} else if (!strcmp(a, "--chain")) {
			tls.client_chain = argv[++i];
		} else if (!strcmp(a, "--tls12")) {
			tls.tls12_only = 1;
		} else if (!strcmp(a, "--method")) {
			req.method = argv[++i];
		} else if (!strcmp(a, "--data")) {
			req.body = argv[++i];
			req.body_len = strlen(argv[i]);
		} else if (!strcmp(a, "--header") && nh < 8) {
			headers[nh++] = argv[++i];
			req.headers = headers;
		} else if (!strcmp(a, "--type")) {
			req.content_type = argv[++i];
		} else if (!strcmp(a, "--max-body")) {
			req.max_body = strtoul(argv[++i], NULL, 10);
		} else if (!strcmp(a, "--timeout")) {
			req.timeout_ms = strtol(argv[++i], NULL, 10);
		} else {
			return usage();
		}
	}
	if (i != argc - 1)
		return usage();
	req.url = argv[i];
	if (have_pin)
		tls.pin = pin;
	if (http_global_init()) {
		fprintf(stderr, "http_global_init failed\n");
		return HTTP_ERR_OTHER;
	}
	rv = http_do(&tls, &req, &resp, err, sizeof(err));
	printf("rv=%s status=%ld\n", rv_name(rv), resp.status);
	if (leak)
		leak = strdup(pin);
	if (scan && have_pin)
		printf("pin copies: %d\n", scan_pin(pin, pin, sizeof(pin)));
	if (leak) {
		OPENSSL_cleanse(leak, strlen(leak));
		free(leak);
	}
	OPENSSL_cleanse(pin, sizeof(pin));
	if (rv == HTTP_OK) {
		printf("type=%s location=%s\n", resp.content_type ? resp.content_type : "-",
		       resp.location ? resp.location : "-");
		fwrite(resp.body, 1, resp.len, stdout);
	}
	else
		fprintf(stderr, "http_card_tool: %s: %s\n", http_rv_text(rv), err);
	http_response_free(&resp);
	http_global_cleanup();
	free(cert_uri);
	free(key_uri);
	return (int)rv;
}
