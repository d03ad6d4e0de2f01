/* vpcd.h - the vpcd transport: santecard-sim as the "virtual ICC" side of
 * vsmartcard's virtual reader (Debian's libifdvpcd.so, inside pcscd).
 *
 * Protocol: every message is a 2-byte big-endian length and a payload. A
 * 1-byte payload is a control (0 power off, 1 power on, 2 reset, 4 send the
 * ATR; only the ATR is answered); a longer one is a C-APDU, answered with the
 * R-APDU. Being connected is what makes the card present in the reader. */
#ifndef SANTECARD_SIM_VPCD_H
#define SANTECARD_SIM_VPCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "card.h"

/* Default vpcd endpoint: slot 0 of reader.conf's CHANNELID 0x8C7B. */
#define VPCD_DEFAULT_HOST "127.0.0.1"
#define VPCD_DEFAULT_PORT "35963"

/* The card as vpcd drives it. */
struct vpcd_card {
	const struct sim_card_ops *ops;
	void *card;
	bool powered;
	/* Called once the card has answered, before the reply goes out: the runner
	 * paces replies there (--timing realistic). Returns false when the card was
	 * pulled meanwhile: the reply is dropped. NULL: reply at once. */
	bool (*pace)(void *ctx, size_t cmd_len, size_t resp_len);
	void *pace_ctx;
	/* --trace: every APDU with a timestamp, PIN data masked. NULL: none. */
	FILE *trace;
};

struct vpcd {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char name[300];		/* "host:port", for messages */
	int fd;			/* -1 when not connected */
	bool connecting;	/* non-blocking connect() in progress on fd */
	uint8_t *rx;		/* one message payload (up to 65535 bytes) */
	uint8_t *tx;		/* one framed reply */
};

/* Splits "HOST:PORT" ("[v6addr]:PORT" for IPv6) into host and port; checks
 * that PORT is 1..65535. Returns false on malformed input. */
bool vpcd_parse_endpoint(const char *s, char *host, size_t hostcap, char *port, size_t portcap);

/* Resolves the endpoint once and allocates buffers; false (message logged)
 * if the host does not resolve or memory runs out. */
bool vpcd_init(struct vpcd *v, const char *host, const char *port);
void vpcd_free(struct vpcd *v);

/* Starts connecting: 1 connected, 0 in progress (poll fd for POLLOUT, then
 * call vpcd_connect_finish), -1 failed (errno set, fd closed). */
int vpcd_connect_start(struct vpcd *v);
/* 1 connected, -1 failed (errno set, fd closed). */
int vpcd_connect_finish(struct vpcd *v);

void vpcd_close(struct vpcd *v);

/* Reads one message, has the card handle it and sends any reply. Returns
 * false if the connection is gone (the caller closes it). */
bool vpcd_serve(struct vpcd *v, struct vpcd_card *c);

#endif
