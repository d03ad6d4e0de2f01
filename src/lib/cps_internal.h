/*
 * cps_internal.h - the CPS driver's state and the helpers its files share
 * (not installed). drv_cps.c: recognition and the vtable; cps_files.c: SELECT
 * and READ BINARY; cps_objects.c: the PKCS#15 structure and the object list;
 * cps_pin.c: PIN status, VERIFY, CHANGE, RESET RETRY COUNTER; cps_holder.c: the
 * holder from the authentication certificate.
 */
#ifndef STC_CPS_INTERNAL_H
#define STC_CPS_INTERNAL_H

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
};

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
stc_rv stci_cps_holder(stc_token *tok, stc_cps_holder *holder);

#endif
