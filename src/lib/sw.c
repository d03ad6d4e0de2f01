/* sw.c - ISO 7816-4 status words: meaning and mapping to stc_rv, as one table. */
#include "config.h"

#include "santecard.h"

struct sw_entry {
	uint16_t sw, mask;   /* matches when (sw & mask) == entry.sw */
	stc_rv rv;
	const char *text;
};

/* Most specific first: the first match wins. */
static const struct sw_entry sw_table[] = {
	{ 0x9000, 0xFFFF, STC_OK, "9000: success" },
	{ 0x6100, 0xFF00, STC_OK, "61xx: response bytes still available" },
	{ 0x6281, 0xFFFF, STC_ERR_CARD_STATUS, "6281: part of returned data may be corrupted" },
	{ 0x6282, 0xFFFF, STC_ERR_CARD_STATUS, "6282: end of file or record reached before reading Le bytes" },
	{ 0x6283, 0xFFFF, STC_ERR_CARD_STATUS, "6283: selected file deactivated" },
	{ 0x6284, 0xFFFF, STC_ERR_CARD_STATUS, "6284: file control information not formatted correctly" },
	{ 0x6200, 0xFF00, STC_ERR_CARD_STATUS, "62xx: warning, non-volatile memory unchanged" },
	{ 0x63C0, 0xFFF0, STC_ERR_PIN_INCORRECT, "63Cx: verification failed, x tries left" },
	{ 0x6300, 0xFF00, STC_ERR_CARD_STATUS, "63xx: warning, non-volatile memory changed" },
	{ 0x6581, 0xFFFF, STC_ERR_CARD_STATUS, "6581: memory failure" },
	{ 0x6700, 0xFFFF, STC_ERR_CARD_STATUS, "6700: wrong length" },
	{ 0x6881, 0xFFFF, STC_ERR_NOT_SUPPORTED, "6881: logical channel not supported" },
	{ 0x6882, 0xFFFF, STC_ERR_NOT_SUPPORTED, "6882: secure messaging not supported" },
	{ 0x6883, 0xFFFF, STC_ERR_CARD_STATUS, "6883: last command of the chain expected" },
	{ 0x6884, 0xFFFF, STC_ERR_NOT_SUPPORTED, "6884: command chaining not supported" },
	{ 0x6981, 0xFFFF, STC_ERR_CARD_STATUS, "6981: command incompatible with file structure" },
	{ 0x6982, 0xFFFF, STC_ERR_SECURITY_STATUS, "6982: security status not satisfied" },
	{ 0x6983, 0xFFFF, STC_ERR_PIN_BLOCKED, "6983: authentication method blocked" },
	{ 0x6984, 0xFFFF, STC_ERR_CARD_STATUS, "6984: reference data not usable" },
	{ 0x6985, 0xFFFF, STC_ERR_CARD_STATUS, "6985: conditions of use not satisfied" },
	{ 0x6986, 0xFFFF, STC_ERR_CARD_STATUS, "6986: command not allowed (no current EF)" },
	{ 0x6987, 0xFFFF, STC_ERR_CARD_STATUS, "6987: expected secure messaging data objects missing" },
	{ 0x6988, 0xFFFF, STC_ERR_CARD_STATUS, "6988: incorrect secure messaging data objects" },
	{ 0x6A80, 0xFFFF, STC_ERR_CARD_STATUS, "6A80: incorrect parameters in the data field" },
	{ 0x6A81, 0xFFFF, STC_ERR_NOT_SUPPORTED, "6A81: function not supported" },
	{ 0x6A82, 0xFFFF, STC_ERR_NOT_FOUND, "6A82: file or application not found" },
	{ 0x6A83, 0xFFFF, STC_ERR_NOT_FOUND, "6A83: record not found" },
	{ 0x6A84, 0xFFFF, STC_ERR_CARD_STATUS, "6A84: not enough memory space in the file" },
	{ 0x6A86, 0xFFFF, STC_ERR_CARD_STATUS, "6A86: incorrect parameters P1-P2" },
	{ 0x6A88, 0xFFFF, STC_ERR_NOT_FOUND, "6A88: referenced data not found" },
	{ 0x6B00, 0xFFFF, STC_ERR_CARD_STATUS, "6B00: wrong parameters P1-P2" },
	{ 0x6C00, 0xFF00, STC_ERR_CARD_STATUS, "6Cxx: wrong Le, xx bytes available" },
	{ 0x6D00, 0xFFFF, STC_ERR_NOT_SUPPORTED, "6D00: instruction not supported" },
	{ 0x6E00, 0xFFFF, STC_ERR_NOT_SUPPORTED, "6E00: class not supported" },
	{ 0x6F00, 0xFFFF, STC_ERR_CARD_STATUS, "6F00: no precise diagnosis" },
	{ 0x6400, 0xFF00, STC_ERR_CARD_STATUS, "64xx: execution error, non-volatile memory unchanged" },
	{ 0x6500, 0xFF00, STC_ERR_CARD_STATUS, "65xx: execution error, non-volatile memory changed" },
	{ 0x6600, 0xFF00, STC_ERR_CARD_STATUS, "66xx: security-related error" },
	{ 0x6800, 0xFF00, STC_ERR_NOT_SUPPORTED, "68xx: functions in CLA not supported" },
	{ 0x6900, 0xFF00, STC_ERR_CARD_STATUS, "69xx: command not allowed" },
	{ 0x6A00, 0xFF00, STC_ERR_CARD_STATUS, "6Axx: wrong parameters P1-P2" },
};

static const struct sw_entry *sw_lookup(uint16_t sw)
{
	for (size_t i = 0; i < sizeof(sw_table) / sizeof(sw_table[0]); i++)
		if ((sw & sw_table[i].mask) == sw_table[i].sw)
			return &sw_table[i];
	return NULL;
}

const char *stc_sw_text(uint16_t sw)
{
	const struct sw_entry *e = sw_lookup(sw);

	return e ? e->text : "unknown status word";
}

stc_rv stc_sw_to_rv(uint16_t sw)
{
	const struct sw_entry *e = sw_lookup(sw);

	return e ? e->rv : STC_ERR_CARD_STATUS;
}

int stc_sw_tries_left(uint16_t sw)
{
	return (sw & 0xFFF0) == 0x63C0 ? (int)(sw & 0x0F) : -1;
}
