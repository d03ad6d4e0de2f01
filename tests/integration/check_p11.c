/*
 * check_p11.c - every CKR path of santecard-pkcs11.so, loaded the way
 * applications load it (dlopen + C_GetFunctionList / C_GetInterface), against
 * the real stack: pcscd, vpcd, santecard-sim with the cps-doctor CPS3 in
 * reader 0 and the vitale-family Vitale 2 in reader 1. Run by
 * tests/integration/test_p11_ckr.sh inside the testbed. The tests run in
 * order, each in its own process; the last one blocks the PIN.
 */
#include "config.h"

#include <check.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "p11_v3.h"
#include "check_util.h"
#include "tb.h"

static CK_FUNCTION_LIST_PTR f;
static void *lib;

#define CPS_SLOT 1
#define VITALE_SLOT 2
#define PIN "1234"
#define P11_FIND_MAX 128

static const uint8_t aut_id[] = { 0xe8, 0x28, 0xbd, 0x08, 0x0f, 0x80, 0x25, 0x00, 0x00, 0x01,
				  0xff, 0x00, 0x10, 0x02 };
static const uint8_t sig_id[] = { 0xe8, 0x28, 0xbd, 0x08, 0x0f, 0x80, 0x25, 0x00, 0x00, 0x01,
				  0xff, 0x00, 0x10, 0x01 };

static void load(void)
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
}

static void setup(void)
{
	load();
}

static void setup_init(void)
{
	load();
	ck_assert_int_eq(f->C_Initialize(NULL), CKR_OK);
}

static void teardown(void)
{
	if (f)
		(void)f->C_Finalize(NULL);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static CK_SESSION_HANDLE open_ro(CK_SLOT_ID slot)
{
	CK_SESSION_HANDLE h;

	ck_assert_int_eq(f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &h), CKR_OK);
	return h;
}

static CK_OBJECT_HANDLE find(CK_SESSION_HANDLE h, CK_OBJECT_CLASS cls, const uint8_t *id,
			     size_t id_len)
{
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_ID, (void *)id, id_len } };
	CK_OBJECT_HANDLE o = CK_INVALID_HANDLE;
	CK_ULONG n = 0;

	ck_assert_int_eq(f->C_FindObjectsInit(h, t, 2), CKR_OK);
	ck_assert_int_eq(f->C_FindObjects(h, &o, 1, &n), CKR_OK);
	ck_assert_int_eq(f->C_FindObjectsFinal(h), CKR_OK);
	return n ? o : CK_INVALID_HANDLE;
}

static CK_RV sign(CK_SESSION_HANDLE h, CK_MECHANISM_TYPE m, CK_OBJECT_HANDLE key,
		  const char *msg, uint8_t *sig, CK_ULONG *len)
{
	CK_MECHANISM mech = { m, NULL, 0 };
	CK_RV rv = f->C_SignInit(h, &mech, key);

	if (rv != CKR_OK)
		return rv;
	return f->C_Sign(h, (CK_BYTE_PTR)msg, strlen(msg), sig, len);
}

static CK_FLAGS token_flags(CK_SLOT_ID slot)
{
	CK_TOKEN_INFO ti;

	ck_assert_int_eq(f->C_GetTokenInfo(slot, &ti), CKR_OK);
	return ti.flags;
}

/* ------------------------------------------------ before C_Initialize */

