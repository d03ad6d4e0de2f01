/*
 * p11.h - santecard-pkcs11's internal model (not installed), after OpenSC's
 * sc-pkcs11.h: a slot table (one slot per PC/SC reader), a token per
 * recognised card with its object table built from the token layer's objects,
 * a session table, a mechanism table and an attribute table (attrs.c).
 *
 * Handle rules (the model of SoftHSM's HandleManager.h):
 *  - slot IDs: one per reader name, for the life of the process; an ID never
 *    names another reader. A slot the application has seen stays listed,
 *    reader gone or not, until C_GetSlotList(NULL);
 *  - session and object handles come from counters that only grow: a handle is
 *    never reused. Closing a session invalidates its handle; a token that goes
 *    away (card pulled, reader gone, pcscd gone) takes its objects and sessions
 *    with it: each such session answers CKR_DEVICE_REMOVED once, then
 *    CKR_SESSION_HANDLE_INVALID.
 *
 * Locking: one module lock around every call (the application's mutex callbacks
 * or pthreads), as OpenSC; C_WaitForSlotEvent waits outside it on its own PC/SC
 * context, under a lock of its own (stc_wait_event has one caller at a time).
 */
#ifndef SANTECARD_P11_H
#define SANTECARD_P11_H

#include <stddef.h>
#include <stdint.h>

#include "p11_v3.h"
#include "santecard.h"

#define P11_MAX_SLOTS 32
#define P11_MAX_OBJECTS 128
#define P11_MAX_SESSIONS 1024

/* Object classes as bits, for the attribute table. */
#define P11C_CERT 0x1u
#define P11C_PRIV 0x2u
#define P11C_PUB  0x4u
#define P11C_DATA 0x8u

struct p11_certinfo;

struct p11_object {
	CK_OBJECT_HANDLE handle;
	CK_OBJECT_CLASS cls;
	unsigned stc_handle;          /* the token layer's handle (pubkey: its cert's) */
	int is_private;               /* CKA_PRIVATE: shown only after C_Login */
	int cps2ter;                  /* a CPS2ter situation file (found on demand) */
	char label[STC_LABEL_MAX + 1];
	uint8_t id[64];
	size_t id_len;
	char application[STC_LABEL_MAX + 1];
	unsigned usage;               /* keys: STC_USAGE_* */
	unsigned key_bits;
	/* the value (certificate, data object), read on first need */
	uint8_t *value;
	size_t value_len;
	int value_read;
	struct p11_certinfo *ci;      /* certificates: parsed once */
	struct p11_object *cert;      /* keys: the certificate with the same CKA_ID */
};

struct p11_token {
	stc_card *card;
	stc_token *tok;
	stc_card_kind kind;
	unsigned event_count;         /* pcscd's count when the token was opened */
	int objects_loaded;
	struct p11_object objs[P11_MAX_OBJECTS];
	size_t nobjs;
	int info_loaded;
	stc_token_info info;
	int logged_in;
	int cps2ter_loaded;           /* the CPS2ter objects were looked for */
	int cps2ter_tok;              /* ... by the current token-layer token */
	unsigned long generation;     /* tells tokens of one slot apart */
};

struct p11_slot {
	CK_SLOT_ID id;
	char reader[STC_READER_NAME_MAX];
	int reader_present;
	int seen;                     /* returned by C_GetSlotList */
	int card_present;
	unsigned event_count;
	int unknown;                  /* the card there is not ours (for this event_count) */
	unsigned unknown_count;
	struct p11_token *token;
};

enum p11_op_kind { OP_NONE = 0, OP_SIGN, OP_VERIFY, OP_ENCRYPT, OP_DECRYPT, OP_DIGEST };

struct p11_op {
	enum p11_op_kind kind;
	CK_MECHANISM_TYPE mech;
	struct p11_object *key;
	int multipart;                /* an Update was called */
	stc_sign_op *sign;            /* card hashing state (SHA*-RSA on the card) */
	void *md;                     /* EVP_MD_CTX: digest, verify */
	uint8_t *buf;                 /* RSA_PKCS data collected by Update */
	size_t buf_len;
	uint8_t *result;              /* decrypt: plaintext kept for a second call */
	size_t result_len;
};

struct p11_session {
	CK_SESSION_HANDLE handle;
	CK_SLOT_ID slot_id;
	struct p11_token *token;
	CK_FLAGS flags;
	int dead;                     /* its token went away: CKR_DEVICE_REMOVED once */
	/* C_FindObjects */
	int find_active;
	CK_OBJECT_HANDLE *found;
	size_t nfound, find_pos;
	struct p11_op sign, verify, crypt, digest;
};

