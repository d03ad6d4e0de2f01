/* check_ccid_ifd.c - the CCID driver through pcsc-lite's IFD handler API
 * (IFDH*), against the reader firmware core on the in-process transport:
 * every exchange level with the readertest card for every APDU case and
 * length, T=0 with a CPS3, PPS, pinpad verify/modify with the scripted keypad
 * against a simulated CPS3, the two-slot CPS + Vitale reader used from two
 * threads, card removal seen by the polling function, unplug. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <PCSC/reader.h>

#include "check_ccid.h"
#include "check_util.h"
#include "cps/cps3.h"
#include "profile.h"
#include "vitale/vitale.h"

#ifndef CCID_TEST_PKI_DIR
#error CCID_TEST_PKI_DIR must name the test PKI (make pki)
#endif

#define LUN0 0x00000000
#define LUN1 0x00000001
#define BUF 70000

static struct ccidfw *fw;
static unsigned nslots;
static struct sim_profile *prof_cps, *prof_vitale;
static void *cards[2];
static const struct sim_card_ops *card_ops[2];
static uint8_t *tx, *rx;

static struct sim_profile *load(const char *name)
{
	char path[512], err[256];
	struct sim_profile *p;

	snprintf(path, sizeof(path), "%s/%s.profile", SIM_PROFILE_DIR, name);
	p = sim_profile_load(path, err, sizeof(err));
	ck_assert_msg(p != NULL, "%s: %s", path, err);
	return p;
}

static void *make_card(const struct sim_card_ops *ops)
{
	char pki[512];
	struct sim_card_config cfg = { 0 };
	void *c;

	if (ops == &cps3_card_ops) {
		if (!prof_cps)
			prof_cps = load("cps-doctor");
		snprintf(pki, sizeof(pki), "%s/cps-doctor", CCID_TEST_PKI_DIR);
		cfg.profile = prof_cps;
		cfg.pki_dir = pki;
	} else if (ops == &vitale2_card_ops) {
		if (!prof_vitale)
			prof_vitale = load("vitale-single");
		cfg.profile = prof_vitale;
	}
	c = ops->create(&cfg);
	ck_assert_msg(c != NULL, "card %s", ops->name);
	return c;
}

static void start(const struct ccidfw_config *c, const struct sim_card_ops *s0,
		  const struct sim_card_ops *s1)
{
	char name[] = "inproc:0";

	fw = ccidfw_new(c);
	ck_assert_ptr_nonnull(fw);
	nslots = c->nslots;
	card_ops[0] = s0;
	card_ops[1] = s1;
	if (s0) {
		cards[0] = make_card(s0);
		ck_assert(ccidfw_insert(fw, 0, s0, cards[0]));
	}
	if (s1) {
		cards[1] = make_card(s1);
		ck_assert(ccidfw_insert(fw, 1, s1, cards[1]));
	}
	inproc_register(0, fw);
	ck_assert_int_eq(IFDHCreateChannelByName(LUN0, name), IFD_SUCCESS);
	if (c->nslots > 1)
		ck_assert_int_eq(IFDHCreateChannelByName(LUN1, name), IFD_SUCCESS);
	tx = malloc(BUF);
	rx = malloc(BUF);
}

static void stop(void)
{
	unsigned i;

	IFDHCloseChannel(LUN0);
	if (nslots > 1)
		IFDHCloseChannel(LUN1);
	inproc_unregister(0);
	ccidfw_free(fw);
	fw = NULL;
	for (i = 0; i < 2; i++)
		if (cards[i]) {
			card_ops[i]->destroy(cards[i]);
			cards[i] = NULL;
		}
	free(tx);
	free(rx);
	sim_profile_free(prof_cps);
	sim_profile_free(prof_vitale);
	prof_cps = prof_vitale = NULL;
}

static void start_level(uint32_t level, const struct sim_card_ops *card)
{
	struct ccidfw_config c;

	ccidfw_config_default(&c, level);
	start(&c, card, NULL);
}

static void power_up(DWORD lun, DWORD protocol)
{
	UCHAR atr[MAX_ATR_SIZE];
	DWORD n = sizeof(atr);

	ck_assert_int_eq(IFDHPowerICC(lun, IFD_POWER_UP, atr, &n), IFD_SUCCESS);
	ck_assert_uint_gt(n, 2);
	ck_assert_int_eq(IFDHSetProtocolParameters(lun, protocol, 0, 0, 0, 0), IFD_SUCCESS);
}

static RESPONSECODE xmit(DWORD lun, const uint8_t *a, size_t len, size_t *rlen)
{
	SCARD_IO_HEADER pci = { 0, 0 }, rpci = { 0, 0 };
	DWORD n = BUF;
	RESPONSECODE rc = IFDHTransmitToICC(lun, pci, (PUCHAR)a, (DWORD)len, rx, &n, &rpci);

	*rlen = n;
	return rc;
}

static RESPONSECODE xmit_hex(DWORD lun, const char *h, size_t *rlen)
{
	uint8_t a[300];

	return xmit(lun, a, hex(h, a, sizeof(a)), rlen);
}

/* ---- every level, every case, every length class */

