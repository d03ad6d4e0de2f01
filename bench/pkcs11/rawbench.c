/* rawbench - the floor under a PKCS#11 module's C_Sign: the same APDUs sent with
 * nothing but SCardTransmit.
 *
 *   rawbench APDU-FILE COUNT < PIN
 *
 * APDU-FILE holds one signature's command APDUs as p11bench's module sent them
 * (extracted from santecard-sim's trace by bench/pkcs11/run.sh), one a line: the
 * command in hex, then the status word the card answered (e.g. "00 88 00 00 33 ...
 * : 61 00"). rawbench connects to the first reader, verifies the PIN read from
 * stdin (VERIFY 00 20 00 01, not timed), then sends the list COUNT times and checks
 * every status word against the file. RAW_TRANSACTION=1 wraps each repetition in
 * SCardBeginTransaction/SCardEndTransaction, as a module that locks the card per
 * operation does. Prints sign_per_s=N.
 */
#define _POSIX_C_SOURCE 200809L
#include <PCSC/winscard.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_APDUS 64

struct apdu {
	DWORD len;
	unsigned char cmd[261];
	unsigned char sw[2];
};

static struct apdu apdus[MAX_APDUS];
static int napdus;

/* parse_line: "HEX ... : SW1 SW2" into apdus[napdus]. */
static int parse_line(char *line)
{
	struct apdu *a = &apdus[napdus];
	char *colon = strchr(line, ':'), *p, *end;
	unsigned long b;
	int i = 0;

	if (!colon)
		return -1;
	*colon = '\0';
	for (p = line; *p;) {
		b = strtoul(p, &end, 16);
		if (end == p)
			break;
		if (a->len >= sizeof(a->cmd) || b > 0xFF)
			return -1;
		a->cmd[a->len++] = (unsigned char)b;
		p = end;
	}
	for (p = colon + 1; i < 2; i++) {
		b = strtoul(p, &end, 16);
		if (end == p || b > 0xFF)
			return -1;
		a->sw[i] = (unsigned char)b;
		p = end;
	}
	return a->len >= 4 ? 0 : -1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int transmit(SCARDHANDLE h, DWORD proto, const unsigned char *cmd, DWORD len,
		    unsigned char sw[2])
{
	const SCARD_IO_REQUEST *pci = proto == SCARD_PROTOCOL_T1 ? SCARD_PCI_T1 : SCARD_PCI_T0;
	unsigned char rsp[258];
	DWORD rlen = sizeof(rsp);
	LONG rv = SCardTransmit(h, pci, cmd, len, NULL, rsp, &rlen);

	if (rv != SCARD_S_SUCCESS || rlen < 2) {
		fprintf(stderr, "rawbench: SCardTransmit: %s\n", pcsc_stringify_error(rv));
		return -1;
	}
	sw[0] = rsp[rlen - 2];
	sw[1] = rsp[rlen - 1];
	return 0;
}

int main(int argc, char **argv)
{
	SCARDCONTEXT ctx;
	SCARDHANDLE h;
	DWORD proto, rlen = 0;
	char line[1024], pin[32], *readers;
	unsigned char verify[5 + 16], sw[2] = { 0, 0 };
	size_t pinlen;
	long count;
	double t0, t1;
	FILE *f;
	const char *txn_env = getenv("RAW_TRANSACTION");
	int txn = txn_env && strcmp(txn_env, "1") == 0;

	if (argc != 3) {
		fprintf(stderr, "usage: rawbench APDU-FILE COUNT < PIN\n");
		return 2;
	}
	count = strtol(argv[2], NULL, 10);
	f = fopen(argv[1], "r");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	while (napdus < MAX_APDUS && fgets(line, sizeof(line), f)) {
		if (parse_line(line) != 0) {
			fprintf(stderr, "rawbench: %s: bad line %d\n", argv[1], napdus + 1);
			return 1;
		}
		napdus++;
	}
	fclose(f);
	if (napdus == 0 || !fgets(pin, sizeof(pin), stdin)) {
		fprintf(stderr, "rawbench: no APDUs, or no PIN on stdin\n");
		return 1;
	}
	pinlen = strcspn(pin, "\r\n");
	if (pinlen == 0 || pinlen > 16)
		return 1;

	if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx) != SCARD_S_SUCCESS ||
	    SCardListReaders(ctx, NULL, NULL, &rlen) != SCARD_S_SUCCESS) {
		fprintf(stderr, "rawbench: no PC/SC\n");
		return 1;
	}
	readers = malloc(rlen);
	if (!readers || SCardListReaders(ctx, NULL, readers, &rlen) != SCARD_S_SUCCESS ||
	    SCardConnect(ctx, readers, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
			 &h, &proto) != SCARD_S_SUCCESS) {
		fprintf(stderr, "rawbench: cannot connect to the first reader\n");
		free(readers);
		return 1;
	}
	free(readers);
	memcpy(verify, "\x00\x20\x00\x01", 4);
	verify[4] = (unsigned char)pinlen;
	memcpy(verify + 5, pin, pinlen);
	memset(pin, 0, sizeof(pin));
	if (transmit(h, proto, verify, 5 + (DWORD)pinlen, sw) != 0 || sw[0] != 0x90) {
		fprintf(stderr, "rawbench: VERIFY refused (%02X %02X)\n", sw[0], sw[1]);
		return 1;
	}
	memset(verify, 0, sizeof(verify));

	t0 = now_s();
	for (long i = 0; i < count; i++) {
		if (txn && SCardBeginTransaction(h) != SCARD_S_SUCCESS)
			return 1;
		for (int k = 0; k < napdus; k++) {
			if (transmit(h, proto, apdus[k].cmd, apdus[k].len, sw) != 0)
				return 1;
			if (sw[0] != apdus[k].sw[0] || sw[1] != apdus[k].sw[1]) {
				fprintf(stderr, "rawbench: APDU %d answered %02X %02X, not %02X %02X\n",
					k + 1, sw[0], sw[1], apdus[k].sw[0], apdus[k].sw[1]);
				return 1;
			}
		}
		if (txn && SCardEndTransaction(h, SCARD_LEAVE_CARD) != SCARD_S_SUCCESS)
			return 1;
	}
	t1 = now_s();
	printf("apdus_per_sign=%d\nsign_per_s=%.2f\n", napdus, (double)count / (t1 - t0));
	SCardDisconnect(h, SCARD_LEAVE_CARD);
	SCardReleaseContext(ctx);
	return 0;
}
