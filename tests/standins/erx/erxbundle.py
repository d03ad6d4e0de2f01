#!/usr/bin/python3
"""erxbundle.py - make signed e-prescription Bundles for the stand-in's tests,
without santecard-erx: the key is a PEM FILE of the test PKI, the JWS is made
by jwcrypto (RS256, detached payload over the RFC 8785 form of the Bundle
minus "signature"), as ERX-CONTRACT / docs/ERX.md say.

  erxbundle.py prescription --key K --cert C --chain CH [--items FILE]
               [--bundle-id urn:uuid:..] [--tamper] > bundle.json
  erxbundle.py dispensation --key K --cert C --chain CH --prescription EP-..
               --lines FILE [--items FILE] [--bundle-id ..] [--tamper] > bundle.json

--items: the prescription's items (JSON array, the tool's --items format);
dispensations use it to name the product handed over when not substituted.
--lines: JSON array of {"line":"1","quantity":N[,"substitute":{system,code,display}]}.
--tamper: change one byte of the Bundle after signing (a bad signature).
--as CERT: the Practitioner resource describes CERT's holder, not the signer.
The holder (idnat, names, profession) comes from the certificate's subject.
"""
import argparse
import base64
import datetime
import json
import os
import sys
import uuid

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from jwcrypto import jwk, jws

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server import jcs  # noqa: E402  (the same JCS as the service: tested against known vectors)

DEFAULT_ITEMS = [
    {"code": {"system": "http://data.esante.gouv.fr/ansm/medicament/codeCIP13",
              "code": "3400930000001", "display": "PARACETAMOL TEST 500 mg cp"},
     "dosage": "1 comprimé 3 fois par jour pendant 5 jours", "quantity": 2, "unit": "boîte",
     "substitution": True},
    {"code": {"system": "http://data.esante.gouv.fr/ansm/medicament/codeCIP13",
              "code": "3400930000002", "display": "AMOXICILLINE TEST 1 g cp"},
     "dosage": "1 comprimé matin et soir pendant 6 jours", "quantity": 1, "unit": "boîte",
     "substitution": False},
]
GENERIC = {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "G",
           "display": "generic composition"}


def urn():
    return "urn:uuid:" + str(uuid.uuid4())


def now():
    return datetime.datetime.now(datetime.timezone.utc).astimezone().isoformat(timespec="seconds")


def holder(cert):
    def first(oid):
        a = cert.subject.get_attributes_for_oid(oid)
        return a[0].value if a else ""
    return (first(NameOID.COMMON_NAME), first(NameOID.SURNAME), first(NameOID.GIVEN_NAME),
            first(NameOID.TITLE))


def practitioner(cert):
    idnat, sn, gn, title = holder(cert)
    return {"resourceType": "Practitioner",
            "identifier": [{"system": "urn:oid:1.2.250.1.71.4.2.1", "value": idnat}],
            "name": [{"family": sn, "given": [gn]}],
            "qualification": [{"code": {"text": title}}]}


def sign(bundle, key_pem, cert, chain, code, display, who, ts):
    header = {"alg": "RS256",
              "x5c": [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode()
                      for c in [cert] + chain],
              "sigT": ts}
    payload = jcs(bundle)
    token = jws.JWS(payload)
    token.add_signature(jwk.JWK.from_pem(key_pem), alg="RS256",
                        protected=json.dumps(header, separators=(",", ":")))
    compact = token.serialize(compact=True)
    h, _, s = compact.split(".")
    detached = "%s..%s" % (h, s)
    bundle["signature"] = {
        "type": [{"system": "urn:iso-astm:E1762-95:2013", "code": code, "display": display}],
        "when": ts, "who": {"reference": who}, "sigFormat": "application/jose",
        "data": base64.b64encode(detached.encode("ascii")).decode("ascii")}
    return bundle


