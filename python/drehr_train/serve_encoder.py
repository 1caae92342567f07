"""`python -m drehr_train serve-encoder --model DIR`: the sidecar's PyTorch engine.

Runs the trainer's own encoder (model.BertEncoder, loaded by hf_load.load_base: model.safetensors, or the ONNX graph's
weights when the folder has none) over batches that the sidecar has already tokenized and padded, and writes back the
pooled (and normalized, as drehr.json says) embeddings. No tokenization, no JSON arrays of floats: stdin and stdout
carry binary frames (docs/CONTRACTS.md, "PyTorch engine framing"):

    header, 20 bytes little-endian: u32 body_bytes, u8 kind, u8 dtype, u16 reserved (0), u32 batch_id, u32 rows, u32 cols
    body: body_bytes bytes

    sidecar -> child   EMBED (1), dtype INT32: rows x cols int32 token ids, then rows x cols int32 attention mask
    child -> sidecar   HELLO (3), dtype JSON: {"torch", "device", "dtype", "dim", "model", "gpu", "pid", ...}, first
                       EMBEDDINGS (2), dtype FLOAT32 or FLOAT16: rows x cols (cols = dim) vectors, for batch_id
                       ERROR (4), dtype JSON: {"code": "oom"|"error"|"load"|"device"|"frame", "message"}; batch_id is
                       the failed batch, or FATAL (0xFFFFFFFF) when the child cannot go on (it then exits 1)

Batches are answered in the order they arrive. The child ends when stdin closes (exit 0). Anything a library prints
goes to stderr: file descriptor 1 is taken for the frames before the model is loaded.

DREHR_SERVE_TOKEN_BUDGET=N (tests): a batch of more than N tokens (rows x cols) fails as out of memory, on any
device, so the sidecar's halving can be tested on CPU.
"""
from __future__ import annotations

import json
import os
import queue
import struct
import sys
import threading

HEADER = struct.Struct("<IBBHIII")
KIND_EMBED, KIND_EMBEDDINGS, KIND_HELLO, KIND_ERROR = 1, 2, 3, 4
DTYPE_JSON, DTYPE_INT32, DTYPE_FLOAT32, DTYPE_FLOAT16 = 0, 1, 2, 3
FATAL = 0xFFFFFFFF
MAX_BODY = 1 << 30
DTYPES = ("auto", "fp32", "fp16", "bf16")


class SimulatedOOM(RuntimeError):
    pass


def _is_oom(e: BaseException) -> bool:
    return isinstance(e, (SimulatedOOM, MemoryError)) or "out of memory" in str(e).lower()


class Out:
    """The frame writer on the original stdout; fd 1 itself is pointed at stderr so stray prints cannot corrupt it."""

    def __init__(self) -> None:
        sys.stdout.flush()
        self.f = os.fdopen(os.dup(1), "wb", buffering=0)
        os.dup2(2, 1)
        sys.stdout = sys.stderr
        self.lock = threading.Lock()

    def frame(self, kind: int, dtype: int, batch_id: int, rows: int, cols: int, body: bytes) -> None:
        with self.lock:
            self.f.write(HEADER.pack(len(body), kind, dtype, 0, batch_id, rows, cols))
            self.f.write(body)

    def json(self, kind: int, batch_id: int, obj: dict) -> None:
        self.frame(kind, DTYPE_JSON, batch_id, 0, 0, json.dumps(obj).encode("utf-8"))

    def error(self, batch_id: int, code: str, message: str) -> None:
        self.json(KIND_ERROR, batch_id, {"code": code, "message": message[:2000]})


