/*
 * cps_internal.h - the CPS driver's state and the helpers its files share
 * (not installed). drv_cps.c: recognition and the vtable; cps_files.c: SELECT
 * and READ BINARY; cps_objects.c: the PKCS#15 structure and the object list;
 * cps_pin.c: PIN status, VERIFY, CHANGE, RESET RETRY COUNTER; cps_holder.c: the
 * holder from the authentication certificate; cps_sign.c: signatures
 * (INTERNAL AUTHENTICATE, PSO HASH + PSO CDS) and the key/algorithm lookup;
 * cps_hash.c: the host's part of PSO HASH (the intermediate SHA state);
 * cps_decipher.c: PSO DECIPHER and GET CHALLENGE.
 */
#ifndef STC_CPS_INTERNAL_H
#define STC_CPS_INTERNAL_H

#include "cache.h"
#include "pkcs15.h"
#include "token_internal.h"

/* Both clients cap READ BINARY at 0xE7 bytes (cards.md §1.4). */
#define STCI_CPS_READ_MAX 0xE7
/* The largest EF the driver reads whole (READ BINARY offsets are 15 bits). */
#define STCI_CPS_FILE_MAX 0x7FFF

/* A directory file as parsed. */
struct stci_cps_df {
	enum stci_p15_df_type type;
	struct stci_p15_object *objs;
	size_t count;
};

struct stci_cps {
	int contactless;
	const uint8_t *aid;             /* the PKCS#15 application */
	size_t aid_len;
	uint8_t app_path[4];            /* its DF, 3F00-prefixed: relative paths hang here */
	size_t app_path_len;
	/* loaded on first need (stc_token_objects, a PIN operation), then kept */
	int loaded;
	struct stci_p15_odf odf;
	struct stci_p15_tokeninfo *ti;
	struct stci_cps_df dfs[STCI_P15_ODF_MAX];   /* PrKDF, CDFs, DODF, in ODF order */
	size_t ndfs;
	stc_object *objs;               /* handle h is objs[h - 1] */
	const struct stci_p15_object **src;  /* the PKCS#15 object behind each */
	size_t nobjs;
	/* the AODF: read by the first PIN operation */
	int aodf_loaded;
	struct stci_p15_object *aod;
	size_t naod;
	/* the public-data cache (cache.h) of this card, opened with the first
	 * load (EF.SN.ICC and EF_ACTUA read for its key); NULL: none */
	int cache_tried;
	struct stci_cache *cache;
	int cache_hits;                 /* files of this load served by the cache */
	/* the CPS2ter volet (cps2ter.c): probed on first request, then kept */
	int c2_probed;
	stc_object *c2_objs;
	size_t c2_count;
};

/* Handles of the CPS2ter files: apart from the PKCS#15 objects' 1..nobjs. */
#define STCI_CPS2TER_HANDLE_BASE 0x1000u

/* An absolute (3F00-prefixed) path for a PKCS#15 path of this application. */
stc_rv stci_cps_abs_path(const struct stci_cps *st, const struct stci_p15_path *p,
			 uint8_t *out, size_t cap, size_t *len);
/* SELECT the application by AID (P2=0C). */
stc_rv stci_cps_select_app(stc_card *card, const uint8_t *aid, size_t len);
/* SELECT (P2=0C) by absolute path (p1 09) or by FID under the current DF (p1 02). */
stc_rv stci_cps_select(stc_card *card, uint8_t p1, const uint8_t *path, size_t path_len);
/* READ BINARY of the current EF from offset, in chunks of at most 0xE7 bytes,
 * until the end (6282, a short answer, or 6B00 past the end) or until want
 * bytes (want 0 = whole file). *data is malloc'd (NULL when empty). */
stc_rv stci_cps_read_ef(stc_card *card, size_t offset, size_t want, uint8_t **data,
			size_t *len);
/* SELECT by absolute path, then read the whole EF (or index/length of p). */
stc_rv stci_cps_read_path(stc_card *card, const struct stci_cps *st,
			  const struct stci_p15_path *p, uint8_t **data, size_t *len);
/* Zero then free. */
void stci_cps_free_buf(uint8_t *p, size_t len);
/* Open the cache of this card once (st->cache; NULL when disabled or the
 * serial cannot be read): READ BINARY of EF.SN.ICC by SFI 1C (else SELECT
 * 3F00/D003 and READ BINARY), SELECT and read EF_ACTUA 3F00/D010 (absent:
 * "none"). Leaves no application selected. */
void stci_cps_cache_open(stc_card *card, struct stci_cps *st);
/* A public EF at an absolute path (p: index/length), from the cache when
 * there, else read from the card and stored: PKCS#15 files and certificates
 * only. */
stc_rv stci_cps_read_path_cached(stc_card *card, struct stci_cps *st,
				 const struct stci_p15_path *p, uint8_t **data, size_t *len);
/* The cache entry of an absolute path (index and length when > 0): *data
 * malloc'd (free with stci_cps_free_buf), counted in st->cache_hits;
 * STC_ERR_NOT_FOUND when not cached. */