static const uint32_t levels[] = { CCID_FEAT_LEVEL_TPDU, CCID_FEAT_LEVEL_SHORT_APDU,
				   CCID_FEAT_LEVEL_EXT_APDU };

START_TEST(test_readertest_every_case)
{
	static const size_t lens[] = { 1, 2, 127, 128, 254, 255, 256, 257, 1000, 4096, 65535, 65536 };
	uint32_t level = levels[_i];
	bool ext_ok = level != CCID_FEAT_LEVEL_SHORT_APDU;
	size_t i, n, l;

	start_level(level, &readertest_card_ops);
	power_up(LUN0, SCARD_PROTOCOL_T1);
	ck_assert_int_eq(xmit_hex(LUN0, "80 30 00 00", &n), IFD_SUCCESS);
	sw_is(rx, n, 0x9000);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t len = lens[i];
		bool ext = len > 255;

		if (ext && !ext_ok) {
			/* a short-APDU reader cannot carry it: refused before the wire */
			ck_assert_int_eq(xmit(LUN0, tx, rt_case3(tx, len > 65535 ? 65535 : len, true), &n),
					 IFD_NOT_SUPPORTED);
			ck_assert_uint_eq(n, 0);
			continue;
		}
		if (len <= 65535) {
			l = rt_case3(tx, len, false);
			ck_assert_int_eq(xmit(LUN0, tx, l, &n), IFD_SUCCESS);
			sw_is(rx, n, 0x9000);
		}
		if (len <= 256 || ext_ok) {
			l = rt_case2(tx, len, false);
			ck_assert_int_eq(xmit(LUN0, tx, l, &n), IFD_SUCCESS);
			rt_check_pattern(rx, n, len);
		}
		l = rt_case4(tx, len > 65535 ? 65535 : len, len, false);
		if (len <= 255 || ext_ok) {
			ck_assert_int_eq(xmit(LUN0, tx, l, &n), IFD_SUCCESS);
			rt_check_pattern(rx, n, len);
		}
	}
	/* extended encoding of short lengths */
	if (ext_ok) {
		ck_assert_int_eq(xmit(LUN0, tx, rt_case4(tx, 5, 5, true), &n), IFD_SUCCESS);
		rt_check_pattern(rx, n, 5);
	}
	stop();
}
END_TEST

START_TEST(test_t0_tpdu_cps3)
{
	size_t n;

	start_level(CCID_FEAT_LEVEL_TPDU, &cps3_card_ops);
	power_up(LUN0, SCARD_PROTOCOL_T0);
	/* T=1 is not in the CPS3's ATR */
	ck_assert_int_eq(IFDHSetProtocolParameters(LUN0, SCARD_PROTOCOL_T1, 0, 0, 0, 0),
			 IFD_PROTOCOL_NOT_SUPPORTED);
	ck_assert_int_eq(xmit_hex(LUN0, "00 20 00 01 00", &n), IFD_SUCCESS);
	sw_is(rx, n, 0x63C3);
	/* T=0 carries no extended APDU */
	ck_assert_int_eq(xmit(LUN0, tx, rt_case3(tx, 300, true), &n), IFD_NOT_SUPPORTED);
	ck_assert_uint_eq(n, 0);
	stop();
}
END_TEST

