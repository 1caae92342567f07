"""Turns the real CliniQ benchmark (github zhao-zy15/CliniQ; notes from MIMIC-III, credentialed access) into a
benchmark folder that `drehr eval` runs: our chunker's chunk ids, CliniQ's queries and relevance labels.

    python -m drehr_train.cliniq --noteevents NOTEEVENTS.csv --cliniq DIR --out benchmarks/cliniq

--cliniq DIR is a checkout of the CliniQ repository after its preprocess.py ran, so it holds
benchmark/test_hadm_ids.txt, benchmark/queries_{disease,procedure,drug}.jsonl, benchmark/qrels_*.tsv and
benchmark/corpus.jsonl (CliniQ's own chunks, ids <HADM_ID>_<i>). Steps (docs/cliniq.md):
  1. the 1,000 discharge summaries are selected exactly as preprocess.py does (category "Discharge summary", the
     first row per HADM_ID in file order, HADM_ID in test_hadm_ids.txt) and written to OUT/notes/discharge.csv
     (note_id = patient_id = HADM_ID, since a CliniQ "patient" is one admission's summary);
  2. each note is chunked with our chunker (100 words, 10 overlap, as the paper) and each CliniQ chunk is located
     in the note by aligning words: CliniQ's words are those of its clean_text() (brackets removed, whitespace
     collapsed), ours those of our chunker (de-identification placeholders removed); difflib aligns the two;
  3. a CliniQ label moves to the chunk of ours that shares most words with the labelled CliniQ chunk, and also to
     any other chunk of ours holding at least half of that CliniQ chunk's words (the mention may sit in either;
     the labels do not say where). Where two labels land on one chunk the more literal match type wins
     (string > abbreviation > synonym > hyponym > implication). Labels whose chunk cannot be located are counted
     and listed in OUT/mapping.json.
The mapping changes chunk boundaries, so scores are close to, not identical with, the paper's.

    python -m drehr_train.cliniq --mode exact --cliniq DIR --out benchmarks/cliniq-exact

--mode exact keeps CliniQ's own chunks instead: each becomes a one-chunk note (note_id <HADM_ID>_<i>, patient_id
<HADM_ID>, so chunk id <HADM_ID>_<i>::0; a chunk of at most 100 words is one chunk of ours, text unchanged) and
bench.json says "single": "patient", so single-patient rankings group an admission's chunks as eval.py does.
This reproduces eval.py's setting exactly (only the encoder differs); NOTEEVENTS.csv is not needed.
"""
from __future__ import annotations

import argparse
import csv
import difflib
import json
import os
import re
import sys
from collections import defaultdict

from .benchmark import CHUNKER_ID, CHUNKING
from .fsutil import atomic_open, write_text_atomic
from .chunker import windows, words

SPLITS = ("disease", "procedure", "drug")
PRIORITY = ("string", "abbreviation", "synonym", "hyponym", "implication")


def clean_text(text: str) -> str:
    """CliniQ preprocess.py's clean_text, verbatim in behaviour."""
    text = re.sub(r"\[.*?\]", "", text)
    text = re.sub(r"\n", " ", text)
    text = re.sub(r" +", " ", text)
    return text.strip()


