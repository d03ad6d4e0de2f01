/* cardos.h - a small ISO 7816-4 card operating system for simulated cards.
 *
 * A card built on it (CPS3, Vitale, ...) owns one `struct cos`, fills its file
 * tree and CHV objects in create(), gives it a command table (the built-in
 * handlers below plus its own), and forwards process() to cos_process().
 *
 * What the OS does for every card:
 * - APDU parsing (short cases 1-4, T=0 shapes: case 4 without Le, case 1 as
 *   CLA INS P1 P2 00); malformed -> 67 00, unknown CLA -> 6E 00, unknown INS
 *   -> 6D 00, never a crash.
 * - T=0 response handling: a command flagged COS_F_DIRECT answers its data
 *   directly when Le matches (6C xx when Le is wrong); every other
 *   data-returning command answers 61 xx and the data is fetched with GET
 *   RESPONSE (00 C0 00 00 xx; 6C xx when xx exceeds what is pending, 61 yy
 *   when more remains). Pending data is dropped by any other command.
 * - Command chaining (CLA bit 0x10) for commands flagged COS_F_CHAIN: the
 *   chunks are accumulated (90 00 each) and the handler sees the whole data
 *   with the last chunk. Chaining on other commands -> 68 84. Any other
 *   command aborts a chain.
 * - File system: MF/DF/EF tree, SELECT (P1 00/01/02/03/04/08/09), FCP (tag 62),
 *   READ BINARY (offset or SFI), access conditions.
 * - CHV objects (PIN/PUK): VERIFY (status query without data), CHANGE
 *   REFERENCE DATA, RESET RETRY COUNTER, per-session verified flags.
 * - Security environment: MSE SET templates AT/DST/HT/CT with tags 80/84.
 * - Persistent state (CHV values, counters) in a text state file written
 *   atomically (temp file + fsync + rename).
 *
 * Volatile state (current DF/EF, pending data, chain, verified flags, SE) is
 * cleared by cos_reset(); persistent state only changes through the commands
 * and is saved after every change when a state path is set.
 *
 * Nothing here logs a PIN. CHV values are wiped on free.
 */
#ifndef SANTECARD_FIRMWARE_CARDOS_H
#define SANTECARD_FIRMWARE_CARDOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Status words used throughout. */
#define COS_SW_OK 0x9000u
#define COS_SW_EOF 0x6282u		/* end of file reached before Le bytes */
#define COS_SW_WRONG_LENGTH 0x6700u
#define COS_SW_CHAIN_UNSUPPORTED 0x6884u
#define COS_SW_INCOMPATIBLE_FILE 0x6981u
#define COS_SW_SECURITY 0x6982u	/* security status not satisfied */
#define COS_SW_BLOCKED 0x6983u	/* authentication method blocked */
#define COS_SW_CONDITIONS 0x6985u	/* conditions of use not satisfied */
#define COS_SW_NO_CURRENT_EF 0x6986u
#define COS_SW_WRONG_DATA 0x6A80u
#define COS_SW_FUNC_UNSUPPORTED 0x6A81u
#define COS_SW_NOT_FOUND 0x6A82u
#define COS_SW_WRONG_P1P2 0x6A86u
#define COS_SW_REF_NOT_FOUND 0x6A88u
#define COS_SW_WRONG_P1P2_OFFSET 0x6B00u
#define COS_SW_INS_UNKNOWN 0x6D00u
#define COS_SW_CLA_UNKNOWN 0x6E00u
#define COS_SW_NO_PRECISE 0x6F00u

/* Largest command data after chaining, and largest response data. */
#define COS_MAX_DATA 4096u
#define COS_MAX_RESP 4096u
#define COS_MAX_CHV 8
#define COS_CHV_MAX_LEN 16
#define COS_AID_MAX 16

/* Access conditions, as enforced by the OS (the FCP shows the card's own
 * 8C/9C bytes, see cos_file_set_acl()). */
#define COS_AC_ALWAYS 0x0000u
#define COS_AC_NEVER 0xFFFFu
#define COS_AC_CHV(ref) (0x0100u | (uint8_t)(ref))	/* CHV ref verified in this session */

/* A parsed C-APDU. For a chained command, data/lc cover all the chunks. */
struct cos_apdu {
	uint8_t cla, ins, p1, p2;
	const uint8_t *data;
	size_t lc;
	bool has_le;		/* a Le byte was present (case 2, or case 4 with Le) */
	size_t ne;		/* Le as a count (00 = 256); 0 when absent */
};

/* Response data being built by a handler (the SW is returned separately). */
struct cos_resp {
	uint8_t *buf;
	size_t cap;
	size_t len;
};

/* Appends n bytes; false (nothing written) when it would overflow. */
bool cos_resp_put(struct cos_resp *r, const void *data, size_t n);