/* T=0 at character level: the driver runs the procedure bytes */
START_TEST(test_t0_character_level)
{
	size_t n;
	unsigned sw;

	start_level(CCID_FEAT_LEVEL_CHAR, &cps3_card_ops);
	power_up(LUN0, SCARD_PROTOCOL_T0);
	/* case 1 */
	ck_assert_int_eq(xmit_hex(LUN0, "00 20 00 01", &n), IFD_SUCCESS);
	sw_is(rx, n, 0x63C3);
	/* case 3 */
	ck_assert_int_eq(xmit_hex(LUN0, "00 20 00 01 04 31 32 33 34", &n), IFD_SUCCESS);
	sw_is(rx, n, 0x9000);
	/* case 2 */
	ck_assert_int_eq(xmit_hex(LUN0, "00 84 00 00 08", &n), IFD_SUCCESS);
	ck_assert_uint_eq(n, 10);
	sw_is(rx, n, 0x9000);
	/* 61 xx from the card, then the application's GET RESPONSE (case 2) */
	ck_assert_int_eq(xmit_hex(LUN0, "00 A4 09 04 04 3F 00 2F 01", &n),
			 IFD_SUCCESS);
	ck_assert_uint_eq(n, 2);
	sw = (unsigned)rx[0] << 8 | rx[1];
	ck_assert_uint_eq(sw >> 8, 0x61);
	{
		uint8_t gr[5] = { 0x00, 0xC0, 0x00, 0x00, (uint8_t)sw };

		ck_assert_int_eq(xmit(LUN0, gr, 5, &n), IFD_SUCCESS);
		ck_assert_uint_eq(n, (sw & 0xFF) + 2u);
		sw_is(rx, n, 0x9000);
	}
	/* extended APDUs do not exist in T=0 */
	ck_assert_int_eq(xmit(LUN0, tx, rt_case3(tx, 300, true), &n), IFD_NOT_SUPPORTED);
	/* a mute card (no such slot state): clean error */
	inproc_remove(0, 0);
	ck_assert_int_ne(xmit_hex(LUN0, "00 20 00 01", &n), IFD_SUCCESS);
	ck_assert_uint_eq(n, 0);
	stop();
}
END_TEST

START_TEST(test_pps_when_reader_does_not)
{
	struct ccidfw_stats st;
	size_t n;

	start_level(CCID_FEAT_LEVEL_TPDU, &readertest_card_ops);
	{
		UCHAR atr[MAX_ATR_SIZE];
		DWORD an = sizeof(atr);

		ck_assert_int_eq(IFDHPowerICC(LUN0, IFD_POWER_UP, atr, &an), IFD_SUCCESS);
	}
	ck_assert_int_eq(IFDHSetProtocolParameters(LUN0, SCARD_PROTOCOL_T1, IFD_NEGOTIATE_PTS1, 0x95, 0, 0),
			 IFD_SUCCESS);
	ccidfw_stats(fw, 0, &st);
	ck_assert_uint_eq(st.pps, 1);
	ck_assert_uint_eq(st.set_params, 1);
	ck_assert_uint_eq(st.last_protocol, 1);
	ck_assert_uint_eq(st.last_params[0], 0x95);
	ck_assert_uint_eq(st.last_params[5], 254);	/* IFSC from the ATR */
	ck_assert_uint_eq(st.t1_ifs, 1);		/* and our IFSD told to the card */
	ck_assert_int_eq(xmit(LUN0, tx, rt_case2(tx, 300, false), &n), IFD_SUCCESS);
	rt_check_pattern(rx, n, 300);
	stop();
}
END_TEST

/* ---- pinpad */

static DWORD feature(uint8_t tag)
{
	UCHAR buf[64];
	DWORD n = 0, i;

	ck_assert_int_eq(IFDHControl(LUN0, CM_IOCTL_GET_FEATURE_REQUEST, NULL, 0, buf, sizeof(buf), &n),
			 IFD_SUCCESS);
	ck_assert_uint_eq(n % 6, 0);
	for (i = 0; i + 6 <= n; i += 6)
		if (buf[i] == tag) {
			ck_assert_uint_eq(buf[i + 1], 4);
			return (DWORD)buf[i + 2] << 24 | (DWORD)buf[i + 3] << 16 | (DWORD)buf[i + 4] << 8 | buf[i + 5];
		}
	return 0;
}

