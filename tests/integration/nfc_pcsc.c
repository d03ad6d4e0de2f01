/*
 * nfc_pcsc.c - a plain PC/SC client for the NFC tests and benches (no token
 * layer in between): steps run in order on one connection to READER.
 *
 *   nfc_pcsc READER STEP...
 *     atr              print the ATR (SCardStatus)
 *     apdu:HEX         transmit, print the answer
 *     reset            SCardReconnect(SCARD_RESET_CARD), print the new ATR
 *     disconnect       SCardDisconnect(SCARD_LEAVE_CARD)
 *     rtt:N:HEX        N round trips of HEX: mean, median, p99, max in ms
 *     arrival:N:SOCK   N times: remove the card through the simulator's control
 *                      socket SOCK, wait until PC/SC reports it absent, insert
 *                      it, and time insert -> PC/SC "present"; then removal
 *                      the same way: mean, median, max in ms
 *
 * Errors print "error: STEP: <pcsc-lite text> (0x...)" and exit 1.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <winscard.h>

static SCARDCONTEXT ctx;
static SCARDHANDLE card;
static DWORD proto;
static const char *reader;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int fail(const char *step, LONG rv)
{
	printf("error: %s: %s (0x%08lX)\n", step, pcsc_stringify_error(rv), (unsigned long)rv);
	return 1;
}

static size_t parse_hex(const char *s, BYTE *out, size_t cap)
{
	size_t n = 0;

	while (*s && n < cap) {
		unsigned v;
		int used;

		if (*s == ' ') {
			s++;
			continue;
		}
		if (sscanf(s, "%2x%n", &v, &used) != 1)
			break;
		out[n++] = (BYTE)v;
		s += used;
	}
	return n;
}

static void print_hex(const char *prefix, const BYTE *b, DWORD n)
{
	printf("%s", prefix);
	for (DWORD i = 0; i < n; i++)
		printf("%s%02X", i ? " " : "", b[i]);
	printf("\n");
}

static LONG connect_card(void)
{
	if (card)
		return SCARD_S_SUCCESS;
	return SCardConnect(ctx, reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
			    &card, &proto);
}

static LONG transmit(const BYTE *c, size_t n, BYTE *r, DWORD *rlen)
{
	const SCARD_IO_REQUEST *pci = proto == SCARD_PROTOCOL_T1 ? SCARD_PCI_T1 : SCARD_PCI_T0;

	return SCardTransmit(card, pci, c, (DWORD)n, NULL, r, rlen);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void stats(const char *what, double *v, int n)
{
	double sum = 0;

	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	for (int i = 0; i < n; i++)
		sum += v[i];
	printf("%s: n %d mean %.3f median %.3f p99 %.3f max %.3f ms\n", what, n, sum / n,
	       v[n / 2], v[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1], v[n - 1]);
}

static int step_rtt(const char *arg)
{
	BYTE c[300], r[300];
	char *end;
	long n = strtol(arg, &end, 10);
	size_t clen = *end == ':' ? parse_hex(end + 1, c, sizeof(c)) : 0;
	double *t;
	LONG rv;

	if (n < 1 || n > 1000000 || clen < 4)
		return fail("rtt", SCARD_E_INVALID_PARAMETER);
	if ((rv = connect_card()) != SCARD_S_SUCCESS)
		return fail("connect", rv);
	t = calloc((size_t)n, sizeof(*t));
	if (!t)
		return 1;
	for (long i = 0; i < n; i++) {
		DWORD rlen = sizeof(r);
		double t0 = now_ms();

		rv = transmit(c, clen, r, &rlen);
		t[i] = now_ms() - t0;
		if (rv != SCARD_S_SUCCESS) {
			free(t);
			return fail("rtt", rv);
		}
	}
	stats("rtt", t, (int)n);
	free(t);
	return 0;
}

static int control(const char *sock, const char *cmd)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char buf[64];
	int fd = socket(AF_UNIX, SOCK_STREAM, 0), ok;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	ok = write(fd, cmd, strlen(cmd)) == (ssize_t)strlen(cmd) && read(fd, buf, sizeof(buf)) > 0;
	close(fd);
	return ok ? 0 : -1;
}

/* Waits (30 s at most) until the reader's card is present (want 1) or not. */
static LONG wait_card(int want)
{
	SCARD_READERSTATE st = { .szReader = reader, .dwCurrentState = SCARD_STATE_UNAWARE };
	double end = now_ms() + 30000;

	for (;;) {
		LONG rv = SCardGetStatusChange(ctx, 1000, &st, 1);

		if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT)
			return rv;
		if (!!(st.dwEventState & SCARD_STATE_PRESENT) == want)
			return SCARD_S_SUCCESS;
		if (now_ms() > end)
			return SCARD_E_TIMEOUT;
		st.dwCurrentState = st.dwEventState & ~SCARD_STATE_CHANGED;
	}
}

