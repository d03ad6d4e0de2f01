/*
 * sessions.c - the session table, login state and PINs: C_OpenSession,
 * C_CloseSession, C_CloseAllSessions, C_GetSessionInfo, C_Login, C_LoginUser,
 * C_Logout, C_InitPIN, C_SetPIN, C_SessionCancel.
 *
 * Login is per token (all its sessions), as PKCS#11 says. Logging out, or
 * closing the token's last session, resets the card: a CPS keeps its PIN
 * verified until then, and another application must not inherit it.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "p11.h"

static struct p11_session *table[P11_MAX_SESSIONS];
static CK_SESSION_HANDLE next_session = 1;
/* a parent's sessions after fork: reachable, unused (not static, see module.c) */
struct p11_session *p11_inherited_sessions[P11_MAX_SESSIONS];

void p11_op_reset(struct p11_op *op)
{
	if (op->sign)
		stc_sign_abort(op->sign);
	EVP_MD_CTX_free(op->md);
	if (op->buf) {
		OPENSSL_cleanse(op->buf, op->buf_len);
		free(op->buf);
	}
	if (op->result) {
		OPENSSL_cleanse(op->result, op->result_len);
		free(op->result);
	}
	memset(op, 0, sizeof(*op));
}

static void session_free(size_t i)
{
	struct p11_session *s = table[i];

	if (!s)
		return;
	p11_op_reset(&s->sign);
	p11_op_reset(&s->verify);
	p11_op_reset(&s->crypt);
	p11_op_reset(&s->digest);
	free(s->found);
	free(s);
	table[i] = NULL;
}

static size_t index_of(const struct p11_session *s)
{
	for (size_t i = 0; i < P11_MAX_SESSIONS; i++)
		if (table[i] == s)
			return i;
	return P11_MAX_SESSIONS;
}

void p11_sessions_free(void)
{
	for (size_t i = 0; i < P11_MAX_SESSIONS; i++)
		session_free(i);
}

void p11_sessions_forget(void)
{
	memcpy(p11_inherited_sessions, table, sizeof(table));
	memset(table, 0, sizeof(table));
}

void p11_sessions_kill_token(const struct p11_token *t)
{
	for (size_t i = 0; i < P11_MAX_SESSIONS; i++) {
		struct p11_session *s = table[i];

		if (!s || s->token != t)
			continue;
		p11_op_reset(&s->sign);
		p11_op_reset(&s->verify);
		p11_op_reset(&s->crypt);
		p11_op_reset(&s->digest);
		s->find_active = 0;
		s->token = NULL;
		s->dead = 1;
	}
}

void p11_sessions_count(const struct p11_token *t, CK_ULONG *all, CK_ULONG *rw)
{
	*all = 0;
	*rw = 0;
	for (size_t i = 0; i < P11_MAX_SESSIONS; i++) {
		if (!table[i] || table[i]->token != t)
			continue;
		(*all)++;
		if (table[i]->flags & CKF_RW_SESSION)
			(*rw)++;
	}
}

CK_RV p11_session_get(CK_SESSION_HANDLE h, struct p11_session **out)
{
	for (size_t i = 0; i < P11_MAX_SESSIONS; i++) {
		struct p11_session *s = table[i];

		if (!s || s->handle != h)
			continue;
		if (s->dead) {
			session_free(i);
			return CKR_DEVICE_REMOVED;
		}
		*out = s;
		return CKR_OK;
	}
	return CKR_SESSION_HANDLE_INVALID;
}

static struct p11_slot *slot_of(const struct p11_token *t)
{
	for (size_t i = 0; i < p11_nslots; i++)
		if (p11_slots[i].token == t)
			return &p11_slots[i];
	return NULL;
}

CK_RV p11_session_error(struct p11_session *s, stc_rv rv)
{
	struct p11_slot *slot;

	if (!p11_gone(rv))
		return p11_rv(rv);
	slot = slot_of(s->token);
	if (slot)
		p11_slot_drop_token(slot);
	session_free(index_of(s));
	return CKR_DEVICE_REMOVED;
}

/* Drop the card's security state: close the token layer's token, disconnect
 * with a reset and open it again. The module's objects and their handles
 * stay (the card did not change). */