/* PIN_VERIFY_STRUCTURE for the CPS3: ASCII, unpadded (block size 0), 4-8 digits,
 * APDU 00 20 00 01 08 + 8 placeholder bytes. */
static size_t verify_struct(uint8_t *b)
{
	static const uint8_t apdu[] = { 0x00, 0x20, 0x00, 0x01, 0x08, 0xFF, 0xFF, 0xFF, 0xFF,
					0xFF, 0xFF, 0xFF, 0xFF };

	memset(b, 0, 19);
	b[0] = 30;		/* bTimerOut */
	b[2] = 0x82;		/* bytes, position 0, left, ASCII */
	b[3] = 0x00;		/* no length field, block size 0: the PIN only */
	b[4] = 0x00;
	b[5] = 0x08;		/* wPINMaxExtraDigit: max 8 */
	b[6] = 0x04;		/*                    min 4 */
	b[7] = 0x02;		/* validation key */
	b[8] = 0x01;
	b[15] = sizeof(apdu);	/* ulDataLength */
	memcpy(b + 19, apdu, sizeof(apdu));
	return 19 + sizeof(apdu);
}

static RESPONSECODE pin_control(DWORD code, const uint8_t *in, size_t len, DWORD *n)
{
	return IFDHControl(LUN0, code, (PUCHAR)in, (DWORD)len, rx, 300, n);
}

START_TEST(test_pinpad_verify)
{
	DWORD verify, n;
	uint8_t s[64];
	size_t l;
	struct ccidfw_stats st;

	start_level(CCID_FEAT_LEVEL_TPDU, &cps3_card_ops);
	power_up(LUN0, SCARD_PROTOCOL_T0);
	verify = feature(FEATURE_VERIFY_PIN_DIRECT);
	ck_assert_uint_ne(verify, 0);
	ck_assert_uint_ne(feature(FEATURE_MODIFY_PIN_DIRECT), 0);
	ck_assert_uint_ne(feature(FEATURE_IFD_PIN_PROPERTIES), 0);
	l = verify_struct(s);
	/* wrong PIN typed: the card counts a try */
	inproc_keypad(0, "9999E");
	ck_assert_int_eq(pin_control(verify, s, l, &n), IFD_SUCCESS);
	sw_is(rx, n, 0x63C2);
	/* backspace, then the right PIN */
	inproc_keypad(0, "12B234E");
	ck_assert_int_eq(pin_control(verify, s, l, &n), IFD_SUCCESS);
	sw_is(rx, n, 0x9000);
	ccidfw_stats(fw, 0, &st);
	ck_assert_uint_eq(st.last_pin_apdu_len, 9);	/* 00 20 00 01 04 31 32 33 34 */
	/* validation below the minimum length is ignored, then timeout */
	inproc_keypad(0, "12E");
	ck_assert_int_eq(pin_control(verify, s, l, &n), IFD_SUCCESS);
	sw_is(rx, n, 0x6400);
	/* cancel */
	inproc_keypad(0, "12C");
	ck_assert_int_eq(pin_control(verify, s, l, &n), IFD_SUCCESS);
	sw_is(rx, n, 0x6401);
	/* the card still counts 3 tries (verified last time) */
	ck_assert_int_eq(xmit_hex(LUN0, "00 20 00 01 00", &l), IFD_SUCCESS);
	sw_is(rx, l, 0x9000);
	/* a malformed structure: refused, nothing sent */
	s[15] = 99;
	ck_assert_int_eq(pin_control(verify, s, 19 + 13, &n), IFD_NOT_SUPPORTED);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(pin_control(verify, s, 10, &n), IFD_NOT_SUPPORTED);
	stop();
}
END_TEST

