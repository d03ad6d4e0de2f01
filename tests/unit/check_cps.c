/* check_cps.c - the simulated CPS3 driven through its card ops: the public
 * Cryptolib traces byte for byte (cards.md §1.7), the OpenSC init sequence,
 * signatures/decipher checked with OpenSSL, PIN counters and persistence. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "check_util.h"
#include "cps/cps3.h"
#include "cps/shacore.h"
#include "profile.h"

static const struct sim_card_ops *ops = &cps3_card_ops;
static char dir[64], pki[96], state[96], profpath[96];
static struct sim_profile *prof;
static EVP_PKEY *pub_auth, *pub_sign, *pub_tech;
static void *card;
static uint8_t rbuf[600];
static size_t rlen;

/* Outside the tests (set-up), failures abort with a message. */
#define REQUIRE(x) do { if (!(x)) { fprintf(stderr, "check_cps: set-up failed: %s\n", #x); exit(1); } } while (0)

/* ---- test PKI: three RSA-2048 keys and self-signed certificates */
static EVP_PKEY *make_key(const char *name, EVP_PKEY **pub)
{
	char path[160];
	EVP_PKEY *k = EVP_RSA_gen(2048);
	X509 *x = X509_new();
	FILE *f;
	uint8_t *der = NULL;
	int n;

	REQUIRE(k);
	snprintf(path, sizeof(path), "%s/%s.key.pem", pki, name);
	f = fopen(path, "w");
	REQUIRE(f);
	REQUIRE(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL));
	fclose(f);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, k);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)name, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	REQUIRE(X509_sign(x, k, EVP_sha256()));
	n = i2d_X509(x, &der);
	REQUIRE(n > 0);
	snprintf(path, sizeof(path), "%s/%s.crt.der", pki, name);
	f = fopen(path, "wb");
	fwrite(der, 1, (size_t)n, f);
	fclose(f);
	OPENSSL_free(der);
	*pub = X509_get_pubkey(x);
	X509_free(x);
	return k;
}

static void make_pki(void)
{
	FILE *f;
	char err[256];

	snprintf(dir, sizeof(dir), "/tmp/check_cps.XXXXXX");
	REQUIRE(mkdtemp(dir));
	snprintf(pki, sizeof(pki), "%s/pki", dir);
	REQUIRE(mkdir(pki, 0700) == 0);
	EVP_PKEY_free(make_key("auth", &pub_auth));
	EVP_PKEY_free(make_key("sign", &pub_sign));
	EVP_PKEY_free(make_key("tech", &pub_tech));
	snprintf(state, sizeof(state), "%s/card.state", dir);
	snprintf(profpath, sizeof(profpath), "%s/cps-test.profile", dir);
	f = fopen(profpath, "w");
	fputs("card = cps3\nholder.idnat = 899700045678\nholder.surname = TRACE-TEST\n"
	      "holder.given = HELENE\ncard.serial = 992138450F\npin = 1234\npuk = 12345678\n", f);
	fclose(f);
	prof = sim_profile_load(profpath, err, sizeof(err));
	REQUIRE(prof != NULL);
}

static void *create(bool contactless)
{
	struct sim_card_config cfg = { .state_path = state, .profile = prof, .pki_dir = pki,
				       .contactless = contactless };
	void *c = ops->create(&cfg);

	ck_assert_ptr_nonnull(c);
	ops->power_on(c);
	return c;
}

static void setup(void)
{
	unlink(state);
	card = create(false);
}

static void setup_cl(void)
{
	unlink(state);
	card = create(true);
}

static void teardown(void)
{
	ops->destroy(card);
	card = NULL;
	unlink(state);
}

static unsigned send_raw(const uint8_t *b, size_t n)
{
	rlen = ops->process(card, b, n, rbuf, sizeof(rbuf));
	ck_assert_uint_ge(rlen, 2);
	return (unsigned)rbuf[rlen - 2] << 8 | rbuf[rlen - 1];
}