START_TEST(not_initialized)
{
	CK_INFO info;
	CK_ULONG n;
	CK_SESSION_HANDLE h;
	CK_SLOT_ID slot;
	CK_INTERFACE_PTR itf;
	CK_INTERFACE list[4];
	CK_VERSION v30 = { 3, 0 }, v240 = { 2, 40 }, v99 = { 9, 9 };
	CK_RV (*get_list)(CK_INTERFACE_PTR, CK_ULONG_PTR) =
		(CK_RV (*)(CK_INTERFACE_PTR, CK_ULONG_PTR))dlsym(lib, "C_GetInterfaceList");
	CK_RV (*get_itf)(CK_UTF8CHAR_PTR, CK_VERSION_PTR, CK_INTERFACE_PTR_PTR, CK_FLAGS) =
		(CK_RV (*)(CK_UTF8CHAR_PTR, CK_VERSION_PTR, CK_INTERFACE_PTR_PTR, CK_FLAGS))dlsym(
			lib, "C_GetInterface");

	ck_assert_int_eq(f->C_GetInfo(&info), CKR_CRYPTOKI_NOT_INITIALIZED);
	ck_assert_int_eq(f->C_GetSlotList(CK_FALSE, NULL, &n), CKR_CRYPTOKI_NOT_INITIALIZED);
	ck_assert_int_eq(f->C_OpenSession(CPS_SLOT, CKF_SERIAL_SESSION, NULL, NULL, &h),
			 CKR_CRYPTOKI_NOT_INITIALIZED);
	ck_assert_int_eq(f->C_Login(1, CKU_USER, (CK_UTF8CHAR_PTR)PIN, 4),
			 CKR_CRYPTOKI_NOT_INITIALIZED);
	ck_assert_int_eq(f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, NULL),
			 CKR_CRYPTOKI_NOT_INITIALIZED);
	ck_assert_int_eq(f->C_GenerateKey(1, NULL, NULL, 0, NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
	ck_assert_int_eq(f->C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);

	/* interfaces work without C_Initialize */
	ck_assert_ptr_nonnull(get_list);
	ck_assert_ptr_nonnull(get_itf);
	ck_assert_int_eq(get_list(NULL, &n), CKR_OK);
	ck_assert_uint_eq(n, 2);
	n = 1;
	ck_assert_int_eq(get_list(list, &n), CKR_BUFFER_TOO_SMALL);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(get_list(list, &n), CKR_OK);
	ck_assert_int_eq(get_itf((CK_UTF8CHAR_PTR)"PKCS 11", &v30, &itf, 0), CKR_OK);
	ck_assert_int_eq(((CK_VERSION *)itf->pFunctionList)->major, 3);
	ck_assert_ptr_eq(((CK_FUNCTION_LIST_3_0 *)itf->pFunctionList)->C_Sign, f->C_Sign);
	ck_assert_int_eq(get_itf(NULL, NULL, &itf, 0), CKR_OK);
	ck_assert_int_eq(((CK_VERSION *)itf->pFunctionList)->major, 3);
	ck_assert_int_eq(get_itf((CK_UTF8CHAR_PTR)"PKCS 11", &v240, &itf, 0), CKR_OK);
	ck_assert_ptr_eq(itf->pFunctionList, f);
	ck_assert_int_eq(get_itf((CK_UTF8CHAR_PTR)"PKCS 11", &v99, &itf, 0), CKR_ARGUMENTS_BAD);
	ck_assert_int_eq(get_itf((CK_UTF8CHAR_PTR)"Vendor", NULL, &itf, 0), CKR_ARGUMENTS_BAD);
	f = NULL;
}
END_TEST

/* ------------------------------------------------------ C_Initialize */

static int locks;
static CK_RV app_create(CK_VOID_PTR_PTR m)
{
	*m = calloc(1, sizeof(pthread_mutex_t));
	pthread_mutex_init(*m, NULL);
	return CKR_OK;
}
static CK_RV app_destroy(CK_VOID_PTR m)
{
	pthread_mutex_destroy(m);
	free(m);
	return CKR_OK;
}
static CK_RV app_lock(CK_VOID_PTR m)
{
	locks++;
	pthread_mutex_lock(m);
	return CKR_OK;
}
static CK_RV app_unlock(CK_VOID_PTR m)
{
	pthread_mutex_unlock(m);
	return CKR_OK;
}

START_TEST(initialize_args)
{
	CK_C_INITIALIZE_ARGS a;
	CK_INFO info;
	int dummy;

	memset(&a, 0, sizeof(a));
	a.pReserved = &dummy;
	ck_assert_int_eq(f->C_Initialize(&a), CKR_ARGUMENTS_BAD);
	memset(&a, 0, sizeof(a));
	a.CreateMutex = app_create;    /* some callbacks but not all */
	ck_assert_int_eq(f->C_Initialize(&a), CKR_ARGUMENTS_BAD);
	/* the application's mutexes are used */
	a.DestroyMutex = app_destroy;
	a.LockMutex = app_lock;
	a.UnlockMutex = app_unlock;
	ck_assert_int_eq(f->C_Initialize(&a), CKR_OK);
	ck_assert_int_eq(f->C_Initialize(&a), CKR_CRYPTOKI_ALREADY_INITIALIZED);
	locks = 0;
	ck_assert_int_eq(f->C_GetInfo(&info), CKR_OK);
	ck_assert_int_gt(locks, 0);
	ck_assert_int_eq(info.cryptokiVersion.major, 3);
	ck_assert_int_eq(f->C_GetInfo(NULL), CKR_ARGUMENTS_BAD);
	ck_assert_int_eq(f->C_Finalize(&dummy), CKR_ARGUMENTS_BAD);
	ck_assert_int_eq(f->C_Finalize(NULL), CKR_OK);
	/* OS locking */
	memset(&a, 0, sizeof(a));
	a.flags = CKF_OS_LOCKING_OK;
	ck_assert_int_eq(f->C_Initialize(&a), CKR_OK);
	locks = 0;
	ck_assert_int_eq(f->C_GetInfo(&info), CKR_OK);
	ck_assert_int_eq(locks, 0);
}
END_TEST

/* ------------------------------------------------------ slots, tokens */

START_TEST(slots_and_tokens)
{
	CK_SLOT_ID ids[4];
	CK_ULONG n = 0;
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;
	CK_MECHANISM_TYPE mechs[8];
	CK_MECHANISM_INFO mi;

	ck_assert_int_eq(f->C_GetSlotList(CK_FALSE, NULL, NULL), CKR_ARGUMENTS_BAD);
	ck_assert_int_eq(f->C_GetSlotList(CK_TRUE, NULL, &n), CKR_OK);
	ck_assert_uint_eq(n, 2);
	n = 1;
	ck_assert_int_eq(f->C_GetSlotList(CK_TRUE, ids, &n), CKR_BUFFER_TOO_SMALL);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(f->C_GetSlotList(CK_TRUE, ids, &n), CKR_OK);
	ck_assert_uint_eq(ids[0], CPS_SLOT);
	ck_assert_uint_eq(ids[1], VITALE_SLOT);
	ck_assert_int_eq(f->C_GetSlotInfo(99, &si), CKR_SLOT_ID_INVALID);
	ck_assert_int_eq(f->C_GetTokenInfo(99, &ti), CKR_SLOT_ID_INVALID);
	ck_assert_int_eq(f->C_GetSlotInfo(CPS_SLOT, &si), CKR_OK);
	ck_assert(si.flags & CKF_TOKEN_PRESENT);
	ck_assert(si.flags & CKF_REMOVABLE_DEVICE);
	ck_assert_int_eq(memcmp(si.slotDescription, READER0, strlen(READER0)), 0);
	ck_assert_int_eq(f->C_GetTokenInfo(CPS_SLOT, &ti), CKR_OK);
	ck_assert_int_eq(memcmp(ti.label, "CPS3v3-9921000101 ", 18), 0);
	ck_assert_int_eq(memcmp(ti.serialNumber, "0000019921000101", 16), 0);
	ck_assert(ti.flags & CKF_LOGIN_REQUIRED);
	ck_assert(!(ti.flags & CKF_PROTECTED_AUTHENTICATION_PATH));
	ck_assert(!(ti.flags & (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY |
				CKF_USER_PIN_LOCKED)));
	ck_assert_int_eq(f->C_GetTokenInfo(VITALE_SLOT, &ti), CKR_OK);
	ck_assert(!(ti.flags & CKF_LOGIN_REQUIRED));
	ck_assert(ti.flags & CKF_WRITE_PROTECTED);
	/* mechanisms */
	n = 2;
	ck_assert_int_eq(f->C_GetMechanismList(CPS_SLOT, mechs, &n), CKR_BUFFER_TOO_SMALL);
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(f->C_GetMechanismList(CPS_SLOT, mechs, &n), CKR_OK);
	ck_assert_int_eq(f->C_GetMechanismList(VITALE_SLOT, NULL, &n), CKR_OK);
	ck_assert_uint_eq(n, 2);   /* digests only: no key on a Vitale */
	ck_assert_int_eq(f->C_GetMechanismList(99, NULL, &n), CKR_SLOT_ID_INVALID);
	ck_assert_int_eq(f->C_GetMechanismInfo(CPS_SLOT, CKM_SHA256_RSA_PKCS, &mi), CKR_OK);
	ck_assert(mi.flags & CKF_SIGN);
	ck_assert_uint_eq(mi.ulMaxKeySize, 2048);
	ck_assert_int_eq(f->C_GetMechanismInfo(CPS_SLOT, CKM_RSA_PKCS_PSS, &mi),
			 CKR_MECHANISM_INVALID);
	ck_assert_int_eq(f->C_GetMechanismInfo(VITALE_SLOT, CKM_RSA_PKCS, &mi),
			 CKR_MECHANISM_INVALID);
	ck_assert_int_eq(f->C_InitToken(CPS_SLOT, NULL, 0, NULL), CKR_FUNCTION_NOT_SUPPORTED);
}
END_TEST

/* ------------------------------------------------------------ sessions */

START_TEST(sessions)
{
	CK_SESSION_HANDLE h, h2;
	CK_SESSION_INFO info;

	ck_assert_int_eq(f->C_OpenSession(CPS_SLOT, 0, NULL, NULL, &h),
			 CKR_SESSION_PARALLEL_NOT_SUPPORTED);
	ck_assert_int_eq(f->C_OpenSession(99, CKF_SERIAL_SESSION, NULL, NULL, &h),
			 CKR_SLOT_ID_INVALID);
	ck_assert_int_eq(f->C_OpenSession(CPS_SLOT, CKF_SERIAL_SESSION, NULL, NULL, NULL),
			 CKR_ARGUMENTS_BAD);
	ck_assert_int_eq(f->C_OpenSession(VITALE_SLOT, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
					  NULL, &h), CKR_TOKEN_WRITE_PROTECTED);
	h = open_ro(CPS_SLOT);
	ck_assert_int_eq(f->C_GetSessionInfo(h, &info), CKR_OK);
	ck_assert_uint_eq(info.slotID, CPS_SLOT);
	ck_assert_uint_eq(info.state, CKS_RO_PUBLIC_SESSION);
	ck_assert_int_eq(f->C_CloseSession(h), CKR_OK);
	/* handles are never reused */
	h2 = open_ro(CPS_SLOT);
	ck_assert_uint_ne(h2, h);
	ck_assert_int_eq(f->C_GetSessionInfo(h, &info), CKR_SESSION_HANDLE_INVALID);
	ck_assert_int_eq(f->C_CloseSession(h), CKR_SESSION_HANDLE_INVALID);
	ck_assert_int_eq(f->C_GetSessionInfo(h2, NULL), CKR_ARGUMENTS_BAD);
	ck_assert_int_eq(f->C_CloseAllSessions(CPS_SLOT), CKR_OK);
	ck_assert_int_eq(f->C_GetSessionInfo(h2, &info), CKR_SESSION_HANDLE_INVALID);
	ck_assert_int_eq(f->C_CloseAllSessions(99), CKR_SLOT_ID_INVALID);
}
END_TEST

/* Count pcscd's APDU log lines (the testbed runs it with -a). */
static long apdus(void)
{
	const char *path = getenv("TESTBED_PCSCD_LOG");
	char line[4096];
	long n = 0;
	FILE *fp = path ? fopen(path, "r") : NULL;

	ck_assert_ptr_nonnull(fp);
	while (fgets(line, sizeof(line), fp))
		if (strstr(line, " APDU: "))
			n++;
	fclose(fp);
	return n;
}

START_TEST(session_info_sends_no_apdu)
{
	CK_SESSION_HANDLE h = open_ro(CPS_SLOT);
	CK_SESSION_INFO info;
	long n0;

	ck_assert_int_eq(f->C_GetSessionInfo(h, &info), CKR_OK);
	sleep_ms(200);   /* pcscd's log is written asynchronously */
	n0 = apdus();
	for (int i = 0; i < 50; i++)
		ck_assert_int_eq(f->C_GetSessionInfo(h, &info), CKR_OK);
	sleep_ms(200);
	ck_assert_int_eq(apdus(), n0);
}
END_TEST

/* ------------------------------------------------------------- objects */

START_TEST(objects)
{
	CK_SESSION_HANDLE h = open_ro(CPS_SLOT), rw;
	CK_OBJECT_HANDLE cert = find(h, CKO_CERTIFICATE, aut_id, sizeof(aut_id)), o;
	CK_OBJECT_HANDLE priv;
	CK_ULONG n;
	uint8_t small[4];
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE a[2];
	CK_ATTRIBUTE bad = { CKA_VALUE_BITS, NULL, 0 };
	uint8_t buf[64];
	CK_ATTRIBUTE lbl = { CKA_LABEL, buf, sizeof(buf) };

	ck_assert_uint_ne(cert, CK_INVALID_HANDLE);
	ck_assert_int_eq(f->C_FindObjects(h, &o, 1, &n), CKR_OPERATION_NOT_INITIALIZED);
	ck_assert_int_eq(f->C_FindObjectsFinal(h), CKR_OPERATION_NOT_INITIALIZED);
	ck_assert_int_eq(f->C_FindObjectsInit(h, NULL, 0), CKR_OK);
	ck_assert_int_eq(f->C_FindObjectsInit(h, NULL, 0), CKR_OPERATION_ACTIVE);
	ck_assert_int_eq(f->C_FindObjectsFinal(h), CKR_OK);
	/* private key not visible before login */
	ck_assert_uint_eq(find(h, CKO_PRIVATE_KEY, aut_id, sizeof(aut_id)), CK_INVALID_HANDLE);
	/* lengths */
	a[0].type = CKA_VALUE;
	a[0].pValue = NULL;
	a[0].ulValueLen = 0;
	ck_assert_int_eq(f->C_GetAttributeValue(h, cert, a, 1), CKR_OK);
	ck_assert_uint_gt(a[0].ulValueLen, 500);
	a[0].pValue = small;
	a[0].ulValueLen = sizeof(small);
	ck_assert_int_eq(f->C_GetAttributeValue(h, cert, a, 1), CKR_BUFFER_TOO_SMALL);
	ck_assert_uint_eq(a[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	/* an attribute the class lacks; the others still answered */
	a[0] = bad;
	a[1] = lbl;
	ck_assert_int_eq(f->C_GetAttributeValue(h, cert, a, 2), CKR_ATTRIBUTE_TYPE_INVALID);
	ck_assert_uint_eq(a[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	ck_assert_uint_eq(a[1].ulValueLen, strlen("Certificat d'Authentification CPS"));
	ck_assert_int_eq(memcmp(buf, "Certificat d'Authentification CPS", a[1].ulValueLen), 0);
	ck_assert_int_eq(f->C_GetAttributeValue(h, 0xdead, a, 1), CKR_OBJECT_HANDLE_INVALID);
	ck_assert_int_eq(f->C_GetAttributeValue(0xdead, cert, a, 1), CKR_SESSION_HANDLE_INVALID);
	/* nothing is modifiable, created or destroyed */
	a[0].type = CKA_LABEL;
	a[0].pValue = "x";
	a[0].ulValueLen = 1;
	ck_assert_int_eq(f->C_SetAttributeValue(h, cert, a, 1), CKR_SESSION_READ_ONLY);
	ck_assert_int_eq(f->C_OpenSession(CPS_SLOT, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
					  NULL, &rw), CKR_OK);
	ck_assert_int_eq(f->C_SetAttributeValue(rw, cert, a, 1), CKR_ACTION_PROHIBITED);
	ck_assert_int_eq(f->C_DestroyObject(rw, cert), CKR_ACTION_PROHIBITED);
	ck_assert_int_eq(f->C_CreateObject(rw, a, 1, &o), CKR_FUNCTION_NOT_SUPPORTED);
	/* after login: the private key, whose secrets stay sensitive */
	ck_assert_int_eq(f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)PIN, 4), CKR_OK);
	priv = find(h, CKO_PRIVATE_KEY, aut_id, sizeof(aut_id));
	ck_assert_uint_ne(priv, CK_INVALID_HANDLE);
	a[0].type = CKA_PRIVATE_EXPONENT;
	a[0].pValue = NULL;
	a[1].type = CKA_SIGN;
	a[1].pValue = &yes;
	a[1].ulValueLen = sizeof(yes);
	yes = CK_FALSE;
	ck_assert_int_eq(f->C_GetAttributeValue(h, priv, a, 2), CKR_ATTRIBUTE_SENSITIVE);
	ck_assert_uint_eq(a[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	ck_assert_int_eq(yes, CK_TRUE);
	a[0].type = CKA_MODULUS;
	a[0].pValue = NULL;
	ck_assert_int_eq(f->C_GetAttributeValue(h, priv, a, 1), CKR_OK);
	ck_assert_uint_eq(a[0].ulValueLen, 256);
	ck_assert_int_eq(f->C_Logout(h), CKR_OK);
	ck_assert_int_eq(f->C_GetAttributeValue(h, priv, a, 1), CKR_OBJECT_HANDLE_INVALID);
}
END_TEST

/* ------------------------------------------------- login, sign, crypto */

START_TEST(login_paths)
{
	CK_SESSION_HANDLE h = open_ro(CPS_SLOT), v = open_ro(VITALE_SLOT), h2 = open_ro(CPS_SLOT);
	CK_SESSION_INFO info;
	CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	CK_OBJECT_HANDLE key;
	uint8_t sig[256];
	CK_ULONG l = sizeof(sig);

	ck_assert_int_eq(f->C_Login(h, CKU_SO, (CK_UTF8CHAR_PTR)"12345678", 8),
			 CKR_USER_TYPE_INVALID);
	ck_assert_int_eq(f->C_Login(h, 7, (CK_UTF8CHAR_PTR)PIN, 4), CKR_USER_TYPE_INVALID);
	/* a NULL PIN is for a protected path: vpcd's readers have no keypad */
	ck_assert_uint_eq(token_flags(CPS_SLOT) & CKF_PROTECTED_AUTHENTICATION_PATH, 0);
	ck_assert_int_eq(f->C_Login(h, CKU_USER, NULL, 0), CKR_ARGUMENTS_BAD);
	ck_assert_int_eq(f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"123456789", 9),
			 CKR_PIN_LEN_RANGE);
	ck_assert_int_eq(f->C_Login(v, CKU_USER, (CK_UTF8CHAR_PTR)PIN, 4),
			 CKR_USER_PIN_NOT_INITIALIZED);
	ck_assert_int_eq(f->C_Login(h, CKU_CONTEXT_SPECIFIC, (CK_UTF8CHAR_PTR)PIN, 4),
			 CKR_OPERATION_NOT_INITIALIZED);
	ck_assert_int_eq(f->C_Logout(h), CKR_USER_NOT_LOGGED_IN);
	ck_assert_int_eq(f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)PIN, 4), CKR_OK);
	ck_assert_int_eq(f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)PIN, 4),
			 CKR_USER_ALREADY_LOGGED_IN);
	ck_assert_int_eq(f->C_GetSessionInfo(h, &info), CKR_OK);
	ck_assert_uint_eq(info.state, CKS_RO_USER_FUNCTIONS);
	ck_assert_int_eq(f->C_SetPIN(h, (CK_UTF8CHAR_PTR)PIN, 4, (CK_UTF8CHAR_PTR)PIN, 4),
			 CKR_SESSION_READ_ONLY);
	ck_assert_int_eq(f->C_InitPIN(h, (CK_UTF8CHAR_PTR)PIN, 4), CKR_SESSION_READ_ONLY);
	ck_assert_int_eq(f->C_Logout(h), CKR_OK);
	ck_assert_int_eq(f->C_GetSessionInfo(h, &info), CKR_OK);
	ck_assert_uint_eq(info.state, CKS_RO_PUBLIC_SESSION);
	/* a multi-part signature in another session ends with the logout */
	ck_assert_int_eq(f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)PIN, 4), CKR_OK);
	key = find(h, CKO_PRIVATE_KEY, sig_id, sizeof(sig_id));
	ck_assert_int_eq(f->C_SignInit(h2, &m, key), CKR_OK);
	ck_assert_int_eq(f->C_SignUpdate(h2, (CK_BYTE_PTR)"part", 4), CKR_OK);
	ck_assert_int_eq(f->C_Logout(h), CKR_OK);
	ck_assert_int_eq(f->C_SignFinal(h2, sig, &l), CKR_OPERATION_NOT_INITIALIZED);
	/* the private key is hidden again */
	ck_assert_int_eq(f->C_SignInit(h2, &m, key), CKR_KEY_HANDLE_INVALID);
}
END_TEST