START_TEST(test_pinpad_modify)
{
	static const uint8_t apdu[] = { 0x00, 0x24, 0x00, 0x01, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
					0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
	uint8_t m[24 + sizeof(apdu)], v[64];
	DWORD modify, n;
	size_t vl;

	start_level(CCID_FEAT_LEVEL_TPDU, &cps3_card_ops);
	power_up(LUN0, SCARD_PROTOCOL_T0);
	modify = feature(FEATURE_MODIFY_PIN_DIRECT);
	memset(m, 0, 24);
	m[0] = 30;
	m[2] = 0x82;		/* ASCII, bytes */
	m[3] = 0x00;		/* unpadded */
	m[5] = 0;		/* old PIN at data offset 0 */
	m[6] = 8;
	m[7] = 0x08;		/* max 8 */
	m[8] = 0x04;		/* min 4 */
	m[9] = 0x03;		/* current PIN asked, new PIN confirmed */
	m[10] = 0x02;
	m[11] = 0x03;
	m[20] = sizeof(apdu);
	memcpy(m + 24, apdu, sizeof(apdu));
	/* confirmation differs: cancelled, nothing sent to the card */
	inproc_keypad(0, "1234E5678E5679E");
	ck_assert_int_eq(pin_control(modify, m, sizeof(m), &n), IFD_SUCCESS);
	sw_is(rx, n, 0x6401);
	inproc_keypad(0, "1234E567890E567890E");
	ck_assert_int_eq(pin_control(modify, m, sizeof(m), &n), IFD_SUCCESS);
	sw_is(rx, n, 0x9000);
	/* the new PIN works on the pinpad, the old one no longer */
	vl = verify_struct(v);
	inproc_keypad(0, "1234E");
	ck_assert_int_eq(pin_control(feature(FEATURE_VERIFY_PIN_DIRECT), v, vl, &n), IFD_SUCCESS);
	sw_is(rx, n, 0x63C2);
	inproc_keypad(0, "567890E");
	ck_assert_int_eq(pin_control(feature(FEATURE_VERIFY_PIN_DIRECT), v, vl, &n), IFD_SUCCESS);
	sw_is(rx, n, 0x9000);
	stop();
}
END_TEST

START_TEST(test_no_pinpad_no_feature)
{
	struct ccidfw_config c;
	UCHAR buf[64];
	DWORD n;

	ccidfw_config_default(&c, CCID_FEAT_LEVEL_SHORT_APDU);
	c.pin_support = 0;
	start(&c, &cps3_card_ops, NULL);
	ck_assert_uint_eq(feature(FEATURE_VERIFY_PIN_DIRECT), 0);
	ck_assert_uint_eq(feature(FEATURE_MODIFY_PIN_DIRECT), 0);
	ck_assert_uint_ne(feature(FEATURE_GET_TLV_PROPERTIES), 0);
	ck_assert_int_eq(IFDHControl(LUN0, CCID_IOCTL_VERIFY_PIN_DIRECT, buf, 30, buf, sizeof(buf), &n),
			 IFD_NOT_SUPPORTED);
	ck_assert_uint_eq(n, 0);
	/* a feature list that does not fit */
	ck_assert_int_eq(IFDHControl(LUN0, CM_IOCTL_GET_FEATURE_REQUEST, NULL, 0, buf, 5, &n),
			 IFD_ERROR_INSUFFICIENT_BUFFER);
	ck_assert_uint_eq(n, 0);
	stop();
}
END_TEST

START_TEST(test_escape_and_properties)
{
	static const uint8_t ver[] = { 0x01 };
	UCHAR buf[128];
	DWORD n, i;
	bool vid = false;

	start_level(CCID_FEAT_LEVEL_TPDU, &readertest_card_ops);
	ck_assert_int_eq(IFDHControl(LUN0, feature(FEATURE_CCID_ESC_COMMAND), (PUCHAR)ver, 1, buf,
				     sizeof(buf), &n), IFD_SUCCESS);
	ck_assert_uint_eq(n, 18);
	ck_assert_int_eq(IFDHControl(LUN0, feature(FEATURE_GET_TLV_PROPERTIES), NULL, 0, buf,
				     sizeof(buf), &n), IFD_SUCCESS);
	for (i = 0; i + 2 <= n; i += 2u + buf[i + 1])
		if (buf[i] == PCSCv2_PART10_PROPERTY_wIdVendor)
			vid = buf[i + 2] == 0x09 && buf[i + 3] == 0x12;
	ck_assert(vid);
	ck_assert_int_eq(IFDHControl(LUN0, 0x42001234, NULL, 0, buf, sizeof(buf), &n),
			 IFD_ERROR_NOT_SUPPORTED);
	stop();
}
END_TEST

/* ---- capabilities */

START_TEST(test_capabilities)
{
	UCHAR v[64];
	DWORD n;
	void *fn;

	start_level(CCID_FEAT_LEVEL_TPDU, &readertest_card_ops);
	n = sizeof(v);
	ck_assert_int_eq(IFDHGetCapabilities(LUN0, TAG_IFD_SLOTS_NUMBER, &n, v), IFD_SUCCESS);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(v[0], 1);
	n = sizeof(v);
	ck_assert_int_eq(IFDHGetCapabilities(LUN0, TAG_IFD_ATR, &n, v), IFD_SUCCESS);
	ck_assert_uint_eq(n, 0);	/* not powered */
	power_up(LUN0, SCARD_PROTOCOL_T1);
	n = sizeof(v);
	ck_assert_int_eq(IFDHGetCapabilities(LUN0, TAG_IFD_ATR, &n, v), IFD_SUCCESS);
	ck_assert_uint_eq(n, READERTEST_ATR_LEN);
	n = 4;
	ck_assert_int_eq(IFDHGetCapabilities(LUN0, TAG_IFD_ATR, &n, v), IFD_ERROR_INSUFFICIENT_BUFFER);
	ck_assert_uint_eq(n, 0);
	n = sizeof(v);
	ck_assert_int_eq(IFDHGetCapabilities(LUN0, TAG_IFD_POLLING_THREAD_WITH_TIMEOUT, &n, v), IFD_SUCCESS);
	ck_assert_uint_eq(n, sizeof(fn));
	n = sizeof(v);
	ck_assert_int_eq(IFDHGetCapabilities(LUN0, 0xDEAD, &n, v), IFD_ERROR_TAG);
	n = sizeof(v);
	ck_assert_int_eq(IFDHGetCapabilities(LUN0, SCARD_ATTR_ICC_PRESENCE, &n, v), IFD_SUCCESS);
	ck_assert_uint_eq(v[0], 2);
	ck_assert_int_eq(IFDHICCPresence(LUN0), IFD_ICC_PRESENT);
	/* an unknown reader or slot */
	ck_assert_int_eq(IFDHICCPresence(0x00050000), IFD_COMMUNICATION_ERROR);
	ck_assert_int_eq(IFDHICCPresence(0x00000003), IFD_COMMUNICATION_ERROR);
	stop();
}
END_TEST

/* ---- two-slot CPS + Vitale reader */

struct worker {
	DWORD lun;
	unsigned rounds, ok;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	/* CPS3: PIN status; Vitale 2: SELECT MF */
	static const uint8_t cps[] = { 0x00, 0x20, 0x00, 0x01, 0x00 };
	static const uint8_t vit[] = { 0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00 };
	SCARD_IO_HEADER pci = { 0, 0 };
	UCHAR r[300];
	unsigned i;

	for (i = 0; i < w->rounds; i++) {
		DWORD n = sizeof(r);
		const uint8_t *a = w->lun == LUN0 ? cps : vit;
		DWORD l = w->lun == LUN0 ? sizeof(cps) : sizeof(vit);
		unsigned want = w->lun == LUN0 ? 0x63C3 : 0x9000;

		if (IFDHTransmitToICC(w->lun, pci, (PUCHAR)a, l, r, &n, NULL) == IFD_SUCCESS && n == 2 &&
		    ((unsigned)r[0] << 8 | r[1]) == want)
			w->ok++;
	}
	return NULL;
}

START_TEST(test_two_slot_reader)
{
	struct ccidfw_config c;
	struct worker w[2] = { { LUN0, 200, 0 }, { LUN1, 200, 0 } };
	pthread_t th[2];
	UCHAR v[8];
	DWORD n = sizeof(v);
	unsigned i;

	ccidfw_config_two_slot(&c);
	start(&c, &cps3_card_ops, &vitale2_card_ops);
	ck_assert_int_eq(IFDHGetCapabilities(LUN1, TAG_IFD_SLOTS_NUMBER, &n, v), IFD_SUCCESS);
	ck_assert_uint_eq(v[0], 2);
	n = sizeof(v);
	ck_assert_int_eq(IFDHGetCapabilities(LUN0, TAG_IFD_SLOT_THREAD_SAFE, &n, v), IFD_SUCCESS);
	ck_assert_uint_eq(v[0], 1);
	power_up(LUN0, SCARD_PROTOCOL_T0);
	power_up(LUN1, SCARD_PROTOCOL_T0);
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, work, &w[i]), 0);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	ck_assert_uint_eq(w[0].ok, 200);
	ck_assert_uint_eq(w[1].ok, 200);
	/* removing the Vitale leaves the CPS alone */
	inproc_remove(0, 1);
	ck_assert_int_eq(IFDHICCPresence(LUN1), IFD_ICC_NOT_PRESENT);
	ck_assert_int_eq(IFDHICCPresence(LUN0), IFD_ICC_PRESENT);
	w[0].ok = 0;
	work(&w[0]);
	ck_assert_uint_eq(w[0].ok, 200);
	stop();
}
END_TEST

