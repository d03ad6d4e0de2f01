/*
 * pkcs15.c - PKCS#15 DER parser: ODF, TokenInfo, PrKDF/CDF/DODF/AODF.
 * The rules it applies are listed in pkcs15.h. Every TLV is read with
 * stc_tlv_next(), which checks each length against what is left.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "pkcs15.h"

/* Universal and context tags used below. */
#define T_BOOLEAN   0x01u
#define T_INTEGER   0x02u
#define T_BITSTRING 0x03u
#define T_OCTETS    0x04u
#define T_NULL      0x05u
#define T_OID       0x06u
#define T_ENUM      0x0Au
#define T_UTF8      0x0Cu
#define T_PRINTABLE 0x13u
#define T_GENTIME   0x18u
#define T_SEQUENCE  0x30u
#define T_AID       0x4Fu  /* [APPLICATION 15] */
#define T_CTX0      0x80u
#define T_CTX5      0x85u
#define T_CTX0_C    0xA0u
#define T_CTX1_C    0xA1u
#define T_CTX2_C    0xA2u
#define T_CTX5_C    0xA5u

/* A cursor over the elements of one constructed value. */
struct cur {
	const uint8_t *p;
	size_t len;
};

static void cur_init(struct cur *c, const stc_tlv *t)
{
	c->p = t->value;
	c->len = t->len;
}

/* Next element: STC_OK, STC_ERR_NOT_FOUND at the end, STC_ERR_INVALID_DATA. */
static stc_rv cur_next(struct cur *c, stc_tlv *t)
{
	return stc_tlv_next(&c->p, &c->len, t);
}

/* Consume the next element if its tag is `tag`: *found says whether it did.
 * A malformed next element is an error even if it would not match. */
static stc_rv cur_take(struct cur *c, uint32_t tag, stc_tlv *t, int *found)
{
	const uint8_t *p = c->p;
	size_t n = c->len;
	stc_tlv x;
	stc_rv rv;

	*found = 0;
	rv = stc_tlv_next(&p, &n, &x);
	if (rv == STC_ERR_NOT_FOUND)
		return STC_OK;
	if (rv != STC_OK)
		return rv;
	if (x.tag != tag)
		return STC_OK;
	c->p = p;
	c->len = n;
	*t = x;
	*found = 1;
	return STC_OK;
}

/* The next element must carry `tag`. */
static stc_rv cur_need(struct cur *c, uint32_t tag, stc_tlv *t)
{
	int found;
	stc_rv rv = cur_take(c, tag, t, &found);

	if (rv != STC_OK)
		return rv;
	return found ? STC_OK : STC_ERR_INVALID_DATA;
}

/* ------------------------------------------------------------- primitives */

/* INTEGER / ENUMERATED: 1..8 bytes two's complement, value within int32. */
static stc_rv dec_int(const stc_tlv *t, long *out)
{
	int64_t v;
	size_t i;

	if (t->len == 0 || t->len > 8)
		return STC_ERR_INVALID_DATA;
	v = (t->value[0] & 0x80) ? -1 : 0;
	for (i = 0; i < t->len; i++) {
		if (v > INT32_MAX || v < INT32_MIN)
			return STC_ERR_INVALID_DATA;  /* also keeps v * 256 in range */
		v = v * 256 + t->value[i];
	}
	if (v > INT32_MAX || v < INT32_MIN)
		return STC_ERR_INVALID_DATA;
	*out = (long)v;
	return STC_OK;
}

/* A reference (keyReference, pinReference) written as one negative byte. */
static long fix_reference(const stc_tlv *t, long v)
{
	return (t->len == 1 && v < -1) ? v + 256 : v;
}

static stc_rv dec_nonneg(const stc_tlv *t, long *out)
{
	stc_rv rv = dec_int(t, out);

	if (rv == STC_OK && *out < 0)
		return STC_ERR_INVALID_DATA;
	return rv;
}

