"""Builds a WordPiece vocabulary from text, deterministically (BPE-style merges, as Hugging Face's WordPiece trainer).

Words come from the same normalizer and pre-tokenizer as the tokenizer. Every character seen at least
`min_char_freq` times enters the alphabet in both forms (`c` and `##c`); then the most frequent adjacent pair of
symbols is merged until the vocabulary reaches `size`. Ties break on the pair's text, so the result depends only
on the input.
"""
from __future__ import annotations

import heapq
from collections import Counter
from typing import Iterable

from .tokenizer import normalize, pre_tokenize

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def count_words(texts: Iterable[str]) -> Counter:
    counts: Counter = Counter()
    for t in texts:
        counts.update(pre_tokenize(normalize(t)))
    return counts


def build_vocab(word_counts: Counter, size: int = 8000, min_char_freq: int = 2, prefix: str = "##") -> list[str]:
    """Vocabulary tokens in id order: specials, alphabet, then merged pieces by merge order."""
    char_freq: Counter = Counter()
    for w, c in word_counts.items():
        for ch in w:
            char_freq[ch] += c
    alphabet = sorted(ch for ch, c in char_freq.items() if c >= min_char_freq)
    alpha_set = set(alphabet)
    tokens = list(SPECIALS)
    seen = set(tokens)
    for ch in alphabet:
        for t in (ch, prefix + ch):
            if t not in seen:
                tokens.append(t)
                seen.add(t)
    # words as symbol lists; words with characters outside the alphabet cannot be tokenized anyway
    words: list[list[str]] = []
    freqs: list[int] = []
    for w, c in sorted(word_counts.items()):
        if len(w) > 100 or any(ch not in alpha_set for ch in w):
            continue
        words.append([w[0]] + [prefix + ch for ch in w[1:]])
        freqs.append(c)
    pair_count: Counter = Counter()
    where: dict[tuple[str, str], set[int]] = {}
    for i, syms in enumerate(words):
        for a, b in zip(syms, syms[1:]):
            pair_count[(a, b)] += freqs[i]
            where.setdefault((a, b), set()).add(i)
    heap = [(-c, p) for p, c in pair_count.items()]
    heapq.heapify(heap)
    plen = len(prefix)
    while len(tokens) < size and heap:
        negc, pair = heapq.heappop(heap)
        cur = pair_count.get(pair, 0)
        if cur <= 0:
            continue
        if -negc != cur:  # stale entry
            heapq.heappush(heap, (-cur, pair))
            continue
        a, b = pair
        new = a + b[plen:]
        if new not in seen:
            tokens.append(new)
            seen.add(new)
        touched: Counter = Counter()
        for i in sorted(where.pop(pair, ())):
            syms = words[i]
            f = freqs[i]
            for x, y in zip(syms, syms[1:]):
                pair_count[(x, y)] -= f
                touched[(x, y)] += 0
            merged: list[str] = []
            j = 0
            while j < len(syms):
                if j + 1 < len(syms) and syms[j] == a and syms[j + 1] == b:
                    merged.append(new)
                    j += 2
                else:
                    merged.append(syms[j])
                    j += 1
            words[i] = merged
            for x, y in zip(merged, merged[1:]):
                pair_count[(x, y)] += f
                where.setdefault((x, y), set()).add(i)
                touched[(x, y)] += 0
        pair_count.pop(pair, None)
        for p in touched:
            c = pair_count.get(p, 0)
            if c > 0:
                heapq.heappush(heap, (-c, p))
            else:
                pair_count.pop(p, None)
    return tokens
