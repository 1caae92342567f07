"""Stage I positives (never hyponyms, counts configurable, coverage) and Stage II pairs (labels, refusals)."""
import json
import random

import pytest

from drehr_train.chunker import Chunk
from drehr_train.graph import Concept, Graph
from drehr_train.stage1_data import build_stage1, positives_for
from drehr_train.stage2_data import build_stage2, map_keywords, text_hash
from drehr_train.trie import EntityMatcher


def graph():
    return Graph({
        "D:0": Concept("D:0", "heart disease", [], [], [], type="disease"),
        "D:1": Concept("D:1", "heart failure", ["cardiac failure", "cardiac insufficiency", "heart insufficiency"],
                       [("hf", 0.9)], ["D:0"], ["M:1"], type="disease"),
        "D:2": Concept("D:2", "congestive heart failure", [], [], ["D:1"], type="disease"),
        "M:1": Concept("M:1", "myocardial failure", [], [], [], ["D:1"], type="disease"),
    })


def test_positives_never_include_hyponyms_and_respect_counts():
    g = graph()
    pos = positives_for(g, "D:1", random.Random(0), n_syn=2, n_hyper=2, n_rel=2)
    assert pos[0] == "heart failure"
    assert "congestive heart failure" not in pos           # a hyponym
    assert "heart disease" in pos and "myocardial failure" in pos
    assert len([p for p in pos if "cardiac" in p or "insufficiency" in p]) == 2
    assert positives_for(g, "D:1", random.Random(0), n_syn=0, n_hyper=0, n_rel=0) == ["heart failure"]


def test_build_stage1_and_coverage():
    g = graph()
    chunks = [Chunk("n::0", "n", "p", "History of heart failure.", 0, 10), Chunk("n::1", "n", "p", "Nothing here.", 0, 5)]
    recs, rep = build_stage1(chunks, g, EntityMatcher(g), seed=1)
    assert [r["chunk_id"] for r in recs] == ["n::0"]
    assert rep["chunks"] == 2 and rep["chunks_with_entity"] == 1 and rep["share_with_entity"] == 0.5
    assert rep["entities_by_kind"] == {"name": 1}


def write_pairs(tmp_path, chunks, labels=None):
    pairs = tmp_path / "pairs.jsonl"
    rows = []
    for i, (cid, ent) in enumerate([("a::0", "asthma"), ("a::0", "albuterol"), ("a::1", "knee pain")]):
        rows.append({"id": f"p{i}", "chunk_id": cid, "chunk_hash": text_hash(chunks[cid].text)[:16], "entity": ent,
                     "entity_type": "diagnosis", "produced_by": "test", "model": "none", "prompt_version": "1"})
    pairs.write_text("\n".join(json.dumps(r) for r in rows) + "\n{broken\n")
    lab = None
    if labels is not None:
        lab = tmp_path / "labels.jsonl"
        lab.write_text("\n".join(json.dumps(x) for x in labels) + "\n")
    return str(pairs), (str(lab) if lab else None)


def chunks():
    return {"a::0": Chunk("a::0", "a", "p", "Asthma on albuterol.", 0, 1), "a::1": Chunk("a::1", "a", "p", "Knee pain.", 0, 1)}


def test_stage2_latest_label_wins_and_noise_is_dropped(tmp_path):
    ch = chunks()
    labels = [{"pair_id": "p1", "label": "noise", "reviewer": "r", "time": "t1"},
              {"pair_id": "p0", "label": "noise", "reviewer": "r", "time": "t1"},
              {"pair_id": "p0", "label": "valid", "reviewer": "r", "time": "t2"}]
    p, lab = write_pairs(tmp_path, ch, labels)
    warns = []
    recs, counts = build_stage2(p, lab, ch, 16, warns.append)
    assert {r["chunk_id"]: r["positives"] for r in recs} == {"a::0": ["asthma"], "a::1": ["knee pain"]}
    assert counts["noise"] == 1 and any("pairs.jsonl:4" in w for w in warns)


