"""Hard negatives (hardneg.py and the trainer's hard_negative_loss): BM25 from the same patient, no positive ever a
negative, the knowledge-graph filter (synonyms, abbreviations, hyponyms), determinism by seed, and a Stage II run."""
import json
import os
import random

import pytest
import torch

from drehr_train.chunker import Chunk, chunk_note
from drehr_train.graph import Concept, Graph, norm_term
from drehr_train.hardneg import HardNegativeMiner, add_hard_negatives
from drehr_train.notes import read_notes
from drehr_train.trainer import TrainParams, hard_negative_loss, pick_hard_negatives, prepare, prepare_hard


def small_graph() -> Graph:
    return Graph({
        "T:HF": Concept("T:HF", "heart failure", synonyms=["cardiac failure"], abbreviations=[("CHF", 1.0)], type="disease"),
        "T:CP": Concept("T:CP", "cor pulmonale", parents=["T:HF"], type="disease"),
        "T:DM": Concept("T:DM", "diabetes mellitus", abbreviations=[("DM", 1.0)], type="disease"),
    })


def C(cid, patient, text):
    return Chunk(cid, f"n-{cid}", patient, text, 0, len(text))


CHUNKS = [
    C("a1", "A", "Patient admitted with heart failure and leg edema."),
    C("a2", "A", "Heart rate regular. No failure to thrive. Lungs clear."),            # hard: shares words, no mention
    C("a3", "A", "Known CHF, heart size enlarged on the film."),                       # abbreviation: a false negative
    C("a4", "A", "Echo heart study suggests cor pulmonale."),                          # hyponym (graph): false negative
    C("a5", "A", "Worsening cardiac failure; heart sounds distant."),                  # synonym: false negative
    C("a6", "A", "Knee pain after a fall, no swelling."),                              # no shared word: not hard
    C("b1", "B", "Heart failure heart heart failure."),                                # another patient: never
]


def test_mines_same_patient_bm25_and_drops_graph_false_negatives():
    m = HardNegativeMiner(CHUNKS, small_graph(), seed=1)
    assert m.mine("a1", "heart failure", 5) == ["a2"]
    # without the graph only the literal string filters: the abbreviation, hyponym and synonym chunks come back
    m0 = HardNegativeMiner(CHUNKS, None, seed=1)
    assert set(m0.mine("a1", "heart failure", 5)) == {"a2", "a3", "a4", "a5"}
    # an entity the graph names through its abbreviation finds the same concept
    assert "a3" not in m.mine("a1", "CHF", 5)


def test_no_positive_is_ever_a_negative_on_the_demo_notes(fixture_model):
    from conftest import DEMO_NOTES
    notes = [n for n in read_notes(DEMO_NOTES)][:40]
    chunks = [c for n in notes for c in chunk_note(n)]
    rng = random.Random(7)
    records = []
    for c in chunks:
        words = c.text.lower().split()
        pos = sorted({" ".join(words[i:i + rng.choice([1, 2])]) for i in rng.sample(range(len(words) - 2), 4)})
        records.append({"chunk_id": c.id, "text": c.text, "positives": pos})
    counts = add_hard_negatives(records, chunks, small_graph(), 3, seed=3)
    assert counts["pairs_with_negative"] > 0
    owners = {}
    for r in records:
        for p in r["positives"]:
            owners.setdefault(norm_term(p), set()).add(r["chunk_id"])
    import re
    by_id = {c.id: c for c in chunks}
    checked = 0
    for r in records:
        for e, negs in r["hard_negatives"].items():
            assert len(negs) <= 3
            for cid, text in negs:
                checked += 1
                assert cid != r["chunk_id"] and cid not in owners[e], (e, cid)
                assert by_id[cid].patient_id == by_id[r["chunk_id"]].patient_id
                toks = " " + " ".join(re.findall(r"[a-z0-9]+", text.lower())) + " "
                assert " " + " ".join(re.findall(r"[a-z0-9]+", e)) + " " not in toks, (e, cid)
    assert checked > 50


def test_deterministic_by_seed_and_ties_follow_the_seed():
    twins = [C("x0", "P", "renal failure noted"), *[C(f"x{i}", "P", "renal function normal") for i in range(1, 7)]]
    orders = set()
    for seed in range(8):
        a = HardNegativeMiner(twins, None, seed=seed).mine("x0", "renal failure", 3)
        b = HardNegativeMiner(twins, None, seed=seed).mine("x0", "renal failure", 3)
        assert a == b and len(a) == 3
        orders.add(tuple(a))
    assert len(orders) > 1, "equal BM25 scores are ordered by the seed"


def test_trainer_picks_and_the_loss_pushes_hard_negatives_away():
    recs = [{"chunk_id": "a1", "text": "t1", "positives": ["Heart Failure", "edema"],
             "hard_negatives": {"heart failure": [["a2", "neg text"]]}},
            {"chunk_id": "z", "text": "t2", "positives": []}]
    assert prepare_hard(recs) == [{"heart failure": ["neg text"]}]
    assert len(prepare(recs)) == 1
    picked = pick_hard_negatives([["heart failure", "edema"]], prepare_hard(recs), 2, random.Random(0))
    assert picked == [("heart failure", "neg text")]
    # two entities, one chunk; the hard negative is closer to entity 0 than its positive chunk is
    ee = torch.nn.functional.normalize(torch.tensor([[1.0, 0.0], [0.0, 1.0]]), dim=1)
    ce = torch.nn.functional.normalize(torch.tensor([[0.8, 0.6]]), dim=1)
    he = torch.nn.functional.normalize(torch.tensor([[0.95, 0.05]]), dim=1).requires_grad_(True)
    pos = torch.tensor([[True, True]])
    loss = hard_negative_loss(ee, ce, he, pos, torch.tensor([0]), TrainParams())
    assert float(loss) > 0
    loss.backward()
    # descending the gradient lowers the hard negative's similarity to entity 0
    assert float(he.grad[0] @ ee[0]) > 0
    # no hard negative for any entity: no term
    assert float(hard_negative_loss(ee, ce, he[:0].detach(), pos, torch.tensor([], dtype=torch.long), TrainParams())) == 0.0


def test_train_setting_is_validated():
    assert TrainParams.from_dict({"hard_negatives": 2}).hard_negatives == 2
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match="hard_negatives"):
            TrainParams.from_dict({"hard_negatives": bad})


def test_stage2_runs_with_hard_negatives(fixture_model, tmp_path):
    from test_train import SMALL, notes_dir, run
    from drehr_train.stage2_data import text_hash
    notes = notes_dir(tmp_path)
    chunks = [c for n in read_notes(notes) for c in chunk_note(n)][:16]
    rows = [{"id": f"p{i}-{j}", "chunk_id": c.id, "chunk_hash": text_hash(c.text), "entity": e, "entity_type": "diagnosis",
             "produced_by": "test", "model": "none", "prompt_version": "1"}
            for i, c in enumerate(chunks) for j, e in enumerate(c.text.lower().split()[3:6])]
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    from test_train import graph_file
    out = str(tmp_path / "s2")
    r = run(["stage2", "--base", fixture_model, "--notes", notes, "--pairs", str(pairs), "--graph", graph_file(tmp_path),
             "--out", out, "--max-steps", "2", "--hard-negatives", "2", *SMALL], tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    stage = json.load(open(os.path.join(out, "model", "drehr.json")))["provenance"]["stages"][-1]
    assert stage["params"]["hard_negatives"] == 2
    hn = stage["data"]["hard_negatives"]
    assert hn["hard_negatives"] == 2 and hn["pairs_with_negative"] > 0
