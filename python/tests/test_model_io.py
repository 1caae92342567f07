"""Model I/O: safetensors without the package, Hugging Face checkpoint loading, export parity, MLM, vocabulary."""
import json
import os
import shutil
import signal
import struct
from collections import Counter

import pytest
import torch

from drehr_train import checkpoint as ckpt
from drehr_train.export import default_meta, ort_parity, write_model_folder
from drehr_train.hf_load import load_base
from drehr_train.model import BertConfig, BertEncoder, pool
from drehr_train.safetensors_io import load_safetensors, save_safetensors
from drehr_train.tokenizer import Tokenizer
from drehr_train.vocab import build_vocab


def tiny(vocab=64):
    torch.manual_seed(0)
    return BertEncoder(BertConfig(vocab_size=vocab, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                                  intermediate_size=32, max_position_embeddings=64))


def test_safetensors_roundtrip_and_bf16(tmp_path):
    t = {"a": torch.randn(3, 4), "b": torch.arange(5, dtype=torch.int64)}
    p = str(tmp_path / "x.safetensors")
    save_safetensors(t, p, {"format": "pt"})
    back = load_safetensors(p)
    assert torch.equal(back["a"], t["a"]) and torch.equal(back["b"], t["b"])
    # a bf16 tensor written by hand (the layout HF checkpoints use)
    v = torch.tensor([1.5, -2.0], dtype=torch.bfloat16)
    raw = v.view(torch.int16).numpy().tobytes()
    hdr = json.dumps({"w": {"dtype": "BF16", "shape": [2], "data_offsets": [0, len(raw)]}}).encode()
    with open(tmp_path / "bf.safetensors", "wb") as f:
        f.write(struct.pack("<Q", len(hdr)) + hdr + raw)
    assert load_safetensors(str(tmp_path / "bf.safetensors"))["w"].tolist() == [1.5, -2.0]
    with open(tmp_path / "trunc.safetensors", "wb") as f:
        f.write(struct.pack("<Q", 999) + b"{}")
    with pytest.raises(ValueError, match="truncated"):
        load_safetensors(str(tmp_path / "trunc.safetensors"))


def hf_folder(tmp_path, fixture_model, model, fmt="bin"):
    d = tmp_path / f"hf-{fmt}"
    d.mkdir()
    cfg = model.config.to_hf()
    (d / "config.json").write_text(json.dumps(cfg))
    vocab = json.load(open(os.path.join(fixture_model, "tokenizer.json")))["model"]["vocab"]
    (d / "vocab.txt").write_text("\n".join(sorted(vocab, key=vocab.get)[: cfg["vocab_size"]]) + "\n")
    sd = {}
    for k, v in model.state_dict().items():  # HF names: "bert." prefix, TF-era gamma/beta, pooler and MLM heads
        k = k.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta")
        sd["bert." + k] = v.clone()
    sd["bert.pooler.dense.weight"] = torch.zeros(16, 16)
    sd["cls.predictions.bias"] = torch.zeros(cfg["vocab_size"])
    sd["bert.embeddings.position_ids"] = torch.arange(64)[None]
    if fmt == "bin":
        torch.save(sd, d / "pytorch_model.bin")
    else:
        save_safetensors(sd, str(d / "model.safetensors"))
    return str(d)


@pytest.mark.parametrize("fmt", ["bin", "safetensors"])
def test_loads_hugging_face_checkpoints(tmp_path, fixture_model, fmt):
    m = tiny()
    base = load_base(hf_folder(tmp_path, fixture_model, m, fmt))
    ids = torch.tensor([[2, 10, 11, 3]])
    mask = torch.ones_like(ids)
    m.eval()
    base.model.eval()
    assert torch.allclose(base.model(ids, mask), m(ids, mask), atol=1e-6)
    assert base.meta["pooling"] == "cls"  # a plain HF folder: DR.EHR-small and bge use CLS pooling


def test_matches_transformers_bert_when_installed():
    transformers = pytest.importorskip("transformers")
    m = tiny()
    hf = transformers.BertModel(transformers.BertConfig(**m.config.to_hf()), add_pooling_layer=False).eval()
    hf.load_state_dict(m.state_dict(), strict=False)
    ids = torch.tensor([[2, 10, 11, 3, 0]])
    mask = torch.tensor([[1, 1, 1, 1, 0]])
    assert torch.allclose(hf(input_ids=ids, attention_mask=mask).last_hidden_state, m.eval()(ids, mask), atol=1e-5)


def test_bad_base_folders(tmp_path, fixture_model):
    with pytest.raises(ValueError, match="does not exist"):
        load_base(str(tmp_path / "nope"))
    d = tmp_path / "noconfig"
    d.mkdir()
    with pytest.raises(ValueError, match="config.json"):
        load_base(str(d))
    other = tmp_path / "other"
    shutil.copytree(fixture_model, other)
    cfg = json.load(open(other / "config.json"))
    cfg["hidden_size"] = 64
    json.dump(cfg, open(other / "config.json", "w"))
    with pytest.raises(ValueError, match="does not fit config.json"):
        load_base(str(other))


