"""End-to-end trainer runs on a tiny model: events, export parity, resume after kill -9, SIGTERM, DDP on gloo."""
import json
import os
import shutil
import signal
import subprocess
import sys

import pytest

from conftest import DEMO_NOTES, FIXTURE_MODEL, PY_ROOT
from drehr_train import checkpoint as ckpt

PY = sys.executable
SMALL = ["--max-passage", "48", "--max-query", "8", "--batch-size", "4", "--num-pos", "4", "--threads", "1"]


def notes_dir(tmp_path):
    """Six demo notes: enough chunks, fast to match."""
    d = tmp_path / "notes"
    if d.exists():
        return str(d)
    d.mkdir()
    srcs = sorted(p for p in os.listdir(DEMO_NOTES) if p.startswith("p0"))[:6]
    for p in srcs:
        shutil.copytree(os.path.join(DEMO_NOTES, p), d / p)
    return str(d)


def graph_file(tmp_path):
    from drehr_train.graph import DATA_DIR, build_graph
    p = str(tmp_path / "graph.jsonl.gz")
    if not os.path.exists(p):
        build_graph(DATA_DIR).save(p)
    return p


def run(args, tmp_path, **kw):
    env = dict(os.environ, PYTHONPATH=PY_ROOT)
    return subprocess.run([PY, "-m", "drehr_train", *args], cwd=PY_ROOT, env=env, capture_output=True, text=True,
                          timeout=kw.pop("timeout", 170), **kw)


def events(out: str):
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


@pytest.fixture(scope="module")
def shared_tmp(tmp_path_factory):
    return tmp_path_factory.mktemp("train")


def test_stage1_runs_to_the_end_and_exports_with_parity(shared_tmp, fixture_model):
    notes, g = notes_dir(shared_tmp), graph_file(shared_tmp)
    out = str(shared_tmp / "run1")
    r = run(["stage1", "--base", fixture_model, "--notes", notes, "--graph", g, "--out", out, "--max-steps", "4",
             "--checkpoint-every", "2", "--lexicon", *SMALL], shared_tmp)
    assert r.returncode == 0, r.stderr[-2000:]
    ev = events(r.stdout)
    kinds = [e["event"] for e in ev]
    assert kinds[0] == "start" and kinds[-1] == "done" and kinds.count("step") == 4 and "checkpoint" in kinds
    # The base's isotropy before the first step, as an evaluation at step 0.
    assert ev[1]["event"] == "eval" and ev[1]["step"] == 0 and -1 <= ev[1]["metrics"]["base_mean_cosine"] <= 1
    exp = next(e for e in ev if e["event"] == "export")
    if exp["parity_max_abs_diff"] is not None:
        assert exp["parity_max_abs_diff"] < 1e-4
    with open(os.path.join(out, "events.jsonl")) as f:
        assert [json.loads(x)["event"] for x in f] == kinds
    meta = json.load(open(os.path.join(out, "model", "drehr.json")))
    assert meta["trained"] and meta["provenance"]["steps"] == 4 and meta["provenance"]["stages"][0]["stage"] == "stage1"
    assert os.path.exists(os.path.join(out, "model", "lexicon.json.gz"))
    assert ckpt.latest(os.path.join(out, "checkpoints")).endswith("step-000004")