START_TEST(sign_paths)
{
	CK_SESSION_HANDLE h = open_ro(CPS_SLOT);
	CK_OBJECT_HANDLE aut, sigk, aut_pub, sig_pub, cert;
	CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	CK_MECHANISM bad = { CKM_SHA512_RSA_PKCS, NULL, 0 };
	CK_MECHANISM withparam = { CKM_SHA256_RSA_PKCS, "x", 1 };
	uint8_t s1[512], s2[512];
	CK_ULONG l1, l2;
	const char *msg = "santecard check_p11";

	ck_assert_int_eq(f->C_Sign(h, (CK_BYTE_PTR)msg, 3, s1, &l1),
			 CKR_OPERATION_NOT_INITIALIZED);
	aut_pub = find(h, CKO_PUBLIC_KEY, aut_id, sizeof(aut_id));
	sig_pub = find(h, CKO_PUBLIC_KEY, sig_id, sizeof(sig_id));
	cert = find(h, CKO_CERTIFICATE, sig_id, sizeof(sig_id));
	ck_assert_uint_ne(aut_pub, CK_INVALID_HANDLE);
	ck_assert_int_eq(f->C_SignInit(h, &m, aut_pub), CKR_KEY_TYPE_INCONSISTENT);
	ck_assert_int_eq(f->C_SignInit(h, &m, cert), CKR_KEY_HANDLE_INVALID);
	ck_assert_int_eq(f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)PIN, 4), CKR_OK);
	aut = find(h, CKO_PRIVATE_KEY, aut_id, sizeof(aut_id));
	sigk = find(h, CKO_PRIVATE_KEY, sig_id, sizeof(sig_id));
	ck_assert_int_eq(f->C_SignInit(h, &bad, sigk), CKR_MECHANISM_INVALID);
	ck_assert_int_eq(f->C_SignInit(h, &withparam, sigk), CKR_MECHANISM_PARAM_INVALID);
	ck_assert_int_eq(f->C_SignInit(h, &m, 0xdead), CKR_KEY_HANDLE_INVALID);
	ck_assert_int_eq(f->C_SignInit(h, NULL, sigk), CKR_ARGUMENTS_BAD);
	ck_assert_int_eq(f->C_SignInit(h, &m, sigk), CKR_OK);
	ck_assert_int_eq(f->C_SignInit(h, &m, sigk), CKR_OPERATION_ACTIVE);
	/* length query, then too short: the operation stays active */
	ck_assert_int_eq(f->C_Sign(h, (CK_BYTE_PTR)msg, strlen(msg), NULL, &l1), CKR_OK);
	ck_assert_uint_eq(l1, 256);
	l1 = 10;
	ck_assert_int_eq(f->C_Sign(h, (CK_BYTE_PTR)msg, strlen(msg), s1, &l1), CKR_BUFFER_TOO_SMALL);
	ck_assert_uint_eq(l1, 256);
	l1 = sizeof(s1);
	ck_assert_int_eq(f->C_Sign(h, (CK_BYTE_PTR)msg, strlen(msg), s1, &l1), CKR_OK);
	ck_assert_uint_eq(l1, 256);
	ck_assert_int_eq(f->C_Sign(h, (CK_BYTE_PTR)msg, strlen(msg), s1, &l1),
			 CKR_OPERATION_NOT_INITIALIZED);
	/* multi-part gives the same (deterministic PKCS#1 v1.5) signature */
	ck_assert_int_eq(f->C_SignInit(h, &m, sigk), CKR_OK);
	ck_assert_int_eq(f->C_SignUpdate(h, (CK_BYTE_PTR)msg, 5), CKR_OK);
	ck_assert_int_eq(f->C_SignUpdate(h, (CK_BYTE_PTR)msg + 5, strlen(msg) - 5), CKR_OK);
	ck_assert_int_eq(f->C_SignFinal(h, NULL, &l2), CKR_OK);
	ck_assert_uint_eq(l2, 256);
	l2 = 1;
	ck_assert_int_eq(f->C_SignFinal(h, s2, &l2), CKR_BUFFER_TOO_SMALL);
	l2 = sizeof(s2);
	ck_assert_int_eq(f->C_SignFinal(h, s2, &l2), CKR_OK);
	ck_assert_int_eq(memcmp(s1, s2, 256), 0);
	/* verify in software with the public key */
	ck_assert_int_eq(f->C_VerifyInit(h, &m, sigk), CKR_KEY_TYPE_INCONSISTENT);
	ck_assert_int_eq(f->C_VerifyInit(h, &m, sig_pub), CKR_OK);
	ck_assert_int_eq(f->C_Verify(h, (CK_BYTE_PTR)msg, strlen(msg), s1, 256), CKR_OK);
	ck_assert_int_eq(f->C_VerifyInit(h, &m, sig_pub), CKR_OK);
	ck_assert_int_eq(f->C_Verify(h, (CK_BYTE_PTR)msg, strlen(msg), s1, 255),
			 CKR_SIGNATURE_LEN_RANGE);
	s1[10] ^= 1;
	ck_assert_int_eq(f->C_VerifyInit(h, &m, sig_pub), CKR_OK);
	ck_assert_int_eq(f->C_Verify(h, (CK_BYTE_PTR)msg, strlen(msg), s1, 256),
			 CKR_SIGNATURE_INVALID);
	/* CKM_RSA_PKCS: authentication key (INTERNAL AUTHENTICATE) */
	m.mechanism = CKM_RSA_PKCS;
	l1 = sizeof(s1);
	ck_assert_int_eq(sign(h, CKM_RSA_PKCS, aut, msg, s1, &l1), CKR_OK);
	ck_assert_int_eq(f->C_VerifyInit(h, &m, aut_pub), CKR_OK);
	ck_assert_int_eq(f->C_Verify(h, (CK_BYTE_PTR)msg, strlen(msg), s1, 256), CKR_OK);
	/* on the signature key only a hash or DigestInfo */
	l1 = sizeof(s1);
	ck_assert_int_eq(sign(h, CKM_RSA_PKCS, sigk, msg, s1, &l1), CKR_DATA_LEN_RANGE);
	l1 = sizeof(s1);
	ck_assert_int_eq(sign(h, CKM_RSA_PKCS, sigk, "0123456789abcdef0123456789abcdef", s1, &l1),
			 CKR_OK);
	/* the key does not decipher */
	ck_assert_int_eq(f->C_DecryptInit(h, &m, sigk), CKR_KEY_FUNCTION_NOT_PERMITTED);
	ck_assert_int_eq(f->C_EncryptInit(h, &m, sig_pub), CKR_KEY_FUNCTION_NOT_PERMITTED);
	ck_assert_int_eq(f->C_SignRecoverInit(h, &m, sigk), CKR_FUNCTION_NOT_SUPPORTED);
}
END_TEST