static unsigned send(const char *h)
{
	uint8_t capdu[300];

	return send_raw(capdu, hex(h, capdu, sizeof(capdu)));
}

static void data_is(const char *h)
{
	uint8_t want[300];
	size_t n = hex(h, want, sizeof(want));

	ck_assert_uint_eq(rlen - 2, n);
	ck_assert_mem_eq(rbuf, want, n);
}

/* Sends, follows 61 xx with GET RESPONSE; the data is left in out. */
static unsigned xfer(const uint8_t *b, size_t n, uint8_t *out, size_t *outlen)
{
	unsigned sw = send_raw(b, n);

	*outlen = 0;
	while ((sw >> 8) == 0x61) {
		uint8_t gr[5] = { 0x00, 0xC0, 0x00, 0x00, (uint8_t)sw };

		sw = send_raw(gr, 5);
		memcpy(out + *outlen, rbuf, rlen - 2);
		*outlen += rlen - 2;
	}
	if ((sw >> 8) != 0x61 && *outlen == 0 && rlen > 2) {
		memcpy(out, rbuf, rlen - 2);
		*outlen = rlen - 2;
	}
	return sw;
}

/* ---- traces */

START_TEST(cryptolib_trace)
{
	ck_assert_uint_eq(send("00 A4 09 04 04 3F 00 D0 03"), 0x6127);
	ck_assert_uint_eq(send("00 C0 00 00 27"), 0x9000);
	data_is("62 25 80 02 00 0C 82 01 01 83 02 D0 03 88 01 E0 A1 12 8C 07 7B FF FF FF FF FF 00"
		" 9C 07 7B FF FF FF FF FF 00 8A 01 05");
	ck_assert_uint_eq(send("00 B0 00 00 0C"), 0x9000);
	data_is("5A 0A 80 25 00 00 01 99 21 38 45 0F");
	ck_assert_uint_eq(send("00 A4 09 04 04 3F 00 D0 10"), 0x6A82);
	ck_assert_uint_eq(send("00 A4 09 04 04 3F 00 D0 10"), 0x6A82);
	ck_assert_uint_eq(send("00 A4 09 0C 04 3F 00 00 01"), 0x9000);
	ck_assert_uint_eq(rlen, 2);
	ck_assert_uint_eq(send("00 A4 09 0C 02 3F 00"), 0x9000);
	ck_assert_uint_eq(rlen, 2);
	ck_assert_uint_eq(send("00 CB 3F FF 0A 4D 08 70 06 BF 81 01 02 A0 80"), 0x6118);
	ck_assert_uint_eq(send("00 C0 00 00 18"), 0x9000);
	data_is("70 16 BF 81 01 12 A0 10 9A 01 03 9B 01 03 A1 08 8C 06 F3 00 00 13 FF 00");
	/* §1.7b select variants */
	ck_assert_uint_eq(send("00 A4 02 00 02 A0 01"), 0x6A86);
	ck_assert_uint_eq(send("00 A4 04 00 0D E8 28 BD 08 0F 80 25 00 00 01 FF 00 10"), 0x6A86);
	ck_assert_uint_eq(send("00 A4 04 0C 0D E8 28 BD 08 0F 80 25 00 00 01 FF 00 10"), 0x9000);
	ck_assert_uint_eq(send("00 A4 09 04 02 2F 00"), 0x6A82);	/* DF 0001 current */
	ck_assert_uint_eq(send("00 A4 04 00 08 80 25 00 00 01 FF 01 00"), 0x9000);
	ck_assert_uint_eq(rlen, 2);
}
END_TEST