/* ---- card movement and unplug through the polling function */

struct poller {
	RESPONSECODE (*fn)(DWORD, int);
	DWORD lun;
	int timeout;
	RESPONSECODE rc;
	double ms;
};

static void *poll_thread(void *arg)
{
	struct poller *p = arg;
	double t0 = now_ms();

	p->rc = p->fn(p->lun, p->timeout);
	p->ms = now_ms() - t0;
	return NULL;
}

static void get_poller(struct poller *p, DWORD lun)
{
	DWORD n = sizeof(p->fn);

	ck_assert_int_eq(IFDHGetCapabilities(lun, TAG_IFD_POLLING_THREAD_WITH_TIMEOUT, &n, (PUCHAR)&p->fn),
			 IFD_SUCCESS);
	p->lun = lun;
	p->timeout = 5000;
	p->rc = -1;
}

START_TEST(test_card_movement_events)
{
	struct ccidfw_config c;
	struct poller p;
	pthread_t th;

	ccidfw_config_two_slot(&c);
	start(&c, &readertest_card_ops, &readertest_card_ops);
	get_poller(&p, LUN1);
	p.timeout = 100;
	poll_thread(&p);	/* the insertions at start-up */
	p.timeout = 5000;
	ck_assert_int_eq(pthread_create(&th, NULL, poll_thread, &p), 0);
	usleep(100000);
	inproc_remove(0, 1);
	pthread_join(th, NULL);
	ck_assert_int_eq(p.rc, IFD_SUCCESS);
	ck_assert_double_lt(p.ms, 1000);
	ck_assert_double_gt(p.ms, 50);
	ck_assert_int_eq(IFDHICCPresence(LUN1), IFD_ICC_NOT_PRESENT);
	/* back in */
	ck_assert_int_eq(pthread_create(&th, NULL, poll_thread, &p), 0);
	usleep(50000);
	ck_assert(inproc_insert(0, 1, &readertest_card_ops, cards[1]));
	pthread_join(th, NULL);
	ck_assert_int_eq(p.rc, IFD_SUCCESS);
	ck_assert_double_lt(p.ms, 1000);
	ck_assert_int_eq(IFDHICCPresence(LUN1), IFD_ICC_PRESENT);
	/* a card swapped between two presence checks is seen as a removal once */
	power_up(LUN1, SCARD_PROTOCOL_T1);
	inproc_remove(0, 1);
	ck_assert(inproc_insert(0, 1, &readertest_card_ops, cards[1]));
	ck_assert_int_eq(IFDHICCPresence(LUN1), IFD_ICC_NOT_PRESENT);
	ck_assert_int_eq(IFDHICCPresence(LUN1), IFD_ICC_PRESENT);
	stop();
}
END_TEST

