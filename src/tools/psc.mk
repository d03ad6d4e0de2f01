# santecard-psc: Pro Santé Connect login (e-CPS by CIBA, CPS card in the browser
# or by CIBA with a card possession proof), token store, userinfo. docs/PSC.md.
bin_PROGRAMS += santecard-psc
PSC_CORE_FILES = \
	src/tools/psc/psc.h \
	src/tools/psc/idtoken.c \
	src/tools/psc/store.c \
	src/tools/psc/net.c \
	src/tools/psc/discovery.c \
	src/tools/psc/loopback.c
santecard_psc_SOURCES = $(PSC_CORE_FILES) \
	src/tools/psc/main.c \
	src/tools/psc/ciba.c \
	src/tools/psc/codeflow.c \
	src/tools/psc/card.c \
	src/tools/psc/session.c \
	src/tools/pin_input.c src/tools/pin_input.h \
	src/tools/output.c src/tools/tool.h
santecard_psc_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/tools -I$(top_srcdir)/src/tools/common \
	-I$(top_srcdir)/src/tools/psc
santecard_psc_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(JANSSON_CFLAGS) $(CRYPTO_CFLAGS)
santecard_psc_LDADD = libstcsvc.la libsantecard.la $(CURL_LIBS) $(JANSSON_LIBS) $(CRYPTO_LIBS)
dist_man_MANS += docs/santecard-psc.1
EXTRA_DIST += docs/PSC.md

# Unit suite: ID token validation, token store, loopback query parsing.
check_PROGRAMS += tests/unit/check_psc
TESTS += tests/unit/check_psc
tests_unit_check_psc_SOURCES = tests/unit/check_psc.c $(PSC_CORE_FILES)
tests_unit_check_psc_CPPFLAGS = $(santecard_psc_CPPFLAGS)
tests_unit_check_psc_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(CURL_CFLAGS) $(JANSSON_CFLAGS) \
	$(CRYPTO_CFLAGS)
tests_unit_check_psc_LDADD = libstcsvc.la $(CHECK_LIBS) $(CURL_LIBS) $(JANSSON_LIBS) $(CRYPTO_LIBS)

# `make lint` runs the same checks on these (they need the include paths of
# src/tools, src/tools/common and jansson, which the main rule does not pass).
PSC_LINT_FILES = $(santecard_psc_SOURCES) tests/unit/check_psc.c
.PHONY: lint-psc
lint: lint-psc
lint-psc:
	@cd $(top_srcdir) && files=; for f in $(PSC_LINT_FILES); do \
		case $$f in *.c) files="$$files $$f" ;; esac; done; \
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
		--std=c11 -I src/lib -I src/tools -I src/tools/common -I src/tools/psc \
		--suppress=missingIncludeSystem $$files && \
	clang-tidy --quiet $$files -- -std=c11 -I src/lib -I src/tools -I src/tools/common \
		-I src/tools/psc -I tests -I $(abs_top_builddir) $(PCSC_CFLAGS) $(CRYPTO_CFLAGS) \
		$(CURL_CFLAGS) $(JANSSON_CFLAGS) $(CHECK_CFLAGS)