START_TEST(opensc_init)
{
	static const char ef_atr[] = "80 43 01 B8 46 04 04 B0 EC C1 47 03 94 01 80 4F 08 80 25 00 00 01"
		" FF 01 00 E0 10 02 02 01 04 02 02 01 04 02 02 01 00 02 02 01 00 78 08 06 06 2B 81 22"
		" F8 78 02 82 02 90 00";
	uint8_t atr[40];

	ck_assert_uint_eq(ops->atr(card, atr, sizeof(atr)), 17);
	ck_assert_uint_eq(atr[1], 0xAC);
	ck_assert_uint_eq(send("00 A4 09 04 04 3F 00 2F 01"), 0x6127);
	ck_assert_uint_eq(send("00 C0 00 00 27"), 0x9000);
	data_is("62 25 80 02 00 39 82 01 01 83 02 2F 01 88 01 E8 A1 12 8C 07 7B 45 FF FF FF 45 00"
		" 9C 07 7B FF FF FF FF FF 00 8A 01 05");
	ck_assert_uint_eq(send("00 B0 00 00 39"), 0x9000);
	data_is(ef_atr);
	ck_assert_uint_eq(send("00 A4 04 04 08 80 25 00 00 01 FF 01 00"), 0x9000);
	ck_assert_uint_eq(rlen, 2);
	ck_assert_uint_eq(send("00 B0 9C 00 C0"), 0x6282);
	data_is("5A 0A 80 25 00 00 01 99 21 38 45 0F");
	/* EF.DIR: the contact app first */
	ck_assert_uint_eq(send("00 A4 09 04 04 3F 00 2F 00") >> 8, 0x61);
	ck_assert_uint_eq(send("00 B0 00 00 11"), 0x9000);
	data_is("61 1F 4F 0D E8 28 BD 08 0F 80 25 00 00 01 FF 00 10");
	/* PIN status, then the CHV policy as OpenSC reads it */
	ck_assert_uint_eq(send("00 20 00 01 00"), 0x63C3);
	ck_assert_uint_eq(send("00 A4 09 04 02 3F 00") >> 8, 0x61);
	ck_assert_uint_eq(send("00 CB 3F FF 0B 4D 09 70 07 BF 81 01 03 7F 41 80"), 0x6A86);
	ck_assert_uint_eq(send("00 CB 3F FF 0A 4D 08 70 06 BF 81 02 02 A0 80"), 0x611C);
	ck_assert_uint_eq(send("00 C0 00 00 1C"), 0x9000);
	data_is("70 1A BF 81 02 16 A0 14 9A 01 0A 9B 01 0A 9D 02 00 64 A1 08 8C 06 F3 FF 00 FF FF 00");
	/* SE only with the MF current */
	ck_assert_uint_eq(send("00 CB 3F FF 0A 4D 08 70 06 BF FB 05 02 7B 80") >> 8, 0x61);
	ck_assert_uint_eq(send("00 A4 09 04 04 3F 00 00 01") >> 8, 0x61);
	ck_assert_uint_eq(send("00 CB 3F FF 0A 4D 08 70 06 BF FB 05 02 7B 80"), 0x6A88);
	/* key SDOs with DF 0001 current */
	ck_assert_uint_eq(send("00 CB 3F FF 0B 4D 09 70 07 BF 90 02 03 7F 48 80"), 0x6A86);
	ck_assert_uint_eq(send("00 CB 3F FF 0A 4D 08 70 06 BF 90 02 02 A0 80"), 0x6117);
	ck_assert_uint_eq(send("00 C0 00 00 17"), 0x9000);
	data_is("70 15 BF 90 02 11 A0 0F 80 02 01 00 A1 09 8C 07 7B FF 12 12 FF FF 00");
	ck_assert_uint_eq(send("00 CB 3F FF 0A 4D 08 70 06 BF 90 01 02 A0 80"), 0x6117);
	ck_assert_uint_eq(send("00 C0 00 00 17"), 0x9000);
	data_is("70 15 BF 90 01 11 A0 0F 80 02 01 00 A1 09 8C 07 7B 12 FF FF FF FF 00");
	ck_assert_uint_eq(send("00 A4 09 04 02 3F 00") >> 8, 0x61);
	ck_assert_uint_eq(send("00 CB 3F FF 0A 4D 08 70 06 BF 90 01 02 A0 80"), 0x6A88);
	/* challenge */
	ck_assert_uint_eq(send("00 84 00 00 08"), 0x9000);
	ck_assert_uint_eq(rlen, 10);
	/* 7001 readable in contact mode */
	ck_assert_uint_eq(send("00 A4 09 0C 06 3F 00 00 01 70 01"), 0x9000);
	ck_assert_uint_eq(send("00 B0 00 00 01"), 0x9000);
}
END_TEST

