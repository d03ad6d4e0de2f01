#!/usr/bin/python3
"""santecard e-prescription stand-in service (tests only).

A real HTTPS service playing the CNAM e-prescription téléservice for the tests
of santecard-erx, implementing our contract (docs/ERX.md, ERX-CONTRACT):

  POST /erx/v1/prescriptions                      signed prescription Bundle
  GET  /erx/v1/prescriptions/{id}                 the stored Bundle, as received
  GET  /erx/v1/prescriptions/{id}/dispensations   the dispensations of it
  POST /erx/v1/dispensations                      signed dispensation Bundle
  POST /erx/v1/_test/fail                         test hook (--test-hooks only)

Start and stop it with tests/standins/erx/start DIR [--port N] [--test-hooks]
[--allow-prescriber PROFESSION]... and stop DIR: they make the server
certificate (a throwaway "TEST server CA"), keep DIR/erx.sqlite across
restarts and write DIR/env (ERX_URL, ERX_CA, ERX_PID, ERX_DB, ERX_LOG).
README.md in this directory has the details, the identifier format and the
test hook.

What it checks, in this order (first failure answers):
  TLS 1.2 at most, a client certificate chaining to the test IGC-Santé CA
  (else the handshake fails); request size (1 MiB, 413); strict JSON (UTF-8,
  no duplicate keys, integers only, bounded depth) and the Bundle's shape
  (400 malformed); Bundle.signature: the compact detached JWS (RS256 only)
  verified by jwcrypto over our own RFC 8785 (JCS) form of the Bundle minus
  "signature", the x5c chain verified by `openssl verify` against the test
  root alone (x5c carries the intermediate) at the current time, the leaf's
  keyUsage nonRepudiation (422
  bad_signature); the signer's profession (title) allowed for the operation,
  TLS client idnat (CN) == signer idnat, signature.who -> the Practitioner
  whose RPPS identifier == signer idnat (403 wrong_signer); then, in one
  sqlite transaction: Bundle.identifier reuse (200 duplicate when the JCS
  content is identical, else 409), the prescription exists (404), every
  dispensed line exists and the sum of dispensations never exceeds the
  prescribed quantity (422 over_dispensed), no substitution where the line
  forbids it (422 substitution_not_allowed).

What differs from the real téléservice (whose spec is not public): the
transport (no LPS SOAP gateway, plain REST/FHIR JSON), the identifier format
(ours: EP-XXXX-XXXX-XXXC, Crockford base32 + mod-37 check symbol), the
signature format (JWS in Bundle.signature rather than whatever CNAM uses),
the certificate subject pattern (our test PKI), no patient rights / DMP
feeding / billing, no revocation checking (CRL/OCSP) of the certificates.
"""

import argparse
import base64
import datetime
import hashlib
import json
import os
import re
import secrets
import signal
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import unicodedata
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from jwcrypto import jwk, jws

MAX_BODY = 1 << 20          # bigger requests get 413
MAX_DEPTH = 32              # JSON nesting
MAX_INT = (1 << 53) - 1     # JCS numbers are IEEE doubles: keep integers exact
IO_TIMEOUT = 15             # seconds, handshake and each read

RPPS_SYSTEM = "urn:oid:1.2.250.1.71.4.2.1"
LINE_SYSTEM = "urn:santecard:erx:line"
PRESC_SYSTEM = "urn:santecard:erx:prescription"
SIG_SYSTEM = "urn:iso-astm:E1762-95:2013"
SIG_AUTHOR = "1.2.840.10065.1.12.1.1"
SIG_VERIFICATION = "1.2.840.10065.1.12.1.5"
DEFAULT_PRESCRIBERS = ["Médecin", "Chirurgien-dentiste", "Sage-femme"]
DEFAULT_DISPENSERS = ["Pharmacien"]

UUID_RE = re.compile(r"^urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                     r"[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")
TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})\Z", re.ASCII)
B64URL_RE = re.compile(r"^[A-Za-z0-9_-]+\Z")
DIGITS_RE = re.compile(r"^[0-9]{1,12}\Z")

# ----------------------------------------------------------------- identifiers
# EP- (prescription) or ED- (dispensation) + 12 symbols in 3 groups of 4: 11
# random Crockford base32 symbols and a check symbol = (the 11 symbols read as
# one base-32 number) mod 37, written with Crockford's 37-symbol check table.
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CHECK_SYMBOLS = CROCKFORD + "*~$=U"


def check_symbol(data):
    n = 0
    for c in data:
        n = n * 32 + CROCKFORD.index(c)
    return CHECK_SYMBOLS[n % 37]


def new_identifier(prefix):
    data = "".join(secrets.choice(CROCKFORD) for _ in range(11))
    s = data + check_symbol(data)
    return "%s-%s-%s-%s" % (prefix, s[0:4], s[4:8], s[8:12])


def parse_identifier(prefix, s):
    """The canonical identifier for s (Crockford decoding: case-insensitive,
    I and L read as 1, O as 0, hyphens where ours are), or None."""
    s = s.upper()
    m = re.match(r"^%s-([0-9A-Z]{4})-([0-9A-Z]{4})-([0-9A-Z]{3})([0-9A-Z*~$=])\Z" % prefix, s)
    if not m:
        return None
    data = (m.group(1) + m.group(2) + m.group(3)).translate(str.maketrans("ILO", "110"))
    if any(c not in CROCKFORD for c in data):
        return None
    if check_symbol(data) != m.group(4):
        return None
    return "%s-%s-%s-%s" % (prefix, data[0:4], data[4:8], data[8:11] + m.group(4))


# ----------------------------------------------------------------- errors
class ApiError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def malformed(msg):
    return ApiError(400, "malformed", msg)


