/*
 * module.c - C_Initialize / C_Finalize, locking, fork detection, C_GetInfo and
 * the function lists and interfaces (PKCS#11 3.0 and 2.40).
 *
 * Locking (PKCS#11 3.0 §5.4, OpenSC pkcs11-global.c): the application's mutex
 * callbacks when it gives them, else pthread mutexes (CKF_OS_LOCKING_OK or no
 * arguments at all). C_Initialize and C_Finalize are serialised by a static
 * mutex of their own. A child process is seen by its pid (no pthread_atfork):
 * it inherits nothing usable (PC/SC handles belong to the parent), must call
 * C_Initialize, which forgets the parent's state without touching it.
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "p11.h"

struct p11_slot p11_slots[P11_MAX_SLOTS];
size_t p11_nslots;
stc_ctx *p11_ctx;

static pthread_mutex_t init_mutex = PTHREAD_MUTEX_INITIALIZER;
static int initialized;
static pid_t init_pid;

/* the module lock: app callbacks or a pthread mutex */
static CK_C_INITIALIZE_ARGS app_locks;
static int use_app_locks;
static void *app_mutex;
static pthread_mutex_t os_mutex = PTHREAD_MUTEX_INITIALIZER;

/* C_WaitForSlotEvent */
static pthread_mutex_t wait_mutex = PTHREAD_MUTEX_INITIALIZER;
static stc_ctx *wait_ctx;
static atomic_int finalizing;

void p11_pad(CK_UTF8CHAR *dst, size_t len, const char *src)
{
	size_t n = src ? strlen(src) : 0;

	memset(dst, ' ', len);
	memcpy(dst, src, n < len ? n : len);
}

static int lock_take(void)
{
	if (use_app_locks)
		return app_locks.LockMutex(app_mutex) == CKR_OK;
	return pthread_mutex_lock(&os_mutex) == 0;
}

static void lock_give(void)
{
	if (use_app_locks)
		app_locks.UnlockMutex(app_mutex);
	else
		pthread_mutex_unlock(&os_mutex);
}

CK_RV p11_enter(void)
{
	if (!initialized || init_pid != getpid() || atomic_load(&finalizing))
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	if (!lock_take())
		return CKR_CANT_LOCK;
	if (!initialized || atomic_load(&finalizing)) {
		lock_give();
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	}
	return CKR_OK;
}

void p11_leave(void)
{
	lock_give();
}

CK_RV p11_rv(stc_rv rv)
{
	switch (rv) {
	case STC_OK: return CKR_OK;
	case STC_ERR_INVALID_ARGS: return CKR_ARGUMENTS_BAD;
	case STC_ERR_BUFFER_TOO_SMALL: return CKR_BUFFER_TOO_SMALL;
	case STC_ERR_NO_MEMORY: return CKR_HOST_MEMORY;
	case STC_ERR_NO_SERVICE:
	case STC_ERR_NO_READERS:
	case STC_ERR_READER_NOT_FOUND:
	case STC_ERR_READER_REMOVED:
	case STC_ERR_NO_CARD:
	case STC_ERR_CARD_REMOVED: return CKR_DEVICE_REMOVED;
	case STC_ERR_CARD_UNSUPPORTED: return CKR_TOKEN_NOT_RECOGNIZED;
	case STC_ERR_CANCELLED: return CKR_FUNCTION_CANCELED;
	case STC_ERR_PIN_INCORRECT: return CKR_PIN_INCORRECT;
	case STC_ERR_PIN_BLOCKED: return CKR_PIN_LOCKED;
	case STC_ERR_SECURITY_STATUS: return CKR_USER_NOT_LOGGED_IN;
	case STC_ERR_NOT_SUPPORTED: return CKR_FUNCTION_NOT_SUPPORTED;
	case STC_ERR_TIMEOUT:
	case STC_ERR_NOT_FOUND: return CKR_FUNCTION_FAILED;
	case STC_ERR_INTERNAL: return CKR_GENERAL_ERROR;
	case STC_ERR_CARD_RESET:
	case STC_ERR_CARD_UNRESPONSIVE:
	case STC_ERR_SHARING_VIOLATION:
	case STC_ERR_COMM:
	case STC_ERR_PROTOCOL:
	case STC_ERR_CARD_STATUS:
	case STC_ERR_INVALID_DATA:
	case STC_ERR_PCSC:
	default: return CKR_DEVICE_ERROR;
	}
}

int p11_gone(stc_rv rv)
{
	return rv == STC_ERR_NO_SERVICE || rv == STC_ERR_NO_READERS ||
	       rv == STC_ERR_READER_NOT_FOUND || rv == STC_ERR_READER_REMOVED ||
	       rv == STC_ERR_NO_CARD || rv == STC_ERR_CARD_REMOVED;
}

/* ------------------------------------------------------- init, finalize */

