/* check_ccid_load.c - what pcscd does with the bundle: dlopen its module with
 * every symbol resolved (RTLD_NOW), find the IFD handler v3 entry points and
 * nothing else exported; the bundle's Info.plist names the module. */
#include "config.h"

#include <check.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef CCID_BUNDLE_SO
#error CCID_BUNDLE_SO must name the module of the bundle
#endif

static const char *const entry_points[] = {
	"IFDHCreateChannelByName", "IFDHCreateChannel", "IFDHCloseChannel",
	"IFDHGetCapabilities", "IFDHSetCapabilities", "IFDHSetProtocolParameters",
	"IFDHPowerICC", "IFDHTransmitToICC", "IFDHControl", "IFDHICCPresence",
};

START_TEST(test_dlopen_resolves_everything)
{
	void *h = dlopen(CCID_BUNDLE_SO, RTLD_NOW | RTLD_LOCAL);
	size_t i;

	ck_assert_msg(h != NULL, "dlopen: %s", dlerror());
	for (i = 0; i < sizeof(entry_points) / sizeof(entry_points[0]); i++)
		ck_assert_msg(dlsym(h, entry_points[i]) != NULL, "%s missing", entry_points[i]);
	/* internals stay internal: a second driver in pcscd cannot clash */
	ck_assert_ptr_null(dlsym(h, "ccid_command"));
	ck_assert_ptr_null(dlsym(h, "ccid_transport_register"));
	dlclose(h);
}
END_TEST

START_TEST(test_unknown_device_is_refused)
{
	void *h = dlopen(CCID_BUNDLE_SO, RTLD_NOW | RTLD_LOCAL);
	long (*create)(unsigned long, char *);
	char name[] = "usb:ffff/fffe:libudev:0:/dev/bus/usb/999/999";
	char bad[] = "not-a-usb-name";

	ck_assert_ptr_nonnull(h);
	*(void **)&create = dlsym(h, "IFDHCreateChannelByName");
	ck_assert_ptr_nonnull(create);
	/* no such device on this machine: an error, not a crash */
	ck_assert_int_ne(create(0, name), 0);
	ck_assert_int_ne(create(0, bad), 0);
	dlclose(h);
}
END_TEST

START_TEST(test_plist_names_the_module)
{
	char path[512], buf[8192];
	FILE *f;
	size_t n;
	const char *so = strrchr(CCID_BUNDLE_SO, '/');

	snprintf(path, sizeof(path), "%.*s/../Info.plist", (int)(so - CCID_BUNDLE_SO), CCID_BUNDLE_SO);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s", path);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	ck_assert_ptr_nonnull(strstr(buf, "<string>libsantecard_ccid.so</string>"));
	ck_assert_ptr_nonnull(strstr(buf, "<string>0x0B00</string>"));	/* Ingenico/Olaqin, CCID #105 */
	ck_assert_ptr_nonnull(strstr(buf, "<string>CCIDCLASSDRIVER</string>"));
}
END_TEST

/* Every reader the bundle claims by VID/PID gets its udev rule. */
START_TEST(test_udev_rules_cover_the_plist)
{
	char path[512], plist[8192], rules[8192];
	const char *so = strrchr(CCID_BUNDLE_SO, '/'), *p, *q;
	FILE *f;
	size_t n;
	unsigned ids[2][16], count[2] = { 0, 0 }, k, i;
	const char *keys[2] = { "<key>ifdVendorID</key>", "<key>ifdProductID</key>" };

	snprintf(path, sizeof(path), "%.*s/../Info.plist", (int)(so - CCID_BUNDLE_SO), CCID_BUNDLE_SO);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(plist, 1, sizeof(plist) - 1, f);
	fclose(f);
	plist[n] = '\0';
	f = fopen(CCID_UDEV_RULES, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(rules, 1, sizeof(rules) - 1, f);
	fclose(f);
	rules[n] = '\0';
	for (k = 0; k < 2; k++) {
		p = strstr(plist, keys[k]);
		ck_assert_ptr_nonnull(p);
		q = strstr(p, "</array>");
		while ((p = strstr(p, "<string>0x")) && p < q && count[k] < 16) {
			ids[k][count[k]++] = (unsigned)strtoul(p + 8, NULL, 16);
			p += 8;
		}
	}
	ck_assert_uint_eq(count[0], count[1]);
	ck_assert_uint_ge(count[0], 4);
	for (i = 0; i < count[0]; i++) {
		char rule[96];

		snprintf(rule, sizeof(rule), "ATTR{idVendor}==\"%04x\", ATTR{idProduct}==\"%04x\"",
			 ids[0][i], ids[1][i]);
		ck_assert_msg(strstr(rules, rule) != NULL, "no udev rule for %04x:%04x", ids[0][i], ids[1][i]);
	}
	ck_assert_ptr_nonnull(strstr(rules, "ENV{ID_USB_INTERFACES}==\"*:0b0000:*\", GROUP=\"pcscd\""));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ccid_load");
	TCase *tc = tcase_create("bundle");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_dlopen_resolves_everything);
	tcase_add_test(tc, test_unknown_device_is_refused);
	tcase_add_test(tc, test_plist_names_the_module);
	tcase_add_test(tc, test_udev_rules_cover_the_plist);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
