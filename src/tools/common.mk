# src/tools/common: what the service front-ends share (HTTPS with a card key,
# JOSE): the convenience library libstcsvc.la, linked into santecard-erx and
# santecard-psc (LDADD += libstcsvc.la $(CURL_LIBS) $(JANSSON_LIBS) $(CRYPTO_LIBS)).
noinst_LTLIBRARIES += libstcsvc.la
libstcsvc_la_SOURCES = \
	src/tools/common/http.c src/tools/common/http.h \
	src/tools/common/p11card.c src/tools/common/p11card.h \
	src/tools/common/b64.c src/tools/common/jcs.c \
	src/tools/common/jose.c src/tools/common/x5c.c src/tools/common/jose.h
# the module HTTP_AUTH_CARD loads when neither the caller nor
# SANTECARD_PKCS11_MODULE names one: where pkcs11/Makefile.inc installs it
libstcsvc_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/tools/common \
	-DSANTECARD_PKCS11_DEFAULT='"$(libdir)/pkcs11/santecard-pkcs11.so"'
libstcsvc_la_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(JANSSON_CFLAGS) $(CRYPTO_CFLAGS)
libstcsvc_la_LIBADD = $(CURL_LIBS) $(JANSSON_LIBS) $(CRYPTO_LIBS) -lssl -lm
LINT_FILES += $(libstcsvc_la_SOURCES)

# JOSE unit suite (software keys, the test PKI, python3-jwcrypto as the
# independent verifier).
check_PROGRAMS += tests/unit/check_jose
TESTS += tests/unit/check_jose
tests_unit_check_jose_SOURCES = tests/unit/check_jose.c
tests_unit_check_jose_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/tools/common
tests_unit_check_jose_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(JANSSON_CFLAGS) $(CRYPTO_CFLAGS)
tests_unit_check_jose_LDADD = libstcsvc.la $(CHECK_LIBS) $(JANSSON_LIBS) $(CRYPTO_LIBS)

# http.c's helpers without a server (form and URI encoding, argument checks).
check_PROGRAMS += tests/unit/check_http
TESTS += tests/unit/check_http
tests_unit_check_http_SOURCES = tests/unit/check_http.c
tests_unit_check_http_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/tools/common
tests_unit_check_http_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_http_LDADD = libstcsvc.la $(CHECK_LIBS)

# HTTPS with the card's key: openssl s_server, the simulated CPS, our module.
check_PROGRAMS += tests/integration/http_card_tool
tests_integration_http_card_tool_SOURCES = tests/integration/http_card_tool.c
tests_integration_http_card_tool_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/tools/common
tests_integration_http_card_tool_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(JANSSON_CFLAGS) $(CRYPTO_CFLAGS)
tests_integration_http_card_tool_LDADD = libstcsvc.la
TESTS += tests/integration/test_http_card.sh tests/integration/test_http_card_pinpad.sh
EXTRA_DIST += tests/integration/test_http_card.sh tests/integration/test_http_card_pinpad.sh
