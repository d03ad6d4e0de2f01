/* vscard_t1.h - the card side of a TPDU-level transport behind a transparent
 * reader (QEMU's usb-ccid passes XfrBlock bytes verbatim): the ATR facts the
 * transport needs, and the ISO 7816-3 T=1 block protocol as the card speaks
 * it. Pure: no I/O, no clock.
 *
 * T=1, card side (one block in, one block out, as VSC_APDU pairs are):
 * - I-blocks from the reader are acknowledged (R-block) while chained (M bit)
 *   and their INF accumulated into one C-APDU (up to VSC_T1_MAX_APDU bytes:
 *   extended APDUs work with any IFSC); the R-APDU is sent in I-blocks of at
 *   most IFSD bytes, chained, each one sent after the reader's R-block asks
 *   for it (N(R) = our next N(S)); an R-block naming the block we sent last
 *   gets that block again.
 * - S(IFS request) sets IFSD, S(RESYNCH request) resets the sequence numbers,
 *   S(ABORT request) drops a chain; each is answered with its response.
 * - A command the APDU function flags as slow is answered with S(WTX request)
 *   first; the response I-block follows the reader's S(WTX response).
 * - A block with a bad LRC/CRC or length gets R(N(R), EDC error); any other
 *   malformed block R(N(R), other error).
 */
#ifndef SANTECARD_FIRMWARE_VSCARD_T1_H
#define SANTECARD_FIRMWARE_VSCARD_T1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* NAD PCB LEN + 254 INF + 2 EDC. */
#define VSC_T1_BLOCK_MAX 259u
/* Largest C-APDU (extended case 4: 4 + 3 + 65535 + 2) and R-APDU (65536 + SW). */
#define VSC_T1_MAX_APDU 65544u
#define VSC_T1_MAX_RAPDU 65538u

/* What a transport needs from an ATR. */
struct vsc_atr_info {
	bool valid;		/* TS 3B/3F and the interface bytes fit */
	int first_protocol;	/* T of TD1 (0 without TD1) */
	bool offers_t0, offers_t1;
	uint8_t ifsc;		/* first TA for T=1 after TD1 (32 if absent) */
	uint8_t bwi;		/* high nibble of the first TB for T=1 (4 if absent) */
	bool crc;		/* first TC for T=1, bit 0 */
	const uint8_t *hist;	/* historical bytes within the ATR */
	size_t hist_len;
};

/* Walks the interface bytes of atr[0..len); info->valid false if malformed. */
void vsc_atr_parse(const uint8_t *atr, size_t len, struct vsc_atr_info *info);

/* A T=0-only ATR with the same historical bytes (3B 0K hist), for presenting
 * an APDU-level card to a reader that only does T=0 (QEMU 7.2's usb-ccid
 * advertises T=0 only). Returns its length, 0 if it does not fit or atr is
 * malformed. */
size_t vsc_atr_to_t0(const uint8_t *atr, size_t len, uint8_t *out, size_t cap);

/* Runs one C-APDU: writes the R-APDU into rapdu (cap >= VSC_T1_MAX_RAPDU is
 * passed) and returns its length (>= 2). Set *slow to have the block layer ask
 * for a waiting time extension before the answer goes out. */
typedef size_t (*vsc_apdu_fn)(void *ctx, const uint8_t *capdu, size_t len,
			      uint8_t *rapdu, size_t cap, bool *slow);

struct vsc_t1 {
	uint8_t ifsc;		/* ours: largest INF we accept */
	uint8_t ifsd;		/* the reader's: largest INF we send */
	bool crc;		/* EDC is CRC (else LRC) */
	uint8_t ns;		/* N(S) of our next I-block */
	uint8_t nr;		/* N(S) we expect from the reader */
	uint8_t *cmd;		/* C-APDU being received (VSC_T1_MAX_APDU) */
	size_t cmd_len;
	bool cmd_overflow;
	uint8_t *rsp;		/* R-APDU being sent (VSC_T1_MAX_RAPDU) */
	size_t rsp_len, rsp_off;
	bool sending;		/* rsp has blocks left to send */
	bool wtx_pending;	/* the answer waits for S(WTX response) */
	uint8_t last[VSC_T1_BLOCK_MAX];	/* last block sent, for retransmission */
	size_t last_len;
	uint8_t wtx_multiplier;	/* INF of our S(WTX request) */
};

/* Allocates the buffers and resets the protocol from the ATR's T=1 facts;
 * false when out of memory. */
bool vsc_t1_init(struct vsc_t1 *t, const struct vsc_atr_info *atr);
void vsc_t1_free(struct vsc_t1 *t);

/* Card reset or insertion: sequence numbers to 0, IFSD back to 32, chains
 * dropped. */
void vsc_t1_reset(struct vsc_t1 *t);

/* Handles one block from the reader; writes exactly one block into out
 * (cap >= VSC_T1_BLOCK_MAX) and returns its length. fn runs when a whole
 * C-APDU has arrived. */
size_t vsc_t1_block(struct vsc_t1 *t, const uint8_t *blk, size_t len,
		    uint8_t *out, size_t cap, vsc_apdu_fn fn, void *ctx);

/* EDC helpers, shared with the tests: LRC (XOR) and the ISO 3309 CRC as T=1
 * uses it (CRC-16/X-25 polynomial, sent high byte first). */
uint8_t vsc_t1_lrc(const uint8_t *p, size_t n);
uint16_t vsc_t1_crc(const uint8_t *p, size_t n);

#endif