START_TEST(crypt_digest_random)
{
	CK_SESSION_HANDLE h = open_ro(CPS_SLOT), v = open_ro(VITALE_SLOT);
	CK_OBJECT_HANDLE aut, aut_pub;
	CK_MECHANISM m = { CKM_RSA_PKCS, NULL, 0 };
	CK_MECHANISM sha = { CKM_SHA256, NULL, 0 };
	uint8_t ct[256], pt[256], d[32], rnd[300];
	CK_ULONG l, dl;
	const char *secret = "0123456789abcdef0123456789abcdef";

	aut_pub = find(h, CKO_PUBLIC_KEY, aut_id, sizeof(aut_id));
	ck_assert_int_eq(f->C_EncryptInit(h, &m, aut_pub), CKR_OK);
	ck_assert_int_eq(f->C_Encrypt(h, (CK_BYTE_PTR)secret, 32, NULL, &l), CKR_OK);
	ck_assert_uint_eq(l, 256);
	ck_assert_int_eq(f->C_Encrypt(h, (CK_BYTE_PTR)secret, 32, ct, &l), CKR_OK);
	ck_assert_int_eq(f->C_EncryptUpdate(h, NULL, 0, NULL, &l), CKR_FUNCTION_NOT_SUPPORTED);
	ck_assert_int_eq(f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)PIN, 4), CKR_OK);
	aut = find(h, CKO_PRIVATE_KEY, aut_id, sizeof(aut_id));
	ck_assert_int_eq(f->C_DecryptInit(h, &m, aut), CKR_OK);
	ck_assert_int_eq(f->C_Decrypt(h, ct, 100, pt, &l), CKR_ENCRYPTED_DATA_LEN_RANGE);
	ck_assert_int_eq(f->C_DecryptInit(h, &m, aut), CKR_OK);
	ck_assert_int_eq(f->C_Decrypt(h, ct, 256, NULL, &l), CKR_OK);
	ck_assert_uint_ge(l, 32);
	l = 4;   /* the card answers once; the plaintext is kept for the second call */
	ck_assert_int_eq(f->C_Decrypt(h, ct, 256, pt, &l), CKR_BUFFER_TOO_SMALL);
	ck_assert_uint_eq(l, 32);
	ck_assert_int_eq(f->C_Decrypt(h, ct, 256, pt, &l), CKR_OK);
	ck_assert_uint_eq(l, 32);
	ck_assert_int_eq(memcmp(pt, secret, 32), 0);
	/* digests, on any token */
	ck_assert_int_eq(f->C_Digest(v, (CK_BYTE_PTR)"abc", 3, d, &dl),
			 CKR_OPERATION_NOT_INITIALIZED);
	ck_assert_int_eq(f->C_DigestInit(v, &sha), CKR_OK);
	ck_assert_int_eq(f->C_DigestInit(v, &sha), CKR_OPERATION_ACTIVE);
	ck_assert_int_eq(f->C_Digest(v, (CK_BYTE_PTR)"abc", 3, NULL, &dl), CKR_OK);
	ck_assert_uint_eq(dl, 32);
	dl = 31;
	ck_assert_int_eq(f->C_Digest(v, (CK_BYTE_PTR)"abc", 3, d, &dl), CKR_BUFFER_TOO_SMALL);
	dl = 32;
	ck_assert_int_eq(f->C_Digest(v, (CK_BYTE_PTR)"abc", 3, d, &dl), CKR_OK);
	ck_assert_uint_eq(d[0], 0xba);   /* SHA-256("abc") = ba7816bf... */
	ck_assert_uint_eq(d[1], 0x78);
	ck_assert_int_eq(f->C_DigestInit(v, &sha), CKR_OK);
	ck_assert_int_eq(f->C_DigestUpdate(v, (CK_BYTE_PTR)"a", 1), CKR_OK);
	ck_assert_int_eq(f->C_DigestUpdate(v, (CK_BYTE_PTR)"bc", 2), CKR_OK);
	dl = 32;
	ck_assert_int_eq(f->C_DigestFinal(v, d, &dl), CKR_OK);
	ck_assert_uint_eq(d[0], 0xba);
	m.mechanism = CKM_MD5;
	ck_assert_int_eq(f->C_DigestInit(v, &m), CKR_MECHANISM_INVALID);
	/* random: GET CHALLENGE on a CPS, none on a Vitale */
	memset(rnd, 0, sizeof(rnd));
	ck_assert_int_eq(f->C_GenerateRandom(h, rnd, sizeof(rnd)), CKR_OK);
	ck_assert(memcmp(rnd, rnd + 150, 150) != 0);
	ck_assert_int_eq(f->C_GenerateRandom(v, rnd, 8), CKR_RANDOM_NO_RNG);
	ck_assert_int_eq(f->C_SeedRandom(h, rnd, 8), CKR_RANDOM_SEED_NOT_SUPPORTED);
}
END_TEST


