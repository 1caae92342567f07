"""The knowledge graph: concepts with names, synonyms, abbreviations (with sense shares), is_a parents, related
concepts and a semantic type, built from open sources (sources.py) or a plain TSV/JSONL, saved as JSONL.gz.

Stable API (benchmarks build on it): Graph, Concept, build_graph(sources_dir, extra=None), load_graph(path),
Graph.children(id), Graph.descendants(id), Graph.save(path).

Concept ids keep their source prefix: DOID:..., HP:..., MESH:D..., ICD10CM:..., ABBR:<long form> (a sense from the
abbreviation inventories that no ontology concept names).
"""
from __future__ import annotations

import gzip
import json
import os
import re
import sys
from collections import defaultdict
from dataclasses import asdict, dataclass, field

from . import sources

TYPES = ("disease", "phenotype", "procedure", "drug", "other")
DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


@dataclass
class Concept:
    id: str
    name: str
    synonyms: list[str] = field(default_factory=list)
    abbreviations: list[tuple[str, float]] = field(default_factory=list)
    parents: list[str] = field(default_factory=list)
    related: list[str] = field(default_factory=list)
    type: str = "other"


def norm_term(s: str) -> str:
    return re.sub(r"\s+", " ", s.strip().lower())


class Graph:
    def __init__(self, concepts: dict[str, Concept] | None = None):
        self.concepts: dict[str, Concept] = concepts or {}
        self._children: dict[str, list[str]] | None = None
        self.warnings: list[str] = []

    # --- structure ------------------------------------------------------------------------------------------------
    def _index(self) -> dict[str, list[str]]:
        if self._children is None:
            ch: dict[str, list[str]] = defaultdict(list)
            for c in self.concepts.values():
                for p in c.parents:
                    if p in self.concepts:
                        ch[p].append(c.id)
            self._children = {k: sorted(v) for k, v in ch.items()}
        return self._children

    def children(self, cid: str) -> list[str]:
        return list(self._index().get(cid, []))

    def descendants(self, cid: str) -> set[str]:
        out: set[str] = set()
        stack = list(self.children(cid))
        while stack:
            x = stack.pop()
            if x in out:
                continue
            out.add(x)
            stack.extend(self._index().get(x, []))
        return out

    def ancestors(self, cid: str) -> set[str]:
        out: set[str] = set()
        stack = list(self.concepts[cid].parents) if cid in self.concepts else []
        while stack:
            x = stack.pop()
            if x in out or x not in self.concepts:
                continue
            out.add(x)
            stack.extend(self.concepts[x].parents)
        return out

    def invalidate(self) -> None:
        self._children = None

    # --- persistence ----------------------------------------------------------------------------------------------
    def save(self, path: str) -> None:
        """JSONL (gzipped when the name ends in .gz), one concept a line, sorted by id; written atomically."""
        tmp = path + ".tmp"
        opener = (lambda p: gzip.GzipFile(p, "wb", mtime=0)) if path.endswith(".gz") else (lambda p: open(p, "wb"))
        with opener(tmp) as f:
            for cid in sorted(self.concepts):
                d = asdict(self.concepts[cid])
                f.write((json.dumps(d, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8"))
        os.replace(tmp, path)

    def stats(self) -> dict:
        by_type: dict[str, int] = defaultdict(int)
        by_src: dict[str, int] = defaultdict(int)
        for c in self.concepts.values():
            by_type[c.type] += 1
            by_src[c.id.split(":", 1)[0]] += 1
        return {"concepts": len(self.concepts), "synonyms": sum(len(c.synonyms) for c in self.concepts.values()),
                "abbreviations": sum(len(c.abbreviations) for c in self.concepts.values()),
                "is_a": sum(len(c.parents) for c in self.concepts.values()),
                "by_type": dict(sorted(by_type.items())), "by_source": dict(sorted(by_src.items()))}

    def lexicon(self) -> dict:
        """The optional lexicon.json.gz of a model folder (query expansion in the sidecar)."""
        out = []
        for cid in sorted(self.concepts):
            c = self.concepts[cid]
            out.append({"id": cid, "names": [c.name] + c.synonyms,
                        "abbreviations": [{"sf": sf, "share": round(sh, 4)} for sf, sh in c.abbreviations],
                        "children": self.children(cid)})
        return {"concepts": out}

    def lexicon_for(self, ids) -> dict:
        """The lexicon restricted to the given concepts and their parents and children (keeps the file small)."""
        keep: set[str] = set()
        for cid in ids:
            if cid in self.concepts:
                keep.add(cid)
                keep.update(p for p in self.concepts[cid].parents if p in self.concepts)
                keep.update(self.children(cid))
        out = []
        for cid in sorted(keep):
            c = self.concepts[cid]
            out.append({"id": cid, "names": [c.name] + c.synonyms,
                        "abbreviations": [{"sf": sf, "share": round(sh, 4)} for sf, sh in c.abbreviations],
                        "children": self.children(cid)})
        return {"concepts": out}


def load_graph(path: str) -> Graph:
    """Reads a saved graph; broken lines are reported in Graph.warnings (with line numbers) and skipped."""
    g = Graph()
    opener = (lambda p: gzip.open(p, "rt", encoding="utf-8")) if path.endswith(".gz") else \
        (lambda p: open(p, encoding="utf-8"))
    with opener(path) as f:
        for no, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
                c = Concept(id=d["id"], name=d["name"], synonyms=list(d.get("synonyms", [])),
                            abbreviations=[(a[0], float(a[1])) for a in d.get("abbreviations", [])],
                            parents=list(d.get("parents", [])), related=list(d.get("related", [])),
                            type=d.get("type", "other"))
            except (json.JSONDecodeError, KeyError, TypeError, ValueError, IndexError) as e:
                g.warnings.append(f"{path}:{no}: broken concept line ({type(e).__name__}: {e}); skipped")
                continue
            g.concepts[c.id] = c
    return g


# --- building ---------------------------------------------------------------------------------------------------
_SOURCE_PATTERNS = {
    "doid": re.compile(r"^doid.*\.obo(\.gz)?$"),
    "hpo": re.compile(r"^(hpo|hp)[_.].*obo(\.gz)?$|^hp\.obo(\.gz)?$"),
    "mesh_terms": re.compile(r"^mesh.*descriptor_terms\.tsv(\.gz)?$"),
    "mesh_trees": re.compile(r"^mesh.*tree_numbers\.tsv(\.gz)?$"),
    "icd": re.compile(r"^icd10cm.*codes\.tsv(\.gz)?$"),
    "abbr": re.compile(r"^(vanderbilt|stetson|wikipedia|berman|columbia).*\.(txt|csv)(\.gz)?$"),
}


def find_sources(*dirs: str) -> dict[str, list[str]]:
    """Known source files under the given folders (recursively); the first folder wins for each file name."""
    found: dict[str, dict[str, str]] = defaultdict(dict)
    for d in dirs:
        if not d or not os.path.isdir(d):
            continue
        for root, subdirs, files in os.walk(d):
            subdirs.sort()
            for f in sorted(files):
                base = f[:-3] if f.endswith(".gz") else f
                for kind, pat in _SOURCE_PATTERNS.items():
                    if pat.match(f) and base not in found[kind]:
                        found[kind][base] = os.path.join(root, f)
    return {k: sorted(v.values()) for k, v in found.items()}


# Generic roots and words that are never useful as entity names.
_SKIP_NAMES = {"all", "disease", "syndrome", "phenotypic abnormality", "clinical modifier", "mode of inheritance",
               "onset", "death", "pain", "other", "methods", "method", "emergencies", "emergency", "ice", "procedure",
               "procedures", "therapeutics", "therapy", "diagnosis", "water", "patients", "patient", "time", "plan"}
# MeSH tree letters to semantic types (F03: mental disorders).
_MESH_TYPES = (("C", "disease"), ("F03", "disease"), ("D", "drug"), ("E", "procedure"))


def _mesh_type(trees: list[str]) -> str | None:
    for prefix, t in _MESH_TYPES:
        if any(tn.startswith(prefix) for tn in trees):
            return t
    return None


HPO_PHENOTYPE_ROOT = "HP:0000118"
_BAD_SENSES = ("abbreviation", "unsure", "general english", "name", "unknown")


def _descendants_of(C: dict, root: str) -> set[str]:
    ch: dict[str, list[str]] = defaultdict(list)
    for c in C.values():
        for p in c.parents:
            ch[p].append(c.id)
    out: set[str] = set()
    stack = [root]
    while stack:
        for x in ch.get(stack.pop(), []):
            if x not in out:
                out.add(x)
                stack.append(x)
    return out


def _usable_term(t: str) -> bool:
    n = norm_term(t)
    return 2 < len(n) <= 80 and n not in _SKIP_NAMES


def build_graph(sources_dir: str | list[str] | None = None, extra: str | list[str] | None = None,
                warn=None, min_share: float = 0.0) -> Graph:
    """Builds the graph from the source files found under `sources_dir` (a folder, or several: e.g. the shipped
    python/drehr_train/data and ../shared/data) plus `extra` plain TSV/JSONL files (UMLS/BIOS users).

    Broken lines are reported (path:line: message) through `warn` (default: stderr) and in Graph.warnings."""
    dirs = [sources_dir] if isinstance(sources_dir, str) else list(sources_dir or [DATA_DIR])
    g = Graph()
    msgs = g.warnings

    def w(path, no, msg):
        m = f"{path}:{no}: {msg}"
        msgs.append(m)
        if warn:
            warn(m)

    found = find_sources(*dirs)
    C = g.concepts
    xrefs: dict[str, list[str]] = defaultdict(list)

    def add_syn(c: Concept, term: str):
        n = term.strip()
        if n and norm_term(n) != norm_term(c.name) and norm_term(n) not in {norm_term(s) for s in c.synonyms}:
            c.synonyms.append(n)

    for path in found.get("doid", []):
        for t in sources.parse_obo(path, w):
            if t["obsolete"] or not t["id"].startswith("DOID:"):
                continue
            c = Concept(t["id"], t["name"], type="disease", parents=[p for p in t["parents"] if p.startswith("DOID:")])
            for s, scope in t["synonyms"]:
                if scope == "EXACT":
                    add_syn(c, s)
            C[c.id] = c
            for x in t["xrefs"]:
                pre, _, code = x.partition(":")
                if pre.upper() == "MESH":
                    xrefs[c.id].append("MESH:" + code)
                elif pre.upper().startswith("ICD10CM"):
                    xrefs[c.id].append("ICD10CM:" + code.replace(".", ""))
    for path in found.get("hpo", []):
        for t in sources.parse_obo(path, w):
            if t["obsolete"] or not t["id"].startswith("HP:"):
                continue
            c = Concept(t["id"], t["name"], type="phenotype", parents=[p for p in t["parents"] if p.startswith("HP:")])
            for s, scope in t["synonyms"]:
                if scope == "EXACT":
                    add_syn(c, s.rstrip("."))
            C[c.id] = c
            for x in t["xrefs"]:
                pre, _, code = x.partition(":")
                if pre.upper() == "MESH":
                    xrefs[c.id].append("MESH:" + code)
    # HPO: only the phenotype branch (drops modifiers such as Left, Mild, Chronic and modes of inheritance)
    if any(k.startswith("HP:") for k in C):
        keep = {HPO_PHENOTYPE_ROOT} | _descendants_of(C, HPO_PHENOTYPE_ROOT)
        for k in [k for k in C if k.startswith("HP:") and k not in keep]:
            del C[k]
        C.pop(HPO_PHENOTYPE_ROOT, None)
    trees: dict[str, list[str]] = defaultdict(list)
    for path in found.get("mesh_trees", []):
        for r in sources.parse_tsv(path, w, 2):
            trees[r[0].strip()].append(r[1].strip())
    tree_to_d = {tn: d for d, tns in trees.items() for tn in tns}
    for path in found.get("mesh_terms", []):
        for r in sources.parse_tsv(path, w, 3):
            d, name, term = r[0].strip(), r[1].strip(), r[2].strip()
            typ = _mesh_type(trees.get(d, []))
            if typ is None:
                continue
            cid = "MESH:" + d
            c = C.get(cid)
            if c is None:
                parents = sorted({"MESH:" + tree_to_d[tn.rsplit(".", 1)[0]] for tn in trees.get(d, [])
                                  if "." in tn and tn.rsplit(".", 1)[0] in tree_to_d} - {cid})
                c = C[cid] = Concept(cid, name, type=typ, parents=parents)
            if "," not in term:  # inverted forms ("diabetes mellitus, type 2") never occur in notes
                add_syn(c, term)
    for path in found.get("icd", []):
        for r in sources.parse_tsv(path, w, 4):
            code, parent, desc = r[0].strip(), r[1].strip(), r[3].strip()
            if not code or code[0] in "VWXY" or len(code) > 4:
                continue  # external causes; 5+ character codes are encounter-level detail
            C["ICD10CM:" + code] = Concept("ICD10CM:" + code, desc, type="disease",
                                           parents=["ICD10CM:" + parent] if parent else [])
    # cross-references become `related` (both ways) where both ends are loaded
    for a, bs in xrefs.items():
        for b in bs:
            if a in C and b in C and b not in C[a].related:
                C[a].related.append(b)
                if a not in C[b].related:
                    C[b].related.append(a)
    _add_abbreviations(g, found.get("abbr", []), w, min_share)
    for path in ([extra] if isinstance(extra, str) else list(extra or [])):
        _add_plain(g, path, w)
    for c in C.values():
        c.parents = [p for p in c.parents if p in C and p != c.id]
        c.related = sorted(set(r for r in c.related if r in C and r != c.id))
    g.invalidate()
    return g


def _add_abbreviations(g: Graph, paths: list[str], w, min_share: float) -> None:
    """Short forms with sense shares. A sense links to the concept whose name or exact synonym equals it
    (preferring DOID, HPO, MeSH, ICD in that order); unlinked senses of the note inventories (Vanderbilt,
    Stetson) become ABBR: concepts of type other."""
    by_term: dict[str, str] = {}
    order = {"DOID": 0, "HP": 1, "MESH": 2, "ICD10CM": 3}
    for cid in sorted(g.concepts, key=lambda x: (order.get(x.split(":")[0], 9), x)):
        c = g.concepts[cid]
        for t in [c.name] + c.synonyms:
            by_term.setdefault(norm_term(t), cid)
    # share per (sf, sense): note inventories give frequencies; lists give uniform shares
    weights: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    note_inventory: set[tuple[str, str]] = set()
    for path in paths:
        name = os.path.basename(path).lower()
        rows = list(sources.parse_abbreviations(path, w))
        per_sf: dict[str, list[tuple[str, float | None]]] = defaultdict(list)
        for sf, lf, v in rows:
            sf = sf.strip()
            lf = norm_term(re.sub(r"\s*\(.*?\)\s*$", "", lf))
            if not sf or not lf or len(sf) > 12 or sf.lower() == lf or any(b in lf for b in _BAD_SENSES):
                continue
            per_sf[sf.lower()].append((lf, v))
        for sf, senses in per_sf.items():
            total = sum(v for _, v in senses if v is not None) or 0.0
            for lf, v in senses:
                share = (v / total) if (v is not None and total > 0) else 1.0 / len(senses)
                # inventories measured on notes count double against plain lists
                weight = 2.0 if name.startswith(("vanderbilt", "stetson")) else 1.0
                weights[sf][lf] = max(weights[sf][lf], share * weight)
                if name.startswith(("vanderbilt", "stetson")):
                    note_inventory.add((sf, lf))
    for sf in sorted(weights):
        senses = weights[sf]
        total = sum(senses.values())
        for lf in sorted(senses):
            share = senses[lf] / total
            if share < min_share:
                continue
            cid = by_term.get(lf)
            if cid is None:
                if (sf, lf) not in note_inventory:
                    continue
                cid = "ABBR:" + lf
                if cid not in g.concepts:
                    g.concepts[cid] = Concept(cid, lf, type="other")
                    by_term[lf] = cid
            c = g.concepts[cid]
            if sf not in {a for a, _ in c.abbreviations}:
                c.abbreviations.append((sf, round(share, 4)))


def _add_plain(g: Graph, path: str, w) -> None:
    C = g.concepts
    for cid, term, rel, weight in sources.parse_plain(path, w):
        c = C.get(cid)
        if c is None:
            c = C[cid] = Concept(cid, term if rel == "name" else cid)
        if rel == "name":
            c.name = term
        elif rel == "synonym":
            if norm_term(term) != norm_term(c.name) and term not in c.synonyms:
                c.synonyms.append(term)
        elif rel == "abbreviation":
            c.abbreviations.append((term, weight if weight is not None else 1.0))
        elif rel == "is_a":
            if term not in c.parents:
                c.parents.append(term)
        elif rel == "related":
            c.related.append(term)
        elif rel == "type":
            c.type = term if term in TYPES else "other"


def main_build(out: str, sources_dirs: list[str], extra: list[str]) -> dict:
    g = build_graph(sources_dirs, extra, warn=lambda m: print(m, file=sys.stderr))
    g.save(out)
    return g.stats()

