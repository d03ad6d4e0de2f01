/* profile_keys.h - the profile keys the simulated CPS3 (card = cps3) reads.
 *
 * Every key is optional; the default is used when it is absent. A key that is
 * present but invalid makes create() fail with a message naming it.
 *
 *   holder.idnat        national id (RPPS/ADELI, "8" + 11 digits)  default 899700000001
 *   holder.surname      surname (UTF-8)                             default TEST
 *   holder.given        given name (UTF-8)                          default CPS
 *   holder.profession   profession label (UTF-8)                    default Médecin
 *   card.serial         10 hex digits: the last 5 bytes of EF.SN.ICC
 *                       (5A 0A 80 25 00 00 01 <these 5 bytes>)      default 9921000001
 *   token.label         PKCS#15 TokenInfo label                     default CPS3v3-<card.serial>
 *   pin                 PIN (CHV 01), 4 to 8 digits                 default 1234
 *   pin.tries_left      0..3 (0 = blocked)                          default 3
 *   puk                 PUK (CHV 02), 8 digits (4 to 8 accepted)    default 12345678
 *   puk.tries_left      0..10                                       default 10
 *   puk.uses_left       0..100 (unblocks left)                      default 100
 *   cps.fid.prkdf       FID of the PrKDF in DF 0001 (and 0002)      default 0x5001
 *   cps.fid.cdf         FID of the CDF                              default 0x5002
 *   cps.fid.aodf        FID of the AODF (contact app only)          default 0x5003
 *   cps.fid.dodf        FID of the DODF (contact app only)          default 0x5004
 *   cps.fid.cert_auth   FID of the authentication certificate EF   default 0xC101
 *   cps.fid.cert_sign   FID of the signature certificate EF        default 0xC102
 *   cps.fid.cert_tech   FID of the technical certificate EF (0002) default 0xC201
 *   cps.cps2ter         1 = answer the CPS2ter volet (CLA A0)       default 1
 *
 * Keys and certificates are not profile keys: they are read from the PKI
 * directory (sim_card_config.pki_dir): auth.key.pem, auth.crt.der,
 * sign.key.pem, sign.crt.der, tech.key.pem, tech.crt.der.
 *
 * The state file (sim_card_config.state_path) overrides the PIN/PUK values and
 * counters of the profile once the card has been used (docs/SIMULATOR-CPS.md).
 */
#ifndef SANTECARD_FIRMWARE_CPS_PROFILE_KEYS_H
#define SANTECARD_FIRMWARE_CPS_PROFILE_KEYS_H

#define CPS_DEF_SERIAL "9921000001"
#define CPS_DEF_PIN "1234"
#define CPS_DEF_PUK "12345678"
#define CPS_DEF_FID_PRKDF 0x5001
#define CPS_DEF_FID_CDF 0x5002
#define CPS_DEF_FID_AODF 0x5003
#define CPS_DEF_FID_DODF 0x5004
#define CPS_DEF_FID_CERT_AUTH 0xC101
#define CPS_DEF_FID_CERT_SIGN 0xC102
#define CPS_DEF_FID_CERT_TECH 0xC201

#endif
