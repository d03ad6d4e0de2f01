/*
 * objects.c - C_FindObjects*, C_GetAttributeValue, C_SetAttributeValue,
 * C_GetObjectSize and the object calls the cards cannot do (create, copy,
 * destroy). The rules themselves are in attrs.c.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "p11.h"

/* The session and one of its token's visible objects. */
static CK_RV session_object(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE oh, struct p11_session **s,
			    struct p11_object **o)
{
	CK_RV rv = p11_session_get(h, s);

	if (rv != CKR_OK)
		return rv;
	rv = p11_token_objects((*s)->token);
	if (rv != CKR_OK)
		return rv;
	*o = p11_object_get((*s)->token, oh);
	if (!*o || !p11_object_visible((*s)->token, *o))
		return CKR_OBJECT_HANDLE_INVALID;
	return CKR_OK;
}

/* A card error: the token may be gone. */
static CK_RV card_rv(struct p11_session *s, CK_RV rv)
{
	if (rv == CKR_DEVICE_REMOVED)
		return p11_session_error(s, STC_ERR_CARD_REMOVED);
	return rv;
}

/* Could the template match a CPS2ter object (a private CKO_DATA of application
 * "CPS")? A search for keys or certificates must not cost the 20 SELECTs that
 * find them. */
static int may_match_cps2ter(const CK_ATTRIBUTE *tmpl, CK_ULONG count)
{
	for (CK_ULONG i = 0; i < count; i++) {
		const CK_ATTRIBUTE *a = &tmpl[i];

		if (!a->pValue)
			continue;   /* p11_attr_match answers for it */
		if (a->type == CKA_CLASS && (a->ulValueLen != sizeof(CK_OBJECT_CLASS) ||
					     *(const CK_OBJECT_CLASS *)a->pValue != CKO_DATA))
			return 0;
		if (a->type == CKA_PRIVATE && (a->ulValueLen != sizeof(CK_BBOOL) ||
					       *(const CK_BBOOL *)a->pValue != CK_TRUE))
			return 0;
		if (a->type == CKA_APPLICATION &&
		    (a->ulValueLen != 3 || memcmp(a->pValue, "CPS", 3) != 0))
			return 0;
	}
	return 1;
}

CK_RV C_FindObjectsInit(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
	CK_RV rv = p11_enter();
	struct p11_session *s;
	struct p11_token *t;

	if (rv != CKR_OK)
		return rv;
	rv = p11_session_get(hSession, &s);
	if (rv == CKR_OK && !pTemplate && ulCount)
		rv = CKR_ARGUMENTS_BAD;
	if (rv == CKR_OK && s->find_active)
		rv = CKR_OPERATION_ACTIVE;
	if (rv == CKR_OK) {
		t = s->token;
		rv = p11_token_objects(t);
		if (rv == CKR_OK && t->logged_in && may_match_cps2ter(pTemplate, ulCount))
			rv = p11_token_cps2ter(t);
		if (rv == CKR_OK) {
			free(s->found);
			s->found = calloc(t->nobjs ? t->nobjs : 1, sizeof(CK_OBJECT_HANDLE));
			s->nfound = 0;
			s->find_pos = 0;
			if (!s->found)
				rv = CKR_HOST_MEMORY;
		}
		for (size_t i = 0; rv == CKR_OK && i < t->nobjs; i++) {
			int match;

			if (!p11_object_visible(t, &t->objs[i]))
				continue;
			rv = p11_attr_match(t, &t->objs[i], pTemplate, ulCount, &match);
			if (rv == CKR_OK && match)
				s->found[s->nfound++] = t->objs[i].handle;
		}
		if (rv == CKR_OK)
			s->find_active = 1;
		else
			rv = card_rv(s, rv);
	}
	p11_leave();
	return rv;
}

CK_RV C_FindObjects(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE_PTR phObject,
		    CK_ULONG ulMaxObjectCount, CK_ULONG_PTR pulObjectCount)
{
	CK_RV rv = p11_enter();
	struct p11_session *s;

	if (rv != CKR_OK)
		return rv;
	rv = p11_session_get(hSession, &s);
	if (rv == CKR_OK && (!pulObjectCount || (!phObject && ulMaxObjectCount)))
		rv = CKR_ARGUMENTS_BAD;
	if (rv == CKR_OK && !s->find_active)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	if (rv == CKR_OK) {
		CK_ULONG n = 0;

		while (n < ulMaxObjectCount && s->find_pos < s->nfound)
			phObject[n++] = s->found[s->find_pos++];
		*pulObjectCount = n;
	}
	p11_leave();
	return rv;
}

