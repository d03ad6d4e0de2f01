/*
 * cps_decipher.c - PSO DECIPHER with the CPS authentication key and GET
 * CHALLENGE (cards.md §1.7i-j, opensc-cpx.md §6.4-6.5).
 *
 * Decipher: SELECT the application, MSE SET CT 80 01 <alg> 84 01 <ref>, PSO
 * DECIPHER 00 2A 80 86 with 81 || cryptogram (257 bytes for RSA-2048: chained
 * at 255 bytes by stc_transmit), answer by GET RESPONSE in T=0. The card
 * removes the PKCS#1 type 2 padding. Random: GET CHALLENGE of 8 bytes, as
 * OpenSC asks, repeated.
 */
#include "config.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "cps_internal.h"

#define KEY_MAX 512

stc_rv stci_cps_decipher(stc_token *tok, unsigned key, const uint8_t *in, size_t len,
			 uint8_t *out, size_t *out_len)
{
	struct stci_cps *st = tok->priv;
	const stc_object *obj;
	uint8_t ref, d[1 + KEY_MAX], plain[KEY_MAX];
	size_t bytes, n = 0;
	stc_apdu a = { .ins = 0x2A, .p1 = 0x80, .p2 = 0x86, .data = d, .le = 256 };
	stc_rv rv = stci_cps_key(tok, key, STC_USAGE_DECRYPT, &obj, &ref, &bytes);

	if (rv != STC_OK)
		return rv;
	if (len != bytes)
		return STC_ERR_INVALID_ARGS;   /* a cryptogram is as long as the modulus */
	d[0] = 0x81;                       /* padding indicator: RSA */
	memcpy(d + 1, in, len);
	a.lc = 1 + len;
	rv = stci_cps_select_app(tok->card, st->aid, st->aid_len);
	if (rv == STC_OK)
		rv = stci_cps_mse(tok->card, 0xB8,
				  stci_cps_alg_ref(st, STCI_P15_OP_DECIPHER, STCI_CKM_RSA_PKCS, 0x1A),
				  ref);
	if (rv == STC_OK)
		rv = stci_cmd(tok->card, &a, plain, sizeof(plain), &n);
	if (rv == STC_OK && n > bytes - 11) {
		stc_log(STC_LOG_INFO, "CPS: %zu bytes of plaintext from a %zu-byte key", n, bytes);
		rv = STC_ERR_PROTOCOL;
	}
	if (rv == STC_OK && n > *out_len)
		rv = STC_ERR_BUFFER_TOO_SMALL;
	if (rv == STC_OK) {
		if (n)
			memcpy(out, plain, n);
		*out_len = n;
	}
	OPENSSL_cleanse(plain, sizeof(plain));
	return rv;
}

stc_rv stci_cps_random(stc_token *tok, uint8_t *out, size_t len)
{
	uint8_t *buf = len ? malloc(len) : NULL;
	size_t done = 0;
	stc_rv rv = STC_OK;

	if (len && !buf)
		return STC_ERR_NO_MEMORY;
	while (rv == STC_OK && done < len) {
		stc_apdu a = { .ins = 0x84, .le = 8 };
		uint8_t r[8];
		size_t n = 0;

		rv = stci_cmd(tok->card, &a, r, sizeof(r), &n);
		if (rv == STC_OK && n != 8)
			rv = STC_ERR_PROTOCOL;
		if (rv == STC_OK) {
			size_t k = len - done < 8 ? len - done : 8;

			memcpy(buf + done, r, k);
			done += k;
		}
		OPENSSL_cleanse(r, sizeof(r));
	}
	if (rv == STC_OK && len)
		memcpy(out, buf, len);
	if (buf) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
	return rv;
}
