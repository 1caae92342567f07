"""Stage I data (the paper's knowledge injection): entities found in each chunk by the trie, expanded with up to
n synonyms, n hypernyms and n related concepts (never hyponyms), plus a coverage report.

A record: {"chunk_id", "text", "entities": [{"concept", "surface", "kind"}], "positives": [strings]}; the trainer
samples `num_pos` positives from "positives" per chunk and epoch (with replacement when there are fewer: the
paper's filling), and uses the whole list to mask false negatives.
"""
from __future__ import annotations

import random
from collections import Counter, defaultdict

from .chunker import Chunk
from .graph import Graph, norm_term
from .trie import EntityMatcher


def positives_for(graph: Graph, cid: str, rng: random.Random, n_syn: int = 2, n_hyper: int = 2,
                  n_rel: int = 2) -> list[str]:
    """The entity's name plus sampled synonyms, hypernym names and related names (never hyponyms)."""
    c = graph.concepts[cid]
    out = [c.name]
    syn = sorted(s for s in c.synonyms if norm_term(s) != norm_term(c.name))
    out += rng.sample(syn, min(n_syn, len(syn)))
    parents = sorted(p for p in c.parents if p in graph.concepts)
    out += [graph.concepts[p].name for p in rng.sample(parents, min(n_hyper, len(parents)))]
    hypo = graph.descendants(cid) if c.related else set()
    rel = sorted(r for r in c.related if r in graph.concepts and r not in hypo)
    out += [graph.concepts[r].name for r in rng.sample(rel, min(n_rel, len(rel)))]
    return out


def build_stage1(chunks: list[Chunk], graph: Graph, matcher: EntityMatcher | None = None, n_syn: int = 2,
                 n_hyper: int = 2, n_rel: int = 2, seed: int = 42, types: tuple[str, ...] | None = None
                 ) -> tuple[list[dict], dict]:
    matcher = matcher or EntityMatcher(graph)
    records = []
    kinds: Counter = Counter()
    by_source: Counter = Counter()
    by_type: Counter = Counter()
    distinct: set[str] = set()
    n_with = 0
    n_mentions = 0
    pos_counts = []
    per_source_chunks: dict[str, int] = defaultdict(int)
    for ch in chunks:
        rng = random.Random(f"{seed}:{ch.id}")
        ents = []
        seen_c: set[str] = set()
        for start, end, cid, surface, kind in matcher.find(ch.text):
            c = graph.concepts[cid]
            if types is not None and c.type not in types:
                continue
            n_mentions += 1
            if cid in seen_c:
                continue
            seen_c.add(cid)
            ents.append({"concept": cid, "surface": surface, "kind": kind})
            kinds[kind] += 1
            by_source[cid.split(":")[0]] += 1
            by_type[c.type] += 1
        if not ents:
            continue
        n_with += 1
        for src in {e["concept"].split(":")[0] for e in ents}:
            per_source_chunks[src] += 1
        pos: list[str] = []
        seen_p: set[str] = set()
        for e in ents:
            for p in positives_for(graph, e["concept"], rng, n_syn, n_hyper, n_rel):
                k = norm_term(p)
                if k and k not in seen_p:
                    seen_p.add(k)
                    pos.append(p)
                    distinct.add(k)
        pos_counts.append(len(pos))
        records.append({"chunk_id": ch.id, "text": ch.text, "entities": ents, "positives": pos})
    n = len(chunks)
    report = {
        "chunks": n, "chunks_with_entity": n_with, "share_with_entity": round(n_with / n, 4) if n else 0.0,
        "mentions": n_mentions, "mentions_per_chunk": round(n_mentions / n, 3) if n else 0.0,
        "entities_per_chunk_with_entity": round(sum(len(r["entities"]) for r in records) / n_with, 3) if n_with else 0.0,
        "positives_per_chunk": round(sum(pos_counts) / len(pos_counts), 3) if pos_counts else 0.0,
        "distinct_positive_strings": len(distinct),
        "entities_by_kind": dict(sorted(kinds.items())), "entities_by_source": dict(sorted(by_source.items())),
        "entities_by_type": dict(sorted(by_type.items())),
        "share_of_chunks_by_source": {k: round(v / n, 4) for k, v in sorted(per_source_chunks.items())} if n else {},
    }
    return records, report


def coverage_markdown(report: dict) -> str:
    lines = ["| measure | value |", "|---|---|"]
    for k, v in report.items():
        if isinstance(v, dict):
            v = ", ".join(f"{a}: {b}" for a, b in v.items())
        lines.append(f"| {k} | {v} |")
    return "\n".join(lines) + "\n"
