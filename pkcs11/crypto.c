/*
 * crypto.c - signatures, decipher and random on the card; verify, encrypt and
 * digests in software (OpenSSL) with the certificates' public keys.
 *
 * Length rules (PKCS#11 3.0 §5.2): a NULL output buffer asks the length
 * (CKR_OK, the operation stays active); a short one gets CKR_BUFFER_TOO_SMALL
 * with the length needed (the operation stays active); anything else ends the
 * operation. The card is asked only once the output fits.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "p11.h"
#include "p11_cert.h"

#define RSA_BUF_MAX 512   /* CKM_RSA_PKCS data collected by Update calls */

/* ---------------------------------------------------------------- helpers */

static size_t key_bytes(struct p11_token *t, struct p11_object *k)
{
	void *pkey;

	if (k->key_bits)
		return (k->key_bits + 7) / 8;
	if (p11_object_pkey(t, k, &pkey) == CKR_OK)
		return (size_t)EVP_PKEY_get_size(pkey);
	return 256;
}

/* Look the session and the key up for an Init. */
static CK_RV init_common(CK_SESSION_HANDLE h, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE hkey,
			 CK_FLAGS need, struct p11_session **s, const struct p11_mech **m,
			 struct p11_object **key)
{
	CK_RV rv = p11_session_get(h, s);

	if (rv != CKR_OK)
		return rv;
	if (!mech)
		return CKR_ARGUMENTS_BAD;
	*m = p11_mech_find(mech->mechanism);
	if (!*m || !((*m)->flags & need))
		return CKR_MECHANISM_INVALID;
	if (mech->pParameter || mech->ulParameterLen)
		return CKR_MECHANISM_PARAM_INVALID;
	if (!key)
		return CKR_OK;
	rv = p11_token_objects((*s)->token);
	if (rv != CKR_OK)
		return rv;
	*key = p11_object_get((*s)->token, hkey);
	if (!*key || !p11_object_visible((*s)->token, *key))
		return CKR_KEY_HANDLE_INVALID;
	if ((*key)->cls != CKO_PRIVATE_KEY && (*key)->cls != CKO_PUBLIC_KEY)
		return CKR_KEY_HANDLE_INVALID;
	return CKR_OK;
}

static int out_fits(CK_BYTE_PTR out, CK_ULONG_PTR out_len, size_t need, CK_RV *rv)
{
	if (!out) {
		*out_len = need;
		*rv = CKR_OK;
		return 0;
	}
	if (*out_len < need) {
		*out_len = need;
		*rv = CKR_BUFFER_TOO_SMALL;
		return 0;
	}
	return 1;
}

static CK_RV buffer_add(struct p11_op *op, const uint8_t *data, size_t len)
{
	uint8_t *nb;

	if (op->buf_len + len > RSA_BUF_MAX)
		return CKR_DATA_LEN_RANGE;
	nb = malloc(op->buf_len + len + 1);
	if (!nb)
		return CKR_HOST_MEMORY;
	if (op->buf_len)
		memcpy(nb, op->buf, op->buf_len);
	if (len)
		memcpy(nb + op->buf_len, data, len);
	if (op->buf) {
		OPENSSL_cleanse(op->buf, op->buf_len);
		free(op->buf);
	}
	op->buf = nb;
	op->buf_len += len;
	return CKR_OK;
}

static const EVP_MD *md_of(stc_hash h)
{
	return h == STC_HASH_SHA1 ? EVP_sha1() : h == STC_HASH_SHA256 ? EVP_sha256() : NULL;
}

/* ------------------------------------------------------------------ sign */

static int can_sign(const struct p11_object *k)
{
	return (k->usage & (STC_USAGE_SIGN | STC_USAGE_NONREPUDIATION)) != 0;
}

