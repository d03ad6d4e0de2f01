/*
 * check_p11_pinpad.c - santecard-pkcs11.so on a keypad reader: the CPS3 in
 * reader 0 and a contactless CPS3 in reader 1, both behind
 * tests/integration/ifd_pinpad.so, whose scripted keypad types what
 * $STC_PINPAD_KEYS holds. CKF_PROTECTED_AUTHENTICATION_PATH, C_Login and
 * C_SetPIN with NULL PINs, and each keypad outcome's CKR. Run by
 * tests/integration/test_p11_pinpad.sh inside the testbed.
 */
#include "config.h"

#include <check.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p11_v3.h"
#include "check_util.h"

static CK_FUNCTION_LIST_PTR f;
static void *lib;

#define CPS_SLOT 1
#define CL_SLOT 2

static void setup(void)
{
	char path[1024];
	const char *top = getenv("top_builddir");
	CK_C_GetFunctionList get;

	snprintf(path, sizeof(path), "%s/pkcs11/.libs/santecard-pkcs11.so", top ? top : ".");
	lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	ck_assert_msg(lib != NULL, "dlopen %s: %s", path, dlerror());
	get = (CK_C_GetFunctionList)dlsym(lib, "C_GetFunctionList");
	ck_assert_ptr_nonnull(get);
	ck_assert_int_eq(get(&f), CKR_OK);
	ck_assert_int_eq(f->C_Initialize(NULL), CKR_OK);
}

static void teardown(void)
{
	if (f)
		(void)f->C_Finalize(NULL);
}

/* What the user types next on the keypad (words: a PIN, "cancel", "timeout"). */
static void keypad(const char *keys)
{
	const char *path = getenv("STC_PINPAD_KEYS");
	FILE *fp = path ? fopen(path, "w") : NULL;

	ck_assert_msg(fp != NULL, "STC_PINPAD_KEYS not writable");
	fprintf(fp, "%s\n", keys);
	ck_assert_int_eq(fclose(fp), 0);
}

static CK_SESSION_HANDLE open_session(CK_SLOT_ID slot, CK_FLAGS rw)
{
	CK_SESSION_HANDLE h;

	ck_assert_int_eq(f->C_OpenSession(slot, CKF_SERIAL_SESSION | rw, NULL, NULL, &h), CKR_OK);
	return h;
}

static CK_FLAGS token_flags(CK_SLOT_ID slot)
{
	CK_TOKEN_INFO ti;

	ck_assert_int_eq(f->C_GetTokenInfo(slot, &ti), CKR_OK);
	return ti.flags;
}

#define COUNTER_FLAGS (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED)

START_TEST(protected_path_flag)
{
	CK_FLAGS fl = token_flags(CPS_SLOT);

	ck_assert(fl & CKF_PROTECTED_AUTHENTICATION_PATH);
	ck_assert(fl & CKF_LOGIN_REQUIRED);
	/* a keypad is no use to a token without a PIN */
	ck_assert_uint_eq(token_flags(CL_SLOT) & CKF_PROTECTED_AUTHENTICATION_PATH, 0);
}
END_TEST

START_TEST(login_on_keypad)
{
	CK_SESSION_HANDLE h = open_session(CPS_SLOT, 0), cl = open_session(CL_SLOT, 0);
	CK_SESSION_INFO info;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof(cls) };
	CK_OBJECT_HANDLE key;
	CK_ULONG n = 0;
	CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	uint8_t sig[256];
	CK_ULONG sl = sizeof(sig);

	ck_assert_int_eq(f->C_Login(cl, CKU_USER, NULL, 0), CKR_USER_PIN_NOT_INITIALIZED);
	keypad("cancel");
	ck_assert_int_eq(f->C_Login(h, CKU_USER, NULL, 0), CKR_FUNCTION_CANCELED);
	keypad("timeout");
	ck_assert_int_eq(f->C_Login(h, CKU_USER, NULL, 0), CKR_FUNCTION_CANCELED);
	keypad("12");   /* shorter than the AODF's minimum: the reader refuses it */
	ck_assert_int_eq(f->C_Login(h, CKU_USER, NULL, 0), CKR_PIN_LEN_RANGE);
	/* none of these reached the card's counter */
	ck_assert_uint_eq(token_flags(CPS_SLOT) & COUNTER_FLAGS, 0);
	keypad("1235");
	ck_assert_int_eq(f->C_Login(h, CKU_USER, NULL, 0), CKR_PIN_INCORRECT);
	ck_assert_uint_eq(token_flags(CPS_SLOT) & COUNTER_FLAGS, CKF_USER_PIN_COUNT_LOW);
	ck_assert_int_eq(f->C_GetSessionInfo(h, &info), CKR_OK);
	ck_assert_uint_eq(info.state, CKS_RO_PUBLIC_SESSION);
	keypad("1234");
	ck_assert_int_eq(f->C_Login(h, CKU_USER, NULL, 0), CKR_OK);
	ck_assert_uint_eq(token_flags(CPS_SLOT) & COUNTER_FLAGS, 0);
	ck_assert_int_eq(f->C_GetSessionInfo(h, &info), CKR_OK);
	ck_assert_uint_eq(info.state, CKS_RO_USER_FUNCTIONS);
	ck_assert_int_eq(f->C_Login(h, CKU_USER, NULL, 0), CKR_USER_ALREADY_LOGGED_IN);
	/* the keys work after a keypad login */
	ck_assert_int_eq(f->C_FindObjectsInit(h, &t, 1), CKR_OK);
	ck_assert_int_eq(f->C_FindObjects(h, &key, 1, &n), CKR_OK);
	ck_assert_int_eq(f->C_FindObjectsFinal(h), CKR_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(f->C_SignInit(h, &m, key), CKR_OK);
	ck_assert_int_eq(f->C_Sign(h, (CK_BYTE_PTR)"keypad", 6, sig, &sl), CKR_OK);
	ck_assert_uint_eq(sl, 256);
	/* a PIN given by the application still goes the host's way */
	ck_assert_int_eq(f->C_Logout(h), CKR_OK);
	keypad("cancel");
	ck_assert_int_eq(f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"1234", 4), CKR_OK);
}
END_TEST

START_TEST(set_pin_on_keypad)
{
	CK_SESSION_HANDLE ro = open_session(CPS_SLOT, 0), rw = open_session(CPS_SLOT, CKF_RW_SESSION);

	keypad("1234 5678 5678");
	ck_assert_int_eq(f->C_SetPIN(ro, NULL, 0, NULL, 0), CKR_SESSION_READ_ONLY);
	/* the CPS3's PIN is unpadded: no fixed offsets for the reader to write
	 * both PINs at (docs/ARCHITECTURE.md, Keypads) */
	ck_assert_int_eq(f->C_SetPIN(rw, NULL, 0, NULL, 0), CKR_FUNCTION_NOT_SUPPORTED);
	ck_assert_int_eq(f->C_SetPIN(rw, NULL, 0, (CK_UTF8CHAR_PTR)"5678", 4), CKR_ARGUMENTS_BAD);
	ck_assert_int_eq(f->C_SetPIN(rw, (CK_UTF8CHAR_PTR)"1234", 4, NULL, 0), CKR_ARGUMENTS_BAD);
	/* unchanged */
	ck_assert_int_eq(f->C_Login(rw, CKU_USER, (CK_UTF8CHAR_PTR)"1234", 4), CKR_OK);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("santecard-pkcs11 keypad");
	TCase *tc = tcase_create("keypad");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, protected_path_flag);
	tcase_add_test(tc, login_on_keypad);
	tcase_add_test(tc, set_pin_on_keypad);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(suite());
}
