/*
 * slots.c - the slot table (one slot per PC/SC reader), card detection, and
 * C_GetSlotList, C_GetSlotInfo, C_GetTokenInfo, the mechanism table.
 *
 * Detection needs no APDU: pcscd's reader states (stc_readers_list) say whether
 * a card is there and count insertions; a token whose count changed belongs to
 * a card that was pulled. A card is opened as a token only from calls that may
 * talk to it; a card the token layer does not know is not tried again until it
 * moves (the layer itself probes an ATR once per process).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "p11.h"

static CK_SLOT_ID next_slot_id = 1;

/* Mechanisms (cards.md §1.8): RSA PKCS#1 v1.5 on the card, hashes in software. */
const struct p11_mech p11_mechs[] = {
	{ CKM_RSA_PKCS, CKF_HW | CKF_SIGN | CKF_VERIFY | CKF_ENCRYPT | CKF_DECRYPT, 1,
	  STC_HASH_NONE },
	{ CKM_SHA1_RSA_PKCS, CKF_HW | CKF_SIGN | CKF_VERIFY, 1, STC_HASH_SHA1 },
	{ CKM_SHA256_RSA_PKCS, CKF_HW | CKF_SIGN | CKF_VERIFY, 1, STC_HASH_SHA256 },
	{ CKM_SHA_1, CKF_DIGEST, 0, STC_HASH_SHA1 },
	{ CKM_SHA256, CKF_DIGEST, 0, STC_HASH_SHA256 },
};
const size_t p11_nmechs = sizeof(p11_mechs) / sizeof(p11_mechs[0]);

const struct p11_mech *p11_mech_find(CK_MECHANISM_TYPE type)
{
	for (size_t i = 0; i < p11_nmechs; i++)
		if (p11_mechs[i].type == type)
			return &p11_mechs[i];
	return NULL;
}

struct p11_slot *p11_slot_find(CK_SLOT_ID id)
{
	struct p11_slot *s = p11_slot_get(id);

	/* an ID the application kept from before C_GetSlotList(NULL), or one
	 * used before listing the slots at all */
	if (!s && ((id > 0 && id < next_slot_id) || p11_nslots == 0)) {
		p11_slots_refresh(0);
		s = p11_slot_get(id);
	}
	return s;
}

struct p11_slot *p11_slot_get(CK_SLOT_ID id)
{
	for (size_t i = 0; i < p11_nslots; i++)
		if (p11_slots[i].id == id)
			return &p11_slots[i];
	return NULL;
}

struct p11_slot *p11_slot_by_reader(const char *reader)
{
	for (size_t i = 0; i < p11_nslots; i++)
		if (strcmp(p11_slots[i].reader, reader) == 0)
			return &p11_slots[i];
	return NULL;
}

void p11_slot_drop_token(struct p11_slot *slot)
{
	if (!slot->token)
		return;
	p11_sessions_kill_token(slot->token);
	p11_token_free(slot->token);
	slot->token = NULL;
}

void p11_slots_free(void)
{
	for (size_t i = 0; i < p11_nslots; i++)
		p11_slot_drop_token(&p11_slots[i]);
	p11_nslots = 0;
}

/* The reader names the module has ever given an ID, so that a reader that
 * comes back after its slot was dropped gets its own ID again and no other. */
static struct {
	char name[STC_READER_NAME_MAX];
	CK_SLOT_ID id;
} known[P11_MAX_SLOTS * 2];
static size_t nknown;

static CK_SLOT_ID id_for(const char *reader)
{
	for (size_t i = 0; i < nknown; i++)
		if (strcmp(known[i].name, reader) == 0)
			return known[i].id;
	if (nknown < sizeof(known) / sizeof(known[0])) {
		memcpy(known[nknown].name, reader, STC_READER_NAME_MAX);
		known[nknown].id = next_slot_id;
		nknown++;
	}
	return next_slot_id++;
}

static struct p11_slot *slot_add(const char *reader)
{
	struct p11_slot *s;

	if (p11_nslots == P11_MAX_SLOTS)
		return NULL;
	s = &p11_slots[p11_nslots++];
	memset(s, 0, sizeof(*s));
	memcpy(s->reader, reader, STC_READER_NAME_MAX);
	s->id = id_for(reader);
	return s;
}

