"""The paper's chunking, identical to the TypeScript chunker (docs/CONTRACTS.md "Notes and chunks").

Words are maximal runs of non-whitespace characters outside de-identification placeholders (`[** ... **]` spans,
runs of 3+ underscores; a placeholder splits a word). Windows of `words` words start every `words - overlap` words;
a window is emitted only if it holds a word no earlier window holds; windows under `min_words` words are dropped
unless the note has only one window. Chunk text = the words joined by one space; the range runs from the start of
the first word to the end of the last word, in UTF-16 code units like the TypeScript side (`utf16=True`) or in
Python code points.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .notes import Note

# The paper's chunking, the same defaults as src/shared/defaults.ts DEFAULT_CHUNKING (one declaration per side).
DEFAULT_CHUNKING = {"words": 100, "overlap": 10, "minWords": 50}

PLACEHOLDER = re.compile(r"\[\*\*.*?\*\*\]|_{3,}", re.S)
# JavaScript's \s
_WS = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
WORD = re.compile(f"[^{_WS}]+")


@dataclass
class Chunk:
    id: str
    note_id: str
    patient_id: str
    text: str
    start: int
    end: int
    source: str = ""


def words(text: str) -> list[tuple[int, int]]:
    """(start, end) of each word, in code points."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in PLACEHOLDER.finditer(text):
        spans.extend((w.start() + pos, w.end() + pos) for w in WORD.finditer(text[pos:m.start()]))
        pos = m.end()
    spans.extend((w.start() + pos, w.end() + pos) for w in WORD.finditer(text[pos:]))
    return spans


def windows(n: int, size: int = 100, overlap: int = 10, min_words: int = 50) -> list[tuple[int, int]]:
    """Word index windows [a, b) that become chunks."""
    if n == 0:
        return []
    step = size - overlap
    if step <= 0:
        raise ValueError("overlap must be smaller than words")
    out = []
    covered = 0
    start = 0
    while start < n and covered < n:
        end = min(start + size, n)
        if end > covered:
            out.append((start, end))
            covered = end
        start += step
    if len(out) > 1:
        out = [w for w in out if w[1] - w[0] >= min_words]
    return out


def _utf16_index(text: str):
    """Maps code point offsets to UTF-16 offsets (identity for BMP-only text)."""
    if all(ord(c) <= 0xFFFF for c in text):
        return lambda i: i
    acc = [0]
    for c in text:
        acc.append(acc[-1] + (2 if ord(c) > 0xFFFF else 1))
    return lambda i: acc[i]


def chunk_text(text: str, size: int = 100, overlap: int = 10, min_words: int = 50) -> list[tuple[str, int, int]]:
    """(chunk text, start, end) in code points of `text`."""
    spans = words(text)
    return [(" ".join(text[s:e] for s, e in spans[a:b]), spans[a][0], spans[b - 1][1])
            for a, b in windows(len(spans), size, overlap, min_words)]


def chunk_note(note: Note, size: int = 100, overlap: int = 10, min_words: int = 50, utf16: bool = True) -> list[Chunk]:
    out = []
    conv = _utf16_index(note.text) if utf16 else (lambda i: i)
    base = note.offset_utf16 if utf16 else note.offset
    for k, (t, s, e) in enumerate(chunk_text(note.text, size, overlap, min_words)):
        out.append(Chunk(f"{note.note_id}::{k}", note.note_id, note.patient_id, t, base + conv(s), base + conv(e), note.source))
    return out
