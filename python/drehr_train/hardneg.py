"""Hard negatives for Stage II (the paper's first open question): for each (chunk, entity) pair, the same patient's
other chunks that BM25 ranks highest for the entity, minus every chunk that may be a false negative.

A candidate chunk h of the same patient is dropped for entity e when
- h's own Stage II positives hold e (a positive is never a negative);
- h contains e, or a name, synonym or abbreviation of a concept e names, as whole words (case-insensitive);
- the knowledge graph's EntityMatcher finds in h a concept that e names, or a descendant of one (CliniQ counts a
  hyponym mention as relevant, so it must not be pushed away).
The concepts e names: those whose name, synonym or abbreviation is e, plus those the matcher finds in e that cover
at least half of it ("history of congestive heart failure" names CHF). Candidates with a BM25 score of 0 share no
word with e and are not hard: they are skipped. Ties are broken by a seeded hash, so the result depends only on the
inputs and the seed.

Pure apart from the matcher; tests/test_hardneg.py checks that no positive is ever a negative, that the graph
filter applies, and that the result is deterministic by seed.
"""
from __future__ import annotations

import hashlib
import math
import re
from collections import Counter, defaultdict

from .chunker import Chunk
from .graph import Graph, norm_term
from .trie import EntityMatcher

_WORD = re.compile(r"[a-z0-9]+")
K1, B = 1.2, 0.75


def _tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _joined(tokens: list[str]) -> str:
    return " " + " ".join(tokens) + " "


