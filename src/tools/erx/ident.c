/*
 * ident.c - identifiers: bundle UUIDs, timestamps, and the EP- prescription
 * id (docs/ERX.md): "EP-" + 12 Crockford base32 characters in 3 groups of
 * 4, the last one a check character: the value of the 11 others, read as a
 * base-32 number, modulo 37, written with Crockford's check symbols.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "erx.h"

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ*~$=U";

int erx_urn_uuid(char out[ERX_URN_UUID_LEN])
{
	uint8_t r[16];

	if (RAND_bytes(r, sizeof(r)) != 1)
		return -1;
	r[6] = (uint8_t)((r[6] & 0x0f) | 0x40);   /* version 4 */
	r[8] = (uint8_t)((r[8] & 0x3f) | 0x80);   /* RFC 4122 variant */
	snprintf(out, ERX_URN_UUID_LEN,
		 "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11],
		 r[12], r[13], r[14], r[15]);
	return 0;
}

void erx_timestamp(char out[32])
{
	time_t now = time(NULL);
	struct tm tm;
	char off[8];
	size_t n;

	localtime_r(&now, &tm);
	n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	/* %z gives +0100; ISO 8601 in FHIR wants +01:00 */
	if (strftime(off, sizeof(off), "%z", &tm) == 5)
		snprintf(out + n, 32 - n, "%.3s:%.2s", off, off + 3);
	else
		snprintf(out + n, 32 - n, "Z");
}

/* Crockford value of c (I, L -> 1, O -> 0, any case), -1 if not a digit. */
static int c32_value(int c)
{
	c = toupper(c);
	if (c == 'I' || c == 'L')
		c = '1';
	else if (c == 'O')
		c = '0';
	for (int i = 0; i < 32; i++)
		if (crockford[i] == c)
			return i;
	return -1;
}

char erx_id_checkchar(const char *digits11)
{
	unsigned long long v = 0;

	for (int i = 0; i < 11; i++) {
		int d = c32_value((unsigned char)digits11[i]);

		if (d < 0)
			return '\0';
		v = v * 32 + (unsigned)d;
	}
	return crockford[v % 37];
}

int erx_id_check(const char *id, char norm[18])
{
	char digits[12];
	size_t k = 0;
	int check;

	if (strlen(id) != 17 || toupper((unsigned char)id[0]) != 'E' ||
	    toupper((unsigned char)id[1]) != 'P' || id[2] != '-' || id[7] != '-' || id[12] != '-')
		return 0;
	for (int i = 3; i < 16; i++) {
		int d;

		if (i == 7 || i == 12)
			continue;
		d = c32_value((unsigned char)id[i]);
		if (d < 0)
			return 0;
		digits[k++] = crockford[d];
	}
	digits[k] = '\0';
	check = toupper((unsigned char)id[16]);
	if (check == 'I' || check == 'L')
		check = '1';
	else if (check == 'O')
		check = '0';
	if (erx_id_checkchar(digits) != check)
		return 0;
	snprintf(norm, 18, "EP-%.4s-%.4s-%.3s%c", digits, digits + 4, digits + 8, check);
	return 1;
}

int erx_uuid_urn_ok(const char *s)
{
	static const char shape[] = "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx";

	if (strncmp(s, "urn:uuid:", 9) != 0 || strlen(s) != 9 + sizeof(shape) - 1)
		return 0;
	s += 9;
	for (size_t i = 0; i < sizeof(shape) - 1; i++) {
		char c = s[i];

		if (shape[i] == '-' || shape[i] == '4') {
			if (c != shape[i])
				return 0;
		} else if (shape[i] == 'y') {
			if (!strchr("89ab", c))
				return 0;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			return 0;
		}
	}
	return 1;
}