/* BIT STRING into a bit field: named bit n -> (1u << n). */
static stc_rv dec_bits(const stc_tlv *t, unsigned *out)
{
	unsigned unused, v = 0;
	size_t i, nbytes;

	if (t->len < 1)
		return STC_ERR_INVALID_DATA;
	unused = t->value[0];
	nbytes = t->len - 1;
	if (unused > 7 || (nbytes == 0 && unused != 0) || nbytes > 4)
		return STC_ERR_INVALID_DATA;
	for (i = 0; i < nbytes; i++) {
		unsigned byte = t->value[1 + i];
		unsigned nbits = (i + 1 == nbytes) ? 8 - unused : 8;
		unsigned b;

		for (b = 0; b < nbits; b++)
			if (byte & (0x80u >> b))
				v |= 1u << (8 * i + b);
	}
	*out = v;
	return STC_OK;
}

static stc_rv dec_bool(const stc_tlv *t, int *out)
{
	if (t->len != 1)
		return STC_ERR_INVALID_DATA;
	*out = t->value[0] != 0;
	return STC_OK;
}

static stc_rv dec_octets(const stc_tlv *t, uint8_t *out, size_t cap, size_t *len)
{
	if (t->len > cap)
		return STC_ERR_INVALID_DATA;
	if (t->len)
		memcpy(out, t->value, t->len);
	*len = t->len;
	return STC_OK;
}

/* A string into out[cap + 1], NUL-terminated; too long or holding a NUL: invalid. */
static stc_rv dec_string(const stc_tlv *t, char *out, size_t cap, size_t *len)
{
	if (t->len > cap || memchr(t->value, 0, t->len) != NULL)
		return STC_ERR_INVALID_DATA;
	if (t->len)
		memcpy(out, t->value, t->len);
	out[t->len] = '\0';
	if (len)
		*len = t->len;
	return STC_OK;
}

/* OBJECT IDENTIFIER content: non-empty, the last subidentifier complete. */
static stc_rv dec_oid(const stc_tlv *t, uint8_t *out, size_t *len)
{
	if (t->len == 0 || t->len > STCI_P15_OID_MAX || (t->value[t->len - 1] & 0x80))
		return STC_ERR_INVALID_DATA;
	memcpy(out, t->value, t->len);
	*len = t->len;
	return STC_OK;
}

static stc_rv dec_id(const stc_tlv *t, struct stci_p15_id *id)
{
	return dec_octets(t, id->value, sizeof(id->value), &id->len);
}

/* ------------------------------------------------------------------- Path */

/* pathExtended [1] { aid [APPLICATION 15] OCTET STRING, path OCTET STRING } */
static stc_rv dec_path_ext(const stc_tlv *ext, struct stci_p15_path *path)
{
	struct cur c;
	stc_tlv t;
	stc_rv rv;

	cur_init(&c, ext);
	if ((rv = cur_need(&c, T_AID, &t)) != STC_OK ||
	    (rv = dec_octets(&t, path->aid, sizeof(path->aid), &path->aid_len)) != STC_OK)
		return rv;
	if ((rv = cur_need(&c, T_OCTETS, &t)) != STC_OK)
		return rv;
	return dec_octets(&t, path->value, sizeof(path->value), &path->len);
}

