/* canned.h - a scripted card for unit tests: a transport (stc_transport) that
 * checks every command against a script and answers the scripted bytes (the
 * model of OpenSC's fuzzer_reader). Include after check_util.h. */
#ifndef STC_CANNED_H
#define STC_CANNED_H

#include <check.h>
#include <string.h>

#include "santecard.h"
#include "check_util.h"

struct step {
	const char *cmd;            /* expected C-APDU, hex */
	const char *resp;           /* R-APDU to answer, hex; NULL: fail with rv */
	stc_rv rv;
};

struct canned {
	const struct step *steps;
	size_t n, next;
};

static inline stc_rv canned_xmit(void *io, const uint8_t *cmd, size_t len, uint8_t *resp,
				 size_t *rlen)
{
	struct canned *c = io;
	uint8_t want[300];
	size_t want_len;
	const struct step *s;

	ck_assert_msg(c->next < c->n, "unexpected command #%zu", c->next);
	s = &c->steps[c->next++];
	want_len = hex(s->cmd, want, sizeof(want));
	ck_assert_msg(len == want_len && !memcmp(cmd, want, len), "command #%zu differs from '%s'",
		      c->next - 1, s->cmd);
	if (!s->resp)
		return s->rv;
	*rlen = hex(s->resp, resp, *rlen);
	return STC_OK;
}

#endif
