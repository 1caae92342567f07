"""The CSV reader agrees with the TypeScript one (src/sidecar/notes/csv.ts) on malformed exports: which rows
survive, their numbers, and the broken spans (test/fixtures/csv-recovery.json is written from the TypeScript side)."""
import json
import os

from drehr_train.notes import parse_csv, read_note_file

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURE = os.path.join(REPO, "test", "fixtures", "csv-recovery.json")


def test_recovers_like_the_typescript_reader():
    cases = json.load(open(FIXTURE, encoding="utf-8"))
    assert len(cases) >= 8
    for c in cases:
        header, records = parse_csv(c["csv"])
        got = [{"row": r.row, "error": r.error, "firstLine": r.first_line, "lastLine": r.last_line, "resumedAt": r.resumed_at}
               if r.error else {"row": r.row, "fields": r.fields} for r in records]
        assert {"header": header, "records": got} == {"header": c["header"], "records": c["records"]}, c["csv"]


def test_unclosed_quote_keeps_the_later_rows(tmp_path):
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "a.csv").write_text('subject_id,note_id,text\ns01,m01,knee pain one\ns02,m02,"knee pain never closed\n'
                                          's03,m03,knee pain three\ns04,m04,knee pain four\n')
    warnings = []
    notes = list(read_note_file(str(tmp_path), "r/a.csv", warn=warnings.append))
    assert [(n.note_id, n.meta["row"]) for n in notes] == [("m01", 1), ("m03", 3), ("m04", 4)]
    assert len(warnings) == 1 and "row 2" in warnings[0] and "knee" not in warnings[0]


def test_rows_without_patient_take_the_folder_and_repeated_ids_get_the_row(tmp_path):
    (tmp_path / "p7").mkdir()
    (tmp_path / "p7" / "x.csv").write_text("note_id,text\na,one\na,two\n")
    notes = list(read_note_file(str(tmp_path), "p7/x.csv", warn=lambda m: None))
    assert [(n.note_id, n.patient_id) for n in notes] == [("a", "p7"), ("a#2", "p7")]


def test_front_matter_rules_match_the_typescript_reader():
    from drehr_train.notes import _front_matter
    # expected values are what src/sidecar/notes/frontmatter.ts returns for the same inputs
    cases = [("---\npatient_id: p1\nnote_id: \"n # x\"\ndate: 2030 # c\n---\nbody", {"patient_id": "p1", "note_id": "n # x", "date": "2030"}, 55),
             ("--- \r\na: b\r\n---  \r\nbody", {"a": "b"}, 19), ("---\na: b\n", {}, 0), ("x\n---\n", {}, 0),
             ("---\nweird line\nk-2:  'v' \n---\n", {"k-2": "v"}, 30)]
    for text, fields, off in cases:
        assert _front_matter(text) == (fields, off), text
