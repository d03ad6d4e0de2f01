/* descriptor.c - the CCID class descriptor (CCID 1.1 §5.1), parsed once at open. */
#include <string.h>

#include "ccid.h"

RESPONSECODE ccid_desc_parse(const uint8_t *d, size_t len, struct ccid_desc *out)
{
	memset(out, 0, sizeof(*out));
	/* Some readers put the class descriptor after the endpoints with type 0xFF
	 * (pre-1.0 CCID); the length is what must be right. */
	if (!d || len < CCID_DESC_LEN || d[0] != CCID_DESC_LEN ||
	    (d[1] != CCID_DESC_TYPE && d[1] != 0xFF))
		return IFD_COMMUNICATION_ERROR;
	out->bcd = (uint16_t)(d[CCID_DESC_BCDCCID] | d[CCID_DESC_BCDCCID + 1] << 8);
	out->nslots = (unsigned)d[CCID_DESC_MAXSLOT] + 1;
	if (out->nslots > CCID_MAX_SLOTS)
		return IFD_COMMUNICATION_ERROR;
	out->voltage = d[CCID_DESC_VOLTAGE];
	out->protocols = ccid_le32(d + CCID_DESC_PROTOCOLS);
	out->default_clock = ccid_le32(d + CCID_DESC_DEFCLOCK);
	out->max_ifsd = ccid_le32(d + CCID_DESC_MAXIFSD);
	out->features = ccid_le32(d + CCID_DESC_FEATURES);
	out->level = out->features & CCID_FEAT_LEVEL_MASK;
	out->max_msg = ccid_le32(d + CCID_DESC_MAXMSG);
	/* The smallest message length the spec allows (a short APDU + header). */
	if (out->max_msg < 271)
		out->max_msg = 271;
	if (out->max_msg > CCID_MAX_MSG)
		out->max_msg = CCID_MAX_MSG;
	out->class_getresponse = d[CCID_DESC_GETRESPONSE];
	out->class_envelope = d[CCID_DESC_ENVELOPE];
	out->lcd = (uint16_t)(d[CCID_DESC_LCD] | d[CCID_DESC_LCD + 1] << 8);
	out->pin_support = d[CCID_DESC_PINSUPPORT];
	out->max_busy = d[CCID_DESC_MAXBUSY] ? d[CCID_DESC_MAXBUSY] : 1;
	/* Levels are exclusive; a reader claiming two is broken. */
	if (out->level != CCID_FEAT_LEVEL_CHAR && out->level != CCID_FEAT_LEVEL_TPDU &&
	    out->level != CCID_FEAT_LEVEL_SHORT_APDU && out->level != CCID_FEAT_LEVEL_EXT_APDU)
		return IFD_COMMUNICATION_ERROR;
	return IFD_SUCCESS;
}
