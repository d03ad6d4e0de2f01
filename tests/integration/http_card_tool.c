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
 *     --method M --data STRING --type CONTENT-TYPE --max-body N --timeout MS
 *   http_card_tool --uris SERIAL LABEL   prints the two URIs
 *
 * Prints "rv=NAME status=N" then the body; the error detail on stderr. Exit
 * status: the enum http_rv value.
 */
#include "config.h"

#include "http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/crypto.h>

static const char *rv_name(enum http_rv rv)
{
	static const char *const names[] = {"OK", "USAGE", "CONNECT", "TIMEOUT", "TLS",
					    "CLIENT_KEY", "TOO_BIG", "OTHER"};

	return (unsigned)rv < sizeof(names) / sizeof(names[0]) ? names[rv] : "?";
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
	int i, have_pin = 0;
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
		} else if (!strcmp(a, "--module")) {
			tls.p11_module = argv[++i];
		} else if (!strcmp(a, "--tls12")) {
			tls.tls12_only = 1;
		} else if (!strcmp(a, "--method")) {
			req.method = argv[++i];
		} else if (!strcmp(a, "--data")) {
			req.body = argv[++i];
			req.body_len = strlen(argv[i]);
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
	OPENSSL_cleanse(pin, sizeof(pin));
	printf("rv=%s status=%ld\n", rv_name(rv), resp.status);
	if (rv == HTTP_OK)
		fwrite(resp.body, 1, resp.len, stdout);
	else
		fprintf(stderr, "http_card_tool: %s: %s\n", http_rv_text(rv), err);
	http_response_free(&resp);
	http_global_cleanup();
	free(cert_uri);
	free(key_uri);
	return (int)rv;
}