class HardNegativeMiner:
    def __init__(self, chunks: list[Chunk], graph: Graph | None, matcher: EntityMatcher | None = None, seed: int = 42):
        self.seed = seed
        self.graph = graph
        self.matcher = matcher if matcher is not None else (EntityMatcher(graph) if graph is not None else None)
        self.chunks = {c.id: c for c in chunks}
        self.by_patient: dict[str, list[str]] = defaultdict(list)
        for c in chunks:
            self.by_patient[c.patient_id].append(c.id)
        self.tf: dict[str, Counter] = {}
        self.joined: dict[str, str] = {}
        df: Counter = Counter()
        total = 0
        for c in chunks:
            t = _tokens(c.text)
            self.tf[c.id] = Counter(t)
            self.joined[c.id] = _joined(t)
            df.update(set(t))
            total += len(t)
        self.n = max(1, len(chunks))
        self.avgdl = total / self.n if chunks else 1.0
        self.idf = {w: math.log(1 + (self.n - d + 0.5) / (d + 0.5)) for w, d in df.items()}
        self._terms: dict[str, set[str]] | None = None
        self._chunk_concepts: dict[str, set[str]] = {}
        self._entity: dict[str, tuple[set[str], list[str]]] = {}

    # --- the graph side -----------------------------------------------------------------------------------------
    def _term_index(self) -> dict[str, set[str]]:
        if self._terms is None:
            idx: dict[str, set[str]] = defaultdict(set)
            if self.graph is not None:
                for cid, c in self.graph.concepts.items():
                    for t in [c.name, *c.synonyms, *(a for a, _ in c.abbreviations)]:
                        k = norm_term(t)
                        if k:
                            idx[k].add(cid)
            self._terms = idx
        return self._terms

    def entity_concepts(self, entity: str) -> tuple[set[str], list[str]]:
        """(concepts e names plus their descendants, the surface forms to look for as whole words)."""
        key = norm_term(entity)
        hit = self._entity.get(key)
        if hit is not None:
            return hit
        named = set(self._term_index().get(key, set()))
        if self.matcher is not None:
            for s, e, cid, _surface, _kind in self.matcher.find(entity):
                if (e - s) * 2 >= len(entity.strip()):
                    named.add(cid)
        forms = {key}
        related = set(named)
        if self.graph is not None:
            for cid in named:
                c = self.graph.concepts.get(cid)
                if c is None:
                    continue
                forms.update(norm_term(t) for t in [c.name, *c.synonyms, *(a for a, _ in c.abbreviations)])
                related |= self.graph.descendants(cid)
        phrases = sorted({_joined(_tokens(f)) for f in forms if _tokens(f)})
        self._entity[key] = (related, phrases)
        return related, phrases

    def concepts_in(self, chunk_id: str) -> set[str]:
        got = self._chunk_concepts.get(chunk_id)
        if got is None:
            got = {cid for _s, _e, cid, _surface, _kind in self.matcher.find(self.chunks[chunk_id].text)} if self.matcher else set()
            self._chunk_concepts[chunk_id] = got
        return got

    def mentions(self, chunk_id: str, entity: str) -> bool:
        """True when the chunk may mention the entity (string, synonym, abbreviation, or a graph concept/hyponym)."""
        related, phrases = self.entity_concepts(entity)
        j = self.joined[chunk_id]
        if any(p in j for p in phrases):
            return True
        return bool(related & self.concepts_in(chunk_id))

    # --- BM25 -----------------------------------------------------------------------------------------------------
    def bm25(self, chunk_id: str, query: list[str]) -> float:
        tf = self.tf[chunk_id]
        dl = sum(tf.values())
        s = 0.0
        for w in set(query):
            f = tf.get(w, 0)
            if f:
                s += self.idf.get(w, 0.0) * f * (K1 + 1) / (f + K1 * (1 - B + B * dl / self.avgdl))
        return s

    def _tie(self, *parts: str) -> str:
        return hashlib.sha1("\x00".join((str(self.seed),) + parts).encode("utf-8")).hexdigest()

    def mine(self, chunk_id: str, entity: str, n: int, exclude: set[str] = frozenset()) -> list[str]:
        """Up to n chunk ids of the same patient, best BM25 first, none of which may mention the entity."""
        anchor = self.chunks.get(chunk_id)
        if anchor is None or n <= 0:
            return []
        q = _tokens(entity)
        scored = []
        for cid in self.by_patient.get(anchor.patient_id, []):
            if cid == chunk_id or cid in exclude:
                continue
            s = self.bm25(cid, q)
            if s <= 0:
                continue
            scored.append((-s, self._tie(chunk_id, entity, cid), cid))
        scored.sort()
        out = []
        for _s, _t, cid in scored:
            if self.mentions(cid, entity):
                continue
            out.append(cid)
            if len(out) == n:
                break
        return out


def add_hard_negatives(records: list[dict], chunks: list[Chunk], graph: Graph | None, n: int, seed: int = 42,
                       matcher: EntityMatcher | None = None) -> dict:
    """Adds "hard_negatives": {normalized entity: [[chunk id, chunk text], ...]} (best first) to each Stage II
    record, in place, and returns counts.

    A chunk that is a positive of the entity anywhere in the records (another chunk with the same pair) is never
    its negative either."""
    if n <= 0:
        return {"hard_negatives": 0}
    miner = HardNegativeMiner(chunks, graph, matcher, seed)
    owners: dict[str, set[str]] = defaultdict(set)
    for r in records:
        for p in r["positives"]:
            owners[norm_term(p)].add(r["chunk_id"])
    pairs = with_neg = total = 0
    for r in records:
        hn: dict[str, list[str]] = {}
        for p in r["positives"]:
            pairs += 1
            ids = miner.mine(r["chunk_id"], p, n, exclude=owners[norm_term(p)])
            if ids:
                hn[norm_term(p)] = [[i, miner.chunks[i].text] for i in ids]
                with_neg += 1
                total += len(ids)
        r["hard_negatives"] = hn
    return {"hard_negatives": n, "pairs": pairs, "pairs_with_negative": with_neg,
            "share_with_negative": round(with_neg / pairs, 4) if pairs else 0.0,
            "negatives_per_pair": round(total / with_neg, 3) if with_neg else 0.0}
