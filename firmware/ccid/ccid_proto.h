/* ccid_proto.h - the USB CCID wire protocol (CCID 1.1 specification): message
 * codes, header layout, status bits, class-descriptor fields. Shared by the
 * reader firmware core (firmware/ccid) and the driver (drivers/ccid) so both
 * sides name the same bytes the same way. Constants only. */
#ifndef SANTECARD_CCID_PROTO_H
#define SANTECARD_CCID_PROTO_H

#include <stddef.h>
#include <stdint.h>

/* Every bulk message starts with a 10-byte header. */
#define CCID_HDR 10
/* Header offsets. */
#define CCID_OFF_TYPE 0
#define CCID_OFF_LEN 1		/* dwLength, little endian, abData length */
#define CCID_OFF_SLOT 5
#define CCID_OFF_SEQ 6
#define CCID_OFF_P1 7		/* commands: bBWI / bPowerSelect / bProtocolNum ...; replies: bStatus */
#define CCID_OFF_P2 8		/* commands: wLevelParameter low; replies: bError */
#define CCID_OFF_P3 9		/* commands: wLevelParameter high; replies: bChainParameter etc. */
#define CCID_OFF_STATUS 7
#define CCID_OFF_ERROR 8
#define CCID_OFF_CHAIN 9

/* PC_to_RDR (bulk OUT) */
#define PC_TO_RDR_ICCPOWERON 0x62
#define PC_TO_RDR_ICCPOWEROFF 0x63
#define PC_TO_RDR_GETSLOTSTATUS 0x65
#define PC_TO_RDR_XFRBLOCK 0x6F
#define PC_TO_RDR_GETPARAMETERS 0x6C
#define PC_TO_RDR_RESETPARAMETERS 0x6D
#define PC_TO_RDR_SETPARAMETERS 0x61
#define PC_TO_RDR_ESCAPE 0x6B
#define PC_TO_RDR_ICCCLOCK 0x6E
#define PC_TO_RDR_T0APDU 0x6A
#define PC_TO_RDR_SECURE 0x69
#define PC_TO_RDR_MECHANICAL 0x71
#define PC_TO_RDR_ABORT 0x72
#define PC_TO_RDR_SETDATARATE 0x73

/* RDR_to_PC (bulk IN) */
#define RDR_TO_PC_DATABLOCK 0x80
#define RDR_TO_PC_SLOTSTATUS 0x81
#define RDR_TO_PC_PARAMETERS 0x82
#define RDR_TO_PC_ESCAPE 0x83
#define RDR_TO_PC_DATARATE 0x84

/* RDR_to_PC (interrupt IN) */
#define RDR_TO_PC_NOTIFYSLOTCHANGE 0x50
#define RDR_TO_PC_HARDWAREERROR 0x51

/* bStatus: ICC status in bits 0-1, command status in bits 6-7. */
#define CCID_ICC_MASK 0x03
#define CCID_ICC_ACTIVE 0x00
#define CCID_ICC_INACTIVE 0x01
#define CCID_ICC_ABSENT 0x02
#define CCID_CMD_MASK 0xC0
#define CCID_CMD_FAILED 0x40
#define CCID_CMD_TIME_EXT 0x80

/* bError (when the command failed). */
#define CCID_ERR_CMD_NOT_SUPPORTED 0x00
#define CCID_ERR_BAD_LENGTH 0x01	/* offset of the bad field: 1 = dwLength */
#define CCID_ERR_BAD_SLOT 0x05
#define CCID_ERR_BAD_POWERSELECT 0x07
#define CCID_ERR_BAD_PROTOCOLNUM 0x07
#define CCID_ERR_BAD_LEVELPARAM 0x08
#define CCID_ERR_CMD_SLOT_BUSY 0xE0
#define CCID_ERR_PIN_CANCELLED 0xEF
#define CCID_ERR_PIN_TIMEOUT 0xF0
#define CCID_ERR_BUSY_AUTO_SEQ 0xF2
#define CCID_ERR_DEACTIVATED_PROTOCOL 0xF3
#define CCID_ERR_PROCEDURE_BYTE_CONFLICT 0xF4
#define CCID_ERR_ICC_CLASS_NOT_SUPPORTED 0xF5
#define CCID_ERR_ICC_PROTOCOL_NOT_SUPPORTED 0xF6
#define CCID_ERR_BAD_ATR_TCK 0xF7
#define CCID_ERR_BAD_ATR_TS 0xF8
#define CCID_ERR_HW_ERROR 0xFB
#define CCID_ERR_XFR_OVERRUN 0xFC
#define CCID_ERR_XFR_PARITY 0xFD
#define CCID_ERR_ICC_MUTE 0xFE
#define CCID_ERR_CMD_ABORTED 0xFF

