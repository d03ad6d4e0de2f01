/* pn532_pty.h - santecard-sim as a PN532 NFC reader on a pseudo-terminal:
 * the PN532 HSU frames of firmware/pn532 on the pty master, the slave linked
 * at a path that libnfc's pn532_uart driver opens (connection string
 * pn532_uart:PATH). The simulated card is the one card in the reader's field;
 * `remove`/`insert` (control socket, SIGUSR1/SIGUSR2) take it off the field
 * and put it back. */
#ifndef SANTECARD_SIM_PN532_PTY_H
#define SANTECARD_SIM_PN532_PTY_H

#include "sim/sim.h"

/* spec: [a:|b:]PATH, the card presented as ISO 14443-4 type A (default) or B.
 * Runs until SIGTERM/SIGINT or `quit`: returns 0, or 1 on a fatal error. */
int pn532_pty_run(struct sim *s, const char *spec);

#endif
