/*
 * attrs.c - the attribute rules as one table (the model of SoftHSM's
 * P11Attributes): for each attribute, the object classes that have it, whether
 * its value is sensitive (never revealed), and how its value is obtained.
 * C_GetAttributeValue, C_FindObjects matching and C_SetAttributeValue all go
 * through it; nothing here is a scattered special case.
 *
 * Every object is a card object: CKA_TOKEN TRUE, CKA_MODIFIABLE, CKA_COPYABLE
 * and CKA_DESTROYABLE FALSE, so no attribute is modifiable
 * (C_SetAttributeValue: CKR_ACTION_PROHIBITED). Private keys keep their
 * secrets on the card: CKA_SENSITIVE TRUE, CKA_EXTRACTABLE FALSE.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "p11.h"
#include "p11_cert.h"

#define A_ALL (P11C_CERT | P11C_PRIV | P11C_PUB | P11C_DATA)
#define A_KEY (P11C_PRIV | P11C_PUB)

#define F_SENSITIVE 0x1u     /* CKR_ATTRIBUTE_SENSITIVE */

/* A value: points at the object's memory or at tmp. */
struct aval {
	const void *p;
	CK_ULONG len;
	union {
		CK_ULONG ul;
		CK_BBOOL b;
		CK_MECHANISM_TYPE mechs[8];
		uint8_t bytes[64];
	} tmp;
};

typedef CK_RV (*getter)(struct p11_token *t, struct p11_object *o, struct aval *v);

struct attr_rule {
	CK_ATTRIBUTE_TYPE type;
	unsigned classes;
	unsigned flags;
	getter get;
};

static CK_RV set_ulong(struct aval *v, CK_ULONG x)
{
	v->tmp.ul = x;
	v->p = &v->tmp.ul;
	v->len = sizeof(CK_ULONG);
	return CKR_OK;
}

static CK_RV set_bool(struct aval *v, int x)
{
	v->tmp.b = x ? CK_TRUE : CK_FALSE;
	v->p = &v->tmp.b;
	v->len = sizeof(CK_BBOOL);
	return CKR_OK;
}

static CK_RV set_bytes(struct aval *v, const void *p, size_t len)
{
	v->p = p;
	v->len = (CK_ULONG)len;
	return CKR_OK;
}

static CK_RV cert_info(struct p11_token *t, struct p11_object *o, struct p11_certinfo **ci)
{
	void *pkey;
	struct p11_object *c = o->cls == CKO_CERTIFICATE ? o : o->cert;
	CK_RV rv;

	if (!c)
		return CKR_ATTRIBUTE_TYPE_INVALID;
	rv = p11_object_pkey(t, o, &pkey);
	if (rv != CKR_OK)
		return rv;
	*ci = c->ci;
	return CKR_OK;
}

/* ------------------------------------------------------------- getters */

static CK_RV g_class(struct p11_token *t, struct p11_object *o, struct aval *v)
{
	(void)t;
	return set_ulong(v, o->cls);
}

static CK_RV g_true(struct p11_token *t, struct p11_object *o, struct aval *v)
{
	(void)t;
	(void)o;
	return set_bool(v, 1);
}

static CK_RV g_false(struct p11_token *t, struct p11_object *o, struct aval *v)
{
	(void)t;
	(void)o;
	return set_bool(v, 0);
}

static CK_RV g_private(struct p11_token *t, struct p11_object *o, struct aval *v)
{
	(void)t;
	return set_bool(v, o->is_private);
}

static CK_RV g_label(struct p11_token *t, struct p11_object *o, struct aval *v)
{
	(void)t;
	return set_bytes(v, o->label, strlen(o->label));
}

static CK_RV g_id(struct p11_token *t, struct p11_object *o, struct aval *v)
{
	(void)t;
	return set_bytes(v, o->id, o->id_len);
}

static CK_RV g_empty(struct p11_token *t, struct p11_object *o, struct aval *v)
{
	(void)t;
	(void)o;
	return set_bytes(v, "", 0);
}

static CK_RV g_value(struct p11_token *t, struct p11_object *o, struct aval *v)
{
	CK_RV rv = p11_object_value(t, o);

	if (rv != CKR_OK)
		return rv;
	return set_bytes(v, o->value, o->value_len);
}