def select_notes(noteevents: str, hadm_ids: set[str]) -> dict[str, str]:
    """HADM_ID → TEXT of the first discharge summary per admission, as preprocess.py selects them."""
    csv.field_size_limit(1 << 30)
    out: dict[str, str] = {}
    seen: set[str] = set()
    with open(noteevents, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row.get("CATEGORY") != "Discharge summary":
                continue
            h = row.get("HADM_ID") or ""
            if h in seen:
                continue
            seen.add(h)
            if h in hadm_ids:
                out[h] = row.get("TEXT") or ""
    return out


def locate(chunk_words: list[str], note_words: list[str], start: int) -> int:
    """Index in note_words where chunk_words start, searching from `start` (CliniQ chunks come in order)."""
    n = len(chunk_words)
    if n == 0:
        return -1
    for i in range(max(0, start), len(note_words) - n + 1):
        if note_words[i] == chunk_words[0] and note_words[i:i + n] == chunk_words:
            return i
    for i in range(0, len(note_words) - n + 1):
        if note_words[i:i + n] == chunk_words:
            return i
    return -1


def map_note(text: str, cliniq_chunks: list[tuple[str, str]]) -> tuple[dict[str, list[tuple[str, int]]], list[str]]:
    """For one note: CliniQ chunk id → [(our chunk ordinal as '::k' suffix id part, words shared)], and the CliniQ
    chunk ids that could not be located."""
    ours = [text[s:e] for s, e in words(text)]
    win = windows(len(ours), CHUNKING["words"], CHUNKING["overlap"], CHUNKING["minWords"])
    cw = clean_text(text).split(" ") if clean_text(text) else []
    # align CliniQ's words to ours
    sm = difflib.SequenceMatcher(a=cw, b=ours, autojunk=False)
    c2o: dict[int, int] = {}
    for a, b, size in sm.get_matching_blocks():
        for d in range(size):
            c2o[a + d] = b + d
    out: dict[str, list[tuple[str, int]]] = {}
    missing: list[str] = []
    pos = 0
    for cid, ctext in cliniq_chunks:
        chunk_words = ctext.split(" ") if ctext else []
        at = locate(chunk_words, cw, pos)
        if at < 0:
            missing.append(cid)
            continue
        pos = at + 1
        mapped = [c2o[i] for i in range(at, at + len(chunk_words)) if i in c2o]
        shares = []
        for k, (s, e) in enumerate(win):
            shared = sum(1 for o in mapped if s <= o < e)
            if shared:
                shares.append((k, shared))
        if not shares:
            missing.append(cid)
            continue
        out[cid] = [(str(k), n) for k, n in shares]
    return out, missing


def targets(shares: list[tuple[str, int]], chunk_len: int) -> list[str]:
    """Our chunks that receive a CliniQ chunk's label: the one sharing most words, plus any sharing at least half."""
    best = max(shares, key=lambda x: (x[1], -int(x[0])))
    return sorted({best[0]} | {k for k, n in shares if n * 2 >= chunk_len}, key=int)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m drehr_train.cliniq", description=__doc__.split("\n\n")[0])
    ap.add_argument("--mode", choices=("rechunk", "exact"), default="rechunk",
                    help="rechunk: our chunker over the notes, labels mapped (default); exact: CliniQ's chunks as notes")
    ap.add_argument("--noteevents", help="MIMIC-III NOTEEVENTS.csv (rechunk mode)")
    ap.add_argument("--cliniq", required=True, help="CliniQ checkout after its preprocess.py ran")
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    bdir = os.path.join(a.cliniq, "benchmark")
    need = ["test_hadm_ids.txt", "corpus.jsonl"] + [f"queries_{s}.jsonl" for s in SPLITS] + [f"qrels_{s}.tsv" for s in SPLITS]
    missing_files = [n for n in need if not os.path.isfile(os.path.join(bdir, n))]
    if missing_files:
        print(f"missing in {bdir}: {', '.join(missing_files)} (corpus.jsonl comes from CliniQ's preprocess.py)", file=sys.stderr)
        return 2
    if a.mode == "exact":
        return exact(bdir, os.path.abspath(a.out))
    if not a.noteevents or not os.path.isfile(a.noteevents):
        print(f"NOTEEVENTS.csv not found: {a.noteevents} (--noteevents is needed in rechunk mode)", file=sys.stderr)
        return 2
    with open(os.path.join(bdir, "test_hadm_ids.txt")) as f:
        ids = {line.strip() for line in f if line.strip()}
    notes = select_notes(a.noteevents, ids)
    by_note: dict[str, list[tuple[str, str]]] = defaultdict(list)
    with open(os.path.join(bdir, "corpus.jsonl"), encoding="utf-8") as f:
        for line in f:
            if line.strip():
                d = json.loads(line)
                by_note[d["_id"].rsplit("_", 1)[0]].append((d["_id"], d["text"]))
    for v in by_note.values():
        v.sort(key=lambda x: int(x[0].rsplit("_", 1)[1]))
    # notes
    out = os.path.abspath(a.out)
    os.makedirs(os.path.join(out, "notes"), exist_ok=True)
    with atomic_open(os.path.join(out, "notes", "discharge.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["note_id", "patient_id", "note_type", "text"])
        w.writeheader()
        for h in sorted(notes):
            w.writerow({"note_id": h, "patient_id": h, "note_type": "Discharge summary", "text": notes[h]})
    # chunk mapping
    mapping: dict[str, list[str]] = {}
    unmapped: list[str] = []
    lengths: dict[str, int] = {}
    for h, chunks in by_note.items():
        if h not in notes:
            unmapped.extend(c for c, _ in chunks)
            continue
        m, miss = map_note(notes[h], chunks)
        unmapped.extend(miss)
        for cid, text in chunks:
            lengths[cid] = len(text.split(" "))
        for cid, shares in m.items():
            mapping[cid] = [f"{h}::{k}" for k in targets(shares, lengths[cid])]
    # queries and qrels
    queries, rows = read_queries_qrels(bdir)
    labels: dict[tuple[str, str], str] = {}
    lost = 0
    for qid, cid, typ in rows:
        if cid not in mapping or typ not in PRIORITY:
            lost += 1
            continue
        for ours in mapping[cid]:
            old = labels.get((qid, ours))
            if old is None or PRIORITY.index(typ) < PRIORITY.index(old):
                labels[(qid, ours)] = typ
    write_text_atomic(os.path.join(out, "queries.jsonl"), "".join(json.dumps(q) + "\n" for q in queries))
    write_text_atomic(os.path.join(out, "qrels.tsv"), "".join(f"{q}\t{c}\t{t}\n" for (q, c), t in labels.items()))
    stats = {"notes": len(notes), "cliniq_chunks": sum(len(v) for v in by_note.values()), "mapped_chunks": len(mapping),
             "unmapped_chunks": len(unmapped), "labels_lost": lost, "queries": len(queries), "qrels": len(labels)}
    meta = {"name": os.path.basename(out), "chunking": CHUNKING, "chunker": CHUNKER_ID,
            "source": "CliniQ (zhao-zy15/CliniQ) on MIMIC-III, labels mapped to drehr chunks", "counts": stats}
    write_text_atomic(os.path.join(out, "bench.json"), json.dumps(meta, indent=2) + "\n")
    write_text_atomic(os.path.join(out, "mapping.json"), json.dumps({"stats": stats, "unmapped": unmapped[:1000]}, indent=1) + "\n")
    print(json.dumps(stats))
    return 0


def read_queries_qrels(bdir: str) -> tuple[list[dict], list[tuple[str, str, str]]]:
    """CliniQ's three query sets merged, ids prefixed D/P/R by set; qrels rows (query id, CliniQ chunk id, type)."""
    queries, rows = [], []
    for split in SPLITS:
        prefix = {"disease": "D", "procedure": "P", "drug": "R"}[split]
        with open(os.path.join(bdir, f"queries_{split}.jsonl"), encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    q = json.loads(line)
                    queries.append({"query_id": f"{prefix}{q['_id']}", "text": q["text"], "type": split})
        with open(os.path.join(bdir, f"qrels_{split}.tsv"), encoding="utf-8") as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) == 3:
                    rows.append((f"{prefix}{parts[0]}", parts[1], parts[2]))
    return queries, rows


def exact(bdir: str, out: str) -> int:
    """CliniQ's chunks as one-chunk notes grouped by admission: eval.py's setting, chunk for chunk."""
    os.makedirs(os.path.join(out, "notes"), exist_ok=True)
    ids = set()
    with open(os.path.join(bdir, "corpus.jsonl"), encoding="utf-8") as f, \
            atomic_open(os.path.join(out, "notes", "cliniq_corpus.jsonl"), "w", encoding="utf-8") as o:
        for line in f:
            if line.strip():
                d = json.loads(line)
                ids.add(d["_id"])
                o.write(json.dumps({"note_id": d["_id"], "patient_id": d["_id"].rsplit("_", 1)[0],
                                    "note_type": "Discharge summary chunk", "text": d["text"]}) + "\n")
    queries, rows = read_queries_qrels(bdir)
    labels: dict[tuple[str, str], str] = {}
    lost = 0
    for q, c, t in rows:
        if c not in ids or t not in PRIORITY:
            lost += 1
            continue
        old = labels.get((q, c + "::0"))
        if old is None or PRIORITY.index(t) < PRIORITY.index(old):
            labels[(q, c + "::0")] = t
    write_text_atomic(os.path.join(out, "queries.jsonl"), "".join(json.dumps(q) + "\n" for q in queries))
    write_text_atomic(os.path.join(out, "qrels.tsv"), "".join(f"{q}\t{c}\t{t}\n" for (q, c), t in labels.items()))
    stats = {"cliniq_chunks": len(ids), "labels_lost": lost, "queries": len(queries), "qrels": len(labels)}
    meta = {"name": os.path.basename(out), "chunking": CHUNKING, "chunker": CHUNKER_ID, "single": "patient",
            "source": "CliniQ (zhao-zy15/CliniQ) on MIMIC-III, CliniQ's own chunks (exact mode)", "counts": stats}
    write_text_atomic(os.path.join(out, "bench.json"), json.dumps(meta, indent=2) + "\n")
    print(json.dumps(stats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