static CK_RV check_args(CK_C_INITIALIZE_ARGS_PTR a)
{
	int given;

	if (!a)
		return CKR_OK;
	if (a->pReserved)
		return CKR_ARGUMENTS_BAD;
	given = (a->CreateMutex != NULL) + (a->DestroyMutex != NULL) + (a->LockMutex != NULL) +
		(a->UnlockMutex != NULL);
	if (given != 0 && given != 4)
		return CKR_ARGUMENTS_BAD;
	return CKR_OK;
}

/* What a parent process left: kept (not freed, not used) so that it stays
 * reachable; its PC/SC handles are not ours to close. */
struct p11_inherited {
	struct p11_slot slots[P11_MAX_SLOTS];
	stc_ctx *ctx, *wait_ctx;
};
/* not static, or the compiler drops the stores nobody reads */
struct p11_inherited p11_inherited;

/* Forget whatever a parent process left. */
static void forget_parent(void)
{
	memcpy(p11_inherited.slots, p11_slots, sizeof(p11_slots));
	p11_inherited.ctx = p11_ctx;
	p11_inherited.wait_ctx = wait_ctx;
	memset(p11_slots, 0, sizeof(p11_slots));
	p11_nslots = 0;
	p11_ctx = NULL;
	wait_ctx = NULL;
	p11_sessions_forget();
	initialized = 0;
	use_app_locks = 0;
	app_mutex = NULL;
	pthread_mutex_init(&os_mutex, NULL);
	pthread_mutex_init(&wait_mutex, NULL);
}

CK_RV C_Initialize(CK_VOID_PTR pInitArgs)
{
	CK_C_INITIALIZE_ARGS_PTR a = pInitArgs;
	CK_RV rv;

	pthread_mutex_lock(&init_mutex);
	if (initialized && init_pid != getpid())
		forget_parent();
	if (initialized) {
		pthread_mutex_unlock(&init_mutex);
		return CKR_CRYPTOKI_ALREADY_INITIALIZED;
	}
	rv = check_args(a);
	if (rv != CKR_OK) {
		pthread_mutex_unlock(&init_mutex);
		return rv;
	}
	use_app_locks = 0;
	if (a && a->CreateMutex && !(a->flags & CKF_OS_LOCKING_OK)) {
		app_locks = *a;
		rv = app_locks.CreateMutex(&app_mutex);
		if (rv != CKR_OK) {
			pthread_mutex_unlock(&init_mutex);
			return rv;
		}
		use_app_locks = 1;
	}
	atomic_store(&finalizing, 0);
	p11_nslots = 0;
	p11_ctx = NULL;
	wait_ctx = NULL;
	/* PC/SC contexts are made on first need: C_Initialize succeeds without pcscd */
	init_pid = getpid();
	initialized = 1;
	/* the event watcher's first snapshot, so that C_WaitForSlotEvent reports
	 * what happens from now on */
	if (stc_ctx_new(&wait_ctx) == STC_OK) {
		stc_event ev;

		(void)stc_wait_event(wait_ctx, 0, &ev);
	} else {
		wait_ctx = NULL;
	}
	pthread_mutex_unlock(&init_mutex);
	return CKR_OK;
}

CK_RV C_Finalize(CK_VOID_PTR pReserved)
{
	if (pReserved)
		return CKR_ARGUMENTS_BAD;
	pthread_mutex_lock(&init_mutex);
	if (!initialized || init_pid != getpid()) {
		pthread_mutex_unlock(&init_mutex);
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	}
	atomic_store(&finalizing, 1);
	/* wake a C_WaitForSlotEvent and wait until it has left */
	if (wait_ctx)
		stc_cancel(wait_ctx);
	pthread_mutex_lock(&wait_mutex);
	stc_ctx_free(wait_ctx);
	wait_ctx = NULL;
	pthread_mutex_unlock(&wait_mutex);
	/* wait for the calls in progress */
	if (lock_take()) {
		p11_sessions_free();
		p11_slots_free();
		stc_ctx_free(p11_ctx);
		p11_ctx = NULL;
		initialized = 0;
		lock_give();
	} else {
		initialized = 0;
	}
	if (use_app_locks)
		app_locks.DestroyMutex(app_mutex);
	use_app_locks = 0;
	app_mutex = NULL;
	pthread_mutex_unlock(&init_mutex);
	return CKR_OK;
}

CK_RV C_GetInfo(CK_INFO_PTR pInfo)
{
	CK_RV rv = p11_enter();

	if (rv != CKR_OK)
		return rv;
	if (!pInfo) {
		p11_leave();
		return CKR_ARGUMENTS_BAD;
	}
	memset(pInfo, 0, sizeof(*pInfo));
	pInfo->cryptokiVersion.major = 3;
	pInfo->cryptokiVersion.minor = 0;
	p11_pad(pInfo->manufacturerID, sizeof(pInfo->manufacturerID), "santecard");
	p11_pad(pInfo->libraryDescription, sizeof(pInfo->libraryDescription),
		"santecard PKCS#11 (CPS, Vitale)");
	pInfo->libraryVersion.major = 0;
	pInfo->libraryVersion.minor = 1;
	p11_leave();
	return CKR_OK;
}

