/* vscard_link.h - santecard-sim as the VSCard client of QEMU's
 * ccid-card-passthru (`--vscard HOST:PORT[,t0|,t1]`): the simulated card
 * appears in QEMU's emulated usb-ccid reader inside a guest.
 *
 * The sim connects to QEMU's `-chardev socket,server=on` (retrying every
 * SIM_RETRY_MS, forever, like the vpcd transport) and, on every connection,
 * sends Init, ReaderRemove (clears what an earlier connection left in QEMU),
 * ReaderAdd and, with the card inserted, the ATR. QEMU's usb-ccid is a
 * transparent TPDU pipe, so the sim plays the card's transport too:
 * - T=0 (the card's ATR names T=0 first, or `,t0`): XfrBlock bytes go to the
 *   card as they are (the card OS answers T=0 shapes: 61 xx, 6C xx). With
 *   `,t0` a T=1 card is presented with a T=0-only ATR of the same historical
 *   bytes (QEMU 7.2 advertises T=0 only and Debian's libccid keeps to it).
 * - T=1 (ATR names T=1 first, or `,t1`): the card side of the T=1 block
 *   protocol (firmware/ccid/vscard_t1.h).
 * The control socket's insert/remove become ATR/CardRemove; `reset` resets
 * the card and sends its ATR again (QEMU keeps guest power-ons to itself).
 */
#ifndef SANTECARD_SIM_VSCARD_LINK_H
#define SANTECARD_SIM_VSCARD_LINK_H

#include <stdbool.h>
#include <stddef.h>

struct sim;

enum { VSCARD_PROTO_AUTO = -1, VSCARD_PROTO_T0 = 0, VSCARD_PROTO_T1 = 1 };

/* Splits "HOST:PORT[,t0|,t1]"; false on malformed input. */
bool vscard_link_parse(const char *spec, char *host, size_t hostcap, char *port,
		       size_t portcap, int *proto);

/* Runs the loop on s (card, control socket, signals and s->vpcd as the TCP
 * endpoint set up by the caller) until SIGTERM/SIGINT or `quit`: 0, or 1 on
 * a fatal error. */
int vscard_link_run(struct sim *s, int proto);

#endif
