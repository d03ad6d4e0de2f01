/* show.h - presenting prescriptions and acknowledgements (show.c). */
#ifndef STC_ERX_SHOW_H
#define STC_ERX_SHOW_H

#include <stdio.h>
#include <jansson.h>

#include "erx.h"

/* Quantities dispensed per line of p, from the service's list
 * ({"dispensations":[{"bundle":{...}}]}); a dispensation counts only when its
 * signature verifies to ca_file and its signer is a pharmacist (the others
 * are counted in *unverified). dispensed: p->nlines entries. 0 or -1 (not a
 * list). */
int erx_dispensed(const json_t *list, const char *prescription_id, const char *ca_file,
		  const struct erx_presc *p, long long *dispensed, size_t *unverified);
/* "open", "partial" or "complete". */
const char *erx_status(const struct erx_presc *p, const long long *dispensed);
void erx_show_prescription(FILE *f, int as_json, const char *id, const struct erx_presc *p,
			   const struct erx_person *signer, const long long *dispensed,
			   size_t unverified);
void erx_show_ack(FILE *f, int as_json, const json_t *reply);

#endif
