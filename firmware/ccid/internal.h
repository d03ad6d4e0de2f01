/* internal.h - the firmware core's state, shared by reader.c, t1card.c and
 * pinpad.c. */
#ifndef SANTECARD_FIRMWARE_CCID_INTERNAL_H
#define SANTECARD_FIRMWARE_CCID_INTERNAL_H

#include "reader.h"

/* Whole APDUs: extended command (4 + 3 + 65535 + 2) or response (65536 + 2). */
#define FW_APDU_MAX (65536 + 16)
#define FW_T1_BLOCK_MAX (3 + 254 + 2)

struct fw_t1 {
	uint8_t ns, nr;			/* the card's send sequence, the host's expected one */
	uint16_t ifsd;			/* the host's receive size */
	bool crc;
	uint8_t *cmd;			/* chained command being received */
	size_t cmd_len;
	size_t resp_off;		/* next response byte to send */
	bool sending;			/* a chained response is under way */
	bool answer_pending;		/* this block answers an APDU (time extensions go first) */
	uint8_t last[FW_T1_BLOCK_MAX];	/* the last block sent, for retransmission */
	size_t last_len;
	unsigned wtx_cfg, wtx_left, corrupt;
	bool desync;
	size_t resp_len;
};

/* T=0 at character level (t0char.c) */
struct fw_t0c {
	uint8_t hdr[5];
	size_t hdr_len;
	bool acked;			/* header ACKed, waiting for the host's next step */
	uint8_t data[255];
	size_t data_len;
	uint8_t out[256 + 2 + 1];	/* bytes the card has to send */
	size_t out_len, out_off;
	size_t pend_len, pend_off;	/* case 4 data kept in resp for GET RESPONSE */
};

struct fw_slot {
	const struct sim_card_ops *ops;
	void *card;
	bool present, powered;
	uint8_t protocol;
	uint8_t params[7];
	bool pps_allowed;
	uint8_t *cmd;			/* APDU-level chaining: command so far */
	size_t chain_len;
	uint8_t *resp;			/* the card's last answer */
	size_t resp_len, resp_off;
	struct fw_t1 t1;
	struct fw_t0c t0c;
	struct ccidfw_stats st;
};

struct fw_msg {
	uint8_t *m;
	size_t n;
};

struct ccidfw {
	struct ccidfw_config cfg;
	struct fw_slot slot[CCIDFW_MAX_SLOTS];
	struct fw_msg q[CCIDFW_QUEUE];
	unsigned qhead, qn;
	unsigned intr_changed;
	bool intr_pending;
	char keys[128];
	size_t keypos;
	unsigned te_count;
	uint8_t te_mult;
};

void fw_queue(struct ccidfw *fw, uint8_t type, uint8_t slot, uint8_t seq, uint8_t status,
	      uint8_t error, uint8_t p3, const uint8_t *data, size_t len);
void fw_fail(struct ccidfw *fw, const uint8_t *h, uint8_t type, uint8_t error);
void fw_datablock(struct ccidfw *fw, const uint8_t *h, const uint8_t *data, size_t len, uint8_t chain);
void fw_time_extensions(struct ccidfw *fw, const uint8_t *h);
uint8_t fw_icc_status(const struct fw_slot *s);
size_t fw_card_apdu(struct fw_slot *s, const uint8_t *apdu, size_t len);

/* t1card.c: one block from the host in, the card's block out (0: mute). */
void fw_t1_reset(struct fw_slot *s);
size_t fw_t1_block(struct ccidfw *fw, struct fw_slot *s, const uint8_t *in, size_t n, uint8_t *out);

/* t0char.c: bytes from the host in, up to want bytes of the card out. */
void fw_t0c_reset(struct fw_slot *s);
size_t fw_t0_char(struct fw_slot *s, const uint8_t *in, size_t n, size_t want, uint8_t *out);

/* pinpad.c */
void fw_secure(struct ccidfw *fw, const uint8_t *h, const uint8_t *d, size_t len);

#endif
