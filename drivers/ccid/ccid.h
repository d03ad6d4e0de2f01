/* ccid.h - the CCID driver's internals: the reader descriptor, the device
 * (one per USB reader, shared by its slots), the message layer, the T=1 block
 * protocol, ATR/PPS, the pinpad and the bError mapping. Each has its own file;
 * ifdhandler.c glues them to pcsc-lite's IFD handler API. */
#ifndef SANTECARD_CCID_DRIVER_H
#define SANTECARD_CCID_DRIVER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <PCSC/ifdhandler.h>

#include "ccid/ccid_proto.h"
#include "transport.h"

#define CCID_MAX_SLOTS 8
/* Largest message we accept: an extended APDU (65536 + 7 + 3) plus the header. */
#define CCID_MAX_MSG (CCID_HDR + 65548)

/* ---- descriptor.c: the class descriptor, parsed */
struct ccid_desc {
	uint16_t bcd;
	unsigned nslots;		/* bMaxSlotIndex + 1 */
	uint8_t voltage;
	uint32_t protocols;		/* bit 0 T=0, bit 1 T=1 */
	uint32_t default_clock, max_ifsd;
	uint32_t features;
	uint32_t level;			/* features & CCID_FEAT_LEVEL_MASK */
	uint32_t max_msg;		/* dwMaxCCIDMessageLength, clamped to CCID_MAX_MSG */
	uint8_t class_getresponse, class_envelope;
	uint16_t lcd;
	uint8_t pin_support;
	uint8_t max_busy;
};
/* IFD_SUCCESS, or IFD_COMMUNICATION_ERROR for a descriptor we cannot use. */
RESPONSECODE ccid_desc_parse(const uint8_t *d, size_t len, struct ccid_desc *out);

/* ---- errmap.c: bStatus/bError to IFD codes and names */
RESPONSECODE ccid_error_to_ifd(uint8_t status, uint8_t error);
const char *ccid_error_name(uint8_t error);

/* ---- device and message layer (device.c, message.c) */
struct ccid_mbox {
	uint8_t *buf;
	size_t len;
	bool full;
};

struct ccid_dev {
	struct ccid_opened io;
	struct ccid_desc desc;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint8_t seq;
	bool reading;			/* a thread is reading bulk IN for everyone */
	bool gone;			/* unplugged: every call answers IFD_NO_SUCH_DEVICE */
	uint8_t *scratch;		/* the reading thread's buffer */
	struct ccid_mbox mbox[CCID_MAX_SLOTS];
	/* interrupt endpoint, read the same way */
	bool intr_reading;
	bool stop_polling;
	unsigned slot_events[CCID_MAX_SLOTS];	/* change counters per slot */
	bool slot_present[CCID_MAX_SLOTS];
	/* limits */
	unsigned timeout_ms;		/* one bulk read */
	unsigned max_time_ext;		/* time extensions accepted for one command */
	unsigned max_stale;		/* wrong-bSeq messages skipped for one command */
};

/* The next bulk IN message for slot into dev->mbox[slot] (device.c). CCID_TP_* code. */
int ccid_dev_receive(struct ccid_dev *dev, unsigned slot, unsigned timeout_ms);
struct ccid_dev *ccid_dev_new(const struct ccid_opened *io, RESPONSECODE *rc);
void ccid_dev_free(struct ccid_dev *dev);

/* A reply as the message layer hands it over. */
struct ccid_reply {
	uint8_t type, status, error, chain;
	uint8_t *data;			/* into the slot's mailbox; valid until the next command */
	size_t len;
};

/* One command and its reply (bSeq matched, time extensions followed up to the
 * bound, length checked). hdr3 = the command's 3 last header bytes. The reply's
 * failure status is mapped to an IFD code but still given in *r. */
RESPONSECODE ccid_command(struct ccid_dev *dev, unsigned slot, uint8_t type,
			  const uint8_t hdr3[3], const uint8_t *data, size_t len,
			  struct ccid_reply *r);

/* Interrupt endpoint: waits up to timeout_ms for a slot change of this slot.
 * IFD_SUCCESS (change or timeout), IFD_NO_SUCH_DEVICE. */
RESPONSECODE ccid_wait_slot_change(struct ccid_dev *dev, unsigned slot, int timeout_ms);

/* ---- commands.c: the CCID commands, each one exchange */
RESPONSECODE ccid_power_on(struct ccid_dev *dev, unsigned slot, uint8_t *atr, size_t *atr_len);
RESPONSECODE ccid_power_off(struct ccid_dev *dev, unsigned slot);
/* IFD_ICC_PRESENT / IFD_ICC_NOT_PRESENT, *active set if powered. */
RESPONSECODE ccid_slot_status(struct ccid_dev *dev, unsigned slot, bool *active);
RESPONSECODE ccid_set_parameters(struct ccid_dev *dev, unsigned slot, uint8_t protocol,
				 const uint8_t *params, size_t len);
/* One XfrBlock (TPDU, short APDU, one T=1 block, PPS): data out, data back. */
RESPONSECODE ccid_xfr(struct ccid_dev *dev, unsigned slot, const uint8_t *tx, size_t txlen,
		      uint8_t *rx, size_t *rxlen, uint8_t bwi);
/* The same with wLevelParameter (character level: the bytes expected back). */
RESPONSECODE ccid_xfr_level(struct ccid_dev *dev, unsigned slot, const uint8_t *tx, size_t txlen,
			    uint8_t *rx, size_t *rxlen, uint8_t bwi, uint16_t level);
/* A whole short APDU in T=0 at character level: the driver runs the
 * procedure bytes (t0char.c). */