static CK_RV token_reset(struct p11_token *t)
{
	struct p11_slot *slot = slot_of(t);
	stc_card *card;
	stc_token *tok;
	stc_rv rv;

	t->logged_in = 0;
	if (!slot)
		return CKR_DEVICE_REMOVED;
	/* operations with the private keys end with the login (and a card hashing
	 * state belongs to the token layer's token, closed below) */
	for (size_t i = 0; i < P11_MAX_SESSIONS; i++) {
		if (!table[i] || table[i]->token != t)
			continue;
		p11_op_reset(&table[i]->sign);
		if (table[i]->crypt.kind == OP_DECRYPT)
			p11_op_reset(&table[i]->crypt);
	}
	stc_token_close(t->tok);
	t->tok = NULL;
	stc_disconnect(t->card, 1);
	t->card = NULL;
	rv = stc_connect(p11_ctx, slot->reader, STC_SHARE_SHARED, &card);
	if (rv == STC_OK) {
		rv = stc_token_open(card, &tok);
		if (rv != STC_OK)
			stc_disconnect(card, 0);
	}
	if (rv != STC_OK) {
		/* the card went away meanwhile: the token goes with it */
		stc_log(STC_LOG_INFO, "pkcs11: card in '%s' not reopened after logout: %s",
			slot->reader, stc_rv_name(rv));
		p11_slot_drop_token(slot);
		return CKR_DEVICE_REMOVED;
	}
	t->card = card;
	t->tok = tok;
	t->cps2ter_tok = 0;
	/* the private objects' values were read under the PIN: forget them */
	for (size_t i = 0; i < t->nobjs; i++) {
		struct p11_object *o = &t->objs[i];

		if (o->is_private && o->value && o->cls == CKO_DATA) {
			OPENSSL_cleanse(o->value, o->value_len);
			free(o->value);
			o->value = NULL;
			o->value_len = 0;
			o->value_read = 0;
		}
	}
	return CKR_OK;
}

static int has_pin(const struct p11_token *t)
{
	return t->kind == STC_CARD_CPS3 || t->kind == STC_CARD_CPS4;
}

/* ------------------------------------------------------------ C_ calls */

CK_RV C_OpenSession(CK_SLOT_ID slotID, CK_FLAGS flags, CK_VOID_PTR pApplication, CK_NOTIFY Notify,
		    CK_SESSION_HANDLE_PTR phSession)
{
	CK_RV rv = p11_enter();
	struct p11_slot *s;
	struct p11_session *ses;
	size_t i;

	(void)pApplication;
	(void)Notify;
	if (rv != CKR_OK)
		return rv;
	if (!phSession) {
		p11_leave();
		return CKR_ARGUMENTS_BAD;
	}
	if (!(flags & CKF_SERIAL_SESSION)) {
		p11_leave();
		return CKR_SESSION_PARALLEL_NOT_SUPPORTED;
	}
	s = p11_slot_find(slotID);
	if (!s) {
		p11_leave();
		return CKR_SLOT_ID_INVALID;
	}
	p11_slots_refresh(1);
	s = p11_slot_get(slotID);
	if (!s->token) {
		p11_leave();
		return s->card_present && s->unknown ? CKR_TOKEN_NOT_RECOGNIZED
						     : CKR_TOKEN_NOT_PRESENT;
	}
	if ((flags & CKF_RW_SESSION) &&
	    (s->token->kind == STC_CARD_VITALE1 || s->token->kind == STC_CARD_VITALE2)) {
		p11_leave();
		return CKR_TOKEN_WRITE_PROTECTED;
	}
	for (i = 0; i < P11_MAX_SESSIONS && table[i]; i++)
		;
	if (i == P11_MAX_SESSIONS) {
		p11_leave();
		return CKR_SESSION_COUNT;
	}
	ses = calloc(1, sizeof(*ses));
	if (!ses) {
		p11_leave();
		return CKR_HOST_MEMORY;
	}
	ses->handle = next_session++;
	ses->slot_id = s->id;
	ses->token = s->token;
	ses->flags = flags & (CKF_SERIAL_SESSION | CKF_RW_SESSION);
	table[i] = ses;
	*phSession = ses->handle;
	p11_leave();
	return CKR_OK;
}

static int token_sessions(const struct p11_token *t)
{
	CK_ULONG all, rw;

	p11_sessions_count(t, &all, &rw);
	return (int)all;
}