static void try_open(struct p11_slot *s, const stc_reader_info *ri)
{
	stc_card *card;
	stc_rv rv;

	if (s->unknown && s->unknown_count == ri->event_count)
		return;
	if (ri->card_mute || ri->card_in_use)
		return;
	rv = stc_connect(p11_ctx, s->reader, STC_SHARE_SHARED, &card);
	if (rv != STC_OK) {
		stc_log(STC_LOG_INFO, "pkcs11: no connection to the card in '%s': %s", s->reader,
			stc_rv_name(rv));
		return;
	}
	if (p11_token_open(s, card, ri, &s->token) != CKR_OK) {
		stc_disconnect(card, 0);
		s->token = NULL;
		s->unknown = 1;
		s->unknown_count = ri->event_count;
	}
}

void p11_slots_refresh(int open_tokens)
{
	stc_reader_info *list = NULL;
	size_t n = 0;
	stc_rv rv = STC_OK;

	if (!p11_ctx)
		rv = stc_ctx_new(&p11_ctx);
	if (rv == STC_OK)
		rv = stc_readers_list(p11_ctx, &list, &n);
	if (rv != STC_OK) {
		/* no service: every reader is gone until it comes back */
		stc_log(STC_LOG_INFO, "pkcs11: no readers: %s", stc_rv_name(rv));
		list = NULL;
		n = 0;
	}
	for (size_t i = 0; i < p11_nslots; i++) {
		struct p11_slot *s = &p11_slots[i];
		const stc_reader_info *ri = NULL;

		for (size_t j = 0; j < n; j++)
			if (strcmp(list[j].name, s->reader) == 0)
				ri = &list[j];
		s->reader_present = ri != NULL;
		s->card_present = ri && ri->card_present;
		if (s->token && (!ri || !ri->card_present || ri->event_count != s->token->event_count))
			p11_slot_drop_token(s);
		if (ri)
			s->event_count = ri->event_count;
	}
	for (size_t j = 0; j < n; j++) {
		struct p11_slot *s = p11_slot_by_reader(list[j].name);

		if (!s) {
			s = slot_add(list[j].name);
			if (!s)
				continue;
			s->reader_present = 1;
			s->card_present = list[j].card_present;
			s->event_count = list[j].event_count;
		}
		if (open_tokens && s->card_present && !s->token)
			try_open(s, &list[j]);
	}
	stc_readers_free(list);
}

/* ------------------------------------------------------------ C_ calls */

CK_RV C_GetSlotList(CK_BBOOL tokenPresent, CK_SLOT_ID_PTR pSlotList, CK_ULONG_PTR pulCount)
{
	CK_RV rv = p11_enter();
	CK_ULONG n = 0;

	if (rv != CKR_OK)
		return rv;
	if (!pulCount) {
		p11_leave();
		return CKR_ARGUMENTS_BAD;
	}
	p11_slots_refresh(1);
	if (!pSlotList) {
		/* the application asks afresh: slots whose reader is gone go now
		 * (their IDs stay reserved for their readers) */
		size_t k = 0;

		for (size_t i = 0; i < p11_nslots; i++) {
			if (!p11_slots[i].reader_present)
				continue;
			if (k != i)
				p11_slots[k] = p11_slots[i];
			k++;
		}
		p11_nslots = k;
	}
	for (size_t i = 0; i < p11_nslots; i++) {
		if (tokenPresent && !p11_slots[i].token)
			continue;
		if (pSlotList) {
			if (n < *pulCount)
				pSlotList[n] = p11_slots[i].id;
		}
		n++;
	}
	if (pSlotList && n > *pulCount) {
		*pulCount = n;
		p11_leave();
		return CKR_BUFFER_TOO_SMALL;
	}
	for (size_t i = 0; i < p11_nslots; i++)
		p11_slots[i].seen = 1;
	*pulCount = n;
	p11_leave();
	return CKR_OK;
}

CK_RV C_GetSlotInfo(CK_SLOT_ID slotID, CK_SLOT_INFO_PTR pInfo)
{
	CK_RV rv = p11_enter();
	struct p11_slot *s;

	if (rv != CKR_OK)
		return rv;
	if (!pInfo) {
		p11_leave();
		return CKR_ARGUMENTS_BAD;
	}
	if (!p11_slot_find(slotID)) {
		p11_leave();
		return CKR_SLOT_ID_INVALID;
	}
	p11_slots_refresh(1);
	s = p11_slot_get(slotID);
	memset(pInfo, 0, sizeof(*pInfo));
	p11_pad(pInfo->slotDescription, sizeof(pInfo->slotDescription), s->reader);
	p11_pad(pInfo->manufacturerID, sizeof(pInfo->manufacturerID), "");
	pInfo->flags = CKF_REMOVABLE_DEVICE | CKF_HW_SLOT;
	if (s->token)
		pInfo->flags |= CKF_TOKEN_PRESENT;
	p11_leave();
	return CKR_OK;
}