CK_RV C_SignInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
	CK_RV rv = p11_enter();
	struct p11_session *s;
	const struct p11_mech *m;
	struct p11_object *k;

	if (rv != CKR_OK)
		return rv;
	rv = init_common(hSession, pMechanism, hKey, CKF_SIGN, &s, &m, &k);
	if (rv == CKR_OK && s->sign.kind != OP_NONE)
		rv = CKR_OPERATION_ACTIVE;
	if (rv == CKR_OK && k->cls != CKO_PRIVATE_KEY)
		rv = CKR_KEY_TYPE_INCONSISTENT;
	if (rv == CKR_OK && !can_sign(k))
		rv = CKR_KEY_FUNCTION_NOT_PERMITTED;
	if (rv == CKR_OK && k->is_private && !s->token->logged_in)
		rv = CKR_USER_NOT_LOGGED_IN;
	if (rv == CKR_OK) {
		s->sign.kind = OP_SIGN;
		s->sign.mech = m->type;
		s->sign.key = k;
	} else if (rv == CKR_DEVICE_REMOVED && s) {
		rv = p11_session_error(s, STC_ERR_CARD_REMOVED);
	}
	p11_leave();
	return rv;
}

static stc_hash hash_of(CK_MECHANISM_TYPE m)
{
	const struct p11_mech *pm = p11_mech_find(m);

	return pm ? pm->hash : STC_HASH_NONE;
}

/* CKM_RSA_PKCS input the card accepts: the authentication key signs up to 40%
 * of its modulus (INTERNAL AUTHENTICATE, cards.md §1.7h); the signature key a
 * SHA-1/SHA-256 hash or its DigestInfo (PSO CDS, §1.7g). */
static CK_RV rsa_pkcs_input(const struct p11_object *k, size_t kbytes, size_t len)
{
	if (k->usage & STC_USAGE_SIGN)
		return len == 0 || len > kbytes * 40 / 100 ? CKR_DATA_LEN_RANGE : CKR_OK;
	return len == 20 || len == 32 || len == 35 || len == 51 ? CKR_OK : CKR_DATA_LEN_RANGE;
}

static CK_RV sign_rv(struct p11_session *s, stc_rv r)
{
	if (p11_gone(r))
		return p11_session_error(s, r);
	/* the card forgot the PIN (reset by another application): so do we, or
	 * the application could never log in again */
	if (r == STC_ERR_SECURITY_STATUS)
		s->token->logged_in = 0;
	if (r == STC_ERR_INVALID_ARGS)
		return CKR_DATA_INVALID;
	return p11_rv(r);
}

