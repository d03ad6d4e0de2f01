/* pinpad.c - PC/SC v2 part 10 reader features: the feature list
 * (CM_IOCTL_GET_FEATURE_REQUEST), PIN properties, TLV properties, and
 * FEATURE_VERIFY_PIN_DIRECT / FEATURE_MODIFY_PIN_DIRECT turned into
 * PC_to_RDR_Secure. The PIN itself never passes through the host. */
#include <string.h>

#include <PCSC/reader.h>

#include "ccid.h"

/* Fixed parts of the PC/SC structures (packed, reader.h) before abData. */
#define VERIFY_HDR 19
#define MODIFY_HDR 24
/* Largest PIN APDU we pass: a short APDU. */
#define PIN_APDU_MAX 261

static bool put_tlv(uint8_t *out, size_t cap, size_t *len, uint8_t tag, uint32_t code)
{
	if (*len + 6 > cap)
		return false;
	out[*len] = tag;
	out[*len + 1] = 4;
	/* big endian (part 10 §2.2) */
	out[*len + 2] = (uint8_t)(code >> 24);
	out[*len + 3] = (uint8_t)(code >> 16);
	out[*len + 4] = (uint8_t)(code >> 8);
	out[*len + 5] = (uint8_t)code;
	*len += 6;
	return true;
}

RESPONSECODE ccid_features(const struct ccid_desc *d, uint8_t *out, size_t cap, size_t *len)
{
	bool ok = true;

	*len = 0;
	if (d->pin_support & CCID_PIN_VERIFY)
		ok = ok && put_tlv(out, cap, len, FEATURE_VERIFY_PIN_DIRECT, CCID_IOCTL_VERIFY_PIN_DIRECT);
	if (d->pin_support & CCID_PIN_MODIFY)
		ok = ok && put_tlv(out, cap, len, FEATURE_MODIFY_PIN_DIRECT, CCID_IOCTL_MODIFY_PIN_DIRECT);
	if (d->pin_support)
		ok = ok && put_tlv(out, cap, len, FEATURE_IFD_PIN_PROPERTIES, CCID_IOCTL_IFD_PIN_PROPERTIES);
	ok = ok && put_tlv(out, cap, len, FEATURE_GET_TLV_PROPERTIES, CCID_IOCTL_GET_TLV_PROPERTIES);
	ok = ok && put_tlv(out, cap, len, FEATURE_CCID_ESC_COMMAND, CCID_IOCTL_ESC_COMMAND);
	if (!ok) {
		*len = 0;
		return IFD_ERROR_INSUFFICIENT_BUFFER;
	}
	return IFD_SUCCESS;
}

RESPONSECODE ccid_pin_properties(const struct ccid_desc *d, uint8_t *out, size_t cap, size_t *len)
{
	*len = 0;
	if (cap < 4)
		return IFD_ERROR_INSUFFICIENT_BUFFER;
	out[0] = (uint8_t)d->lcd;	/* wLcdLayout, little endian like the struct */
	out[1] = (uint8_t)(d->lcd >> 8);
	out[2] = 0x02;			/* bEntryValidationCondition: validation key */
	out[3] = 0x00;			/* bTimeOut2 */
	*len = 4;
	return IFD_SUCCESS;
}

static bool put_prop(uint8_t *out, size_t cap, size_t *len, uint8_t tag, uint32_t v, size_t n)
{
	if (*len + 2 + n > cap)
		return false;
	out[(*len)++] = tag;
	out[(*len)++] = (uint8_t)n;
	for (size_t i = 0; i < n; i++)
		out[(*len)++] = (uint8_t)(v >> (8 * i));	/* little endian */
	return true;
}