/* The content of a Path SEQUENCE (seq is the 30 element). */
static stc_rv dec_path(const stc_tlv *seq, struct stci_p15_path *path)
{
	struct cur c;
	stc_tlv t;
	int found, have_path;
	stc_rv rv;

	memset(path, 0, sizeof(*path));
	path->index = -1;
	path->length = -1;
	cur_init(&c, seq);
	if ((rv = cur_take(&c, T_OCTETS, &t, &have_path)) != STC_OK)
		return rv;
	if (have_path &&
	    (rv = dec_octets(&t, path->value, sizeof(path->value), &path->len)) != STC_OK)
		return rv;
	if ((rv = cur_take(&c, T_INTEGER, &t, &found)) != STC_OK)
		return rv;
	if (found && (rv = dec_nonneg(&t, &path->index)) != STC_OK)
		return rv;
	if ((rv = cur_take(&c, T_CTX0, &t, &found)) != STC_OK)
		return rv;
	if (found && (rv = dec_nonneg(&t, &path->length)) != STC_OK)
		return rv;
	/* the AID forms: OpenSC's pathExtended [1], or a bare aid element */
	if ((rv = cur_take(&c, T_CTX1_C, &t, &found)) != STC_OK)
		return rv;
	if (found)
		return dec_path_ext(&t, path);
	if (!have_path)
		return STC_ERR_INVALID_DATA;  /* neither efidOrPath nor pathExtended */
	if ((rv = cur_take(&c, T_AID, &t, &found)) != STC_OK)
		return rv;
	if (found)
		return dec_octets(&t, path->aid, sizeof(path->aid), &path->aid_len);
	return STC_OK;
}

/* -------------------------------------------------------------------- ODF */

stc_rv stci_p15_parse_odf(const uint8_t *buf, size_t len, struct stci_p15_odf *out)
{
	stc_tlv t, inner;
	stc_rv rv;

	if (out == NULL || (buf == NULL && len != 0))
		return STC_ERR_INVALID_ARGS;
	memset(out, 0, sizeof(*out));
	for (;;) {
		struct cur c;
		int found;

		if (len > 0 && (buf[0] == 0x00 || buf[0] == 0xFF))
			break;  /* unused space of a padded EF */
		rv = stc_tlv_next(&buf, &len, &t);
		if (rv == STC_ERR_NOT_FOUND)
			break;
		if (rv != STC_OK)
			return rv;
		if (t.tag < 0xA0 || t.tag > 0xA8)
			continue;
		cur_init(&c, &t);
		if ((rv = cur_take(&c, T_SEQUENCE, &inner, &found)) != STC_OK)
			return rv;
		if (!found)
			continue;  /* objects stored in the ODF itself: not supported */
		if (out->count == STCI_P15_ODF_MAX)
			return STC_ERR_INVALID_DATA;
		out->entry[out->count].type = (enum stci_p15_df_type)(t.tag - 0xA0);
		if ((rv = dec_path(&inner, &out->entry[out->count].path)) != STC_OK)
			return rv;
		out->count++;
	}
	return STC_OK;
}

/* -------------------------------------------------------------- TokenInfo */

/* AlgorithmInfo ::= SEQUENCE { reference, algorithm INTEGER, parameters ANY,
 *   supportedOperations BIT STRING, objId OID OPTIONAL, algRef INTEGER OPTIONAL } */
static stc_rv dec_algo(const stc_tlv *seq, struct stci_p15_algo *a)
{
	struct cur c;
	stc_tlv t;
	int found;
	stc_rv rv;

	memset(a, 0, sizeof(*a));
	cur_init(&c, seq);
	if ((rv = cur_need(&c, T_INTEGER, &t)) != STC_OK ||
	    (rv = dec_int(&t, &a->reference)) != STC_OK)
		return rv;
	if ((rv = cur_need(&c, T_INTEGER, &t)) != STC_OK ||
	    (rv = dec_int(&t, &a->mechanism)) != STC_OK)
		return rv;
	/* parameters: NULL for most, any single element (EC parameters ...) */
	rv = cur_next(&c, &t);
	if (rv != STC_OK)
		return STC_ERR_INVALID_DATA;
	if ((rv = cur_need(&c, T_BITSTRING, &t)) != STC_OK ||
	    (rv = dec_bits(&t, &a->operations)) != STC_OK)
		return rv;
	if ((rv = cur_take(&c, T_OID, &t, &found)) != STC_OK)
		return rv;
	if (found && (rv = dec_oid(&t, a->oid, &a->oid_len)) != STC_OK)
		return rv;
	if ((rv = cur_take(&c, T_INTEGER, &t, &found)) != STC_OK)
		return rv;
	if (found) {
		a->has_alg_ref = 1;
		if ((rv = dec_int(&t, &a->alg_ref)) != STC_OK)
			return rv;
	}
	return STC_OK;
}