/* ------------------------------------------------- C_WaitForSlotEvent */

/* The slot of an event's reader, made if new; 0 when none. */
static CK_SLOT_ID event_slot(const stc_event *ev)
{
	struct p11_slot *s;

	p11_slots_refresh(0);
	s = p11_slot_by_reader(ev->reader);
	if (!s)
		return (CK_SLOT_ID)-1;
	s->seen = 1;
	return s->id;
}

CK_RV C_WaitForSlotEvent(CK_FLAGS flags, CK_SLOT_ID_PTR pSlot, CK_VOID_PTR pReserved)
{
	CK_RV rv = p11_enter();

	if (rv != CKR_OK)
		return rv;
	p11_leave();
	if (!pSlot || pReserved)
		return CKR_ARGUMENTS_BAD;
	pthread_mutex_lock(&wait_mutex);
	if (atomic_load(&finalizing)) {
		pthread_mutex_unlock(&wait_mutex);
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	}
	if (!wait_ctx && stc_ctx_new(&wait_ctx) != STC_OK) {
		wait_ctx = NULL;
		pthread_mutex_unlock(&wait_mutex);
		return (flags & CKF_DONT_BLOCK) ? CKR_NO_EVENT : CKR_DEVICE_ERROR;
	}
	for (;;) {
		stc_event ev;
		/* blocking waits in slices: a cancel racing the wait's start costs
		 * C_Finalize at most one slice */
		stc_rv r = stc_wait_event(wait_ctx, (flags & CKF_DONT_BLOCK) ? 0 : 500, &ev);
		CK_SLOT_ID id;

		if (atomic_load(&finalizing)) {
			rv = CKR_CRYPTOKI_NOT_INITIALIZED;
			break;
		}
		if (r == STC_ERR_TIMEOUT) {
			if (flags & CKF_DONT_BLOCK) {
				rv = CKR_NO_EVENT;
				break;
			}
			continue;
		}
		if (r == STC_ERR_CANCELLED)
			continue;   /* finalizing is checked above */
		if (r != STC_OK) {
			rv = CKR_DEVICE_ERROR;
			break;
		}
		if (ev.kind == STC_EV_SERVICE_LOST || ev.kind == STC_EV_SERVICE_BACK)
			continue;
		rv = p11_enter();
		if (rv != CKR_OK)
			break;
		id = event_slot(&ev);
		p11_leave();
		if (id == (CK_SLOT_ID)-1)
			continue;
		*pSlot = id;
		rv = CKR_OK;
		break;
	}
	pthread_mutex_unlock(&wait_mutex);
	return rv;
}

/* ------------------------------------------------- lists, interfaces */

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR ppFunctionList)
{
	if (!ppFunctionList)
		return CKR_ARGUMENTS_BAD;
	*ppFunctionList = &p11_function_list;
	return CKR_OK;
}

extern CK_FUNCTION_LIST_3_0 p11_function_list_3_0;

static CK_INTERFACE interfaces[] = {
	{ (CK_CHAR *)"PKCS 11", &p11_function_list_3_0, 0 },
	{ (CK_CHAR *)"PKCS 11", &p11_function_list, 0 },
};
#define NINTERFACES (sizeof(interfaces) / sizeof(interfaces[0]))

CK_RV C_GetInterfaceList(CK_INTERFACE_PTR pInterfacesList, CK_ULONG_PTR pulCount)
{
	if (!pulCount)
		return CKR_ARGUMENTS_BAD;
	if (!pInterfacesList) {
		*pulCount = NINTERFACES;
		return CKR_OK;
	}
	if (*pulCount < NINTERFACES) {
		*pulCount = NINTERFACES;
		return CKR_BUFFER_TOO_SMALL;
	}
	memcpy(pInterfacesList, interfaces, sizeof(interfaces));
	*pulCount = NINTERFACES;
	return CKR_OK;
}

CK_RV C_GetInterface(CK_UTF8CHAR_PTR pInterfaceName, CK_VERSION_PTR pVersion,
		     CK_INTERFACE_PTR_PTR ppInterface, CK_FLAGS flags)
{
	if (!ppInterface)
		return CKR_ARGUMENTS_BAD;
	for (size_t i = 0; i < NINTERFACES; i++) {
		const CK_VERSION *v = interfaces[i].pFunctionList;

		if (pInterfaceName && strcmp((const char *)pInterfaceName, "PKCS 11") != 0)
			continue;
		if (pVersion && (pVersion->major != v->major || pVersion->minor != v->minor))
			continue;
		if ((flags & interfaces[i].flags) != flags)
			continue;
		*ppInterface = &interfaces[i];
		return CKR_OK;
	}
	return CKR_ARGUMENTS_BAD;
}
