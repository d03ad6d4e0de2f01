/* sim.h - santecard-sim's event loop: one card, one vpcd connection, the
 * control socket and signals, in one single-threaded poll() loop. */
#ifndef SANTECARD_SIM_SIM_H
#define SANTECARD_SIM_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/control.h"
#include "sim/timing.h"
#include "sim/vpcd.h"

/* How often to retry connecting to vpcd while the card is inserted. */
#define SIM_RETRY_MS 100

struct sim {
	struct vpcd vpcd;
	struct vpcd_card card;
	struct control control;
	int sigfd;
	bool inserted;		/* the user's wish: card in the reader */
	bool running;
	bool waiting_logged;	/* "waiting for vpcd" said once per outage */
	int64_t next_try_ms;	/* monotonic time of the next connect attempt */
	char reply[64];		/* the control reply being built */
	struct sim_timing timing;	/* --timing */
};

/* Runs until SIGTERM/SIGINT or a `quit` command: returns 0, or 1 on a fatal
 * error. The caller set up vpcd, card, control and sigfd. */
int sim_run(struct sim *s);

/* vpcd_card.pace for --timing realistic: waits as long as the real card would,
 * still serving control commands and signals, so a test can pull the card in
 * the middle of a long command. ctx is the struct sim. */
bool sim_pace(void *ctx, size_t cmd_len, size_t resp_len);

/* Control commands, also used by the signal handlers' counterparts. */
void sim_insert(struct sim *s);
void sim_remove(struct sim *s);

#endif