RESPONSECODE ccid_t0_char_transceive(struct ccid_dev *dev, unsigned slot, const uint8_t *apdu,
				     size_t len, uint8_t *rx, size_t *rxlen);
/* A whole APDU at the extended APDU level, chained in both directions. */
RESPONSECODE ccid_xfr_apdu_ext(struct ccid_dev *dev, unsigned slot, const uint8_t *tx, size_t txlen,
			       uint8_t *rx, size_t *rxlen);
RESPONSECODE ccid_escape(struct ccid_dev *dev, unsigned slot, const uint8_t *tx, size_t txlen,
			 uint8_t *rx, size_t *rxlen);
/* PC_to_RDR_Secure; the card's answer in rx (PIN cancelled/timeout become SW 64 01/64 00). */
RESPONSECODE ccid_secure(struct ccid_dev *dev, unsigned slot, const uint8_t *tx, size_t txlen,
			 uint8_t *rx, size_t *rxlen);

/* ---- atr.c: what the driver needs from an ATR, and PPS */
struct ccid_atr {
	bool valid;
	bool t0, t1;			/* offered protocols */
	uint8_t first_protocol;		/* 0 or 1: the default */
	bool specific;			/* TA2 present: specific mode */
	uint8_t specific_protocol;
	bool has_ta1;
	uint8_t ta1;			/* FiDi, 0x11 when absent */
	uint8_t tc1;			/* extra guard time */
	uint8_t wi;			/* T=0 TC2, 10 default */
	uint8_t ifsc;			/* T=1 first TA after T=1, 32 default */
	uint8_t bwi_cwi;		/* T=1 TB, 0x4D default */
	bool crc;			/* T=1 TC bit 0 */
};
bool ccid_atr_parse(const uint8_t *atr, size_t len, struct ccid_atr *out);
/* Builds the PPS request for protocol and FiDi; returns its length (4). */
size_t ccid_pps_build(uint8_t protocol, uint8_t fidi, uint8_t out[4]);
/* True if the card's PPS answer accepts the request. */
bool ccid_pps_accepted(const uint8_t *req, size_t reqlen, const uint8_t *ans, size_t anslen);

/* ---- t1.c: the T=1 block protocol (ISO 7816-3 §11) over XfrBlock */
struct ccid_t1 {
	uint8_t ns, nr;			/* our send sequence, the card's expected one */
	uint16_t ifsc, ifsd;
	bool crc;
	uint8_t nad;
	unsigned retries;		/* per block before resynchronisation */
	unsigned wtx;			/* last WTX multiplier the card asked for */
	/* statistics, for tests and logs */
	unsigned stat_retransmits, stat_resynch, stat_wtx;
};
void ccid_t1_init(struct ccid_t1 *t1, const struct ccid_atr *atr);
/* Sends S(IFS request) with our IFSD. */
RESPONSECODE ccid_t1_set_ifsd(struct ccid_t1 *t1, struct ccid_dev *dev, unsigned slot, uint8_t ifsd);
RESPONSECODE ccid_t1_transceive(struct ccid_t1 *t1, struct ccid_dev *dev, unsigned slot,
				const uint8_t *apdu, size_t len, uint8_t *rx, size_t *rxlen);
/* EDC helpers (also used by the firmware tests). */
uint8_t ccid_t1_lrc(const uint8_t *p, size_t n);
uint16_t ccid_t1_crc(const uint8_t *p, size_t n);

/* ---- pinpad.c: PC/SC part 10 features and PC_to_RDR_Secure */
#define CCID_IOCTL_MAGIC 0x330000
#define CCID_IOCTL_VERIFY_PIN_DIRECT SCARD_CTL_CODE(FEATURE_VERIFY_PIN_DIRECT + CCID_IOCTL_MAGIC)
#define CCID_IOCTL_MODIFY_PIN_DIRECT SCARD_CTL_CODE(FEATURE_MODIFY_PIN_DIRECT + CCID_IOCTL_MAGIC)
#define CCID_IOCTL_IFD_PIN_PROPERTIES SCARD_CTL_CODE(FEATURE_IFD_PIN_PROPERTIES + CCID_IOCTL_MAGIC)
#define CCID_IOCTL_GET_TLV_PROPERTIES SCARD_CTL_CODE(FEATURE_GET_TLV_PROPERTIES + CCID_IOCTL_MAGIC)
#define CCID_IOCTL_ESC_COMMAND SCARD_CTL_CODE(FEATURE_CCID_ESC_COMMAND + CCID_IOCTL_MAGIC)
/* The CM_IOCTL_GET_FEATURE_REQUEST answer for this reader. */
RESPONSECODE ccid_features(const struct ccid_desc *d, uint8_t *out, size_t cap, size_t *len);
RESPONSECODE ccid_pin_properties(const struct ccid_desc *d, uint8_t *out, size_t cap, size_t *len);
RESPONSECODE ccid_tlv_properties(const struct ccid_desc *d, uint16_t vid, uint16_t pid,
				 uint8_t *out, size_t cap, size_t *len);
/* PIN_VERIFY_STRUCTURE / PIN_MODIFY_STRUCTURE -> PC_to_RDR_Secure abData. */
RESPONSECODE ccid_pin_verify(struct ccid_dev *dev, unsigned slot, const uint8_t *in, size_t inlen,
			     uint8_t *rx, size_t *rxlen);
RESPONSECODE ccid_pin_modify(struct ccid_dev *dev, unsigned slot, const uint8_t *in, size_t inlen,
			     uint8_t *rx, size_t *rxlen);

/* ---- log.c: to pcscd's log when loaded by pcscd (LIBSANTECARD_CCID_LOG=1: stderr) */
void ccid_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
