# santecard-erx: e-prescription for prescribers and pharmacists (docs/ERX.md,
# docs/santecard-erx.1). Links santecard-vitale's card reading and FHIR
# rendering sources, santecard's PIN input, and the service front-ends'
# libstcsvc.la (HTTPS with the CPS key, JOSE).
bin_PROGRAMS += santecard-erx
ERX_CORE_FILES = \
	src/tools/erx/erx.h \
	src/tools/erx/ident.c \
	src/tools/erx/certid.c \
	src/tools/erx/bundle.c \
	src/tools/erx/sig.c \
	src/tools/erx/outbox.c \
	src/tools/erx/qr.c
santecard_erx_SOURCES = $(ERX_CORE_FILES) \
	src/tools/erx/service.h \
	src/tools/erx/service.c \
	src/tools/erx/cps.h \
	src/tools/erx/cps.c \
	src/tools/erx/patient.h \
	src/tools/erx/patient.c \
	src/tools/erx/show.h \
	src/tools/erx/show.c \
	src/tools/erx/main.c \
	src/tools/pin_input.c \
	src/tools/pin_input.h \
	src/tools/vitale/vitale.h \
	src/tools/vitale/sbuf.c \
	src/tools/vitale/vcard.c \
	src/tools/vitale/card.c \
	src/tools/vitale/render_json.c \
	src/tools/vitale/render_fhir.c
ERX_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/tools -I$(top_srcdir)/src/tools/erx \
	-I$(top_srcdir)/src/tools/vitale -I$(top_srcdir)/src/tools/common \
	$(JANSSON_CFLAGS) $(CURL_CFLAGS) $(QRENCODE_CFLAGS) $(ZBAR_CFLAGS) $(PNG_CFLAGS) \
	$(CRYPTO_CFLAGS)
ERX_LIBS = libstcsvc.la libsantecard.la $(CURL_LIBS) $(JANSSON_LIBS) $(QRENCODE_LIBS) \
	$(ZBAR_LIBS) $(PNG_LIBS) $(CRYPTO_LIBS)
santecard_erx_CPPFLAGS = $(ERX_CPPFLAGS) -DERX_PKI_DIR='"$(localstatedir)/lib/santecard/pki"'
santecard_erx_LDADD = $(ERX_LIBS)

dist_man_MANS += docs/santecard-erx.1
EXTRA_DIST += docs/ERX.md

# `make lint` runs the same checks on these files (like lint-vitale).
.PHONY: lint-erx
lint: lint-erx
lint-erx:
	@cd $(top_srcdir) && files=; for f in $(santecard_erx_SOURCES); do \
		case $$f in src/tools/erx/*.c) files="$$files $$f" ;; esac; done; \
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
		--std=c11 -I src/lib -I src/tools -I src/tools/erx -I src/tools/vitale \
		-I src/tools/common --suppress=missingIncludeSystem $$files && \
	clang-tidy --quiet $$files -- -std=c11 -I src/lib -I src/tools -I src/tools/erx \
		-I src/tools/vitale -I src/tools/common -I $(abs_top_builddir) \
		$(PCSC_CFLAGS) $(JANSSON_CFLAGS) $(CURL_CFLAGS) $(PNG_CFLAGS) $(ZBAR_CFLAGS)
