"""The benchmark builder: term grading, negation, longest match, query selection, file output."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from drehr_train.benchmark import (  # noqa: E402
    Lexicon, build, build_lexicon, grade_chunk, mtsamples_heldout, negated, query_terms, tokens, write_benchmark,
)
from drehr_train.graph import Concept, Graph  # noqa: E402
from drehr_train.notes import Note  # noqa: E402


def small_graph() -> Graph:
    C = [
        Concept("D:1", "diabetes mellitus", synonyms=["DM", "sugar diabetes"], abbreviations=[("DM", 0.9)], type="disease"),
        Concept("D:2", "type 2 diabetes mellitus", synonyms=["adult onset diabetes"], abbreviations=[("T2DM", 1.0)],
                parents=["D:1"], type="disease"),
        Concept("D:3", "diabetes insipidus", type="disease"),
        Concept("D:4", "hypertension", synonyms=["high blood pressure"], abbreviations=[("HTN", 0.95)], type="disease"),
        Concept("D:5", "multiple sclerosis", abbreviations=[("MS", 0.3)], type="disease"),
        Concept("R:1", "metformin", synonyms=["glucophage"], type="drug"),
        Concept("P:1", "appendectomy", type="procedure"),
    ]
    g = Graph({c.id: c for c in C})
    g.invalidate()
    return g


def test_abbreviation_is_graded_before_synonym():
    grades = query_terms(small_graph(), "D:1")
    assert grades[("DM",)] == "abbreviation"  # listed both as synonym and short form
    assert grades[("diabetes", "mellitus")] == "string"
    assert grades[("sugar", "diabetes")] == "synonym"
    assert grades[("type", "2", "diabetes", "mellitus")] == "hyponym"
    assert grades[("T2DM",)] == "hyponym"
    assert grades[("adult", "onset", "diabetes")] == "hyponym"
    assert ("diabetes", "insipidus") not in grades


def test_rare_sense_abbreviation_is_not_graded():
    assert ("MS",) not in query_terms(small_graph(), "D:5")


def test_longest_match_keeps_diabetes_insipidus_apart():
    lex = build_lexicon(small_graph())
    keys = [m.key for m in lex.mentions("History of diabetes insipidus and type 2 diabetes mellitus.")]
    assert keys == [("diabetes", "insipidus"), ("type", "2", "diabetes", "mellitus")]


def test_short_forms_only_as_written_in_capitals():
    lex = build_lexicon(small_graph())
    assert [m.key for m in lex.mentions("Pt with HTN and DM2, dm")] == [("HTN",)]


def test_negation_within_a_few_words_before_and_same_sentence():
    low = [t.lower() for t in tokens("Patient denies chest pain or hypertension")]
    assert negated(low, low.index("hypertension"))
    low = [t.lower() for t in tokens("No fever. Hypertension is controlled")]
    assert not negated(low, low.index("hypertension"))
    low = [t.lower() for t in tokens("negative for appendicitis , hypertension")]
    assert negated(low, low.index("appendicitis"))
    low = [t.lower() for t in tokens("no acute distress was seen today in this patient with hypertension")]
    assert not negated(low, low.index("hypertension"))  # the cue is more than 5 words before


def test_grade_chunk_takes_the_best_non_negated_type():
    g = small_graph()
    lex = build_lexicon(g)
    grades = query_terms(g, "D:1")
    assert grade_chunk(lex.mentions("T2DM on metformin; sugar diabetes for years"), grades) == "synonym"
    assert grade_chunk(lex.mentions("without diabetes mellitus. Has T2DM"), grades) == "hyponym"
    assert grade_chunk(lex.mentions("denies diabetes mellitus"), grades) is None
    assert grade_chunk(lex.mentions("DM and diabetes mellitus"), grades) == "string"


def _note(nid: str, body: str) -> Note:
    return Note(nid, "p-" + nid, body, 0, 0, nid + ".md")


def test_build_selects_queries_and_writes_cliniq_layout(tmp_path):
    filler = " ".join(f"w{i}" for i in range(150))  # two chunks a note: [0, 100) and [90, end)
    notes = [
        _note("a", f"HTN controlled. {filler} She takes metformin for type 2 diabetes mellitus."),
        _note("b", f"high blood pressure noted. {filler} no appendectomy"),
        _note("c", f"diabetes mellitus and hypertension. glucophage daily. {filler}"),
    ]
    queries, qrels, stats = build(notes, small_graph(), {"disease": 5, "procedure": 5, "drug": 5}, min_notes=2,
                                  log=lambda m: None)
    texts = {q["text"]: q for q in queries}
    # appendectomy is only mentioned negated; diabetes mellitus is named directly in one note only (a has a hyponym)
    assert set(texts) == {"hypertension", "metformin"}
    by_q = {}
    for qid, chunk, typ in qrels:
        by_q.setdefault(qid, {})[chunk] = typ
    assert by_q[texts["hypertension"]["query_id"]] == {"a::0": "abbreviation", "b::0": "synonym", "c::0": "string"}
    assert by_q[texts["metformin"]["query_id"]] == {"a::1": "string", "c::0": "synonym"}
    queries1, qrels1, _ = build(notes, small_graph(), {"disease": 5, "procedure": 5, "drug": 5}, min_notes=1,
                                log=lambda m: None)
    dm = next(q["query_id"] for q in queries1 if q["text"] == "diabetes mellitus")
    assert {c: t for q, c, t in qrels1 if q == dm} == {"a::1": "hyponym", "c::0": "string"}
    assert "appendectomy" not in {q["text"] for q in queries1}
    write_benchmark(str(tmp_path), "t", "test", queries, qrels, stats)
    meta = json.loads((tmp_path / "bench.json").read_text())
    assert meta["chunking"] == {"words": 100, "overlap": 10, "minWords": 50} and meta["chunker"] == "drehr-chunker-1"
    lines = (tmp_path / "qrels.tsv").read_text().splitlines()
    assert all(len(line.split("\t")) == 3 for line in lines) and len(lines) == len(qrels)
    q0 = json.loads((tmp_path / "queries.jsonl").read_text().splitlines()[0])
    assert set(q0) >= {"query_id", "text", "type"}
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]


def test_mtsamples_split_is_stable_and_about_a_fifth():
    texts = [f"note number {i} text" for i in range(2000)]
    share = sum(map(mtsamples_heldout, texts)) / len(texts)
    assert 0.17 < share < 0.23
    assert mtsamples_heldout("a  b\nc") == mtsamples_heldout("a b c")


def test_graph_short_forms_in_any_case_match_only_capitals_in_text():
    lex = Lexicon()
    lex.add_short("htn")
    lex.add_short("bp+")
    lex.add_short("hypertens")
    assert lex.short == {"HTN"}
    assert [m.key for m in lex.mentions("htn but HTN")] == [("HTN",)]


def test_capitals_in_a_heading_are_not_short_forms():
    g = small_graph()
    g.concepts["D:6"] = Concept("D:6", "acute lymphoblastic leukemia", abbreviations=[("all", 0.9)], type="disease")
    lex = build_lexicon(g)
    assert [m.key for m in lex.mentions("REVIEW OF ALL SYSTEMS: negative")] == []
    assert [m.key for m in lex.mentions("History: ALL in remission, HTN, DM")] == [("ALL",), ("HTN",), ("DM",)]


def test_a_synonym_written_as_a_short_form_is_an_abbreviation():
    g = Graph({"P:2": Concept("P:2", "electrocardiography", synonyms=["ekg"], abbreviations=[("ekg", 1.0)],
                              type="procedure")})
    lex = build_lexicon(g)
    grades = query_terms(g, "P:2")
    assert grade_chunk(lex.mentions("EKG showed sinus rhythm"), grades) == "abbreviation"
    assert grade_chunk(lex.mentions("an ekg was done"), grades) == "synonym"


# --- the real-CliniQ mapping script (cliniq.py), on a made-up MIMIC-like sample -----------------------------------
def _cliniq_chunks(text: str, size: int = 100, overlap: int = 10) -> list[str]:
    """Stand-in for CliniQ's CharacterTextSplitter: word windows of clean_text (the real one needs langchain)."""
    from drehr_train.cliniq import clean_text
    ws = clean_text(text).split(" ")
    out, i = [], 0
    while i < len(ws):
        out.append(" ".join(ws[i:i + size]))
        if i + size >= len(ws):
            break
        i += size - overlap
    return out


