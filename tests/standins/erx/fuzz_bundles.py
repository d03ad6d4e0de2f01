#!/usr/bin/python3
"""fuzz_bundles.py - mutated Bundles through the stand-in's checks, in process.

  fuzz_bundles.py SEED COUNT PRESCRIPTION.json DISPENSATION.json ROOT.pem

Replaces or deletes 1 to 3 random nodes of a valid prescription and
dispensation (COUNT each), and mangles the JWS header and signature (COUNT/5),
then runs the service's parsers and the signature check. Every outcome must be
a precise ApiError (400/404/422), never another exception. Prints the number
of other exceptions (with the first tracebacks); exit status 1 if any.
"""
import base64
import copy
import json
import os
import random
import sys
import traceback

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import server  # noqa: E402

VALUES = [None, 0, -1, 1, 2 ** 60, "", "x", "urn:uuid:00000000-0000-4000-8000-000000000000",
          [], {}, True, False, [{}], {"reference": 1}, "EP-0000-0000-0000", "1", "0"]


def nodes(v, path=()):
    yield path, v
    if isinstance(v, dict):
        for k, x in v.items():
            yield from nodes(x, path + (k,))
    elif isinstance(v, list):
        for i, x in enumerate(v):
            yield from nodes(x, path + (i,))


def mutate(doc):
    path, _ = random.choice(list(nodes(doc)))
    if not path:
        return copy.deepcopy(random.choice(VALUES))
    cur = doc
    for p in path[:-1]:
        cur = cur[p]
    if random.random() < 0.3:
        del cur[path[-1]]
    else:
        cur[path[-1]] = copy.deepcopy(random.choice(VALUES))
    return doc


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def main():
    seed, count, pfile, dfile, root = sys.argv[1:6]
    random.seed(int(seed))
    count = int(count)
    verifier = server.Verifier(root)
    failures = []

    def run(fn, doc, verify=False):
        try:
            b = fn(doc)
            if verify:
                verifier.verify(b)
        except server.ApiError:
            pass
        except Exception:
            failures.append(traceback.format_exc())

    for name, fn in ((pfile, server.parse_prescription), (dfile, server.parse_dispensation)):
        with open(name, encoding="utf-8") as f:
            base = json.load(f)
        for _ in range(count):
            doc = copy.deepcopy(base)
            for _ in range(random.randint(1, 3)):
                doc = mutate(doc)
            run(fn, doc)

    with open(pfile, encoding="utf-8") as f:
        base = json.load(f)
    h, _, sig = base64.b64decode(base["signature"]["data"]).decode().split(".")
    hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
    hvals = [None, 0, "", "x", [], {}, ["AAAA"], ["!!"], [hdr["x5c"][0]] * 6, hdr["x5c"][::-1],
             [hdr["x5c"][1]], "RS256", "none", "HS256", ["b64"]]
    for _ in range(max(1, count // 5)):
        hh = copy.deepcopy(hdr)
        for _ in range(random.randint(1, 2)):
            k = random.choice(["alg", "x5c", "crit", "b64", "kid", "sigT"])
            if random.random() < 0.3:
                hh.pop(k, None)
            else:
                hh[k] = random.choice(hvals)
        s2 = sig if random.random() < 0.7 else random.choice(["", "AAAA", sig[:-4], "@@"])
        raw = random.choice([json.dumps(hh).encode(), b"\xff", b"[1]", b"{"])
        data = "%s..%s" % (b64u(raw), s2)
        if random.random() < 0.1:
            data = random.choice(["a.b.c", "...", "x", "a..b..c"])
        doc = copy.deepcopy(base)
        doc["signature"]["data"] = base64.b64encode(data.encode()).decode()
        run(server.parse_prescription, doc, verify=True)

    for t in failures[:3]:
        sys.stderr.write(t)
    print("%d unexpected exceptions" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
