/*
 * nfc_ifd.c - the NFC driver's IFD handler contract, called directly (as
 * pcscd would, without pcscd): dlopen the driver, point it at a PN532
 * emulator (santecard-sim --pn532) whose control socket moves the card, and
 * check each entry point's answers and out-parameters.
 *
 *   nfc_ifd DRIVER.so PTY_LINK CONTROL_SOCKET EMULATOR_PID
 *
 * Prints "  ok: ..." / "  FAILED: ..." lines and "N passed, N failed"; the
 * last checks kill the emulator (EMULATOR_PID) to see the reader go away.
 */
#include "config.h"

#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <ifdhandler.h>
#include <reader.h>

/* pcscd exports log_msg to its drivers; here it goes to stderr. */
void log_msg(const int priority, const char *fmt, ...);
void log_msg(const int priority, const char *fmt, ...)
{
	va_list ap;

	(void)priority;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int passed, failed;

static void check(const char *name, int ok)
{
	printf("  %s: %s\n", ok ? "ok" : "FAILED", name);
	if (ok)
		passed++;
	else
		failed++;
}

static RESPONSECODE (*create)(DWORD, LPSTR);
static RESPONSECODE (*close_ch)(DWORD);
static RESPONSECODE (*caps)(DWORD, DWORD, PDWORD, PUCHAR);
static RESPONSECODE (*power)(DWORD, DWORD, PUCHAR, PDWORD);
static RESPONSECODE (*xmit)(DWORD, SCARD_IO_HEADER, PUCHAR, DWORD, PUCHAR, PDWORD, PSCARD_IO_HEADER);
static RESPONSECODE (*presence)(DWORD);
static RESPONSECODE (*control_fn)(DWORD, DWORD, PUCHAR, DWORD, PUCHAR, DWORD, LPDWORD);
static RESPONSECODE (*poll_fn)(DWORD, int);

static const char *ctl;

static void card(const char *cmd)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char buf[64];
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", ctl);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    write(fd, cmd, strlen(cmd)) > 0 && read(fd, buf, sizeof(buf)) > 0) {
		close(fd);
		return;
	}
	if (fd >= 0)
		close(fd);
	fprintf(stderr, "nfc_ifd: control socket %s: no answer\n", ctl);
	exit(99);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static RESPONSECODE apdu(const char *hex, UCHAR *r, DWORD *rlen)
{
	UCHAR c[64];
	DWORD n = 0;
	SCARD_IO_HEADER pci = { .Protocol = 1 };
	unsigned v;
	int used;

	while (*hex && sscanf(hex, " %2x%n", &v, &used) == 1 && n < sizeof(c)) {
		c[n++] = (UCHAR)v;
		hex += used;
	}
	return xmit(0, pci, c, n, r, rlen, &pci);
}

static void *poller(void *arg)
{
	static RESPONSECODE rv;

	rv = poll_fn(0, *(int *)arg);
	return &rv;
}

