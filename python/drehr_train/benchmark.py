"""Builds an open benchmark in CliniQ's layout (docs/CONTRACTS.md "Benchmarks") from a folder of notes and the
open knowledge graph.

    python -m drehr_train.benchmark build --notes DIR --out DIR [--graph GRAPH.jsonl.gz | --sources DIR ...]
    python -m drehr_train.benchmark mtsamples --csv mtsamples.csv --out DIR [--graph ...]

Queries are graph concepts of type disease, procedure and drug (their name is the query text). A chunk is
relevant to a query when it mentions, not negated, one of:
  string        the query's own name
  abbreviation  one of the query concept's short forms (dominant sense, written as a short form), checked
                BEFORE synonyms because some inventories list short forms as synonyms
  synonym       one of its synonyms
  hyponym       the name, a synonym or an abbreviation of an is_a descendant
A chunk gets the first of these types any of its mentions has. Mentions are found by longest match over every
term of the graph, so "diabetes insipidus" is not a mention of "diabetes". A mention is negated when "no",
"denies", "denied", "negative for", "without" or "free of" stands within NEGATION_WINDOW words before it in
the same sentence. Implication (CliniQ's fifth type) cannot be graded from a graph and is never produced.

Chunks come from the project's chunker (chunker.py, the same ids as the TypeScript index).
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import re
import shutil
import sys
from collections import defaultdict
from dataclasses import dataclass

from .chunker import DEFAULT_CHUNKING, chunk_note
from .fsutil import atomic_open, write_text_atomic
from .notes import Note, read_notes

CHUNKER_ID = "drehr-chunker-1"
CHUNKING = DEFAULT_CHUNKING
MATCH_ORDER = ("string", "abbreviation", "synonym", "hyponym")
QUERY_TYPES = ("disease", "procedure", "drug")
NEGATION_WINDOW = 5
NEGATION_CUES = (("no",), ("denies",), ("denied",), ("negative", "for"), ("without",), ("free", "of"))
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?|[.;:!?]")
_SENTENCE_END = {".", ";", ":", "!", "?"}


# --- text → tokens ------------------------------------------------------------------------------------------------
def tokens(text: str) -> list[str]:
    """Word tokens (letters/digits) and sentence punctuation, case kept."""
    return _TOKEN.findall(text)


def term_key(term: str) -> tuple[str, ...]:
    return tuple(t.lower() for t in tokens(term) if t not in _SENTENCE_END)


def is_short_form_as_written(tok: str) -> bool:
    """A short form counts only when written as one: at least 2 characters, upper case (digits allowed)."""
    letters = [c for c in tok if c.isalpha()]
    return len(tok) >= 2 and bool(letters) and all(c.isupper() for c in letters)


_SHORT_FORM = re.compile(r"^[A-Za-z][A-Za-z0-9]{1,5}$")


def short_form_key(sf: str) -> str | None:
    """The graph's short forms come in any case ('htn'); they are 2-6 letters/digits. Key: upper case."""
    sf = sf.strip()
    return sf.upper() if _SHORT_FORM.match(sf) else None


def in_capitals_run(toks: list[str], i: int, short: set[str]) -> bool:
    """True when token i sits in upper-case running text (a heading such as 'PAST MEDICAL HISTORY'), where an
    upper-case word is not a short form: a neighbour is an upper-case word of 4+ letters that is no short form."""
    for j in (i - 1, i + 1):
        if 0 <= j < len(toks):
            t = toks[j]
            if len(t) >= 4 and t.isalpha() and t.isupper() and t not in short:
                return True
    return False


@dataclass
class Mention:
    key: tuple[str, ...]   # normalized term (lower-case tokens)
    abbr: bool             # matched as a short form
    start: int             # token index
    negated: bool


class Lexicon:
    """Every term of the graph: full terms (names, synonyms) matched case-insensitively by longest match, short
    forms matched case-sensitively as written (upper case)."""

    def __init__(self, max_len: int = 8):
        self.full: set[tuple[str, ...]] = set()
        self.first: dict[str, int] = {}
        self.short: set[str] = set()
        self.max_len = max_len

    def add_full(self, term: str) -> None:
        k = term_key(term)
        if not k or len(k) > self.max_len:
            return
        self.full.add(k)
        self.first[k[0]] = max(self.first.get(k[0], 0), len(k))

    def add_short(self, sf: str) -> None:
        k = short_form_key(sf)
        if k:
            self.short.add(k)

    def mentions(self, text: str) -> list[Mention]:
        toks = tokens(text)
        low = [t.lower() for t in toks]
        out: list[Mention] = []
        i = 0
        while i < len(toks):
            if toks[i] in _SENTENCE_END:
                i += 1
                continue
            found = 0
            longest = self.first.get(low[i], 0)
            for n in range(min(longest, len(toks) - i), 0, -1):
                k = tuple(low[i:i + n])
                if any(t in _SENTENCE_END for t in k):
                    continue
                if k in self.full:
                    found = n
                    break
            # A one-word match written as a short form ("EKG", also listed as the synonym "ekg") is a short form.
            if (found <= 1 and toks[i].upper() in self.short and is_short_form_as_written(toks[i])
                    and not in_capitals_run(toks, i, self.short)):
                out.append(Mention((toks[i].upper(),), True, i, negated(low, i)))
                found = 1
            elif found:
                out.append(Mention(tuple(low[i:i + found]), False, i, negated(low, i)))
            i += max(found, 1)
        return out


