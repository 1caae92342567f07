"""serve-encoder: the binary framing end to end (a real child process), embeddings against reference.json, the
simulated out-of-memory budget, bad frames and start-up failures as error frames."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import PY_ROOT

from drehr_train.serve_encoder import (DTYPE_FLOAT16, DTYPE_FLOAT32, DTYPE_INT32, DTYPE_JSON, FATAL, HEADER,
                                       KIND_EMBED, KIND_EMBEDDINGS, KIND_ERROR, KIND_HELLO)

pytestmark = pytest.mark.skipif(__import__("conftest").torch is None, reason="needs torch")


class Child:
    def __init__(self, model: str, *args: str, env: dict | None = None):
        e = {**os.environ, "PYTHONPATH": PY_ROOT, "OMP_NUM_THREADS": "1", **(env or {})}
        self.p = subprocess.Popen([sys.executable, "-m", "drehr_train", "serve-encoder", "--model", model,
                                   "--device", "cpu", "--threads", "1", *args],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e)

    def read(self):
        head = self.p.stdout.read(HEADER.size)
        assert len(head) == HEADER.size, f"no frame; stderr: {self.p.stderr.read().decode()[-2000:]}"
        size, kind, dtype, _, batch_id, rows, cols = HEADER.unpack(head)
        body = self.p.stdout.read(size)
        assert len(body) == size
        if dtype == DTYPE_JSON:
            return kind, batch_id, json.loads(body)
        if dtype in (DTYPE_FLOAT32, DTYPE_FLOAT16):
            return kind, batch_id, np.frombuffer(body, "<f4" if dtype == DTYPE_FLOAT32 else "<f2").reshape(rows, cols)
        raise AssertionError(f"unexpected dtype {dtype}")

    def send(self, batch_id: int, seqs: list[list[int]], pad: int = 0) -> None:
        rows, cols = len(seqs), max(len(s) for s in seqs)
        ids = np.full((rows, cols), pad, dtype="<i4")
        mask = np.zeros((rows, cols), dtype="<i4")
        for i, s in enumerate(seqs):
            ids[i, :len(s)] = s
            mask[i, :len(s)] = 1
        body = ids.tobytes() + mask.tobytes()
        self.p.stdin.write(HEADER.pack(len(body), KIND_EMBED, DTYPE_INT32, 0, batch_id, rows, cols) + body)
        self.p.stdin.flush()

    def close(self) -> int:
        self.p.stdin.close()
        rc = self.p.wait(timeout=60)
        self.p.stdout.close()
        self.p.stderr.close()
        return rc


def reference(model: str):
    with open(os.path.join(model, "reference.json"), encoding="utf-8") as f:
        return json.load(f)["texts"]


def test_hello_then_embeddings_match_reference(fixture_model):
    c = Child(fixture_model)
    kind, _, hello = c.read()
    assert kind == KIND_HELLO
    assert hello["device"] == "cpu" and hello["dtype"] == "fp32" and hello["dim"] == 32 and hello["torch"]
    assert hello["devices"] == 0  # CUDA devices the child sees: the sidecar starts one worker per device
    texts = reference(fixture_model)
    # one padded batch per kind, answered in order with the batch ids sent
    for bid, kind_name in ((7, "query"), (8, "passage")):
        c.send(bid, [t["input_ids"] for t in texts if t["kind"] == kind_name])
    for bid, kind_name in ((7, "query"), (8, "passage")):
        kind, got_id, vecs = c.read()
        assert (kind, got_id) == (KIND_EMBEDDINGS, bid)
        want = np.array([t["embedding"] for t in texts if t["kind"] == kind_name], dtype=np.float32)
        assert vecs.shape == want.shape
        assert float(np.abs(vecs - want).max()) < 1e-4
    assert c.close() == 0


def test_fp16_output(fixture_model):
    c = Child(fixture_model, "--out-dtype", "fp16")
    c.read()
    t = reference(fixture_model)[0]
    c.send(1, [t["input_ids"]])
    kind, _, vecs = c.read()
    assert kind == KIND_EMBEDDINGS and vecs.dtype == np.float16
    assert float(np.abs(vecs[0].astype(np.float32) - np.array(t["embedding"])).max()) < 2e-3
    assert c.close() == 0


def test_simulated_oom_is_an_error_frame_and_the_child_goes_on(fixture_model):
    c = Child(fixture_model, env={"DREHR_SERVE_TOKEN_BUDGET": "20"})
    assert c.read()[2]["token_budget"] == 20
    c.send(3, [[2, 100, 101, 102, 3]] * 5)  # 25 tokens > 20
    kind, bid, err = c.read()
    assert (kind, bid, err["code"]) == (KIND_ERROR, 3, "oom")
    c.send(4, [[2, 100, 101, 102, 3]] * 2)
    kind, bid, vecs = c.read()
    assert (kind, bid, vecs.shape) == (KIND_EMBEDDINGS, 4, (2, 32))
    assert c.close() == 0


def test_a_wrong_frame_is_answered_and_skipped(fixture_model):
    c = Child(fixture_model)
    c.read()
    c.p.stdin.write(HEADER.pack(4, 9, DTYPE_INT32, 0, 5, 1, 1) + b"\0\0\0\0")
    c.send(6, [[2, 3]])
    kind, bid, err = c.read()
    assert (kind, bid, err["code"]) == (KIND_ERROR, 5, "frame")
    assert c.read()[:2] == (KIND_EMBEDDINGS, 6)
    assert c.close() == 0


def test_start_up_failures_are_fatal_error_frames(fixture_model, tmp_path):
    c = Child(str(tmp_path / "nope"))
    kind, bid, err = c.read()
    assert (kind, bid, err["code"]) == (KIND_ERROR, FATAL, "load") and "does not exist" in err["message"]
    assert c.close() == 1
    c = Child(fixture_model, "--dtype", "fp16")
    kind, bid, err = c.read()
    assert (kind, bid, err["code"]) == (KIND_ERROR, FATAL, "load") and "CUDA" in err["message"]
    assert c.close() == 1