static stc_rv dec_algos(const stc_tlv *a2, struct stci_p15_tokeninfo *ti)
{
	struct cur c;
	stc_tlv t;
	stc_rv rv;

	cur_init(&c, a2);
	while ((rv = cur_next(&c, &t)) == STC_OK) {
		if (t.tag != T_SEQUENCE)
			return STC_ERR_INVALID_DATA;
		if (ti->alg_count == STCI_P15_ALGS_MAX)
			return STC_ERR_INVALID_DATA;
		if ((rv = dec_algo(&t, &ti->algs[ti->alg_count])) != STC_OK)
			return rv;
		ti->alg_count++;
	}
	return rv == STC_ERR_NOT_FOUND ? STC_OK : rv;
}

static void hex_upper(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0F];
	}
	out[2 * n] = '\0';
}

/* Which TokenInfo fields were seen (duplicates are invalid). */
enum {
	TI_SERIAL = 1 << 0, TI_MANUF = 1 << 1, TI_LABEL = 1 << 2, TI_FLAGS = 1 << 3,
	TI_ALGS = 1 << 4, TI_UPDATE = 1 << 5
};

static stc_rv dec_tokeninfo_field(const stc_tlv *t, struct stci_p15_tokeninfo *ti,
				  unsigned *seen)
{
	unsigned bit;
	stc_tlv in;
	stc_rv rv;

	switch (t->tag) {
	case T_OCTETS: bit = TI_SERIAL; break;
	case T_UTF8: bit = TI_MANUF; break;
	case T_CTX0: case T_CTX0_C: bit = TI_LABEL; break;
	case T_BITSTRING: bit = TI_FLAGS; break;
	case T_CTX2_C: bit = TI_ALGS; break;
	case T_CTX5: case T_CTX5_C: bit = TI_UPDATE; break;
	default: return STC_OK;  /* seInfo, recordInfo, issuerId ...: not needed */
	}
	if (*seen & bit)
		return STC_ERR_INVALID_DATA;
	*seen |= bit;
	switch (t->tag) {
	case T_OCTETS:
		if ((rv = dec_octets(t, ti->serial, sizeof(ti->serial), &ti->serial_len)) != STC_OK)
			return rv;
		hex_upper(ti->serial, ti->serial_len, ti->serial_hex);
		return STC_OK;
	case T_UTF8:
		ti->has_manufacturer = 1;
		return dec_string(t, ti->manufacturer, STCI_P15_LABEL_MAX, &ti->manufacturer_len);
	case T_CTX0:
		ti->has_label = 1;
		return dec_string(t, ti->label, STCI_P15_LABEL_MAX, &ti->label_len);
	case T_CTX0_C:  /* explicit tagging, seen on some cards; OpenSC accepts it */
		if (stc_tlv_find(t->value, t->len, T_UTF8, &in) != STC_OK)
			return STC_ERR_INVALID_DATA;
		ti->has_label = 1;
		return dec_string(&in, ti->label, STCI_P15_LABEL_MAX, &ti->label_len);
	case T_BITSTRING:
		return dec_bits(t, &ti->flags);
	case T_CTX2_C:
		return dec_algos(t, ti);
	case T_CTX5:  /* PKCS#15 v1.0: [5] GeneralizedTime */
		return dec_string(t, ti->last_update, STCI_P15_TIME_MAX, NULL);
	default:      /* v1.1: [5] CHOICE { generalizedTime, referencedTime } */
		rv = stc_tlv_find(t->value, t->len, T_GENTIME, &in);
		if (rv == STC_ERR_NOT_FOUND)
			return STC_OK;  /* a referenced time: not read */
		if (rv != STC_OK)
			return rv;
		return dec_string(&in, ti->last_update, STCI_P15_TIME_MAX, NULL);
	}
}