def test_stage2_refuses_empty_and_all_noise(tmp_path):
    ch = chunks()
    labels = [{"pair_id": f"p{i}", "label": "noise", "reviewer": "r", "time": "t"} for i in range(3)]
    p, lab = write_pairs(tmp_path, ch, labels)
    with pytest.raises(ValueError, match="3 labelled noise"):
        build_stage2(p, lab, ch)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(ValueError, match="no pairs"):
        build_stage2(str(empty), None, ch)


def test_stage2_skips_changed_chunks(tmp_path):
    ch = chunks()
    p, _ = write_pairs(tmp_path, ch)
    ch["a::1"] = Chunk("a::1", "a", "p", "Edited text.", 0, 1)
    recs, counts = build_stage2(p, None, ch)
    assert counts["changed_chunk"] == 1 and [r["chunk_id"] for r in recs] == ["a::0"]


def test_stage2_reads_the_label_log_header_and_unlabel(tmp_path):
    ch = chunks()
    labels = [{"format": "drehr-labels", "version": 1},
              {"pair_id": "p1", "label": "noise", "reviewer": "r", "time": "t1"},
              {"pair_id": "p0", "label": "noise", "reviewer": "r", "time": "t1", "sample": {"seed": 1, "rank": 0}},
              {"pair_id": "p0", "label": "unlabel", "reviewer": "r", "time": "t2"}]
    p, lab = write_pairs(tmp_path, ch, labels)
    recs, counts = build_stage2(p, lab, ch)
    # p0's noise label was undone: only p1 is dropped.
    assert counts["noise"] == 1
    assert {r["chunk_id"]: r["positives"] for r in recs} == {"a::0": ["asthma"], "a::1": ["knee pain"]}


def test_stage2_refuses_a_newer_label_log(tmp_path):
    ch = chunks()
    p, lab = write_pairs(tmp_path, ch, [{"format": "drehr-labels", "version": 2}])
    with pytest.raises(ValueError, match="newer DR.EHR"):
        build_stage2(p, lab, ch)


def test_keyword_mapping():
    cs = [Chunk("m::0", "m", "p", "Laparoscopic cholecystectomy was performed for cholelithiasis.", 0, 1),
          Chunk("m::1", "m", "p", "The gallbladder was removed. Vicryl sutures.", 0, 1)]
    m = map_keywords(cs, ["laparoscopic cholecystectomy", "cholecystectomy, laparoscopic", "vicryl", "appendix"])
    assert m["m::0"] == [("laparoscopic cholecystectomy", "string"), ("cholecystectomy, laparoscopic", "words")]
    assert m["m::1"] == [("vicryl", "string")]


MTSAMPLES_FIXTURE = "fixtures/mtsamples-synthetic.csv"


@pytest.mark.parametrize("source", ["fixture", "shared"])
def test_mtsamples_training_split_excludes_the_heldout_benchmark_notes(source):
    """The two split implementations (stage2_data.mtsamples_split on the dedup key, benchmark.mtsamples_heldout on
    the text) agree note for note. Always runs on the shipped synthetic fixture (43 rows in MTSamples' columns, six
    re-filed under another specialty with other whitespace, one empty); also on the real MTSamples when present."""
    import os
    from conftest import HERE, SHARED
    from drehr_train.benchmark import mtsamples_heldout
    from drehr_train.stage2_data import mtsamples_notes, mtsamples_split
    csv_path = os.path.join(HERE, MTSAMPLES_FIXTURE) if source == "fixture" else os.path.join(SHARED, "notes", "mtsamples.csv")
    if not os.path.exists(csv_path):
        pytest.skip("../shared/data/notes/mtsamples.csv is not present (development data, never shipped); "
                    "the synthetic fixture case covers the same check")
    notes = mtsamples_notes(csv_path)
    assert len({key for _, _, key in notes}) == len(notes)                  # deduplicated
    assert all((mtsamples_split(key) == "test") == mtsamples_heldout(n.text) for n, _, key in notes)
    splits = {mtsamples_split(key) for _, _, key in notes}
    assert splits == {"test", "train"}                                      # both sides exercised
    if source == "fixture":
        assert len(notes) == 36                                             # 43 rows - 6 re-filed copies - 1 empty
        merged = [kws for n, kws, _ in notes if "follow up" in kws]
        assert len(merged) == 6                                             # the copies' keywords were merged in
