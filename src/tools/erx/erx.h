/*
 * erx.h - santecard-erx: e-prescription for prescribers and pharmacists
 * (docs/santecard-erx.1, docs/ERX.md, the contract in docs/ERX.md).
 *
 * The parts, one job each:
 *   bundle.c    the FHIR Bundles (prescription, dispensation), input files,
 *               what a fetched bundle says (pure: jansson only)
 *   ident.c     identifiers: uuid v4, timestamps, EP- prescription ids
 *   sig.c       Bundle.signature: detached JWS over JCS, and its check
 *   certid.c    who a certificate names (the IGC-Santé subject pattern)
 *   outbox.c    signed bundles kept for later delivery
 *   qr.c        QR codes: PNG out (libqrencode + libpng), terminal, PNG in (zbar)
 *   service.c   the transport adapter: the stand-in's (or a real) HTTP API
 *   cps.c       the CPS: reader, certificates, PIN, signature, TLS key URIs
 *   patient.c   the patient: carte Vitale (santecard-vitale's pieces) or a file
 *   show.c      what the user sees: a prescription, an acknowledgement
 *   main.c      command line, configuration, the commands
 */
#ifndef STC_ERX_H
#define STC_ERX_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

/* Exit codes (docs/santecard-erx.1). 0-6 as for santecard. */
enum {
	ERX_OK = 0,
	ERX_ERROR = 1,          /* another failure (message on stderr) */
	ERX_USAGE = 2,          /* bad command line or input file */
	ERX_NO_SERVICE = 4,     /* pcscd is not running */
	ERX_PIN_INCORRECT = 5,  /* wrong PIN, tries are left */
	ERX_PIN_BLOCKED = 6,    /* PIN blocked */
	ERX_CARD = 10,          /* no CPS / no carte Vitale, card error, card pulled */
	ERX_REFUSED = 20,       /* the service refused (4xx): nothing kept */
	ERX_QUEUED = 21,        /* the service is unreachable or failed (5xx): kept in the outbox */
	ERX_VERIFY = 22,        /* a signature or a certificate chain does not verify */
	ERX_TLS = 23            /* TLS with the service failed (server not trusted, our
	                           certificate refused): nothing sent, nothing kept */
};

extern const char *erx_name;

/* ------------------------------------------------------------- ident.c */

/* "urn:uuid:" + a random version 4 UUID (45 bytes with the NUL). 0 or -1. */
#define ERX_URN_UUID_LEN 46
int erx_urn_uuid(char out[ERX_URN_UUID_LEN]);
/* ISO 8601 local time with its offset, e.g. 2026-11-23T03:04:05+01:00. */
void erx_timestamp(char out[32]);
/* An EP-XXXX-XXXX-XXXX prescription id (Crockford base32, mod-37 check
 * character last): 1 well-formed, 0 not. Lower case is accepted and
 * normalised into norm (17 + NUL). */
int erx_id_check(const char *id, char norm[18]);
/* The check character for 11 Crockford base32 digits (mod 37). */
char erx_id_checkchar(const char *digits11);
/* A bundle identifier as an outbox file stem: "urn:uuid:" + lower-case v4 UUID
 * shape (8-4-4-4-12 hex). 1 yes. */
int erx_uuid_urn_ok(const char *s);

/* ------------------------------------------------------------ certid.c */

struct erx_person {
	char idnat[64];         /* national id (CN, first part before '/') */
	char family[256];
	char given[256];
	char profession[256];   /* title */
};

/* Who a certificate (DER) names. 0, or -1 with err. */
int erx_cert_person(const uint8_t *der, size_t len, struct erx_person *p, char *err,
		    size_t errlen);

/* ------------------------------------------------------------ bundle.c */

/* A line of the items file (prescribe --items). */
struct erx_item {
	const char *system, *code, *display;   /* point into the parsed JSON */
	const char *dosage, *unit;
	long long quantity;
	int substitution;
};

/* Parse and check an items file's JSON (array of items). On success *items
 * (free()) and *n; the strings point into root, which must outlive them. 0 or
 * -1 with err naming the item and the member. */
int erx_items_parse(json_t *root, struct erx_item **items, size_t *n, char *err,
		    size_t errlen);

/* A line of the lines file (dispense --lines). */
struct erx_dline {
	const char *line;
	long long quantity;
	const char *sub_system, *sub_code, *sub_display;  /* NULL: no substitution */
};
int erx_lines_parse(json_t *root, struct erx_dline **lines, size_t *n, char *err,
		    size_t errlen);

/* Read a JSON file (at most 1 MiB). NULL with err. */
json_t *erx_json_load(const char *path, char *err, size_t errlen);
/* Parse JSON text (at most len bytes, no NUL needed). NULL with err. */
json_t *erx_json_parse(const char *text, size_t len, char *err, size_t errlen);

/* A FHIR Patient resource to put in a prescription: checked, with the FR Core
 * Patient INS profile set. New reference or NULL with err. */
json_t *erx_patient_from_json(json_t *res, char *err, size_t errlen);