/* ------------------------------------------------- threads and fork */

struct signer {
	CK_OBJECT_HANDLE key;
	int failures;
};

static void *sign_thread(void *arg)
{
	struct signer *w = arg;
	CK_SESSION_HANDLE h;
	uint8_t sig[256];

	if (f->C_OpenSession(CPS_SLOT, CKF_SERIAL_SESSION, NULL, NULL, &h) != CKR_OK) {
		w->failures++;
		return NULL;
	}
	for (int i = 0; i < 5; i++) {
		CK_ULONG l = sizeof(sig);

		if (sign(h, CKM_SHA256_RSA_PKCS, w->key, "threads", sig, &l) != CKR_OK || l != 256)
			w->failures++;
	}
	(void)f->C_CloseSession(h);
	return NULL;
}

START_TEST(threads)
{
	CK_C_INITIALIZE_ARGS a;
	CK_SESSION_HANDLE h;
	struct signer w[4];
	pthread_t th[4];

	memset(&a, 0, sizeof(a));
	a.flags = CKF_OS_LOCKING_OK;
	ck_assert_int_eq(f->C_Initialize(&a), CKR_OK);
	h = open_ro(CPS_SLOT);
	ck_assert_int_eq(f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)PIN, 4), CKR_OK);
	for (int i = 0; i < 4; i++) {
		w[i].key = find(h, CKO_PRIVATE_KEY, i % 2 ? sig_id : aut_id, sizeof(aut_id));
		w[i].failures = 0;
		pthread_create(&th[i], NULL, sign_thread, &w[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(w[i].failures, 0);
	}
}
END_TEST

START_TEST(fork_child)
{
	CK_INFO info;
	CK_ULONG n = 0;
	int status = -1;
	pid_t pid;

	ck_assert_int_eq(f->C_Initialize(NULL), CKR_OK);
	ck_assert_int_eq(f->C_GetSlotList(CK_TRUE, NULL, &n), CKR_OK);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* the child inherits nothing usable: it must initialise */
		int step = f->C_GetInfo(&info) != CKR_CRYPTOKI_NOT_INITIALIZED ? 1
			   : f->C_Initialize(NULL) != CKR_OK ? 2
			   : f->C_GetSlotList(CK_TRUE, NULL, &n) != CKR_OK ? 3
			   : n != 2 ? 4
			   : f->C_Finalize(NULL) != CKR_OK ? 5 : 0;
		_exit(step);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);   /* else: the child's failed step */
	/* the parent goes on */
	n = 0;
	ck_assert_int_eq(f->C_GetSlotList(CK_TRUE, NULL, &n), CKR_OK);
	ck_assert_uint_eq(n, 2);
}
END_TEST

