/* vitale.h - santecard-vitale: shared types of the kiosk and desk reader. */
#ifndef STC_VITALE_TOOL_H
#define STC_VITALE_TOOL_H

#include <stddef.h>
#include <stdint.h>

#include "santecard.h"

/* Exit codes (docs/santecard-vitale.1). 0-4 mean what they mean for santecard. */
enum {
	VX_OK = 0,
	VX_ERROR = 1,        /* another failure (message on stderr) */
	VX_USAGE = 2,        /* bad command line */
	VX_TIMEOUT = 3,      /* read --wait: no card in time */
	VX_NO_SERVICE = 4,   /* pcscd is not running */
	VX_NO_READER = 10,   /* no reader (or not the one named) */
	VX_NO_CARD = 11,     /* no card in the reader(s) */
	VX_NOT_VITALE = 12,  /* a card that is not a readable carte Vitale 2 */
	VX_UNREADABLE = 13,  /* a carte Vitale whose data could not be read or parsed */
	VX_BAD_NIR = 14      /* read, but a NIR's key does not check */
};

/* Version of the JSON documents' layout ("schema" member). */
#define VITALE_SCHEMA 1

/* ---------------------------------------------------------- text buffer */

/* Growable text buffer. On allocation failure it stops growing and sets oom.
 * It may hold personal data: sb_free wipes it. */
struct sbuf {
	char *p;
	size_t len, cap;
	int oom;
};

void sb_init(struct sbuf *b);
void sb_free(struct sbuf *b);
void sb_reset(struct sbuf *b);                 /* wipe, keep the memory */
void sb_putn(struct sbuf *b, const char *s, size_t n);
void sb_puts(struct sbuf *b, const char *s);
void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_json_str(struct sbuf *b, const char *s);  /* "..." with RFC 8259 escapes */
void sb_json_str_or_null(struct sbuf *b, const char *s);  /* null for "" */
void sb_hex(struct sbuf *b, const uint8_t *d, size_t n);
/* An HL7 v2 field component: | ^ ~ \ & escaped (\F\ \S\ \R\ \E\ \T\), and CR/LF dropped. */
void sb_hl7_str(struct sbuf *b, const char *s);
const char *sb_str(const struct sbuf *b);      /* "" when empty */

/* -------------------------------------------------------- a card read */

enum vcard_result {
	VC_OK = 0,          /* a carte Vitale 2, beneficiaries read */
	VC_NOT_VITALE,      /* CPS, unknown card ... */
	VC_VITALE1,         /* carte Vitale 1: its data coding is not public */
	VC_UNREADABLE,      /* corrupt data, mute card, transmission failure */
	VC_BUSY,            /* another application holds the card exclusively */
	VC_GONE             /* the card or the reader went away while reading */
};

struct vcard {
	char reader[STC_READER_NAME_MAX];
	uint8_t atr[STC_ATR_MAX];
	size_t atr_len;
	stc_card_kind kind;
	char card_name[96];
	enum vcard_result result;
	stc_rv rv;                  /* the library's reason when result != VC_OK */
	size_t count;
	stc_beneficiary ben[STC_VITALE_MAX_BENEFICIARIES];
};

/* Connect to the card in reader and read it. Never fails: the outcome is in v. */
void vcard_read(stc_ctx *ctx, const char *reader, struct vcard *v);
/* Wipe the personal data. */
void vcard_wipe(struct vcard *v);
/* Number of beneficiaries whose NIR is there but whose key does not check. */
size_t vcard_bad_nirs(const struct vcard *v);
/* Stable identifier of a result for JSON ("not-vitale" ...), NULL for VC_OK. */
const char *vcard_error_id(enum vcard_result r);
/* One English sentence saying what went wrong (no personal data). */
void vcard_error_text(const struct vcard *v, char *out, size_t outlen);

/* ------------------------------------------------------------ renderers */

struct render_opts {
	stc_ins_system ins;         /* OID put on the NIRs (default INS-NIR-TEST) */
};

/* "YYYY-MM-DD" from a card's AAAAMMJJ when it is a calendar date, else "". */
void birth_iso(const char *aaaammjj, char out[11]);

/* JSON documents, one line each, no trailing newline. */
void render_json_card(struct sbuf *b, const struct vcard *v, const struct render_opts *o);
void render_json_removed(struct sbuf *b, const char *reader);
void render_text(struct sbuf *b, const struct vcard *v, const struct render_opts *o);
void render_fhir(struct sbuf *b, const struct vcard *v, const struct render_opts *o);
void render_hl7(struct sbuf *b, const struct vcard *v, const struct render_opts *o);

/* --------------------------------------------------------------- watcher */

/* What the watcher reports. */
enum wevent_kind {
	WE_CARD,        /* a card was inserted and read (vc holds the outcome) */
	WE_REMOVED,     /* the card of reader left */
	WE_READERS,     /* the number of readers changed (readers), or the service */
	WE_TICK         /* nothing happened for a while (about 500 ms) */
};

struct wevent {
	enum wevent_kind kind;
	const struct vcard *vc;     /* WE_CARD */
	const char *reader;         /* WE_CARD, WE_REMOVED */
	int readers;                /* WE_READERS: readers known; -1 = pcscd not reachable */
};

typedef void (*watch_cb)(const struct wevent *ev, void *arg);

/*
 * Watch readers and cards until *stop becomes non-zero: the cards present at
 * start are reported as WE_CARD, then every insertion and removal. Survives
 * pcscd being absent at start or restarting, and readers coming and going.
 * Returns VX_OK when stopped.
 */
int watch_run(watch_cb cb, void *arg, volatile int *stop);

/* ---------------------------------------------------------------- HTTP */

enum http_parse {
	HTTP_INCOMPLETE = 0,
	HTTP_OK,
	HTTP_BAD,               /* 400 */
	HTTP_TOO_LARGE,         /* 431 */
	HTTP_BAD_METHOD,        /* 405 */
	HTTP_BAD_VERSION        /* 505 */
};

struct http_req {
	char path[128];         /* without the query string */
	char host[128];         /* the Host header, "" when absent */
};

/* Parse a request head from buf[0..len). HTTP_INCOMPLETE until the blank line. */
enum http_parse http_parse_request(const char *buf, size_t len, size_t max, struct http_req *r);
/* Host header acceptable for a server bound to a loopback address on port:
 * 127.0.0.1:port, localhost:port, [::1]:port, or exactly allowed (if not NULL). */
int http_host_ok(const char *host, unsigned port, const char *allowed);

/* A web asset built into the program (web_assets.c, made from web/). */
struct web_asset {
	const char *path;
	const char *type;
	const unsigned char *data;
	size_t len;
};
extern const struct web_asset web_assets[];
extern const size_t web_asset_count;

/* ------------------------------------------------------------ commands */

int cmd_read(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_serve(int argc, char **argv);

extern const char *vtool_name;
/* Parse "test", "nir", "demo" (and "nia"). */
int parse_ins_system(const char *s, stc_ins_system *out);
/* stc_rv -> exit code and a message on stderr, for failures before any card. */
int vfail(stc_rv rv, const char *what);
void vusage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