def test_export_reference_ids_and_parity(tmp_path, fixture_model):
    base = load_base(fixture_model)
    out = str(tmp_path / "model")
    meta = write_model_folder(base.model, base.tokenizer_json, out, default_meta(32, False, "t", "t"))
    assert meta["id"].startswith("drehr-") and os.path.exists(os.path.join(out, "onnx", "model.onnx"))
    tok = Tokenizer.from_file(os.path.join(out, "tokenizer.json"))
    ref = json.load(open(os.path.join(out, "reference.json")))
    for t in ref["texts"]:
        assert t["input_ids"] == tok.encode(t["text"], meta["max_length"][t["kind"]])
        v = torch.tensor(t["embedding"])
        assert abs(float(v.norm()) - 1.0) < 1e-5
    diff = ort_parity(out)
    if diff is None:
        pytest.skip("node or onnxruntime-node is not available for the parity check")
    assert diff < 1e-4


def test_mlm_pretraining_lowers_the_loss(fixture_model):
    from drehr_train.mlm import pretrain
    base = load_base(fixture_model, from_scratch=True)
    texts = ["the patient has hypertension and diabetes"] * 8
    first = pretrain(base.model, base.tokenizer, texts, 1, batch_size=4, max_length=16, lr=1e-3)["loss"]
    later = pretrain(base.model, base.tokenizer, texts, 30, batch_size=4, max_length=16, lr=1e-3)["loss"]
    assert later < first


def test_vocabulary_is_deterministic_and_covers_the_words():
    counts = Counter({"hypertension": 5, "hyperlipidemia": 3, "tension": 2, "hypo": 1})
    v1, v2 = build_vocab(counts, 60, min_char_freq=1), build_vocab(counts, 60, min_char_freq=1)
    assert v1 == v2 and v1[:5] == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = Tokenizer({t: i for i, t in enumerate(v1)})
    assert tok.unk_id not in tok.tokenize_ids("hypertension hyperlipidemia hypo")


def test_mean_and_cls_pooling():
    h = torch.tensor([[[1.0, 0.0], [3.0, 0.0], [100.0, 100.0]]])
    mask = torch.tensor([[1, 1, 0]])
    assert pool(h, mask, "mean", False).tolist() == [[2.0, 0.0]]
    assert pool(h, mask, "cls", True).tolist() == [[1.0, 0.0]]


class _KillAt:
    """Events that send this process SIGTERM once step `at` is reported (a run stopped from outside mid-way)."""
    def __init__(self, at):
        self.at, self.seen = at, []

    def emit(self, event, **fields):
        self.seen.append((event, fields))
        if event == "step" and fields["step"] == self.at:
            os.kill(os.getpid(), signal.SIGTERM)


def test_mlm_checkpoints_and_a_stopped_run_resumes_to_the_same_weights(fixture_model, tmp_path):
    from drehr_train.mlm import pretrain
    from drehr_train.trainer import Interrupted
    texts = ["the patient has hypertension and diabetes", "no chest pain, mild dyspnea on exertion",
             "metformin 500 mg twice daily", "denies fever or cough"] * 3
    kw = dict(batch_size=4, max_length=16, lr=1e-3, seed=7, checkpoint_every=2)

    torch.manual_seed(0)
    whole = load_base(fixture_model, from_scratch=True, seed=1)
    done = pretrain(whole.model, whole.tokenizer, texts, 6, ckpt_dir=str(tmp_path / "whole"), **kw)
    assert done["steps"] == 6 and not done["stopped_early"]
    assert ckpt.latest(str(tmp_path / "whole")).endswith("step-000006")

    torch.manual_seed(0)
    first = load_base(fixture_model, from_scratch=True, seed=1)
    ev = _KillAt(3)
    with pytest.raises(Interrupted):
        pretrain(first.model, first.tokenizer, texts, 6, ckpt_dir=str(tmp_path / "cut"), events=ev, **kw)
    assert ckpt.latest(str(tmp_path / "cut")).endswith("step-000003")  # checkpointed on the signal
    assert ("checkpoint", 3) in [(e, f.get("step")) for e, f in ev.seen]

    torch.manual_seed(123)  # a new process: its own global RNG; the checkpoint restores the run's
    again = load_base(fixture_model, from_scratch=True, seed=99)  # other initial weights: the checkpoint replaces them
    ev2 = _KillAt(-1)
    res = pretrain(again.model, again.tokenizer, texts, 6, ckpt_dir=str(tmp_path / "cut"), events=ev2, **kw)
    assert res["steps"] == 6 and ev2.seen[0][1]["start_step"] == 3
    assert [f["step"] for e, f in ev2.seen if e == "step"] == [4, 5, 6]
    a, b = whole.model.state_dict(), again.model.state_dict()
    assert max(float((a[k] - b[k]).abs().max()) for k in a) < 1e-5
    assert abs(res["loss"] - done["loss"]) < 1e-5