def test_cliniq_mapping_moves_labels_to_our_chunks(tmp_path):
    from drehr_train import cliniq
    import csv as _csv
    body = " ".join(f"w{i}" for i in range(60)) + " Admission Date: [**2101-1-1**] pneumonia " + \
        " ".join(f"x{i}" for i in range(200)) + "\n\nheparin given " + " ".join(f"y{i}" for i in range(40))
    ne = tmp_path / "NOTEEVENTS.csv"
    with open(ne, "w", newline="") as f:
        w = _csv.DictWriter(f, fieldnames=["ROW_ID", "HADM_ID", "CATEGORY", "TEXT"])
        w.writeheader()
        w.writerow({"ROW_ID": "1", "HADM_ID": "100", "CATEGORY": "Nursing", "TEXT": "not this"})
        w.writerow({"ROW_ID": "2", "HADM_ID": "100", "CATEGORY": "Discharge summary", "TEXT": body})
        w.writerow({"ROW_ID": "3", "HADM_ID": "100", "CATEGORY": "Discharge summary", "TEXT": "second copy, ignored"})
        w.writerow({"ROW_ID": "4", "HADM_ID": "200", "CATEGORY": "Discharge summary", "TEXT": "not in the test set"})
    b = tmp_path / "CliniQ" / "benchmark"
    b.mkdir(parents=True)
    (b / "test_hadm_ids.txt").write_text("100\n")
    chunks = _cliniq_chunks(body)
    (b / "corpus.jsonl").write_text("".join(json.dumps({"_id": f"100_{i}", "text": t}) + "\n" for i, t in enumerate(chunks)))
    pn = next(i for i, t in enumerate(chunks) if "pneumonia" in t)
    hep = max(i for i, t in enumerate(chunks) if "heparin" in t)
    (b / "queries_disease.jsonl").write_text('{"_id": "1", "text": "pneumonia"}\n')
    (b / "queries_procedure.jsonl").write_text("")
    (b / "queries_drug.jsonl").write_text('{"_id": "1", "text": "heparin"}\n')
    (b / "qrels_disease.tsv").write_text(f"1\t100_{pn}\tstring\n1\t100_99\tsynonym\n")
    (b / "qrels_procedure.tsv").write_text("")
    (b / "qrels_drug.tsv").write_text(f"1\t100_{hep}\tstring\n")
    out = tmp_path / "out"
    assert cliniq.main(["--noteevents", str(ne), "--cliniq", str(tmp_path / "CliniQ"), "--out", str(out)]) == 0
    rows = list(_csv.DictReader(open(out / "notes" / "discharge.csv", newline="")))
    assert [r["note_id"] for r in rows] == ["100"] and rows[0]["text"] == body
    from drehr_train.chunker import chunk_note
    from drehr_train.notes import read_notes
    ours = {c.id: c.text for n in read_notes(str(out / "notes")) for c in chunk_note(n)}
    qrels = [line.split("\t") for line in (out / "qrels.tsv").read_text().splitlines()]
    by_q = {}
    for q, c, t in qrels:
        by_q.setdefault(q, {})[c] = t
    assert set(by_q) == {"D1", "R1"}
    # every chunk of ours that got the label holds the labelled word or shares half a CliniQ chunk with it
    assert any("pneumonia" in ours[c] for c in by_q["D1"])
    assert any("heparin" in ours[c] for c in by_q["R1"])
    assert all(c in ours for c in by_q["D1"]) and all(c in ours for c in by_q["R1"])
    stats = json.loads((out / "bench.json").read_text())["counts"]
    assert stats["labels_lost"] == 1  # 100_99 is not a CliniQ chunk
    assert stats["unmapped_chunks"] == 0
    qs = [json.loads(line) for line in (out / "queries.jsonl").read_text().splitlines()]
    assert {(q["query_id"], q["type"]) for q in qs} == {("D1", "disease"), ("R1", "drug")}


