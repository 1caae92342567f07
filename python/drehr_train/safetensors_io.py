"""Reads and writes the safetensors format without the safetensors package (it is optional).

Layout: 8-byte little-endian header length N, N bytes of JSON ({name: {dtype, shape, data_offsets}, "__metadata__"}),
then the raw little-endian tensor bytes.
"""
from __future__ import annotations

import json
import struct

import numpy as np
import torch

from .fsutil import atomic_open

_DTYPES = {
    "F32": (np.float32, torch.float32), "F16": (np.float16, torch.float16), "F64": (np.float64, torch.float64),
    "I64": (np.int64, torch.int64), "I32": (np.int32, torch.int32), "I16": (np.int16, torch.int16),
    "I8": (np.int8, torch.int8), "U8": (np.uint8, torch.uint8), "BOOL": (np.bool_, torch.bool),
}
_TORCH_TO_CODE = {v[1]: k for k, v in _DTYPES.items()}
_TORCH_TO_CODE[torch.bfloat16] = "BF16"


def load_safetensors(path: str) -> dict[str, torch.Tensor]:
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: too short to be a safetensors file")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise ValueError(f"{path}: header length {n} exceeds the file; the file is truncated or not safetensors")
    try:
        header = json.loads(data[8:8 + n])
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{path}: unreadable safetensors header ({e})") from e
    base = 8 + n
    out: dict[str, torch.Tensor] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        if base + e > len(data):
            raise ValueError(f"{path}: tensor {name} runs past the end of the file (truncated download?)")
        buf = data[base + b: base + e]
        code = info["dtype"]
        shape = info["shape"]
        if code == "BF16":
            raw = np.frombuffer(buf, dtype=np.uint16).astype(np.int32) << 16
            t = torch.from_numpy(raw.view(np.float32).copy()).reshape(shape)
        elif code in _DTYPES:
            t = torch.from_numpy(np.frombuffer(buf, dtype=_DTYPES[code][0]).copy()).reshape(shape)
        else:
            raise ValueError(f"{path}: tensor {name} has unsupported dtype {code}")
        out[name] = t
    return out


def save_safetensors(tensors: dict[str, torch.Tensor], path: str, metadata: dict[str, str] | None = None) -> None:
    """Writes atomically (fsutil.atomic_open: a crash leaves the old file or none, never half of one)."""
    header: dict = {}
    blobs = []
    off = 0
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        if t.dtype == torch.bfloat16:
            t = t.float()
        code = _TORCH_TO_CODE[t.dtype]
        b = t.numpy().tobytes()
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    hb = json.dumps(header, separators=(",", ":")).encode()
    hb += b" " * ((8 - len(hb) % 8) % 8)
    with atomic_open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for b in blobs:
            f.write(b)