CK_RV C_GetTokenInfo(CK_SLOT_ID slotID, CK_TOKEN_INFO_PTR pInfo)
{
	CK_RV rv = p11_enter();
	struct p11_slot *s;

	if (rv != CKR_OK)
		return rv;
	if (!pInfo) {
		p11_leave();
		return CKR_ARGUMENTS_BAD;
	}
	if (!p11_slot_find(slotID)) {
		p11_leave();
		return CKR_SLOT_ID_INVALID;
	}
	p11_slots_refresh(1);
	s = p11_slot_get(slotID);
	if (!s->token)
		rv = s->card_present && s->unknown ? CKR_TOKEN_NOT_RECOGNIZED : CKR_TOKEN_NOT_PRESENT;
	else
		rv = p11_token_info(s->token, pInfo);
	if (rv == CKR_DEVICE_REMOVED) {
		p11_slot_drop_token(s);
		rv = CKR_TOKEN_NOT_PRESENT;
	}
	p11_leave();
	return rv;
}

static int token_has_keys(struct p11_token *t)
{
	if (p11_token_objects(t) != CKR_OK)
		return t->kind == STC_CARD_CPS3 || t->kind == STC_CARD_CPS3_CL;
	for (size_t i = 0; i < t->nobjs; i++)
		if (t->objs[i].cls == CKO_PRIVATE_KEY)
			return 1;
	return 0;
}

static CK_RV slot_token(CK_SLOT_ID id, struct p11_slot **out)
{
	struct p11_slot *s = p11_slot_find(id);

	if (!s)
		return CKR_SLOT_ID_INVALID;
	if (!s->token)
		p11_slots_refresh(1);
	s = p11_slot_get(id);
	if (!s->token)
		return s->card_present && s->unknown ? CKR_TOKEN_NOT_RECOGNIZED
						     : CKR_TOKEN_NOT_PRESENT;
	*out = s;
	return CKR_OK;
}

CK_RV C_GetMechanismList(CK_SLOT_ID slotID, CK_MECHANISM_TYPE_PTR pMechanismList,
			 CK_ULONG_PTR pulCount)
{
	CK_RV rv = p11_enter();
	struct p11_slot *s;
	CK_ULONG n = 0;
	int keys;

	if (rv != CKR_OK)
		return rv;
	if (!pulCount) {
		p11_leave();
		return CKR_ARGUMENTS_BAD;
	}
	rv = slot_token(slotID, &s);
	if (rv != CKR_OK) {
		p11_leave();
		return rv;
	}
	keys = token_has_keys(s->token);
	for (size_t i = 0; i < p11_nmechs; i++) {
		if (p11_mechs[i].needs_key && !keys)
			continue;
		if (pMechanismList && n < *pulCount)
			pMechanismList[n] = p11_mechs[i].type;
		n++;
	}
	if (pMechanismList && n > *pulCount)
		rv = CKR_BUFFER_TOO_SMALL;
	*pulCount = n;
	p11_leave();
	return rv;
}

CK_RV C_GetMechanismInfo(CK_SLOT_ID slotID, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR pInfo)
{
	CK_RV rv = p11_enter();
	const struct p11_mech *m = p11_mech_find(type);
	struct p11_slot *s;

	if (rv != CKR_OK)
		return rv;
	if (!pInfo) {
		p11_leave();
		return CKR_ARGUMENTS_BAD;
	}
	rv = slot_token(slotID, &s);
	if (rv == CKR_OK && (!m || (m->needs_key && !token_has_keys(s->token))))
		rv = CKR_MECHANISM_INVALID;
	if (rv == CKR_OK) {
		struct p11_token *t = s->token;
		CK_ULONG lo = 0, hi = 0;

		for (size_t i = 0; i < t->nobjs; i++) {
			if (t->objs[i].cls != CKO_PRIVATE_KEY || !t->objs[i].key_bits)
				continue;
			if (!lo || t->objs[i].key_bits < lo)
				lo = t->objs[i].key_bits;
			if (t->objs[i].key_bits > hi)
				hi = t->objs[i].key_bits;
		}
		memset(pInfo, 0, sizeof(*pInfo));
		pInfo->flags = m->flags;
		if (m->needs_key) {
			pInfo->ulMinKeySize = lo ? lo : 1024;
			pInfo->ulMaxKeySize = hi ? hi : 2048;
		}
	}
	p11_leave();
	return rv;
}