static CK_RV g_application(struct p11_token *t, struct p11_object *o, struct aval *v)
{
	(void)t;
	return set_bytes(v, o->application, strlen(o->application));
}

static CK_RV g_cert_type(struct p11_token *t, struct p11_object *o, struct aval *v)
{
	(void)t;
	(void)o;
	return set_ulong(v, CKC_X_509);
}

static CK_RV g_cert_category(struct p11_token *t, struct p11_object *o, struct aval *v)
{
	(void)t;
	(void)o;
	return set_ulong(v, 1);   /* CK_CERTIFICATE_CATEGORY_TOKEN_USER */
}

static CK_RV g_zero(struct p11_token *t, struct p11_object *o, struct aval *v)
{
	(void)t;
	(void)o;
	return set_ulong(v, 0);
}

static CK_RV g_name_hash_alg(struct p11_token *t, struct p11_object *o, struct aval *v)
{
	(void)t;
	(void)o;
	return set_ulong(v, CKM_SHA_1);
}

#define CERT_FIELD(name, field)                                                         \
	static CK_RV name(struct p11_token *t, struct p11_object *o, struct aval *v)    \
	{                                                                               \
		struct p11_certinfo *ci;                                                \
		CK_RV rv = cert_info(t, o, &ci);                                        \
		if (rv != CKR_OK)                                                       \
			return rv;                                                      \
		return set_bytes(v, ci->field.p, ci->field.len);                        \
	}
CERT_FIELD(g_subject, subject)
CERT_FIELD(g_issuer, issuer)
CERT_FIELD(g_serial, serial)
CERT_FIELD(g_spki, spki)
CERT_FIELD(g_modulus, modulus)
CERT_FIELD(g_exponent, exponent)

static CK_RV g_check_value(struct p11_token *t, struct p11_object *o, struct aval *v)
{
	struct p11_certinfo *ci;
	CK_RV rv = cert_info(t, o, &ci);

	if (rv != CKR_OK)
		return rv;
	memcpy(v->tmp.bytes, ci->check, sizeof(ci->check));
	return set_bytes(v, v->tmp.bytes, sizeof(ci->check));
}

static CK_RV g_key_type(struct p11_token *t, struct p11_object *o, struct aval *v)
{
	(void)t;
	(void)o;
	return set_ulong(v, CKK_RSA);
}

static CK_RV g_unavailable(struct p11_token *t, struct p11_object *o, struct aval *v)
{
	(void)t;
	(void)o;
	return set_ulong(v, CK_UNAVAILABLE_INFORMATION);
}

static CK_RV g_modulus_bits(struct p11_token *t, struct p11_object *o, struct aval *v)
{
	struct p11_certinfo *ci;

	if (o->key_bits)
		return set_ulong(v, o->key_bits);
	if (cert_info(t, o, &ci) == CKR_OK)
		return set_ulong(v, ci->bits);
	return set_ulong(v, CK_UNAVAILABLE_INFORMATION);
}

/* What the key may do, from its PKCS#15 usage: the authentication key signs
 * (INTERNAL AUTHENTICATE) and deciphers, the signature key signs. */
static int can_sign(const struct p11_object *o)
{
	return (o->usage & (STC_USAGE_SIGN | STC_USAGE_NONREPUDIATION)) != 0;
}

static CK_RV g_sign(struct p11_token *t, struct p11_object *o, struct aval *v)
{
	(void)t;
	return set_bool(v, can_sign(o));
}

static CK_RV g_decrypt(struct p11_token *t, struct p11_object *o, struct aval *v)
{
	(void)t;
	return set_bool(v, (o->usage & STC_USAGE_DECRYPT) != 0);
}

static CK_RV g_allowed_mechs(struct p11_token *t, struct p11_object *o, struct aval *v)
{
	size_t n = 0;

	(void)t;
	for (size_t i = 0; i < p11_nmechs; i++)
		if (p11_mechs[i].needs_key)
			v->tmp.mechs[n++] = p11_mechs[i].type;
	(void)o;
	return set_bytes(v, v->tmp.mechs, n * sizeof(CK_MECHANISM_TYPE));
}

/* ---------------------------------------------------------------- table */

