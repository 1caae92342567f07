"""The torch engine on a CUDA GPU against a bare fp16 PyTorch forward of the same model on the same batches.

For each model (the demo model, and a BERT-base-size model with random weights, 110 M parameters):
  bare     model.half() on the GPU, torch.inference_mode, the pre-tokenized length-sorted batches already padded
           as tensors: host-to-device copy + forward, nothing else (the ceiling).
  engine   `python -m drehr_train serve-encoder --device cuda --dtype fp16` driven over its binary framing exactly as
           the sidecar drives it: length-sorted batches cut by token budget, padded into int32 frames in the timed
           loop, IN_FLIGHT frames outstanding (back-pressure), embeddings read back (fp32). Python side alone: no Node.
  index    (with --node, when node and dist/cli.js exist) `drehr index --engine torch` end to end on a notes folder
           of about the same number of chunks: read, chunk, tokenize, embed, write to LanceDB.
Target (issue 9): engine (and index) chunks/s >= 0.8 x bare.

Usage (from the repository root, on the GPU machine; PyTorch with CUDA, numpy, optionally onnx for the BERT-base
export that --node needs):
  python bench/engines_cuda.py --chunks 100000 --out bench/ENGINES-CUDA.md [--node]
Smoke test on CPU (what this machine can run): python bench/engines_cuda.py --device cpu --dtype fp32 --chunks 300
  --models demo,tiny
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "python"))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from drehr_train.serve_encoder import (DTYPE_INT32, HEADER, KIND_EMBED, KIND_EMBEDDINGS, KIND_ERROR,  # noqa: E402
                                       KIND_HELLO)

SIZES = {  # name -> (hidden, layers, heads, ff)
    "bert-base": (768, 12, 12, 3072),
    "tiny": (64, 2, 2, 128),
}


def corpus(n: int, max_length: int, tok) -> list[list[int]]:
    from drehr_train.chunker import chunk_note
    from drehr_train.notes import read_notes
    texts = [c.text for note in read_notes(os.path.join(REPO, "demo", "notes"), warn=lambda m: None)
             for c in chunk_note(note)]
    ids = [tok.encode(t, max_length) for t in texts]
    return [ids[i % len(ids)] for i in range(n)]


def batches(lengths: list[int], max_batch: int, max_tokens: int) -> list[list[int]]:
    """src/sidecar/encoder/batching.ts lengthBatches: sorted by length, cut by count and padded tokens."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    out, cur, longest = [], [], 0
    for i in order:
        longest_next = max(longest, lengths[i])
        if cur and (len(cur) >= max_batch or longest_next * (len(cur) + 1) > max_tokens):
            out.append(cur)
            cur, longest_next = [], lengths[i]
        cur.append(i)
        longest = longest_next
    if cur:
        out.append(cur)
    return out