/* bChainParameter (replies) / wLevelParameter (commands) at APDU level. */
#define CCID_CHAIN_NONE 0x00		/* the whole APDU in this block */
#define CCID_CHAIN_BEGIN 0x01		/* begins, more follows */
#define CCID_CHAIN_END 0x02		/* ends the chain */
#define CCID_CHAIN_MIDDLE 0x03		/* continues, more follows */
#define CCID_CHAIN_MORE 0x10		/* command: empty abData, send the next part */

/* Class descriptor (bDescriptorType 0x21, 54 bytes). Offsets. */
#define CCID_DESC_LEN 54
#define CCID_DESC_TYPE 0x21
#define CCID_DESC_BCDCCID 2
#define CCID_DESC_MAXSLOT 4
#define CCID_DESC_VOLTAGE 5
#define CCID_DESC_PROTOCOLS 6
#define CCID_DESC_DEFCLOCK 10
#define CCID_DESC_MAXCLOCK 14
#define CCID_DESC_NCLOCKS 18
#define CCID_DESC_DATARATE 19
#define CCID_DESC_MAXDATARATE 23
#define CCID_DESC_NRATES 27
#define CCID_DESC_MAXIFSD 28
#define CCID_DESC_SYNCH 32
#define CCID_DESC_MECH 36
#define CCID_DESC_FEATURES 40
#define CCID_DESC_MAXMSG 44
#define CCID_DESC_GETRESPONSE 48
#define CCID_DESC_ENVELOPE 49
#define CCID_DESC_LCD 50
#define CCID_DESC_PINSUPPORT 52
#define CCID_DESC_MAXBUSY 53

/* dwFeatures */
#define CCID_FEAT_AUTO_CONF_ATR 0x00000002u
#define CCID_FEAT_AUTO_ACTIVATION 0x00000004u
#define CCID_FEAT_AUTO_VOLTAGE 0x00000008u
#define CCID_FEAT_AUTO_CLOCK 0x00000010u
#define CCID_FEAT_AUTO_BAUD 0x00000020u
#define CCID_FEAT_AUTO_PPS_PROP 0x00000040u
#define CCID_FEAT_AUTO_PPS_CUR 0x00000080u
#define CCID_FEAT_CLOCK_STOP 0x00000100u
#define CCID_FEAT_NAD 0x00000200u
#define CCID_FEAT_AUTO_IFSD 0x00000400u
#define CCID_FEAT_LEVEL_MASK 0x00070000u
#define CCID_FEAT_LEVEL_CHAR 0x00000000u
#define CCID_FEAT_LEVEL_TPDU 0x00010000u
#define CCID_FEAT_LEVEL_SHORT_APDU 0x00020000u
#define CCID_FEAT_LEVEL_EXT_APDU 0x00040000u
#define CCID_FEAT_WAKEUP 0x00100000u

/* bPINSupport */
#define CCID_PIN_VERIFY 0x01
#define CCID_PIN_MODIFY 0x02

/* PC_to_RDR_Secure bPINOperation */
#define CCID_PINOP_VERIFY 0x00
#define CCID_PINOP_MODIFY 0x01

/* Our own vendor and reader identities (docs/CCID.md): pid.codes test range. */
#define SANTECARD_CCID_VID 0x1209
#define SANTECARD_CCID_PID_1SLOT 0x5C01
#define SANTECARD_CCID_PID_2SLOT 0x5C02

static inline uint32_t ccid_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void ccid_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

#endif
