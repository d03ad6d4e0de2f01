/*
 * render_hl7.c - HL7 v2.5 PID segments, one per beneficiary, one per line:
 *   PID-1  set id (1, 2, ...)
 *   PID-3  the INS as a CX (stc_ins_hl7_cx: NIR^^^ASIP-SANTE-INS-NIR&OID&ISO^INS),
 *          empty when the NIR's key does not check
 *   PID-5  family^given (XPN; no name type code: the card does not say which
 *          name it holds)
 *   PID-7  birth date as on the card (AAAAMMJJ), when it is a calendar date
 *   PID-32 identity reliability code PROV (IHE PAM France: identité provisoire,
 *          the INSi téléservice was not queried)
 * Text is UTF-8 with the HL7 delimiters escaped. Lines end with a newline; a
 * message puts carriage returns between segments.
 */
#include "config.h"

#include <string.h>

#include "vitale.h"

#define PID_FIELDS 32

void render_hl7(struct sbuf *b, const struct vcard *v, const struct render_opts *o)
{
	for (size_t i = 0; i < v->count; i++) {
		const stc_beneficiary *p = &v->ben[i];
		char cx[256], iso[11];

		sb_printf(b, "PID|%zu||", i + 1);
		if (p->nir[0] && p->nir_valid &&
		    stc_ins_hl7_cx(p->nir, o->ins, cx, sizeof(cx)) == STC_OK)
			sb_puts(b, cx);
		explicit_bzero(cx, sizeof(cx));
		sb_puts(b, "||");
		sb_hl7_str(b, p->surname);
		sb_puts(b, "^");
		sb_hl7_str(b, p->given);
		sb_puts(b, "||");
		birth_iso(p->birth, iso);
		if (iso[0])
			sb_puts(b, p->birth);
		/* fields 8 to 31 empty, then PID-32 */
		for (int f = 8; f <= PID_FIELDS; f++)
			sb_puts(b, "|");
		sb_puts(b, "PROV\n");
	}
}
