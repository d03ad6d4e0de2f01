/* transport.c - chooses the transport for a device name: a registered opener
 * (unit tests) or libusb. */
#include <string.h>

#include "transport.h"

static const char *reg_prefix;
static ccid_opener_fn reg_fn;

void ccid_transport_register(const char *prefix, ccid_opener_fn fn)
{
	reg_prefix = prefix;
	reg_fn = fn;
}

int ccid_transport_open(const char *name, struct ccid_opened *out)
{
	memset(out, 0, sizeof(*out));
	if (!name)
		return CCID_TP_ERROR;
	if (reg_fn && reg_prefix && strncmp(name, reg_prefix, strlen(reg_prefix)) == 0)
		return reg_fn(name, out);
	return ccid_usb_open(name, out);
}
