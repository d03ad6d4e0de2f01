# NIR key, INS renderings (HL7 v2 CX, FHIR) and the carte Vitale data parser,
# their unit tests and fuzz target. Makefile.am includes this after
# src/lib/parsers.mk (it uses FUZZ_CFLAGS and the `fuzz` target from there);
# src/lib/Makefile.inc puts $(STC_TOKEN_SOURCES) into the library.
STC_TOKEN_SOURCES = src/lib/ins.c src/lib/vitale_parse.c

check_PROGRAMS += tests/unit/check_ins tests/unit/check_vitale_parse
TESTS += tests/unit/check_ins tests/unit/check_vitale_parse
tests_unit_check_ins_SOURCES = tests/unit/check_ins.c
tests_unit_check_ins_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_ins_LDADD = libsantecard.la $(CHECK_LIBS)
tests_unit_check_vitale_parse_SOURCES = tests/unit/check_vitale_parse.c
tests_unit_check_vitale_parse_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_vitale_parse_LDADD = libsantecard.la $(CHECK_LIBS)

# fuzz_vitale: stc_vitale_parse (and the INS renderings of what it returns), built
# by clang from the sources directly like the parser targets; stc_log is stubbed
# in the target (log.c would pull apdu.c). The seeds are in tests/fuzz/corpus/vitale
# (distributed with tests/fuzz/corpus, see parsers.mk).
FUZZ_VITALE_FILES = src/lib/vitale_parse.c src/lib/ins.c src/lib/tlv.c
EXTRA_DIST += tests/fuzz/fuzz_vitale.c
CLEANFILES += tests/fuzz/fuzz_vitale

if HAVE_LIBFUZZER
check_SCRIPTS += tests/fuzz/fuzz_vitale

tests/fuzz/fuzz_vitale: $(srcdir)/tests/fuzz/fuzz_vitale.c $(FUZZ_VITALE_FILES) \
		$(srcdir)/src/lib/santecard.h config.h
	$(AM_V_at)$(MKDIR_P) tests/fuzz
	$(AM_V_CC)srcs=; for f in $(FUZZ_VITALE_FILES); do srcs="$$srcs $(srcdir)/$$f"; done; \
	$(CLANG) $(FUZZ_CFLAGS) -I$(top_builddir) -o $@ $(srcdir)/tests/fuzz/fuzz_vitale.c $$srcs

fuzz: tests/fuzz/fuzz_vitale
endif
