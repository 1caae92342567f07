"""Stage II data: synthetic (chunk, entity) pairs in the design's JSONL format, minus pairs whose latest label in
the append-only label log is noise, grouped per chunk (16 positives per chunk as in the paper).

Pair line: {"id", "chunk_id", "chunk_hash", "entity", "entity_type", "produced_by", "model", "prompt_version"}.
Label log (docs/CONTRACTS.md "Labels"): a header {"format": "drehr-labels", "version": 1}, then
{"pair_id", "label": "valid"|"noise"|"unsure"|"unlabel", "reviewer", "time", ...}; the last line for a pair wins
and "unlabel" makes the pair unlabelled again. A log without a header (older files) is read the same way; a log
whose header version is newer than LABELS_VERSION is refused.
chunk_hash is the SHA-256 hex of the chunk's UTF-8 text (a prefix of it is accepted); a pair whose chunk text
changed since it was generated is left out and counted.

Also the demo's stand-in for LLM pairs: MTSamples keywords mapped to chunks (mtsamples_pairs).
"""
from __future__ import annotations

import csv
import hashlib
import json
import re
from collections import defaultdict

from .chunker import Chunk, chunk_note
from .graph import Graph, norm_term
from .notes import Note

PROMPT_VERSION_MTS = "mtsamples-keywords-1"


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_jsonl(path: str, warn) -> list[dict]:
    out = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for no, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                o = json.loads(line)
            except json.JSONDecodeError as e:
                warn(f"{path}:{no}: malformed JSON ({e.msg}); skipped")
                continue
            if isinstance(o, dict):
                out.append(o)
            else:
                warn(f"{path}:{no}: not an object; skipped")
    return out


LABELS_FORMAT = "drehr-labels"
LABELS_VERSION = 1


def latest_labels(path: str | None, warn) -> dict[str, str]:
    """pair_id -> its current label ("valid", "noise" or "unsure"); unlabelled pairs are absent."""
    if not path:
        return {}
    labels: dict[str, str] = {}
    for o in read_jsonl(path, warn):
        if o.get("format") == LABELS_FORMAT:
            v = o.get("version")
            if not isinstance(v, int) or v > LABELS_VERSION:
                raise ValueError(f"{path} was written by a newer DR.EHR (label log version {v}; this trainer reads "
                                 f"up to {LABELS_VERSION}); update the trainer")
            continue
        pid, label = o.get("pair_id"), o.get("label")
        if not isinstance(pid, str):
            continue
        if label in ("valid", "noise", "unsure"):
            labels[pid] = label
        elif label == "unlabel":
            labels.pop(pid, None)
    return labels


def build_stage2(pairs_path: str, labels_path: str | None, chunks: dict[str, Chunk], num_pos: int = 16,
                 warn=lambda m: None) -> tuple[list[dict], dict]:
    """Records {"chunk_id", "text", "positives"} and counts. Raises ValueError on an empty or all-noise set."""
    labels = latest_labels(labels_path, warn)
    pairs = read_jsonl(pairs_path, warn)
    counts = {"pairs": len(pairs), "noise": 0, "unknown_chunk": 0, "changed_chunk": 0, "malformed": 0, "kept": 0}
    per_chunk: dict[str, list[str]] = defaultdict(list)
    for p in pairs:
        if not all(isinstance(p.get(k), str) and p.get(k) for k in ("id", "chunk_id", "entity")):
            counts["malformed"] += 1
            continue
        if labels.get(p["id"]) == "noise":
            counts["noise"] += 1
            continue
        ch = chunks.get(p["chunk_id"])
        if ch is None:
            counts["unknown_chunk"] += 1
            continue
        h = p.get("chunk_hash")
        if isinstance(h, str) and h and not text_hash(ch.text).startswith(h.lower()):
            counts["changed_chunk"] += 1
            continue
        ent = p["entity"].strip()
        if ent and norm_term(ent) not in {norm_term(x) for x in per_chunk[ch.id]}:
            per_chunk[ch.id].append(ent)
            counts["kept"] += 1
    if not pairs:
        raise ValueError(f"{pairs_path} holds no pairs; generate pairs first")
    if not per_chunk:
        raise ValueError(f"no usable pair in {pairs_path}: {counts['noise']} labelled noise, {counts['unknown_chunk']} "
                         f"for unknown chunks, {counts['changed_chunk']} for changed chunks, {counts['malformed']} malformed")
    records = [{"chunk_id": cid, "text": chunks[cid].text, "positives": ents[:num_pos]}
               for cid, ents in sorted(per_chunk.items())]
    counts["chunks"] = len(records)
    counts["positives_per_chunk"] = round(sum(len(r["positives"]) for r in records) / len(records), 3)
    return records, counts


