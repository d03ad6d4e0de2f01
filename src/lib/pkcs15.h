/*
 * pkcs15.h - internal PKCS#15 (ISO/IEC 7816-15, PKCS#15 v1.1) DER parser for the
 * card drivers: EF.ODF, EF.TokenInfo and the directory files (PrKDF, CDF, DODF,
 * AODF). Not installed; the library exports only stc_* symbols.
 *
 * What it accepts is what OpenSC's parser accepts (src/libopensc/pkcs15*.c), not
 * only what our simulator writes. The rules:
 *  - All TLV framing goes through stc_tlv_next() (bounded, strict lengths).
 *    Anything malformed in a field this parser reads is STC_ERR_INVALID_DATA and
 *    the outputs are then unspecified (but never point outside the input, and the
 *    object array is freed).
 *  - Fields it does not need are skipped by their TLV length without looking
 *    inside; unknown trailing fields of a SEQUENCE are ignored (as OpenSC does).
 *  - A directory file ends at its end or at the first 00 or FF byte at the top
 *    level (OpenSC stops there too: the rest of a padded EF is unused space).
 *  - Objects of a type this parser does not model (EC keys, attribute
 *    certificates, biometric or authKey authentication objects ...) are skipped,
 *    not errors. They still count towards STCI_P15_OBJECTS_MAX.
 *  - Strings (labels, manufacturerID, applicationName) are copied NUL-terminated
 *    into fixed buffers of STCI_P15_LABEL_MAX + 1 bytes, with their length. A
 *    longer string, or one holding a NUL byte, is STC_ERR_INVALID_DATA: never
 *    truncated (255 bytes is OpenSC's own bound, SC_PKCS15_MAX_LABEL_SIZE). The
 *    bytes are not checked to be UTF-8: that is the PKCS#11 layer's concern.
 *  - Identifiers, paths, AIDs and serial numbers longer than their buffer are
 *    STC_ERR_INVALID_DATA too.
 *  - INTEGERs are two's complement, 1 to 8 bytes, and must fit in 32 bits signed
 *    (BER: redundant leading 00/FF bytes are accepted). keyReference and
 *    pinReference encoded as one negative byte (81 read as -127) are corrected by
 *    adding 256, as OpenSC does (a card writing 02 01 81 for reference 0x81).
 *  - BIT STRINGs: named bit n is (1u << n), i.e. bit 0 is the most significant
 *    bit of the first content byte (OpenSC's "bit field"): usage nonRepudiation
 *    is 0x200, decrypt 0x02, sign 0x04. At most 4 content bytes (32 bits), unused
 *    count 0..7 (0 for an empty string); unused bits are ignored.
 * No recursion: every level of the grammar is its own function.
 */
#ifndef SANTECARD_PKCS15_H
#define SANTECARD_PKCS15_H

#include <stddef.h>
#include <stdint.h>

#include "santecard.h"

#define STCI_P15_LABEL_MAX   255  /* bytes of a string, without the NUL */
#define STCI_P15_ID_MAX      64   /* bytes of an iD / authId */
#define STCI_P15_PATH_MAX    16   /* bytes of efidOrPath (OpenSC SC_MAX_PATH_SIZE) */
#define STCI_P15_AID_MAX     16   /* bytes of an AID (ISO 7816-4: 5..16) */
#define STCI_P15_SERIAL_MAX  64   /* bytes of TokenInfo serialNumber */
#define STCI_P15_OID_MAX     32   /* content bytes of an OBJECT IDENTIFIER */
#define STCI_P15_TIME_MAX    32   /* bytes of a GeneralizedTime */
#define STCI_P15_ODF_MAX     32   /* entries of an ODF */
#define STCI_P15_OBJECTS_MAX 64   /* top-level objects of one directory file */
#define STCI_P15_ALGS_MAX    32   /* TokenInfo supportedAlgorithms entries */

/* ODF entry types: the context tag number of the entry ([0] = A0 ...). */
enum stci_p15_df_type {
	STCI_P15_PRKDF = 0,
	STCI_P15_PUKDF = 1,
	STCI_P15_PUKDF_TRUSTED = 2,
	STCI_P15_SKDF = 3,
	STCI_P15_CDF = 4,
	STCI_P15_CDF_TRUSTED = 5,
	STCI_P15_CDF_USEFUL = 6,
	STCI_P15_DODF = 7,
	STCI_P15_AODF = 8
};