def test_cliniq_targets_best_and_half_overlaps():
    from drehr_train.cliniq import targets
    assert targets([("0", 80), ("1", 20)], 100) == ["0"]
    assert targets([("0", 50), ("1", 50)], 100) == ["0", "1"]
    assert targets([("2", 30), ("3", 10)], 100) == ["2"]


def test_cliniq_exact_mode_keeps_cliniq_chunks_as_notes_grouped_by_admission(tmp_path):
    from drehr_train import cliniq
    from drehr_train.chunker import chunk_note
    from drehr_train.notes import read_notes
    b = tmp_path / "CliniQ" / "benchmark"
    b.mkdir(parents=True)
    texts = {"100_0": "pt with sepsis " + " ".join(f"a{i}" for i in range(97)), "100_1": "b c d", "200_0": "no sepsis today"}
    (b / "corpus.jsonl").write_text("".join(json.dumps({"_id": k, "text": v}) + "\n" for k, v in texts.items()))
    (b / "test_hadm_ids.txt").write_text("100\n200\n")
    (b / "queries_disease.jsonl").write_text('{"_id": "7", "text": "sepsis"}\n')
    for n in ("queries_procedure.jsonl", "queries_drug.jsonl", "qrels_procedure.tsv", "qrels_drug.tsv"):
        (b / n).write_text("")
    (b / "qrels_disease.tsv").write_text("7\t100_0\tstring\n7\t100_0\tsynonym\n7\t999_1\tstring\n7\t200_0\tweird\n")
    out = tmp_path / "exact"
    assert cliniq.main(["--mode", "exact", "--cliniq", str(tmp_path / "CliniQ"), "--out", str(out)]) == 0
    ours = {c.id: (c.patient_id, c.text) for n in read_notes(str(out / "notes")) for c in chunk_note(n)}
    assert ours == {"100_0::0": ("100", texts["100_0"]), "100_1::0": ("100", "b c d"), "200_0::0": ("200", "no sepsis today")}
    assert (out / "qrels.tsv").read_text() == "D7\t100_0::0\tstring\n"
    meta = json.loads((out / "bench.json").read_text())
    assert meta["single"] == "patient" and meta["counts"]["labels_lost"] == 2