def negated(low: list[str], i: int) -> bool:
    """A negation cue within NEGATION_WINDOW tokens before token i, not across a sentence end."""
    lo = i
    while lo > 0 and i - lo < NEGATION_WINDOW and low[lo - 1] not in _SENTENCE_END:
        lo -= 1
    window = low[lo:i]
    for cue in NEGATION_CUES:
        n = len(cue)
        for j in range(len(window) - n + 1):
            if tuple(window[j:j + n]) == cue:
                return True
    return False


# --- graph → per-query term grades -------------------------------------------------------------------------------
def query_terms(graph, cid: str, min_share: float = 0.5) -> dict[tuple, str]:
    """Term → match type for one query concept. Keys: term_key(...) for full terms, ("SF",) for short forms
    (upper case). Abbreviations are graded before synonyms; the first type a term gets wins."""
    c = graph.concepts[cid]
    grades: dict[tuple, str] = {}

    def put(k: tuple, typ: str) -> None:
        if k and k not in grades:
            grades[k] = typ

    put(term_key(c.name), "string")
    for sf, share in c.abbreviations:
        k = short_form_key(sf)
        if share >= min_share and k:
            put((k,), "abbreviation")
    for s in c.synonyms:
        s2 = s.strip()
        if " " not in s2 and is_short_form_as_written(s2):
            put((s2.upper(),), "abbreviation")  # a short form listed as a synonym
        else:
            put(term_key(s2), "synonym")
    for d in sorted(graph.descendants(cid)):
        dc = graph.concepts[d]
        for t in [dc.name] + list(dc.synonyms):
            t2 = t.strip()
            put((t2.upper(),) if " " not in t2 and is_short_form_as_written(t2) else term_key(t2), "hyponym")
        for sf, share in dc.abbreviations:
            k = short_form_key(sf)
            if share >= min_share and k:
                put((k,), "hyponym")
    return grades


def build_lexicon(graph, min_share: float = 0.5) -> Lexicon:
    lex = Lexicon()
    for c in graph.concepts.values():
        for t in [c.name] + list(c.synonyms):
            t2 = t.strip()
            if " " not in t2 and is_short_form_as_written(t2):
                lex.add_short(t2)
            else:
                lex.add_full(t2)
        for sf, share in c.abbreviations:
            if share >= min_share:
                lex.add_short(sf)
    return lex


def grade_chunk(mentions: list[Mention], grades: dict[tuple, str]) -> str | None:
    """The best match type among the chunk's non-negated mentions of the query, or None."""
    best = None
    for m in mentions:
        if m.negated:
            continue
        typ = grades.get(m.key)
        if typ and (best is None or MATCH_ORDER.index(typ) < MATCH_ORDER.index(best)):
            best = typ
    return best


def query_type(concept) -> str | None:
    if concept.type in ("disease", "phenotype"):
        return "disease"
    return concept.type if concept.type in ("procedure", "drug") else None


# Terms the graph types as diseases, procedures or drugs that nobody searches notes for as such: vital signs and
# examination findings typed as procedures, laboratory analytes typed as drugs.
NOT_QUERIES = frozenset({
    "blood pressure", "pulse", "heart rate", "gait", "hand strength", "body weight", "body temperature", "temperature",
    "respiratory rate", "physical examination", "water", "glucose", "creatinine", "oxygen", "sodium", "potassium",
    "calcium", "hemoglobins", "hemoglobin", "cholesterol", "blood glucose", "blood", "air", "food", "sugars",
    "carbon dioxide", "aspartate aminotransferases", "alanine transaminase", "bilirubin", "albumins", "nitrogen",
    "urea", "electrolytes", "chlorides", "bicarbonates", "lipids", "triglycerides", "proteins", "hydrogen",
})
# HPO concepts outside "Phenotypic abnormality" are modifiers (Bilateral, Severity, Proximal), not diseases.
HPO_PHENOTYPE_ROOT = "HP:0000118"


def usable_query_concept(graph, concept) -> bool:
    if " ".join(term_key(concept.name)) in NOT_QUERIES:
        return False
    if concept.id.startswith("HP:") and HPO_PHENOTYPE_ROOT in graph.concepts:
        return HPO_PHENOTYPE_ROOT in graph.ancestors(concept.id)
    return True