stc_rv stci_p15_parse_tokeninfo(const uint8_t *buf, size_t len,
				struct stci_p15_tokeninfo *out)
{
	stc_tlv seq, t;
	struct cur c;
	unsigned seen = 0;
	stc_rv rv;

	if (out == NULL || (buf == NULL && len != 0))
		return STC_ERR_INVALID_ARGS;
	memset(out, 0, sizeof(*out));
	rv = stc_tlv_next(&buf, &len, &seq);
	if (rv != STC_OK || seq.tag != T_SEQUENCE)
		return STC_ERR_INVALID_DATA;
	cur_init(&c, &seq);
	if ((rv = cur_need(&c, T_INTEGER, &t)) != STC_OK ||
	    (rv = dec_int(&t, &out->version)) != STC_OK)
		return rv;
	while ((rv = cur_next(&c, &t)) == STC_OK)
		if ((rv = dec_tokeninfo_field(&t, out, &seen)) != STC_OK)
			return rv;
	if (rv != STC_ERR_NOT_FOUND)
		return rv;
	return (seen & TI_FLAGS) ? STC_OK : STC_ERR_INVALID_DATA;
}

const struct stci_p15_algo *stci_p15_find_algo(const struct stci_p15_tokeninfo *ti,
					       unsigned operation, long mechanism)
{
	size_t i;

	if (ti == NULL)
		return NULL;
	for (i = 0; i < ti->alg_count && i < STCI_P15_ALGS_MAX; i++)
		if ((ti->algs[i].operations & operation) && ti->algs[i].mechanism == mechanism)
			return &ti->algs[i];
	return NULL;
}

/* ------------------------------------------------------ directory objects */

/* CommonObjectAttributes ::= SEQUENCE { label UTF8String OPTIONAL,
 *   flags BIT STRING OPTIONAL, authId OCTET STRING OPTIONAL, userConsent ..., } */
static stc_rv dec_common(const stc_tlv *seq, struct stci_p15_object *o)
{
	struct cur c;
	stc_tlv t;
	int found;
	stc_rv rv;

	cur_init(&c, seq);
	if ((rv = cur_take(&c, T_UTF8, &t, &found)) != STC_OK)
		return rv;
	if (found) {
		o->has_label = 1;
		if ((rv = dec_string(&t, o->label, STCI_P15_LABEL_MAX, &o->label_len)) != STC_OK)
			return rv;
	}
	if ((rv = cur_take(&c, T_BITSTRING, &t, &found)) != STC_OK)
		return rv;
	if (found && (rv = dec_bits(&t, &o->flags)) != STC_OK)
		return rv;
	if ((rv = cur_take(&c, T_OCTETS, &t, &found)) != STC_OK)
		return rv;
	if (found && (rv = dec_id(&t, &o->auth_id)) != STC_OK)
		return rv;
	return STC_OK;
}

/* CommonKeyAttributes ::= SEQUENCE { iD, usage BIT STRING, native BOOLEAN DEFAULT
 *   TRUE, accessFlags BIT STRING OPTIONAL, keyReference INTEGER OPTIONAL, ... } */
static stc_rv dec_key_class(const stc_tlv *seq, struct stci_p15_object *o)
{
	struct cur c;
	stc_tlv t;
	int found;
	stc_rv rv;

	cur_init(&c, seq);
	if ((rv = cur_need(&c, T_OCTETS, &t)) != STC_OK || (rv = dec_id(&t, &o->id)) != STC_OK)
		return rv;
	if ((rv = cur_need(&c, T_BITSTRING, &t)) != STC_OK ||
	    (rv = dec_bits(&t, &o->usage)) != STC_OK)
		return rv;
	if ((rv = cur_take(&c, T_BOOLEAN, &t, &found)) != STC_OK)
		return rv;
	if (found && (rv = dec_bool(&t, &o->native)) != STC_OK)
		return rv;
	if ((rv = cur_take(&c, T_BITSTRING, &t, &found)) != STC_OK)
		return rv;
	if (found && (rv = dec_bits(&t, &o->access_flags)) != STC_OK)
		return rv;
	if ((rv = cur_take(&c, T_INTEGER, &t, &found)) != STC_OK)
		return rv;
	if (found) {
		if ((rv = dec_int(&t, &o->key_reference)) != STC_OK)
			return rv;
		o->key_reference = fix_reference(&t, o->key_reference);
	}
	return STC_OK;
}

