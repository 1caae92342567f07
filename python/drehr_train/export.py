"""Writes a model folder (docs/CONTRACTS.md "Model folder"): ONNX, tokenizer.json, config.json, drehr.json,
reference.json, model.safetensors and optionally lexicon.json.gz. The folder is built in a temp folder next to
the target and renamed into place, so a crash never leaves a half-written model.
"""
from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import warnings

import torch

from .fsutil import replace_dir, write_json_atomic
from .model import BertEncoder, pool
from .safetensors_io import save_safetensors
from .tokenizer import Tokenizer

# Reference texts: queries (with clinical abbreviations) and passages; no patient data.
REFERENCE_TEXTS = [
    ("query", "htn"),
    ("query", "CHF exacerbation"),
    ("query", "type 2 diabetes mellitus"),
    ("query", "s/p CABG x3, on ASA 81 mg"),
    ("query", "shortness of breath"),
    ("query", "COPD"),
    ("query", "MI"),
    ("query", "knee pain after a fall"),
    ("passage", "The patient is a 67-year-old male with a history of HTN, DM2 and CAD s/p PCI who presents with "
                "worsening dyspnea on exertion and bilateral lower extremity edema. BNP was elevated."),
    ("passage", "ASSESSMENT AND PLAN: 1. Congestive heart failure exacerbation. Increase furosemide to 40 mg b.i.d. "
                "and recheck a BMP in one week. 2. Hypertension, well controlled on lisinopril."),
    ("passage", "Right knee: mild effusion, tenderness over the medial joint line, negative Lachman, "
                "full range of motion. X-ray shows no fracture. Café-au-lait spot on the left thigh."),
    ("passage", "PHYSICAL EXAMINATION: Lungs clear to auscultation bilaterally. Heart regular rate and rhythm, no murmurs. "
                "Abdomen soft, nontender. Neuro: A&O x3, no focal deficits. " * 3),
    ("passage", "Short."),
]


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class _OnnxWrapper(torch.nn.Module):
    def __init__(self, enc: BertEncoder):
        super().__init__()
        self.enc = enc

    def forward(self, input_ids, attention_mask):
        return self.enc(input_ids, attention_mask)


def export_onnx(model: BertEncoder, path: str, opset: int = 14) -> None:
    model = model.eval().float().cpu()
    ids = torch.tensor([[2, 10, 11, 12, 3], [2, 13, 3, 0, 0]], dtype=torch.long)
    mask = (ids != 0).long()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(_OnnxWrapper(model), (ids, mask), path, opset_version=opset,
                          input_names=["input_ids", "attention_mask"], output_names=["last_hidden_state"],
                          dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                                        "last_hidden_state": {0: "batch", 1: "seq"}},
                          do_constant_folding=True)
    try:
        import onnx
        onnx.checker.check_model(onnx.load(path))
    except ImportError:
        pass


@torch.no_grad()
def embed(model: BertEncoder, tok: Tokenizer, texts: list[str], max_length: int, pooling: str = "mean",
          normalize: bool = True, batch_size: int = 32, device: str = "cpu") -> torch.Tensor:
    model.eval()
    out = []
    for i in range(0, len(texts), batch_size):
        enc = tok.batch(texts[i:i + batch_size], max_length)
        ids = torch.tensor(enc.input_ids, device=device)
        mask = torch.tensor(enc.attention_mask, device=device)
        out.append(pool(model(ids, mask).float(), mask, pooling, normalize).cpu())
    return torch.cat(out) if out else torch.zeros(0, model.config.hidden_size)


def reference(model: BertEncoder, tok: Tokenizer, meta: dict) -> dict:
    texts = []
    for kind, text in REFERENCE_TEXTS:
        full = meta["prefix"][kind] + text
        ml = meta["max_length"][kind]
        ids = tok.encode(full, ml)
        emb = embed(model, tok, [full], ml, meta["pooling"], meta["normalize"])[0]
        texts.append({"text": text, "kind": kind, "input_ids": ids, "embedding": [round(float(x), 7) for x in emb]})
    return {"texts": texts}


def default_meta(dim: int, trained: bool, name: str, description: str, pooling: str = "mean") -> dict:
    return {"format": 1, "id": "", "name": name, "trained": trained, "description": description, "pooling": pooling,
            "normalize": True, "dim": dim, "max_length": {"passage": 160, "query": 16},
            "prefix": {"query": "", "passage": ""}, "onnx": "onnx/model.onnx",
            "provenance": {"base": None, "stages": [], "data": {}, "steps": 0, "metrics": {},
                           "created": "", "tool": "drehr_train"}}


def write_model_folder(model: BertEncoder, tokenizer_json: dict, out_dir: str, meta: dict, id_prefix: str = "drehr",
                       lexicon: dict | None = None, write_weights: bool = True, created: str | None = None) -> dict:
    """Builds the whole folder in a temp dir and renames it into place. Returns the final drehr.json."""
    model = model.eval().float().cpu()
    parent = os.path.dirname(os.path.abspath(out_dir))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".export-", dir=parent)
    try:
        tok = Tokenizer.from_json(tokenizer_json)
        with open(os.path.join(tmp, "tokenizer.json"), "w", encoding="utf-8") as f:
            json.dump(tokenizer_json, f, ensure_ascii=False, indent=None, separators=(",", ":"))
        with open(os.path.join(tmp, "config.json"), "w", encoding="utf-8") as f:
            json.dump(model.config.to_hf(), f, indent=2)
        onnx_path = os.path.join(tmp, meta.get("onnx", "onnx/model.onnx"))
        export_onnx(model, onnx_path)
        meta = json.loads(json.dumps(meta))
        meta["id"] = f"{id_prefix}-{sha256_file(onnx_path)[:12]}"
        meta["dim"] = model.config.hidden_size
        meta["provenance"]["created"] = created or datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
        if write_weights:
            save_safetensors(model.state_dict(), os.path.join(tmp, "model.safetensors"), {"format": "pt"})
        if lexicon is not None:
            import gzip
            with gzip.GzipFile(os.path.join(tmp, "lexicon.json.gz"), "wb", mtime=0) as g:
                g.write(json.dumps(lexicon, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
            meta["lexicon"] = "lexicon.json.gz"
        else:
            meta.pop("lexicon", None)
        with open(os.path.join(tmp, "reference.json"), "w", encoding="utf-8") as f:
            json.dump(reference(model, tok, meta), f, ensure_ascii=False)
        with open(os.path.join(tmp, "drehr.json"), "w", encoding="utf-8") as f:
            json.dump(meta, f, indent=2, ensure_ascii=False)
            f.write("\n")
        replace_dir(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return meta


def ort_parity(model_dir: str, node: str = "node", timeout: float = 120) -> float | None:
    """Max abs difference between onnxruntime-node and reference.json (python/tests/ort_parity.js).

    Returns None when node or onnxruntime-node is not available (the caller reports that)."""
    script = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "ort_parity.js")
    if not os.path.exists(script) or shutil.which(node) is None:
        return None
    env = {**os.environ, "ORT_DISABLE_TELEMETRY": os.environ.get("ORT_DISABLE_TELEMETRY") or "1"}  # no ORT telemetry
    r = subprocess.run([node, script, model_dir], capture_output=True, text=True, timeout=timeout, env=env,
                       cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    if r.returncode != 0:
        if "Cannot find module" in r.stderr:
            return None
        raise RuntimeError(f"onnxruntime parity check failed: {r.stderr.strip()[-500:]}")
    return float(json.loads(r.stdout.strip().splitlines()[-1])["max_abs_diff"])