def _read_exact(f, n: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        chunk = f.read(n - len(buf))
        if not chunk:
            return None if not buf else bytes(buf)
        buf += chunk
    return bytes(buf)


def read_frames(f, q: "queue.Queue") -> None:
    """Reader thread: parsed frames into q (bounded, so a fast sender waits), then None at end of input."""
    try:
        while True:
            head = _read_exact(f, HEADER.size)
            if head is None:
                break
            if len(head) < HEADER.size:
                q.put(("bad", FATAL, "input ended inside a frame header"))
                break
            size, kind, dtype, _, batch_id, rows, cols = HEADER.unpack(head)
            if size > MAX_BODY:
                q.put(("bad", batch_id, f"frame of {size} bytes is larger than {MAX_BODY}"))
                break
            body = _read_exact(f, size) if size else b""
            if body is None or len(body) < size:
                q.put(("bad", FATAL, "input ended inside a frame body"))
                break
            if kind != KIND_EMBED or dtype != DTYPE_INT32 or size != rows * cols * 8:
                q.put(("bad", batch_id, f"expected an EMBED frame of int32 ids and mask ({rows}x{cols}), "
                                         f"got kind {kind} dtype {dtype} with {size} bytes"))
                continue
            q.put(("embed", batch_id, rows, cols, body))
    finally:
        q.put(None)


def pick_device(asked: str):
    import torch
    if asked == "cpu":
        return torch.device("cpu"), None
    if not torch.cuda.is_available():
        reason = ("this PyTorch has no CUDA support (a CPU-only build)" if not torch.backends.cuda.is_built()
                  else "PyTorch sees no usable CUDA GPU (driver, CUDA_VISIBLE_DEVICES, or the device is busy)")
        if asked == "cuda":
            raise RuntimeError(f"device cuda: {reason}")
        return torch.device("cpu"), reason
    return torch.device("cuda", torch.cuda.current_device()), None


class Runner:
    def __init__(self, folder: str, device: str, dtype: str, threads: int | None):
        import torch
        from .hf_load import load_base
        if threads:
            torch.set_num_threads(threads)
        self.torch = torch
        self.device, self.cpu_reason = pick_device(device)
        if dtype == "auto":
            dtype = "fp16" if self.device.type == "cuda" else "fp32"
        if dtype == "fp16" and self.device.type != "cuda":
            raise ValueError("fp16 needs a CUDA device; use fp32 (or bf16) on CPU")
        self.dtype_name = dtype
        self.amp = {"fp16": torch.float16, "bf16": torch.bfloat16}.get(dtype)
        self.folder = os.path.abspath(folder)
        base = load_base(folder)
        self.model = base.model.eval().to(self.device)
        self.pooling = base.meta["pooling"]
        self.normalize = bool(base.meta["normalize"])
        self.model_id = base.meta.get("id")
        self.weights = base.weights
        self.dim = base.model.config.hidden_size
        budget = os.environ.get("DREHR_SERVE_TOKEN_BUDGET")
        self.token_budget = int(budget) if budget else None

    def hello(self) -> dict:
        t = self.torch
        gpu = t.cuda.get_device_name(self.device) if self.device.type == "cuda" else None
        return {"torch": t.__version__, "device": self.device.type, "dtype": self.dtype_name, "dim": self.dim,
                "model": self.model_id, "weights": os.path.relpath(self.weights, self.folder).replace(os.sep, "/") if self.weights else None,
                "pooling": self.pooling, "normalize": self.normalize, "gpu": gpu, "pid": os.getpid(),
                "threads": t.get_num_threads(), "cpu_reason": self.cpu_reason, "token_budget": self.token_budget,
                "devices": t.cuda.device_count() if self.device.type == "cuda" else 0}

    def embed(self, rows: int, cols: int, body: bytes, out_dtype) -> bytes:
        import numpy as np
        from .model import pool
        t = self.torch
        if self.token_budget is not None and rows * cols > self.token_budget:
            raise SimulatedOOM(f"simulated out of memory: {rows}x{cols} = {rows * cols} tokens is over "
                               f"DREHR_SERVE_TOKEN_BUDGET={self.token_budget}")
        arr = np.frombuffer(body, dtype="<i4").reshape(2, rows, cols)
        ids = t.from_numpy(arr[0].astype(np.int64)).to(self.device, non_blocking=True)
        mask = t.from_numpy(arr[1].astype(np.int64)).to(self.device, non_blocking=True)
        with t.inference_mode():
            if self.amp is not None:
                with t.autocast(device_type=self.device.type, dtype=self.amp):
                    hidden = self.model(ids, mask)
            else:
                hidden = self.model(ids, mask)
            vecs = pool(hidden.float(), mask, self.pooling, self.normalize)
        v = vecs.to(out_dtype).cpu().numpy()
        return v.astype("<f2" if out_dtype == t.float16 else "<f4", copy=False).tobytes()


def serve(folder: str, device: str = "cpu", dtype: str = "fp32", out_dtype: str = "fp32", threads: int | None = None,
          stdin=None) -> int:
    out = Out()
    stdin = stdin or sys.stdin.buffer
    try:
        runner = Runner(folder, device, dtype, threads)
    except ImportError as e:
        out.error(FATAL, "load", f"a Python package is missing: {e}")
        return 3
    except (ValueError, OSError) as e:
        out.error(FATAL, "load", str(e))
        return 1
    except RuntimeError as e:  # CUDA asked for but unusable, driver errors, OOM while loading
        out.error(FATAL, "oom" if _is_oom(e) else "device", f"{type(e).__name__}: {e}")
        return 1
    t = runner.torch
    half = out_dtype == "fp16"
    out.json(KIND_HELLO, 0, runner.hello())
    q: queue.Queue = queue.Queue(maxsize=4)
    threading.Thread(target=read_frames, args=(stdin, q), daemon=True).start()
    while True:
        item = q.get()
        if item is None:
            return 0
        if item[0] == "bad":
            out.error(item[1], "frame", item[2])
            if item[1] == FATAL:
                return 1
            continue
        _, batch_id, rows, cols, body = item
        try:
            data = runner.embed(rows, cols, body, t.float16 if half else t.float32)
        except Exception as e:  # noqa: BLE001 - every failure of a batch is answered with an error frame
            oom = _is_oom(e)
            if oom and runner.device.type == "cuda":
                t.cuda.empty_cache()
            out.error(batch_id, "oom" if oom else "error", f"{type(e).__name__}: {e}")
            continue
        out.frame(KIND_EMBEDDINGS, DTYPE_FLOAT16 if half else DTYPE_FLOAT32, batch_id, rows, runner.dim, data)


def cmd_serve_encoder(a) -> int:
    return serve(a.model, a.device, a.dtype, a.out_dtype, a.threads)


def add_parser(sub) -> None:
    p = sub.add_parser("serve-encoder", help="the sidecar's PyTorch engine (binary frames on stdin/stdout)")
    p.add_argument("--model", required=True, help="model folder (model.safetensors, or onnx/model.onnx's weights)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--dtype", choices=list(DTYPES), default="auto",
                   help="compute precision; fp16/bf16 run under autocast; auto: fp16 on CUDA, fp32 on CPU")
    p.add_argument("--out-dtype", dest="out_dtype", choices=["fp32", "fp16"], default="fp32",
                   help="precision of the embeddings written back")
    p.add_argument("--threads", type=int, default=None, help="CPU threads (default: PyTorch's)")
