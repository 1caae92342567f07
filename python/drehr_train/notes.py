"""Reads notes as docs/CONTRACTS.md defines them: .txt/.md files (optional YAML front matter) and .csv/.jsonl exports.

Only the standard library; yields Note records with the text the chunker sees and the offset of that text in its
source (front matter is skipped; offsets of .md/.txt chunks are offsets in the whole file).
"""
from __future__ import annotations

import csv
import json
import os
import sys
from dataclasses import dataclass, field
from typing import Iterator

csv.field_size_limit(1 << 30)

TEXT_COLS = ("text", "note", "note_text", "TEXT")
PATIENT_COLS = ("patient_id", "subject_id", "SUBJECT_ID")
ID_COLS = ("note_id", "row_id", "ROW_ID")
TYPE_COLS = ("note_type", "category", "CATEGORY")
DATE_COLS = ("date", "charttime", "chartdate", "CHARTDATE")


@dataclass
class Note:
    note_id: str
    patient_id: str
    text: str                 # the text the chunker sees
    offset: int = 0           # where `text` starts in the source file, code points (0 for CSV/JSONL rows)
    offset_utf16: int = 0     # the same in UTF-16 code units (the TypeScript side's offsets)
    source: str = ""          # workspace-relative path
    note_type: str = ""
    date: str = ""
    meta: dict = field(default_factory=dict)


def _front_matter(text: str) -> tuple[dict, int]:
    """(fields, offset of the body). Front matter: first line `---`, closed by a line `---`."""
    if not (text.startswith("---\n") or text.startswith("---\r\n")):
        return {}, 0
    pos = text.index("\n") + 1
    fields: dict = {}
    while pos < len(text):
        nl = text.find("\n", pos)
        line_end = len(text) if nl < 0 else nl
        line = text[pos:line_end].rstrip("\r")
        nxt = len(text) if nl < 0 else nl + 1
        if line == "---":
            return fields, nxt
        if ":" in line:
            k, v = line.split(":", 1)
            v = v.strip()
            if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'":
                v = v[1:-1]
            fields[k.strip()] = v
        pos = nxt
    return {}, 0  # unclosed: no front matter


def _pick(row: dict, cols: tuple[str, ...]) -> str | None:
    for c in cols:
        if c in row and row[c] is not None and str(row[c]) != "":
            return str(row[c])
    return None


def read_notes(root: str, warn=lambda msg: print(msg, file=sys.stderr)) -> Iterator[Note]:
    """All notes under `root` in sorted path order. Unreadable files are reported through `warn` and skipped."""
    paths = []
    for d, dirs, files in os.walk(root):
        dirs[:] = sorted(x for x in dirs if not x.startswith("."))
        for f in sorted(files):
            if f.lower().endswith((".txt", ".md", ".csv", ".jsonl")):
                paths.append(os.path.join(d, f))
    for p in sorted(paths, key=lambda x: os.path.relpath(x, root).replace(os.sep, "/")):
        yield from read_note_file(root, p, warn)


def read_note_file(root: str, p: str, warn=lambda msg: print(msg, file=sys.stderr)) -> Iterator[Note]:
    """The notes of one file; ids and patients are derived from its path relative to the workspace `root`."""
    if not os.path.isabs(p):
        p = os.path.join(root, p)
    rel = os.path.relpath(p, root).replace(os.sep, "/")
    try:
        with open(p, "rb") as fh:
            raw = fh.read()
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        warn(f"skipped {rel}: not UTF-8 text")
        return
    except OSError as e:
        warn(f"skipped {rel}: {e.strerror}")
        return
    if "\x00" in text:
        warn(f"skipped {rel}: binary file")
        return
    low = p.lower()
    if low.endswith((".txt", ".md")):
        fields, off = _front_matter(text)
        parent = os.path.dirname(rel)
        patient = fields.get("patient_id") or (os.path.basename(parent) if parent else "default")
        note_id = fields.get("note_id") or os.path.splitext(rel)[0]
        off16 = off + sum(1 for c in text[:off] if ord(c) > 0xFFFF)
        yield Note(note_id, patient, text[off:], off, off16, rel, fields.get("note_type", ""), fields.get("date", ""),
                   fields)
    elif low.endswith(".csv"):
        import io
        reader = csv.DictReader(io.StringIO(text, newline=""))
        for i, row in enumerate(reader, start=1):
            body = _pick(row, TEXT_COLS)
            if body is None:
                warn(f"{rel} row {i}: no text column; skipped")
                continue
            yield Note(_pick(row, ID_COLS) or f"{rel}#{i}", _pick(row, PATIENT_COLS) or "default", body, 0, 0, rel,
                       _pick(row, TYPE_COLS) or "", _pick(row, DATE_COLS) or "", {"row": i})
    else:
        for i, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                warn(f"{rel} line {i}: malformed JSON ({e.msg}); skipped")
                continue
            if not isinstance(row, dict):
                warn(f"{rel} line {i}: not an object; skipped")
                continue
            body = _pick(row, TEXT_COLS)
            if body is None:
                warn(f"{rel} line {i}: no text field; skipped")
                continue
            yield Note(_pick(row, ID_COLS) or f"{rel}#{i}", _pick(row, PATIENT_COLS) or "default", body, 0, 0, rel,
                       _pick(row, TYPE_COLS) or "", _pick(row, DATE_COLS) or "", {"row": i})