/* Path ::= SEQUENCE { efidOrPath OCTET STRING, index INTEGER OPTIONAL,
 *                     length [0] INTEGER OPTIONAL }
 * plus the AID forms OpenSC reads: pathExtended [1] { aid [APPLICATION 15],
 * path OCTET STRING } (efidOrPath then optional), and a bare aid [APPLICATION 15]
 * (4F) element after efidOrPath. value_len 0 with an aid means "the application
 * itself" (what the CPS3 PrKDF holds). Relative paths are left as they are: the
 * caller makes them absolute against the application path. */
struct stci_p15_path {
	uint8_t value[STCI_P15_PATH_MAX];
	size_t len;
	uint8_t aid[STCI_P15_AID_MAX];
	size_t aid_len;
	long index;   /* -1 when absent */
	long length;  /* -1 when absent */
};

struct stci_p15_odf_entry {
	enum stci_p15_df_type type;
	struct stci_p15_path path;
};

struct stci_p15_odf {
	size_t count;
	struct stci_p15_odf_entry entry[STCI_P15_ODF_MAX];
};

/* supportedOperations bits (PKCS#15 v1.1 AlgorithmInfo). */
#define STCI_P15_OP_COMPUTE_CHECKSUM  0x01u
#define STCI_P15_OP_COMPUTE_SIGNATURE 0x02u
#define STCI_P15_OP_VERIFY_CHECKSUM   0x04u
#define STCI_P15_OP_VERIFY_SIGNATURE  0x08u
#define STCI_P15_OP_ENCIPHER          0x10u
#define STCI_P15_OP_DECIPHER          0x20u
#define STCI_P15_OP_HASH              0x40u
#define STCI_P15_OP_GENERATE_KEY      0x80u

struct stci_p15_algo {
	long reference;
	long mechanism;          /* PKCS#11 mechanism (CKM_*) */
	unsigned operations;     /* STCI_P15_OP_* */
	uint8_t oid[STCI_P15_OID_MAX];  /* objId content bytes; oid_len 0 = absent */
	size_t oid_len;
	int has_alg_ref;
	long alg_ref;            /* card algorithm reference (MSE tag 80) */
};

/* TokenInfo flags (TokenFlags BIT STRING). */
#define STCI_P15_TOKEN_READONLY       0x01u
#define STCI_P15_TOKEN_LOGIN_REQUIRED 0x02u
#define STCI_P15_TOKEN_PRN_GENERATION 0x04u
#define STCI_P15_TOKEN_EID_COMPLIANT  0x08u

struct stci_p15_tokeninfo {
	long version;                  /* as encoded: 0 is v1 */
	uint8_t serial[STCI_P15_SERIAL_MAX];
	size_t serial_len;             /* 0 = absent */
	char serial_hex[2 * STCI_P15_SERIAL_MAX + 1];  /* upper-case hex, as OpenSC */
	char manufacturer[STCI_P15_LABEL_MAX + 1];
	size_t manufacturer_len;
	int has_manufacturer;
	char label[STCI_P15_LABEL_MAX + 1];
	size_t label_len;
	int has_label;
	unsigned flags;                /* STCI_P15_TOKEN_* */
	size_t alg_count;
	struct stci_p15_algo algs[STCI_P15_ALGS_MAX];
	char last_update[STCI_P15_TIME_MAX + 1];  /* GeneralizedTime; "" = absent */
};

enum stci_p15_kind {
	STCI_P15_PRKEY_RSA = 1,
	STCI_P15_CERT_X509,
	STCI_P15_DATA,
	STCI_P15_AUTH_PIN
};

/* CommonObjectFlags */
#define STCI_P15_OBJ_PRIVATE    0x01u
#define STCI_P15_OBJ_MODIFIABLE 0x02u

/* KeyUsageFlags */
#define STCI_P15_USAGE_ENCRYPT         0x001u
#define STCI_P15_USAGE_DECRYPT         0x002u
#define STCI_P15_USAGE_SIGN            0x004u
#define STCI_P15_USAGE_SIGNRECOVER     0x008u
#define STCI_P15_USAGE_WRAP            0x010u
#define STCI_P15_USAGE_UNWRAP          0x020u
#define STCI_P15_USAGE_VERIFY          0x040u
#define STCI_P15_USAGE_VERIFYRECOVER   0x080u
#define STCI_P15_USAGE_DERIVE          0x100u
#define STCI_P15_USAGE_NONREPUDIATION  0x200u

/* KeyAccessFlags */
#define STCI_P15_ACCESS_SENSITIVE       0x01u
#define STCI_P15_ACCESS_EXTRACTABLE     0x02u
#define STCI_P15_ACCESS_ALWAYSSENSITIVE 0x04u
#define STCI_P15_ACCESS_NEVEREXTRACTABLE 0x08u
#define STCI_P15_ACCESS_LOCAL           0x10u

