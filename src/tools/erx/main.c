/*
 * main.c - santecard-erx: the command line, the configuration, and the
 * commands (prescribe, fetch, dispense, outbox, qr). See santecard-erx(1).
 */
#include "config.h"

#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cps.h"
#include "erx.h"
#include "patient.h"
#include "service.h"
#include "show.h"

const char *erx_name = "santecard-erx";
const char *tool_name = "santecard-erx";   /* pin_input.c's messages */

#ifndef ERX_PKI_DIR
#define ERX_PKI_DIR "/var/lib/santecard/pki"
#endif

struct opts {
	const char *cmd;
	const char *url, *ca, *ca_certs, *chain, *reader, *config;
	const char *patient, *items, *vitale_reader, *qr_out, *qr, *id, *lines;
	int beneficiary;
	int pin_fd;
	int keypad;          /* 1 --pinpad, 0 --no-pinpad, -1 when the reader has one */
	int quiet, json;
	long timeout_ms;
	char conf_url[1024], conf_ca[1024], conf_ca_certs[1024], conf_chain[1024];
	char def_chain[1024], def_ca_certs[1024];
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: santecard-erx prescribe --patient vitale|FILE --items FILE [options]\n"
		"       santecard-erx fetch --qr IMAGE | --id ID [--json] [options]\n"
		"       santecard-erx dispense --id ID | --qr IMAGE --lines FILE [--json] [options]\n"
		"       santecard-erx outbox list [--json]\n"
		"       santecard-erx outbox send [options]\n"
		"       santecard-erx qr ID [--qr-out FILE] [--quiet]\n\n"
		"e-prescription with a CPS: sign and send prescriptions (QR code of the id),\n"
		"fetch and verify them, sign and send dispensations.\n\n"
		"  --patient vitale|FILE  the patient: the carte Vitale, or a FHIR Patient file\n"
		"  --beneficiary N        which beneficiary of the carte Vitale (1 = first)\n"
		"  --vitale-reader NAME   the reader of the carte Vitale (default: found)\n"
		"  --items FILE           the prescription lines (JSON, see santecard-erx(1))\n"
		"  --lines FILE           the dispensed lines (JSON)\n"
		"  --id ID, --qr IMAGE    the prescription: its id, or a PNG of its QR code\n"
		"  --qr-out FILE          prescribe, qr: the PNG to write (default: ID.png)\n"
		"  -r, --reader NAME      the CPS's reader (default: the first holding a CPS)\n"
		"  --pin-fd N             read the PIN from file descriptor N (scripts)\n"
		"  --pinpad, --no-pinpad  type the PIN on the reader's keypad (default when it\n"
		"                         has one), or not\n"
		"  --url URL              the service (SANTECARD_ERX_URL, config \"url\")\n"
		"  --ca FILE              the service's CA certificates (SANTECARD_ERX_CA)\n"
		"  --chain FILE           the CA chain put in signatures (SANTECARD_ERX_CHAIN;\n"
		"                         default: the test IGC-Sante chain)\n"
		"  --ca-certs FILE        the CAs signatures are verified against\n"
		"                         (SANTECARD_ERX_CA_CERTS; default: the test IGC-Sante root)\n"
		"  --config FILE          configuration file (default:\n"
		"                         $XDG_CONFIG_HOME/santecard/erx.conf)\n"
		"  --timeout MS           network timeout (default 30000)\n"
		"  -j, --json             machine-readable output\n"
		"  -q, --quiet            prescribe, qr: no terminal QR code, only the id\n"
		"  -h, --help             show this help\n\n"
		"Exit status: 0 done, 1 other failure, 2 bad command line or input file,\n"
		"4 no pcscd, 5 wrong PIN, 6 PIN blocked, 10 card problem (no CPS or carte\n"
		"Vitale, card pulled), 20 refused by the service, 21 service unreachable\n"
		"(bundle kept in the outbox), 22 a signature or certificate does not verify,\n"
		"23 TLS with the service failed. See santecard-erx(1).\n");
}

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", erx_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help' for more information.\n", erx_name);
}

/* ------------------------------------------------------------ configuration */

static void trim(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	n = strspn(s, " \t");
	memmove(s, s + n, strlen(s + n) + 1);
}