START_TEST(test_stop_polling)
{
	struct poller p;
	pthread_t th;
	RESPONSECODE (*stopper)(DWORD);
	DWORD n = sizeof(stopper);

	start_level(CCID_FEAT_LEVEL_TPDU, &readertest_card_ops);
	get_poller(&p, LUN0);
	p.timeout = 50;
	poll_thread(&p);
	ck_assert_int_eq(IFDHGetCapabilities(LUN0, TAG_IFD_STOP_POLLING_THREAD, &n, (PUCHAR)&stopper),
			 IFD_SUCCESS);
	p.timeout = 60000;
	ck_assert_int_eq(pthread_create(&th, NULL, poll_thread, &p), 0);
	usleep(50000);
	ck_assert_int_eq(stopper(LUN0), IFD_SUCCESS);
	pthread_join(th, NULL);
	ck_assert_int_eq(p.rc, IFD_SUCCESS);
	ck_assert_double_lt(p.ms, 1500);
	/* a stop before the wait is not lost */
	ck_assert_int_eq(stopper(LUN0), IFD_SUCCESS);
	poll_thread(&p);
	ck_assert_double_lt(p.ms, 100);
	stop();
}
END_TEST

START_TEST(test_unplug_no_such_device)
{
	struct poller p;
	pthread_t th;
	UCHAR atr[MAX_ATR_SIZE], v[8];
	DWORD n = sizeof(atr);
	size_t rl;

	start_level(CCID_FEAT_LEVEL_TPDU, &readertest_card_ops);
	power_up(LUN0, SCARD_PROTOCOL_T1);
	get_poller(&p, LUN0);
	p.timeout = 50;
	poll_thread(&p);
	p.timeout = 5000;
	ck_assert_int_eq(pthread_create(&th, NULL, poll_thread, &p), 0);
	usleep(50000);
	inproc_unplug(0);
	pthread_join(th, NULL);
	ck_assert_int_eq(p.rc, IFD_NO_SUCH_DEVICE);
	ck_assert_double_lt(p.ms, 1000);
	/* every call from now on */
	ck_assert_int_eq(IFDHICCPresence(LUN0), IFD_NO_SUCH_DEVICE);
	ck_assert_int_eq(xmit_hex(LUN0, "80 30 00 00", &rl), IFD_NO_SUCH_DEVICE);
	ck_assert_uint_eq(rl, 0);
	ck_assert_int_eq(IFDHPowerICC(LUN0, IFD_POWER_UP, atr, &n), IFD_NO_SUCH_DEVICE);
	ck_assert_uint_eq(n, 0);
	n = sizeof(v);
	ck_assert_int_eq(IFDHGetCapabilities(LUN0, TAG_IFD_SLOTS_NUMBER, &n, v), IFD_NO_SUCH_DEVICE);
	ck_assert_int_eq(IFDHSetProtocolParameters(LUN0, SCARD_PROTOCOL_T1, 0, 0, 0, 0), IFD_NO_SUCH_DEVICE);
	ck_assert_int_eq(IFDHControl(LUN0, CM_IOCTL_GET_FEATURE_REQUEST, NULL, 0, v, sizeof(v), &n),
			 IFD_NO_SUCH_DEVICE);
	ck_assert_int_eq(p.fn(LUN0, 10), IFD_NO_SUCH_DEVICE);
	stop();
}
END_TEST