/* PSO HASH + CDS for one message; verified with OpenSSL. opensc_tail: the
 * last block may be empty (OpenSC) rather than 1..64 bytes (Cryptolib). */
static void sign_message(bool sha256, size_t len, bool opensc_tail)
{
	uint8_t msg[256], capdu[300], sig[512], st[32];
	const EVP_MD *md = sha256 ? EVP_sha256() : EVP_sha1();
	size_t hl = sha256 ? 32 : 20, full, n = 0, siglen;
	struct shacore s;
	EVP_MD_CTX *v;

	for (size_t i = 0; i < len; i++)
		msg[i] = (uint8_t)(i * 7 + 3);
	full = opensc_tail ? len / 64 * 64 : (len ? (len - 1) / 64 * 64 : 0);
	ck_assert_uint_eq(send(sha256 ? "00 22 41 AA 03 80 01 40" : "00 22 41 AA 03 80 01 10"), 0x9000);
	capdu[0] = 0x00, capdu[1] = 0x2A, capdu[2] = 0x90, capdu[3] = 0xA0;
	n = 5;
	capdu[n++] = 0x90;
	if (full == 0) {
		capdu[n++] = 0;
	} else {
		shacore_init(&s, sha256);
		shacore_update(&s, msg, full);
		capdu[n++] = (uint8_t)(hl + 8);
		shacore_state(&s, st);
		memcpy(capdu + n, st, hl);
		n += hl;
		for (int i = 7; i >= 0; i--)
			capdu[n++] = (uint8_t)((uint64_t)full * 8 >> (8 * i));
	}
	capdu[n++] = 0x80;
	capdu[n++] = (uint8_t)(len - full);
	memcpy(capdu + n, msg + full, len - full);
	n += len - full;
	capdu[4] = (uint8_t)(n - 5);
	ck_assert_uint_eq(send_raw(capdu, n), 0x9000);
	ck_assert_uint_eq(send(sha256 ? "00 22 41 B6 06 80 01 42 84 01 81" : "00 22 41 B6 06 84 01 81 80 01 12"), 0x9000);
	ck_assert_uint_eq(send("00 2A 9E 9A 00"), 0x6100);
	ck_assert_uint_eq(xfer((const uint8_t *)"\x00\xC0\x00\x00\x00", 5, sig, &siglen), 0x9000);
	ck_assert_uint_eq(siglen, 256);
	v = EVP_MD_CTX_new();
	ck_assert(EVP_DigestVerifyInit(v, NULL, md, NULL, pub_sign) == 1);
	ck_assert_msg(EVP_DigestVerify(v, sig, siglen, msg, len) == 1, "sha256=%d len=%zu", sha256, len);
	EVP_MD_CTX_free(v);
}

START_TEST(pso_hash_cds)
{
	static const size_t lens[] = { 0, 63, 64, 65, 200 };

	ck_assert_uint_eq(send("00 22 41 B6 06 84 01 81 80 01 42"), 0x9000);
	ck_assert_uint_eq(send("00 2A 9E 9A 00"), 0x6982);	/* before VERIFY */
	ck_assert_uint_eq(send("00 20 00 01 04 31 32 33 34"), 0x9000);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		sign_message(false, lens[i], false);
		sign_message(true, lens[i], false);
	}
	sign_message(true, 128, true);
	sign_message(false, 64, true);
	/* CDS with no hash pending */
	ck_assert_uint_eq(send("00 2A 9E 9A 00"), 0x6985);
}
END_TEST

