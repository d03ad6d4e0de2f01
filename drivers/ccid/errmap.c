/* errmap.c - a failed reply's bStatus/bError as an IFD code (CCID 1.1 §6.2.6). */
#include "ccid.h"

RESPONSECODE ccid_error_to_ifd(uint8_t status, uint8_t error)
{
	if ((status & CCID_CMD_MASK) != CCID_CMD_FAILED)
		return IFD_SUCCESS;
	if ((status & CCID_ICC_MASK) == CCID_ICC_ABSENT)
		return IFD_ICC_NOT_PRESENT;
	switch (error) {
	case CCID_ERR_CMD_NOT_SUPPORTED:
		return IFD_NOT_SUPPORTED;
	case CCID_ERR_ICC_MUTE:
		return IFD_RESPONSE_TIMEOUT;
	case CCID_ERR_BAD_ATR_TS:
	case CCID_ERR_BAD_ATR_TCK:
	case CCID_ERR_ICC_CLASS_NOT_SUPPORTED:
	case CCID_ERR_ICC_PROTOCOL_NOT_SUPPORTED:
		return IFD_ERROR_POWER_ACTION;
	case CCID_ERR_BAD_PROTOCOLNUM:	/* also bad bPowerSelect (same offset) */
		return IFD_PROTOCOL_NOT_SUPPORTED;
	case CCID_ERR_CMD_ABORTED:
	case CCID_ERR_CMD_SLOT_BUSY:
	case CCID_ERR_BUSY_AUTO_SEQ:
	case CCID_ERR_XFR_PARITY:
	case CCID_ERR_XFR_OVERRUN:
	case CCID_ERR_HW_ERROR:
	case CCID_ERR_BAD_SLOT:
	case CCID_ERR_BAD_LENGTH:
	default:
		return IFD_COMMUNICATION_ERROR;
	}
}

const char *ccid_error_name(uint8_t error)
{
	switch (error) {
	case CCID_ERR_CMD_NOT_SUPPORTED: return "command not supported";
	case CCID_ERR_BAD_LENGTH: return "bad dwLength";
	case CCID_ERR_BAD_SLOT: return "slot does not exist";
	case CCID_ERR_BAD_PROTOCOLNUM: return "bad bPowerSelect or bProtocolNum";
	case CCID_ERR_BAD_LEVELPARAM: return "bad wLevelParameter";
	case CCID_ERR_CMD_SLOT_BUSY: return "slot busy";
	case CCID_ERR_PIN_CANCELLED: return "PIN cancelled";
	case CCID_ERR_PIN_TIMEOUT: return "PIN timeout";
	case CCID_ERR_BUSY_AUTO_SEQ: return "busy with automatic sequence";
	case CCID_ERR_DEACTIVATED_PROTOCOL: return "deactivated protocol";
	case CCID_ERR_PROCEDURE_BYTE_CONFLICT: return "procedure byte conflict";
	case CCID_ERR_ICC_CLASS_NOT_SUPPORTED: return "ICC class not supported";
	case CCID_ERR_ICC_PROTOCOL_NOT_SUPPORTED: return "ICC protocol not supported";
	case CCID_ERR_BAD_ATR_TCK: return "bad ATR TCK";
	case CCID_ERR_BAD_ATR_TS: return "bad ATR TS";
	case CCID_ERR_HW_ERROR: return "hardware error";
	case CCID_ERR_XFR_OVERRUN: return "overrun";
	case CCID_ERR_XFR_PARITY: return "parity error";
	case CCID_ERR_ICC_MUTE: return "ICC mute";
	case CCID_ERR_CMD_ABORTED: return "command aborted";
	default: return "unknown error";
	}
}