CK_RV C_CloseSession(CK_SESSION_HANDLE hSession)
{
	CK_RV rv = p11_enter();
	struct p11_session *s;
	struct p11_token *t;

	if (rv != CKR_OK)
		return rv;
	rv = p11_session_get(hSession, &s);
	if (rv == CKR_DEVICE_REMOVED)
		rv = CKR_OK;   /* closing a dead session: done */
	else if (rv == CKR_OK) {
		t = s->token;
		session_free(index_of(s));
		if (t->logged_in && token_sessions(t) == 0)
			(void)token_reset(t);
	}
	p11_leave();
	return rv;
}

CK_RV C_CloseAllSessions(CK_SLOT_ID slotID)
{
	CK_RV rv = p11_enter();
	struct p11_slot *slot;

	if (rv != CKR_OK)
		return rv;
	slot = p11_slot_find(slotID);
	if (!slot) {
		p11_leave();
		return CKR_SLOT_ID_INVALID;
	}
	for (size_t i = 0; i < P11_MAX_SESSIONS; i++)
		if (table[i] && table[i]->slot_id == slotID)
			session_free(i);
	if (slot->token && slot->token->logged_in)
		(void)token_reset(slot->token);
	p11_leave();
	return CKR_OK;
}

CK_RV C_GetSessionInfo(CK_SESSION_HANDLE hSession, CK_SESSION_INFO_PTR pInfo)
{
	CK_RV rv = p11_enter();
	struct p11_session *s;
	struct p11_slot *slot;

	if (rv != CKR_OK)
		return rv;
	if (!pInfo) {
		p11_leave();
		return CKR_ARGUMENTS_BAD;
	}
	rv = p11_session_get(hSession, &s);
	if (rv != CKR_OK) {
		p11_leave();
		return rv;
	}
	/* pcscd's reader states only, no APDU (NSS polls this) */
	p11_slots_refresh(0);
	rv = p11_session_get(hSession, &s);
	if (rv != CKR_OK) {
		p11_leave();
		return rv;
	}
	slot = p11_slot_get(s->slot_id);
	memset(pInfo, 0, sizeof(*pInfo));
	pInfo->slotID = slot ? slot->id : s->slot_id;
	pInfo->flags = s->flags;
	if (s->token->logged_in)
		pInfo->state = (s->flags & CKF_RW_SESSION) ? CKS_RW_USER_FUNCTIONS
							   : CKS_RO_USER_FUNCTIONS;
	else
		pInfo->state = (s->flags & CKF_RW_SESSION) ? CKS_RW_PUBLIC_SESSION
							   : CKS_RO_PUBLIC_SESSION;
	p11_leave();
	return CKR_OK;
}

static CK_RV pin_rv(stc_rv rv)
{
	if (rv == STC_ERR_INVALID_ARGS)
		return CKR_PIN_LEN_RANGE;   /* outside the AODF's bounds, or refused by the keypad */
	return p11_rv(rv);
}

/* The same for an entry on the keypad: the reader's timeout (nobody typed)
 * is a cancellation, PKCS#11 has no code for it (OpenSC says the same). */
static CK_RV keypad_rv(stc_rv rv)
{
	return rv == STC_ERR_TIMEOUT ? CKR_FUNCTION_CANCELED : pin_rv(rv);
}

CK_RV C_Login(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin,
	      CK_ULONG ulPinLen)
{
	CK_RV rv = p11_enter();
	struct p11_session *s;
	struct p11_token *t;
	stc_rv r;

	if (rv != CKR_OK)
		return rv;
	rv = p11_session_get(hSession, &s);
	if (rv != CKR_OK) {
		p11_leave();
		return rv;
	}
	t = s->token;
	/* no SO on these cards (see the man page) */
	if (userType != CKU_USER && userType != CKU_CONTEXT_SPECIFIC)
		rv = CKR_USER_TYPE_INVALID;
	else if (!has_pin(t))
		rv = CKR_USER_PIN_NOT_INITIALIZED;
	else if (userType == CKU_USER && t->logged_in)
		rv = CKR_USER_ALREADY_LOGGED_IN;
	else if (userType == CKU_CONTEXT_SPECIFIC && s->sign.kind == OP_NONE &&
		 s->crypt.kind == OP_NONE)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	else if (!pPin && !p11_token_pinpad(t))
		rv = CKR_ARGUMENTS_BAD;   /* a NULL PIN is for a protected path only */
	if (rv != CKR_OK) {
		p11_leave();
		return rv;
	}
	/* NULL: the user types on the reader's keypad (blocks until done) */
	if (pPin)
		r = stc_token_pin_verify(t->tok, (const char *)pPin, ulPinLen, NULL);
	else
		r = stc_token_pin_verify_pinpad(t->tok, NULL);
	if (r == STC_OK) {
		t->logged_in = 1;
		rv = CKR_OK;
	} else if (p11_gone(r)) {
		rv = p11_session_error(s, r);
	} else {
		rv = pPin ? pin_rv(r) : keypad_rv(r);
	}
	p11_leave();
	return rv;
}

