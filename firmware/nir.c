/* nir.c - the NIR key (see nir.h). */
#include "config.h"

#include "nir.h"

#include <string.h>

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Value of the first 13 characters mod 97, or -1 when malformed. */
static int nir_mod97(const char *s)
{
	unsigned long long n = 0;

	for (int i = 0; i < 13; i++) {
		if (i == 5 && s[5] == '2' && (s[6] == 'A' || s[6] == 'B')) {
			/* Corsica: 2A -> 19, 2B -> 18 */
			n = n * 100 + (s[6] == 'A' ? 19 : 18);
			i++;
			continue;
		}
		if (!is_digit(s[i]))
			return -1;
		n = n * 10 + (unsigned)(s[i] - '0');
	}
	return (int)(n % 97);
}

int sim_nir_key(const char *nir13)
{
	int m;

	if (!nir13 || strlen(nir13) != 13)
		return -1;
	m = nir_mod97(nir13);
	return m < 0 ? -1 : 97 - m;
}

bool sim_nir_valid(const char *nir15)
{
	int m;

	if (!nir15 || strlen(nir15) != 15)
		return false;
	m = nir_mod97(nir15);
	if (m < 0 || !is_digit(nir15[13]) || !is_digit(nir15[14]))
		return false;
	return (nir15[13] - '0') * 10 + (nir15[14] - '0') == 97 - m;
}