START_TEST(test_open_errors)
{
	char none[] = "inproc:3", bad[] = "usb:zzzz";

	ck_assert_int_ne(IFDHCreateChannelByName(LUN0, none), IFD_SUCCESS);
	ck_assert_int_ne(IFDHCreateChannelByName(LUN0, bad), IFD_SUCCESS);
	ck_assert_int_ne(IFDHCreateChannelByName(0x00400000, none), IFD_SUCCESS);
	ck_assert_int_eq(IFDHCreateChannel(LUN0, 1), IFD_COMMUNICATION_ERROR);
	ck_assert_int_eq(IFDHCloseChannel(LUN0), IFD_COMMUNICATION_ERROR);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ccid_ifd");
	TCase *tc = tcase_create("ifd");

	tcase_add_loop_test(tc, test_readertest_every_case, 0, 3);
	tcase_add_test(tc, test_t0_tpdu_cps3);
	tcase_add_test(tc, test_t0_character_level);
	tcase_add_test(tc, test_pps_when_reader_does_not);
	tcase_add_test(tc, test_pinpad_verify);
	tcase_add_test(tc, test_pinpad_modify);
	tcase_add_test(tc, test_no_pinpad_no_feature);
	tcase_add_test(tc, test_escape_and_properties);
	tcase_add_test(tc, test_capabilities);
	tcase_add_test(tc, test_two_slot_reader);
	tcase_add_test(tc, test_card_movement_events);
	tcase_add_test(tc, test_stop_polling);
	tcase_add_test(tc, test_unplug_no_such_device);
	tcase_add_test(tc, test_open_errors);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