struct cos;

/* File tree node. Create with cos_add_df()/cos_add_ef(); owned by the cos. */
struct cos_file {
	uint16_t fid;
	bool is_df;
	uint8_t sfi;			/* 0 = none (EFs only, 1..30) */
	uint8_t aid[COS_AID_MAX];	/* DF name (DFs only) */
	size_t aid_len;
	/* A SELECT by this DF name answers 90 00 with no data whatever P2 is
	 * (e.g. the IAS-ECC root AID); otherwise P2 rules apply. */
	bool aid_no_fci;
	uint8_t *data;			/* transparent EF content */
	size_t size;
	/* Enforced access conditions (COS_AC_*), for contact and contactless use. */
	uint16_t read_ac[2];
	uint16_t update_ac[2];
	/* ACL bytes shown in the FCP: A1 { 8C acl_c ... 9C acl_cl ... }. */
	uint8_t acl_c[8], acl_cl[8];
	size_t acl_c_len, acl_cl_len;
	struct cos_file *parent, *child, *next;
};

/* CHV object (PIN, PUK). Values are compared byte for byte (no padding). */
struct cos_chv {
	uint8_t ref;			/* P2 of VERIFY etc. (bit 0x80 ignored on lookup) */
	bool present;
	uint8_t value[COS_CHV_MAX_LEN];
	size_t len;
	size_t min_len, max_len;	/* accepted lengths for new values */
	uint8_t max_tries, tries_left;	/* tries_left 0 = blocked */
	bool has_usage;			/* optional usage counter (9D) */
	uint16_t usage_max, usage_left;	/* usage_left 0 = blocked for good */
	uint8_t unblock_ref;		/* CHV that resets this one (0 = none) */
	bool verified;			/* volatile */
};

/* Security environment templates kept by MSE SET (volatile). */
enum cos_se_tmpl { COS_SE_AT, COS_SE_DST, COS_SE_HT, COS_SE_CT, COS_SE_COUNT };
struct cos_se {
	bool has_alg, has_key;
	uint8_t alg;		/* tag 80 */
	uint8_t key_ref;	/* tag 84 (or 83) */
};

/* A command handler: reads a, appends response data to r, returns the SW. */
typedef uint16_t (*cos_handler)(struct cos *c, const struct cos_apdu *a, struct cos_resp *r);

#define COS_F_DIRECT 0x01u	/* case 2: answer data directly (READ BINARY, GET CHALLENGE) */
#define COS_F_CHAIN 0x02u	/* accepts CLA bit 0x10 command chaining */

/* One dispatcher entry: matches when (CLA & ~0x10 & cla_mask) == cla and INS. */
struct cos_command {
	uint8_t cla, cla_mask, ins;
	unsigned flags;
	cos_handler fn;
};

/* Card-level hooks (all optional). */
struct cos_hooks {
	/* Called first by cos_cmd_select(); return true when the card handled the
	 * SELECT itself (*sw set, response data in r). */
	bool (*select)(struct cos *c, const struct cos_apdu *a, struct cos_resp *r, uint16_t *sw);
	/* Called after a CHV changes state (verified, counter, value); may be NULL. */
	void (*chv_changed)(struct cos *c, struct cos_chv *chv);
};

struct cos {
	struct cos_file *mf;
	struct cos_file *cur_df, *cur_ef;
	struct cos_chv chv[COS_MAX_CHV];
	struct cos_se se[COS_SE_COUNT];
	bool contactless;	/* selects read_ac[1]/update_ac[1] */
	/* SELECT with P2=00 (return FCI): refused with 6A86 when true (CPS3),
	 * answered with the FCP otherwise. */
	bool refuse_p2_00;
	/* SW for a READ BINARY that reaches the end before Le bytes (default 6282). */
	uint16_t short_read_sw;
	/* Commands (the card's table; searched in order). */
	const struct cos_command *commands;
	size_t n_commands;
	const struct cos_hooks *hooks;
	void *user;		/* the card's own data */
	const char *state_path;	/* NULL: no persistence */
	int verbose;
	/* --- private to cardos.c --- */
	uint8_t *pending;
	size_t pending_len, pending_off;
	uint8_t *chain;
	size_t chain_len;
	uint8_t chain_ins, chain_p1, chain_p2;
	bool chaining;
	uint8_t *rbuf;		/* handler response buffer, COS_MAX_RESP */
	char err[256];
};

/* New OS instance with an MF (3F00) and no commands; NULL when out of memory. */
struct cos *cos_new(void);
/* Frees everything (CHV values wiped). NULL is fine. */
void cos_free(struct cos *c);

