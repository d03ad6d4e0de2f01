/* p11bench - what a PKCS#11 client waits for: C_Initialize to the first signature,
 * then C_Sign per second, with any module (santecard's, OpenSC's ...).
 *
 *   p11bench MODULE KEY-LABEL COUNT [TRACE] < PIN
 *
 * Loads MODULE, finds the first slot with a token, opens a session, logs in with
 * the PIN read from stdin, finds the private key labelled KEY-LABEL and signs a
 * SHA-256 DigestInfo with CKM_RSA_PKCS; then signs COUNT more times. Prints
 * key=value lines: first_ms (C_Initialize called -> first C_Sign returned),
 * loop_s and sign_per_s, and, when TRACE (santecard-sim --trace file) is given,
 * its size at each mark (trace_start, trace_first, trace_loop, trace_end) so the
 * caller can count and extract the APDUs of each phase. Writes the signed
 * DigestInfo and the first signature to p11bench.tbs and p11bench.sig in the
 * working directory, for openssl to verify.
 * Exit status 0 on success, 1 with a message on stderr otherwise.
 */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <p11-kit/pkcs11.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static const char *trace_path;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The trace file's size: the simulator flushes it after every line. */
static void mark(const char *name)
{
	struct stat st;

	if (trace_path && stat(trace_path, &st) == 0)
		printf("trace_%s=%lld\n", name, (long long)st.st_size);
}

static int fail(const char *what, CK_RV rv)
{
	fprintf(stderr, "p11bench: %s: CKR 0x%lx\n", what, (unsigned long)rv);
	return 1;
}

/* SHA-256 DigestInfo of an arbitrary (fixed) 32-byte hash: what TLS 1.2 signs. */
static const CK_BYTE digest_info[] = {
	0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
	0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
	0x5a, 0x11, 0x8e, 0x0c, 0x6d, 0x2f, 0x31, 0x40, 0x9b, 0x77, 0xc4, 0x02, 0x1e,
	0xd3, 0x90, 0x6a, 0x58, 0xe1, 0x0b, 0x4f, 0x27, 0x83, 0x66, 0xc9, 0x15, 0xaa,
	0x3d, 0x70, 0xf2, 0x48, 0x09, 0x5c
};
_Static_assert(sizeof(digest_info) == 19 + 32, "SHA-256 DigestInfo");

static CK_RV sign_once(CK_FUNCTION_LIST *f, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key,
		       CK_BYTE *sig, CK_ULONG *siglen)
{
	CK_MECHANISM mech = { CKM_RSA_PKCS, NULL, 0 };
	CK_RV rv = f->C_SignInit(s, &mech, key);

	if (rv != CKR_OK)
		return rv;
	return f->C_Sign(s, (CK_BYTE *)digest_info, sizeof(digest_info), sig, siglen);
}

static int write_file(const char *path, const CK_BYTE *buf, CK_ULONG len)
{
	FILE *out = fopen(path, "wb");

	if (!out)
		return -1;
	if (fwrite(buf, 1, len, out) != len) {
		fclose(out);
		return -1;
	}
	return fclose(out) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	CK_C_GetFunctionList get;
	CK_FUNCTION_LIST *f;
	CK_SLOT_ID slots[16];
	CK_ULONG nslots = 16, nfound = 0;
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE key;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE tmpl[2];
	CK_BYTE sig[512];
	CK_ULONG siglen = sizeof(sig);
	char pin[64];
	size_t pinlen;
	double t0, t1, t2;
	long count;
	CK_RV rv;
	void *lib;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: p11bench MODULE KEY-LABEL COUNT [TRACE] < PIN\n");
		return 2;
	}
	count = strtol(argv[3], NULL, 10);
	trace_path = argc == 5 ? argv[4] : NULL;
	if (!fgets(pin, sizeof(pin), stdin)) {
		fprintf(stderr, "p11bench: no PIN on stdin\n");
		return 2;
	}
	pinlen = strcspn(pin, "\r\n");

	mark("start");
	t0 = now_s();
	lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		fprintf(stderr, "p11bench: %s\n", dlerror());
		return 1;
	}
	*(void **)&get = dlsym(lib, "C_GetFunctionList");
	if (!get || get(&f) != CKR_OK)
		return fail("C_GetFunctionList", CKR_GENERAL_ERROR);
	if ((rv = f->C_Initialize(NULL)) != CKR_OK)
		return fail("C_Initialize", rv);
	if ((rv = f->C_GetSlotList(CK_TRUE, slots, &nslots)) != CKR_OK || nslots == 0)
		return fail("C_GetSlotList (no token?)", rv);
	if ((rv = f->C_OpenSession(slots[0], CKF_SERIAL_SESSION, NULL, NULL, &s)) != CKR_OK)
		return fail("C_OpenSession", rv);
	rv = f->C_Login(s, CKU_USER, (CK_UTF8CHAR *)pin, pinlen);
	memset(pin, 0, sizeof(pin));
	if (rv != CKR_OK)
		return fail("C_Login", rv);
	tmpl[0] = (CK_ATTRIBUTE){ CKA_CLASS, &cls, sizeof(cls) };
	tmpl[1] = (CK_ATTRIBUTE){ CKA_LABEL, argv[2], strlen(argv[2]) };
	if ((rv = f->C_FindObjectsInit(s, tmpl, 2)) != CKR_OK)
		return fail("C_FindObjectsInit", rv);
	rv = f->C_FindObjects(s, &key, 1, &nfound);
	f->C_FindObjectsFinal(s);
	if (rv != CKR_OK || nfound != 1)
		return fail("no private key with that label", rv);
	if ((rv = sign_once(f, s, key, sig, &siglen)) != CKR_OK)
		return fail("first C_Sign", rv);
	t1 = now_s();
	mark("first");
	printf("first_ms=%.1f\n", (t1 - t0) * 1e3);
	if (write_file("p11bench.sig", sig, siglen) != 0 ||
	    write_file("p11bench.tbs", digest_info, sizeof(digest_info)) != 0)
		return fail("cannot write p11bench.sig/tbs", CKR_GENERAL_ERROR);

	for (long i = 0; i < count; i++) {
		siglen = sizeof(sig);
		if ((rv = sign_once(f, s, key, sig, &siglen)) != CKR_OK)
			return fail("C_Sign", rv);
	}
	t2 = now_s();
	mark("loop");
	if (count > 0)
		printf("loop_s=%.3f\nsign_per_s=%.2f\n", t2 - t1, (double)count / (t2 - t1));
	f->C_Logout(s);
	f->C_CloseSession(s);
	f->C_Finalize(NULL);
	mark("end");
	return 0;
}
