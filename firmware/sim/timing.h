/* timing.h - `--timing realistic`: how long a real card and reader would take.
 *
 * The model (docs/SIMULATOR.md, "Timing"):
 *  - contact cards: one etu = Fi / (Di x f) with Fi, Di from TA1 of the ATR
 *    (372 and 1 without TA1) and f = 3.5712 MHz, the clock of common CCID
 *    readers; no PPS is modelled, so a card without TA1 runs at 9 600 bit/s.
 *    T=0: 12 etu per character (start, 8 data, parity, 2 guard) over the command
 *    header and data, one procedure byte, and the response data and SW; T=1:
 *    11 etu per character plus 4 prologue/epilogue bytes each way;
 *  - contactless cards (PC/SC pseudo-ATR 3B 8n 80 01 ...): 106 kbit/s ISO 14443,
 *    9 bits per byte plus a 4-byte frame overhead each way;
 *  - every command costs a fixed 1 ms of card OS work, plus what the card says it
 *    computed (sim_card_ops.work_us: e.g. RSA-2048 private key ~250 ms).
 */
#ifndef SANTECARD_SIM_TIMING_H
#define SANTECARD_SIM_TIMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIM_CLOCK_HZ 3571200UL
#define SIM_COMMAND_US 1000UL

struct sim_timing {
	bool realistic;        /* false: answer at once (--timing none) */
	bool t1;               /* block protocol framing */
	bool contactless;
	double char_us;        /* one character on the wire */
};

/* Derive the wire speed from the card's ATR. */
void sim_timing_from_atr(struct sim_timing *t, const uint8_t *atr, size_t len);

/* Microseconds one exchange takes: wire time of cmd_len + resp_len bytes,
 * framing, card OS time and work_us of computation. 0 when not realistic. */
unsigned long sim_timing_delay_us(const struct sim_timing *t, size_t cmd_len,
				  size_t resp_len, unsigned long work_us);

#endif
