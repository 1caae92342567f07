#!/usr/bin/env python3
"""Writes a small UNTRAINED but valid model folder (docs/CONTRACTS.md) for tests and for the demo before training.

Run from the repository root with Debian's Python (torch): `/usr/bin/python3 scripts/make_fixture_model.py
[--out test/fixtures/untrained-model] [--hidden 32 --layers 1 --heads 2 --ff 64 --vocab-size 8000]`. (models/demo
holds the trained demo model: scripts/train_demo_model.sh.) Deterministic: the vocabulary
is built from the demo notes (demo/notes: .md files and the CSV's text column) and the weights come from seed 0.
"""
import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))

import torch  # noqa: E402

from drehr_train.export import default_meta, ort_parity, write_model_folder  # noqa: E402
from drehr_train.model import BertConfig, BertEncoder  # noqa: E402
from drehr_train.notes import read_notes  # noqa: E402
from drehr_train.tokenizer import tokenizer_json  # noqa: E402
from drehr_train.vocab import build_vocab, count_words  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "test", "fixtures", "untrained-model"))
    ap.add_argument("--notes", default=os.path.join(ROOT, "demo", "notes"))
    ap.add_argument("--vocab-size", type=int, default=8000)
    ap.add_argument("--hidden", type=int, default=32)
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--heads", type=int, default=2)
    ap.add_argument("--ff", type=int, default=64)
    ap.add_argument("--no-weights", action="store_true", help="leave out model.safetensors")
    a = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    texts = [n.text for n in read_notes(a.notes)]
    if not texts:
        print(f"no notes under {a.notes}", file=sys.stderr)
        return 1
    tokens = build_vocab(count_words(texts), a.vocab_size)
    cfg = BertConfig(vocab_size=len(tokens), hidden_size=a.hidden, num_hidden_layers=a.layers,
                     num_attention_heads=a.heads, intermediate_size=a.ff, max_position_embeddings=512)
    model = BertEncoder(cfg)
    meta = default_meta(a.hidden, False, "DR.EHR untrained fixture",
                        "Untrained fixture (random weights): valid model folder for tests, not for search quality")
    meta["provenance"]["data"] = {"vocabulary": f"{len(texts)} demo notes ({a.notes and 'demo/notes'})"}
    meta = write_model_folder(model, tokenizer_json(tokens), a.out, meta, id_prefix="drehr-fixture",
                              write_weights=not a.no_weights, created="2026-01-01T00:00:00+00:00")
    diff = ort_parity(a.out)
    print(f"wrote {a.out}: id {meta['id']}, vocab {len(tokens)}, hidden {a.hidden}, layers {a.layers}; "
          f"onnxruntime parity max abs diff {diff if diff is not None else 'not checked (node or onnxruntime-node missing)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
