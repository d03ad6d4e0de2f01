# libFuzzer target on the APDU dispatcher of every simulated card
# (tests/fuzz/fuzz_cardapdu.c). Included from Makefile.am after
# tests/pki/Makefile.inc and firmware/Makefile.inc (it uses their variables);
# FUZZ_CFLAGS, FUZZ_SECONDS and the `fuzz` target come from src/lib/parsers.mk.
#
# Like the parser targets it is built by clang from the card sources directly
# (the cards, the card OS, profiles, NIR), into the build tree, and run by
# tests/fuzz/run-fuzz.sh over a copy of tests/fuzz/corpus/cardapdu. The CPS3
# cards read their keys from $(PKI_DIR)/cps-doctor (pki/.stamp); run-fuzz.sh
# passes FUZZ_PROFILE_DIR and FUZZ_PKI_DIR, and the same directories are
# compiled in as defaults so a crash input replays with just
# `tests/fuzz/fuzz_cardapdu FILE`.
FUZZ_CARD_FILES = \
	$(FIRMWARE_CORE_SOURCES) \
	$(FIRMWARE_CARD_SOURCES) \
	$(READERTEST_SOURCES) \
	$(VITALE_SOURCES) \
	$(CPS_SOURCES)
FUZZ_CARD_CFLAGS = $(FUZZ_CFLAGS) -I$(top_builddir) -I$(top_srcdir)/firmware \
	-DFUZZ_DEFAULT_PROFILE_DIR='"$(abs_top_srcdir)/firmware/profiles"' \
	-DFUZZ_DEFAULT_PKI_DIR='"$(PKI_DIR)"' \
	$(CRYPTO_CFLAGS)

EXTRA_DIST += tests/fuzz/cards.mk tests/fuzz/fuzz_cardapdu.c
CLEANFILES += tests/fuzz/fuzz_cardapdu

if HAVE_LIBFUZZER
check_SCRIPTS += tests/fuzz/fuzz_cardapdu

# Only the .c files go to clang (the variables list headers too). Sources are
# named relative to the source tree ($(srcdir)), the program lands in the build tree.
tests/fuzz/fuzz_cardapdu: $(srcdir)/tests/fuzz/fuzz_cardapdu.c $(FUZZ_CARD_FILES) config.h
	$(AM_V_at)$(MKDIR_P) tests/fuzz
	$(AM_V_CC)srcs=; for f in $(FUZZ_CARD_FILES); do \
		case $$f in *.c) srcs="$$srcs $(srcdir)/$$f" ;; esac; \
	done; \
	$(CLANG) $(FUZZ_CARD_CFLAGS) -o $@ $(srcdir)/tests/fuzz/fuzz_cardapdu.c $$srcs \
		$(CRYPTO_LIBS)

# `make fuzz` runs it too, with the PKI made first (`make check` has pki/.stamp
# in check_SCRIPTS already).
fuzz: tests/fuzz/fuzz_cardapdu pki/.stamp
endif