CK_RV C_Sign(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
	     CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
	CK_RV rv = p11_enter();
	struct p11_session *s;
	struct p11_op *op;
	size_t need, len;
	stc_rv r;

	if (rv != CKR_OK)
		return rv;
	rv = p11_session_get(hSession, &s);
	if (rv != CKR_OK)
		goto out;
	op = &s->sign;
	if (op->kind == OP_NONE) {
		rv = CKR_OPERATION_NOT_INITIALIZED;
		goto out;
	}
	if (op->multipart) {
		rv = CKR_OPERATION_ACTIVE;
		goto out;
	}
	if (!pulSignatureLen || (!pData && ulDataLen)) {
		p11_op_reset(op);
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	need = key_bytes(s->token, op->key);
	if (!out_fits(pSignature, pulSignatureLen, need, &rv))
		goto out;
	if (op->mech == CKM_RSA_PKCS) {
		rv = rsa_pkcs_input(op->key, need, ulDataLen);
		if (rv != CKR_OK) {
			p11_op_reset(op);
			goto out;
		}
	}
	len = *pulSignatureLen;
	r = stc_token_sign(s->token->tok, op->key->stc_handle, hash_of(op->mech), pData,
			   ulDataLen, pSignature, &len);
	p11_op_reset(op);
	if (r == STC_OK)
		*pulSignatureLen = len;
	rv = sign_rv(s, r);
out:
	p11_leave();
	return rv;
}

CK_RV C_SignUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen)
{
	CK_RV rv = p11_enter();
	struct p11_session *s;
	struct p11_op *op;
	stc_rv r = STC_OK;

	if (rv != CKR_OK)
		return rv;
	rv = p11_session_get(hSession, &s);
	if (rv != CKR_OK)
		goto out;
	op = &s->sign;
	if (op->kind == OP_NONE) {
		rv = CKR_OPERATION_NOT_INITIALIZED;
		goto out;
	}
	if (!pPart && ulPartLen) {
		p11_op_reset(op);
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	op->multipart = 1;
	if (op->mech == CKM_RSA_PKCS) {
		rv = buffer_add(op, pPart, ulPartLen);
		if (rv != CKR_OK)
			p11_op_reset(op);
		goto out;
	}
	if (!op->sign)
		r = stc_token_sign_init(s->token->tok, op->key->stc_handle, hash_of(op->mech),
					&op->sign);
	if (r == STC_OK)
		r = stc_sign_update(op->sign, pPart, ulPartLen);
	if (r != STC_OK) {
		p11_op_reset(op);
		rv = sign_rv(s, r);
	}
out:
	p11_leave();
	return rv;
}

CK_RV C_SignFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
	CK_RV rv = p11_enter();
	struct p11_session *s;
	struct p11_op *op;
	size_t need, len;
	stc_rv r = STC_OK;

	if (rv != CKR_OK)
		return rv;
	rv = p11_session_get(hSession, &s);
	if (rv != CKR_OK)
		goto out;
	op = &s->sign;
	if (op->kind == OP_NONE) {
		rv = CKR_OPERATION_NOT_INITIALIZED;
		goto out;
	}
	if (!pulSignatureLen) {
		p11_op_reset(op);
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	need = key_bytes(s->token, op->key);
	if (!out_fits(pSignature, pulSignatureLen, need, &rv))
		goto out;
	len = *pulSignatureLen;
	if (op->mech == CKM_RSA_PKCS) {
		rv = rsa_pkcs_input(op->key, need, op->buf_len);
		if (rv == CKR_OK)
			r = stc_token_sign(s->token->tok, op->key->stc_handle, STC_HASH_NONE,
					   op->buf, op->buf_len, pSignature, &len);
	} else {
		if (!op->sign)
			r = stc_token_sign_init(s->token->tok, op->key->stc_handle,
						hash_of(op->mech), &op->sign);
		if (r == STC_OK) {
			r = stc_sign_final(op->sign, pSignature, &len);
			op->sign = NULL;   /* freed by stc_sign_final */
		}
	}
	p11_op_reset(op);
	if (rv == CKR_OK) {
		if (r == STC_OK)
			*pulSignatureLen = len;
		rv = sign_rv(s, r);
	}
out:
	p11_leave();
	return rv;
}

/* ---------------------------------------------------------------- verify */

CK_RV C_VerifyInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
	CK_RV rv = p11_enter();
	struct p11_session *s = NULL;
	const struct p11_mech *m;
	struct p11_object *k;
	void *pkey = NULL;

	if (rv != CKR_OK)
		return rv;
	rv = init_common(hSession, pMechanism, hKey, CKF_VERIFY, &s, &m, &k);
	if (rv == CKR_OK && s->verify.kind != OP_NONE)
		rv = CKR_OPERATION_ACTIVE;
	if (rv == CKR_OK && k->cls != CKO_PUBLIC_KEY)
		rv = CKR_KEY_TYPE_INCONSISTENT;
	if (rv == CKR_OK)
		rv = p11_object_pkey(s->token, k, &pkey);
	if (rv == CKR_OK && m->hash != STC_HASH_NONE) {
		EVP_MD_CTX *md = EVP_MD_CTX_new();

		if (!md || EVP_DigestVerifyInit(md, NULL, md_of(m->hash), NULL, pkey) != 1) {
			EVP_MD_CTX_free(md);
			rv = CKR_FUNCTION_FAILED;
		} else {
			s->verify.md = md;
		}
	}
	if (rv == CKR_OK) {
		s->verify.kind = OP_VERIFY;
		s->verify.mech = m->type;
		s->verify.key = k;
	} else if (rv == CKR_DEVICE_REMOVED && s) {
		rv = p11_session_error(s, STC_ERR_CARD_REMOVED);
	}
	p11_leave();
	return rv;
}

static CK_RV verify_raw(struct p11_session *s, const uint8_t *data, size_t len,
			const uint8_t *sig, size_t sig_len)
{
	void *pkey;
	EVP_PKEY_CTX *ctx;
	CK_RV rv = p11_object_pkey(s->token, s->verify.key, &pkey);
	int ok;

	if (rv != CKR_OK)
		return rv;
	ctx = EVP_PKEY_CTX_new(pkey, NULL);
	if (!ctx || EVP_PKEY_verify_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1) {
		EVP_PKEY_CTX_free(ctx);
		return CKR_FUNCTION_FAILED;
	}
	ok = EVP_PKEY_verify(ctx, sig, sig_len, data, len);
	EVP_PKEY_CTX_free(ctx);
	return ok == 1 ? CKR_OK : CKR_SIGNATURE_INVALID;
}