/* --------------------------------------------------- events, removal */

struct waiter {
	CK_FLAGS flags;
	CK_SLOT_ID slot;
	CK_RV rv;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;

	w->rv = f->C_WaitForSlotEvent(w->flags, &w->slot, NULL);
	return NULL;
}

START_TEST(wait_for_slot_event)
{
	CK_SLOT_ID slot = 0;
	struct waiter w = { 0, 0, CKR_GENERAL_ERROR };
	pthread_t th;

	ck_assert_int_eq(f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, NULL), CKR_NO_EVENT);
	ck_assert_int_eq(f->C_WaitForSlotEvent(CKF_DONT_BLOCK, NULL, NULL), CKR_ARGUMENTS_BAD);
	/* removal then insertion, blocking */
	pthread_create(&th, NULL, wait_thread, &w);
	sleep_ms(300);
	ck_assert_int_eq(tb_card(1, "remove", NULL, 0), 0);
	pthread_join(th, NULL);
	ck_assert_int_eq(w.rv, CKR_OK);
	ck_assert_uint_eq(w.slot, VITALE_SLOT);
	ck_assert_int_eq(tb_card(1, "insert", NULL, 0), 0);
	w.rv = CKR_GENERAL_ERROR;
	pthread_create(&th, NULL, wait_thread, &w);
	pthread_join(th, NULL);
	ck_assert_int_eq(w.rv, CKR_OK);
	ck_assert_uint_eq(w.slot, VITALE_SLOT);
	/* the event was consumed */
	ck_assert_int_eq(f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, NULL), CKR_NO_EVENT);
	/* C_Finalize while a thread waits */
	w.rv = CKR_GENERAL_ERROR;
	pthread_create(&th, NULL, wait_thread, &w);
	sleep_ms(300);
	ck_assert_int_eq(f->C_Finalize(NULL), CKR_OK);
	pthread_join(th, NULL);
	ck_assert_int_eq(w.rv, CKR_CRYPTOKI_NOT_INITIALIZED);
}
END_TEST