# --- MTSamples stand-in -----------------------------------------------------------------------------------------
def mtsamples_notes(csv_path: str) -> list[tuple[Note, list[str], str]]:
    """Deduplicated MTSamples notes (the same transcription is filed under several specialties) with the union of
    their keywords and specialties. Split key: SHA-256 of the whitespace-normalized transcription, the same key as
    benchmark.mtsamples_heldout, so the held-out benchmark (benchmarks/mtsamples-dev) never sees training notes."""
    csv.field_size_limit(1 << 30)
    by_text: dict[str, dict] = {}
    with open(csv_path, encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            t = (r.get("transcription") or "").strip()
            if not t:
                continue
            key = hashlib.sha256(" ".join(t.split()).encode("utf-8")).hexdigest()
            d = by_text.setdefault(key, {"text": t, "id": r["note_id"], "kw": [], "spec": set()})
            d["spec"].add(norm_term(r.get("medical_specialty") or ""))
            for k in (r.get("keywords") or "").split(","):
                k = k.strip()
                if k and norm_term(k) not in {norm_term(x) for x in d["kw"]}:
                    d["kw"].append(k)
    out = []
    for key in sorted(by_text):
        d = by_text[key]
        kws = [k for k in d["kw"] if norm_term(k) not in d["spec"]]
        out.append((Note(f"mtsamples/{d['id']}", f"mts-{d['id']}", d["text"], 0, 0, "mtsamples.csv"), kws, key))
    return out


def mtsamples_split(key: str) -> str:
    """80/20 by note: 'test' when the first 8 hex digits of the note's SHA-256 are 0 mod 5 (= benchmark.mtsamples_heldout)."""
    return "test" if int(key[:8], 16) % 5 == 0 else "train"


_WORD = re.compile(r"[a-z0-9]+")


def _stem(w: str) -> str:
    return w[:5]


def map_keywords(chunks: list[Chunk], keywords: list[str]) -> dict[str, list[tuple[str, str]]]:
    """chunk id -> [(keyword, how)]: 'string' when the keyword occurs in the chunk as whole words, 'words' when all
    its content words occur (stem match, any order). Keywords found in no chunk of the note are dropped."""
    toks = {c.id: _WORD.findall(c.text.lower()) for c in chunks}
    joined = {c.id: " " + " ".join(t) + " " for c, t in zip(chunks, toks.values())}
    stems = {cid: {_stem(w) for w in t} for cid, t in toks.items()}
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for k in keywords:
        kt = _WORD.findall(k.lower())
        if not kt:
            continue
        phrase = " " + " ".join(kt) + " "
        content = [w for w in kt if len(w) > 2 and w not in ("and", "the", "with", "for", "of")]
        for c in chunks:
            if phrase in joined[c.id]:
                out[c.id].append((k, "string"))
            elif content and all(_stem(w) in stems[c.id] for w in content):
                out[c.id].append((k, "words"))
    return out


def mtsamples_pairs(csv_path: str, graph: Graph | None = None, split: str = "train", size: int = 100,
                    overlap: int = 10, min_words: int = 50) -> tuple[list[Chunk], list[dict], dict]:
    """Chunks of the split's notes and stand-in pairs in the design's format; plus measurements."""
    by_name: dict[str, str] = {}
    if graph is not None:
        for c in graph.concepts.values():
            if c.type in ("disease", "phenotype", "procedure", "drug"):
                for t in [c.name] + c.synonyms:
                    by_name.setdefault(norm_term(t), c.type)
    chunks: list[Chunk] = []
    pairs: list[dict] = []
    m = {"notes": 0, "keywords": 0, "keywords_mapped": 0, "pairs_string": 0, "pairs_words": 0, "chunks": 0,
         "chunks_with_pair": 0}
    for note, kws, key in mtsamples_notes(csv_path):
        if mtsamples_split(key) != split:
            continue
        m["notes"] += 1
        cs = chunk_note(note, size, overlap, min_words)
        chunks.extend(cs)
        mapped = map_keywords(cs, kws)
        m["keywords"] += len(kws)
        m["keywords_mapped"] += len({k for v in mapped.values() for k, _ in v})
        for c in cs:
            for k, how in mapped.get(c.id, []):
                t = by_name.get(norm_term(k), "unknown")
                h = text_hash(c.text)
                pid = hashlib.sha1(f"{c.id}\x00{k}".encode("utf-8")).hexdigest()[:16]
                pairs.append({"id": pid, "chunk_id": c.id, "chunk_hash": h[:16], "entity": k,
                              "entity_type": {"phenotype": "diagnosis", "disease": "diagnosis", "drug": "prescription"}.get(t, t),
                              "produced_by": f"mtsamples-keywords:{how}", "model": "none",
                              "prompt_version": PROMPT_VERSION_MTS})
                m["pairs_" + how] += 1
    m["chunks"] = len(chunks)
    m["chunks_with_pair"] = len({p["chunk_id"] for p in pairs})
    m["share_keywords_mapped"] = round(m["keywords_mapped"] / m["keywords"], 4) if m["keywords"] else 0.0
    m["share_chunks_with_pair"] = round(m["chunks_with_pair"] / m["chunks"], 4) if m["chunks"] else 0.0
    return chunks, pairs, m
