/*
 * transceive.c - one command, whole answer: T=0 GET RESPONSE (61xx) and
 * wrong-Le (6Cxx) handling, and command chaining for long data.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "santecard.h"

#define DEFAULT_ROUNDS 64
#define SHORT_CMD_MAX (4 + 1 + 255 + 1)
#define SHORT_RESP_MAX (256 + 2)

struct xfer {
	stc_xmit_fn xmit;
	void *io;
	stc_apdu_form form;
	unsigned max_rounds;
	uint8_t *cmd;
	size_t cmd_cap;
	uint8_t *raw;
	size_t raw_cap;
};

/* memset that the compiler may not drop as a dead store */
static void wipe(void *p, size_t n)
{
	volatile uint8_t *v = p;

	while (n--)
		*v++ = 0;
}

/* GET RESPONSE goes in the class of the command: interindustry classes keep
 * their logical channel; proprietary classes (80, 90 ...) use 00, except the
 * GSM-style A0 class of CPS2ter cards, which uses A0 for everything. */
static uint8_t get_response_cla(uint8_t cla)
{
	if (cla == 0xA0)
		return 0xA0;
	if (cla & 0x80)
		return 0x00;
	return (cla & 0x40) ? (uint8_t)(cla & 0x4F) : (uint8_t)(cla & 0x03);
}

/* One exchange; *raw_len is the length of the R-APDU in x->raw (>= 2). */
static stc_rv exchange(struct xfer *x, const stc_apdu *a, size_t *raw_len)
{
	size_t n;
	stc_rv rv = stc_apdu_encode(a, x->form, x->cmd, x->cmd_cap, &n);

	if (rv != STC_OK)
		return rv;
	*raw_len = x->raw_cap;
	rv = x->xmit(x->io, x->cmd, n, x->raw, raw_len);
	if (rv != STC_OK)
		return rv;
	if (*raw_len > x->raw_cap)
		return STC_ERR_INTERNAL;
	if (*raw_len < 2) {
		stc_log(STC_LOG_ERROR, "response of %zu byte(s), shorter than a status word",
			*raw_len);
		return STC_ERR_PROTOCOL;
	}
	return STC_OK;
}

/* Send one (unchained) command, following 61xx and 6Cxx up to the bound. */
static stc_rv send_one(struct xfer *x, const stc_apdu *cmd, uint8_t *resp, size_t cap,
		       size_t *len, uint16_t *sw)
{
	stc_apdu cur = *cmd;
	size_t total = 0, raw_len;
	unsigned rounds = 0;

	for (;;) {
		stc_rv rv = exchange(x, &cur, &raw_len);
		size_t dlen;
		uint16_t s;
		uint8_t sw1, sw2;

		if (rv != STC_OK)
			return rv;
		dlen = raw_len - 2;
		s = (uint16_t)((x->raw[dlen] << 8) | x->raw[dlen + 1]);
		sw1 = (uint8_t)(s >> 8);
		sw2 = (uint8_t)s;

		if (sw1 == 0x6C) {
			/* wrong Le: send the same command again with Le = SW2 */
			if (++rounds > x->max_rounds)
				goto loop;
			cur.le = sw2 ? sw2 : 256;
			continue;
		}
		if (dlen) {
			if (dlen > cap - total)
				return STC_ERR_BUFFER_TOO_SMALL;
			memcpy(resp + total, x->raw, dlen);
			total += dlen;
		}
		if (sw1 == 0x61) {
			if (++rounds > x->max_rounds)
				goto loop;
			memset(&cur, 0, sizeof(cur));
			cur.cla = get_response_cla(cmd->cla);
			cur.ins = 0xC0;
			cur.le = sw2 ? sw2 : 256;
			continue;
		}
		*len = total;
		*sw = s;
		return STC_OK;
	}
loop:
	stc_log(STC_LOG_ERROR, "card still answers 61xx/6Cxx after %u rounds: giving up",
		x->max_rounds);
	return STC_ERR_PROTOCOL;
}

/* Data longer than a short APDU holds, sent as a chain (ISO 7816-4 5.3.3). */
static stc_rv send_chain(struct xfer *x, const stc_apdu *cmd, uint8_t *resp, size_t cap,
			 size_t *len, uint16_t *sw)
{
	size_t off = 0;

	while (cmd->lc - off > STC_APDU_MAX_SHORT_DATA) {
		stc_apdu piece = *cmd;
		stc_rv rv;

		piece.cla |= 0x10;
		piece.data = cmd->data + off;
		piece.lc = STC_APDU_MAX_SHORT_DATA;
		piece.le = 0;
		rv = send_one(x, &piece, resp, cap, len, sw);
		if (rv != STC_OK)
			return rv;
		if (*sw != 0x9000)
			return STC_OK;  /* the card refused a link: its SW is the answer */
		off += STC_APDU_MAX_SHORT_DATA;
	}
	{
		stc_apdu last = *cmd;
		last.data = cmd->data + off;
		last.lc = cmd->lc - off;
		return send_one(x, &last, resp, cap, len, sw);
	}
}

stc_rv stc_apdu_transceive(stc_xmit_fn xmit, void *io, const stc_xfer_opts *opts,
			   const stc_apdu *cmd, uint8_t *resp, size_t resp_cap,
			   size_t *resp_len, uint16_t *sw)
{
	uint8_t cmd_small[SHORT_CMD_MAX], raw_small[SHORT_RESP_MAX];
	struct xfer x = { .xmit = xmit, .io = io };
	int extended, chained = 0;
	stc_rv rv;

	if (!xmit || !cmd || !resp_len || !sw || (resp_cap && !resp) ||
	    (cmd->lc && !cmd->data) || cmd->lc > STC_APDU_MAX_EXT_DATA || cmd->le > 65536)
		return STC_ERR_INVALID_ARGS;
	*resp_len = 0;
	x.form = opts ? opts->form : STC_APDU_AUTO;
	x.max_rounds = opts && opts->max_get_response ? opts->max_get_response : DEFAULT_ROUNDS;

	extended = (x.form == STC_APDU_EXTENDED || x.form == STC_APDU_AUTO) &&
		   (cmd->lc > STC_APDU_MAX_SHORT_DATA || cmd->le > 256);
	if (!extended && (cmd->lc > STC_APDU_MAX_SHORT_DATA || cmd->le > 256)) {
		if (cmd->le > 256 || !(opts && opts->chain)) {
			stc_log(STC_LOG_ERROR, "command too long for short APDUs (Lc %zu, Le %zu)",
				cmd->lc, cmd->le);
			return STC_ERR_INVALID_ARGS;
		}
		chained = 1;
	}

	if (extended) {
		x.cmd_cap = 4 + 3 + cmd->lc + 2;
		x.raw_cap = STC_APDU_MAX_RESP;
		x.cmd = malloc(x.cmd_cap);
		x.raw = malloc(x.raw_cap);
		if (!x.cmd || !x.raw) {
			free(x.cmd);
			free(x.raw);
			return STC_ERR_NO_MEMORY;
		}
	} else {
		x.cmd = cmd_small;
		x.cmd_cap = sizeof(cmd_small);
		x.raw = raw_small;
		x.raw_cap = sizeof(raw_small);
	}

	rv = chained ? send_chain(&x, cmd, resp, resp_cap, resp_len, sw)
		     : send_one(&x, cmd, resp, resp_cap, resp_len, sw);
	/* the encoded command may hold a PIN: leave no copy behind */
	wipe(x.cmd, x.cmd_cap);
	if (extended) {
		free(x.cmd);
		free(x.raw);
	}
	return rv;
}