START_TEST(cds_bare_hash)
{
	uint8_t capdu[64] = { 0x00, 0x2A, 0x9E, 0x9A, 0x20 }, h[32], sig[512];
	size_t siglen;
	EVP_PKEY_CTX *v;

	for (int i = 0; i < 32; i++)
		h[i] = capdu[5 + i] = (uint8_t)(0xA0 + i);
	capdu[37] = 0x00;
	ck_assert_uint_eq(send("00 20 00 01 04 31 32 33 34"), 0x9000);
	ck_assert_uint_eq(send("00 22 41 B6 06 80 01 42 84 01 81"), 0x9000);
	ck_assert_uint_eq(xfer(capdu, 38, sig, &siglen), 0x9000);
	ck_assert_uint_eq(siglen, 256);
	v = EVP_PKEY_CTX_new(pub_sign, NULL);
	ck_assert(EVP_PKEY_verify_init(v) == 1);
	ck_assert(EVP_PKEY_CTX_set_rsa_padding(v, RSA_PKCS1_PADDING) == 1);
	ck_assert(EVP_PKEY_CTX_set_signature_md(v, EVP_sha256()) == 1);
	ck_assert(EVP_PKEY_verify(v, sig, siglen, h, 32) == 1);
	EVP_PKEY_CTX_free(v);
	capdu[4] = 0x14;	/* 20 bytes with a SHA-256 DST */
	ck_assert_uint_eq(send_raw(capdu, 25), 0x6700);
	/* the auth key cannot do CDS */
	ck_assert_uint_eq(send("00 22 41 B6 06 80 01 42 84 01 82"), 0x9000);
	ck_assert_uint_eq(send("00 2A 9E 9A 00"), 0x6985);
}
END_TEST

START_TEST(internal_authenticate)
{
	/* SHA-256 DigestInfo of 32 bytes 0x11 */
	uint8_t capdu[128], sig[512], rec[512];
	static const uint8_t di[] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
				      0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 };
	size_t n = 0, siglen, reclen = sizeof(rec);
	EVP_PKEY_CTX *v;

	capdu[n++] = 0x00, capdu[n++] = 0x88, capdu[n++] = 0x00, capdu[n++] = 0x00, capdu[n++] = 0x33;
	memcpy(capdu + n, di, sizeof(di));
	n += sizeof(di);
	memset(capdu + n, 0x11, 32);
	n += 32;
	ck_assert_uint_eq(send("00 22 41 A4 06 84 01 82 80 01 02"), 0x9000);
	ck_assert_uint_eq(send_raw(capdu, n), 0x6982);
	ck_assert_uint_eq(send("00 20 00 01 04 31 32 33 34"), 0x9000);
	ck_assert_uint_eq(send("00 22 41 A4 06 84 01 82 80 01 02"), 0x9000);
	ck_assert_uint_eq(xfer(capdu, n, sig, &siglen), 0x9000);
	ck_assert_uint_eq(siglen, 256);
	v = EVP_PKEY_CTX_new(pub_auth, NULL);
	ck_assert(EVP_PKEY_verify_recover_init(v) == 1);
	ck_assert(EVP_PKEY_CTX_set_rsa_padding(v, RSA_PKCS1_PADDING) == 1);
	ck_assert(EVP_PKEY_verify_recover(v, rec, &reclen, sig, siglen) == 1);
	ck_assert_uint_eq(reclen, 0x33);
	ck_assert_mem_eq(rec, capdu + 5, 0x33);
	EVP_PKEY_CTX_free(v);
	/* more than 40% of the modulus (102 bytes) */
	memset(capdu + 5, 0x22, 103);
	capdu[4] = 103;
	ck_assert_uint_eq(send_raw(capdu, 108), 0x6700);
	capdu[4] = 102;
	ck_assert_uint_eq(send_raw(capdu, 107), 0x6100);
	/* the signature key cannot authenticate */
	ck_assert_uint_eq(send("00 22 41 A4 06 84 01 81 80 01 02"), 0x9000);
	ck_assert_uint_eq(send_raw(capdu, 107), 0x6985);
}
END_TEST