START_TEST(card_removed)
{
	CK_SESSION_HANDLE a = open_ro(CPS_SLOT), b = open_ro(CPS_SLOT), c;
	CK_SESSION_INFO info;
	CK_TOKEN_INFO ti;
	CK_OBJECT_HANDLE key;
	CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	uint8_t sig[256];
	CK_ULONG l = sizeof(sig);
	stc_ctx *ctx;

	ck_assert_int_eq(stc_ctx_new(&ctx), STC_OK);
	ck_assert_int_eq(f->C_Login(a, CKU_USER, (CK_UTF8CHAR_PTR)PIN, 4), CKR_OK);
	key = find(a, CKO_PRIVATE_KEY, sig_id, sizeof(sig_id));
	ck_assert_int_eq(f->C_SignInit(b, &m, key), CKR_OK);
	ck_assert_int_eq(tb_card(0, "remove", NULL, 0), 0);
	ck_assert_int_eq(tb_wait_card(ctx, READER0, 0), 0);
	/* the call that meets the removal says so, later ones find no session */
	ck_assert_int_eq(f->C_Sign(b, (CK_BYTE_PTR)"x", 1, sig, &l), CKR_DEVICE_REMOVED);
	ck_assert_int_eq(f->C_Sign(b, (CK_BYTE_PTR)"x", 1, sig, &l), CKR_SESSION_HANDLE_INVALID);
	ck_assert_int_eq(f->C_GetSessionInfo(a, &info), CKR_DEVICE_REMOVED);
	ck_assert_int_eq(f->C_GetSessionInfo(a, &info), CKR_SESSION_HANDLE_INVALID);
	ck_assert_int_eq(f->C_GetTokenInfo(CPS_SLOT, &ti), CKR_TOKEN_NOT_PRESENT);
	ck_assert_int_eq(f->C_OpenSession(CPS_SLOT, CKF_SERIAL_SESSION, NULL, NULL, &c),
			 CKR_TOKEN_NOT_PRESENT);
	/* reinserted: a new token that works */
	ck_assert_int_eq(tb_card(0, "insert", NULL, 0), 0);
	ck_assert_int_eq(tb_wait_card(ctx, READER0, 1), 0);
	c = open_ro(CPS_SLOT);
	ck_assert_int_eq(f->C_GetSessionInfo(c, &info), CKR_OK);
	ck_assert_uint_eq(info.state, CKS_RO_PUBLIC_SESSION);
	ck_assert_int_eq(f->C_Login(c, CKU_USER, (CK_UTF8CHAR_PTR)PIN, 4), CKR_OK);
	key = find(c, CKO_PRIVATE_KEY, sig_id, sizeof(sig_id));
	ck_assert_int_eq(sign(c, CKM_SHA256_RSA_PKCS, key, "after", sig, &l), CKR_OK);
	stc_ctx_free(ctx);
}
END_TEST

START_TEST(pcscd_restart)
{
	CK_SESSION_HANDLE h = open_ro(CPS_SLOT);
	CK_SESSION_INFO info;
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;
	CK_SLOT_ID ids[4];
	CK_ULONG n = 4;
	CK_OBJECT_HANDLE key;
	uint8_t sig[256];
	CK_ULONG l = sizeof(sig);
	int i;

	ck_assert_int_eq(f->C_GetSlotList(CK_FALSE, NULL, &n), CKR_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(tb_pcscd(0), 0);
	ck_assert_int_eq(f->C_GetSessionInfo(h, &info), CKR_DEVICE_REMOVED);
	/* a slot the application has seen stays, without token, until it asks
	 * for the list again */
	ck_assert_int_eq(f->C_GetSlotInfo(CPS_SLOT, &si), CKR_OK);
	ck_assert(!(si.flags & CKF_TOKEN_PRESENT));
	ck_assert_int_eq(f->C_GetTokenInfo(CPS_SLOT, &ti), CKR_TOKEN_NOT_PRESENT);
	n = 4;
	ck_assert_int_eq(f->C_GetSlotList(CK_FALSE, ids, &n), CKR_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(f->C_GetSlotList(CK_FALSE, NULL, &n), CKR_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(f->C_GetSlotInfo(CPS_SLOT, &si), CKR_SLOT_ID_INVALID);
	ck_assert_int_eq(tb_pcscd(1), 0);
	for (i = 0; i < 100; i++) {
		n = 4;
		ck_assert_int_eq(f->C_GetSlotList(CK_TRUE, ids, &n), CKR_OK);
		if (n == 2)
			break;
		sleep_ms(100);
	}
	ck_assert_uint_eq(n, 2);
	/* the readers have their IDs back */
	ck_assert_uint_eq(ids[0], CPS_SLOT);
	ck_assert_uint_eq(ids[1], VITALE_SLOT);
	h = open_ro(CPS_SLOT);
	ck_assert_int_eq(f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)PIN, 4), CKR_OK);
	key = find(h, CKO_PRIVATE_KEY, aut_id, sizeof(aut_id));
	ck_assert_int_eq(sign(h, CKM_SHA256_RSA_PKCS, key, "after pcscd", sig, &l), CKR_OK);
}
END_TEST

START_TEST(reset_elsewhere)
{
	CK_SESSION_HANDLE h = open_ro(CPS_SLOT);
	CK_OBJECT_HANDLE key;
	uint8_t sig[256];
	CK_ULONG l = sizeof(sig);
	stc_ctx *ctx;
	stc_card *other;

	ck_assert_int_eq(f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)PIN, 4), CKR_OK);
	key = find(h, CKO_PRIVATE_KEY, aut_id, sizeof(aut_id));
	ck_assert_int_eq(sign(h, CKM_SHA256_RSA_PKCS, key, "before", sig, &l), CKR_OK);
	/* another application resets the card: the PIN is no longer verified */
	ck_assert_int_eq(stc_ctx_new(&ctx), STC_OK);
	ck_assert_int_eq(stc_connect(ctx, READER0, STC_SHARE_SHARED, &other), STC_OK);
	stc_disconnect(other, 1);
	stc_ctx_free(ctx);
	l = sizeof(sig);
	ck_assert_int_eq(sign(h, CKM_SHA256_RSA_PKCS, key, "after", sig, &l),
			 CKR_USER_NOT_LOGGED_IN);
	/* the module knows: logging in again works */
	ck_assert_int_eq(f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)PIN, 4), CKR_OK);
	l = sizeof(sig);
	ck_assert_int_eq(sign(h, CKM_SHA256_RSA_PKCS, key, "after", sig, &l), CKR_OK);
}
END_TEST

/* ------------------------------------------ CPS2ter objects, on demand */

/* The CPS2ter volet's commands (CLA A0) pcscd has passed so far. */
static long a0_apdus(void)
{
	const char *path = getenv("TESTBED_PCSCD_LOG");
	char line[4096];
	long n = 0;
	FILE *fp = path ? fopen(path, "r") : NULL;

	ck_assert_ptr_nonnull(fp);
	while (fgets(line, sizeof(line), fp))
		if (strstr(line, " APDU: A0 "))
			n++;
	fclose(fp);
	return n;
}

/* Handles of the data objects labelled CPS2TER_* or CPS_SIT_FACT. */
static CK_ULONG find_cps2ter(CK_SESSION_HANDLE h, CK_ATTRIBUTE *tmpl, CK_ULONG count,
			     CK_OBJECT_HANDLE *out, CK_ULONG cap)
{
	CK_OBJECT_HANDLE all[P11_FIND_MAX];
	CK_ULONG n = 0, found = 0;

	ck_assert_int_eq(f->C_FindObjectsInit(h, tmpl, count), CKR_OK);
	ck_assert_int_eq(f->C_FindObjects(h, all, P11_FIND_MAX, &n), CKR_OK);
	ck_assert_int_eq(f->C_FindObjectsFinal(h), CKR_OK);
	for (CK_ULONG i = 0; i < n; i++) {
		char label[64] = "";
		CK_ATTRIBUTE a = { CKA_LABEL, label, sizeof(label) - 1 };

		ck_assert_int_eq(f->C_GetAttributeValue(h, all[i], &a, 1), CKR_OK);
		label[a.ulValueLen] = 0;
		if ((strncmp(label, "CPS2TER_", 8) == 0 || strcmp(label, "CPS_SIT_FACT") == 0) &&
		    found < cap)
			out[found++] = all[i];
	}
	return found;
}