stc_rv stci_cps_cache_get(struct stci_cps *st, const uint8_t *path, size_t plen, long index,
			  long length, uint8_t **data, size_t *len);
/* Store it (public data only); failures are the cache's business. */
void stci_cps_cache_put(struct stci_cps *st, const uint8_t *path, size_t plen, long index,
			long length, const uint8_t *data, size_t len);

/* Read ODF, TokenInfo, PrKDF, CDF, DODF (once) and build the object list. */
stc_rv stci_cps_load(stc_token *tok, struct stci_cps *st);
/* Read the AODF (once; after stci_cps_load). */
stc_rv stci_cps_load_aodf(stc_token *tok, struct stci_cps *st);
void stci_cps_unload(struct stci_cps *st);

/* The driver hooks. */
stc_rv stci_cps_objects(stc_token *tok, const stc_object **objs, size_t *count);
stc_rv stci_cps_read_object(stc_token *tok, unsigned handle, uint8_t **data, size_t *len);
stc_rv stci_cps_pin_info(stc_token *tok, stc_pin_kind kind, stc_pin_info *info);
stc_rv stci_cps_pin_verify(stc_token *tok, const char *pin, size_t len, int *tries_left);
stc_rv stci_cps_pin_change(stc_token *tok, const char *old_pin, size_t old_len,
			   const char *new_pin, size_t new_len, int *tries_left);
stc_rv stci_cps_pin_unblock(stc_token *tok, const char *puk, size_t puk_len,
			    const char *new_pin, size_t new_len, int *tries_left);
stc_rv stci_cps_pin_verify_pinpad(stc_token *tok, int *tries_left);
stc_rv stci_cps_pin_change_pinpad(stc_token *tok, int *tries_left);
stc_rv stci_cps_holder(stc_token *tok, stc_cps_holder *holder);
stc_rv stci_cps_info(stc_token *tok, stc_token_info *info);
stc_rv stci_cps_sign(stc_token *tok, unsigned key, stc_hash hash, const uint8_t *data,
		     size_t len, uint8_t *sig, size_t *sig_len);
stc_rv stci_cps_sign_init(stc_token *tok, unsigned key, stc_hash hash, void **op);
stc_rv stci_cps_sign_update(void *op, const uint8_t *data, size_t len);
stc_rv stci_cps_sign_final(stc_token *tok, void *op, uint8_t *sig, size_t *sig_len);
void stci_cps_sign_free(void *op);
stc_rv stci_cps_decipher(stc_token *tok, unsigned key, const uint8_t *in, size_t len,
			 uint8_t *out, size_t *out_len);
stc_rv stci_cps_random(stc_token *tok, uint8_t *out, size_t len);
/* cps2ter.c: the CPS2ter volet's situation files (listed apart, read with the PIN). */
stc_rv stci_cps2ter_objects(stc_token *tok, const stc_object **objs, size_t *count);
stc_rv stci_cps2ter_read(stc_token *tok, unsigned handle, uint8_t **data, size_t *len);
void stci_cps2ter_free(struct stci_cps *st);

/* ---- cps_sign.c: shared by the key operations */

/* PKCS#11 mechanisms as TokenInfo names them (supportedAlgorithms). */
#define STCI_CKM_RSA_PKCS        0x0001L
#define STCI_CKM_SHA1_RSA_PKCS   0x0006L
#define STCI_CKM_SHA256_RSA_PKCS 0x0040L
#define STCI_CKM_SHA_1           0x0220L
#define STCI_CKM_SHA256          0x0250L

/* A private key of the token by handle (objects loaded on need): a handle that
 * is not a private key is STC_ERR_INVALID_ARGS, a key without one of the usage
 * bits asked STC_ERR_NOT_SUPPORTED. *ref: the card's key reference (MSE 84);
 * *bytes: the modulus length in bytes. */
stc_rv stci_cps_key(stc_token *tok, unsigned handle, unsigned usage, const stc_object **obj,
		    uint8_t *ref, size_t *bytes);
/* The card algorithm reference (MSE 80) for an operation and mechanism from
 * TokenInfo, or def when TokenInfo does not list it. */
uint8_t stci_cps_alg_ref(const struct stci_cps *st, unsigned op, long mech, uint8_t def);
/* MSE SET (P1 41) for template p2 (A4 AT, AA HT, B6 DST, B8 CT): 80 01 alg,
 * then 84 01 ref when ref >= 0 (the Cryptolib order). */
stc_rv stci_cps_mse(stc_card *card, uint8_t p2, uint8_t alg, int ref);

/* ---- cps_hash.c: the host's part of PSO HASH */
struct stci_cps_hash;
stc_rv stci_cps_hash_new(int sha256, struct stci_cps_hash **out);
void stci_cps_hash_update(struct stci_cps_hash *h, const uint8_t *data, size_t len);
/* The PSO HASH data: 90 L <state || bit count, 8 bytes BE> (90 00 when no
 * block was hashed) 80 L <last block, 0..64 bytes>. cap >= 108. */
stc_rv stci_cps_hash_pso_data(const struct stci_cps_hash *h, uint8_t *out, size_t cap,
			      size_t *len);
void stci_cps_hash_free(struct stci_cps_hash *h);

#endif