START_TEST(decipher)
{
	static const char secret[] = "secret session key 0123456789";
	uint8_t ct[512], capdu[300], out[512];
	size_t ctlen = sizeof(ct), outlen;
	EVP_PKEY_CTX *e = EVP_PKEY_CTX_new(pub_auth, NULL);

	ck_assert(EVP_PKEY_encrypt_init(e) == 1);
	ck_assert(EVP_PKEY_CTX_set_rsa_padding(e, RSA_PKCS1_PADDING) == 1);
	ck_assert(EVP_PKEY_encrypt(e, ct, &ctlen, (const uint8_t *)secret, strlen(secret)) == 1);
	EVP_PKEY_CTX_free(e);
	ck_assert_uint_eq(ctlen, 256);
	ck_assert_uint_eq(send("00 20 00 01 04 31 32 33 34"), 0x9000);
	ck_assert_uint_eq(send("00 22 41 B8 06 84 01 82 80 01 1A"), 0x9000);
	/* as OpenSC chains it: 255 bytes (81 + 254), then 2 */
	memcpy(capdu, "\x10\x2A\x80\x86\xFF\x81", 6);
	memcpy(capdu + 6, ct, 254);
	ck_assert_uint_eq(send_raw(capdu, 260), 0x9000);
	memcpy(capdu, "\x00\x2A\x80\x86\x02", 5);
	memcpy(capdu + 5, ct + 254, 2);
	ck_assert_uint_eq(xfer(capdu, 7, out, &outlen), 0x9000);
	ck_assert_uint_eq(outlen, strlen(secret));
	ck_assert_mem_eq(out, secret, outlen);
	/* garbage cryptogram */
	memcpy(capdu, "\x10\x2A\x80\x86\xFF\x81", 6);
	memset(capdu + 6, 0x5A, 254);
	ck_assert_uint_eq(send_raw(capdu, 260), 0x9000);
	memcpy(capdu, "\x00\x2A\x80\x86\x02\x5A\x5A", 7);
	ck_assert_uint_eq(send_raw(capdu, 7), 0x6A80);
	/* no padding indicator */
	ck_assert_uint_eq(send("00 2A 80 86 02 00 01"), 0x6A80);
}
END_TEST

START_TEST(pin_block_persist_unblock)
{
	ck_assert_uint_eq(send("00 20 00 01 04 30 30 30 30"), 0x63C2);
	ck_assert_uint_eq(send("00 20 00 01 04 30 30 30 30"), 0x63C1);
	ck_assert_uint_eq(send("00 20 00 01 04 30 30 30 30"), 0x63C0);
	ck_assert_uint_eq(send("00 20 00 01 04 31 32 33 34"), 0x6983);
	ck_assert_uint_eq(send("00 20 00 01 00"), 0x6983);
	/* a restart with the same state file: still blocked */
	ops->destroy(card);
	card = create(false);
	ck_assert_uint_eq(send("00 20 00 01 00"), 0x6983);
	ck_assert_uint_eq(send("00 CB 3F FF 0A 4D 08 70 06 BF 81 01 02 A0 80"), 0x6118);
	ck_assert_uint_eq(send("00 C0 00 00 18"), 0x9000);
	data_is("70 16 BF 81 01 12 A0 10 9A 01 03 9B 01 00 A1 08 8C 06 F3 00 00 13 FF 00");
	/* unblock with PUK || new PIN; the PUK usage counter drops */
	ck_assert_uint_eq(send("00 2C 00 01 0C 31 32 33 34 35 36 37 38 34 33 32 31"), 0x9000);
	ck_assert_uint_eq(send("00 CB 3F FF 0A 4D 08 70 06 BF 81 02 02 A0 80"), 0x611C);
	ck_assert_uint_eq(send("00 C0 00 00 1C"), 0x9000);
	data_is("70 1A BF 81 02 16 A0 14 9A 01 0A 9B 01 0A 9D 02 00 63 A1 08 8C 06 F3 FF 00 FF FF 00");
	ops->destroy(card);
	card = create(false);
	ck_assert_uint_eq(send("00 20 00 01 00"), 0x63C3);
	ck_assert_uint_eq(send("00 20 00 01 04 34 33 32 31"), 0x9000);
	/* reset clears the security status */
	ops->reset(card);
	ck_assert_uint_eq(send("00 20 00 01 00"), 0x63C3);
}
END_TEST

