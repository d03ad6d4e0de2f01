/*
 * render_fhir.c - FHIR R4: a Bundle (type collection) of Patient resources, one
 * per beneficiary, in the shape of FR Core (github.com/Interop-Sante/hl7.fhir.fr.core):
 *  - identifier: the INS built by stc_ins_fhir_identifier() (FR Core's INS-NIR /
 *    INS-NIR-TEST / INS-NIR-DEMO slices), only for a NIR whose key checks;
 *  - extension fr-core-identity-reliability: identityStatus PROV ("identité
 *    provisoire": not obtained from the INSi téléservice, not checked against an
 *    identity document) and methodCollection CV (read from the carte Vitale);
 *  - name: use official, family and given as on the card; birthDate when the
 *    card's date is a calendar date.
 * meta.profile names fr-core-patient, not fr-core-patient-ins: that profile
 * requires what a card cannot give (birth place, the list of given names) and
 * is meant for qualified identities.
 */
#include "config.h"

#include <stdio.h>

#include <string.h>

#include "vitale.h"

#define FR_CORE "https://hl7.fr/ig/fhir/core"

static void patient(struct sbuf *b, const stc_beneficiary *p, const struct render_opts *o)
{
	char iso[11], ident[512];

	sb_puts(b, "{\"resource\":{\"resourceType\":\"Patient\","
		   "\"meta\":{\"profile\":[\"" FR_CORE "/StructureDefinition/fr-core-patient\"]},"
		   "\"extension\":[{\"url\":\"" FR_CORE
		   "/StructureDefinition/fr-core-identity-reliability\",\"extension\":["
		   "{\"url\":\"identityStatus\",\"valueCoding\":{\"system\":\"" FR_CORE
		   "/CodeSystem/fr-core-cs-identity-status\",\"code\":\"PROV\","
		   "\"display\":\"Identité provisoire\"}},"
		   "{\"url\":\"methodCollection\",\"valueCoding\":{\"system\":\"" FR_CORE
		   "/CodeSystem/fr-core-cs-method-collection\",\"code\":\"CV\","
		   "\"display\":\"Carte Vitale\"}}]}]");
	if (p->nir[0] && p->nir_valid &&
	    stc_ins_fhir_identifier(p->nir, o->ins, ident, sizeof(ident)) == STC_OK) {
		sb_puts(b, ",\"identifier\":[");
		sb_puts(b, ident);
		sb_puts(b, "]");
	}
	explicit_bzero(ident, sizeof(ident));
	sb_puts(b, ",\"name\":[{\"use\":\"official\",\"family\":");
	sb_json_str(b, p->surname);
	if (p->given[0]) {
		sb_puts(b, ",\"given\":[");
		sb_json_str(b, p->given);
		sb_puts(b, "]");
	}
	sb_puts(b, "}]");
	birth_iso(p->birth, iso);
	if (iso[0]) {
		sb_puts(b, ",\"birthDate\":");
		sb_json_str(b, iso);
	}
	sb_puts(b, "}}");
}

void render_fhir(struct sbuf *b, const struct vcard *v, const struct render_opts *o)
{
	sb_puts(b, "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[");
	for (size_t i = 0; i < v->count; i++) {
		if (i)
			sb_puts(b, ",");
		patient(b, &v->ben[i], o);
	}
	sb_puts(b, "]}");
}