/* PinFlags */
#define STCI_P15_PIN_CASE_SENSITIVE   0x001u
#define STCI_P15_PIN_LOCAL            0x002u
#define STCI_P15_PIN_CHANGE_DISABLED  0x004u
#define STCI_P15_PIN_UNBLOCK_DISABLED 0x008u
#define STCI_P15_PIN_INITIALIZED      0x010u
#define STCI_P15_PIN_NEEDS_PADDING    0x020u
#define STCI_P15_PIN_UNBLOCKING_PIN   0x040u
#define STCI_P15_PIN_SO_PIN           0x080u
#define STCI_P15_PIN_DISABLE_ALLOWED  0x100u

/* PinType */
#define STCI_P15_PIN_TYPE_BCD           0
#define STCI_P15_PIN_TYPE_ASCII_NUMERIC 1
#define STCI_P15_PIN_TYPE_UTF8          2
#define STCI_P15_PIN_TYPE_HALFNIBBLE    3
#define STCI_P15_PIN_TYPE_ISO9564_1     4

struct stci_p15_id {
	uint8_t value[STCI_P15_ID_MAX];
	size_t len;   /* 0 = absent */
};

struct stci_p15_pin {
	unsigned flags;        /* STCI_P15_PIN_* */
	long type;             /* STCI_P15_PIN_TYPE_* */
	long min_length;
	long stored_length;
	long max_length;       /* 0 when absent */
	long reference;        /* pinReference [0], default 0 */
	int has_pad_char;
	uint8_t pad_char;
};

struct stci_p15_object {
	enum stci_p15_kind kind;
	/* CommonObjectAttributes */
	char label[STCI_P15_LABEL_MAX + 1];
	size_t label_len;
	int has_label;               /* the label is optional: "" and 0 when absent */
	unsigned flags;              /* STCI_P15_OBJ_* */
	struct stci_p15_id auth_id;
	/* class attributes: keys, certificates (id), auth objects (id = authId) */
	struct stci_p15_id id;
	unsigned usage;              /* STCI_P15_USAGE_* (keys) */
	int native;                  /* keys; default 1 */
	unsigned access_flags;       /* STCI_P15_ACCESS_* (keys) */
	long key_reference;          /* keys: -1 when absent */
	int authority;               /* certificates: CA certificate */
	/* type attributes */
	long modulus_length;         /* RSA keys, bits */
	int has_path;                /* keys, certificates, data, (PINs: optional) */
	struct stci_p15_path path;
	size_t value_offset;         /* certificates/data stored directly ([0] direct):  */
	size_t value_len;            /* offset and length in the parsed buffer; 0 = none */
	char app_name[STCI_P15_LABEL_MAX + 1];  /* data objects: applicationName */
	size_t app_name_len;
	uint8_t app_oid[STCI_P15_OID_MAX];      /* data objects: applicationOID */
	size_t app_oid_len;
	struct stci_p15_pin pin;     /* AUTH_PIN */
};

/* EF.ODF: the entries in file order. Entries whose tag is not A0..A8, or whose
 * content is not a Path (PKCS#15 also allows the objects themselves there, which
 * OpenSC does not support either), are skipped. More than STCI_P15_ODF_MAX
 * entries is STC_ERR_INVALID_DATA. */
stc_rv stci_p15_parse_odf(const uint8_t *buf, size_t len, struct stci_p15_odf *out);

/* EF.TokenInfo (CIAInfo). version and tokenflags are required; fields may come
 * in any order; unknown ones are ignored; a duplicated known field is
 * STC_ERR_INVALID_DATA. Anything after the outer SEQUENCE is ignored. */
stc_rv stci_p15_parse_tokeninfo(const uint8_t *buf, size_t len,
				struct stci_p15_tokeninfo *out);

/* A directory file of the given type: PrKDF (RSA keys), CDF/trusted/useful
 * (X.509 certificates), DODF (opaque data objects), AODF (PIN objects). On
 * STC_OK *objs is a malloc'd array of *count objects (NULL when 0) to release
 * with stci_p15_objects_free(). Other DF types: STC_ERR_NOT_SUPPORTED. */
stc_rv stci_p15_parse_df(enum stci_p15_df_type type, const uint8_t *buf, size_t len,
			 struct stci_p15_object **objs, size_t *count);

void stci_p15_objects_free(struct stci_p15_object *objs);

/* The first supportedAlgorithms entry for (operation bit, PKCS#11 mechanism),
 * or NULL: how OpenSC's CPx driver finds the card's algorithm reference. */
const struct stci_p15_algo *stci_p15_find_algo(const struct stci_p15_tokeninfo *ti,
					       unsigned operation, long mechanism);

#endif
