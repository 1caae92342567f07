"""Finds knowledge-graph entities in text: a token trie over names, synonyms and abbreviations, longest match first.

Matching works on lowercased tokens (runs of letters/digits, and single other characters), so a term matches
only on token boundaries. Abbreviations (and short all-caps synonyms such as "HTN") follow case rules: they match
as whole tokens; purely alphabetic short forms ("HTN", "COPD", and words such as "as", "it", "all", "bus") match
only when written upper case in the text, while forms with digits or punctuation ("s/p", "a1c", "l4-5") match in any
case unless they are common words; a short form with no dominant sense (no sense with
share >= 0.5) and the blocklist of ambiguous clinical short forms are not matched at all.
"""
from __future__ import annotations

import re

from .graph import Graph, norm_term, _usable_term

_TOKEN = re.compile(r"[^\W_]+|[^\s\w]|_", re.U)

COMMON_WORDS = set("""
a an and are as at be but by do for from go had has have he her him his how i if in into is it its me my no nor not
of off on or our out over own per she so than that the their them then there these they this to too up us was we
were what when where which who why will with you your yes all any can may one two old new man men day see use used
pt st dr mr mrs ms am pm ok back bad big cold cut dry due end far few fit get got hot ill lab lay led let low mad
map met mid net now odd oral pad pain pet pop put red ran raw rib run sad sat set sit six ten top toe via war way
wet win dip arm ear eye hip leg lip neck face foot hand head knee nose skin chest heart lung mouth gas tab cap bed
did does done has had can may might must shall should would could been being let lot lots got get gets went come came
also just only very much more most less some such each both few many other same well good fine any even ever never
about above after again against before below between during under until while since though here now off once
aid aids art bag bar box bra can cat cot cup dig dog ease egg eat fat fan fed fun gap gum hat hug ice jam jar key kit
law lid log map mat mom dad mix mud nap nut pan pen pin pot ram rat rod rub saw sea sip sob son sum sun tan tap tea
tie tip toy van vet web wig yes zip best care cast cell clot code cure dose drop fall feel flow full gait hold home
last life line list long mass mole rest sick sign site size step stool test tone walk ward well work
""".split())

# Ambiguous in clinical notes even when upper case (read from contexts in the calibration experiment).
BLOCKLIST = {"ca", "pda", "om", "cp", "id", "mac", "ta", "cf", "pe", "ms", "ra", "pt", "or", "er", "us", "it", "as", "ii", "iii"}


def tokenize(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _key(term: str) -> tuple[str, ...]:
    t = term.lower()
    return tuple(t[s:e] for s, e in tokenize(t))


def _looks_abbreviation(term: str) -> bool:
    letters = [c for c in term if c.isalpha()]
    return 2 <= len(term) <= 6 and len(letters) >= 2 and all(c.isupper() for c in letters) and " " not in term


class EntityMatcher:
    """EntityMatcher(graph).find(text) -> [(start, end, concept_id, surface, kind)], kind name|synonym|abbreviation."""

    def __init__(self, graph: Graph, types: tuple[str, ...] | None = None, min_abbreviation_share: float = 0.5):
        self.graph = graph
        self.root: dict = {}
        name_words: set[str] = set()
        concepts = [c for c in graph.concepts.values() if types is None or c.type in types]
        for c in concepts:
            for t in [c.name] + c.synonyms:
                if not _looks_abbreviation(t):
                    name_words.update(w for w in _key(t) if w.isalpha())
        # abbreviation candidates: sf -> [(share, concept id)]
        abbr: dict[str, list[tuple[float, str]]] = {}
        for c in sorted(concepts, key=lambda c: c.id):
            for t, kind in [(c.name, "name")] + [(s, "synonym") for s in c.synonyms]:
                if c.id.startswith("ABBR:"):
                    break  # a sense of the inventories: matched through its short forms only
                if _looks_abbreviation(t):
                    abbr.setdefault(t.lower(), []).append((1.0, c.id))
                elif _usable_term(t) and norm_term(t) not in COMMON_WORDS:
                    self._insert(_key(t), (c.id, kind, False))
            for sf, share in c.abbreviations:
                abbr.setdefault(sf.lower(), []).append((share, c.id))
        for sf, senses in sorted(abbr.items()):
            letters = [ch for ch in sf if ch.isalnum()]
            if sf in BLOCKLIST or len(letters) < 2 or sf.isdigit() or not any(ch.isalpha() for ch in sf):
                continue
            best = max(s for s, _ in senses)
            if best < min_abbreviation_share:
                continue
            top = sorted({cid for s, cid in senses if s == best})
            # purely alphabetic short forms collide with words ("bus", "did", "gym"): upper case only
            strict = sf.isalpha() or len(sf) <= 2 or sf in COMMON_WORDS or sf in name_words
            for cid in top:
                self._insert(_key(sf), (cid, "abbreviation", strict))

    def _insert(self, key: tuple[str, ...], value: tuple[str, str, bool]) -> None:
        if not key:
            return
        node = self.root
        for tok in key:
            node = node.setdefault(tok, {})
        vals = node.setdefault("", [])
        if value not in vals:
            vals.append(value)

    def find(self, text: str) -> list[tuple[int, int, str, str, str]]:
        spans = tokenize(text)
        low = [text[s:e].lower() for s, e in spans]
        out = []
        i = 0
        n = len(spans)
        while i < n:
            node = self.root
            best = None
            j = i
            while j < n:
                node = node.get(low[j])
                if node is None:
                    break
                j += 1
                vals = node.get("")
                if vals:
                    start, end = spans[i][0], spans[j - 1][1]
                    surface = text[start:end]
                    ok = [v for v in vals if self._case_ok(v, surface)]
                    # whole tokens: the match may not continue a letter/digit run
                    if ok and (start == 0 or not text[start - 1].isalnum()) and (end == len(text) or not text[end].isalnum()):
                        best = (j, start, end, surface, ok)
            if best is None:
                i += 1
                continue
            j, start, end, surface, vals = best
            seen = set()
            for cid, kind, _ in vals:
                if cid not in seen:
                    seen.add(cid)
                    out.append((start, end, cid, surface, kind))
            i = j
        return out

    @staticmethod
    def _case_ok(v: tuple[str, str, bool], surface: str) -> bool:
        if v[1] != "abbreviation" or not v[2]:
            return True
        letters = [c for c in surface if c.isalpha()]
        return bool(letters) and all(c.isupper() for c in letters)
