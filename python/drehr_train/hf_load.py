"""Loads a base model folder: ours (drehr.json + model.safetensors) or a Hugging Face BERT checkpoint
(config.json + model.safetensors or pytorch_model.bin, tokenizer.json or vocab.txt), e.g. bge-base-en-v1.5 or
THUMedInfo/DR.EHR-small. A folder with neither weights file but an ONNX graph (onnx/model.onnx, e.g. models/demo)
loads its weights from the graph's initializers (onnx_load.py). HF parameter names map onto model.BertEncoder by dropping the "bert." prefix and the
pooler/MLM heads; old TF-style names (LayerNorm.gamma/beta) are renamed."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass

import torch

from .model import BertConfig, BertEncoder
from .safetensors_io import load_safetensors
from .tokenizer import Tokenizer, tokenizer_json


@dataclass
class Base:
    model: BertEncoder
    tokenizer_json: dict
    tokenizer: Tokenizer
    meta: dict            # pooling, normalize, max_length, prefix (from drehr.json or defaults)
    path: str
    weights: str | None   # the weights file loaded (.safetensors, .bin or .onnx), None when started from scratch


def map_hf_state(sd: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    out = {}
    for k, v in sd.items():
        if k.startswith("bert."):
            k = k[5:]
        elif k.startswith("model."):
            k = k[6:]
        if k.startswith(("pooler.", "cls.")) or k.endswith("position_ids"):
            continue
        k = k.replace("LayerNorm.gamma", "LayerNorm.weight").replace("LayerNorm.beta", "LayerNorm.bias")
        out[k] = v.float()
    return out


def _read_json(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise ValueError(f"{path} is not valid JSON ({e})") from e


def load_tokenizer_json(folder: str) -> dict:
    tj = os.path.join(folder, "tokenizer.json")
    if os.path.exists(tj):
        data = _read_json(tj)
        Tokenizer.from_json(data, tj)  # validates
        return data
    vt = os.path.join(folder, "vocab.txt")
    if os.path.exists(vt):
        with open(vt, encoding="utf-8") as f:
            tokens = [line.rstrip("\n") for line in f]
        tj = tokenizer_json([t for t in tokens if t])
        cfg_path = os.path.join(folder, "tokenizer_config.json")
        if os.path.exists(cfg_path) and _read_json(cfg_path).get("do_lower_case") is False:
            tj["normalizer"]["lowercase"] = False
        return tj
    raise ValueError(f"{folder} has no tokenizer.json or vocab.txt; a model folder needs its tokenizer")


def _pooling_of(folder: str) -> str:
    p = os.path.join(folder, "1_Pooling", "config.json")  # sentence-transformers layout
    if os.path.exists(p):
        cfg = _read_json(p)
        if cfg.get("pooling_mode_cls_token"):
            return "cls"
    return "mean" if os.path.exists(p) else "cls"


def load_base(folder: str, from_scratch: bool = False, seed: int = 0) -> Base:
    folder = os.path.abspath(folder)
    if not os.path.isdir(folder):
        raise ValueError(f"base model folder {folder} does not exist")
    cfg_path = os.path.join(folder, "config.json")
    if not os.path.exists(cfg_path):
        raise ValueError(f"{folder} has no config.json; a BERT model folder needs one (Hugging Face BertConfig)")
    config = BertConfig.from_dict(_read_json(cfg_path))
    tj = load_tokenizer_json(folder)
    tok = Tokenizer.from_json(tj)
    if len(tok) > config.vocab_size:
        raise ValueError(f"{folder}: the tokenizer has {len(tok)} pieces but config.json vocab_size is {config.vocab_size}")
    meta_path = os.path.join(folder, "drehr.json")
    meta_onnx = None
    if os.path.exists(meta_path):
        d = _read_json(meta_path)
        meta_onnx = d.get("onnx") if isinstance(d.get("onnx"), str) else None
        meta = {"pooling": d.get("pooling", "mean"), "normalize": d.get("normalize", True),
                "max_length": d.get("max_length", {"passage": 160, "query": 16}),
                "prefix": d.get("prefix", {"query": "", "passage": ""}), "id": d.get("id"), "provenance": d.get("provenance")}
    else:
        meta = {"pooling": _pooling_of(folder), "normalize": True, "max_length": {"passage": 160, "query": 16},
                "prefix": {"query": "", "passage": ""}, "id": os.path.basename(folder), "provenance": None}
    torch.manual_seed(seed)
    model = BertEncoder(config)
    weights = None
    if not from_scratch:
        for name in ("model.safetensors", "pytorch_model.bin"):
            p = os.path.join(folder, name)
            if os.path.exists(p):
                weights = p
                break
        onnx_rel = meta_onnx or "onnx/model.onnx"
        if weights is None and os.path.exists(os.path.join(folder, onnx_rel)):
            weights = os.path.join(folder, onnx_rel)
        if weights is None:
            raise ValueError(f"{folder} has no weights (model.safetensors, pytorch_model.bin or {onnx_rel}); "
                             "give a folder with weights, or start from scratch (train.from_scratch / --from-scratch)")
        if weights.endswith(".onnx"):
            from .onnx_load import onnx_state_dict
            sd = onnx_state_dict(weights, {k: v.shape for k, v in model.state_dict().items()})
        elif weights.endswith(".safetensors"):
            sd = load_safetensors(weights)
        else:
            try:
                sd = torch.load(weights, map_location="cpu")
            except Exception as e:  # noqa: BLE001 - pickle errors vary
                raise ValueError(f"cannot read {weights}: {e}") from e
        sd = map_hf_state(sd)
        own = model.state_dict()
        missing = [k for k in own if k not in sd]
        bad_shape = [f"{k} {tuple(sd[k].shape)} vs {tuple(own[k].shape)}" for k in own if k in sd and sd[k].shape != own[k].shape]
        if missing or bad_shape:
            raise ValueError(f"{weights} does not fit config.json: "
                             + (f"missing {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}; " if missing else "")
                             + (f"shape mismatch {', '.join(bad_shape[:5])}" if bad_shape else ""))
        model.load_state_dict({k: sd[k] for k in own})
    return Base(model, tj, tok, meta, folder, weights)
