# PKCS#15 DER parser (internal: stci_p15_*), its unit test and fuzz target.
STC_PKCS15_SOURCES = src/lib/pkcs15.c src/lib/pkcs15.h

# The parser's functions are not exported by libsantecard.la (only stc_* are),
# so the test compiles it, with the TLV parser it uses, directly.
check_PROGRAMS += tests/unit/check_pkcs15
TESTS += tests/unit/check_pkcs15
tests_unit_check_pkcs15_SOURCES = tests/unit/check_pkcs15.c src/lib/pkcs15.c src/lib/tlv.c
tests_unit_check_pkcs15_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/lib
tests_unit_check_pkcs15_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_pkcs15_LDADD = $(CHECK_LIBS)

# libFuzzer target (FUZZ_CFLAGS, run-fuzz.sh: src/lib/parsers.mk).
EXTRA_DIST += tests/fuzz/fuzz_pkcs15.c
CLEANFILES += tests/fuzz/fuzz_pkcs15
if HAVE_LIBFUZZER
check_SCRIPTS += tests/fuzz/fuzz_pkcs15
fuzz: tests/fuzz/fuzz_pkcs15

tests/fuzz/fuzz_pkcs15: $(srcdir)/tests/fuzz/fuzz_pkcs15.c $(srcdir)/src/lib/pkcs15.c \
		$(srcdir)/src/lib/pkcs15.h $(srcdir)/src/lib/tlv.c $(srcdir)/src/lib/santecard.h config.h
	$(AM_V_at)$(MKDIR_P) tests/fuzz
	$(AM_V_CC)$(CLANG) $(FUZZ_CFLAGS) -I$(top_builddir) -o $@ \
		$(srcdir)/tests/fuzz/fuzz_pkcs15.c $(srcdir)/src/lib/pkcs15.c $(srcdir)/src/lib/tlv.c
endif
