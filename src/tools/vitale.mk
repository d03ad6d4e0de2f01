# santecard-vitale: the kiosk and desk reader for carte Vitale (read, watch,
# serve), its web page (built in), man page, tests, fuzz targets and benchmark.
bin_PROGRAMS += santecard-vitale
santecard_vitale_SOURCES = \
	src/tools/vitale/vitale.h \
	src/tools/vitale/main.c \
	src/tools/vitale/sbuf.c \
	src/tools/vitale/card.c \
	src/tools/vitale/vcard.c \
	src/tools/vitale/render_json.c \
	src/tools/vitale/render_text.c \
	src/tools/vitale/render_fhir.c \
	src/tools/vitale/render_hl7.c \
	src/tools/vitale/cmd_read.c \
	src/tools/vitale/watcher.c \
	src/tools/vitale/cmd_watch.c \
	src/tools/vitale/http.c \
	src/tools/vitale/cmd_serve.c
nodist_santecard_vitale_SOURCES = src/tools/vitale/web_assets.c
santecard_vitale_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/tools/vitale
santecard_vitale_CFLAGS = $(AM_CFLAGS) -pthread
santecard_vitale_LDADD = libsantecard.la -lpthread
# `make lint` runs the same checks on these files (LINT_FILES is set after the
# fragments are included, so it cannot be appended to from here).
.PHONY: lint-vitale
lint: lint-vitale
lint-vitale: src/tools/vitale/web_assets.c
	@cd $(top_srcdir) && files=; for f in $(santecard_vitale_SOURCES); do \
		case $$f in *.c) files="$$files $$f" ;; esac; done; \
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
		--std=c11 -I src/lib -I src/tools/vitale --suppress=missingIncludeSystem $$files && \
	clang-tidy --quiet $$files -- -std=c11 -I src/lib -I src/tools/vitale \
		-I $(abs_top_builddir) $(PCSC_CFLAGS)

# The page's files become a C table at build time (od, no xxd needed).
VITALE_WEB_FILES = \
	src/tools/vitale/web/index.html \
	src/tools/vitale/web/style.css \
	src/tools/vitale/web/app.js
EXTRA_DIST += $(VITALE_WEB_FILES) src/tools/vitale/embed.sh
CLEANFILES += src/tools/vitale/web_assets.c
src/tools/vitale/web_assets.c: $(srcdir)/src/tools/vitale/embed.sh \
		$(srcdir)/src/tools/vitale/web/index.html \
		$(srcdir)/src/tools/vitale/web/style.css \
		$(srcdir)/src/tools/vitale/web/app.js
	$(AM_V_GEN)$(MKDIR_P) src/tools/vitale && \
	$(SHELL) $(srcdir)/src/tools/vitale/embed.sh $(srcdir) $(VITALE_WEB_FILES) > $@.tmp && \
	mv $@.tmp $@

dist_man_MANS += docs/santecard-vitale.1

# The corrupt-TLV card of the bad-input tests (the wrong-key one is made by
# tests/integration/test_vitale_read.sh: check_nir forbids it here).
dist_profiles_DATA += firmware/profiles/vitale-corrupt.profile

# Tests through the real pcscd + vpcd + santecard-sim (tests/integration/testbed).
TESTS += \
	tests/integration/test_vitale_read.sh \
	tests/integration/test_vitale_watch.sh
EXTRA_DIST += \
	tests/integration/test_vitale_read.sh \
	tests/integration/test_vitale_watch.sh
# The web page in headless Chromium (DevTools protocol over a pipe, python3) with
# tesseract reading the screenshots, then the HTTP rules (curl, socat).
TESTS += tests/integration/test_vitale_serve.sh
EXTRA_DIST += tests/integration/test_vitale_serve.sh

# Unit tests of the pure parts: renderings, escaping, the HTTP parser.
check_PROGRAMS += tests/unit/check_vitale_tool
TESTS += tests/unit/check_vitale_tool
tests_unit_check_vitale_tool_SOURCES = tests/unit/check_vitale_tool.c \
	src/tools/vitale/sbuf.c src/tools/vitale/vcard.c src/tools/vitale/render_json.c \
	src/tools/vitale/render_fhir.c src/tools/vitale/render_hl7.c \
	src/tools/vitale/render_text.c src/tools/vitale/http.c src/tools/vitale/vitale.h