def test_resume_after_kill_9(shared_tmp, fixture_model):
    notes, g = notes_dir(shared_tmp), graph_file(shared_tmp)
    out = str(shared_tmp / "run-kill")
    env = dict(os.environ, PYTHONPATH=PY_ROOT)
    args = [PY, "-m", "drehr_train", "stage1", "--base", fixture_model, "--notes", notes, "--graph", g, "--out", out,
            "--max-steps", "400", "--checkpoint-every", "2", *SMALL]
    p = subprocess.Popen(args, cwd=PY_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    seen = 0
    for line in p.stdout:  # wait for the second checkpoint event, then kill -9 in the middle of training
        if '"checkpoint"' in line:
            seen += 1
            if seen == 2:
                break
    p.send_signal(signal.SIGKILL)
    p.wait()
    last = ckpt.latest(os.path.join(out, "checkpoints"))
    assert last is not None and last.endswith("step-000004")
    r = run(["stage1", "--base", fixture_model, "--notes", notes, "--graph", g, "--out", out, "--max-steps", "6",
             "--checkpoint-every", "2", *SMALL], shared_tmp)
    assert r.returncode == 0, r.stderr[-2000:]
    ev = events(r.stdout)
    assert ev[0]["event"] == "start" and ev[0]["start_step"] == 4
    assert [e["step"] for e in ev if e["event"] == "step"] == [5, 6]


def test_sigterm_checkpoints_and_exits_130(shared_tmp, fixture_model):
    notes, g = notes_dir(shared_tmp), graph_file(shared_tmp)
    out = str(shared_tmp / "run-term")
    env = dict(os.environ, PYTHONPATH=PY_ROOT)
    p = subprocess.Popen([PY, "-m", "drehr_train", "stage1", "--base", fixture_model, "--notes", notes, "--graph", g,
                          "--out", out, "--max-steps", "400", "--checkpoint-every", "1000", *SMALL],
                         cwd=PY_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines = []
    for line in p.stdout:
        lines.append(line)
        if '"step"' in line:
            p.send_signal(signal.SIGTERM)
            break
    rest, _ = p.communicate(timeout=120)
    assert p.returncode == 130
    ev = events("".join(lines) + rest)
    assert ev[-1]["event"] == "error" and "resumes" in ev[-1]["hint"]
    assert any(e["event"] == "checkpoint" for e in ev)
    assert ckpt.latest(os.path.join(out, "checkpoints")) is not None


def test_sighup_with_its_terminal_gone_still_checkpoints_and_records_the_end(shared_tmp, fixture_model):
    """VS Code's Terminate Task sends SIGHUP and closes the task's terminal: the trainer's stdout goes away. It must
    still write a checkpoint, exit 130 and leave an `interrupted` error event in events.jsonl."""
    notes, g = notes_dir(shared_tmp), graph_file(shared_tmp)
    out = str(shared_tmp / "run-hup")
    env = dict(os.environ, PYTHONPATH=PY_ROOT)
    p = subprocess.Popen([PY, "-m", "drehr_train", "stage1", "--base", fixture_model, "--notes", notes, "--graph", g,
                          "--out", out, "--max-steps", "400", "--checkpoint-every", "1000", *SMALL],
                         cwd=PY_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in p.stdout:
        if '"step"' in line:
            p.stdout.close()  # the terminal is gone: later writes to stdout fail with a broken pipe
            p.send_signal(signal.SIGHUP)
            break
    assert p.wait(timeout=120) == 130
    with open(os.path.join(out, "events.jsonl"), encoding="utf-8") as f:
        ev = [json.loads(x) for x in f if x.strip()]
    assert ev[-1]["event"] == "error" and ev[-1].get("interrupted") is True
    assert any(e["event"] == "checkpoint" for e in ev)
    assert ckpt.latest(os.path.join(out, "checkpoints")) is not None


def test_bad_inputs(shared_tmp, fixture_model, tmp_path):
    notes = notes_dir(shared_tmp)
    no_weights = tmp_path / "noweights"
    no_weights.mkdir()
    for f in ("config.json", "tokenizer.json"):
        shutil.copy(os.path.join(fixture_model, f), no_weights / f)
    r = run(["stage1", "--base", str(no_weights), "--notes", notes, "--out", str(tmp_path / "r"), *SMALL], tmp_path)
    assert r.returncode == 1 and "no weights" in events(r.stdout)[-1]["message"]
    r = run(["stage1", "--notes", notes, *SMALL], tmp_path)
    assert r.returncode == 2 and events(r.stdout)[-1]["event"] == "error"
    # a checkpoint of another architecture in the run folder
    other = tmp_path / "other-run"
    src = os.path.join(str(shared_tmp / "run1"), "checkpoints")
    if os.path.isdir(src):
        shutil.copytree(src, other / "checkpoints")
        cfg = json.load(open(os.path.join(fixture_model, "config.json")))
        big = tmp_path / "bigger"
        big.mkdir()
        cfg["hidden_size"] = 64
        json.dump(cfg, open(big / "config.json", "w"))
        shutil.copy(os.path.join(fixture_model, "tokenizer.json"), big / "tokenizer.json")
        r = run(["stage1", "--base", str(big), "--from-scratch", "--notes", notes, "--graph", graph_file(shared_tmp),
                 "--out", str(other), "--max-steps", "2", *SMALL], tmp_path)
        assert r.returncode == 1 and "another architecture" in events(r.stdout)[-1]["message"]


def test_torchrun_two_cpu_processes_on_gloo(shared_tmp, fixture_model):
    notes, g = notes_dir(shared_tmp), graph_file(shared_tmp)
    out = str(shared_tmp / "run-ddp")
    env = dict(os.environ, PYTHONPATH=PY_ROOT, OMP_NUM_THREADS="1")
    r = subprocess.run([PY, "-m", "drehr_train.torchrun", "--standalone", "--nproc_per_node", "2", "-m", "drehr_train",
                        "stage1", "--base", fixture_model, "--notes", notes, "--graph", g, "--out", out, "--device", "cpu",
                        "--max-steps", "3", "--checkpoint-every", "3", *SMALL],
                       cwd=PY_ROOT, env=env, capture_output=True, text=True, timeout=170)
    assert r.returncode == 0, r.stderr[-3000:]
    ev = events(r.stdout)
    start = next(e for e in ev if e["event"] == "start")
    assert start["world_size"] == 2
    assert [e["step"] for e in ev if e["event"] == "step"] == [1, 2, 3]   # one writer: rank 0
    assert ev[-1]["event"] == "done"


def test_stage2_with_pairs_and_labels_and_all_noise_refusal(shared_tmp, fixture_model, tmp_path):
    from drehr_train.chunker import chunk_note
    from drehr_train.notes import read_notes
    from drehr_train.stage2_data import text_hash
    notes = notes_dir(shared_tmp)
    chunks = [c for n in read_notes(notes) for c in chunk_note(n)][:12]
    pairs = tmp_path / "pairs.jsonl"
    rows = [{"id": f"p{i}-{j}", "chunk_id": c.id, "chunk_hash": text_hash(c.text), "entity": e, "entity_type": "diagnosis",
             "produced_by": "test", "model": "none", "prompt_version": "1"}
            for i, c in enumerate(chunks) for j, e in enumerate(c.text.lower().split()[3:6])]
    pairs.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    labels = tmp_path / "labels.jsonl"
    labels.write_text(json.dumps({"pair_id": rows[0]["id"], "label": "noise", "reviewer": "t", "time": "x"}) + "\n")
    out = str(tmp_path / "s2")
    r = run(["stage2", "--base", fixture_model, "--notes", notes, "--pairs", str(pairs), "--labels", str(labels),
             "--out", out, "--max-steps", "2", *SMALL], tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    meta = json.load(open(os.path.join(out, "model", "drehr.json")))
    assert meta["provenance"]["stages"][-1]["data"]["pairs"]["noise"] == 1
    labels.write_text("\n".join(json.dumps({"pair_id": x["id"], "label": "noise", "reviewer": "t", "time": "x"})
                                for x in rows) + "\n")
    r = run(["stage2", "--base", fixture_model, "--notes", notes, "--pairs", str(pairs), "--labels", str(labels),
             "--out", str(tmp_path / "s2b"), "--max-steps", "2", *SMALL], tmp_path)
    assert r.returncode == 1 and "labelled noise" in events(r.stdout)[-1]["message"]
