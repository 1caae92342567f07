"""Parsers for the open knowledge-graph sources: OBO (Disease Ontology, HPO), MeSH descriptor terms and tree numbers,
ICD-10-CM codes, clinical abbreviation inventories, and a plain TSV/JSONL of (concept, term, relation).

Each parser yields plain records and reports broken lines through `warn(path, line_no, message)` instead of
stopping: the rest of the file still loads. Files may be gzipped (name ends in .gz).
"""
from __future__ import annotations

import csv
import gzip
import io
import json
import re
from typing import Callable, Iterator

Warn = Callable[[str, int, str], None]


def open_text(path: str):
    if path.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", errors="replace", newline="")
    return open(path, encoding="utf-8", errors="replace", newline="")


_SYN = re.compile(r'^synonym:\s*"((?:[^"\\]|\\.)*)"\s+(EXACT|RELATED|NARROW|BROAD)')


def parse_obo(path: str, warn: Warn) -> Iterator[dict]:
    """[Term] stanzas: {id, name, synonyms: [(text, scope)], parents, xrefs, obsolete}."""
    term = None
    with open_text(path) as f:
        for no, line in enumerate(f, start=1):
            line = line.rstrip("\r\n")
            if line.startswith("["):
                if term and term.get("id") and term.get("name"):
                    yield term
                term = {"synonyms": [], "parents": [], "xrefs": [], "obsolete": False} if line == "[Term]" else None
                continue
            if term is None or not line or line.startswith("!"):
                continue
            if ":" not in line:
                warn(path, no, "line without a tag; skipped")
                continue
            tag, val = line.split(":", 1)
            val = val.strip()
            if tag == "id":
                term["id"] = val
            elif tag == "name":
                term["name"] = val
            elif tag == "synonym":
                m = _SYN.match(line)
                if m:
                    term["synonyms"].append((m.group(1).replace('\\"', '"'), m.group(2)))
                else:
                    warn(path, no, "malformed synonym line; skipped")
            elif tag == "is_a":
                term["parents"].append(val.split("!")[0].strip().split()[0])
            elif tag == "xref":
                term["xrefs"].append(val.split()[0])
            elif tag == "is_obsolete" and val == "true":
                term["obsolete"] = True
    if term and term.get("id") and term.get("name"):
        yield term


def parse_tsv(path: str, warn: Warn, columns: int) -> Iterator[list[str]]:
    """Rows of a headed TSV; rows with fewer than `columns` fields are reported and skipped."""
    with open_text(path) as f:
        header = True
        for no, line in enumerate(f, start=1):
            line = line.rstrip("\r\n")
            if header:
                header = False
                continue
            if not line.strip():
                continue
            parts = line.split("\t")
            if len(parts) < columns:
                warn(path, no, f"expected {columns} tab-separated fields, found {len(parts)}; skipped")
                continue
            yield parts


def parse_abbreviations(path: str, warn: Warn) -> Iterator[tuple[str, str, float | None]]:
    """(short form, long form, frequency or count or None) from the inventories' different layouts."""
    name = path.rsplit("/", 1)[-1].lower()
    if name.startswith("vanderbilt"):
        for r in parse_tsv(path, warn, 5):
            try:
                yield r[0].strip(), r[1].strip(), float(r[4])
            except ValueError:
                warn(path, 0, f"bad frequency {r[4]!r}")
    elif name.startswith("stetson"):
        with open_text(path) as f:
            for no, line in enumerate(f, start=1):
                parts = line.rstrip("\r\n").split("\t")
                if len(parts) < 3:
                    if line.strip():
                        warn(path, no, "expected short form, long form, count; skipped")
                    continue
                try:
                    yield parts[0].strip(), parts[1].strip(), float(parts[2])
                except ValueError:
                    warn(path, no, f"bad count {parts[2]!r}; skipped")
    elif name.startswith("wikipedia"):
        with open_text(path) as f:
            for no, row in enumerate(csv.reader(f), start=1):
                if no == 1:
                    continue
                if len(row) < 2:
                    warn(path, no, "expected abr,long_form; skipped")
                    continue
                yield row[0].strip(), row[1].strip(), None
    elif name.startswith("berman"):
        with open_text(path) as f:
            for no, line in enumerate(f, start=1):
                if " = " not in line:
                    if line.strip():
                        warn(path, no, "expected 'sf = lf'; skipped")
                    continue
                sf, lf = line.split(" = ", 1)
                yield sf.strip(), lf.strip(), None
    elif name.startswith("columbia"):
        with open_text(path) as f:
            for no, line in enumerate(f, start=1):
                parts = line.strip().split(None, 1)
                if len(parts) < 2:
                    if line.strip():
                        warn(path, no, "expected 'SF long form'; skipped")
                    continue
                yield parts[0], parts[1].strip(), None


RELATIONS = ("name", "synonym", "abbreviation", "is_a", "related", "type")


def parse_plain(path: str, warn: Warn) -> Iterator[tuple[str, str, str, float | None]]:
    """(concept, term, relation, weight) from a TSV (concept<TAB>term<TAB>relation[<TAB>weight]) or a JSONL
    ({"concept","term","relation"[,"weight"]}). Relations: name, synonym, abbreviation (weight = sense share),
    is_a (term = parent concept id), related (term = concept id), type (term = disease|phenotype|procedure|drug)."""
    jsonl = path.endswith((".jsonl", ".jsonl.gz"))
    with open_text(path) as f:
        for no, line in enumerate(f, start=1):
            line = line.rstrip("\r\n")
            if not line.strip() or line.startswith("#"):
                continue
            if jsonl:
                try:
                    o = json.loads(line)
                    c, t, r, w = str(o["concept"]), str(o["term"]), str(o["relation"]), o.get("weight")
                except (json.JSONDecodeError, KeyError, TypeError) as e:
                    warn(path, no, f"malformed JSON line ({e}); skipped")
                    continue
            else:
                parts = line.split("\t")
                if len(parts) < 3:
                    warn(path, no, "expected concept<TAB>term<TAB>relation; skipped")
                    continue
                c, t, r = parts[0], parts[1], parts[2]
                w = parts[3] if len(parts) > 3 else None
            r = r.strip().lower()
            if r not in RELATIONS:
                warn(path, no, f"unknown relation {r!r} (expected one of {', '.join(RELATIONS)}); skipped")
                continue
            try:
                wf = float(w) if w not in (None, "") else None
            except ValueError:
                warn(path, no, f"bad weight {w!r}; skipped")
                continue
            if not c.strip() or not t.strip():
                warn(path, no, "empty concept or term; skipped")
                continue
            yield c.strip(), t.strip(), r, wf