static const struct attr_rule rules[] = {
	/* common storage attributes */
	{ CKA_CLASS, A_ALL, 0, g_class },
	{ CKA_TOKEN, A_ALL, 0, g_true },
	{ CKA_PRIVATE, A_ALL, 0, g_private },
	{ CKA_MODIFIABLE, A_ALL, 0, g_false },
	{ CKA_COPYABLE, A_ALL, 0, g_false },
	{ CKA_DESTROYABLE, A_ALL, 0, g_false },
	{ CKA_LABEL, A_ALL, 0, g_label },
	/* data objects */
	{ CKA_APPLICATION, P11C_DATA, 0, g_application },
	{ CKA_OBJECT_ID, P11C_DATA, 0, g_empty },
	{ CKA_VALUE, P11C_DATA | P11C_CERT, 0, g_value },
	/* certificates */
	{ CKA_CERTIFICATE_TYPE, P11C_CERT, 0, g_cert_type },
	{ CKA_TRUSTED, P11C_CERT | P11C_PUB, 0, g_false },
	{ CKA_CERTIFICATE_CATEGORY, P11C_CERT, 0, g_cert_category },
	{ CKA_CHECK_VALUE, P11C_CERT, 0, g_check_value },
	{ CKA_START_DATE, P11C_CERT | A_KEY, 0, g_empty },
	{ CKA_END_DATE, P11C_CERT | A_KEY, 0, g_empty },
	{ CKA_PUBLIC_KEY_INFO, P11C_CERT | A_KEY, 0, g_spki },
	{ CKA_SUBJECT, P11C_CERT | A_KEY, 0, g_subject },
	{ CKA_ID, P11C_CERT | A_KEY | P11C_DATA, 0, g_id },
	{ CKA_ISSUER, P11C_CERT, 0, g_issuer },
	{ CKA_SERIAL_NUMBER, P11C_CERT, 0, g_serial },
	{ CKA_URL, P11C_CERT, 0, g_empty },
	{ CKA_HASH_OF_SUBJECT_PUBLIC_KEY, P11C_CERT, 0, g_empty },
	{ CKA_HASH_OF_ISSUER_PUBLIC_KEY, P11C_CERT, 0, g_empty },
	{ CKA_JAVA_MIDP_SECURITY_DOMAIN, P11C_CERT, 0, g_zero },
	{ CKA_NAME_HASH_ALGORITHM, P11C_CERT, 0, g_name_hash_alg },
	/* keys */
	{ CKA_KEY_TYPE, A_KEY, 0, g_key_type },
	{ CKA_DERIVE, A_KEY, 0, g_false },
	{ CKA_LOCAL, A_KEY, 0, g_false },
	{ CKA_KEY_GEN_MECHANISM, A_KEY, 0, g_unavailable },
	{ CKA_ALLOWED_MECHANISMS, A_KEY, 0, g_allowed_mechs },
	{ CKA_MODULUS, A_KEY, 0, g_modulus },
	{ CKA_MODULUS_BITS, A_KEY, 0, g_modulus_bits },
	{ CKA_PUBLIC_EXPONENT, A_KEY, 0, g_exponent },
	/* public keys: verify always; encrypt only with the authentication key's
	 * (Cryptolib refuses the signature key's) */
	{ CKA_ENCRYPT, P11C_PUB, 0, g_decrypt },
	{ CKA_VERIFY, P11C_PUB, 0, g_true },
	{ CKA_VERIFY_RECOVER, P11C_PUB, 0, g_false },
	{ CKA_WRAP, P11C_PUB, 0, g_false },
	/* private keys */
	{ CKA_SENSITIVE, P11C_PRIV, 0, g_true },
	{ CKA_DECRYPT, P11C_PRIV, 0, g_decrypt },
	{ CKA_SIGN, P11C_PRIV, 0, g_sign },
	{ CKA_SIGN_RECOVER, P11C_PRIV, 0, g_false },
	{ CKA_UNWRAP, P11C_PRIV, 0, g_false },
	{ CKA_EXTRACTABLE, P11C_PRIV, 0, g_false },
	{ CKA_ALWAYS_SENSITIVE, P11C_PRIV, 0, g_true },
	{ CKA_NEVER_EXTRACTABLE, P11C_PRIV, 0, g_true },
	{ CKA_WRAP_WITH_TRUSTED, P11C_PRIV, 0, g_false },
	{ CKA_ALWAYS_AUTHENTICATE, P11C_PRIV, 0, g_false },
	{ CKA_PRIVATE_EXPONENT, P11C_PRIV, F_SENSITIVE, NULL },
	{ CKA_PRIME_1, P11C_PRIV, F_SENSITIVE, NULL },
	{ CKA_PRIME_2, P11C_PRIV, F_SENSITIVE, NULL },
	{ CKA_EXPONENT_1, P11C_PRIV, F_SENSITIVE, NULL },
	{ CKA_EXPONENT_2, P11C_PRIV, F_SENSITIVE, NULL },
	{ CKA_COEFFICIENT, P11C_PRIV, F_SENSITIVE, NULL },
};
#define NRULES (sizeof(rules) / sizeof(rules[0]))