def padded(seqs: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    rows, cols = len(seqs), max(len(s) for s in seqs)
    ids = np.zeros((rows, cols), dtype="<i4")
    mask = np.zeros((rows, cols), dtype="<i4")
    for r, s in enumerate(seqs):
        ids[r, :len(s)] = s
        mask[r, :len(s)] = 1
    return ids, mask


def make_model(name: str, work: str) -> str:
    if name == "demo":
        return os.path.join(REPO, "models", "demo")
    from drehr_train.export import default_meta, write_model_folder
    from drehr_train.model import BertConfig, BertEncoder
    with open(os.path.join(REPO, "models", "demo", "tokenizer.json"), encoding="utf-8") as f:
        tj = json.load(f)
    hidden, layers, heads, ff = SIZES[name]
    torch.manual_seed(0)
    model = BertEncoder(BertConfig(vocab_size=30522, hidden_size=hidden, num_hidden_layers=layers,
                                   num_attention_heads=heads, intermediate_size=ff)).eval()
    out = os.path.join(work, name)
    meta = default_meta(hidden, False, f"random {name}", "engines_cuda.py benchmark model (random weights)")
    try:
        write_model_folder(model, tj, out, meta)  # onnx too, so the sidecar can open it (--node)
    except Exception as e:  # noqa: BLE001 - without onnx the Python side still runs
        print(f"{name}: the ONNX export failed ({type(e).__name__}: {e}); writing weights only", file=sys.stderr)
        from drehr_train.safetensors_io import save_safetensors
        os.makedirs(out, exist_ok=True)
        save_safetensors(model.state_dict(), os.path.join(out, "model.safetensors"))
        with open(os.path.join(out, "config.json"), "w") as f:
            json.dump(model.config.to_hf(), f)
        with open(os.path.join(out, "tokenizer.json"), "w", encoding="utf-8") as f:
            json.dump(tj, f)
        with open(os.path.join(out, "drehr.json"), "w") as f:
            json.dump({**meta, "dim": hidden, "id": f"bench-{name}"}, f)
    return out


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def bare(model_dir: str, seqs: list[list[int]], bs: list[list[int]], device: torch.device, dtype: str) -> float:
    from drehr_train.hf_load import load_base
    model = load_base(model_dir).model.eval().to(device)
    if dtype == "fp16":
        model = model.half()
    elif dtype == "bf16":
        model = model.to(torch.bfloat16)
    prepared = []
    for b in bs:
        ids, mask = padded([seqs[i] for i in b])
        t_ids, t_mask = torch.from_numpy(ids.astype(np.int64)), torch.from_numpy(mask.astype(np.int64))
        if device.type == "cuda":
            t_ids, t_mask = t_ids.pin_memory(), t_mask.pin_memory()
        prepared.append((t_ids, t_mask))
    with torch.inference_mode():
        for t_ids, t_mask in prepared[:3]:  # warm-up
            model(t_ids.to(device), t_mask.to(device))
        sync(device)
        t0 = time.perf_counter()
        for t_ids, t_mask in prepared:
            model(t_ids.to(device, non_blocking=True), t_mask.to(device, non_blocking=True))
        sync(device)
        dt = time.perf_counter() - t0
    del model
    if device.type == "cuda":
        torch.cuda.empty_cache()
    return dt


def engine(model_dir: str, seqs: list[list[int]], bs: list[list[int]], device: str, dtype: str, in_flight: int) -> tuple[float, dict]:
    env = {**os.environ, "PYTHONPATH": os.path.join(REPO, "python")}
    p = subprocess.Popen([sys.executable, "-m", "drehr_train", "serve-encoder", "--model", model_dir, "--device", device,
                          "--dtype", dtype], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)

    def read():
        head = p.stdout.read(HEADER.size)
        if len(head) < HEADER.size:
            raise RuntimeError(f"serve-encoder ended (exit {p.wait()})")
        size, kind, _, _, bid, rows, cols = HEADER.unpack(head)
        return kind, bid, rows, cols, p.stdout.read(size)

    kind, _, _, _, body = read()
    if kind != KIND_HELLO:
        raise RuntimeError(f"serve-encoder failed to start: {body[:500]!r}")
    hello = json.loads(body)
    slots = threading.Semaphore(in_flight)

    def send(order: list[list[int]]) -> None:
        for bid, b in enumerate(order):
            slots.acquire()
            ids, mask = padded([seqs[i] for i in b])  # the sidecar pads in its loop too
            data = ids.tobytes() + mask.tobytes()
            p.stdin.write(HEADER.pack(len(data), KIND_EMBED, DTYPE_INT32, 0, bid, ids.shape[0], ids.shape[1]) + data)
            p.stdin.flush()

    def run(order: list[list[int]]) -> float:
        t0 = time.perf_counter()
        writer = threading.Thread(target=send, args=(order,))
        writer.start()
        for _ in order:
            kind, bid, rows, cols, body = read()
            if kind == KIND_ERROR:
                raise RuntimeError(f"batch {bid}: {body.decode()}")
            assert kind == KIND_EMBEDDINGS
            np.frombuffer(body, "<f4").reshape(rows, cols)
            slots.release()
        writer.join()
        return time.perf_counter() - t0

    run(bs[:3])  # warm-up
    dt = run(bs)
    p.stdin.close()
    p.wait(timeout=60)
    return dt, hello


def node_index(model_dir: str, n_chunks: int, per_folder_chunks: int, device: str, work: str) -> tuple[float, int] | None:
    node = shutil.which("node")
    cli = os.path.join(REPO, "dist", "cli.js")
    if not node or not os.path.exists(cli) or not os.path.exists(os.path.join(model_dir, "onnx", "model.onnx")):
        print("index: skipped (needs node, dist/cli.js and the model's onnx/model.onnx)", file=sys.stderr)
        return None
    notes = os.path.join(work, "notes")
    if not os.path.isdir(notes):
        copies = max(1, -(-n_chunks // per_folder_chunks))
        for c in range(copies):
            shutil.copytree(os.path.join(REPO, "demo", "notes"), os.path.join(notes, f"copy{c:04d}"))
    index = os.path.join(work, f"index-{os.path.basename(model_dir)}")
    shutil.rmtree(index, ignore_errors=True)
    t0 = time.perf_counter()
    r = subprocess.run([node, cli, "index", notes, "--engine", "torch", "--device", device, "--model", model_dir,
                        "--index", index, "--python", sys.executable, "--json"], capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        print(f"index failed: {r.stderr[-2000:]}", file=sys.stderr)
        return None
    return dt, json.loads(r.stdout.strip().splitlines()[-1])["chunksAdded"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="demo,bert-base", help="comma list: demo, bert-base, tiny")
    ap.add_argument("--chunks", type=int, default=100_000)
    ap.add_argument("--max-length", type=int, default=160)
    ap.add_argument("--max-batch", type=int, default=256)
    ap.add_argument("--max-tokens", type=int, default=256 * 160)
    ap.add_argument("--in-flight", type=int, default=4)
    ap.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    ap.add_argument("--dtype", default="fp16", choices=["fp16", "bf16", "fp32"])
    ap.add_argument("--node", action="store_true", help="also time `drehr index --engine torch` end to end")
    ap.add_argument("--out", help="write the Markdown table here")
    a = ap.parse_args()
    if a.device == "cuda" and not torch.cuda.is_available():
        print("no usable CUDA GPU: run on a GPU machine, or --device cpu --dtype fp32 for a smoke test", file=sys.stderr)
        return 2
    device = torch.device(a.device)
    from drehr_train.hf_load import load_tokenizer_json
    from drehr_train.tokenizer import Tokenizer
    tok = Tokenizer.from_json(load_tokenizer_json(os.path.join(REPO, "models", "demo")))
    seqs = corpus(a.chunks, a.max_length, tok)
    per_folder = len(corpus(0, a.max_length, tok)) or 1
    bs = batches([len(s) for s in seqs], a.max_batch, a.max_tokens)
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "CPU"
    rows = []
    with tempfile.TemporaryDirectory(prefix="drehr-engines-") as work:
        for name in a.models.split(","):
            model_dir = make_model(name.strip(), work)
            t_bare = bare(model_dir, seqs, bs, device, a.dtype)
            t_eng, hello = engine(model_dir, seqs, bs, a.device, a.dtype, a.in_flight)
            idx = node_index(model_dir, a.chunks, per_folder, a.device, work) if a.node else None
            row = {"model": name, "bare": len(seqs) / t_bare, "engine": len(seqs) / t_eng, "hello": hello}
            if idx:
                row["index"] = idx[1] / idx[0]
            rows.append(row)
            print(json.dumps({k: v for k, v in row.items() if k != "hello"}), file=sys.stderr)
    mean_len = sum(len(s) for s in seqs) / len(seqs)
    lines = [
        "# Torch engine on a GPU against a bare forward (bench/engines_cuda.py)", "",
        f"`python bench/engines_cuda.py {' '.join(sys.argv[1:])}`, {time.strftime('%Y-%m-%d')}. {gpu}; PyTorch "
        f"{torch.__version__}; {len(seqs)} chunks (demo-note chunks repeated, mean {mean_len:.0f} tokens), "
        f"{len(bs)} length-sorted batches of at most {a.max_batch} sequences / {a.max_tokens} tokens, {a.dtype}, "
        f"{a.in_flight} batches in flight.", "",
        "| model | bare forward chunks/s | engine chunks/s | engine / bare | drehr index chunks/s | index / bare |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        idx = f"{r['index']:.0f} | {r['index'] / r['bare']:.2f}" if "index" in r else "— | —"
        lines.append(f"| {r['model']} | {r['bare']:.0f} | {r['engine']:.0f} | {r['engine'] / r['bare']:.2f} | {idx} |")
    lines += ["", "Target: engine / bare and index / bare >= 0.8.", ""]
    md = "\n".join(lines)
    print(md)
    if a.out:
        with open(a.out, "w", encoding="utf-8") as f:
            f.write(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
