/*
 * cps_sign.c - signatures with a CPS private key (RSA PKCS#1 v1.5, the card
 * pads), shared/reference/cards.md §1.7e-h:
 *
 * authentication key (usage sign: CPS_PRIV_AUT 82, the contactless technical
 * key 81): SELECT the application, MSE SET AT 80 01 <alg> 84 01 <ref>,
 * INTERNAL AUTHENTICATE with the data (a DigestInfo, at most 40% of the
 * modulus: checked here before anything is sent), answer by GET RESPONSE in
 * T=0. Hash SHA-1/SHA-256: the host hashes (EVP) and signs the DigestInfo.
 *
 * signature key (usage nonRepudiation: CPS_PRIV_SIG 81): PSO CDS only.
 * Hash NONE: a bare SHA-1/SHA-256 hash or its DigestInfo (stripped, the card
 * builds it): MSE SET DST, PSO CDS with the hash. Hash SHA-1/SHA-256 over the
 * message: the host hashes all full blocks but the last (cps_hash.c), MSE SET
 * HT, PSO HASH with the intermediate state and the last block, MSE SET DST,
 * PSO CDS (case 2), as the Cryptolib does.
 *
 * The algorithm references come from TokenInfo (supportedAlgorithms), with
 * the CPS3's values as defaults. Everything runs in the caller's transaction;
 * nothing is retried; the signature is written only on success.
 */
#include "config.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "cps_internal.h"

#define SIG_MAX 512                 /* RSA-4096 */
#define RAW_MAX 128                 /* hash NONE input kept by a multi-part op */

static const uint8_t di_sha1[] = { 0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2B, 0x0E,
				   0x03, 0x02, 0x1A, 0x05, 0x00, 0x04, 0x14 };
static const uint8_t di_sha256[] = { 0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48,
				     0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04,
				     0x20 };

/* ------------------------------------------------------ shared helpers */

stc_rv stci_cps_key(stc_token *tok, unsigned handle, unsigned usage, const stc_object **obj,
		    uint8_t *ref, size_t *bytes)
{
	struct stci_cps *st = tok->priv;
	const stc_object *o;
	long r;
	stc_rv rv = stci_cps_load(tok, st);

	if (rv != STC_OK)
		return rv;
	if (handle == 0 || handle > st->nobjs)
		return STC_ERR_INVALID_ARGS;
	o = &st->objs[handle - 1];
	if (o->cls != STC_OBJ_PRIVATE_KEY)
		return STC_ERR_INVALID_ARGS;
	if (!(o->usage & usage))
		return STC_ERR_NOT_SUPPORTED;
	r = st->src[handle - 1]->key_reference;
	if (r < 0 || r > 0xFF) {
		stc_log(STC_LOG_INFO, "CPS: key '%s' has no key reference", o->label);
		return STC_ERR_NOT_SUPPORTED;
	}
	*obj = o;
	*ref = (uint8_t)r;
	/* CPS3v3 keys are RSA-2048 (cards.md §1.8) when the PrKDF does not say */
	*bytes = o->key_bits ? (o->key_bits + 7) / 8 : 256;
	if (*bytes > SIG_MAX)
		return STC_ERR_NOT_SUPPORTED;
	return STC_OK;
}

uint8_t stci_cps_alg_ref(const struct stci_cps *st, unsigned op, long mech, uint8_t def)
{
	const struct stci_p15_algo *a = st->ti ? stci_p15_find_algo(st->ti, op, mech) : NULL;

	if (a && a->has_alg_ref && a->alg_ref >= 0 && a->alg_ref <= 0xFF)
		return (uint8_t)a->alg_ref;
	return def;
}

stc_rv stci_cps_mse(stc_card *card, uint8_t p2, uint8_t alg, int ref)
{
	uint8_t d[6] = { 0x80, 0x01, alg, 0x84, 0x01, (uint8_t)ref };
	stc_apdu a = { .ins = 0x22, .p1 = 0x41, .p2 = p2, .data = d, .lc = ref >= 0 ? 6 : 3 };

	return stci_cmd(card, &a, NULL, 0, NULL);
}