/* The Practitioner resource for a person (identifier RPPS, name, profession). */
json_t *erx_practitioner(const struct erx_person *p);

/* The unsigned prescription Bundle. NULL on allocation failure. */
json_t *erx_prescription_bundle(json_t *patient, const struct erx_person *prescriber,
				const struct erx_item *items, size_t n, const char *timestamp);

/* What a prescription bundle says (checked for shape). Strings point into the
 * bundle. */
struct erx_pline {
	const char *line;         /* "1".."n" */
	const char *system, *code, *display;
	const char *dosage, *unit;
	long long quantity;
	int substitution;
};
struct erx_presc {
	const char *bundle_id;
	const char *timestamp;
	const char *patient_family, *patient_given, *patient_birth, *patient_gender;
	const char *patient_ins;
	const char *prescriber_fullurl;
	struct erx_person prescriber;
	struct erx_pline *lines;  /* free() */
	size_t nlines;
};
int erx_presc_parse(json_t *bundle, struct erx_presc *p, char *err, size_t errlen);
void erx_presc_free(struct erx_presc *p);

/* The unsigned dispensation Bundle for lines of the prescription p. Checks
 * that every line exists, quantities are positive, and substitution is
 * allowed where asked; -1 with err otherwise. */
json_t *erx_dispensation_bundle(const char *prescription_id, const struct erx_presc *p,
				const struct erx_person *pharmacist,
				const struct erx_dline *lines, size_t n, const char *timestamp,
				char *err, size_t errlen);

/* The Bundle.identifier.value, NULL when missing. */
const char *erx_bundle_id(const json_t *bundle);
/* "prescription", "dispensation", or NULL when it is neither. */
const char *erx_bundle_kind(const json_t *bundle);
/* fullUrl of the first entry whose resource has this resourceType. */
const char *erx_entry_fullurl(const json_t *bundle, const char *type);

/* --------------------------------------------------------------- sig.c */

/* Make the JWS over the bundle (without "signature") and set Bundle.signature.
 * The signer gets the SHA-256 of the signing input. 0 or -1 with err. */
typedef int (*erx_sign_fn)(void *ctx, const uint8_t sha256[32], uint8_t *sig, size_t *siglen,
			   char *err, size_t errlen);
int erx_sign_bundle(json_t *bundle, int dispensation, const uint8_t *cert_der, size_t cert_len,
		    const char *chain_file, const char *timestamp, erx_sign_fn sign, void *ctx,
		    char *err, size_t errlen);

/* Check Bundle.signature: the JWS over our JCS of the bundle without it, the
 * x5c chain against ca_file, and that signature.who is the Practitioner the
 * certificate names. On success *signer is the certificate's person. 0, or -1
 * with err saying what is wrong. */
int erx_verify_bundle(const json_t *bundle, const char *ca_file, struct erx_person *signer,
		      char *err, size_t errlen);

/* ------------------------------------------------------------ outbox.c */

/* The outbox directory: $XDG_STATE_HOME/santecard/erx/outbox (default
 * ~/.local/state/...), created 0700 (and its parents). 0 or -1 with err. */
int erx_outbox_dir(char *out, size_t outlen, int create, char *err, size_t errlen);
/* Keep a signed bundle (the bytes to send) as DIR/<uuid>.json, 0600, written
 * atomically. The same bundle id twice keeps the first. 0 or -1. */
int erx_outbox_put(const char *dir, const char *bundle_id, const char *body, size_t len,
		   char *err, size_t errlen);

struct erx_outbox_entry {
	char name[128];         /* file name */
	char *body;             /* content (NULL when unreadable), NUL-terminated */
	size_t len;
	char problem[200];      /* why it is unusable ("" when usable) */
	json_t *bundle;         /* parsed, NULL when unusable */
	const char *kind;       /* erx_bundle_kind */
};
/* The entries, sorted by name; unusable files are listed with a problem. */
int erx_outbox_list(const char *dir, struct erx_outbox_entry **out, size_t *n, char *err,
		    size_t errlen);
void erx_outbox_free(struct erx_outbox_entry *e, size_t n);
/* After a 200/201: remove. 0 or -1. */
int erx_outbox_done(const char *dir, const char *name, char *err, size_t errlen);
/* After a 4xx: move to DIR/rejected/ with NAME.reason beside. 0 or -1. */
int erx_outbox_reject(const char *dir, const char *name, const char *reason, char *err,
		      size_t errlen);

/* ---------------------------------------------------------------- qr.c */

/* Encode text as a QR code and write it as a PNG (scale px per module, 4
 * modules of quiet zone), atomically. 0 or -1 with err. */
int erx_qr_png(const char *text, const char *path, int scale, char *err, size_t errlen);
/* Print the QR code with UTF-8 half blocks (dark on light). */
int erx_qr_term(const char *text, FILE *f);
/* Decode the first QR code of a PNG file (zbar). malloc()ed text or NULL + err. */
char *erx_qr_read_png(const char *path, char *err, size_t errlen);

#endif
