# src/tools/common: what the service front-ends share (HTTPS with a card key,
# JOSE). To become a convenience library (libstcsvc.la) linked into
# santecard-erx and santecard-psc.
EXTRA_DIST += src/tools/common/http.h src/tools/common/jose.h