/* key = value lines, # comments. A missing default file is fine. */
static int read_config(struct opts *o)
{
	char path[1024], line[1200];
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	FILE *f;
	int lineno = 0;

	if (o->config)
		snprintf(path, sizeof(path), "%s", o->config);
	else if (xdg && xdg[0] == '/')
		snprintf(path, sizeof(path), "%s/santecard/erx.conf", xdg);
	else if (home && home[0] == '/')
		snprintf(path, sizeof(path), "%s/.config/santecard/erx.conf", home);
	else
		return 0;
	f = fopen(path, "r");
	if (!f) {
		if (!o->config)
			return 0;
		fprintf(stderr, "%s: --config %s: cannot be read\n", erx_name, path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *eq, *k, *v;

		lineno++;
		trim(line);
		if (!line[0] || line[0] == '#')
			continue;
		eq = strchr(line, '=');
		if (!eq) {
			fprintf(stderr, "%s: %s:%d: \"key = value\" expected\n", erx_name, path, lineno);
			fclose(f);
			return -1;
		}
		*eq = '\0';
		k = line;
		v = eq + 1;
		trim(k);
		trim(v);
		if (strcmp(k, "url") == 0)
			snprintf(o->conf_url, sizeof(o->conf_url), "%s", v);
		else if (strcmp(k, "ca") == 0)
			snprintf(o->conf_ca, sizeof(o->conf_ca), "%s", v);
		else if (strcmp(k, "ca-certs") == 0)
			snprintf(o->conf_ca_certs, sizeof(o->conf_ca_certs), "%s", v);
		else if (strcmp(k, "chain") == 0)
			snprintf(o->conf_chain, sizeof(o->conf_chain), "%s", v);
		else {
			fprintf(stderr, "%s: %s:%d: unknown key \"%s\"\n", erx_name, path, lineno, k);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

static const char *pick(const char *opt, const char *env, const char *conf, const char *def)
{
	const char *e = env ? getenv(env) : NULL;

	if (opt)
		return opt;
	if (e && *e)
		return e;
	if (conf && *conf)
		return conf;
	return def && *def ? def : NULL;
}

static int resolve(struct opts *o)
{
	const char *pki = getenv("SANTECARD_PKI_DIR");

	if (read_config(o))
		return -1;
	/* the test bed (and `make check`) name the generated test PKI */
	snprintf(o->def_chain, sizeof(o->def_chain), "%s/ca/chain.pem",
		 pki && *pki ? pki : ERX_PKI_DIR);
	snprintf(o->def_ca_certs, sizeof(o->def_ca_certs), "%s/ca/root.crt.pem",
		 pki && *pki ? pki : ERX_PKI_DIR);
	o->url = pick(o->url, "SANTECARD_ERX_URL", o->conf_url, NULL);
	o->ca = pick(o->ca, "SANTECARD_ERX_CA", o->conf_ca, NULL);
	o->chain = pick(o->chain, "SANTECARD_ERX_CHAIN", o->conf_chain, o->def_chain);
	o->ca_certs = pick(o->ca_certs, "SANTECARD_ERX_CA_CERTS", o->conf_ca_certs,
			   o->def_ca_certs);
	return 0;
}

static int need_url(const struct opts *o)
{
	if (!o->url) {
		fprintf(stderr, "%s: no service URL: --url, SANTECARD_ERX_URL or \"url\" in the "
			"configuration file\n", erx_name);
		return -1;
	}
	if (strncmp(o->url, "https://", 8) != 0) {
		fprintf(stderr, "%s: the service URL must be https:// (TLS with the CPS)\n",
			erx_name);
		return -1;
	}
	return 0;
}

static void svc_setup(struct svc *s, const struct opts *o, const struct erx_cps *c)
{
	size_t n;

	memset(s, 0, sizeof(*s));
	snprintf(s->base, sizeof(s->base), "%s", o->url);
	n = strlen(s->base);
	while (n && s->base[n - 1] == '/')
		s->base[--n] = '\0';
	s->tls.ca_file = o->ca;
	s->tls.auth = HTTP_AUTH_CARD;
	s->tls.p11_cert_uri = c->cert_uri;
	s->tls.p11_key_uri = c->key_uri;
	s->tls.pin = c->pin;
	s->tls.tls12_only = 1;
	s->timeout_ms = o->timeout_ms;
}

/* Exit code for a service result that is not SVC_DONE, after the message. */
static int svc_fail(enum svc_result r, const struct svc_reply *rep, const char *err)
{
	fprintf(stderr, "%s: %s\n", erx_name, err);
	switch (r) {
	case SVC_REFUSED:
		if (strcmp(rep->code, "wrong_signer") == 0)
			fprintf(stderr, "%s: the service does not accept this signer for this "
				"operation (only a doctor, dentist or midwife prescribes; only a "
				"pharmacist dispenses)\n", erx_name);
		else if (strcmp(rep->code, "bad_signature") == 0)
			fprintf(stderr, "%s: the service could not verify the signature or its "
				"certificate chain\n", erx_name);
		return ERX_REFUSED;
	case SVC_TRANSIENT:
		return ERX_QUEUED;
	case SVC_TLS:
		return ERX_TLS;
	case SVC_CLIENT_KEY:
		return ERX_CARD;
	default:
		return ERX_ERROR;
	}
}

/* ---------------------------------------------------------- the common steps */

/* The CPS opened and logged in (the PIN asked once). */
static int open_cps(struct erx_cps *c, stc_ctx *ctx, const struct opts *o)
{
	int code = erx_cps_open(c, ctx, o->reader);

	if (code != ERX_OK)
		return code;
	code = erx_cps_login(c, o->pin_fd, o->keypad);
	if (code != ERX_OK)
		erx_cps_close(c);
	return code;
}

/* Sign bundle and serialise it (the bytes sent and kept). */
static int sign_and_dump(struct erx_cps *c, const struct opts *o, json_t *bundle,
			 int dispensation, const char *ts, char **body)
{
	char err[512];

	if (erx_sign_bundle(bundle, dispensation, c->sign_cert, c->sign_cert_len, o->chain, ts,
			    erx_cps_sign, c, err, sizeof(err)))
		return erx_cps_sign_failed(c, err);
	*body = json_dumps(bundle, JSON_COMPACT);
	if (!*body) {
		fprintf(stderr, "%s: out of memory\n", erx_name);
		return ERX_ERROR;
	}
	return ERX_OK;
}

/* After a transient failure: keep the signed bundle. */
static int queue(const json_t *bundle, const char *body)
{
	char dir[4096], err[512];

	if (erx_outbox_dir(dir, sizeof(dir), 1, err, sizeof(err)) ||
	    erx_outbox_put(dir, erx_bundle_id(bundle), body, strlen(body), err, sizeof(err))) {
		fprintf(stderr, "%s: the bundle could NOT be kept in the outbox: %s\n", erx_name,
			err);
		return ERX_ERROR;
	}
	fprintf(stderr, "%s: the signed bundle is kept in the outbox (%s); send it later with "
		"'santecard-erx outbox send'\n", erx_name, dir);
	return ERX_QUEUED;
}

static int write_qr(const char *id, const struct opts *o)
{
	char path[1024], err[512];

	snprintf(path, sizeof(path), "%s", o->qr_out ? o->qr_out : id);
	if (!o->qr_out)
		strncat(path, ".png", sizeof(path) - strlen(path) - 1);
	if (erx_qr_png(id, path, 8, err, sizeof(err))) {
		fprintf(stderr, "%s: the QR code: %s\n", erx_name, err);
		return ERX_ERROR;
	}
	if (!o->quiet) {
		printf("QR code: %s\n", path);
		erx_qr_term(id, stdout);
	}
	return ERX_OK;
}

/* The prescription id from --id or --qr, normalised. */
static int get_id(const struct opts *o, char id[18])
{
	char err[512];
	char *text;

	if (o->id) {
		if (!erx_id_check(o->id, id)) {
			fprintf(stderr, "%s: '%s' is not a prescription id (EP-XXXX-XXXX-XXXX with "
				"its check character)\n", erx_name, o->id);
			return ERX_USAGE;
		}
		return ERX_OK;
	}
	text = erx_qr_read_png(o->qr, err, sizeof(err));
	if (!text) {
		fprintf(stderr, "%s: --qr %s\n", erx_name, err);
		return ERX_USAGE;
	}
	if (!erx_id_check(text, id)) {
		fprintf(stderr, "%s: the QR code of %s does not hold a prescription id\n", erx_name,
			o->qr);
		free(text);
		return ERX_USAGE;
	}
	free(text);
	return ERX_OK;
}

/* GET the prescription, verify it, parse it; and the quantities dispensed. */
static int fetch_verified(struct svc *s, const struct opts *o, const char *id, json_t **bundle,
			  struct erx_presc *p, struct erx_person *signer, long long **dispensed,
			  size_t *unverified)
{
	struct svc_reply rep;
	enum svc_result r;
	char path[64], err[1024];

	*bundle = NULL;
	*dispensed = NULL;
	snprintf(path, sizeof(path), "prescriptions/%s", id);
	r = svc_get(s, path, &rep, err, sizeof(err));
	if (r != SVC_DONE) {
		int code = svc_fail(r, &rep, err);

		if (r == SVC_REFUSED && rep.status == 404)
			fprintf(stderr, "%s: no prescription %s at the service\n", erx_name, id);
		svc_reply_free(&rep);
		/* nothing was queued: a fetch has nothing to keep */
		return code == ERX_QUEUED ? ERX_ERROR : code;
	}
	if (!rep.json || !json_is_object(rep.json)) {
		fprintf(stderr, "%s: NOT VERIFIED: the service's answer is not a JSON Bundle\n",
			erx_name);
		svc_reply_free(&rep);
		return ERX_VERIFY;
	}
	*bundle = json_incref(rep.json);
	svc_reply_free(&rep);
	if (erx_verify_bundle(*bundle, o->ca_certs, signer, err, sizeof(err))) {
		fprintf(stderr, "%s: prescription %s NOT VALID: %s\n", erx_name, id, err);
		goto bad;
	}
	if (erx_presc_parse(*bundle, p, err, sizeof(err))) {
		fprintf(stderr, "%s: prescription %s NOT VALID: %s\n", erx_name, id, err);
		goto bad;
	}
	if (strcmp(p->prescriber.idnat, signer->idnat) != 0) {
		fprintf(stderr, "%s: prescription %s NOT VALID: the prescriber is not the signer\n",
			erx_name, id);
		erx_presc_free(p);
		goto bad;
	}
	*dispensed = calloc(p->nlines, sizeof(**dispensed));
	if (!*dispensed) {
		erx_presc_free(p);
		goto bad;
	}
	snprintf(path, sizeof(path), "prescriptions/%s/dispensations", id);
	r = svc_get(s, path, &rep, err, sizeof(err));
	if (r != SVC_DONE || erx_dispensed(rep.json, id, o->ca_certs, p, *dispensed,
					   unverified)) {
		int code = r == SVC_DONE ? ERX_ERROR : svc_fail(r, &rep, err);

		if (r == SVC_DONE)
			fprintf(stderr, "%s: the service's list of dispensations is malformed\n",
				erx_name);
		svc_reply_free(&rep);
		erx_presc_free(p);
		free(*dispensed);
		*dispensed = NULL;
		json_decref(*bundle);
		*bundle = NULL;
		return code == ERX_QUEUED ? ERX_ERROR : code;
	}
	svc_reply_free(&rep);
	return ERX_OK;
bad:
	json_decref(*bundle);
	*bundle = NULL;
	return ERX_VERIFY;
}

/* --------------------------------------------------------------- commands */

static int cmd_prescribe(const struct opts *o, stc_ctx *ctx)
{
	struct erx_item *items = NULL;
	struct erx_cps c;
	struct svc s;
	struct svc_reply rep = { 0 };
	json_t *items_json, *patient = NULL, *bundle = NULL;
	char err[1024], ts[32], id[18];
	char *body = NULL;
	size_t n;
	enum svc_result r;
	int code;

	items_json = erx_json_load(o->items, err, sizeof(err));
	if (!items_json) {
		fprintf(stderr, "%s: --items %s\n", erx_name, err);
		return ERX_USAGE;
	}
	if (erx_items_parse(items_json, &items, &n, err, sizeof(err))) {
		fprintf(stderr, "%s: --items %s: %s\n", erx_name, o->items, err);
		json_decref(items_json);
		return ERX_USAGE;
	}
	if (strcmp(o->patient, "vitale") == 0)
		code = erx_patient_vitale(ctx, o->vitale_reader, o->beneficiary, &patient);
	else
		code = erx_patient_file(o->patient, &patient);
	if (code != ERX_OK)
		goto out_items;
	code = erx_cps_open(&c, ctx, o->reader);
	if (code != ERX_OK)
		goto out_items;
	erx_timestamp(ts);
	bundle = erx_prescription_bundle(patient, &c.person, items, n, ts);
	if (!bundle) {
		fprintf(stderr, "%s: out of memory\n", erx_name);
		code = ERX_ERROR;
		goto out_card;
	}
	code = erx_cps_login(&c, o->pin_fd, o->keypad);
	if (code != ERX_OK)
		goto out_card;
	code = sign_and_dump(&c, o, bundle, 0, ts, &body);
	if (code != ERX_OK || !body)
		goto out_card;
	svc_setup(&s, o, &c);
	r = svc_post_bundle(&s, "prescriptions", body, strlen(body), &rep, err, sizeof(err));
	erx_cps_close(&c);
	if (r == SVC_TRANSIENT) {
		fprintf(stderr, "%s: %s\n", erx_name, err);
		code = queue(bundle, body);
		goto out;
	}
	if (r != SVC_DONE) {
		code = svc_fail(r, &rep, err);
		goto out;
	}
	if (!json_is_string(json_object_get(rep.json, "prescriptionId")) ||
	    !erx_id_check(json_string_value(json_object_get(rep.json, "prescriptionId")), id)) {
		fprintf(stderr, "%s: the service accepted the prescription but sent no valid "
			"prescription id\n", erx_name);
		code = ERX_ERROR;
		goto out;
	}
	printf("%s\n", id);
	fflush(stdout);
	code = write_qr(id, o);
	goto out;
out_card:
	erx_cps_close(&c);
out:
	svc_reply_free(&rep);
	free(body);
	json_decref(bundle);
	json_decref(patient);
out_items:
	free(items);
	json_decref(items_json);
	return code;
}

static int cmd_fetch(const struct opts *o, stc_ctx *ctx)
{
	struct erx_cps c;
	struct erx_presc p;
	struct erx_person signer;
	struct svc s;
	json_t *bundle;
	long long *dispensed;
	size_t unverified = 0;
	char id[18];
	int code = get_id(o, id);

	if (code != ERX_OK)
		return code;
	code = open_cps(&c, ctx, o);
	if (code != ERX_OK)
		return code;
	svc_setup(&s, o, &c);
	code = fetch_verified(&s, o, id, &bundle, &p, &signer, &dispensed, &unverified);
	erx_cps_close(&c);
	if (code != ERX_OK)
		return code;
	erx_show_prescription(stdout, o->json, id, &p, &signer, dispensed, unverified);
	free(dispensed);
	erx_presc_free(&p);
	json_decref(bundle);
	return ERX_OK;
}

static int cmd_dispense(const struct opts *o, stc_ctx *ctx)
{
	struct erx_dline *lines = NULL;
	struct erx_cps c;
	struct erx_presc p;
	struct erx_person signer;
	struct svc s;
	struct svc_reply rep = { 0 };
	json_t *lines_json, *presc = NULL, *bundle = NULL;
	long long *dispensed = NULL;
	size_t n, unverified;
	char id[18], err[1024], ts[32];
	char *body = NULL;
	enum svc_result r;
	int code;

	lines_json = erx_json_load(o->lines, err, sizeof(err));
	if (!lines_json) {
		fprintf(stderr, "%s: --lines %s\n", erx_name, err);
		return ERX_USAGE;
	}
	if (erx_lines_parse(lines_json, &lines, &n, err, sizeof(err))) {
		fprintf(stderr, "%s: --lines %s: %s\n", erx_name, o->lines, err);
		json_decref(lines_json);
		return ERX_USAGE;
	}
	code = get_id(o, id);
	if (code != ERX_OK)
		goto out_lines;
	code = open_cps(&c, ctx, o);
	if (code != ERX_OK)
		goto out_lines;
	svc_setup(&s, o, &c);
	code = fetch_verified(&s, o, id, &presc, &p, &signer, &dispensed, &unverified);
	if (code != ERX_OK)
		goto out_card;
	erx_timestamp(ts);
	bundle = erx_dispensation_bundle(id, &p, &c.person, lines, n, ts, err, sizeof(err));
	if (!bundle) {
		fprintf(stderr, "%s: %s; nothing was signed or sent\n", erx_name, err);
		code = ERX_USAGE;
		goto out_card;
	}
	code = erx_cps_relogin(&c);
	if (code != ERX_OK)
		goto out_card;
	code = sign_and_dump(&c, o, bundle, 1, ts, &body);
	if (code != ERX_OK || !body)
		goto out_card;
	r = svc_post_bundle(&s, "dispensations", body, strlen(body), &rep, err, sizeof(err));
	erx_cps_close(&c);
	if (r == SVC_TRANSIENT) {
		fprintf(stderr, "%s: %s\n", erx_name, err);
		code = queue(bundle, body);
	} else if (r != SVC_DONE) {
		code = svc_fail(r, &rep, err);
	} else {
		erx_show_ack(stdout, o->json, rep.json);
		code = ERX_OK;
	}
	goto out;
out_card:
	erx_cps_close(&c);
out:
	svc_reply_free(&rep);
	free(body);
	json_decref(bundle);
	if (presc) {
		erx_presc_free(&p);
		json_decref(presc);
	}
	free(dispensed);
out_lines:
	free(lines);
	json_decref(lines_json);
	return code;
}

static int outbox_list(const struct opts *o)
{
	struct erx_outbox_entry *e;
	char dir[4096], err[512];
	size_t n;

	if (erx_outbox_dir(dir, sizeof(dir), 0, err, sizeof(err)) ||
	    erx_outbox_list(dir, &e, &n, err, sizeof(err))) {
		fprintf(stderr, "%s: the outbox: %s\n", erx_name, err);
		return ERX_ERROR;
	}
	if (o->json) {
		json_t *arr = json_array();
		char *txt;

		for (size_t i = 0; i < n; i++) {
			const char *ts = e[i].bundle ?
				json_string_value(json_object_get(e[i].bundle, "timestamp")) : NULL;

			json_array_append_new(arr, json_pack("{s:s, s:o, s:o, s:o, s:o}",
				"file", e[i].name,
				"bundleId", e[i].bundle ? json_string(erx_bundle_id(e[i].bundle)) :
							  json_null(),
				"kind", e[i].kind ? json_string(e[i].kind) : json_null(),
				"timestamp", ts ? json_string(ts) : json_null(),
				"problem", e[i].problem[0] ? json_string(e[i].problem) : json_null()));
		}
		txt = json_dumps(arr, JSON_COMPACT | JSON_ENSURE_ASCII);
		printf("%s\n", txt ? txt : "[]");
		free(txt);
		json_decref(arr);
	} else {
		if (!n)
			printf("The outbox is empty.\n");
		for (size_t i = 0; i < n; i++) {
			const char *ts = e[i].bundle ?
				json_string_value(json_object_get(e[i].bundle, "timestamp")) : NULL;

			if (e[i].problem[0])
				printf("%s  unusable: %s\n", e[i].name, e[i].problem);
			else
				printf("%s  %s  %s\n", e[i].name, e[i].kind, ts ? ts : "");
		}
	}
	erx_outbox_free(e, n);
	return ERX_OK;
}

static int outbox_send(const struct opts *o, stc_ctx *ctx)
{
	struct erx_outbox_entry *e;
	struct erx_cps c;
	struct svc s;
	char dir[4096], err[1024];
	size_t n, usable = 0, sent = 0, rejected = 0, skipped = 0;
	int code = ERX_OK;

	if (erx_outbox_dir(dir, sizeof(dir), 0, err, sizeof(err)) ||
	    erx_outbox_list(dir, &e, &n, err, sizeof(err))) {
		fprintf(stderr, "%s: the outbox: %s\n", erx_name, err);
		return ERX_ERROR;
	}
	for (size_t i = 0; i < n; i++) {
		if (e[i].problem[0]) {
			fprintf(stderr, "%s: skipped %s: %s\n", erx_name, e[i].name, e[i].problem);
			skipped++;
		} else {
			usable++;
		}
	}
	if (!usable) {
		printf("Nothing to send.\n");
		erx_outbox_free(e, n);
		return skipped ? ERX_ERROR : ERX_OK;
	}
	if (need_url(o)) {
		erx_outbox_free(e, n);
		return ERX_USAGE;
	}
	code = open_cps(&c, ctx, o);
	if (code != ERX_OK) {
		erx_outbox_free(e, n);
		return code;
	}
	svc_setup(&s, o, &c);
	for (size_t i = 0; i < n && code == ERX_OK; i++) {
		struct svc_reply rep;
		enum svc_result r;
		int dispensation;

		if (e[i].problem[0])
			continue;
		dispensation = strcmp(e[i].kind, "dispensation") == 0;
		r = svc_post_bundle(&s, dispensation ? "dispensations" : "prescriptions", e[i].body,
				    e[i].len, &rep, err, sizeof(err));
		if (r == SVC_DONE) {
			const char *pid = json_string_value(json_object_get(rep.json,
									     "prescriptionId"));
			const char *did = json_string_value(json_object_get(rep.json,
									     "dispensationId"));
			const char *st = json_string_value(json_object_get(rep.json, "status"));

			printf("sent %s: %s %s%s%s\n", erx_bundle_id(e[i].bundle), e[i].kind,
			       dispensation ? (did ? did : "?") : (pid ? pid : "?"),
			       st ? " " : "", st ? st : "");
			if (erx_outbox_done(dir, e[i].name, err, sizeof(err))) {
				fprintf(stderr, "%s: delivered but not removed from the outbox: %s\n",
					erx_name, err);
				code = ERX_ERROR;
			}
			sent++;
		} else if (r == SVC_REFUSED) {
			fprintf(stderr, "%s: %s refused: %s\n", erx_name, e[i].name, err);
			if (erx_outbox_reject(dir, e[i].name, err, err, sizeof(err)))
				fprintf(stderr, "%s: could not move it to rejected/: %s\n", erx_name,
					err);
			rejected++;
		} else {
			/* the service is down again: stop, keep the rest */
			code = svc_fail(r, &rep, err);
		}
		svc_reply_free(&rep);
	}
	erx_cps_close(&c);
	erx_outbox_free(e, n);
	printf("%zu sent, %zu rejected, %zu left in the outbox\n", sent, rejected,
	       usable - sent - rejected);
	if (code == ERX_OK && rejected)
		code = ERX_REFUSED;
	if (code == ERX_OK && skipped)
		code = ERX_ERROR;
	return code;
}

static int cmd_qr(const struct opts *o, const char *arg)
{
	char id[18];

	if (!erx_id_check(arg, id)) {
		fprintf(stderr, "%s: '%s' is not a prescription id\n", erx_name, arg);
		return ERX_USAGE;
	}
	if (o->quiet)
		printf("%s\n", id);
	return write_qr(id, o);
}

/* ------------------------------------------------------------ command line */

static int parse_int(const char *s, long lo, long hi, long *v)
{
	char *end;

	if (!*s || *s == '+' || *s == ' ')
		return -1;
	*v = strtol(s, &end, 10);
	return *end || *v < lo || *v > hi ? -1 : 0;
}

enum { O_PATIENT = 256, O_ITEMS, O_BEN, O_VREADER, O_QROUT, O_QR, O_ID, O_LINES, O_PINFD,
       O_PINPAD, O_NOPINPAD, O_URL, O_CA, O_CHAIN, O_CACERTS, O_CONFIG, O_TIMEOUT };

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "patient", required_argument, NULL, O_PATIENT },
		{ "items", required_argument, NULL, O_ITEMS },
		{ "beneficiary", required_argument, NULL, O_BEN },
		{ "vitale-reader", required_argument, NULL, O_VREADER },
		{ "qr-out", required_argument, NULL, O_QROUT },
		{ "qr", required_argument, NULL, O_QR },
		{ "id", required_argument, NULL, O_ID },
		{ "lines", required_argument, NULL, O_LINES },
		{ "reader", required_argument, NULL, 'r' },
		{ "pin-fd", required_argument, NULL, O_PINFD },
		{ "pinpad", no_argument, NULL, O_PINPAD },
		{ "no-pinpad", no_argument, NULL, O_NOPINPAD },
		{ "url", required_argument, NULL, O_URL },
		{ "ca", required_argument, NULL, O_CA },
		{ "chain", required_argument, NULL, O_CHAIN },
		{ "ca-certs", required_argument, NULL, O_CACERTS },
		{ "config", required_argument, NULL, O_CONFIG },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct opts o;
	const char *sub = NULL, *arg = NULL;
	stc_ctx *ctx = NULL;
	stc_rv rv;
	long v;
	int c, code;

	memset(&o, 0, sizeof(o));
	o.pin_fd = -1;
	o.keypad = -1;
	o.timeout_ms = 30000;
	if (argc < 2) {
		usage(stderr);
		return ERX_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return ERX_OK;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("santecard-erx %s\n", PACKAGE_VERSION);
		return ERX_OK;
	}
	o.cmd = argv[1];
	if (strcmp(o.cmd, "prescribe") != 0 && strcmp(o.cmd, "fetch") != 0 &&
	    strcmp(o.cmd, "dispense") != 0 && strcmp(o.cmd, "outbox") != 0 &&
	    strcmp(o.cmd, "qr") != 0) {
		usage_error("unknown command '%s'", o.cmd);
		return ERX_USAGE;
	}
	argc--;
	argv++;
	if (strcmp(o.cmd, "outbox") == 0 || strcmp(o.cmd, "qr") == 0) {
		if (argc < 2 || argv[1][0] == '-') {
			usage_error(strcmp(o.cmd, "qr") == 0 ? "qr needs a prescription id%s" :
				    "outbox list or outbox send%s", "");
			return ERX_USAGE;
		}
		if (strcmp(o.cmd, "qr") == 0)
			arg = argv[1];
		else
			sub = argv[1];
		argc--;
		argv++;
		if (sub && strcmp(sub, "list") != 0 && strcmp(sub, "send") != 0) {
			usage_error("outbox list or outbox send, not '%s'", sub);
			return ERX_USAGE;
		}
	}
	opterr = 0;
	while ((c = getopt_long(argc, argv, "r:jqh", longopts, NULL)) != -1) {
		switch (c) {
		case O_PATIENT: o.patient = optarg; break;
		case O_ITEMS: o.items = optarg; break;
		case O_BEN:
			if (parse_int(optarg, 1, STC_VITALE_MAX_BENEFICIARIES, &v)) {
				usage_error("--beneficiary: a number from 1 to 19, not '%s'", optarg);
				return ERX_USAGE;
			}
			o.beneficiary = (int)v;
			break;
		case O_VREADER: o.vitale_reader = optarg; break;
		case O_QROUT: o.qr_out = optarg; break;
		case O_QR: o.qr = optarg; break;
		case O_ID: o.id = optarg; break;
		case O_LINES: o.lines = optarg; break;
		case 'r': o.reader = optarg; break;
		case O_PINFD:
			if (parse_int(optarg, 0, INT_MAX, &v)) {
				usage_error("invalid --pin-fd '%s' (a file descriptor number)", optarg);
				return ERX_USAGE;
			}
			o.pin_fd = (int)v;
			break;
		case O_PINPAD: o.keypad = 1; break;
		case O_NOPINPAD: o.keypad = 0; break;
		case O_URL: o.url = optarg; break;
		case O_CA: o.ca = optarg; break;
		case O_CHAIN: o.chain = optarg; break;
		case O_CACERTS: o.ca_certs = optarg; break;
		case O_CONFIG: o.config = optarg; break;
		case O_TIMEOUT:
			if (parse_int(optarg, 1, 600000, &v)) {
				usage_error("--timeout: milliseconds from 1 to 600000, not '%s'", optarg);
				return ERX_USAGE;
			}
			o.timeout_ms = v;
			break;
		case 'j': o.json = 1; break;
		case 'q': o.quiet = 1; break;
		case 'h': usage(stdout); return ERX_OK;
		default:
			/* not repeated: it may be a PIN typed where it must not be */
			usage_error("unknown option, or an option without its value%s", "");
			return ERX_USAGE;
		}
	}
	if (optind < argc) {
		usage_error("unexpected argument (PINs are never taken from the command line)%s",
			    "");
		return ERX_USAGE;
	}
	if (o.keypad == 1 && o.pin_fd >= 0) {
		usage_error("--pinpad and --pin-fd exclude each other%s", "");
		return ERX_USAGE;
	}
	if (strcmp(o.cmd, "prescribe") == 0 && (!o.patient || !o.items)) {
		usage_error("prescribe needs --patient and --items%s", "");
		return ERX_USAGE;
	}
	if ((strcmp(o.cmd, "fetch") == 0 || strcmp(o.cmd, "dispense") == 0) && !o.id == !o.qr) {
		usage_error("%s needs --id ID or --qr IMAGE (one of them)", o.cmd);
		return ERX_USAGE;
	}
	if (strcmp(o.cmd, "dispense") == 0 && !o.lines) {
		usage_error("dispense needs --lines FILE%s", "");
		return ERX_USAGE;
	}
	if (resolve(&o))
		return ERX_USAGE;
	if (strcmp(o.cmd, "qr") == 0)
		return cmd_qr(&o, arg);
	if (sub && strcmp(sub, "list") == 0)
		return outbox_list(&o);
	if (!sub && need_url(&o))
		return ERX_USAGE;
	/* an unusable --pin-fd is found before the card is touched */
	if (o.pin_fd >= 0 && fcntl(o.pin_fd, F_GETFL) < 0) {
		fprintf(stderr, "%s: --pin-fd %d is not an open descriptor\n", erx_name, o.pin_fd);
		return ERX_USAGE;
	}
	if (http_global_init() != 0) {
		fprintf(stderr, "%s: the HTTPS library could not be initialised\n", erx_name);
		return ERX_ERROR;
	}
	rv = stc_ctx_new(&ctx);
	if (rv != STC_OK) {
		http_global_cleanup();
		return erx_card_fail(rv, "connecting to the PC/SC service");
	}
	if (strcmp(o.cmd, "prescribe") == 0)
		code = cmd_prescribe(&o, ctx);
	else if (strcmp(o.cmd, "fetch") == 0)
		code = cmd_fetch(&o, ctx);
	else if (strcmp(o.cmd, "dispense") == 0)
		code = cmd_dispense(&o, ctx);
	else
		code = outbox_send(&o, ctx);
	stc_ctx_free(ctx);
	http_global_cleanup();
	return code;
}
