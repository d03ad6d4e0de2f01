/*
 * santecard.h - public API of libsantecard, the token layer of santecard.
 *
 * Conventions (see docs/ARCHITECTURE.md):
 *  - every function returns an stc_rv; stc_strerror() explains it;
 *  - nothing here prints: diagnostics go through the logging facility (stc_log_*),
 *    which is silent unless STC_DEBUG is set;
 *  - buffers are (pointer, length) pairs; output lengths are in/out where noted;
 *  - handles are opaque. Threads: a stc_ctx may be shared by every thread
 *    (listing and connecting never wait for a thread blocked in
 *    stc_wait_event, which has its own PC/SC context; several callers of
 *    stc_wait_event take turns); a stc_card and a stc_token may be shared too
 *    (one lock per card); a stc_sign_op belongs to one thread at a time.
 */
#ifndef SANTECARD_H
#define SANTECARD_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ errors */

typedef enum stc_rv {
	STC_OK = 0,
	STC_ERR_INVALID_ARGS,       /* caller passed something impossible */
	STC_ERR_INVALID_DATA,       /* malformed input: TLV, ATR, R-APDU ... */
	STC_ERR_BUFFER_TOO_SMALL,   /* output buffer too short; nothing written past it */
	STC_ERR_NO_MEMORY,
	STC_ERR_NO_SERVICE,         /* the PC/SC service (pcscd) is not running */
	STC_ERR_NO_READERS,         /* pcscd runs but has no reader */
	STC_ERR_READER_NOT_FOUND,   /* no reader of that name */
	STC_ERR_READER_REMOVED,     /* the reader went away */
	STC_ERR_NO_CARD,            /* no card in the reader */
	STC_ERR_CARD_REMOVED,       /* the card was pulled during the operation */
	STC_ERR_CARD_RESET,         /* the card was reset by another application */
	STC_ERR_CARD_UNRESPONSIVE,  /* the card does not answer (mute, no ATR) */
	STC_ERR_CARD_UNSUPPORTED,   /* card or protocol not supported */
	STC_ERR_SHARING_VIOLATION,  /* another application holds the card exclusively */
	STC_ERR_TIMEOUT,            /* nothing happened before the timeout */
	STC_ERR_CANCELLED,          /* a blocking call was cancelled */
	STC_ERR_COMM,               /* transmission error between host, reader and card */
	STC_ERR_PROTOCOL,           /* the card broke the protocol (61xx loop, bad length) */
	STC_ERR_CARD_STATUS,        /* the card answered with an error status word */
	STC_ERR_PIN_INCORRECT,      /* wrong PIN; tries left reported separately */
	STC_ERR_PIN_BLOCKED,        /* PIN blocked (tries exhausted) */
	STC_ERR_SECURITY_STATUS,    /* security status not satisfied (login needed) */
	STC_ERR_NOT_FOUND,          /* file, object or tag not found */
	STC_ERR_NOT_SUPPORTED,      /* the operation is not supported */
	STC_ERR_PCSC,               /* another PC/SC error (see the log) */
	STC_ERR_INTERNAL,           /* a bug in santecard */
	STC_RV_COUNT_               /* number of codes; not an error */
} stc_rv;

/* A short English sentence describing rv (never NULL). */
const char *stc_strerror(stc_rv rv);
/* The symbolic name, e.g. "STC_ERR_CARD_REMOVED" (never NULL). */
const char *stc_rv_name(stc_rv rv);

/* ----------------------------------------------------------------- logging */

typedef enum stc_log_level {
	STC_LOG_NONE = 0,
	STC_LOG_ERROR = 1,
	STC_LOG_WARN = 2,
	STC_LOG_INFO = 3,
	STC_LOG_DEBUG = 4
} stc_log_level;

/*
 * The one logging facility. Defaults come from the environment on first use:
 *   STC_DEBUG=0..4 or none|error|warn|info|debug   (default: error messages off, i.e. 0)
 *   STC_LOG_FILE=/path   (append; default stderr)
 * APDU dumps appear at debug level; the data of VERIFY, CHANGE REFERENCE DATA and
 * RESET RETRY COUNTER is always masked.
 */
