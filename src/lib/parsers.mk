# BER-TLV, COMPACT-TLV and ATR parsers, their unit tests and fuzz targets.
STC_PARSER_SOURCES = src/lib/tlv.c src/lib/atr.c

check_PROGRAMS += tests/unit/check_tlv tests/unit/check_atr
TESTS += tests/unit/check_tlv tests/unit/check_atr
tests_unit_check_tlv_SOURCES = tests/unit/check_tlv.c
tests_unit_check_tlv_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_tlv_LDADD = libsantecard.la $(CHECK_LIBS)
tests_unit_check_atr_SOURCES = tests/unit/check_atr.c
tests_unit_check_atr_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_atr_LDADD = libsantecard.la $(CHECK_LIBS)

# libFuzzer targets. They are built by clang from the parser sources directly (not
# through libtool or the library, whose other parts need PC/SC), into the build
# tree. `make check` runs each for FUZZ_SECONDS over a copy of its seed corpus,
# and skips (77) without clang; `make fuzz FUZZ_SECONDS=600` is the long run.
FUZZ_SECONDS = 10
FUZZ_CFLAGS = -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -I$(top_srcdir)/src/lib
TESTS += tests/fuzz/run-fuzz.sh
EXTRA_DIST += tests/fuzz/run-fuzz.sh tests/fuzz/fuzz_tlv.c tests/fuzz/fuzz_atr.c \
	tests/fuzz/corpus
CLEANFILES += tests/fuzz/fuzz_tlv tests/fuzz/fuzz_atr \
	tests/fuzz/fuzz_*-crash-* tests/fuzz/fuzz_*-leak-* \
	tests/fuzz/fuzz_*-timeout-* tests/fuzz/fuzz_*-oom-*

if HAVE_LIBFUZZER
# check_SCRIPTS: built by `make check` before the tests run, never installed.
check_SCRIPTS += tests/fuzz/fuzz_tlv tests/fuzz/fuzz_atr

tests/fuzz/fuzz_tlv: $(srcdir)/tests/fuzz/fuzz_tlv.c $(srcdir)/src/lib/tlv.c \
		$(srcdir)/src/lib/santecard.h
	$(AM_V_at)$(MKDIR_P) tests/fuzz
	$(AM_V_CC)$(CLANG) $(FUZZ_CFLAGS) -o $@ $(srcdir)/tests/fuzz/fuzz_tlv.c \
		$(srcdir)/src/lib/tlv.c

tests/fuzz/fuzz_atr: $(srcdir)/tests/fuzz/fuzz_atr.c $(srcdir)/src/lib/atr.c \
		$(srcdir)/src/lib/santecard.h
	$(AM_V_at)$(MKDIR_P) tests/fuzz
	$(AM_V_CC)$(CLANG) $(FUZZ_CFLAGS) -o $@ $(srcdir)/tests/fuzz/fuzz_atr.c \
		$(srcdir)/src/lib/atr.c

fuzz: tests/fuzz/fuzz_tlv tests/fuzz/fuzz_atr
	$(TESTS_ENVIRONMENT) FUZZ_SECONDS='$(FUZZ_SECONDS)' \
		$(SHELL) $(srcdir)/tests/fuzz/run-fuzz.sh
else
fuzz:
	@echo "make fuzz: configure found no clang supporting -fsanitize=fuzzer;" \
	      "install clang and re-run configure" >&2; exit 1
endif
.PHONY: fuzz