static int value_has(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, const char *text)
{
	uint8_t buf[1024];
	CK_ATTRIBUTE a = { CKA_VALUE, buf, sizeof(buf) };

	ck_assert_int_eq(f->C_GetAttributeValue(h, o, &a, 1), CKR_OK);
	for (size_t i = 0; i + strlen(text) <= a.ulValueLen; i++)
		if (memcmp(buf + i, text, strlen(text)) == 0)
			return 1;
	return 0;
}

START_TEST(cps2ter_lazy)
{
	CK_SESSION_HANDLE h = open_ro(CPS_SLOT);
	CK_OBJECT_CLASS data = CKO_DATA;
	CK_BBOOL no = CK_FALSE;
	const char *label = "CPS2TER_ACTIVITY_01_PS";
	CK_ATTRIBUTE by_label[] = { { CKA_CLASS, &data, sizeof(data) },
				    { CKA_LABEL, (void *)label, strlen(label) } };
	CK_ATTRIBUTE public_data[] = { { CKA_CLASS, &data, sizeof(data) },
				       { CKA_PRIVATE, &no, sizeof(no) } };
	CK_OBJECT_HANDLE objs[32], act1;
	CK_BBOOL priv = CK_FALSE;
	char app[16] = "";
	CK_ATTRIBUTE attrs[] = { { CKA_PRIVATE, &priv, sizeof(priv) },
				 { CKA_APPLICATION, app, sizeof(app) - 1 } };
	long n0;

	/* before login: absent, and not looked for */
	sleep_ms(200);
	n0 = a0_apdus();
	ck_assert_uint_eq(find_cps2ter(h, NULL, 0, objs, 32), 0);
	/* after login, searches that cannot match them send no CLA A0 */
	ck_assert_int_eq(f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)PIN, 4), CKR_OK);
	ck_assert_uint_ne(find(h, CKO_PRIVATE_KEY, aut_id, sizeof(aut_id)), CK_INVALID_HANDLE);
	ck_assert_uint_ne(find(h, CKO_CERTIFICATE, sig_id, sizeof(sig_id)), CK_INVALID_HANDLE);
	ck_assert_uint_eq(find_cps2ter(h, public_data, 2, objs, 32), 0);
	sleep_ms(200);   /* pcscd's log is written asynchronously */
	ck_assert_int_eq(a0_apdus(), n0);
	/* a search for data objects finds the 17 (16 activities + SIT_FACT) */
	ck_assert_uint_eq(find_cps2ter(h, by_label, 2, objs, 32), 1);
	act1 = objs[0];
	sleep_ms(200);
	/* the token layer's probe: SELECT MF, the 16 EFs, MF again, DF 7F01, EF 4000 */
	ck_assert_int_eq(a0_apdus() - n0, 20);
	ck_assert_uint_eq(find_cps2ter(h, NULL, 0, objs, 32), 17);
	ck_assert_int_eq(f->C_GetAttributeValue(h, act1, attrs, 2), CKR_OK);
	ck_assert_int_eq(priv, CK_TRUE);
	ck_assert_uint_eq(attrs[1].ulValueLen, 3);
	ck_assert_int_eq(memcmp(app, "CPS", 3), 0);
	ck_assert(value_has(h, act1, "CABINET TEST"));
	/* found once per token */
	n0 = a0_apdus();
	ck_assert_uint_eq(find_cps2ter(h, NULL, 0, objs, 32), 17);
	sleep_ms(200);
	ck_assert_int_eq(a0_apdus(), n0);
	/* hidden after the logout; read again after the next login (the card
	 * was reset in between: the token layer lists them anew) */
	ck_assert_int_eq(f->C_Logout(h), CKR_OK);
	ck_assert_uint_eq(find_cps2ter(h, NULL, 0, objs, 32), 0);
	ck_assert_int_eq(f->C_GetAttributeValue(h, act1, attrs, 2), CKR_OBJECT_HANDLE_INVALID);
	ck_assert_int_eq(f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)PIN, 4), CKR_OK);
	ck_assert(value_has(h, act1, "CABINET TEST"));
}
END_TEST

/* ------------------------------------------------ PIN counter (last) */

START_TEST(pin_counter)
{
	CK_SESSION_HANDLE h = open_ro(CPS_SLOT);
	CK_UTF8CHAR_PTR wrong = (CK_UTF8CHAR_PTR)"9999";

	ck_assert_int_eq(f->C_Login(h, CKU_USER, wrong, 4), CKR_PIN_INCORRECT);
	ck_assert_uint_eq(token_flags(CPS_SLOT) & (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY |
						   CKF_USER_PIN_LOCKED), CKF_USER_PIN_COUNT_LOW);
	ck_assert_int_eq(f->C_Login(h, CKU_USER, wrong, 4), CKR_PIN_INCORRECT);
	ck_assert_uint_eq(token_flags(CPS_SLOT) & (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY |
						   CKF_USER_PIN_LOCKED),
			  CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY);
	/* the right PIN resets the counter */
	ck_assert_int_eq(f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)PIN, 4), CKR_OK);
	ck_assert_uint_eq(token_flags(CPS_SLOT) & (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY |
						   CKF_USER_PIN_LOCKED), 0);
	ck_assert_int_eq(f->C_Logout(h), CKR_OK);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(f->C_Login(h, CKU_USER, wrong, 4), CKR_PIN_INCORRECT);
	ck_assert(token_flags(CPS_SLOT) & CKF_USER_PIN_LOCKED);
	ck_assert_int_eq(f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)PIN, 4), CKR_PIN_LOCKED);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("santecard-pkcs11");
	TCase *pre = tcase_create("before C_Initialize");
	TCase *tc = tcase_create("ckr");

	tcase_add_checked_fixture(pre, setup, teardown);
	tcase_add_test(pre, not_initialized);
	tcase_add_test(pre, initialize_args);
	tcase_add_test(pre, threads);
	tcase_add_test(pre, fork_child);
	suite_add_tcase(s, pre);
	tcase_add_checked_fixture(tc, setup_init, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, slots_and_tokens);
	tcase_add_test(tc, sessions);
	tcase_add_test(tc, session_info_sends_no_apdu);
	tcase_add_test(tc, objects);
	tcase_add_test(tc, login_paths);
	tcase_add_test(tc, sign_paths);
	tcase_add_test(tc, crypt_digest_random);
	tcase_add_test(tc, wait_for_slot_event);
	tcase_add_test(tc, card_removed);
	tcase_add_test(tc, pcscd_restart);
	tcase_add_test(tc, reset_elsewhere);
	tcase_add_test(tc, cps2ter_lazy);
	tcase_add_test(tc, pin_counter);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(suite());
}