static CK_RV verify_finish(struct p11_session *s, const uint8_t *data, size_t len,
			   CK_BYTE_PTR sig, CK_ULONG sig_len)
{
	struct p11_op *op = &s->verify;
	size_t need = key_bytes(s->token, op->key);
	CK_RV rv;

	if (!sig)
		rv = CKR_ARGUMENTS_BAD;
	else if (sig_len != need)
		rv = CKR_SIGNATURE_LEN_RANGE;
	else if (op->mech == CKM_RSA_PKCS)
		rv = verify_raw(s, data, len, sig, sig_len);
	else if ((data && EVP_DigestVerifyUpdate(op->md, data, len) != 1))
		rv = CKR_FUNCTION_FAILED;
	else
		rv = EVP_DigestVerifyFinal(op->md, sig, sig_len) == 1 ? CKR_OK
								      : CKR_SIGNATURE_INVALID;
	p11_op_reset(op);
	return rv;
}

CK_RV C_Verify(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
	       CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen)
{
	CK_RV rv = p11_enter();
	struct p11_session *s;

	if (rv != CKR_OK)
		return rv;
	rv = p11_session_get(hSession, &s);
	if (rv == CKR_OK && s->verify.kind == OP_NONE)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	if (rv == CKR_OK && s->verify.multipart)
		rv = CKR_OPERATION_ACTIVE;
	if (rv == CKR_OK && !pData && ulDataLen) {
		p11_op_reset(&s->verify);
		rv = CKR_ARGUMENTS_BAD;
	}
	if (rv == CKR_OK)
		rv = verify_finish(s, pData ? pData : (CK_BYTE_PTR)"", ulDataLen, pSignature,
				   ulSignatureLen);
	p11_leave();
	return rv;
}

CK_RV C_VerifyUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen)
{
	CK_RV rv = p11_enter();
	struct p11_session *s;
	struct p11_op *op;

	if (rv != CKR_OK)
		return rv;
	rv = p11_session_get(hSession, &s);
	if (rv == CKR_OK && s->verify.kind == OP_NONE)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	if (rv != CKR_OK) {
		p11_leave();
		return rv;
	}
	op = &s->verify;
	op->multipart = 1;
	if (!pPart && ulPartLen)
		rv = CKR_ARGUMENTS_BAD;
	else if (op->mech == CKM_RSA_PKCS)
		rv = buffer_add(op, pPart, ulPartLen);
	else if (ulPartLen && EVP_DigestVerifyUpdate(op->md, pPart, ulPartLen) != 1)
		rv = CKR_FUNCTION_FAILED;
	if (rv != CKR_OK)
		p11_op_reset(op);
	p11_leave();
	return rv;
}

CK_RV C_VerifyFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen)
{
	CK_RV rv = p11_enter();
	struct p11_session *s;

	if (rv != CKR_OK)
		return rv;
	rv = p11_session_get(hSession, &s);
	if (rv == CKR_OK && s->verify.kind == OP_NONE)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	if (rv == CKR_OK) {
		struct p11_op *op = &s->verify;

		rv = verify_finish(s, op->mech == CKM_RSA_PKCS ? (op->buf ? op->buf : (uint8_t *)"")
							       : NULL,
				   op->buf_len, pSignature, ulSignatureLen);
	}
	p11_leave();
	return rv;
}

/* --------------------------------------------------- encrypt, decrypt */

/* C_EncryptInit / C_DecryptInit: encrypt with the public key in software,
 * decrypt with the private key on the card; one operation slot (s->crypt). */