START_TEST(corrupt_state_refused)
{
	FILE *f;
	struct sim_card_config cfg = { .state_path = state, .profile = prof, .pki_dir = pki };

	ops->destroy(card);
	card = NULL;
	f = fopen(state, "w");
	fputs("santecard-cardos-state 1\nchv 01 31323334 x\n", f);
	fclose(f);
	ck_assert_ptr_null(ops->create(&cfg));
	unlink(state);
	card = create(false);
}
END_TEST

START_TEST(cps2ter)
{
	ck_assert_uint_eq(send("A0 A4 00 00 02 3F 00"), 0x9F09);
	ck_assert_uint_eq(send("A0 C0 00 00 09"), 0x9000);
	ck_assert_uint_eq(rbuf[0], 0x85);
	ck_assert_uint_eq(rbuf[6], 0x01);
	ck_assert_uint_eq(send("A0 A4 00 00 02 40 10"), 0x9F09);
	ck_assert_uint_eq(send("A0 C0 00 00 09"), 0x9000);
	ck_assert_uint_eq(rbuf[6], 0x04);
	ck_assert_uint_eq(send("A0 B0 00 00 02"), 0x9804);
	ck_assert_uint_eq(send("00 20 00 01 04 31 32 33 34"), 0x9000);
	ck_assert_uint_eq(send("A0 B0 00 00 02"), 0x9000);
	ck_assert_uint_eq(rbuf[0], 0x30);
	ck_assert_uint_eq(send("A0 A4 00 00 02 2F 00"), 0x9404);
	ck_assert_uint_eq(send("C0 A4 00 00 02 3F 00"), 0x6E00);
}
END_TEST

START_TEST(contactless)
{
	uint8_t atr[40], capdu[64], sig[512];
	size_t siglen;

	ck_assert_uint_eq(ops->atr(card, atr, sizeof(atr)), 20);
	ck_assert_uint_eq(atr[1], 0x8F);
	ck_assert_uint_eq(atr[19], 0x0E);
	/* EF.DIR lists the contactless app only */
	ck_assert_uint_eq(send("00 A4 09 0C 04 3F 00 2F 00"), 0x9000);
	ck_assert_uint_eq(send("00 B0 00 00 09"), 0x9000);
	data_is("61 22 4F 0D E8 28 BD 08 0F");
	ck_assert_uint_eq(send("00 A4 04 0C 0D E8 28 BD 08 0F 80 25 00 00 01 FF 00 20"), 0x9000);
	/* tech key: INTERNAL AUTHENTICATE without a PIN, no signature */
	ck_assert_uint_eq(send("00 22 41 A4 06 84 01 81 80 01 02"), 0x9000);
	memcpy(capdu, "\x00\x88\x00\x00\x14", 5);
	memset(capdu + 5, 0x33, 20);
	ck_assert_uint_eq(xfer(capdu, 25, sig, &siglen), 0x9000);
	ck_assert_uint_eq(siglen, 256);
	{
		uint8_t rec[512];
		size_t reclen = sizeof(rec);
		EVP_PKEY_CTX *v = EVP_PKEY_CTX_new(pub_tech, NULL);

		ck_assert(EVP_PKEY_verify_recover_init(v) == 1);
		ck_assert(EVP_PKEY_CTX_set_rsa_padding(v, RSA_PKCS1_PADDING) == 1);
		ck_assert(EVP_PKEY_verify_recover(v, rec, &reclen, sig, siglen) == 1);
		ck_assert_uint_eq(reclen, 20);
		EVP_PKEY_CTX_free(v);
	}
	ck_assert_uint_eq(send("00 22 41 B6 06 84 01 81 80 01 42"), 0x9000);
	ck_assert_uint_eq(send("00 2A 9E 9A 00"), 0x6985);
	/* 7001 cannot be read contactless; no contact app */
	ck_assert_uint_eq(send("00 A4 09 0C 06 3F 00 00 01 70 01"), 0x9000);
	ck_assert_uint_eq(send("00 B0 00 00 01"), 0x6982);
	ck_assert_uint_eq(send("00 A4 04 0C 0D E8 28 BD 08 0F 80 25 00 00 01 FF 00 10"), 0x6A82);
	ck_assert_uint_eq(send("A0 A4 00 00 02 40 10"), 0x9404);
}
END_TEST