struct p11_mech {
	CK_MECHANISM_TYPE type;
	CK_FLAGS flags;
	int needs_key;                /* only on tokens with keys */
	stc_hash hash;
};

/* module.c: global state, all under the module lock */
extern struct p11_slot p11_slots[P11_MAX_SLOTS];
extern size_t p11_nslots;
extern stc_ctx *p11_ctx;
extern CK_FUNCTION_LIST p11_function_list;
extern struct p11_session *p11_inherited_sessions[P11_MAX_SESSIONS];

/* Enter a call: initialised in this process, then the module lock. */
CK_RV p11_enter(void);
void p11_leave(void);

/* Map a token-layer code to a CKR_*. */
CK_RV p11_rv(stc_rv rv);
/* The token-layer code says the card or reader went away. */
int p11_gone(stc_rv rv);
/* Space-pad a string into a fixed PKCS#11 field. */
void p11_pad(CK_UTF8CHAR *dst, size_t len, const char *src);

/* slots.c */
/* Re-list the readers and update slots; open tokens for new cards when
 * open_tokens (never from C_GetSessionInfo: no APDU there). */
void p11_slots_refresh(int open_tokens);
struct p11_slot *p11_slot_get(CK_SLOT_ID id);
/* The same, refreshing the readers first when the ID is not in the table
 * (the application may open a session without listing the slots). */
struct p11_slot *p11_slot_find(CK_SLOT_ID id);
struct p11_slot *p11_slot_by_reader(const char *reader);
/* Drop the slot's token: sessions die, objects go. */
void p11_slot_drop_token(struct p11_slot *slot);
void p11_slots_free(void);
const struct p11_mech *p11_mech_find(CK_MECHANISM_TYPE type);
extern const struct p11_mech p11_mechs[];
extern const size_t p11_nmechs;

/* tokens.c */
CK_RV p11_token_open(struct p11_slot *slot, stc_card *card, const stc_reader_info *ri,
		     struct p11_token **out);
void p11_token_free(struct p11_token *t);
CK_RV p11_token_objects(struct p11_token *t);
CK_RV p11_token_info(struct p11_token *t, CK_TOKEN_INFO *info);
/* The reader verifies PINs on its keypad (CKF_PROTECTED_AUTHENTICATION_PATH). */
int p11_token_pinpad(struct p11_token *t);
/* Add the CPS2ter situation files as private data objects, once per token
 * (20 SELECTs: only for a logged-in search that could match them). */
CK_RV p11_token_cps2ter(struct p11_token *t);
CK_RV p11_object_value(struct p11_token *t, struct p11_object *o);
struct p11_object *p11_object_get(struct p11_token *t, CK_OBJECT_HANDLE h);
int p11_object_visible(const struct p11_token *t, const struct p11_object *o);
void p11_certinfo_free(struct p11_certinfo *ci);
/* The public key of a key or certificate object (EVP_PKEY *), read on need. */
CK_RV p11_object_pkey(struct p11_token *t, struct p11_object *o, void **pkey);

/* sessions.c */
/* Look a session up; a dead one answers CKR_DEVICE_REMOVED and is freed. */
CK_RV p11_session_get(CK_SESSION_HANDLE h, struct p11_session **out);
/* Kill every session of a token (its card went away). */
void p11_sessions_kill_token(const struct p11_token *t);
void p11_sessions_free(void);
void p11_sessions_count(const struct p11_token *t, CK_ULONG *all, CK_ULONG *rw);
/* After fork: drop the table without touching what it points to. */
void p11_sessions_forget(void);
void p11_op_reset(struct p11_op *op);
/* A token-layer error inside a session call: if the card went away, drop the
 * token (sessions die) and say CKR_DEVICE_REMOVED. */
CK_RV p11_session_error(struct p11_session *s, stc_rv rv);

/* objects.c: the session exists (for the calls the cards cannot do) */
CK_RV p11_session_only(CK_SESSION_HANDLE hSession);

/* attrs.c */
CK_RV p11_attr_get(struct p11_token *t, struct p11_object *o, CK_ATTRIBUTE_PTR tmpl,
		   CK_ULONG count);
/* Does the object match the template? (CKR_OK and *match) */
CK_RV p11_attr_match(struct p11_token *t, struct p11_object *o, CK_ATTRIBUTE_PTR tmpl,
		     CK_ULONG count, int *match);
CK_RV p11_attr_set(struct p11_object *o, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count);

#endif