CK_RV C_LoginUser(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin,
		  CK_ULONG ulPinLen, CK_UTF8CHAR_PTR pUsername, CK_ULONG ulUsernameLen)
{
	/* the cards know no user names */
	(void)pUsername;
	(void)ulUsernameLen;
	return C_Login(hSession, userType, pPin, ulPinLen);
}

CK_RV C_Logout(CK_SESSION_HANDLE hSession)
{
	CK_RV rv = p11_enter();
	struct p11_session *s;

	if (rv != CKR_OK)
		return rv;
	rv = p11_session_get(hSession, &s);
	if (rv == CKR_OK && !s->token->logged_in)
		rv = CKR_USER_NOT_LOGGED_IN;
	if (rv == CKR_OK)
		rv = token_reset(s->token);
	p11_leave();
	return rv;
}

CK_RV C_InitPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen)
{
	CK_RV rv = p11_enter();
	struct p11_session *s;

	(void)pPin;
	(void)ulPinLen;
	if (rv != CKR_OK)
		return rv;
	rv = p11_session_get(hSession, &s);
	if (rv == CKR_OK)
		rv = (s->flags & CKF_RW_SESSION) ? CKR_USER_NOT_LOGGED_IN : CKR_SESSION_READ_ONLY;
	p11_leave();
	return rv;
}

CK_RV C_SetPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pOldPin, CK_ULONG ulOldLen,
	       CK_UTF8CHAR_PTR pNewPin, CK_ULONG ulNewLen)
{
	CK_RV rv = p11_enter();
	struct p11_session *s;
	stc_rv r;

	if (rv != CKR_OK)
		return rv;
	rv = p11_session_get(hSession, &s);
	if (rv == CKR_OK && !(s->flags & CKF_RW_SESSION))
		rv = CKR_SESSION_READ_ONLY;
	else if (rv == CKR_OK && !has_pin(s->token))
		rv = CKR_USER_PIN_NOT_INITIALIZED;
	else if (rv == CKR_OK && (!pOldPin || !pNewPin) &&
		 (pOldPin || pNewPin || !p11_token_pinpad(s->token)))
		rv = CKR_ARGUMENTS_BAD;   /* both NULL: on the keypad */
	if (rv != CKR_OK) {
		p11_leave();
		return rv;
	}
	/* the CPS3's unpadded PIN cannot be changed on a keypad: the token layer
	 * says STC_ERR_NOT_SUPPORTED, CKR_FUNCTION_NOT_SUPPORTED here */
	if (!pOldPin)
		r = stc_token_pin_change_pinpad(s->token->tok, NULL);
	else
		r = stc_token_pin_change(s->token->tok, (const char *)pOldPin, ulOldLen,
					 (const char *)pNewPin, ulNewLen, NULL);
	rv = p11_gone(r) ? p11_session_error(s, r) : pOldPin ? pin_rv(r) : keypad_rv(r);
	p11_leave();
	return rv;
}

CK_RV C_SessionCancel(CK_SESSION_HANDLE hSession, CK_FLAGS flags)
{
	CK_RV rv = p11_enter();
	struct p11_session *s;

	if (rv != CKR_OK)
		return rv;
	rv = p11_session_get(hSession, &s);
	if (rv == CKR_OK) {
		if (flags & CKF_SIGN)
			p11_op_reset(&s->sign);
		if (flags & CKF_VERIFY)
			p11_op_reset(&s->verify);
		if (flags & (CKF_ENCRYPT | CKF_DECRYPT))
			p11_op_reset(&s->crypt);
		if (flags & CKF_DIGEST)
			p11_op_reset(&s->digest);
	}
	p11_leave();
	return rv;
}