tests_unit_check_vitale_tool_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/tools/vitale
tests_unit_check_vitale_tool_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_vitale_tool_LDADD = libsantecard.la $(CHECK_LIBS)

# libFuzzer targets (clang, from the sources, like tests/fuzz/fuzz_vitale):
# the card's files through stc_vitale_parse and every santecard-vitale output,
# and the HTTP request parser. `make check` runs them briefly
# (tests/fuzz/run-fuzz-vitale.sh), `make fuzz-vitale FUZZ_SECONDS=600` longer.
FUZZ_VITALE_RENDER_FILES = src/lib/vitale_parse.c src/lib/ins.c src/lib/tlv.c \
	src/lib/rv.c src/lib/atr_table.c \
	src/tools/vitale/sbuf.c src/tools/vitale/vcard.c src/tools/vitale/render_json.c \
	src/tools/vitale/render_fhir.c src/tools/vitale/render_hl7.c \
	src/tools/vitale/render_text.c
FUZZ_VITALE_HTTP_FILES = src/tools/vitale/http.c
EXTRA_DIST += tests/fuzz/fuzz_vitale_render.c tests/fuzz/fuzz_vitale_http.c \
	tests/fuzz/run-fuzz-vitale.sh
CLEANFILES += tests/fuzz/fuzz_vitale_render tests/fuzz/fuzz_vitale_http
TESTS += tests/fuzz/run-fuzz-vitale.sh
.PHONY: fuzz-vitale

if HAVE_LIBFUZZER
check_SCRIPTS += tests/fuzz/fuzz_vitale_render tests/fuzz/fuzz_vitale_http

tests/fuzz/fuzz_vitale_render: $(srcdir)/tests/fuzz/fuzz_vitale_render.c \
		$(FUZZ_VITALE_RENDER_FILES) $(srcdir)/src/tools/vitale/vitale.h config.h
	$(AM_V_at)$(MKDIR_P) tests/fuzz
	$(AM_V_CC)srcs=; for f in $(FUZZ_VITALE_RENDER_FILES); do srcs="$$srcs $(srcdir)/$$f"; done; \
	$(CLANG) $(FUZZ_CFLAGS) -D_GNU_SOURCE -I$(top_builddir) -I$(top_srcdir)/src/tools/vitale \
		-o $@ $(srcdir)/tests/fuzz/fuzz_vitale_render.c $$srcs

tests/fuzz/fuzz_vitale_http: $(srcdir)/tests/fuzz/fuzz_vitale_http.c \
		$(FUZZ_VITALE_HTTP_FILES) $(srcdir)/src/tools/vitale/vitale.h config.h
	$(AM_V_at)$(MKDIR_P) tests/fuzz
	$(AM_V_CC)$(CLANG) $(FUZZ_CFLAGS) -D_GNU_SOURCE -I$(top_builddir) \
		-I$(top_srcdir)/src/tools/vitale -o $@ $(srcdir)/tests/fuzz/fuzz_vitale_http.c \
		$(srcdir)/src/tools/vitale/http.c

fuzz-vitale: tests/fuzz/fuzz_vitale_render tests/fuzz/fuzz_vitale_http
	$(TESTS_ENVIRONMENT) FUZZ_SECONDS='$(FUZZ_SECONDS)' \
		$(SHELL) $(srcdir)/tests/fuzz/run-fuzz-vitale.sh
else
fuzz-vitale:
	@echo "make fuzz-vitale: configure found no clang supporting -fsanitize=fuzzer" >&2; exit 1
endif

# Benchmark: carte Vitale inserted -> JSON line of `watch` (docs/PERFORMANCE.md).
EXTRA_DIST += bench/run-vitale-kiosk.sh
.PHONY: bench-vitale
bench-vitale: santecard-vitale santecard-sim
	top_builddir='$(abs_top_builddir)' VPCD_DRIVER='$(VPCD_DRIVER)' \
		$(top_srcdir)/bench/run-vitale-kiosk.sh 20