static CK_RV crypt_init(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
			CK_OBJECT_HANDLE hKey, enum p11_op_kind kind)
{
	CK_RV rv = p11_enter();
	struct p11_session *s = NULL;
	const struct p11_mech *m;
	struct p11_object *k;

	if (rv != CKR_OK)
		return rv;
	rv = init_common(hSession, pMechanism, hKey, kind == OP_ENCRYPT ? CKF_ENCRYPT : CKF_DECRYPT,
			 &s, &m, &k);
	if (rv == CKR_OK && s->crypt.kind != OP_NONE)
		rv = CKR_OPERATION_ACTIVE;
	if (rv == CKR_OK && k->cls != (kind == OP_ENCRYPT ? CKO_PUBLIC_KEY : CKO_PRIVATE_KEY))
		rv = CKR_KEY_TYPE_INCONSISTENT;
	if (rv == CKR_OK && !(k->usage & STC_USAGE_DECRYPT))
		rv = CKR_KEY_FUNCTION_NOT_PERMITTED;
	if (rv == CKR_OK && k->is_private && !s->token->logged_in)
		rv = CKR_USER_NOT_LOGGED_IN;
	if (rv == CKR_OK) {
		s->crypt.kind = kind;
		s->crypt.mech = m->type;
		s->crypt.key = k;
	} else if (rv == CKR_DEVICE_REMOVED && s) {
		rv = p11_session_error(s, STC_ERR_CARD_REMOVED);
	}
	p11_leave();
	return rv;
}

CK_RV C_EncryptInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
	return crypt_init(hSession, pMechanism, hKey, OP_ENCRYPT);
}

CK_RV C_Encrypt(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
		CK_BYTE_PTR pEncryptedData, CK_ULONG_PTR pulEncryptedDataLen)
{
	CK_RV rv = p11_enter();
	struct p11_session *s;
	struct p11_op *op;
	size_t need, len;
	void *pkey;
	EVP_PKEY_CTX *ctx;

	if (rv != CKR_OK)
		return rv;
	rv = p11_session_get(hSession, &s);
	if (rv == CKR_OK && s->crypt.kind != OP_ENCRYPT)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	if (rv != CKR_OK)
		goto out;
	op = &s->crypt;
	if (!pulEncryptedDataLen || (!pData && ulDataLen)) {
		p11_op_reset(op);
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	need = key_bytes(s->token, op->key);
	if (!out_fits(pEncryptedData, pulEncryptedDataLen, need, &rv))
		goto out;
	if (ulDataLen > need - 11) {
		p11_op_reset(op);
		rv = CKR_DATA_LEN_RANGE;
		goto out;
	}
	rv = p11_object_pkey(s->token, op->key, &pkey);
	if (rv == CKR_OK) {
		ctx = EVP_PKEY_CTX_new(pkey, NULL);
		len = *pulEncryptedDataLen;
		if (!ctx || EVP_PKEY_encrypt_init(ctx) != 1 ||
		    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1 ||
		    EVP_PKEY_encrypt(ctx, pEncryptedData, &len, pData ? pData : (CK_BYTE_PTR)"",
				     ulDataLen) != 1)
			rv = CKR_FUNCTION_FAILED;
		else
			*pulEncryptedDataLen = len;
		EVP_PKEY_CTX_free(ctx);
	}
	p11_op_reset(op);
out:
	p11_leave();
	return rv;
}

CK_RV C_DecryptInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
	return crypt_init(hSession, pMechanism, hKey, OP_DECRYPT);
}