static unsigned class_bit(CK_OBJECT_CLASS cls)
{
	switch (cls) {
	case CKO_CERTIFICATE: return P11C_CERT;
	case CKO_PRIVATE_KEY: return P11C_PRIV;
	case CKO_PUBLIC_KEY: return P11C_PUB;
	case CKO_DATA: return P11C_DATA;
	default: return 0;
	}
}

static const struct attr_rule *rule_for(const struct p11_object *o, CK_ATTRIBUTE_TYPE type)
{
	unsigned bit = class_bit(o->cls);

	for (size_t i = 0; i < NRULES; i++)
		if (rules[i].type == type)
			return (rules[i].classes & bit) ? &rules[i] : NULL;
	return NULL;
}

/* The value of one attribute: CKR_ATTRIBUTE_TYPE_INVALID, _SENSITIVE, a card
 * error, or CKR_OK with *v filled. */
static CK_RV value_of(struct p11_token *t, struct p11_object *o, CK_ATTRIBUTE_TYPE type,
		      struct aval *v)
{
	const struct attr_rule *r = rule_for(o, type);

	if (!r || (!r->get && !(r->flags & F_SENSITIVE)))
		return CKR_ATTRIBUTE_TYPE_INVALID;
	if (r->flags & F_SENSITIVE)
		return CKR_ATTRIBUTE_SENSITIVE;
	return r->get(t, o, v);
}

/* A card error ends the call; the per-attribute codes do not (PKCS#11 3.0
 * §5.7 C_GetAttributeValue: every attribute is processed). */
static int per_attribute(CK_RV rv)
{
	return rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_SENSITIVE ||
	       rv == CKR_BUFFER_TOO_SMALL;
}

CK_RV p11_attr_get(struct p11_token *t, struct p11_object *o, CK_ATTRIBUTE_PTR tmpl,
		   CK_ULONG count)
{
	CK_RV result = CKR_OK;

	for (CK_ULONG i = 0; i < count; i++) {
		struct aval v;
		CK_RV rv = value_of(t, o, tmpl[i].type, &v);

		if (rv == CKR_OK && tmpl[i].pValue) {
			if (tmpl[i].ulValueLen < v.len)
				rv = CKR_BUFFER_TOO_SMALL;
			else if (v.len)
				memcpy(tmpl[i].pValue, v.p, v.len);
		}
		if (rv == CKR_OK) {
			tmpl[i].ulValueLen = v.len;
			continue;
		}
		tmpl[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
		if (!per_attribute(rv))
			return rv;
		result = rv;
	}
	return result;
}

CK_RV p11_attr_match(struct p11_token *t, struct p11_object *o, CK_ATTRIBUTE_PTR tmpl,
		     CK_ULONG count, int *match)
{
	*match = 0;
	for (CK_ULONG i = 0; i < count; i++) {
		struct aval v;
		CK_RV rv = value_of(t, o, tmpl[i].type, &v);

		if (rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_SENSITIVE)
			return CKR_OK;   /* an object without it does not match */
		if (rv == CKR_USER_NOT_LOGGED_IN)
			return CKR_OK;
		if (rv != CKR_OK)
			return rv;
		if (v.len != tmpl[i].ulValueLen ||
		    (v.len && (!tmpl[i].pValue || memcmp(v.p, tmpl[i].pValue, v.len) != 0)))
			return CKR_OK;
	}
	*match = 1;
	return CKR_OK;
}

CK_RV p11_attr_set(struct p11_object *o, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count)
{
	for (CK_ULONG i = 0; i < count; i++)
		if (!rule_for(o, tmpl[i].type))
			return CKR_ATTRIBUTE_TYPE_INVALID;
	/* CKA_MODIFIABLE is FALSE on every object */
	return CKR_ACTION_PROHIBITED;
}