def usable_query_name(name: str) -> bool:
    """Names a clinician would type: no inverted MeSH forms, no ICD 'other/unspecified' residue, 1-5 words."""
    low = name.lower()
    if "," in name or "(" in name or any(w in low.split() for w in ("other", "unspecified", "nos", "nec")):
        return False
    return 1 <= len(term_key(name)) <= 5


# --- building ------------------------------------------------------------------------------------------------------
MAX_DESCENDANTS = 40


def build(notes: list[Note], graph, max_queries: dict[str, int], min_notes: int = 2, min_share: float = 0.5,
          log=lambda m: print(m, file=sys.stderr)) -> tuple[list[dict], list[tuple[str, str, str]], dict]:
    """(queries, qrels, stats). Queries are concepts mentioned directly (name, short form or synonym) in at least
    `min_notes` notes and with at most MAX_DESCENDANTS is_a descendants (upper-level groupers such as "disease"
    or "Abnormality of the nervous system" are not queries anyone types); at most max_queries[type] per type,
    most frequently mentioned first, those with synonym or abbreviation matches ahead on ties."""
    lex = build_lexicon(graph, min_share)
    chunks = [c for n in notes for c in chunk_note(n, CHUNKING["words"], CHUNKING["overlap"], CHUNKING["minWords"])]
    # which chunks mention which term (not negated): term → chunk indices
    by_term: dict[tuple, set[int]] = defaultdict(set)
    mentions_of: list[list[Mention]] = []
    for i, ch in enumerate(chunks):
        ms = lex.mentions(ch.text)
        mentions_of.append(ms)
        for m in ms:
            if not m.negated:
                by_term[m.key].add(i)
    log(f"{len(notes)} notes, {len(chunks)} chunks, {len(by_term)} distinct terms mentioned")
    # candidate queries: concepts whose own name is mentioned (or any graded term), by type; one per query text
    candidates: dict[str, list[tuple]] = defaultdict(list)
    seen_names: set[str] = set()
    id_order = {"DOID": 0, "MESH": 1, "HP": 2, "ICD10CM": 3}
    for cid in sorted(graph.concepts, key=lambda x: (id_order.get(x.split(":")[0], 9), x)):
        c = graph.concepts[cid]
        qt = query_type(c)
        if qt is None or not usable_query_name(c.name) or not usable_query_concept(graph, c):
            continue
        name_key = " ".join(term_key(c.name))
        if name_key in seen_names:
            continue
        if len(graph.descendants(cid)) > MAX_DESCENDANTS:
            continue
        grades = query_terms(graph, cid, min_share)
        hit = set()
        for k in grades:
            hit |= by_term.get(k, set())
        if not hit:
            continue
        rel: dict[str, str] = {}
        for i in sorted(hit):
            typ = grade_chunk(mentions_of[i], grades)
            if typ:
                rel[chunks[i].id] = typ
        direct_notes = len({ch.rsplit("::", 1)[0] for ch, t in rel.items() if t != "hyponym"})
        if direct_notes < min_notes:
            continue
        seen_names.add(name_key)
        lexical_variants = sum(1 for t in rel.values() if t in ("synonym", "abbreviation"))
        candidates[qt].append((-direct_notes, -lexical_variants, cid, rel))
    queries: list[dict] = []
    qrels: list[tuple[str, str, str]] = []
    prefix = {"disease": "D", "procedure": "P", "drug": "R"}
    for qt in QUERY_TYPES:
        for n, (_, _, cid, rel) in enumerate(sorted(candidates[qt])[: max_queries.get(qt, 0)]):
            qid = f"{prefix[qt]}{n + 1:03d}"
            queries.append({"query_id": qid, "text": graph.concepts[cid].name, "type": qt, "concept": cid})
            qrels.extend((qid, ch, typ) for ch, typ in rel.items())
    stats = {"notes": len(notes), "chunks": len(chunks), "queries": len(queries), "qrels": len(qrels),
             "by_query_type": {qt: sum(1 for q in queries if q["type"] == qt) for qt in QUERY_TYPES},
             "by_match_type": {mt: sum(1 for r in qrels if r[2] == mt) for mt in MATCH_ORDER}}
    return queries, qrels, stats


