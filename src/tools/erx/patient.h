/* patient.h - the patient of a prescription (patient.c). Kept apart from
 * erx.h: patient.c includes santecard-vitale's vitale.h, whose names must not
 * meet http.h's. */
#ifndef STC_ERX_PATIENT_H
#define STC_ERX_PATIENT_H

#include <jansson.h>

#include "santecard.h"

/* The Patient from the carte Vitale (reader NULL: the first reader holding
 * one); which: 1-based beneficiary, 0 = the only one (several: usage error
 * listing them). ERX_OK with *out, or an exit code after a message. */
int erx_patient_vitale(stc_ctx *ctx, const char *reader, int which, json_t **out);
/* The Patient from a FHIR Patient JSON file. */
int erx_patient_file(const char *path, json_t **out);

#endif