START_TEST(blocked_profile)
{
	char err[256], path[128];
	FILE *f;
	struct sim_profile *p;
	struct sim_card_config cfg = { .profile = NULL, .pki_dir = pki };
	void *c;

	snprintf(path, sizeof(path), "%s/blocked.profile", dir);
	f = fopen(path, "w");
	fputs("card = cps3\npin.tries_left = 0\n", f);
	fclose(f);
	p = sim_profile_load(path, err, sizeof(err));
	ck_assert_ptr_nonnull(p);
	cfg.profile = p;
	c = ops->create(&cfg);
	ck_assert_ptr_nonnull(c);
	ops->power_on(c);
	rlen = ops->process(c, (const uint8_t *)"\x00\x20\x00\x01\x00", 5, rbuf, sizeof(rbuf));
	ck_assert_uint_eq(rbuf[0] << 8 | rbuf[1], 0x6983);
	ops->destroy(c);
	sim_profile_free(p);
	/* a bad value is refused */
	f = fopen(path, "w");
	fputs("card = cps3\npin.tries_left = 7\n", f);
	fclose(f);
	p = sim_profile_load(path, err, sizeof(err));
	cfg.profile = p;
	ck_assert_ptr_null(ops->create(&cfg));
	sim_profile_free(p);
	cfg.profile = NULL;
	cfg.pki_dir = NULL;
	ck_assert_ptr_null(ops->create(&cfg));
}
END_TEST

START_TEST(shacore_vectors)
{
	struct shacore s;
	uint8_t d[32], want[32];
	unsigned int wl;

	for (size_t len = 0; len < 300; len += 13) {
		uint8_t msg[300];

		for (size_t i = 0; i < len; i++)
			msg[i] = (uint8_t)(i ^ 0x5C);
		shacore_init(&s, true);
		shacore_update(&s, msg, len);
		shacore_final(&s, d);
		EVP_Digest(msg, len, want, &wl, EVP_sha256(), NULL);
		ck_assert_mem_eq(d, want, 32);
		shacore_init(&s, false);
		shacore_update(&s, msg, len);
		shacore_final(&s, d);
		EVP_Digest(msg, len, want, &wl, EVP_sha1(), NULL);
		ck_assert_mem_eq(d, want, 20);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cps3");
	TCase *tc = tcase_create("contact");
	TCase *cl = tcase_create("contactless");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, cryptolib_trace);
	tcase_add_test(tc, opensc_init);
	tcase_add_test(tc, pso_hash_cds);
	tcase_add_test(tc, cds_bare_hash);
	tcase_add_test(tc, internal_authenticate);
	tcase_add_test(tc, decipher);
	tcase_add_test(tc, pin_block_persist_unblock);
	tcase_add_test(tc, corrupt_state_refused);
	tcase_add_test(tc, cps2ter);
	tcase_add_test(tc, blocked_profile);
	tcase_add_test(tc, shacore_vectors);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(cl, setup_cl, teardown);
	tcase_add_test(cl, contactless);
	suite_add_tcase(s, cl);
	return s;
}

int main(void)
{
	int rc;
	char cmd[128];

	make_pki();
	rc = run_suite(suite());
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		rc = EXIT_FAILURE;
	sim_profile_free(prof);
	EVP_PKEY_free(pub_auth);
	EVP_PKEY_free(pub_sign);
	EVP_PKEY_free(pub_tech);
	return rc;
}