CK_RV C_FindObjectsFinal(CK_SESSION_HANDLE hSession)
{
	CK_RV rv = p11_enter();
	struct p11_session *s;

	if (rv != CKR_OK)
		return rv;
	rv = p11_session_get(hSession, &s);
	if (rv == CKR_OK && !s->find_active)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	if (rv == CKR_OK) {
		s->find_active = 0;
		free(s->found);
		s->found = NULL;
		s->nfound = 0;
	}
	p11_leave();
	return rv;
}

CK_RV C_GetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
			  CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
	CK_RV rv = p11_enter();
	struct p11_session *s;
	struct p11_object *o;

	if (rv != CKR_OK)
		return rv;
	rv = session_object(hSession, hObject, &s, &o);
	if (rv == CKR_OK && !pTemplate && ulCount)
		rv = CKR_ARGUMENTS_BAD;
	if (rv == CKR_OK)
		rv = card_rv(s, p11_attr_get(s->token, o, pTemplate, ulCount));
	p11_leave();
	return rv;
}

CK_RV C_SetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
			  CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
	CK_RV rv = p11_enter();
	struct p11_session *s;
	struct p11_object *o;

	if (rv != CKR_OK)
		return rv;
	rv = session_object(hSession, hObject, &s, &o);
	if (rv == CKR_OK && !pTemplate && ulCount)
		rv = CKR_ARGUMENTS_BAD;
	if (rv == CKR_OK && !(s->flags & CKF_RW_SESSION))
		rv = CKR_SESSION_READ_ONLY;
	if (rv == CKR_OK)
		rv = p11_attr_set(o, pTemplate, ulCount);
	p11_leave();
	return rv;
}

CK_RV C_GetObjectSize(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ULONG_PTR pulSize)
{
	CK_RV rv = p11_enter();
	struct p11_session *s;
	struct p11_object *o;

	if (rv != CKR_OK)
		return rv;
	rv = session_object(hSession, hObject, &s, &o);
	if (rv == CKR_OK && !pulSize)
		rv = CKR_ARGUMENTS_BAD;
	if (rv == CKR_OK)
		*pulSize = CK_UNAVAILABLE_INFORMATION;
	p11_leave();
	return rv;
}

/* The cards hold what they were issued with: nothing is created or removed. */
static CK_RV session_only(CK_SESSION_HANDLE hSession)
{
	CK_RV rv = p11_enter();
	struct p11_session *s;

	if (rv != CKR_OK)
		return rv;
	rv = p11_session_get(hSession, &s);
	p11_leave();
	return rv;
}

CK_RV C_CreateObject(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount,
		     CK_OBJECT_HANDLE_PTR phObject)
{
	CK_RV rv = session_only(hSession);

	(void)pTemplate;
	(void)ulCount;
	(void)phObject;
	return rv != CKR_OK ? rv : CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_CopyObject(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
		   CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount, CK_OBJECT_HANDLE_PTR phNewObject)
{
	CK_RV rv = p11_enter();
	struct p11_session *s;
	struct p11_object *o;

	(void)pTemplate;
	(void)ulCount;
	(void)phNewObject;
	if (rv != CKR_OK)
		return rv;
	rv = session_object(hSession, hObject, &s, &o);
	p11_leave();
	return rv != CKR_OK ? rv : CKR_ACTION_PROHIBITED;   /* CKA_COPYABLE FALSE */
}

CK_RV C_DestroyObject(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject)
{
	CK_RV rv = p11_enter();
	struct p11_session *s;
	struct p11_object *o;

	if (rv != CKR_OK)
		return rv;
	rv = session_object(hSession, hObject, &s, &o);
	p11_leave();
	return rv != CKR_OK ? rv : CKR_ACTION_PROHIBITED;   /* CKA_DESTROYABLE FALSE */
}

CK_RV p11_session_only(CK_SESSION_HANDLE hSession)
{
	return session_only(hSession);
}