def write_benchmark(out: str, name: str, source: str, queries: list[dict], qrels: list[tuple], stats: dict) -> None:
    os.makedirs(out, exist_ok=True)
    write_text_atomic(os.path.join(out, "queries.jsonl"), "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in queries))
    write_text_atomic(os.path.join(out, "qrels.tsv"), "".join(f"{q}\t{c}\t{t}\n" for q, c, t in qrels))
    meta = {"name": name, "chunking": CHUNKING, "chunker": CHUNKER_ID, "source": source, "counts": stats,
            "grader": "drehr_train.benchmark (graph-graded: string, abbreviation, synonym, hyponym; no implication)"}
    write_text_atomic(os.path.join(out, "bench.json"), json.dumps(meta, indent=2) + "\n")


def load_or_build_graph(graph_path: str | None, sources: list[str]):
    from .graph import build_graph, load_graph
    if graph_path:
        g = load_graph(graph_path)
    else:
        dirs = [d for d in sources if os.path.isdir(d)]
        if not dirs:
            raise SystemExit(f"no graph sources found in {', '.join(sources)}: pass --graph FILE or --sources DIR")
        g = build_graph(dirs)
    for w in g.warnings[:5]:
        print(f"graph: {w}", file=sys.stderr)
    return g


# --- MTSamples (development benchmark, not shipped) ---------------------------------------------------------------
def mtsamples_heldout(transcription: str) -> bool:
    """The held-out split of MTSamples: 20% of the unique transcriptions, by a hash of the whitespace-normalized
    text, so the trainer can exclude exactly these notes (`from drehr_train.benchmark import mtsamples_heldout`)."""
    norm = " ".join(transcription.split())
    return int(hashlib.sha256(norm.encode("utf-8")).hexdigest()[:8], 16) % 5 == 0


def mtsamples_notes(csv_path: str, out_notes: str) -> int:
    """Writes the held-out, deduplicated MTSamples transcriptions as one CSV export under out_notes. Returns the count."""
    csv.field_size_limit(1 << 30)
    rows, seen = [], set()
    with open(csv_path, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            t = (r.get("transcription") or "").strip()
            norm = " ".join(t.split())
            if not t or norm in seen:
                continue
            seen.add(norm)
            if mtsamples_heldout(t):
                rows.append({"note_id": f"mts{r['note_id']}", "patient_id": f"mts{r['note_id']}",
                             "note_type": (r.get("medical_specialty") or "").strip(), "text": t})
    os.makedirs(out_notes, exist_ok=True)
    with atomic_open(os.path.join(out_notes, "mtsamples-heldout.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["note_id", "patient_id", "note_type", "text"])
        w.writeheader()
        w.writerows(rows)
    return len(rows)


def main(argv: list[str] | None = None) -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    default_sources = [os.path.join(here, "data"), os.path.join(here, "..", "..", "..", "shared", "data")]
    ap = argparse.ArgumentParser(prog="python -m drehr_train.benchmark", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("build", "mtsamples"):
        p = sub.add_parser(name)
        p.add_argument("--out", required=True)
        p.add_argument("--name")
        p.add_argument("--source", help="one line for bench.json: where the notes come from")
        p.add_argument("--graph", help="a saved graph (JSONL[.gz]); default: build one from --sources")
        p.add_argument("--sources", nargs="*", default=default_sources)
        p.add_argument("--max-disease", type=int, default=60)
        p.add_argument("--max-procedure", type=int, default=30)
        p.add_argument("--max-drug", type=int, default=30)
        p.add_argument("--min-notes", type=int, default=2)
        if name == "build":
            p.add_argument("--notes", required=True, help="notes folder; copied into OUT/notes")
        else:
            p.add_argument("--csv", required=True, help="mtsamples.csv")
    a = ap.parse_args(argv)
    out = os.path.abspath(a.out)
    notes_out = os.path.join(out, "notes")
    if a.cmd == "build":
        if not os.path.isdir(a.notes):
            print(f"notes folder not found: {a.notes}", file=sys.stderr)
            return 2
        if os.path.abspath(a.notes) != notes_out:
            tmp = notes_out + ".tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.copytree(a.notes, tmp, ignore=shutil.ignore_patterns(".*"))
            shutil.rmtree(notes_out, ignore_errors=True)
            os.replace(tmp, notes_out)
        source = a.source or f"notes from {os.path.basename(os.path.normpath(a.notes))}"
    else:
        if not os.path.isfile(a.csv):
            print(f"MTSamples CSV not found: {a.csv} (it lives in ../shared/data/notes; the dev benchmark is not shipped)",
                  file=sys.stderr)
            return 2
        n = mtsamples_notes(a.csv, notes_out)
        source = f"MTSamples held-out split ({n} unique transcriptions, hash split 1/5); not for redistribution"
    notes = list(read_notes(notes_out))
    if not notes:
        print(f"no notes with text under {notes_out}", file=sys.stderr)
        return 2
    graph = load_or_build_graph(a.graph, a.sources)
    caps = {"disease": a.max_disease, "procedure": a.max_procedure, "drug": a.max_drug}
    queries, qrels, stats = build(notes, graph, caps, a.min_notes)
    write_benchmark(out, a.name or os.path.basename(out), source, queries, qrels, stats)
    print(json.dumps({"out": out, **stats}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