/* CommonCertificateAttributes ::= SEQUENCE { iD, authority BOOLEAN DEFAULT FALSE, ... } */
static stc_rv dec_cert_class(const stc_tlv *seq, struct stci_p15_object *o)
{
	struct cur c;
	stc_tlv t;
	int found;
	stc_rv rv;

	cur_init(&c, seq);
	if ((rv = cur_need(&c, T_OCTETS, &t)) != STC_OK || (rv = dec_id(&t, &o->id)) != STC_OK)
		return rv;
	if ((rv = cur_take(&c, T_BOOLEAN, &t, &found)) != STC_OK)
		return rv;
	if (found && (rv = dec_bool(&t, &o->authority)) != STC_OK)
		return rv;
	return STC_OK;
}

/* CommonDataObjectAttributes ::= SEQUENCE { applicationName Label OPTIONAL,
 *   applicationOID OBJECT IDENTIFIER OPTIONAL } */
static stc_rv dec_data_class(const stc_tlv *seq, struct stci_p15_object *o)
{
	struct cur c;
	stc_tlv t;
	int found;
	stc_rv rv;

	cur_init(&c, seq);
	if ((rv = cur_take(&c, T_UTF8, &t, &found)) != STC_OK)
		return rv;
	if (found &&
	    (rv = dec_string(&t, o->app_name, STCI_P15_LABEL_MAX, &o->app_name_len)) != STC_OK)
		return rv;
	if ((rv = cur_take(&c, T_OID, &t, &found)) != STC_OK)
		return rv;
	if (found && (rv = dec_oid(&t, o->app_oid, &o->app_oid_len)) != STC_OK)
		return rv;
	return STC_OK;
}

/* CommonAuthenticationObjectAttributes ::= SEQUENCE { authId Identifier, ... }:
 * the PIN's own identifier, kept in o->id. */
static stc_rv dec_auth_class(const stc_tlv *seq, struct stci_p15_object *o)
{
	struct cur c;
	stc_tlv t;
	stc_rv rv;

	cur_init(&c, seq);
	if ((rv = cur_need(&c, T_OCTETS, &t)) != STC_OK)
		return rv;
	return dec_id(&t, &o->id);
}

/* ObjectValue: indirect (a Path SEQUENCE) or direct [0]; the protected forms
 * ([1], [2]) and URLs are left unread (no path, no value). */
static stc_rv dec_value(const stc_tlv *t, const uint8_t *base, struct stci_p15_object *o)
{
	if (t->tag == T_SEQUENCE) {
		o->has_path = 1;
		return dec_path(t, &o->path);
	}
	if (t->tag == T_CTX0_C || t->tag == T_CTX0) {
		o->value_offset = (size_t)(t->value - base);
		o->value_len = t->len;
	}
	return STC_OK;
}

/* PrivateRSAKeyAttributes ::= SEQUENCE { value ObjectValue, modulusLength INTEGER,
 *   keyInfo ... OPTIONAL } */
static stc_rv dec_rsa_type(const stc_tlv *seq, const uint8_t *base, struct stci_p15_object *o)
{
	struct cur c;
	stc_tlv t;
	stc_rv rv;

	cur_init(&c, seq);
	if (cur_next(&c, &t) != STC_OK)
		return STC_ERR_INVALID_DATA;
	if ((rv = dec_value(&t, base, o)) != STC_OK)
		return rv;
	if ((rv = cur_need(&c, T_INTEGER, &t)) != STC_OK)
		return rv;
	return dec_nonneg(&t, &o->modulus_length);
}