static int step_arrival(const char *arg)
{
	char *end;
	long n = strtol(arg, &end, 10);
	const char *sock = *end == ':' ? end + 1 : "";
	double *in, *out;
	LONG rv = SCARD_S_SUCCESS;

	if (n < 1 || n > 10000 || !*sock)
		return fail("arrival", SCARD_E_INVALID_PARAMETER);
	in = calloc((size_t)n, sizeof(*in));
	out = calloc((size_t)n, sizeof(*out));
	for (long i = 0; in && out && i < n; i++) {
		double t0;

		/* vary the phase against pcscd's 400 ms presence polling */
		usleep((useconds_t)(37000 * (i % 11)));
		t0 = now_ms();
		if (control(sock, "remove\n") < 0 || (rv = wait_card(0)) != SCARD_S_SUCCESS)
			break;
		out[i] = now_ms() - t0;
		usleep((useconds_t)(41000 * (i % 7)));
		t0 = now_ms();
		if (control(sock, "insert\n") < 0 || (rv = wait_card(1)) != SCARD_S_SUCCESS)
			break;
		in[i] = now_ms() - t0;
		if (i == n - 1) {
			stats("arrival", in, (int)n);
			stats("removal", out, (int)n);
			free(in);
			free(out);
			return 0;
		}
	}
	free(in);
	free(out);
	return fail("arrival", rv == SCARD_S_SUCCESS ? SCARD_F_UNKNOWN_ERROR : rv);
}

static int step(const char *s)
{
	BYTE buf[300], atr[MAX_ATR_SIZE];
	DWORD len = sizeof(buf), atrlen = sizeof(atr), state, p;
	LONG rv;

	if (!strcmp(s, "disconnect")) {
		rv = card ? SCardDisconnect(card, SCARD_LEAVE_CARD) : SCARD_S_SUCCESS;
		card = 0;
		return rv == SCARD_S_SUCCESS ? 0 : fail(s, rv);
	}
	if (!strncmp(s, "rtt:", 4))
		return step_rtt(s + 4);
	if (!strncmp(s, "arrival:", 8))
		return step_arrival(s + 8);
	if ((rv = connect_card()) != SCARD_S_SUCCESS)
		return fail("connect", rv);
	if (!strcmp(s, "atr") || !strcmp(s, "reset")) {
		if (!strcmp(s, "reset") &&
		    (rv = SCardReconnect(card, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
					 SCARD_RESET_CARD, &proto)) != SCARD_S_SUCCESS)
			return fail(s, rv);
		char name[256];
		DWORD nlen = sizeof(name);

		if ((rv = SCardStatus(card, name, &nlen, &state, &p, atr, &atrlen)) != SCARD_S_SUCCESS)
			return fail(s, rv);
		print_hex("atr: ", atr, atrlen);
		return 0;
	}
	if (!strncmp(s, "apdu:", 5)) {
		size_t n = parse_hex(s + 5, buf, sizeof(buf));
		BYTE r[300];
		DWORD rlen = sizeof(r);

		if (n < 4)
			return fail(s, SCARD_E_INVALID_PARAMETER);
		if ((rv = transmit(buf, n, r, &rlen)) != SCARD_S_SUCCESS)
			return fail("apdu", rv);
		print_hex("< ", r, rlen);
		return 0;
	}
	(void)len;
	return fail(s, SCARD_E_INVALID_PARAMETER);
}

int main(int argc, char **argv)
{
	LONG rv;
	int rc = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: nfc_pcsc READER STEP...\n");
		return 2;
	}
	reader = argv[1];
	if ((rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx)) != SCARD_S_SUCCESS)
		return fail("context", rv);
	for (int i = 2; i < argc && rc == 0; i++)
		rc = step(argv[i]);
	if (card)
		SCardDisconnect(card, SCARD_LEAVE_CARD);
	SCardReleaseContext(ctx);
	return rc;
}
