/* render_text.c - the human-readable `santecard-vitale read` output. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vitale.h"

/* "1 79 03 69 123 045 35": sex, year, month, department, commune, order, key. */
static void nir_grouped(struct sbuf *b, const char *nir)
{
	static const int groups[] = { 1, 2, 2, 2, 3, 3, 2 };
	size_t at = 0, len = strlen(nir);

	if (len != 15) {
		sb_puts(b, nir);
		return;
	}
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		if (g)
			sb_puts(b, " ");
		sb_putn(b, nir + at, (size_t)groups[g]);
		at += (size_t)groups[g];
	}
}

static void nir_line(struct sbuf *b, const stc_beneficiary *p, const struct render_opts *o)
{
	char n13[14];
	int key;

	if (!p->nir[0]) {
		sb_puts(b, "   NIR:         not on the card\n");
		return;
	}
	sb_puts(b, "   NIR:         ");
	nir_grouped(b, p->nir);
	if (p->nir_valid) {
		sb_puts(b, " (key checked)\n");
		sb_printf(b, "   INS:         %s, identity not qualified (INSi not queried)\n",
			  stc_ins_oid(o->ins));
		return;
	}
	memcpy(n13, p->nir, 13);
	n13[13] = '\0';
	if (stc_nir_key(n13, &key) == STC_OK)
		sb_printf(b, " (WRONG KEY: %.2s, the number gives %02d)\n", p->nir + 13, key);
	else
		sb_puts(b, " (NOT A VALID NIR)\n");
	sb_puts(b, "   INS:         none (the NIR does not check)\n");
}

void render_text(struct sbuf *b, const struct vcard *v, const struct render_opts *o)
{
	sb_printf(b, "Reader: %s\nCard:   %s\n", v->reader, v->card_name);
	if (v->result != VC_OK) {
		char msg[200];

		vcard_error_text(v, msg, sizeof(msg));
		sb_printf(b, "Error:  %s\n", msg);
		return;
	}
	sb_printf(b, "Beneficiaries: %zu\n", v->count);
	for (size_t i = 0; i < v->count; i++) {
		const stc_beneficiary *p = &v->ben[i];
		char iso[11];

		sb_printf(b, "\n%zu. %s %s\n", i + 1, p->surname, p->given);
		birth_iso(p->birth, iso);
		if (iso[0])
			sb_printf(b, "   Birth date:  %.2s/%.2s/%.4s\n", iso + 8, iso + 5, iso);
		else if (p->birth[0])
			sb_printf(b, "   Birth date:  %s (as on the card, not a calendar date)\n",
				  p->birth);
		else
			sb_puts(b, "   Birth date:  not on the card\n");
		nir_line(b, p, o);
		if (p->nationality[0])
			sb_printf(b, "   Nationality: %s\n", p->nationality);
		if (p->rank > 0)
			sb_printf(b, "   Rank:        %d\n", p->rank);
		else
			sb_puts(b, "   Rank:        unknown (not read from the card)\n");
		if (p->quality >= 0)
			sb_printf(b, "   Quality:     %02d\n", p->quality);
		else
			sb_puts(b, "   Quality:     unknown (not read from the card)\n");
	}
}