CK_RV C_Decrypt(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedData, CK_ULONG ulEncryptedDataLen,
		CK_BYTE_PTR pData, CK_ULONG_PTR pulDataLen)
{
	CK_RV rv = p11_enter();
	struct p11_session *s;
	struct p11_op *op;
	size_t need, len;
	uint8_t plain[RSA_BUF_MAX];
	stc_rv r;

	if (rv != CKR_OK)
		return rv;
	rv = p11_session_get(hSession, &s);
	if (rv == CKR_OK && s->crypt.kind != OP_DECRYPT)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	if (rv != CKR_OK)
		goto out;
	op = &s->crypt;
	if (!pulDataLen || !pEncryptedData) {
		p11_op_reset(op);
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	need = key_bytes(s->token, op->key);
	if (ulEncryptedDataLen != need) {
		p11_op_reset(op);
		rv = CKR_ENCRYPTED_DATA_LEN_RANGE;
		goto out;
	}
	if (op->result) {
		/* deciphered by the call that found the buffer too short */
		if (out_fits(pData, pulDataLen, op->result_len, &rv)) {
			memcpy(pData, op->result, op->result_len);
			*pulDataLen = op->result_len;
			p11_op_reset(op);
		}
		goto out;
	}
	if (!pData) {
		*pulDataLen = need;   /* an upper bound, as §5.2 allows */
		goto out;
	}
	len = sizeof(plain);
	r = stc_token_decipher(s->token->tok, op->key->stc_handle, pEncryptedData,
			       ulEncryptedDataLen, plain, &len);
	if (r != STC_OK) {
		p11_op_reset(op);
		rv = r == STC_ERR_CARD_STATUS ? CKR_ENCRYPTED_DATA_INVALID : sign_rv(s, r);
		goto out;
	}
	if (*pulDataLen < len) {
		op->result = malloc(len ? len : 1);
		if (!op->result) {
			p11_op_reset(op);
			rv = CKR_HOST_MEMORY;
		} else {
			memcpy(op->result, plain, len);
			op->result_len = len;
			*pulDataLen = len;
			rv = CKR_BUFFER_TOO_SMALL;
		}
	} else {
		memcpy(pData, plain, len);
		*pulDataLen = len;
		p11_op_reset(op);
	}
	OPENSSL_cleanse(plain, sizeof(plain));
out:
	p11_leave();
	return rv;
}

/* Single-part RSA only: the Update/Final forms are not offered. */
static CK_RV crypt_not_supported(CK_SESSION_HANDLE h)
{
	CK_RV rv = p11_session_only(h);

	return rv != CKR_OK ? rv : CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_EncryptUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen,
		      CK_BYTE_PTR pEncryptedPart, CK_ULONG_PTR pulEncryptedPartLen)
{
	(void)pPart;
	(void)ulPartLen;
	(void)pEncryptedPart;
	(void)pulEncryptedPartLen;
	return crypt_not_supported(hSession);
}

CK_RV C_EncryptFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pLastEncryptedPart,
		     CK_ULONG_PTR pulLastEncryptedPartLen)
{
	(void)pLastEncryptedPart;
	(void)pulLastEncryptedPartLen;
	return crypt_not_supported(hSession);
}

CK_RV C_DecryptUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedPart,
		      CK_ULONG ulEncryptedPartLen, CK_BYTE_PTR pPart, CK_ULONG_PTR pulPartLen)
{
	(void)pEncryptedPart;
	(void)ulEncryptedPartLen;
	(void)pPart;
	(void)pulPartLen;
	return crypt_not_supported(hSession);
}

CK_RV C_DecryptFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pLastPart, CK_ULONG_PTR pulLastPartLen)
{
	(void)pLastPart;
	(void)pulLastPartLen;
	return crypt_not_supported(hSession);
}

/* ---------------------------------------------------------------- digest */

CK_RV C_DigestInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism)
{
	CK_RV rv = p11_enter();
	struct p11_session *s;
	const struct p11_mech *m;

	if (rv != CKR_OK)
		return rv;
	rv = init_common(hSession, pMechanism, 0, CKF_DIGEST, &s, &m, NULL);
	if (rv == CKR_OK && s->digest.kind != OP_NONE)
		rv = CKR_OPERATION_ACTIVE;
	if (rv == CKR_OK) {
		EVP_MD_CTX *md = EVP_MD_CTX_new();

		if (!md || EVP_DigestInit_ex(md, md_of(m->hash), NULL) != 1) {
			EVP_MD_CTX_free(md);
			rv = CKR_HOST_MEMORY;
		} else {
			s->digest.kind = OP_DIGEST;
			s->digest.mech = m->type;
			s->digest.md = md;
		}
	}
	p11_leave();
	return rv;
}

static CK_RV digest_session(CK_SESSION_HANDLE h, struct p11_session **s)
{
	CK_RV rv = p11_session_get(h, s);

	if (rv == CKR_OK && (*s)->digest.kind == OP_NONE)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	return rv;
}

static CK_RV digest_out(struct p11_op *op, CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
	unsigned n = 0;
	CK_RV rv;

	if (!out_fits(out, out_len, (size_t)EVP_MD_CTX_get_size(op->md), &rv))
		return rv;
	rv = EVP_DigestFinal_ex(op->md, out, &n) == 1 ? CKR_OK : CKR_FUNCTION_FAILED;
	*out_len = n;
	p11_op_reset(op);
	return rv;
}