/* X509CertificateAttributes ::= SEQUENCE { value ObjectValue, subject ..., } */
static stc_rv dec_x509_type(const stc_tlv *seq, const uint8_t *base, struct stci_p15_object *o)
{
	struct cur c;
	stc_tlv t;

	cur_init(&c, seq);
	if (cur_next(&c, &t) != STC_OK)
		return STC_ERR_INVALID_DATA;
	return dec_value(&t, base, o);
}

/* PinAttributes ::= SEQUENCE { pinFlags BIT STRING, pinType ENUMERATED,
 *   minLength INTEGER, storedLength INTEGER, maxLength INTEGER OPTIONAL,
 *   pinReference [0] Reference DEFAULT 0, padChar OCTET STRING OPTIONAL,
 *   lastPinChange GeneralizedTime OPTIONAL, path Path OPTIONAL } */
static stc_rv dec_pin_type(const stc_tlv *seq, struct stci_p15_object *o)
{
	struct stci_p15_pin *pin = &o->pin;
	struct cur c;
	stc_tlv t;
	int found;
	stc_rv rv;

	cur_init(&c, seq);
	if ((rv = cur_need(&c, T_BITSTRING, &t)) != STC_OK ||
	    (rv = dec_bits(&t, &pin->flags)) != STC_OK)
		return rv;
	if ((rv = cur_need(&c, T_ENUM, &t)) != STC_OK || (rv = dec_nonneg(&t, &pin->type)) != STC_OK)
		return rv;
	if ((rv = cur_need(&c, T_INTEGER, &t)) != STC_OK ||
	    (rv = dec_nonneg(&t, &pin->min_length)) != STC_OK)
		return rv;
	if ((rv = cur_need(&c, T_INTEGER, &t)) != STC_OK ||
	    (rv = dec_nonneg(&t, &pin->stored_length)) != STC_OK)
		return rv;
	if ((rv = cur_take(&c, T_INTEGER, &t, &found)) != STC_OK)
		return rv;
	if (found && (rv = dec_nonneg(&t, &pin->max_length)) != STC_OK)
		return rv;
	if ((rv = cur_take(&c, T_CTX0, &t, &found)) != STC_OK)
		return rv;
	if (found) {
		if ((rv = dec_int(&t, &pin->reference)) != STC_OK)
			return rv;
		pin->reference = fix_reference(&t, pin->reference);
	}
	if ((rv = cur_take(&c, T_OCTETS, &t, &found)) != STC_OK)
		return rv;
	if (found) {
		if (t.len != 1)
			return STC_ERR_INVALID_DATA;
		pin->has_pad_char = 1;
		pin->pad_char = t.value[0];
	}
	if ((rv = cur_take(&c, T_GENTIME, &t, &found)) != STC_OK)
		return rv;
	if ((rv = cur_take(&c, T_SEQUENCE, &t, &found)) != STC_OK)
		return rv;
	if (found) {
		o->has_path = 1;
		return dec_path(&t, &o->path);
	}
	return STC_OK;
}

/* What a DF type's untagged (SEQUENCE) CHOICE alternative is. */
static int df_kind(enum stci_p15_df_type type, enum stci_p15_kind *kind)
{
	switch (type) {
	case STCI_P15_PRKDF: *kind = STCI_P15_PRKEY_RSA; return 1;
	case STCI_P15_CDF:
	case STCI_P15_CDF_TRUSTED:
	case STCI_P15_CDF_USEFUL: *kind = STCI_P15_CERT_X509; return 1;
	case STCI_P15_DODF: *kind = STCI_P15_DATA; return 1;
	case STCI_P15_AODF: *kind = STCI_P15_AUTH_PIN; return 1;
	default: return 0;
	}
}

/* PKCS15Object ::= SEQUENCE { commonObjectAttributes, classAttributes,
 *   subClassAttributes [0] OPTIONAL, typeAttributes [1] } */