int main(int argc, char **argv)
{
	static const UCHAR cps3_cl[] = { 0x3B, 0x8F, 0x80, 0x01, 0x00, 0x31, 0xB8, 0x64, 0x04, 0xB0,
					 0xEC, 0xC1, 0x73, 0x94, 0x01, 0x80, 0x82, 0x90, 0x00, 0x0E };
	const char *sel = "00 A4 04 0C 0D E8 28 BD 08 0F 80 25 00 00 01 FF 00 20";
	char name[300], bad[300];
	UCHAR v[300], r[300];
	DWORD len, rlen;
	void *h;
	pthread_t th;
	int timeout = 3000;
	void *ret;
	double t0;

	if (argc != 5) {
		fprintf(stderr, "usage: nfc_ifd DRIVER.so PTY_LINK CONTROL_SOCKET EMULATOR_PID\n");
		return 2;
	}
	ctl = argv[3];
	h = dlopen(argv[1], RTLD_NOW);
	if (!h) {
		fprintf(stderr, "nfc_ifd: %s\n", dlerror());
		return 99;
	}
	*(void **)&create = dlsym(h, "IFDHCreateChannelByName");
	*(void **)&close_ch = dlsym(h, "IFDHCloseChannel");
	*(void **)&caps = dlsym(h, "IFDHGetCapabilities");
	*(void **)&power = dlsym(h, "IFDHPowerICC");
	*(void **)&xmit = dlsym(h, "IFDHTransmitToICC");
	*(void **)&presence = dlsym(h, "IFDHICCPresence");
	*(void **)&control_fn = dlsym(h, "IFDHControl");
	check("the v3 entry points are exported",
	      create && close_ch && caps && power && xmit && presence && control_fn &&
	      dlsym(h, "IFDHCreateChannel") && dlsym(h, "IFDHSetCapabilities") &&
	      dlsym(h, "IFDHSetProtocolParameters"));
	check("nothing else is exported", !dlsym(h, "select_card") && !dlsym(h, "nfc_atr_type_a"));
	if (!create || !close_ch || !caps || !power || !xmit || !presence || !control_fn)
		return 99;

	snprintf(bad, sizeof(bad), "pn532_uart:%s.none", argv[2]);
	check("no such device: channel refused", create(0, bad) != IFD_SUCCESS);
	snprintf(name, sizeof(name), "pn532_uart:%s", argv[2]);
	check("channel opened on the emulator", create(0, name) == IFD_SUCCESS);
	check("second open of the same Lun refused", create(0, name) != IFD_SUCCESS);
	len = sizeof(v);
	check("slot 1 does not exist", caps(1, TAG_IFD_SLOTS_NUMBER, &len, v) != IFD_SUCCESS);
	len = sizeof(v);
	check("one slot", caps(0, TAG_IFD_SLOTS_NUMBER, &len, v) == IFD_SUCCESS && len == 1 && v[0] == 1);
	len = sizeof(v);
	check("polling function given", caps(0, TAG_IFD_POLLING_THREAD_WITH_TIMEOUT, &len, v) ==
	      IFD_SUCCESS && len == sizeof(void *));
	memcpy(&poll_fn, v, sizeof(poll_fn));
	if (len != sizeof(void *) || !poll_fn)
		return 99;
	len = sizeof(v);
	check("no ATR before power up", caps(0, TAG_IFD_ATR, &len, v) == IFD_SUCCESS && len == 0);
	len = sizeof(v);
	check("unknown tag: IFD_ERROR_TAG", caps(0, 0x7777, &len, v) == IFD_ERROR_TAG);
	len = 3;
	check("vendor name in 3 bytes: INSUFFICIENT_BUFFER",
	      caps(0, SCARD_ATTR_VENDOR_NAME, &len, v) == IFD_ERROR_INSUFFICIENT_BUFFER);
	check("control: not supported, 0 bytes",
	      control_fn(0, 0x42000D48, v, 0, r, sizeof(r), &len) == IFD_ERROR_NOT_SUPPORTED && len == 0);

	check("card present", presence(0) == IFD_ICC_PRESENT);
	rlen = sizeof(r);
	check("transmit before power up: refused, 0 bytes",
	      apdu(sel, r, &rlen) != IFD_SUCCESS && rlen == 0);
	len = 4;
	check("power up with a 4-byte ATR buffer: INSUFFICIENT_BUFFER",
	      power(0, IFD_POWER_UP, v, &len) == IFD_ERROR_INSUFFICIENT_BUFFER && len == 0);
	len = sizeof(v);
	check("power up: the CPS3 contactless ATR",
	      power(0, IFD_POWER_UP, v, &len) == IFD_SUCCESS && len == sizeof(cps3_cl) &&
	      !memcmp(v, cps3_cl, len));
	len = sizeof(v);
	check("TAG_IFD_ATR = the ATR", caps(0, TAG_IFD_ATR, &len, v) == IFD_SUCCESS &&
	      len == sizeof(cps3_cl) && !memcmp(v, cps3_cl, len));
	rlen = sizeof(r);
	check("SELECT contactless AID: 90 00",
	      apdu(sel, r, &rlen) == IFD_SUCCESS && rlen == 2 && r[0] == 0x90 && r[1] == 0x00);
	rlen = 1;
	check("answer into 1 byte: INSUFFICIENT_BUFFER, 0 bytes",
	      apdu(sel, r, &rlen) == IFD_ERROR_INSUFFICIENT_BUFFER && rlen == 0);
	rlen = sizeof(r);
	check("the card is still there after that", apdu(sel, r, &rlen) == IFD_SUCCESS && rlen == 2);
	len = sizeof(v);
	check("reset: the same ATR", power(0, IFD_RESET, v, &len) == IFD_SUCCESS &&
	      len == sizeof(cps3_cl) && !memcmp(v, cps3_cl, len));
	rlen = sizeof(r);
	check("APDU after reset", apdu(sel, r, &rlen) == IFD_SUCCESS && rlen == 2 && r[0] == 0x90);

	/* the polling function returns when the card leaves, not at its timeout */
	pthread_create(&th, NULL, poller, &timeout);
	usleep(200000);
	t0 = now_ms();
	card("remove\n");
	pthread_join(th, &ret);
	check("polling returns as the card leaves (< 1 s)",
	      *(RESPONSECODE *)ret == IFD_SUCCESS && now_ms() - t0 < 1000);
	printf("  (card left -> polling returned: %.1f ms)\n", now_ms() - t0);
	check("card absent", presence(0) == IFD_ICC_NOT_PRESENT);
	rlen = sizeof(r);
	check("transmit without the card: error, 0 bytes", apdu(sel, r, &rlen) != IFD_SUCCESS && rlen == 0);
	len = sizeof(v);
	check("power up without the card: POWER_ACTION, no ATR",
	      power(0, IFD_POWER_UP, v, &len) == IFD_ERROR_POWER_ACTION && len == 0);
	pthread_create(&th, NULL, poller, &timeout);
	usleep(200000);
	t0 = now_ms();
	card("insert\n");
	pthread_join(th, &ret);
	check("polling returns as the card arrives (< 1 s)", now_ms() - t0 < 1000);
	check("card present again", presence(0) == IFD_ICC_PRESENT);
	len = sizeof(v);
	check("power up again", power(0, IFD_POWER_UP, v, &len) == IFD_SUCCESS && len == sizeof(cps3_cl));
	/* taken off and put back between two looks: absent once, then present */
	card("remove\n");
	card("insert\n");
	check("removed and put back: reported absent once", presence(0) == IFD_ICC_NOT_PRESENT);
	check("then present", presence(0) == IFD_ICC_PRESENT);
	len = sizeof(v);
	check("power down", power(0, IFD_POWER_DOWN, NULL, &len) == IFD_SUCCESS && len == 0);
	len = sizeof(v);
	check("no ATR once powered down", caps(0, TAG_IFD_ATR, &len, v) == IFD_SUCCESS && len == 0);

	/* the reader goes away */
	kill((pid_t)atoi(argv[4]), SIGTERM);
	usleep(300000);
	check("reader gone: presence says IFD_NO_SUCH_DEVICE", presence(0) == IFD_NO_SUCH_DEVICE);
	rlen = sizeof(r);
	check("reader gone: transmit too, 0 bytes", apdu(sel, r, &rlen) == IFD_NO_SUCH_DEVICE && rlen == 0);
	len = sizeof(v);
	check("reader gone: power up too",
	      power(0, IFD_POWER_UP, v, &len) == IFD_NO_SUCH_DEVICE && len == 0);
	len = sizeof(v);
	check("reader gone: capabilities too",
	      caps(0, TAG_IFD_SLOTS_NUMBER, &len, v) == IFD_NO_SUCH_DEVICE);
	check("reader gone: polling returns at once", poll_fn(0, 5000) == IFD_SUCCESS);
	check("channel closed", close_ch(0) == IFD_SUCCESS);
	check("closed: presence refused", presence(0) == IFD_COMMUNICATION_ERROR);
	dlclose(h);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