def bad_signature(msg):
    return ApiError(422, "bad_signature", msg)


def wrong_signer(msg):
    return ApiError(403, "wrong_signer", msg)


# ----------------------------------------------------------------- strict JSON + JCS
def _no_dup_object(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise malformed("duplicate key %s" % json.dumps(k))
        d[k] = v
    return d


def _no_float(s):
    raise malformed("non-integer number %s (numbers in our bundles are integers)" % s[:20])


def _no_constant(s):
    raise malformed("%s is not JSON" % s)


def _check_value(v, depth):
    if depth > MAX_DEPTH:
        raise malformed("JSON nested deeper than %d" % MAX_DEPTH)
    if isinstance(v, bool) or v is None:
        return
    if isinstance(v, int):
        if abs(v) > MAX_INT:
            raise malformed("integer %d out of range" % v)
    elif isinstance(v, str):
        _check_string(v)
    elif isinstance(v, list):
        for x in v:
            _check_value(x, depth + 1)
    elif isinstance(v, dict):
        for k, x in v.items():
            _check_string(k)
            _check_value(x, depth + 1)


def _check_string(s):
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        raise malformed("string with a lone surrogate") from None


def parse_json(body):
    """Strict JSON: UTF-8 without BOM, no duplicate keys, no NaN/Infinity, no
    reals, integers within IEEE double precision, bounded nesting."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise malformed("body is not UTF-8") from None
    if text.startswith("\ufeff"):
        raise malformed("body starts with a byte order mark")
    # Count nesting before json.loads, whose recursion would overflow first.
    depth = 0
    in_str = esc = False
    for c in text:
        if in_str:
            if esc:
                esc = False
            elif c == "\\":
                esc = True
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
        elif c in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise malformed("JSON nested deeper than %d" % MAX_DEPTH)
        elif c in "]}":
            depth -= 1
    try:
        v = json.loads(text, object_pairs_hook=_no_dup_object, parse_float=_no_float,
                       parse_constant=_no_constant)
    except ApiError:
        raise
    except (ValueError, RecursionError) as e:
        raise malformed("not JSON: %s" % str(e)[:120]) from None
    _check_value(v, 0)
    return v


_JCS_ESC = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n",
            "\r": "\\r", "\t": "\\t"}


def _jcs_str(s):
    out = ['"']
    for c in s:
        if c in _JCS_ESC:
            out.append(_JCS_ESC[c])
        elif ord(c) < 0x20:
            out.append("\\u%04x" % ord(c))
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def _jcs(v, out):
    if v is None:
        out.append("null")
    elif v is True:
        out.append("true")
    elif v is False:
        out.append("false")
    elif isinstance(v, int):
        out.append(str(v))
    elif isinstance(v, str):
        out.append(_jcs_str(v))
    elif isinstance(v, list):
        out.append("[")
        for i, x in enumerate(v):
            if i:
                out.append(",")
            _jcs(x, out)
        out.append("]")
    elif isinstance(v, dict):
        out.append("{")
        # RFC 8785: member names sorted by their UTF-16 code units.
        for i, k in enumerate(sorted(v, key=lambda k: k.encode("utf-16-be"))):
            if i:
                out.append(",")
            out.append(_jcs_str(k))
            out.append(":")
            _jcs(v[k], out)
        out.append("}")
    else:
        raise TypeError("not a JSON value")


def jcs(v):
    """RFC 8785 canonical JSON (UTF-8) of a value made of dict/list/str/int/bool/None."""
    out = []
    _jcs(v, out)
    return "".join(out).encode("utf-8")


# ----------------------------------------------------------------- bundle shape
def need(cond, msg):
    if not cond:
        raise malformed(msg)


def get_obj(d, key, where):
    v = d.get(key)
    need(isinstance(v, dict), "%s.%s: missing or not an object" % (where, key))
    return v


def get_list(d, key, where, nonempty=True):
    v = d.get(key)
    need(isinstance(v, list) and (v or not nonempty),
         "%s.%s: missing or not a%s array" % (where, key, " non-empty" if nonempty else "n"))
    return v


def get_str(d, key, where):
    v = d.get(key)
    need(isinstance(v, str) and v != "", "%s.%s: missing or not a non-empty string" % (where, key))
    return v


def get_pos_int(d, key, where):
    v = d.get(key)
    need(isinstance(v, int) and not isinstance(v, bool) and v > 0,
         "%s.%s: missing or not a positive integer" % (where, key))
    return v


def ref(d, key, where):
    return get_str(get_obj(d, key, where), "reference", "%s.%s" % (where, key))


class Bundle:
    """The common parts of a signed Bundle, checked for shape."""

    def __init__(self, doc, sig_code):
        need(isinstance(doc, dict), "body is not a JSON object")
        need(doc.get("resourceType") == "Bundle", "resourceType is not \"Bundle\"")
        need(doc.get("type") == "collection", "Bundle.type is not \"collection\"")
        ident = get_obj(doc, "identifier", "Bundle")
        need(ident.get("system") == "urn:ietf:rfc:3986",
             "Bundle.identifier.system is not urn:ietf:rfc:3986")
        self.bundle_id = get_str(ident, "value", "Bundle.identifier")
        need(UUID_RE.match(self.bundle_id), "Bundle.identifier.value is not urn:uuid:<uuid>")
        self.bundle_id = self.bundle_id.lower()
        need(isinstance(doc.get("timestamp"), str) and TS_RE.match(doc["timestamp"]),
             "Bundle.timestamp missing or not ISO 8601 with an offset")
        self.by_url = {}
        self.by_type = {}
        for i, e in enumerate(get_list(doc, "entry", "Bundle")):
            where = "Bundle.entry[%d]" % i
            need(isinstance(e, dict), where + ": not an object")
            url = get_str(e, "fullUrl", where)
            need(UUID_RE.match(url), where + ".fullUrl is not urn:uuid:<uuid>")
            need(url not in self.by_url, where + ".fullUrl repeated")
            res = get_obj(e, "resource", where)
            rt = get_str(res, "resourceType", where + ".resource")
            self.by_url[url] = res
            self.by_type.setdefault(rt, []).append((url, res))
        sig = get_obj(doc, "signature", "Bundle")
        types = get_list(sig, "type", "Bundle.signature")
        need(isinstance(types[0], dict) and types[0].get("system") == SIG_SYSTEM
             and types[0].get("code") == sig_code,
             "Bundle.signature.type[0] is not %s|%s" % (SIG_SYSTEM, sig_code))
        need(isinstance(sig.get("when"), str) and TS_RE.match(sig["when"]),
             "Bundle.signature.when missing or not ISO 8601 with an offset")
        self.who = ref(sig, "who", "Bundle.signature")
        need(sig.get("sigFormat") == "application/jose",
             "Bundle.signature.sigFormat is not application/jose")
        data = get_str(sig, "data", "Bundle.signature")
        try:
            raw = base64.b64decode(data, validate=True)
            self.jws = raw.decode("ascii")
        except (ValueError, UnicodeDecodeError):
            raise malformed("Bundle.signature.data is not base64 of an ASCII JWS") from None
        unsigned = {k: v for k, v in doc.items() if k != "signature"}
        self.payload = jcs(unsigned)
        self.content_hash = hashlib.sha256(self.payload).hexdigest()
        self.doc = doc

    def one(self, rt):
        lst = self.by_type.get(rt, [])
        need(len(lst) == 1, "the Bundle needs exactly one %s (has %d)" % (rt, len(lst)))
        return lst[0]

    def resource(self, url, rt, where):
        res = self.by_url.get(url)
        need(res is not None and res.get("resourceType") == rt,
             "%s: %s is not a %s of the Bundle" % (where, url, rt))
        return res


def practitioner_idnat(prac, where):
    ids = get_list(prac, "identifier", where)
    for i in ids:
        if isinstance(i, dict) and i.get("system") == RPPS_SYSTEM:
            return get_str(i, "value", where + ".identifier")
    raise malformed("%s: no identifier with system %s" % (where, RPPS_SYSTEM))


def coding_of(concept, where):
    c = get_list(concept, "coding", where)[0]
    need(isinstance(c, dict), where + ".coding[0]: not an object")
    return get_str(c, "system", where + ".coding[0]"), get_str(c, "code", where + ".coding[0]")


def parse_prescription(doc):
    b = Bundle(doc, SIG_AUTHOR)
    pat_url, _ = b.one("Patient")
    prac_url, prac = b.one("Practitioner")
    rg_url, rg = b.one("RequestGroup")
    need(b.who == prac_url, "Bundle.signature.who does not point to the Practitioner")
    b.author_idnat = practitioner_idnat(prac, "Practitioner")
    need(rg.get("status") == "active" and rg.get("intent") == "order",
         "RequestGroup: status must be active and intent order")
    group = get_str(get_obj(rg, "groupIdentifier", "RequestGroup"), "value",
                    "RequestGroup.groupIdentifier")
    need(ref(rg, "subject", "RequestGroup") == pat_url, "RequestGroup.subject is not the Patient")
    need(ref(rg, "author", "RequestGroup") == prac_url, "RequestGroup.author is not the Practitioner")
    actions = get_list(rg, "action", "RequestGroup")
    action_refs = set()
    for i, a in enumerate(actions):
        need(isinstance(a, dict), "RequestGroup.action[%d]: not an object" % i)
        action_refs.add(ref(a, "resource", "RequestGroup.action[%d]" % i))
    mrs = b.by_type.get("MedicationRequest", [])
    need(mrs, "the Bundle has no MedicationRequest")
    need(action_refs == {u for u, _ in mrs},
         "RequestGroup.action must list every MedicationRequest once")
    b.lines = {}
    for url, mr in mrs:
        where = "MedicationRequest %s" % url
        idents = get_list(mr, "identifier", where)
        line = None
        for i in idents:
            if isinstance(i, dict) and i.get("system") == LINE_SYSTEM:
                line = get_str(i, "value", where + ".identifier")
        need(line is not None and re.match(r"^[1-9][0-9]{0,3}\Z", line),
             where + ": no line identifier (%s, \"1\"..\"n\")" % LINE_SYSTEM)
        need(line not in b.lines, "line %s appears twice" % line)
        where = "MedicationRequest line %s" % line
        need(mr.get("status") == "active" and mr.get("intent") == "order",
             where + ": status must be active and intent order")
        g = get_obj(mr, "groupIdentifier", where)
        need(g.get("value") == group, where + ": groupIdentifier differs from the RequestGroup's")
        need(ref(mr, "subject", where) == pat_url, where + ": subject is not the Patient")
        need(ref(mr, "requester", where) == prac_url, where + ": requester is not the Practitioner")
        med = b.resource(ref(mr, "medicationReference", where), "Medication",
                         where + ".medicationReference")
        system, code = coding_of(get_obj(med, "code", "Medication"), "Medication.code")
        dr = get_obj(mr, "dispenseRequest", where)
        q = get_obj(dr, "quantity", where + ".dispenseRequest")
        qty = get_pos_int(q, "value", where + ".dispenseRequest.quantity")
        sub = get_obj(mr, "substitution", where)
        allowed = sub.get("allowedBoolean")
        need(isinstance(allowed, bool), where + ".substitution.allowedBoolean: missing or not a boolean")
        b.lines[line] = {"quantity": qty, "unit": q.get("unit") if isinstance(q.get("unit"), str) else "",
                         "system": system, "code": code, "substitution": allowed}
    need(len(b.lines) == len(actions), "RequestGroup.action and MedicationRequest lines differ")
    return b


def parse_dispensation(doc):
    b = Bundle(doc, SIG_VERIFICATION)
    prac_url, prac = b.one("Practitioner")
    need(b.who == prac_url, "Bundle.signature.who does not point to the Practitioner")
    b.author_idnat = practitioner_idnat(prac, "Practitioner")
    mds = b.by_type.get("MedicationDispense", [])
    need(mds, "the Bundle has no MedicationDispense")
    need(len(b.by_url) == 1 + len(mds),
         "a dispensation Bundle holds one Practitioner and MedicationDispense entries only")
    b.prescription = None
    b.lines = {}
    for url, md in mds:
        where = "MedicationDispense %s" % url
        need(md.get("status") == "completed", where + ": status is not completed")
        auth = get_list(md, "authorizingPrescription", where)[0]
        need(isinstance(auth, dict), where + ".authorizingPrescription[0]: not an object")
        ai = get_obj(auth, "identifier", where + ".authorizingPrescription[0]")
        need(ai.get("system") == PRESC_SYSTEM,
             where + ".authorizingPrescription[0].identifier.system is not " + PRESC_SYSTEM)
        raw_pid = get_str(ai, "value", where + ".authorizingPrescription[0].identifier")
        pid = parse_identifier("EP", raw_pid)
        if pid is None:
            raise ApiError(404, "not_found", "%s is not a prescription identifier" % raw_pid[:40])
        need(b.prescription in (None, pid), "the MedicationDispense entries name different prescriptions")
        b.prescription = pid
        line = None
        for i in get_list(md, "identifier", where):
            if isinstance(i, dict) and i.get("system") == LINE_SYSTEM:
                line = get_str(i, "value", where + ".identifier")
        need(line is not None, where + ": no identifier with system " + LINE_SYSTEM)
        p, _, n = line.rpartition("/")
        need(re.match(r"^[1-9][0-9]{0,3}\Z", n) and parse_identifier("EP", p) == pid,
             where + ": line identifier is not <prescriptionId>/<line>")
        where = "MedicationDispense line %s" % n
        perf = get_list(md, "performer", where)[0]
        need(isinstance(perf, dict) and ref(perf, "actor", where + ".performer[0]") == prac_url,
             where + ": performer[0].actor is not the Practitioner")
        qty = get_pos_int(get_obj(md, "quantity", where), "value", where + ".quantity")
        system, code = coding_of(get_obj(md, "medicationCodeableConcept", where),
                                 where + ".medicationCodeableConcept")
        sub = get_obj(md, "substitution", where)
        was = sub.get("wasSubstituted")
        need(isinstance(was, bool), where + ".substitution.wasSubstituted: missing or not a boolean")
        need(isinstance(md.get("whenHandedOver"), str) and TS_RE.match(md["whenHandedOver"]),
             where + ".whenHandedOver missing or not ISO 8601 with an offset")
        d = b.lines.setdefault(n, {"quantity": 0, "substituted": False, "products": set()})
        d["quantity"] += qty
        d["substituted"] = d["substituted"] or was
        d["products"].add((system, code, was))
    return b


# ----------------------------------------------------------------- signature
class Signer:
    def __init__(self, idnat, surname, given, profession):
        self.idnat, self.surname, self.given, self.profession = idnat, surname, given, profession


def subject_parts(name):
    def first(oid):
        a = name.get_attributes_for_oid(oid)
        return a[0].value if a else None
    return (first(NameOID.COMMON_NAME), first(NameOID.SURNAME), first(NameOID.GIVEN_NAME),
            first(NameOID.TITLE))


class Verifier:
    def __init__(self, trust_file):
        self.trust_file = trust_file

    def verify(self, bundle):
        """Check the detached JWS over bundle.payload and its x5c chain; the Signer."""
        parts = bundle.jws.split(".")
        if len(parts) != 3 or parts[1] != "" or not B64URL_RE.match(parts[0]) \
                or not B64URL_RE.match(parts[2]):
            raise bad_signature("Bundle.signature.data is not a compact JWS with a detached payload")
        try:
            header = parse_json(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
        except (ApiError, ValueError):
            raise bad_signature("the JWS header is not a JSON object") from None
        if not isinstance(header, dict):
            raise bad_signature("the JWS header is not a JSON object")
        if header.get("alg") != "RS256":
            raise bad_signature("JWS alg must be RS256")
        if "crit" in header or "b64" in header:
            raise bad_signature("JWS crit/b64 headers are not supported")
        x5c = header.get("x5c")
        if not isinstance(x5c, list) or not x5c or not all(isinstance(c, str) for c in x5c) \
                or len(x5c) > 5:
            raise bad_signature("JWS header has no x5c certificate chain")
        try:
            certs = [x509.load_der_x509_certificate(base64.b64decode(c, validate=True)) for c in x5c]
        except ValueError:
            raise bad_signature("x5c holds something that is not a base64 DER certificate") from None
        leaf = certs[0]
        self._verify_chain(certs)
        try:
            ku = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
        except x509.ExtensionNotFound:
            raise bad_signature("the signing certificate has no keyUsage") from None
        except Exception:  # unparsable extensions (openssl accepted the chain)
            raise bad_signature("the signing certificate's extensions cannot be read") from None
        if not ku.content_commitment:
            raise bad_signature("the signing certificate lacks keyUsage nonRepudiation")
        # Verification by jwcrypto over our own JCS: the detached payload is put
        # back in place (RFC 7515 appendix F) and the whole checked.
        try:
            key = jwk.JWK.from_pyca(leaf.public_key())
            token = jws.JWS()
            token.allowed_algs = ["RS256"]
            payload_b64 = base64.urlsafe_b64encode(bundle.payload).rstrip(b"=").decode("ascii")
            token.deserialize("%s.%s.%s" % (parts[0], payload_b64, parts[2]))
            token.verify(key, alg="RS256")
        except Exception:  # jwcrypto raises several kinds; all mean "does not verify"
            raise bad_signature("the JWS signature does not verify over the Bundle's JCS "
                                "(without signature)") from None
        try:
            idnat, surname, given, profession = subject_parts(leaf.subject)
        except Exception:
            raise bad_signature("the signing certificate's subject cannot be read") from None
        if not idnat:
            raise bad_signature("the signing certificate has no CN")
        return Signer(idnat, surname, given, profession)

    def _verify_chain(self, certs):
        with tempfile.TemporaryDirectory(prefix="erx-x5c-") as d:
            leaf = os.path.join(d, "leaf.pem")
            others = os.path.join(d, "untrusted.pem")
            with open(leaf, "wb") as f:
                f.write(certs[0].public_bytes(serialization.Encoding.PEM))
            with open(others, "wb") as f:
                for c in certs[1:]:
                    f.write(c.public_bytes(serialization.Encoding.PEM))
            cmd = ["openssl", "verify", "-CAfile", self.trust_file, "-x509_strict"]
            if len(certs) > 1:
                cmd += ["-untrusted", others]
            cmd.append(leaf)
            try:
                r = subprocess.run(cmd, capture_output=True, timeout=10, text=True)
            except subprocess.TimeoutExpired:
                raise ApiError(503, "unavailable", "certificate check timed out") from None
            if r.returncode != 0 or not r.stdout.strip().endswith(": OK"):
                why = ""
                for line in (r.stderr + r.stdout).splitlines():
                    m = re.search(r"error \d+ at \d+ depth lookup: (.*)", line)
                    if m:
                        why = m.group(1)
                        break
                raise bad_signature("the x5c chain does not verify to the test IGC-Santé root"
                                    + (" (%s)" % why if why else ""))


# ----------------------------------------------------------------- storage
SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schema.sql")


class Store:
    def __init__(self, path):
        self.path = path
        self.local = threading.local()
        with open(SCHEMA, encoding="utf-8") as f:
            schema = f.read()
        db = self.conn()
        db.executescript(schema)

    def conn(self):
        c = getattr(self.local, "c", None)
        if c is None:
            c = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            c.execute("PRAGMA journal_mode=WAL")
            c.execute("PRAGMA foreign_keys=ON")
            c.execute("PRAGMA busy_timeout=10000")
            self.local.c = c
        return c


class Tx:
    """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on any exception): writers are
    serialized by sqlite, so the checks inside see a stable database."""

    def __init__(self, db):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, et, ev, tb):
        self.db.execute("COMMIT" if et is None else "ROLLBACK")
        return False


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def remaining(db, pid):
    rows = db.execute(
        "SELECT l.line, l.quantity - COALESCE((SELECT SUM(d.quantity) FROM dispensed_lines d "
        " JOIN dispensations s ON s.id = d.dispensation_id "
        " WHERE s.prescription_id = l.prescription_id AND d.line = l.line), 0) "
        "FROM prescription_lines l WHERE l.prescription_id = ? "
        "ORDER BY CAST(l.line AS INTEGER)", (pid,)).fetchall()
    return [{"line": r[0], "quantity": r[1]} for r in rows]


# ----------------------------------------------------------------- the service
class Service:
    def __init__(self, args):
        self.store = Store(args.db)
        self.verifier = Verifier(args.x5c_root or args.client_ca)
        self.prescribers = {unicodedata.normalize("NFC", p) for p in
                            (args.allow_prescriber or DEFAULT_PRESCRIBERS)}
        self.dispensers = {unicodedata.normalize("NFC", p) for p in
                           (args.allow_dispenser or DEFAULT_DISPENSERS)}
        self.test_hooks = args.test_hooks
        self.fail_lock = threading.Lock()
        self.fail_count = 0
        self.fail_status = 503
        self.fail_after = False
        self.fail_delay = 0.0

    # A hook armed by POST /_test/fail, consumed by the next API requests.
    def take_failure(self):
        with self.fail_lock:
            if self.fail_count <= 0:
                return None
            self.fail_count -= 1
            return self.fail_status, self.fail_after, self.fail_delay

    def arm_failure(self, body):
        d = parse_json(body)
        need(isinstance(d, dict), "the hook body is not an object")
        count = d.get("count", 1)
        status = d.get("status", 503)
        need(isinstance(count, int) and not isinstance(count, bool) and 0 <= count <= 1000,
             "count must be an integer 0..1000")
        need(isinstance(status, int) and not isinstance(status, bool) and 400 <= status <= 599,
             "status must be an integer 400..599")
        after = d.get("after", False)
        need(isinstance(after, bool), "after must be a boolean")
        delay = d.get("delay_ms", 0)
        need(isinstance(delay, int) and not isinstance(delay, bool) and 0 <= delay <= 60000,
             "delay_ms must be an integer 0..60000")
        with self.fail_lock:
            self.fail_count, self.fail_status = count, status
            self.fail_after, self.fail_delay = after, delay / 1000.0
        return {"armed": count, "status": status, "after": after, "delay_ms": delay}

    def check_signer(self, b, signer, client_idnat, allowed, what):
        prof = unicodedata.normalize("NFC", signer.profession or "")
        if prof not in allowed:
            raise wrong_signer("a %s (%s) may not sign a %s" % (prof or "holder without profession",
                                                                  signer.idnat, what))
        if signer.idnat != client_idnat:
            raise wrong_signer("the TLS client (%s) is not the signer (%s)"
                               % (client_idnat, signer.idnat))
        if b.author_idnat != signer.idnat:
            raise wrong_signer("Bundle.signature.who names Practitioner %s, the signer is %s"
                               % (b.author_idnat, signer.idnat))

    def prescribe(self, body, client_idnat, ctx):
        b = parse_prescription(parse_json(body))
        signer = self.verifier.verify(b)
        self.check_signer(b, signer, client_idnat, self.prescribers, "prescription")
        db = self.store.conn()
        with Tx(db):
            row = db.execute("SELECT id, content_sha256 FROM prescriptions WHERE bundle_id = ?",
                             (b.bundle_id,)).fetchone()
            if row:
                if row[1] != b.content_hash:
                    raise ApiError(409, "identifier_reused",
                                   "Bundle.identifier %s was used for another prescription" % b.bundle_id)
                ctx["ids"] = row[0]
                return 200, {"prescriptionId": row[0], "bundleId": b.bundle_id, "status": "duplicate"}
            for _ in range(20):
                pid = new_identifier("EP")
                if not db.execute("SELECT 1 FROM prescriptions WHERE id = ?", (pid,)).fetchone():
                    break
            else:
                raise ApiError(503, "unavailable", "no free identifier")
            db.execute("INSERT INTO prescriptions (id, bundle_id, content_sha256, body, signer_idnat, "
                       "created) VALUES (?, ?, ?, ?, ?, ?)",
                       (pid, b.bundle_id, b.content_hash, body, signer.idnat, now_iso()))
            for line, l in b.lines.items():
                db.execute("INSERT INTO prescription_lines (prescription_id, line, quantity, unit, "
                           "med_system, med_code, substitution_allowed) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           (pid, line, l["quantity"], l["unit"], l["system"], l["code"],
                            1 if l["substitution"] else 0))
        ctx["ids"] = pid
        return 201, {"prescriptionId": pid, "bundleId": b.bundle_id, "status": "created"}

    def dispense(self, body, client_idnat, ctx):
        b = parse_dispensation(parse_json(body))
        signer = self.verifier.verify(b)
        self.check_signer(b, signer, client_idnat, self.dispensers, "dispensation")
        db = self.store.conn()
        pid = b.prescription
        with Tx(db):
            row = db.execute("SELECT id, content_sha256, prescription_id FROM dispensations "
                             "WHERE bundle_id = ?", (b.bundle_id,)).fetchone()
            if row:
                if row[1] != b.content_hash:
                    raise ApiError(409, "identifier_reused",
                                   "Bundle.identifier %s was used for another dispensation" % b.bundle_id)
                ctx["ids"] = row[0]
                return 200, {"dispensationId": row[0], "prescriptionId": row[2],
                             "bundleId": b.bundle_id, "status": "duplicate",
                             "remaining": remaining(db, row[2])}
            if not db.execute("SELECT 1 FROM prescriptions WHERE id = ?", (pid,)).fetchone():
                raise ApiError(404, "not_found", "no prescription %s" % pid)
            lines = {r[0]: r[1:] for r in db.execute(
                "SELECT line, quantity, med_system, med_code, substitution_allowed "
                "FROM prescription_lines WHERE prescription_id = ?", (pid,))}
            rem = {r["line"]: r["quantity"] for r in remaining(db, pid)}
            for n, d in sorted(b.lines.items(), key=lambda x: int(x[0])):
                if n not in lines:
                    raise ApiError(422, "over_dispensed", "%s has no line %s" % (pid, n))
                _, system, code, sub_ok = lines[n]
                for (s, c, was) in d["products"]:
                    if was and not sub_ok:
                        raise ApiError(422, "substitution_not_allowed",
                                       "%s line %s: the prescriber did not allow substitution" % (pid, n))
                    if not was and (s, c) != (system, code):
                        raise ApiError(422, "substitution_not_allowed",
                                       "%s line %s: the product handed over is not the prescribed one "
                                       "and wasSubstituted is false" % (pid, n))
                if d["quantity"] > rem[n]:
                    raise ApiError(422, "over_dispensed",
                                   "%s line %s: %d asked, %d remaining" % (pid, n, d["quantity"], rem[n]))
            for _ in range(20):
                did = new_identifier("ED")
                if not db.execute("SELECT 1 FROM dispensations WHERE id = ?", (did,)).fetchone():
                    break
            else:
                raise ApiError(503, "unavailable", "no free identifier")
            db.execute("INSERT INTO dispensations (id, bundle_id, content_sha256, prescription_id, body, "
                       "signer_idnat, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (did, b.bundle_id, b.content_hash, pid, body, signer.idnat, now_iso()))
            for n, d in b.lines.items():
                db.execute("INSERT INTO dispensed_lines (dispensation_id, line, quantity, substituted) "
                           "VALUES (?, ?, ?, ?)", (did, n, d["quantity"], 1 if d["substituted"] else 0))
            rem_after = remaining(db, pid)
        ctx["ids"] = "%s %s" % (did, pid)
        return 201, {"dispensationId": did, "prescriptionId": pid, "bundleId": b.bundle_id,
                     "status": "created", "remaining": rem_after}

    def get_prescription(self, raw_id, ctx):
        pid = parse_identifier("EP", raw_id)
        if pid is None:
            raise ApiError(404, "not_found", "not a prescription identifier (format or check symbol)")
        ctx["ids"] = pid
        db = self.store.conn()
        row = db.execute("SELECT body FROM prescriptions WHERE id = ?", (pid,)).fetchone()
        if not row:
            raise ApiError(404, "not_found", "no prescription %s" % pid)
        rem = remaining(db, pid)
        left = sum(r["quantity"] for r in rem)
        total = db.execute("SELECT SUM(quantity) FROM prescription_lines WHERE prescription_id = ?",
                           (pid,)).fetchone()[0]
        st = "open" if left == total else ("complete" if left == 0 else "partial")
        return bytes(row[0]), st

    def get_dispensations(self, raw_id, ctx):
        pid = parse_identifier("EP", raw_id)
        if pid is None:
            raise ApiError(404, "not_found", "not a prescription identifier (format or check symbol)")
        ctx["ids"] = pid
        db = self.store.conn()
        if not db.execute("SELECT 1 FROM prescriptions WHERE id = ?", (pid,)).fetchone():
            raise ApiError(404, "not_found", "no prescription %s" % pid)
        rows = db.execute("SELECT id, body FROM dispensations WHERE prescription_id = ? "
                          "ORDER BY seq", (pid,)).fetchall()
        # The bundles go out as received (valid JSON, already checked).
        parts = [b'{"dispensationId":' + json.dumps(r[0]).encode() + b',"bundle":' + bytes(r[1]) + b"}"
                 for r in rows]
        return b'{"dispensations":[' + b",".join(parts) + b"]}"


# ----------------------------------------------------------------- HTTP
API = "/erx/v1"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    default_request_version = "HTTP/1.1"  # answers to garbage get a status line too
    server_version = "santecard-erx-standin/1"
    sys_version = ""

    def version_string(self):
        return self.server_version

    def log_request(self, code="-", size="-"):
        pass  # handle_one logs one line per request

    def log_message(self, fmt, *args):  # BaseHTTPRequestHandler's own messages
        self.server.log("%s %s" % (self.client_idnat or "-", (fmt % args)[:200]))

    def setup(self):
        super().setup()
        self.client_idnat = None
        try:
            der = self.connection.getpeercert(binary_form=True)
            if der:
                self.client_idnat = subject_parts(x509.load_der_x509_certificate(der).subject)[0]
        except Exception:
            self.client_idnat = None

    def send_json(self, status, obj, ctype="application/json", extra=None):
        body = obj if isinstance(obj, bytes) else json.dumps(obj, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        return status

    def handle_expect_100(self):
        # Refuse a body we would refuse anyway before the client sends it.
        if self.command != "POST":
            return super().handle_expect_100()
        try:
            self.body_length()
        except ApiError as e:
            self.answer_error(e.status, e.code, e.message)
            self.close_connection = True
            self.server.log("%s %s %s %d" % (self.client_idnat or "-", self.command,
                                             self.path[:120], e.status))
            return False
        return super().handle_expect_100()

    def body_length(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            raise ApiError(411, "malformed", "chunked bodies are not accepted: send Content-Length")
        cl = self.headers.get("Content-Length")
        if cl is None or not DIGITS_RE.match(cl.strip()):
            raise ApiError(411, "malformed", "Content-Length required")
        n = int(cl)
        if n > MAX_BODY:
            raise ApiError(413, "too_large", "request body over %d bytes" % MAX_BODY)
        return n

    def drain(self, n):
        # Read (and drop) an unread body before closing, so that the client gets
        # our answer rather than a reset; bounded in size and time.
        try:
            self.connection.settimeout(2)
            while n > 0:
                got = self.rfile.read(min(n, 65536))
                if not got:
                    break
                n -= len(got)
        except (OSError, ValueError):
            pass

    def read_body(self):
        try:
            n = self.body_length()
        except ApiError:
            self.close_connection = True
            raise
        body = self.rfile.read(n)
        self.body_read = True
        if len(body) != n:
            self.close_connection = True
            raise malformed("body shorter than Content-Length")
        return body

    def handle_one(self, method):
        t0 = time.monotonic()
        ctx = {"ids": ""}
        self.body_read = False
        try:
            status = self.dispatch(method, ctx)
        except ApiError as e:
            status = self.answer_error(e.status, e.code, e.message)
        except Exception:
            self.server.log("500 %s %s\n%s" % (method, self.path[:200], traceback.format_exc()))
            status = self.answer_error(500, "internal", "internal error")
        self.discard_body()
        self.server.log("%s %s %s %d %s %.0fms" % (self.client_idnat or "-", method,
                                                   self.path[:120], status, ctx["ids"] or "-",
                                                   (time.monotonic() - t0) * 1000))

    def answer_error(self, status, code, message):
        if status in (400, 411, 413, 414, 500):
            self.close_connection = True
        try:
            return self.send_json(status, {"error": code, "message": message})
        except (OSError, ValueError):  # the client went away
            self.close_connection = True
            return 499

    def discard_body(self):
        # A body we did not read (an error answered first) would be taken for
        # the next request: drop it (bounded) and close the connection.
        if self.body_read:
            return
        cl = (self.headers.get("Content-Length") or "").strip()
        chunked = "chunked" in (self.headers.get("Transfer-Encoding") or "").lower()
        if chunked or (cl and cl != "0"):
            self.close_connection = True
            if DIGITS_RE.match(cl) and int(cl) <= 4 * MAX_BODY:
                self.drain(int(cl))

    def dispatch(self, method, ctx):
        svc = self.server.service
        path = self.path.split("?", 1)[0]
        if len(self.path) > 2048:
            raise ApiError(414, "malformed", "URI too long")
        if self.client_idnat is None:
            raise ApiError(401, "client_certificate", "no usable TLS client certificate (CN)")
        if path == API + "/_test/fail":
            if not svc.test_hooks or method != "POST":
                raise ApiError(404, "not_found", "no such resource")
            return self.send_json(200, svc.arm_failure(self.read_body()))
        route = self.route(method, path)
        if route is None:
            raise ApiError(404, "not_found", "no such resource")
        if route == "method":
            raise ApiError(405, "method_not_allowed", "method not allowed here")
        body = self.read_body() if method == "POST" else None
        fail = svc.take_failure()
        if fail and fail[2]:
            time.sleep(fail[2])
        if fail and not fail[1]:
            raise ApiError(fail[0], "unavailable" if fail[0] == 503 else "test_hook",
                           "test hook: failing this request")
        kind, arg = route
        ctype, extra = "application/json", None
        if kind == "prescribe":
            st, obj = svc.prescribe(body, self.client_idnat, ctx)
        elif kind == "dispense":
            st, obj = svc.dispense(body, self.client_idnat, ctx)
        elif kind == "get":
            obj, pst = svc.get_prescription(arg, ctx)
            st, ctype, extra = 200, "application/fhir+json", {"X-Erx-Status": pst}
        else:
            st, obj = 200, svc.get_dispensations(arg, ctx)
        if fail:  # "after": done (and stored), then the answer is lost
            raise ApiError(fail[0], "unavailable" if fail[0] == 503 else "test_hook",
                           "test hook: answer lost after the request was served")
        try:
            return self.send_json(st, obj, ctype, extra)
        except (OSError, ValueError):
            self.close_connection = True
            return 499

    def route(self, method, path):
        if path == API + "/prescriptions":
            return ("prescribe", None) if method == "POST" else "method"
        if path == API + "/dispensations":
            return ("dispense", None) if method == "POST" else "method"
        m = re.match(r"^%s/prescriptions/([^/]{1,40})(/dispensations)?\Z" % API, path)
        if m:
            if method != "GET":
                return "method"
            return ("list" if m.group(2) else "get", urllib.parse.unquote(m.group(1)))
        return None

    def do_GET(self):
        self.handle_one("GET")

    def do_POST(self):
        self.handle_one("POST")

    def _not_allowed(self):
        self.body_read = False
        st = self.answer_error(405, "method_not_allowed", "method not allowed")
        self.discard_body()
        self.server.log("%s %s %s %d" % (self.client_idnat or "-", self.command, self.path[:120], st))

    do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _not_allowed

    def send_error(self, code, message=None, explain=None):
        # Errors found by http.server's parser (bad request line, long headers).
        self.close_connection = True
        self.server.log("%s - bad request: %d %s" % (self.client_idnat or "-", code, (message or "")[:100]))
        try:
            self.send_json(code, {"error": "malformed", "message": (message or "bad request")[:200]})
        except (OSError, ValueError):
            pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, addr, service, tls, logf, max_connections):
        self.slots = threading.BoundedSemaphore(max_connections)
        self.service = service
        self.tls = tls
        self.logf = logf
        self.log_lock = threading.Lock()
        super().__init__(addr, Handler)

    def log(self, msg):
        line = "%s %s\n" % (now_iso(), msg)
        with self.log_lock:
            self.logf.write(line)
            self.logf.flush()

    def process_request(self, request, client_address):
        # A bounded number of connections at once; more are closed at once.
        if not self.slots.acquire(blocking=False):
            self.log("- too many connections: closing one from %s" % client_address[0])
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except Exception:
            self.slots.release()
            raise

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()

    def finish_request(self, request, client_address):
        # The TLS handshake runs here, in the request's thread, with a timeout:
        # a client that never finishes it holds only its own thread.
        request.settimeout(IO_TIMEOUT)
        try:
            conn = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            if "EOF" in str(e):  # a port probe (the start script) or an impatient client
                return
            self.log("- TLS handshake failed from %s: %s" % (client_address[0], str(e)[:160]))
            return
        try:
            Handler(conn, client_address, self)
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        self.log("- connection error\n" + traceback.format_exc())


def tls_context(args):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2   # a CPS3 has no RSA-PSS
    ctx.load_cert_chain(args.cert, args.key)
    ctx.load_verify_locations(cafile=args.client_ca)
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def main():
    ap = argparse.ArgumentParser(description="santecard e-prescription stand-in service")
    ap.add_argument("--listen", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", help="write the port here once listening")
    ap.add_argument("--cert", required=True, help="server certificate chain (PEM)")
    ap.add_argument("--key", required=True, help="server key (PEM)")
    ap.add_argument("--client-ca", required=True,
                    help="test IGC-Santé root + intermediate (PEM): client certs and x5c")
    ap.add_argument("--x5c-root",
                    help="trust anchor for the x5c chains (PEM; default: --client-ca). With the root "
                    "alone the x5c must carry the intermediate, as the contract says")
    ap.add_argument("--max-connections", type=int, default=64)
    ap.add_argument("--db", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--test-hooks", action="store_true")
    ap.add_argument("--allow-prescriber", action="append", metavar="PROFESSION",
                    help="profession allowed to prescribe (repeat; replaces the default %s)"
                    % ", ".join(DEFAULT_PRESCRIBERS))
    ap.add_argument("--allow-dispenser", action="append", metavar="PROFESSION",
                    help="profession allowed to dispense (repeat; default Pharmacien)")
    args = ap.parse_args()
    if args.listen not in ("127.0.0.1", "::1", "localhost"):
        ap.error("the stand-in listens on loopback only")

    logf = open(args.log, "a", encoding="utf-8")
    service = Service(args)
    srv = Server((args.listen, args.port), service, tls_context(args), logf, args.max_connections)
    port = srv.server_address[1]

    def on_term(signum, frame):
        threading.Thread(target=srv.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)

    srv.log("- listening on %s:%d (test hooks %s; prescribers: %s)"
            % (args.listen, port, "on" if args.test_hooks else "off", ", ".join(sorted(service.prescribers))))
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, args.port_file)
    srv.serve_forever(poll_interval=0.2)
    srv.server_close()
    srv.log("- stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