def prescription(args, cert, items, ts):
    pat, prac, rg = urn(), urn(), urn()
    group = str(uuid.uuid4())
    entries = [
        {"fullUrl": pat, "resource": {
            "resourceType": "Patient",
            "meta": {"profile": ["https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient-ins"]},
            "identifier": [{"system": "urn:oid:1.2.250.1.213.1.4.10", "value": "279035121518989"}],
            "name": [{"family": "DURAND-TEST", "given": ["MARIE"]}],
            "gender": "female", "birthDate": "1979-03-12"}},
        {"fullUrl": prac, "resource": practitioner(cert)},
    ]
    actions, lines = [], []
    for n, it in enumerate(items, 1):
        med, mr = urn(), urn()
        entries.append({"fullUrl": med, "resource": {
            "resourceType": "Medication",
            "meta": {"profile": ["https://interop.esante.gouv.fr/ig/fhir/eprescription/StructureDefinition/fr-medication"]},
            "code": {"coding": [it["code"]]}}})
        lines.append({"fullUrl": mr, "resource": {
            "resourceType": "MedicationRequest",
            "meta": {"profile": ["https://interop.esante.gouv.fr/ig/fhir/eprescription/StructureDefinition/fr-medicationrequest"]},
            "identifier": [{"system": "urn:santecard:erx:line", "value": str(n)}],
            "status": "active", "intent": "order",
            "groupIdentifier": {"system": "urn:santecard:erx:group", "value": group},
            "subject": {"reference": pat}, "requester": {"reference": prac},
            "medicationReference": {"reference": med}, "authoredOn": ts,
            "dosageInstruction": [{"text": it["dosage"]}],
            "dispenseRequest": {"quantity": {"value": it["quantity"], "unit": it["unit"]}},
            "substitution": {"allowedBoolean": it["substitution"]}}})
        actions.append({"resource": {"reference": mr}})
    entries.append({"fullUrl": rg, "resource": {
        "resourceType": "RequestGroup",
        "meta": {"profile": ["https://interop.esante.gouv.fr/ig/fhir/eprescription/StructureDefinition/fr-requestgroup-for-prescription"]},
        "status": "active", "intent": "order",
        "groupIdentifier": {"system": "urn:santecard:erx:group", "value": group},
        "subject": {"reference": pat}, "author": {"reference": prac}, "action": actions}})
    entries += lines
    return {"resourceType": "Bundle", "type": "collection",
            "identifier": {"system": "urn:ietf:rfc:3986", "value": args.bundle_id or urn()},
            "timestamp": ts, "entry": entries}, prac


def dispensation(args, cert, items, lines, ts):
    prac = urn()
    entries = [{"fullUrl": prac, "resource": practitioner(cert)}]
    for ln in lines:
        n = ln["line"]
        sub = ln.get("substitute")
        product = sub if sub else items[int(n) - 1]["code"] if int(n) <= len(items) else items[0]["code"]
        md = {"resourceType": "MedicationDispense", "status": "completed",
              "identifier": [{"system": "urn:santecard:erx:line", "value": "%s/%s" % (args.prescription, n)}],
              "authorizingPrescription": [{"identifier": {"system": "urn:santecard:erx:prescription",
                                                          "value": args.prescription},
                                           "display": "line %s" % n}],
              "performer": [{"actor": {"reference": prac}}],
              "quantity": {"value": ln["quantity"], "unit": "boîte"},
              "medicationCodeableConcept": {"coding": [product]},
              "whenHandedOver": ts,
              "substitution": ({"wasSubstituted": True, "type": {"coding": [GENERIC]}} if sub
                               else {"wasSubstituted": False})}
        entries.append({"fullUrl": urn(), "resource": md})
    return {"resourceType": "Bundle", "type": "collection",
            "identifier": {"system": "urn:ietf:rfc:3986", "value": args.bundle_id or urn()},
            "timestamp": ts, "entry": entries}, prac


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=["prescription", "dispensation"])
    ap.add_argument("--key", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--chain", help="PEM intermediates (and root) for x5c after the leaf")
    ap.add_argument("--items")
    ap.add_argument("--lines")
    ap.add_argument("--prescription")
    ap.add_argument("--bundle-id")
    ap.add_argument("--tamper", action="store_true")
    ap.add_argument("--as", dest="as_cert", metavar="CERT",
                    help="the Practitioner resource from this certificate (not the signer's)")
    args = ap.parse_args()
    with open(args.key, "rb") as f:
        key_pem = f.read()
    with open(args.cert, "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    chain = []
    if args.chain:
        with open(args.chain, "rb") as f:
            chain = x509.load_pem_x509_certificates(f.read()) \
                if hasattr(x509, "load_pem_x509_certificates") else _split(f.read())
    prac_cert = cert
    if args.as_cert:
        with open(args.as_cert, "rb") as f:
            prac_cert = x509.load_pem_x509_certificate(f.read())
    items = DEFAULT_ITEMS
    if args.items:
        with open(args.items, encoding="utf-8") as f:
            items = json.load(f)
    ts = now()
    if args.kind == "prescription":
        b, who = prescription(args, prac_cert, items, ts)
        sign(b, key_pem, cert, chain, "1.2.840.10065.1.12.1.1", "Author's Signature", who, ts)
    else:
        if not args.prescription or not args.lines:
            ap.error("dispensation needs --prescription and --lines")
        with open(args.lines, encoding="utf-8") as f:
            lines = json.load(f)
        b, who = dispensation(args, prac_cert, items, lines, ts)
        sign(b, key_pem, cert, chain, "1.2.840.10065.1.12.1.5", "Verification Signature", who, ts)
    if args.tamper:
        # One character of the signed content changed: the JWS must no longer verify.
        b["timestamp"] = b["timestamp"][:-1] + ("1" if b["timestamp"][-1] != "1" else "2")
    sys.stdout.write(json.dumps(b, ensure_ascii=False, indent=1) + "\n")


def _split(data):
    out, cur = [], []
    for line in data.decode("ascii").splitlines(True):
        cur.append(line)
        if line.startswith("-----END CERTIFICATE"):
            out.append(x509.load_pem_x509_certificate("".join(cur).encode("ascii")))
            cur = []
    return out


if __name__ == "__main__":
    main()
