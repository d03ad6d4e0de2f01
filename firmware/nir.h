/* nir.h - the French NIR (numéro de sécurité sociale) and its key.
 *
 * A NIR is 13 characters: sex(1) year(2) month(2) department(2) commune(3)
 * order(3), all digits except the department, which may be `2A` or `2B`
 * (Corsica; upper case only). The key is 97 - (N mod 97), where N is the
 * 13 characters as a number with 2A -> 19 and 2B -> 18 (cards.md §2.5), so a
 * key is always 01..97. The full form is 15 characters: NIR then the 2-digit key.
 * Only the structure is checked (not that the sex, month or department exist).
 *
 * Used by the Vitale simulator to validate its profile, and by the tests.
 */
#ifndef SANTECARD_FIRMWARE_NIR_H
#define SANTECARD_FIRMWARE_NIR_H

#include <stdbool.h>

/* The key (1..97) of a 13-character NIR; -1 when nir13 is NULL, not exactly 13
 * characters, or not digits (with 2A/2B allowed only as the department). */
int sim_nir_key(const char *nir13);

/* True when nir15 is exactly 15 characters: a well-formed NIR followed by its
 * correct 2-digit key. */
bool sim_nir_valid(const char *nir15);

#endif
