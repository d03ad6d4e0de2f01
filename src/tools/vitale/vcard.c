/*
 * vcard.c - what a card read came to, in words and identifiers (no PC/SC here:
 * the renderers and their fuzz target use it alone).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vitale.h"

void vcard_wipe(struct vcard *v)
{
	explicit_bzero(v->ben, sizeof(v->ben));
	v->count = 0;
}

size_t vcard_bad_nirs(const struct vcard *v)
{
	size_t n = 0;

	for (size_t i = 0; i < v->count; i++)
		if (v->ben[i].nir[0] && !v->ben[i].nir_valid)
			n++;
	return n;
}

const char *vcard_error_id(enum vcard_result r)
{
	switch (r) {
	case VC_OK: return NULL;
	case VC_NOT_VITALE: return "not-vitale";
	case VC_VITALE1: return "vitale1-unsupported";
	case VC_UNREADABLE: return "unreadable";
	case VC_BUSY: return "card-busy";
	case VC_GONE: return "card-removed";
	}
	return "unreadable";
}

void vcard_error_text(const struct vcard *v, char *out, size_t outlen)
{
	switch (v->result) {
	case VC_OK:
		snprintf(out, outlen, "carte Vitale read");
		break;
	case VC_NOT_VITALE:
		snprintf(out, outlen, "the card is not a carte Vitale (%s)", v->card_name);
		break;
	case VC_VITALE1:
		snprintf(out, outlen, "carte Vitale 1: its data coding is not public, "
			 "only Vitale 2 cards can be read");
		break;
	case VC_BUSY:
		snprintf(out, outlen, "the card is held by another application");
		break;
	case VC_GONE:
		snprintf(out, outlen, "the card was removed while it was read");
		break;
	case VC_UNREADABLE:
		if (v->rv == STC_ERR_INVALID_DATA)
			snprintf(out, outlen, "the carte Vitale's data is malformed "
				 "(corrupt TLV): it cannot be read");
		else if (v->rv == STC_ERR_CARD_UNRESPONSIVE)
			snprintf(out, outlen, "the card does not answer (mute card)");
		else
			snprintf(out, outlen, "the card could not be read: %s", stc_strerror(v->rv));
		break;
	}
}
