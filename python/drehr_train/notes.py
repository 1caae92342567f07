"""Reads notes as docs/CONTRACTS.md defines them: .txt/.md files (optional YAML front matter) and .csv/.jsonl exports.

Only the standard library; yields Note records with the text the chunker sees and the offset of that text in its
source (front matter is skipped; offsets of .md/.txt chunks are offsets in the whole file).
"""
from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass, field
from typing import Iterator


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


_FM_OPEN = re.compile(r"---[ \t]*\r?\n")
_FM_CLOSE = re.compile(r"^---[ \t]*(\r?\n|$)", re.M)
_FM_KEY = re.compile(r"([A-Za-z_][\w-]*)[ \t]*:[ \t]*(.*?)[ \t]*$")


def _front_matter(text: str) -> tuple[dict, int]:
    """(fields, offset of the body), by the rules of src/sidecar/notes/frontmatter.ts: a first line `---`, flat
    `key: value` lines, a closing `---` line (trailing blanks allowed on both); quotes around a whole value are
    removed, else a ` #` comment is. Unclosed: no front matter."""
    m = _FM_OPEN.match(text)
    if not m:
        return {}, 0
    rest = text[m.end():]
    close = _FM_CLOSE.search(rest)
    if not close:
        return {}, 0
    fields: dict = {}
    for line in re.split(r"\r?\n", rest[:close.start()]):
        kv = _FM_KEY.fullmatch(line)
        if not kv:
            continue
        v = kv.group(2)
        if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'":
            v = v[1:-1]
        elif " #" in v:
            v = v[:v.index(" #")].rstrip()
        fields[kv.group(1)] = v
    return fields, m.end() + close.end()


@dataclass
class CsvRecord:
    """One CSV record: fields, or an error with the lines it spans (src/sidecar/notes/csv.ts, same rules)."""
    row: int
    fields: list = field(default_factory=list)
    error: str = ""
    first_line: int = 0
    last_line: int = 0
    resumed_at: int | None = None


class _Broken(Exception):
    pass


def _csv_record(s: str, pos: int) -> tuple[list, int]:
    """One RFC 4180 record from `pos` (strict quoting, as csv-parse reads it). Returns (fields, end after its
    terminator); raises _Broken with the reason."""
    fields = []
    n = len(s)
    while True:
        if pos < n and s[pos] == '"':
            value = []
            i = pos + 1
            while True:
                q = s.find('"', i)
                if q < 0:
                    raise _Broken("has a quote that is never closed")
                value.append(s[i:q])
                if s.startswith('"', q + 1):
                    value.append('"')
                    i = q + 2
                    continue
                i = q + 1
                break
            fields.append("".join(value))
            pos = i
            c = s[pos] if pos < n else ""
            if c == ",":
                pos += 1
                continue
            if c not in ("", "\n", "\r"):
                raise _Broken("has text after a closing quote")
        else:
            j = pos
            while j < n and s[j] not in ',\r\n':
                if s[j] == '"':
                    raise _Broken("has a quote inside an unquoted field")
                j += 1
            fields.append(s[pos:j])
            pos = j
            if pos < n and s[pos] == ",":
                pos += 1
                continue
        if s.startswith("\r\n", pos):
            pos += 2
        elif pos < n:
            pos += 1
        return fields, pos


def _skip_blank(s: str, pos: int) -> int:
    while pos < len(s) and s[pos] in "\r\n":
        pos += 1
    return pos


def _is_row(line: str, width: int) -> bool:
    try:
        fields, end = _csv_record(line, _skip_blank(line, 0))
    except _Broken:
        return False
    return len(fields) == width and _skip_blank(line, end) >= len(line)


def parse_csv(text: str) -> tuple[list, list]:
    """(header, records). Row 1 is the first record after the header; blank lines are not records. A record with
    the wrong field count is an error row; a broken record (bad quoting) is an error row spanning the lines up to
    the next line that alone parses as a row of the header's width, where reading resumes. Same as csv.ts."""
    import bisect
    if text.startswith("\ufeff"):
        text = text[1:]
    starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    line_of = lambda off: bisect.bisect_right(starts, off)  # noqa: E731 (1-based line of a char offset)
    header = None
    records: list = []
    row = 0
    pos = 0
    n = len(text)
    while True:
        pos = _skip_blank(text, pos)
        if pos >= n:
            break
        first = line_of(min(pos, n - 1))
        try:
            fields, end = _csv_record(text, pos)
        except _Broken as b:
            if header is None:
                raise ValueError(f"the header line {b}") from None
            resume = None
            for ln in range(first + 1, len(starts) + 1):
                a = starts[ln - 1]
                e = starts[ln] if ln < len(starts) else n
                if a < e and _is_row(text[a:e], len(header)):
                    resume = ln
                    break
            row += 1
            last = resume - 1 if resume is not None else line_of(n - 1)
            records.append(CsvRecord(row, error=str(b), first_line=first, last_line=last, resumed_at=resume))
            pos = starts[resume - 1] if resume is not None else n
            continue
        pos = end
        if header is None:
            header = [h.strip() for h in fields]
            continue
        row += 1
        if len(fields) != len(header):
            records.append(CsvRecord(row, error=f"has {len(fields)} fields, the header has {len(header)}",
                                     first_line=first, last_line=line_of(max(end - 1, 0))))
        else:
            records.append(CsvRecord(row, fields, first_line=first, last_line=first))
    return header or [], records


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
        try:
            header, records = parse_csv(text)
        except ValueError as e:
            warn(f"skipped {rel}: not a readable CSV ({e})")
            return
        parent = os.path.dirname(rel)
        fallback_patient = os.path.basename(parent) if parent else "default"
        seen: set[str] = set()
        for rec in records:
            if rec.error:
                warn(f"{rel} row {rec.row} (lines {rec.first_line}-{rec.last_line}): {rec.error}; skipped")
                continue
            row = {h: (v.strip() if h not in TEXT_COLS else v) for h, v in zip(header, rec.fields)}
            body = _pick(row, TEXT_COLS)
            if body is None or not body.strip():
                warn(f"{rel} row {rec.row}: no note text; skipped")
                continue
            note_id = _pick(row, ID_COLS) or f"{rel}#{rec.row}"
            if note_id in seen:
                note_id = f"{note_id}#{rec.row}"
            seen.add(note_id)
            yield Note(note_id, _pick(row, PATIENT_COLS) or fallback_patient, body, 0, 0, rel,
                       _pick(row, TYPE_COLS) or "", _pick(row, DATE_COLS) or "", {"row": rec.row})
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
