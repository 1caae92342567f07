"""Writes test/fixtures/matcher-golden.jsonl: what drehr_train.trie.EntityMatcher finds, for the TypeScript port
(src/sidecar/graph/matcher.ts) to reproduce exactly (test/unit/synth/matcher.test.ts).

    cd python && /usr/bin/python3 tools/make_matcher_golden.py [--graph ../models/demo/graph.jsonl.gz]

Inputs: the graph (default: the shipped-sources graph of the demo model folder), the chunks of
test/fixtures/chunks-golden.jsonl, the chunks of every demo note (demo/notes, chunked by the Python chunker, which
reproduces the TypeScript one) and a table of hand-written sentences for the case rules. One line per text:
{"kind": "golden"|"demo"|"case", "id", "text"? (case sentences only), "matches": [[start, end, concept_id, surface,
kind]]} with start/end in UTF-16 code units, as the TypeScript side counts them.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "python"))

from drehr_train.chunker import chunk_note  # noqa: E402
from drehr_train.graph import load_graph  # noqa: E402
from drehr_train.notes import read_notes  # noqa: E402
from drehr_train.trie import EntityMatcher  # noqa: E402

CASE_SENTENCES = [
    "Hx of HTN and CHF, COPD exacerbation; htn chf copd in lower case.",
    "s/p CABG x3, S/P appendectomy, a1c 7.2, HbA1c, L4-5 disc, l4-5 fusion.",
    "MS and PE and CA and RA are ambiguous; ms pe ca ra too.",
    "As it was, the bus did not come. AS IT WAS.",
    "Patient denies chest pain. No evidence of pneumonia. Family history of breast cancer.",
    "Rule out myocardial infarction; r/o MI. DVT prophylaxis with heparin. Pt on ASA 81 mg and metoprolol.",
    "Diabetes mellitus type 2, type 2 diabetes, T2DM, DM2, IDDM, NIDDM, GERD, CKD stage 3, UTI, URI, CVA, TIA.",
    "Prehypertension, hypertensions, hypertensive heart disease, pulmonary hypertension.",
    "Café-au-lait spots; naïve T cells; Sjögren syndrome; 糖尿病; emoji \U0001F600 then asthma.",
    "knee arthroscopy, total hip arthroplasty, colonoscopy with polypectomy, EGD, ERCP, CT scan, MRI, EKG, ECG.",
]


def utf16(text: str, i: int) -> int:
    return i + sum(1 for ch in text[:i] if ord(ch) > 0xFFFF)


def matches(m: EntityMatcher, text: str) -> list:
    return [[utf16(text, s), utf16(text, e), cid, surf, kind] for s, e, cid, surf, kind in m.find(text)]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--graph", default=os.path.join(ROOT, "models", "demo", "graph.jsonl.gz"))
    ap.add_argument("--out", default=os.path.join(ROOT, "test", "fixtures", "matcher-golden.jsonl"))
    a = ap.parse_args()
    g = load_graph(a.graph)
    m = EntityMatcher(g)
    lines = []
    with open(os.path.join(ROOT, "test", "fixtures", "chunks-golden.jsonl"), encoding="utf-8") as f:
        for line in f:
            c = json.loads(line)
            lines.append({"kind": "golden", "id": c["id"], "matches": matches(m, c["text"])})
    for note in sorted(read_notes(os.path.join(ROOT, "demo", "notes")), key=lambda n: (n.source, n.note_id)):
        for c in chunk_note(note):
            lines.append({"kind": "demo", "id": c.id, "matches": matches(m, c.text)})
    for i, t in enumerate(CASE_SENTENCES):
        lines.append({"kind": "case", "id": f"case-{i}", "text": t, "matches": matches(m, t)})
    with open(a.out, "w", encoding="utf-8") as f:
        for o in lines:
            f.write(json.dumps(o, ensure_ascii=False, separators=(",", ":")) + "\n")
    n = sum(len(o["matches"]) for o in lines)
    print(json.dumps({"out": a.out, "texts": len(lines), "matches": n}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
