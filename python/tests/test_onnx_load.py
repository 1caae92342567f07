"""Weights read back from an exported ONNX graph (onnx_load.py): exact against the safetensors they were exported
from, a round trip load -> export -> load that gives the same tensors, and the shipped demo model (no safetensors)
as a base whose PyTorch embeddings equal its reference.json."""
import json
import os
import shutil

import pytest
import torch

from conftest import REPO
from drehr_train.export import default_meta, ort_parity, write_model_folder
from drehr_train.hf_load import load_base, map_hf_state
from drehr_train.onnx_load import onnx_state_dict
from drehr_train.safetensors_io import load_safetensors

onnx = pytest.importorskip("onnx", reason="python3-onnx is not installed (reading ONNX weights needs it)")

DEMO = os.path.join(REPO, "models", "demo")


def _onnx_only(src: str, dst: str) -> str:
    """A copy of a model folder without its weights files, so load_base must read the ONNX graph."""
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("model.safetensors", "pytorch_model.bin"))
    return dst


def _roundtrip(folder: str, tmp_path) -> None:
    base = load_base(folder)
    assert base.weights and base.weights.endswith(os.path.join("onnx", "model.onnx"))
    first = {k: v.clone() for k, v in base.model.state_dict().items()}
    out = str(tmp_path / "reexported")
    write_model_folder(base.model, base.tokenizer_json, out, default_meta(base.model.config.hidden_size, True, "rt", "rt"),
                       write_weights=False)
    again = load_base(out)
    assert again.weights.endswith(".onnx")
    second = again.model.state_dict()
    assert set(first) == set(second)
    for k in first:
        assert torch.equal(first[k], second[k]), k
    diff = ort_parity(out)  # the re-exported graph in onnxruntime-node against PyTorch
    if diff is not None:
        assert diff < 1e-4


def test_fixture_onnx_weights_equal_its_safetensors(fixture_model):
    base = load_base(fixture_model)  # from model.safetensors
    own = base.model.state_dict()
    sd = onnx_state_dict(os.path.join(fixture_model, "onnx", "model.onnx"), {k: v.shape for k, v in own.items()})
    st = map_hf_state(load_safetensors(os.path.join(fixture_model, "model.safetensors")))
    assert set(sd) == set(own)
    for k in own:
        assert torch.equal(sd[k], st[k]), k  # untrained: zero biases and unit LayerNorms are deduplicated in the graph


def test_fixture_roundtrip_from_onnx(fixture_model, tmp_path):
    _roundtrip(_onnx_only(fixture_model, str(tmp_path / "fixture")), tmp_path)


@pytest.mark.skipif(not os.path.exists(os.path.join(DEMO, "onnx", "model.onnx")), reason="models/demo is not in this checkout")
def test_demo_model_is_a_base_and_roundtrips(tmp_path):
    from drehr_train.export import embed
    assert not os.path.exists(os.path.join(DEMO, "model.safetensors"))
    base = load_base(DEMO)
    ref = json.load(open(os.path.join(DEMO, "reference.json"), encoding="utf-8"))
    worst = 0.0
    for r in ref["texts"]:
        e = embed(base.model, base.tokenizer, [r["text"]], base.meta["max_length"][r["kind"]], base.meta["pooling"])[0]
        worst = max(worst, float((e - torch.tensor(r["embedding"])).abs().max()))
    assert worst < 1e-5  # reference.json holds the training run's PyTorch embeddings rounded to 7 digits
    _roundtrip(DEMO, tmp_path)


def test_graph_that_does_not_fit_the_config_is_refused(fixture_model, tmp_path):
    folder = _onnx_only(fixture_model, str(tmp_path / "bigger"))
    cfg_path = os.path.join(folder, "config.json")
    cfg = json.load(open(cfg_path))
    cfg["num_hidden_layers"] = cfg["num_hidden_layers"] + 1
    json.dump(cfg, open(cfg_path, "w"))
    with pytest.raises(ValueError, match=r"parameters could not be found in the ONNX graph \(encoder\.layer\.1\."):
        load_base(folder)


def test_folder_without_any_weights_says_so(fixture_model, tmp_path):
    folder = _onnx_only(fixture_model, str(tmp_path / "none"))
    shutil.rmtree(os.path.join(folder, "onnx"))
    with pytest.raises(ValueError, match="has no weights"):
        load_base(folder)