CK_RV C_Digest(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
	       CK_BYTE_PTR pDigest, CK_ULONG_PTR pulDigestLen)
{
	CK_RV rv = p11_enter();
	struct p11_session *s;

	if (rv != CKR_OK)
		return rv;
	rv = digest_session(hSession, &s);
	if (rv == CKR_OK && s->digest.multipart)
		rv = CKR_OPERATION_ACTIVE;
	if (rv == CKR_OK && (!pulDigestLen || (!pData && ulDataLen))) {
		p11_op_reset(&s->digest);
		rv = CKR_ARGUMENTS_BAD;
	}
	if (rv == CKR_OK) {
		struct p11_op *op = &s->digest;
		CK_RV r2;

		if (!out_fits(pDigest, pulDigestLen, (size_t)EVP_MD_CTX_get_size(op->md), &r2)) {
			rv = r2;
		} else if (ulDataLen && EVP_DigestUpdate(op->md, pData, ulDataLen) != 1) {
			p11_op_reset(op);
			rv = CKR_FUNCTION_FAILED;
		} else {
			rv = digest_out(op, pDigest, pulDigestLen);
		}
	}
	p11_leave();
	return rv;
}

CK_RV C_DigestUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen)
{
	CK_RV rv = p11_enter();
	struct p11_session *s;

	if (rv != CKR_OK)
		return rv;
	rv = digest_session(hSession, &s);
	if (rv == CKR_OK && !pPart && ulPartLen)
		rv = CKR_ARGUMENTS_BAD;
	if (rv == CKR_OK) {
		s->digest.multipart = 1;
		if (ulPartLen && EVP_DigestUpdate(s->digest.md, pPart, ulPartLen) != 1)
			rv = CKR_FUNCTION_FAILED;
	}
	if (rv != CKR_OK && rv != CKR_SESSION_HANDLE_INVALID && rv != CKR_DEVICE_REMOVED &&
	    rv != CKR_OPERATION_NOT_INITIALIZED)
		p11_op_reset(&s->digest);
	p11_leave();
	return rv;
}

CK_RV C_DigestKey(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hKey)
{
	CK_RV rv = p11_enter();
	struct p11_session *s;

	if (rv != CKR_OK)
		return rv;
	rv = digest_session(hSession, &s);
	if (rv == CKR_OK) {
		struct p11_object *o = p11_token_objects(s->token) == CKR_OK
					       ? p11_object_get(s->token, hKey) : NULL;

		/* the only keys are RSA keys on the card: nothing to digest */
		rv = o && (o->cls == CKO_PRIVATE_KEY || o->cls == CKO_PUBLIC_KEY)
			     ? CKR_KEY_INDIGESTIBLE : CKR_KEY_HANDLE_INVALID;
	}
	p11_leave();
	return rv;
}

CK_RV C_DigestFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pDigest, CK_ULONG_PTR pulDigestLen)
{
	CK_RV rv = p11_enter();
	struct p11_session *s;

	if (rv != CKR_OK)
		return rv;
	rv = digest_session(hSession, &s);
	if (rv == CKR_OK && !pulDigestLen) {
		p11_op_reset(&s->digest);
		rv = CKR_ARGUMENTS_BAD;
	}
	if (rv == CKR_OK)
		rv = digest_out(&s->digest, pDigest, pulDigestLen);
	p11_leave();
	return rv;
}

/* ---------------------------------------------------------------- random */

CK_RV C_GenerateRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR RandomData, CK_ULONG ulRandomLen)
{
	CK_RV rv = p11_enter();
	struct p11_session *s;
	stc_rv r;

	if (rv != CKR_OK)
		return rv;
	rv = p11_session_get(hSession, &s);
	if (rv == CKR_OK && !RandomData && ulRandomLen)
		rv = CKR_ARGUMENTS_BAD;
	if (rv == CKR_OK && ulRandomLen) {
		r = stc_token_random(s->token->tok, RandomData, ulRandomLen);
		if (r == STC_ERR_NOT_SUPPORTED)
			rv = CKR_RANDOM_NO_RNG;
		else
			rv = sign_rv(s, r);
	}
	p11_leave();
	return rv;
}

CK_RV C_SeedRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSeed, CK_ULONG ulSeedLen)
{
	CK_RV rv = p11_session_only(hSession);

	(void)pSeed;
	(void)ulSeedLen;
	return rv != CKR_OK ? rv : CKR_RANDOM_SEED_NOT_SUPPORTED;
}