void stc_log_set_level(stc_log_level level);
stc_log_level stc_log_get_level(void);
/* path NULL = stderr. Returns STC_ERR_INVALID_ARGS if the file cannot be opened. */
stc_rv stc_log_set_file(const char *path);
void stc_log(stc_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void stc_vlog(stc_log_level level, const char *fmt, va_list ap);
/* Hex dump of a C-APDU (dir '>') or R-APDU (dir '<') at debug level, PIN data masked. */
void stc_log_apdu(char dir, const uint8_t *apdu, size_t len);

/* --------------------------------------------------------------- BER-TLV */

/* Deepest nesting stc_tlv_validate() accepts (top-level objects are level 1);
 * deeper input is STC_ERR_INVALID_DATA. */
#define STC_TLV_MAX_DEPTH 16

typedef struct stc_tlv {
	uint32_t tag;          /* tag bytes big-endian, e.g. 0x5F20, 0x9F7F; at most 4 bytes */
	int constructed;       /* bit 6 of the first tag byte */
	const uint8_t *value;  /* points into the parsed buffer */
	size_t len;            /* value length */
	const uint8_t *raw;    /* start of the tag */
	size_t raw_len;        /* tag + length + value */
} stc_tlv;

/*
 * Parse one TLV at *buf (with *len bytes available) and advance past it.
 * Accepts tags of 1-4 bytes and definite lengths of 1-5 bytes (81..84 forms).
 * 00 and FF padding bytes between objects are skipped (ISO 7816-4 5.2.2).
 * Returns STC_ERR_NOT_FOUND at the end of the buffer (nothing left but padding),
 * STC_ERR_INVALID_DATA for truncated or malformed input; never reads past *len.
 */
stc_rv stc_tlv_next(const uint8_t **buf, size_t *len, stc_tlv *out);

/* Check that the whole buffer is a well-formed sequence of TLVs, descending into
 * constructed ones up to STC_TLV_MAX_DEPTH levels. Empty or padding-only input is
 * STC_OK. */
stc_rv stc_tlv_validate(const uint8_t *buf, size_t len);

/* First TLV with this tag at the top level of buf (no descent). */
stc_rv stc_tlv_find(const uint8_t *buf, size_t len, uint32_t tag, stc_tlv *out);

/* Follow a path of tags through constructed TLVs: {0x62, 0xA1, 0x8C} finds 8C inside
 * A1 inside 62. depth <= STC_TLV_MAX_DEPTH. */
stc_rv stc_tlv_find_path(const uint8_t *buf, size_t len, const uint32_t *path,
			 size_t depth, stc_tlv *out);

/* Fixed-capacity output buffer for the TLV builder (no allocation). */
typedef struct stc_buf {
	uint8_t *data;
	size_t cap;
	size_t len;
	int overflow;   /* non-zero once a write failed (did not fit, or bad tag or
			   mark); later writes are ignored */
} stc_buf;

void stc_buf_init(stc_buf *b, uint8_t *data, size_t cap);
/* Append a primitive or already-encoded constructed TLV. */
void stc_tlv_put(stc_buf *b, uint32_t tag, const uint8_t *value, size_t len);
/* Open a constructed TLV; returns a mark to give to stc_tlv_end(). */
size_t stc_tlv_begin(stc_buf *b, uint32_t tag);
/* Close the TLV opened at mark, fixing its length (moves the value if the length
 * needs more than one byte). */
void stc_tlv_end(stc_buf *b, size_t mark);
/* STC_OK; STC_ERR_BUFFER_TOO_SMALL if anything did not fit; STC_ERR_INVALID_ARGS
 * for an unencodable tag or a bad mark. */
stc_rv stc_buf_status(const stc_buf *b);

/* COMPACT-TLV (ISO 7816-4 8.1.1.2, historical bytes): one byte tag<<4 | len. */
typedef struct stc_ctlv {
	uint8_t tag;           /* 0..15 */
	const uint8_t *value;
	size_t len;            /* 0..15 */
} stc_ctlv;
stc_rv stc_ctlv_next(const uint8_t **buf, size_t *len, stc_ctlv *out);

/* ------------------------------------------------------------------- ATR */

#define STC_ATR_MAX 33
#define STC_PROTO_T0  0x01u
#define STC_PROTO_T1  0x02u
#define STC_PROTO_T15 0x8000u   /* T=15 marks global interface bytes, not a protocol */

typedef struct stc_atr {
	uint8_t raw[STC_ATR_MAX];
	size_t raw_len;
	int inverse;               /* TS = 3F (inverse convention) */
	/* interface bytes by index i = 1..8 (TAi, TBi, TCi, TDi); present[i] bit mask */
	uint8_t ta[9], tb[9], tc[9], td[9];
	uint8_t present[9];        /* bit 0 TA, 1 TB, 2 TC, 3 TD */
	unsigned protocols;        /* STC_PROTO_* offered (T=0 implied when no TD1;
				      T=2..14 have no flag) */
	int first_protocol;        /* T of TD1 (0..14), 0 if absent */
	unsigned fi, di;           /* F and D from TA1 (372, 1 by default; 0 for RFU codes) */
	unsigned fmax_khz;         /* f(max) in kHz from TA1 (5000 by default; 0 for RFU) */
	int specific_mode;         /* TA2 present */
	uint8_t hist[15];
	size_t hist_len;
	int tck_present;           /* present when any protocol other than T=0 is offered */
	int tck_ok;                /* XOR of T0..TCK is zero; 0 when there is no TCK */
} stc_atr;

/* Parse an ATR. STC_ERR_INVALID_DATA when truncated, too long, bad TS or a bad TCK
 * (the parsed fields are still filled in as far as they go). */
stc_rv stc_atr_parse(const uint8_t *atr, size_t len, stc_atr *out);
/* One-line human description, e.g. "T=0, direct convention, Fi=372 Di=1". */
stc_rv stc_atr_describe(const stc_atr *atr, char *out, size_t outlen);

/* Card families santecard knows. */
typedef enum stc_card_kind {
	STC_CARD_UNKNOWN = 0,
	STC_CARD_CPS3,             /* CPS3 (IAS-ECC), contact interface */
	STC_CARD_CPS3_CL,          /* CPS3 contactless interface (PC/SC pseudo-ATR) */
	STC_CARD_CPS4,             /* CPS4 (ChipDoc) */
	STC_CARD_VITALE1,          /* carte Vitale 1 (Bull CP8 mask, inverse convention) */
	STC_CARD_VITALE2,          /* carte Vitale 2 */
	STC_CARD_SIM_TEST,         /* santecard-sim's test card */
	STC_CARD_SIM_READERTEST    /* santecard-sim's reader-test applet */
} stc_card_kind;

/*
 * Identify a card by its ATR alone, from the table of known ATRs (sources in
 * shared/reference/cards.md: Cryptolib, OpenSC, pcsc-tools' list). On success
 * *kind is set and *name (optional) is a short English description, e.g.
 * "CPS3 (contact)". An ATR not in the table is STC_ERR_NOT_FOUND (the card
 * drivers then probe by SELECT AID).
 */
stc_rv stc_atr_identify(const uint8_t *atr, size_t len, stc_card_kind *kind,
			const char **name);
/* Stable lower-case identifier of a kind, e.g. "cps3", "vitale2", "unknown". */
const char *stc_card_kind_id(stc_card_kind kind);

/* ------------------------------------------------------------------ APDU */

#define STC_APDU_MAX_SHORT_DATA 255
#define STC_APDU_MAX_EXT_DATA 65535
/* Largest encoded C-APDU: 4 + 3 + 65535 + 2 */
#define STC_APDU_MAX_CMD (4 + 3 + STC_APDU_MAX_EXT_DATA + 2)
/* Largest R-APDU: 65536 data + SW */
#define STC_APDU_MAX_RESP (65536 + 2)

typedef struct stc_apdu {
	uint8_t cla, ins, p1, p2;
	const uint8_t *data;   /* Lc bytes; NULL when lc == 0 */
	size_t lc;             /* 0..65535 */
	size_t le;             /* expected response length; 0 = none (cases 1 and 3);
				  256 short / 65536 extended = "as many as available" */
} stc_apdu;

/* ISO 7816-4 case of a command: 1, 2, 3 or 4. */
int stc_apdu_case(const stc_apdu *a);

/* Encoding forms for stc_apdu_encode(). */
typedef enum stc_apdu_form {
	STC_APDU_SHORT,     /* short; STC_ERR_INVALID_ARGS when lc > 255 or le > 256 */
	STC_APDU_EXTENDED,  /* always extended */
	STC_APDU_AUTO,      /* short when it fits, extended otherwise */
	STC_APDU_T0         /* short TPDU form for T=0: case 4 without Le, case 1 with P3=00 */
} stc_apdu_form;

stc_rv stc_apdu_encode(const stc_apdu *a, stc_apdu_form form, uint8_t *out,
		       size_t outlen, size_t *written);
/* Decode an encoded C-APDU (any case, short or extended). data points into buf. */
stc_rv stc_apdu_decode(const uint8_t *buf, size_t len, stc_apdu *out);

/* Split an R-APDU into data length and status word. Fewer than 2 bytes is
 * STC_ERR_INVALID_DATA. */
stc_rv stc_resp_parse(const uint8_t *resp, size_t len, size_t *data_len, uint16_t *sw);

/* What an SW means, as text (never NULL), e.g. "6A82: file or application not found". */
const char *stc_sw_text(uint16_t sw);
/* Map an SW to an rv: 9000/61xx -> STC_OK, 63Cx -> STC_ERR_PIN_INCORRECT, 6983 ->
 * STC_ERR_PIN_BLOCKED, 6982 -> STC_ERR_SECURITY_STATUS, 6A82/6A88 -> STC_ERR_NOT_FOUND,
 * 6D00/6E00/6A81 -> STC_ERR_NOT_SUPPORTED, others -> STC_ERR_CARD_STATUS. */
stc_rv stc_sw_to_rv(uint16_t sw);
/* 63Cx: x tries left; -1 if sw is not of that form. */
int stc_sw_tries_left(uint16_t sw);

/*
 * Transport used by the transceive logic: sends one encoded C-APDU and returns the
 * raw R-APDU (data + SW) in resp (capacity *resp_len in, length out).
 */
typedef stc_rv (*stc_xmit_fn)(void *io, const uint8_t *cmd, size_t cmd_len,
			      uint8_t *resp, size_t *resp_len);

typedef struct stc_xfer_opts {
	stc_apdu_form form;    /* STC_APDU_T0 for T=0 cards, else SHORT or AUTO */
	int chain;             /* split data > 255 bytes with command chaining (CLA b5)
				  when the form is short */
	unsigned max_get_response; /* bound on 61xx/6Cxx rounds; 0 = default (64) */
} stc_xfer_opts;

/*
 * Send a command and collect the whole answer: follows 61xx with GET RESPONSE
 * (appending the pieces), re-sends with Le=xx on 6Cxx, splits long data into a
 * chain when asked. On success *sw holds the final status word, which may be an
 * error SW: the caller maps it with stc_sw_to_rv(). Response data beyond resp_cap is
 * STC_ERR_BUFFER_TOO_SMALL. A card that keeps answering 61xx/6Cxx past the bound is
 * STC_ERR_PROTOCOL.
 */
stc_rv stc_apdu_transceive(stc_xmit_fn xmit, void *io, const stc_xfer_opts *opts,
			   const stc_apdu *cmd, uint8_t *resp, size_t resp_cap,
			   size_t *resp_len, uint16_t *sw);

/* ----------------------------------------------------------------- PC/SC */

typedef struct stc_ctx stc_ctx;     /* a PC/SC context and the reader snapshot */
typedef struct stc_card stc_card;   /* a connection to the card in one reader */

/* Establish a context. pcscd not running is STC_ERR_NO_SERVICE; a later call on the
 * context retries, so a client survives pcscd restarts. */
stc_rv stc_ctx_new(stc_ctx **out);
void stc_ctx_free(stc_ctx *ctx);

#define STC_READER_NAME_MAX 128

typedef struct stc_reader_info {
	char name[STC_READER_NAME_MAX];
	int card_present;
	int card_in_use;           /* another application holds it exclusively */
	int card_mute;             /* present but did not answer (no ATR) */
	uint8_t atr[STC_ATR_MAX];
	size_t atr_len;
	unsigned event_count;      /* card insert/remove counter from pcscd */
} stc_reader_info;

/*
 * Fill *out with a freshly allocated snapshot of the readers and their state
 * (free with stc_readers_free). No reader is STC_OK with *count == 0.
 */
stc_rv stc_readers_list(stc_ctx *ctx, stc_reader_info **out, size_t *count);
void stc_readers_free(stc_reader_info *list);

typedef enum stc_event_kind {
	STC_EV_READER_ADDED = 1,
	STC_EV_READER_REMOVED,
	STC_EV_CARD_INSERTED,
	STC_EV_CARD_REMOVED,
	STC_EV_SERVICE_LOST,       /* pcscd went away */
	STC_EV_SERVICE_BACK        /* pcscd is back (readers follow as READER_ADDED) */
} stc_event_kind;

typedef struct stc_event {
	stc_event_kind kind;
	char reader[STC_READER_NAME_MAX];
	uint8_t atr[STC_ATR_MAX];  /* on CARD_INSERTED */
	size_t atr_len;
} stc_event;

const char *stc_event_name(stc_event_kind kind);

/*
 * Wait for the next reader or card event and return it in *ev. The first call
 * takes a snapshot and reports nothing for what is already there: call
 * stc_readers_list() for the current state. timeout_ms < 0 waits forever.
 * Returns STC_ERR_TIMEOUT when nothing happened, STC_ERR_CANCELLED after
 * stc_cancel(). While pcscd is down it reports STC_EV_SERVICE_LOST once and keeps
 * retrying until it is back.
 */
stc_rv stc_wait_event(stc_ctx *ctx, long timeout_ms, stc_event *ev);
/* Unblock a stc_wait_event() running in another thread. */
stc_rv stc_cancel(stc_ctx *ctx);

typedef enum stc_share {
	STC_SHARE_SHARED = 0,
	STC_SHARE_EXCLUSIVE = 1
} stc_share;

/* Connect to the card in a reader (T=0 or T=1, whichever the card offers). */
stc_rv stc_connect(stc_ctx *ctx, const char *reader, stc_share share, stc_card **out);
/* Reconnect after STC_ERR_CARD_RESET; reset != 0 also resets the card. */
stc_rv stc_reconnect(stc_card *card, int reset);
/* Disconnect; reset != 0 resets the card (drops its security state). */
void stc_disconnect(stc_card *card, int reset);

/*
 * A card reached through something other than PC/SC: a test's scripted card,
 * or another transport. transmit() exchanges one raw APDU; transactions are
 * no-ops and stc_reconnect() is STC_ERR_NOT_SUPPORTED. The structure is copied;
 * io must outlive the card. Free with stc_disconnect().
 */
/* A reader control call (SCardControl): out's capacity in *out_len, length out. */
typedef stc_rv (*stc_control_fn)(void *io, unsigned long code, const uint8_t *in,
				 size_t in_len, uint8_t *out, size_t *out_len);

typedef struct stc_transport {
	stc_xmit_fn transmit;
	void *io;
	const uint8_t *atr;        /* copied */
	size_t atr_len;
	unsigned protocol;         /* STC_PROTO_T0 or STC_PROTO_T1 */
	const char *name;          /* shown as the reader name; copied */
	stc_control_fn control;    /* optional: the reader's SCardControl (pinpad ...) */
} stc_transport;
stc_rv stc_card_from_transport(const stc_transport *t, stc_card **out);

/* Active protocol: STC_PROTO_T0 or STC_PROTO_T1. */
unsigned stc_card_protocol(const stc_card *card);
/* The card's ATR as last read. */
stc_rv stc_card_atr(const stc_card *card, uint8_t *atr, size_t *len);
const char *stc_card_reader(const stc_card *card);

/* SCardControl on the reader of this card (its IFD handler's IFDHControl).
 * out: capacity in *out_len, length out. STC_ERR_NOT_SUPPORTED when the
 * reader has no such control. */
stc_rv stc_card_control(stc_card *card, unsigned long code, const uint8_t *in, size_t in_len,
			uint8_t *out, size_t *out_len);

/* What the reader's keypad can do (PC/SC part 10: CM_IOCTL_GET_FEATURE_REQUEST
 * lists FEATURE_VERIFY_PIN_DIRECT and FEATURE_MODIFY_PIN_DIRECT). A reader
 * without a keypad is STC_OK with both 0. Asked once per connection. */
typedef struct stc_pinpad_info {
	int verify;
	int modify;
} stc_pinpad_info;
stc_rv stc_card_pinpad(stc_card *card, stc_pinpad_info *info);

/* Transactions nest: only the outermost begin/end reaches pcscd. Threads: begin
 * takes the card's lock and the matching end gives it back (call both from one
 * thread), so threads sharing a card run their transactions one at a time. */
stc_rv stc_begin(stc_card *card);
stc_rv stc_end(stc_card *card);

/* One raw exchange (no T=0 handling). resp_len: capacity in, length out. */
stc_rv stc_transmit_raw(stc_card *card, const uint8_t *cmd, size_t cmd_len,
			uint8_t *resp, size_t *resp_len);

/* Send a command with stc_apdu_transceive() inside a transaction, in the form the
 * connection needs (T=0 TPDUs, or short APDUs with chaining). */
stc_rv stc_transmit(stc_card *card, const stc_apdu *cmd, uint8_t *resp,
		    size_t resp_cap, size_t *resp_len, uint16_t *sw);

/* ------------------------------------------------------ NIR and INS */

/*
 * NIR (numéro d'inscription au répertoire): 13 characters (sex, year, month,
 * department — 2A/2B for Corsica —, commune, order) and a 2-digit key
 * = 97 - (number mod 97), with 2A read as 19 and 2B as 18.
 */
/* Key of a 13-character NIR (1..97). STC_ERR_INVALID_DATA when malformed. */
stc_rv stc_nir_key(const char *nir13, int *key);
/* STC_OK when nir15 is a well-formed 15-character NIR whose key checks,
 * STC_ERR_INVALID_DATA otherwise (the debug log says whether the form or the key). */
stc_rv stc_nir_check(const char *nir15);

/* The INS (identité nationale de santé) identifier systems (FR Core). */
typedef enum stc_ins_system {
	STC_INS_NIR = 0,       /* 1.2.250.1.213.1.4.8  */
	STC_INS_NIA,           /* 1.2.250.1.213.1.4.9  (temporary number) */
	STC_INS_NIR_TEST,      /* 1.2.250.1.213.1.4.10 (fictitious test patients) */
	STC_INS_NIR_DEMO       /* 1.2.250.1.213.1.4.11 (demonstration patients) */
} stc_ins_system;

/* OID of the system, e.g. "1.2.250.1.213.1.4.8"; NULL for a value outside the enum. */
const char *stc_ins_oid(stc_ins_system sys);

/* HL7 v2 CX rendering, e.g. "207058575627097^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.8&ISO^INS".
 * STC_ERR_BUFFER_TOO_SMALL when it does not fit; STC_ERR_INVALID_DATA for a bad NIR. */
stc_rv stc_ins_hl7_cx(const char *nir15, stc_ins_system sys, char *out, size_t outlen);

/* FHIR R4 Identifier of FR Core's Patient INS profile, as one JSON object
 * ({"use":..., "type":{"coding":[...]}, "system":"urn:oid:1.2.250.1.213.1.4.8",
 *  "value":"207058575627097"}; the type coding as FR Core defines it). */
stc_rv stc_ins_fhir_identifier(const char *nir15, stc_ins_system sys, char *out, size_t outlen);

/* ------------------------------------------------- carte Vitale data */

#define STC_VITALE_MAX_BENEFICIARIES 19

typedef struct stc_beneficiary {
	char surname[64];      /* UTF-8 (the card stores Latin-1), trailing blanks trimmed */
	char given[64];
	char birth[9];         /* AAAAMMJJ as on the card ("" if absent) */
	char nir[16];          /* 15 characters, "" if absent */
	int nir_valid;         /* the NIR's key checks */
	char nationality[8];   /* "" if absent */
	int rank;              /* rang de naissance, 0 when the card does not say */
	int quality;           /* qualité, -1 when the card does not say */
} stc_beneficiary;

/*
 * Parse the contents of a Vitale 2 identity file (templates 65 {80 nom, 81
 * prénom, 82 naissance, 90 nationalité}) and, optionally, the NIR file
 * (templates 65 {93 NIR}, same order). Fills at most max entries of out and
 * sets *count. Padding (00/FF) after the templates is allowed; a truncated or
 * malformed template, or a file without any 65 template, is
 * STC_ERR_INVALID_DATA. On error out is untouched and *count is 0, except
 * STC_ERR_BUFFER_TOO_SMALL (more than max beneficiaries), where *count is the
 * number needed (out may be NULL when max is 0). nirs NULL = no NIR file.
 */
stc_rv stc_vitale_parse(const uint8_t *identity, size_t identity_len, const uint8_t *nirs,
			size_t nirs_len, stc_beneficiary *out, size_t max, size_t *count);

/* ----------------------------------------------------------------- tokens */

typedef struct stc_token stc_token;   /* a recognised card and its driver */

/*
 * Recognise the card behind an open connection and open it as a token: the
 * ATR table first (stc_atr_identify), then probing by SELECT of the known
 * applications (CPS contact and contactless, Vitale). A card neither way
 * recognises is STC_ERR_CARD_UNSUPPORTED; it is probed once per reader and ATR
 * in the life of the process, never again (applications poll: a foreign card
 * must not get SELECTs in a loop). The token uses card, which stays the
 * caller's: close the token before disconnecting the card. A token may be used
 * from several threads: each operation holds the card's lock from start to end.
 */
stc_rv stc_token_open(stc_card *card, stc_token **out);
void stc_token_close(stc_token *tok);
stc_card_kind stc_token_kind(const stc_token *tok);
/* e.g. "CPS3 (contact)", "carte Vitale 2" */
const char *stc_token_description(const stc_token *tok);
stc_card *stc_token_card(stc_token *tok);

/*
 * carte Vitale 2: read the beneficiaries (the public read sequence of the
 * open-source readers: MF, identity file by SFI 2, application VITALE, NIR
 * file by SFI 2), in one transaction. Nothing read is cached or logged.
 * STC_ERR_NOT_SUPPORTED on other cards (a Vitale 1's data coding is not public).
 */
stc_rv stc_token_vitale_read(stc_token *tok, stc_beneficiary *out, size_t max, size_t *count);

/* ---------------------------------------------------- token objects */

typedef enum stc_object_class {
	STC_OBJ_CERTIFICATE = 1,   /* X.509 certificate (DER) */
	STC_OBJ_PRIVATE_KEY,       /* a key on the card: used, never read */
	STC_OBJ_DATA               /* a data object (CPS data, CPS2ter files ...) */
} stc_object_class;

#define STC_USAGE_SIGN            0x01u  /* signature of a hash / DigestInfo (INTERNAL AUTHENTICATE on a CPS) */
#define STC_USAGE_NONREPUDIATION  0x02u  /* qualified signature (PSO CDS on a CPS) */
#define STC_USAGE_DECRYPT         0x04u  /* decipher (PSO DECIPHER) */

#define STC_LABEL_MAX 255

typedef struct stc_object {
	unsigned handle;            /* the token's reference to it, stable while the token is open */
	stc_object_class cls;
	char label[STC_LABEL_MAX + 1];   /* as the vendor module names it (UTF-8) */
	uint8_t id[64];             /* PKCS#15 iD, the PKCS#11 CKA_ID */
	size_t id_len;
	char application[STC_LABEL_MAX + 1]; /* data objects: applicationName, e.g. "CPS" */
	int needs_pin;              /* reading (data) or using (key) it needs the user PIN */
	unsigned usage;             /* keys: STC_USAGE_* */
	unsigned key_bits;          /* keys: modulus length in bits */
} stc_object;

/*
 * The token's objects, found by parsing its PKCS#15 structure (ODF, PrKDF,
 * CDF, DODF; never hard-coded file ids). The array belongs to the token and
 * lives until stc_token_close(). Public structures are read once per token
 * (and cached, see the cache settings); nothing PIN-protected is read here.
 */
stc_rv stc_token_objects(stc_token *tok, const stc_object **objs, size_t *count);

/*
 * CPS3 over contact: the CPS2ter volet's situation files (CLA A0,
 * shared/reference/cards.md §1.9) that exist on the card, as data objects
 * labelled as the vendor module does (CPS2TER_ACTIVITY_01_PS .. _16_PS for
 * 3F00/4010..401F, CPS_SIT_FACT for 3F00/7F01/4000; application "CPS";
 * needs_pin set). Finding them costs one SELECT per file (20 APDUs, once per
 * token), so they are listed apart from stc_token_objects() and only when
 * asked for; their handles (>= 0x1000) work with stc_token_read_object(),
 * which needs the PIN for them. STC_ERR_NOT_SUPPORTED on other tokens
 * (contactless CPS, Vitale) and on a card without the volet (6E00).
 */
stc_rv stc_token_cps2ter_objects(stc_token *tok, const stc_object **objs, size_t *count);

/*
 * The content of a certificate or data object (a private key is
 * STC_ERR_INVALID_ARGS). *data is allocated; release it with stc_free(). An
 * object that needs the PIN is STC_ERR_SECURITY_STATUS until stc_token_pin_verify()
 * succeeded (the card's 6982 is mapped so; the library never verifies by itself).
 */
stc_rv stc_token_read_object(stc_token *tok, unsigned handle, uint8_t **data, size_t *len);
/* Free memory handed out by the library (zeroed first: it may hold personal data). */
void stc_free(void *p, size_t len);

/* -------------------------------------------------------------- PINs */

typedef enum stc_pin_kind {
	STC_PIN_USER = 1,          /* the holder's PIN (CPS: CHV 01) */
	STC_PIN_PUK = 2            /* the unblocking code (CPS: CHV 02) */
} stc_pin_kind;

typedef struct stc_pin_info {
	int tries_left;            /* -1 when the card does not tell */
	int max_tries;             /* -1 when unknown */
	int uses_left;             /* PUK: unblocks left; -1 when unknown / not applicable */
	int verified;              /* verified in the card's current session */
	int blocked;               /* no tries left (or, for a PUK, no uses left) */
	unsigned min_len, max_len; /* accepted PIN lengths, from the card's PKCS#15 AODF */
} stc_pin_info;

/* State of a PIN without changing it (the status VERIFY with no data, and the
 * CHV security data object). STC_ERR_NOT_SUPPORTED when the token has no such
 * PIN (contactless CPS, Vitale). */
stc_rv stc_token_pin_info(stc_token *tok, stc_pin_kind kind, stc_pin_info *info);

/*
 * Present the user PIN. STC_ERR_PIN_INCORRECT (*tries_left, optional, set from
 * 63Cx), STC_ERR_PIN_BLOCKED, or a length outside the AODF's bounds
 * (STC_ERR_INVALID_ARGS, nothing sent). Never retried by the library; the
 * library never keeps or logs the PIN: the caller wipes its buffer.
 */
stc_rv stc_token_pin_verify(stc_token *tok, const char *pin, size_t len, int *tries_left);
/* CHANGE REFERENCE DATA of the user PIN. Same errors as verify. */
stc_rv stc_token_pin_change(stc_token *tok, const char *old_pin, size_t old_len,
			    const char *new_pin, size_t new_len, int *tries_left);
/* RESET RETRY COUNTER with the PUK and a new user PIN (one command).
 * STC_ERR_PIN_INCORRECT / STC_ERR_PIN_BLOCKED refer to the PUK. */
stc_rv stc_token_pin_unblock(stc_token *tok, const char *puk, size_t puk_len,
			     const char *new_pin, size_t new_len, int *tries_left);

/*
 * The same on the reader's keypad (PC/SC part 10 FEATURE_VERIFY_PIN_DIRECT /
 * FEATURE_MODIFY_PIN_DIRECT): the library builds the PIN_VERIFY_STRUCTURE /
 * PIN_MODIFY_STRUCTURE from the PIN's PKCS#15 entry (ASCII digits, left
 * justified, padded to the stored length, the AODF's min/max lengths) and the
 * reader inserts what the user types; the PIN never reaches the host. Blocks
 * until the user validates; STC_ERR_CANCELLED when the user cancels (64 01),
 * STC_ERR_TIMEOUT when the reader gives up (64 00), STC_ERR_PIN_INCORRECT /
 * _BLOCKED as for the other calls, STC_ERR_INVALID_ARGS for an entry the reader
 * refused (6B 80: wrong length), STC_ERR_NOT_SUPPORTED without a keypad.
 * The change asks for the old PIN, the new one and its confirmation.
 */
stc_rv stc_token_pin_verify_pinpad(stc_token *tok, int *tries_left);
stc_rv stc_token_pin_change_pinpad(stc_token *tok, int *tries_left);
/* What the card says about itself (PKCS#11 token info). */
typedef struct stc_token_info {
	char label[STC_LABEL_MAX + 1];        /* PKCS#15 TokenInfo label, "" if none */
	char manufacturer[STC_LABEL_MAX + 1]; /* TokenInfo manufacturerID, "" if none */
	char serial[129];                     /* TokenInfo serialNumber in upper-case hex */
} stc_token_info;

/* From the card's PKCS#15 TokenInfo (read with the objects, cached alike).
 * STC_ERR_NOT_SUPPORTED on tokens without one (Vitale). */
stc_rv stc_token_get_info(stc_token *tok, stc_token_info *info);

/* ------------------------------------------------- CPS card holder */

/* Who the CPS belongs to, from the subject of its authentication certificate
 * (CN = national id, SN = surname, GN = given name, title = profession; the
 * IGC-Santé pattern of shared/reference/cards.md §4.3). */
typedef struct stc_cps_holder {
	char national_id[64];      /* e.g. "899700012345": type digit + RPPS/ADELI/... */
	char id_type[16];          /* "RPPS" (prefix 8), "ADELI" (0), "structure" (3, 5), "" */
	char surname[STC_LABEL_MAX + 1];
	char given[STC_LABEL_MAX + 1];
	char profession[STC_LABEL_MAX + 1];
} stc_cps_holder;

/* STC_ERR_NOT_SUPPORTED on tokens that are not a CPS. */
stc_rv stc_token_cps_holder(stc_token *tok, stc_cps_holder *holder);

/* ------------------------------------------- signature and decipher */

typedef enum stc_hash {
	STC_HASH_NONE = 0,         /* the data is already a hash, a DigestInfo, or raw data */
	STC_HASH_SHA1,
	STC_HASH_SHA256
} stc_hash;

/*
 * Sign with a private key of the token (RSA PKCS#1 v1.5), in one transaction.
 *
 * Signature key (usage STC_USAGE_NONREPUDIATION; CPS: key 81, PSO CDS only):
 *   hash SHA1/SHA256: data is the message. The host hashes every full 64-byte
 *     block and the card does the last round (MSE SET HT, PSO HASH with the
 *     intermediate state and bit count, MSE SET DST, PSO CDS), as the vendor
 *     module does.
 *   hash NONE: data is a bare SHA-1 / SHA-256 hash (20 / 32 bytes) or its
 *     DigestInfo, which is stripped (the card builds it). Other input is
 *     STC_ERR_INVALID_ARGS.
 * Authentication key (usage STC_USAGE_SIGN; CPS: key 82, or the contactless
 * technical key): INTERNAL AUTHENTICATE, the card adds the PKCS#1 padding.
 *   hash NONE: data (usually a DigestInfo) is signed as is; at most 40% of the
 *     modulus (STC_ERR_INVALID_ARGS beyond).
 *   hash SHA1/SHA256: the host hashes the message and signs its DigestInfo.
 * sig: capacity in *sig_len, signature length (key_bits / 8) out. A key that
 * needs the PIN gives STC_ERR_SECURITY_STATUS before stc_token_pin_verify().
 */
stc_rv stc_token_sign(stc_token *tok, unsigned key, stc_hash hash, const uint8_t *data,
		      size_t len, uint8_t *sig, size_t *sig_len);

/* Multi-part signing (PKCS#11 C_SignUpdate/C_SignFinal): the host keeps the
 * hash state between calls, nothing reaches the card before final. */
typedef struct stc_sign_op stc_sign_op;
stc_rv stc_token_sign_init(stc_token *tok, unsigned key, stc_hash hash, stc_sign_op **op);
stc_rv stc_sign_update(stc_sign_op *op, const uint8_t *data, size_t len);
/* Signs and frees op, whatever the result. */
stc_rv stc_sign_final(stc_sign_op *op, uint8_t *sig, size_t *sig_len);
void stc_sign_abort(stc_sign_op *op);

/* RSA PKCS#1 v1.5 decipher with a key of usage STC_USAGE_DECRYPT (CPS: key 82,
 * PSO DECIPHER, chained): out receives the plaintext, padding removed by the card. */
stc_rv stc_token_decipher(stc_token *tok, unsigned key, const uint8_t *in, size_t len,
			  uint8_t *out, size_t *out_len);

/* Random bytes from the card's generator (GET CHALLENGE). */
stc_rv stc_token_random(stc_token *tok, uint8_t *out, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* SANTECARD_H */
