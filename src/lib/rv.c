/* rv.c - names and explanations of stc_rv codes, as one table. */
#include "config.h"
#include "santecard.h"

struct rv_entry {
	const char *name;
	const char *text;
};

#define RV(code, text) [code] = { #code, text }
static const struct rv_entry rv_table[STC_RV_COUNT_] = {
	RV(STC_OK, "success"),
	RV(STC_ERR_INVALID_ARGS, "invalid arguments"),
	RV(STC_ERR_INVALID_DATA, "malformed data"),
	RV(STC_ERR_BUFFER_TOO_SMALL, "buffer too small"),
	RV(STC_ERR_NO_MEMORY, "out of memory"),
	RV(STC_ERR_NO_SERVICE, "the PC/SC service (pcscd) is not running"),
	RV(STC_ERR_NO_READERS, "no smart card reader found"),
	RV(STC_ERR_READER_NOT_FOUND, "no reader of that name"),
	RV(STC_ERR_READER_REMOVED, "the reader was removed"),
	RV(STC_ERR_NO_CARD, "no card in the reader"),
	RV(STC_ERR_CARD_REMOVED, "the card was removed"),
	RV(STC_ERR_CARD_RESET, "the card was reset by another application"),
	RV(STC_ERR_CARD_UNRESPONSIVE, "the card does not respond"),
	RV(STC_ERR_CARD_UNSUPPORTED, "card or protocol not supported"),
	RV(STC_ERR_SHARING_VIOLATION, "the card is in use by another application"),
	RV(STC_ERR_TIMEOUT, "timed out"),
	RV(STC_ERR_CANCELLED, "cancelled"),
	RV(STC_ERR_COMM, "communication error with the reader or card"),
	RV(STC_ERR_PROTOCOL, "the card broke the transmission protocol"),
	RV(STC_ERR_CARD_STATUS, "the card returned an error status"),
	RV(STC_ERR_PIN_INCORRECT, "incorrect PIN"),
	RV(STC_ERR_PIN_BLOCKED, "PIN blocked"),
	RV(STC_ERR_SECURITY_STATUS, "security status not satisfied (PIN required)"),
	RV(STC_ERR_NOT_FOUND, "not found"),
	RV(STC_ERR_NOT_SUPPORTED, "operation not supported"),
	RV(STC_ERR_PCSC, "PC/SC error"),
	RV(STC_ERR_INTERNAL, "internal error"),
};

const char *stc_strerror(stc_rv rv)
{
	if ((unsigned)rv >= STC_RV_COUNT_ || !rv_table[rv].text)
		return "unknown error";
	return rv_table[rv].text;
}

const char *stc_rv_name(stc_rv rv)
{
	if ((unsigned)rv >= STC_RV_COUNT_ || !rv_table[rv].name)
		return "STC_ERR_UNKNOWN";
	return rv_table[rv].name;
}