static stc_rv dec_object(const stc_tlv *obj, const uint8_t *base, enum stci_p15_kind kind,
			 struct stci_p15_object *o)
{
	struct cur c;
	stc_tlv t, type;
	int found;
	stc_rv rv;

	memset(o, 0, sizeof(*o));
	o->kind = kind;
	o->native = 1;
	o->key_reference = -1;
	o->path.index = -1;
	o->path.length = -1;
	cur_init(&c, obj);
	if ((rv = cur_need(&c, T_SEQUENCE, &t)) != STC_OK || (rv = dec_common(&t, o)) != STC_OK)
		return rv;
	if ((rv = cur_need(&c, T_SEQUENCE, &t)) != STC_OK)
		return rv;
	switch (kind) {
	case STCI_P15_PRKEY_RSA: rv = dec_key_class(&t, o); break;
	case STCI_P15_CERT_X509: rv = dec_cert_class(&t, o); break;
	case STCI_P15_DATA: rv = dec_data_class(&t, o); break;
	default: rv = dec_auth_class(&t, o); break;
	}
	if (rv != STC_OK)
		return rv;
	if ((rv = cur_take(&c, T_CTX0_C, &t, &found)) != STC_OK)
		return rv;
	if ((rv = cur_need(&c, T_CTX1_C, &type)) != STC_OK)
		return rv;
	if (kind == STCI_P15_DATA) {
		/* Opaque data: [1] holds the ObjectValue itself */
		cur_init(&c, &type);
		if (cur_next(&c, &t) != STC_OK)
			return STC_ERR_INVALID_DATA;
		return dec_value(&t, base, o);
	}
	/* the others: [1] { SEQUENCE { ...type attributes... } } */
	cur_init(&c, &type);
	if ((rv = cur_need(&c, T_SEQUENCE, &t)) != STC_OK)
		return rv;
	switch (kind) {
	case STCI_P15_PRKEY_RSA: return dec_rsa_type(&t, base, o);
	case STCI_P15_CERT_X509: return dec_x509_type(&t, base, o);
	default: return dec_pin_type(&t, o);
	}
}

stc_rv stci_p15_parse_df(enum stci_p15_df_type type, const uint8_t *buf, size_t len,
			 struct stci_p15_object **objs, size_t *count)
{
	const uint8_t *base = buf;
	struct stci_p15_object *arr = NULL;
	enum stci_p15_kind kind;
	size_t n = 0, seen = 0;
	stc_tlv t;
	stc_rv rv;

	if (objs == NULL || count == NULL || (buf == NULL && len != 0))
		return STC_ERR_INVALID_ARGS;
	*objs = NULL;
	*count = 0;
	if (!df_kind(type, &kind))
		return STC_ERR_NOT_SUPPORTED;
	for (;;) {
		if (len > 0 && (buf[0] == 0x00 || buf[0] == 0xFF))
			break;  /* unused space of a padded EF */
		rv = stc_tlv_next(&buf, &len, &t);
		if (rv == STC_ERR_NOT_FOUND)
			break;
		if (rv != STC_OK)
			goto fail;
		if (++seen > STCI_P15_OBJECTS_MAX) {
			rv = STC_ERR_INVALID_DATA;
			goto fail;
		}
		if (t.tag != T_SEQUENCE)
			continue;  /* another CHOICE alternative: EC key, biometric ... */
		if (arr == NULL) {
			arr = calloc(STCI_P15_OBJECTS_MAX, sizeof(*arr));
			if (arr == NULL)
				return STC_ERR_NO_MEMORY;
		}
		if ((rv = dec_object(&t, base, kind, &arr[n])) != STC_OK)
			goto fail;
		n++;
	}
	if (n == 0) {
		free(arr);
		return STC_OK;
	}
	*objs = arr;
	*count = n;
	return STC_OK;
fail:
	free(arr);
	return rv;
}

void stci_p15_objects_free(struct stci_p15_object *objs)
{
	free(objs);
}