/* Adds a DF under parent; aid may be NULL. Returns NULL when out of memory. */
struct cos_file *cos_add_df(struct cos *c, struct cos_file *parent, uint16_t fid,
			    const uint8_t *aid, size_t aid_len);
/* Adds a transparent EF under parent with a copy of data (size bytes, data may
 * be NULL for zeros), readable always, update never, with the default ACL
 * bytes 8C 07 7B FF FF FF FF FF 00 / 9C same. sfi 0 = none. */
struct cos_file *cos_add_ef(struct cos *c, struct cos_file *parent, uint16_t fid, uint8_t sfi,
			    const uint8_t *data, size_t size);
/* Replaces an EF's content (copy). false when out of memory. */
bool cos_ef_set_data(struct cos_file *f, const uint8_t *data, size_t size);
/* Sets the ACL bytes shown in the FCP (8C for contact, 9C for contactless;
 * up to 8 bytes each; cl may be NULL for none). Does not change enforcement. */
void cos_file_set_acl(struct cos_file *f, const uint8_t *c8, size_t c8_len,
		      const uint8_t *c9, size_t c9_len);
/* Builds the FCP of f into out: 62 L { 80 size, 82 FDB, 83 FID, [84 name],
 * [88 SFI<<3], A1 { 8C ..., [9C ...] }, 8A 05 }. Returns its length, 0 if cap
 * is too small. For EFs this is byte for byte the real CPS3 layout. */
size_t cos_fcp(const struct cos_file *f, uint8_t *out, size_t cap);
/* Child of df by FID, or NULL. */
struct cos_file *cos_child(const struct cos_file *df, uint16_t fid);
/* DF anywhere in the tree by name (exact match), or NULL. */
struct cos_file *cos_find_aid(const struct cos *c, const uint8_t *aid, size_t len);
/* Whether the access condition ac (COS_AC_*) is satisfied now. */
bool cos_ac_ok(const struct cos *c, uint16_t ac);

/* Defines CHV ref (slot chosen by the OS). value/len is the initial value.
 * Returns the object, or NULL when the table is full or len is too long. */
struct cos_chv *cos_add_chv(struct cos *c, uint8_t ref, const uint8_t *value, size_t len,
			    uint8_t max_tries);
/* The CHV with reference ref (bit 0x80 ignored), or NULL. */
struct cos_chv *cos_find_chv(struct cos *c, uint8_t ref);
/* Whether CHV ref is verified in this session. */
bool cos_chv_verified(const struct cos *c, uint8_t ref);

/* Runs one C-APDU (dispatch, T=0 handling, chaining); same contract as
 * sim_card_ops.process(): returns the R-APDU length, >= 2, <= cap (6F 00 when
 * the answer does not fit). */
size_t cos_process(struct cos *c, const uint8_t *capdu, size_t len, uint8_t *rapdu, size_t cap);
/* Clears volatile state: MF current, no pending data/chain, CHVs unverified,
 * SE empty. Call on power on/off and reset. */
void cos_reset(struct cos *c);

/* Persistent state. Saves every CHV's value and counters to c->state_path
 * atomically (mode 0600). Returns false (message in c->err) on failure.
 * Called by the OS itself after every counter/value change. */
bool cos_state_save(struct cos *c);
/* Loads c->state_path over the CHVs defined so far. A missing file is a fresh
 * card (true). A file that does not parse, or names a CHV that does not exist,
 * returns false with a message in c->err: the card must refuse to start
 * rather than silently reset a blocked PIN. */
bool cos_state_load(struct cos *c);

/* Built-in handlers, to put in a card's command table. */
uint16_t cos_cmd_select(struct cos *c, const struct cos_apdu *a, struct cos_resp *r);	/* A4 */
uint16_t cos_cmd_read_binary(struct cos *c, const struct cos_apdu *a, struct cos_resp *r); /* B0, COS_F_DIRECT */
uint16_t cos_cmd_update_binary(struct cos *c, const struct cos_apdu *a, struct cos_resp *r); /* D6 */
uint16_t cos_cmd_verify(struct cos *c, const struct cos_apdu *a, struct cos_resp *r);	/* 20 */
uint16_t cos_cmd_change(struct cos *c, const struct cos_apdu *a, struct cos_resp *r);	/* 24 */
uint16_t cos_cmd_reset_retry(struct cos *c, const struct cos_apdu *a, struct cos_resp *r); /* 2C */
uint16_t cos_cmd_mse(struct cos *c, const struct cos_apdu *a, struct cos_resp *r);	/* 22 */
uint16_t cos_cmd_get_challenge(struct cos *c, const struct cos_apdu *a, struct cos_resp *r); /* 84, COS_F_DIRECT */
/* GET RESPONSE (C0) is handled by cos_process() itself for any CLA that has a
 * command in the table; do not list it. */

#endif