RESPONSECODE ccid_tlv_properties(const struct ccid_desc *d, uint16_t vid, uint16_t pid,
				 uint8_t *out, size_t cap, size_t *len)
{
	uint32_t max_apdu = d->level == CCID_FEAT_LEVEL_EXT_APDU ||
			    d->level == CCID_FEAT_LEVEL_TPDU ? 65536u : 0u;
	bool ok = true;

	*len = 0;
	ok = ok && put_prop(out, cap, len, PCSCv2_PART10_PROPERTY_wLcdLayout, d->lcd, 2);
	if (d->pin_support) {
		ok = ok && put_prop(out, cap, len, PCSCv2_PART10_PROPERTY_bEntryValidationCondition, 2, 1);
		ok = ok && put_prop(out, cap, len, PCSCv2_PART10_PROPERTY_bTimeOut2, 0, 1);
		ok = ok && put_prop(out, cap, len, PCSCv2_PART10_PROPERTY_bMinPINSize, 4, 1);
		ok = ok && put_prop(out, cap, len, PCSCv2_PART10_PROPERTY_bMaxPINSize, 8, 1);
	}
	ok = ok && put_prop(out, cap, len, PCSCv2_PART10_PROPERTY_dwMaxAPDUDataSize, max_apdu, 4);
	ok = ok && put_prop(out, cap, len, PCSCv2_PART10_PROPERTY_wIdVendor, vid, 2);
	ok = ok && put_prop(out, cap, len, PCSCv2_PART10_PROPERTY_wIdProduct, pid, 2);
	if (!ok) {
		*len = 0;
		return IFD_ERROR_INSUFFICIENT_BUFFER;
	}
	return IFD_SUCCESS;
}

static uint32_t le32(const uint8_t *p)
{
	return ccid_le32(p);
}

RESPONSECODE ccid_pin_verify(struct ccid_dev *dev, unsigned slot, const uint8_t *in, size_t inlen,
			     uint8_t *rx, size_t *rxlen)
{
	uint8_t m[1 + 14 + PIN_APDU_MAX];
	size_t apdu;
	RESPONSECODE rc;

	if (!(dev->desc.pin_support & CCID_PIN_VERIFY))
		return IFD_NOT_SUPPORTED;
	if (inlen < VERIFY_HDR)
		return IFD_NOT_SUPPORTED;
	apdu = inlen - VERIFY_HDR;
	if (le32(in + 15) != apdu || apdu < 5 || apdu > PIN_APDU_MAX)
		return IFD_NOT_SUPPORTED;
	m[0] = CCID_PINOP_VERIFY;
	m[1] = in[0];			/* bTimeOut (bTimerOut2 has no CCID field) */
	memcpy(m + 2, in + 2, 13);	/* bmFormatString .. bTeoPrologue */
	memcpy(m + 15, in + VERIFY_HDR, apdu);
	rc = ccid_secure(dev, slot, m, 15 + apdu, rx, rxlen);
	memset(m, 0, sizeof(m));
	return rc;
}

RESPONSECODE ccid_pin_modify(struct ccid_dev *dev, unsigned slot, const uint8_t *in, size_t inlen,
			     uint8_t *rx, size_t *rxlen)
{
	uint8_t m[1 + 19 + PIN_APDU_MAX];
	size_t apdu;
	RESPONSECODE rc;

	if (!(dev->desc.pin_support & CCID_PIN_MODIFY))
		return IFD_NOT_SUPPORTED;
	if (inlen < MODIFY_HDR)
		return IFD_NOT_SUPPORTED;
	apdu = inlen - MODIFY_HDR;
	if (le32(in + 20) != apdu || apdu < 5 || apdu > PIN_APDU_MAX)
		return IFD_NOT_SUPPORTED;
	m[0] = CCID_PINOP_MODIFY;
	m[1] = in[0];			/* bTimeOut */
	/* bmFormatString .. bMsgIndex3, bTeoPrologue: all three message indexes
	 * are always sent (docs/CCID.md) */
	memcpy(m + 2, in + 2, 18);
	memcpy(m + 20, in + MODIFY_HDR, apdu);
	rc = ccid_secure(dev, slot, m, 20 + apdu, rx, rxlen);
	memset(m, 0, sizeof(m));
	return rc;
}