/* Send a command that answers the signature; left-pad a short one to the
 * modulus length (as OpenSC does). Written to sig only on success. */
static stc_rv sig_cmd(stc_card *card, const stc_apdu *a, size_t bytes, uint8_t *sig,
		      size_t *sig_len)
{
	uint8_t buf[SIG_MAX];
	size_t n = 0;
	stc_rv rv = stci_cmd(card, a, buf, sizeof(buf), &n);

	if (rv == STC_OK && (n == 0 || n > bytes)) {
		stc_log(STC_LOG_INFO, "CPS: signature of %zu bytes for a %zu-byte key", n, bytes);
		rv = STC_ERR_PROTOCOL;
	}
	if (rv == STC_OK) {
		memset(sig, 0, bytes - n);
		memcpy(sig + bytes - n, buf, n);
		*sig_len = bytes;
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	return rv;
}

/* ------------------------------------------------------------ the op */

struct cps_op {
	unsigned handle;
	stc_hash hash;
	int cds;                        /* signature key: PSO CDS; else INTERNAL AUTHENTICATE */
	uint8_t ref;
	size_t bytes;
	int bad;                        /* an update failed: final refuses */
	EVP_MD_CTX *md;                 /* authentication key, SHA-x */
	struct stci_cps_hash *ph;       /* signature key, SHA-x */
	uint8_t raw[RAW_MAX];           /* hash NONE */
	size_t raw_len;
};

void stci_cps_sign_free(void *op)
{
	struct cps_op *o = op;

	if (!o)
		return;
	EVP_MD_CTX_free(o->md);
	stci_cps_hash_free(o->ph);
	OPENSSL_cleanse(o, sizeof(*o));
	free(o);
}

stc_rv stci_cps_sign_init(stc_token *tok, unsigned key, stc_hash hash, void **op)
{
	const stc_object *obj;
	struct cps_op *o;
	uint8_t ref;
	size_t bytes;
	stc_rv rv;

	if (hash != STC_HASH_NONE && hash != STC_HASH_SHA1 && hash != STC_HASH_SHA256)
		return STC_ERR_INVALID_ARGS;
	rv = stci_cps_key(tok, key, STC_USAGE_SIGN | STC_USAGE_NONREPUDIATION, &obj, &ref, &bytes);
	if (rv != STC_OK)
		return rv;
	o = calloc(1, sizeof(*o));
	if (!o)
		return STC_ERR_NO_MEMORY;
	o->handle = key;
	o->hash = hash;
	o->cds = (obj->usage & STC_USAGE_NONREPUDIATION) != 0;
	o->ref = ref;
	o->bytes = bytes;
	if (hash != STC_HASH_NONE && o->cds) {
		rv = stci_cps_hash_new(hash == STC_HASH_SHA256, &o->ph);
	} else if (hash != STC_HASH_NONE) {
		o->md = EVP_MD_CTX_new();
		rv = !o->md ? STC_ERR_NO_MEMORY :
		     EVP_DigestInit_ex(o->md, hash == STC_HASH_SHA256 ? EVP_sha256() : EVP_sha1(),
				       NULL) == 1 ? STC_OK : STC_ERR_INTERNAL;
	}
	if (rv != STC_OK) {
		stci_cps_sign_free(o);
		return rv;
	}
	*op = o;
	return STC_OK;
}

stc_rv stci_cps_sign_update(void *op, const uint8_t *data, size_t len)
{
	struct cps_op *o = op;

	if (o->bad)
		return STC_ERR_INVALID_ARGS;
	if (!len)
		return STC_OK;
	if (o->ph) {
		stci_cps_hash_update(o->ph, data, len);
	} else if (o->md) {
		if (EVP_DigestUpdate(o->md, data, len) != 1) {
			o->bad = 1;
			return STC_ERR_INTERNAL;
		}
	} else {
		if (len > RAW_MAX - o->raw_len) {
			o->bad = 1;
			return STC_ERR_INVALID_ARGS;   /* nothing this long can be signed */
		}
		memcpy(o->raw + o->raw_len, data, len);
		o->raw_len += len;
	}
	return STC_OK;
}

/* The hash for PSO CDS from hash-NONE input: bare, or a DigestInfo whose
 * prefix matches exactly. *sha256 says which. */
static int bare_hash(const uint8_t *d, size_t n, const uint8_t **h, int *sha256)
{
	if (n == 20 || n == 32) {
		*h = d;
		*sha256 = n == 32;
		return 1;
	}
	if (n == sizeof(di_sha1) + 20 && !memcmp(d, di_sha1, sizeof(di_sha1))) {
		*h = d + sizeof(di_sha1);
		*sha256 = 0;
		return 1;
	}
	if (n == sizeof(di_sha256) + 32 && !memcmp(d, di_sha256, sizeof(di_sha256))) {
		*h = d + sizeof(di_sha256);
		*sha256 = 1;
		return 1;
	}
	return 0;
}

/* INTERNAL AUTHENTICATE over data (already sized). */
static stc_rv int_auth(stc_token *tok, const struct cps_op *o, const uint8_t *data, size_t len,
		       uint8_t *sig, size_t *sig_len)
{
	struct stci_cps *st = tok->priv;
	stc_apdu a = { .ins = 0x88, .data = data, .lc = len, .le = 256 };
	stc_rv rv = stci_cps_select_app(tok->card, st->aid, st->aid_len);

	if (rv == STC_OK)
		rv = stci_cps_mse(tok->card, 0xA4,
				  stci_cps_alg_ref(st, STCI_P15_OP_COMPUTE_SIGNATURE,
						   STCI_CKM_RSA_PKCS, 0x02), o->ref);
	if (rv == STC_OK)
		rv = sig_cmd(tok->card, &a, o->bytes, sig, sig_len);
	return rv;
}

static uint8_t dst_alg(const struct stci_cps *st, int sha256)
{
	return sha256 ? stci_cps_alg_ref(st, STCI_P15_OP_COMPUTE_SIGNATURE,
					 STCI_CKM_SHA256_RSA_PKCS, 0x42)
		      : stci_cps_alg_ref(st, STCI_P15_OP_COMPUTE_SIGNATURE,
					 STCI_CKM_SHA1_RSA_PKCS, 0x12);
}

/* MSE SET DST, PSO CDS with a bare hash. */
static stc_rv cds_hash(stc_token *tok, const struct cps_op *o, const uint8_t *h, int sha256,
		       uint8_t *sig, size_t *sig_len)
{
	struct stci_cps *st = tok->priv;
	stc_apdu a = { .ins = 0x2A, .p1 = 0x9E, .p2 = 0x9A, .data = h, .lc = sha256 ? 32 : 20,
		       .le = 256 };
	stc_rv rv = stci_cps_select_app(tok->card, st->aid, st->aid_len);

	if (rv == STC_OK)
		rv = stci_cps_mse(tok->card, 0xB6, dst_alg(st, sha256), o->ref);
	if (rv == STC_OK)
		rv = sig_cmd(tok->card, &a, o->bytes, sig, sig_len);
	return rv;
}

/* MSE SET HT, PSO HASH (the card's last round), MSE SET DST, PSO CDS. */
static stc_rv cds_message(stc_token *tok, const struct cps_op *o, uint8_t *sig,
			  size_t *sig_len)
{
	struct stci_cps *st = tok->priv;
	int sha256 = o->hash == STC_HASH_SHA256;
	uint8_t d[128];
	size_t n = 0;
	stc_apdu hash = { .ins = 0x2A, .p1 = 0x90, .p2 = 0xA0, .data = d };
	stc_apdu cds = { .ins = 0x2A, .p1 = 0x9E, .p2 = 0x9A, .le = 256 };
	stc_rv rv = stci_cps_hash_pso_data(o->ph, d, sizeof(d), &n);

	hash.lc = n;
	if (rv == STC_OK)
		rv = stci_cps_select_app(tok->card, st->aid, st->aid_len);
	if (rv == STC_OK)
		rv = stci_cps_mse(tok->card, 0xAA,
				  sha256 ? stci_cps_alg_ref(st, STCI_P15_OP_HASH, STCI_CKM_SHA256, 0x40)
					 : stci_cps_alg_ref(st, STCI_P15_OP_HASH, STCI_CKM_SHA_1, 0x10),
				  -1);
	if (rv == STC_OK)
		rv = stci_cmd(tok->card, &hash, NULL, 0, NULL);
	if (rv == STC_OK)
		rv = stci_cps_mse(tok->card, 0xB6, dst_alg(st, sha256), o->ref);
	if (rv == STC_OK)
		rv = sig_cmd(tok->card, &cds, o->bytes, sig, sig_len);
	OPENSSL_cleanse(d, sizeof(d));
	return rv;
}

/* The limit of INTERNAL AUTHENTICATE: 40% of the modulus (cards.md §1.7h). */
static int ia_fits(const struct cps_op *o, size_t len)
{
	return len > 0 && len * 10 <= o->bytes * 4;
}

stc_rv stci_cps_sign_final(stc_token *tok, void *op, uint8_t *sig, size_t *sig_len)
{
	struct cps_op *o = op;
	uint8_t di[sizeof(di_sha256) + 32];
	unsigned int dlen = 0;
	stc_rv rv;

	if (o->bad)
		return STC_ERR_INVALID_ARGS;
	if (*sig_len < o->bytes)
		return STC_ERR_BUFFER_TOO_SMALL;
	if (o->ph)
		return cds_message(tok, o, sig, sig_len);
	if (o->cds) {
		const uint8_t *h;
		int sha256;

		if (!bare_hash(o->raw, o->raw_len, &h, &sha256))
			return STC_ERR_INVALID_ARGS;
		return cds_hash(tok, o, h, sha256, sig, sig_len);
	}
	if (!o->md) {
		if (!ia_fits(o, o->raw_len))
			return STC_ERR_INVALID_ARGS;
		return int_auth(tok, o, o->raw, o->raw_len, sig, sig_len);
	}
	/* authentication key, SHA-x: the DigestInfo of the host's hash */
	if (o->hash == STC_HASH_SHA256) {
		memcpy(di, di_sha256, sizeof(di_sha256));
		dlen = sizeof(di_sha256);
	} else {
		memcpy(di, di_sha1, sizeof(di_sha1));
		dlen = sizeof(di_sha1);
	}
	{
		unsigned int hl = 0;

		if (EVP_DigestFinal_ex(o->md, di + dlen, &hl) != 1)
			return STC_ERR_INTERNAL;
		dlen += hl;
	}
	if (!ia_fits(o, dlen))
		return STC_ERR_NOT_SUPPORTED;   /* a key too small for this DigestInfo */
	rv = int_auth(tok, o, di, dlen, sig, sig_len);
	OPENSSL_cleanse(di, sizeof(di));
	return rv;
}

stc_rv stci_cps_sign(stc_token *tok, unsigned key, stc_hash hash, const uint8_t *data,
		     size_t len, uint8_t *sig, size_t *sig_len)
{
	void *op = NULL;
	stc_rv rv = stci_cps_sign_init(tok, key, hash, &op);

	if (rv != STC_OK)
		return rv;
	if (hash == STC_HASH_NONE && len > RAW_MAX)
		rv = STC_ERR_INVALID_ARGS;
	else
		rv = stci_cps_sign_update(op, data, len);
	if (rv == STC_OK)
		rv = stci_cps_sign_final(tok, op, sig, sig_len);
	stci_cps_sign_free(op);
	return rv;
}
