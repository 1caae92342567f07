"""Reads the weights of a BERT encoder back out of an exported ONNX graph (onnx/model.onnx of a model folder), so a
folder that ships without model.safetensors (models/demo) is still a valid base for training.

torch.onnx.export does not keep every parameter under its own name:
- Linear weights are stored transposed for MatMul under a generated name (`onnx::MatMul_598`);
- parameters with identical values (the zero biases and unit LayerNorm weights of an untrained model) are
  deduplicated into one initializer, and the other names become `Identity` nodes reading it;
- names carry the wrapper's prefix (`enc.` for our export, none or `bert.` for other exporters).

So the mapping is, in order: (1) an initializer or an Identity output whose name, minus a known prefix, is a
parameter name; (2) for the rest, the module scope of the node that consumes the initializer (node names such as
`/enc/encoder/layer.0/attention/self/query/MatMul` give `encoder.layer.0.attention.self.query`) and the op:
MatMul -> `.weight` transposed, Gemm -> `.weight` (transposed unless transB), Add -> `.bias`, Mul -> `.weight`,
Gather -> `.weight`. Every parameter of the model must be found with its exact shape, or loading fails and says
which are missing. Round trip (tests/test_onnx_load.py): load -> export -> load gives the same tensors, and for
the fixture model the tensors equal its model.safetensors.
"""
from __future__ import annotations

import numpy as np
import torch

PREFIXES = ("", "enc.", "bert.", "model.", "enc.bert.")


def _numpy(init) -> np.ndarray:
    from onnx import numpy_helper
    return numpy_helper.to_array(init)


def _scope(node_name: str, prefixes: tuple[str, ...]) -> str:
    parts = [p for p in node_name.split("/") if p]
    dotted = ".".join(parts[:-1])
    for p in sorted(prefixes, key=len, reverse=True):
        if p and dotted.startswith(p):
            return dotted[len(p):]
    return dotted


def onnx_state_dict(path: str, wanted: dict[str, torch.Size]) -> dict[str, torch.Tensor]:
    """Parameter name -> tensor for every name in `wanted` (name -> shape). Raises ValueError naming what is missing."""
    try:
        import onnx
    except ImportError as e:
        raise ValueError(f"{path}: reading weights from ONNX needs the onnx package (pip install onnx; Debian: "
                         "apt-get install python3-onnx)") from e
    try:
        m = onnx.load(path)
    except Exception as e:  # noqa: BLE001 - protobuf errors vary
        raise ValueError(f"{path} is not a readable ONNX model ({type(e).__name__})") from e
    g = m.graph
    values: dict[str, np.ndarray] = {i.name: _numpy(i) for i in g.initializer}
    # Constant nodes can hold weights too (some exporters fold them so)
    for n in g.node:
        if n.op_type == "Constant" and n.output:
            for a in n.attribute:
                if a.name == "value":
                    from onnx import numpy_helper
                    values[n.output[0]] = numpy_helper.to_array(a.t)
    # Identity chains of deduplicated initializers
    changed = True
    while changed:
        changed = False
        for n in g.node:
            if n.op_type == "Identity" and n.input and n.input[0] in values and n.output[0] not in values:
                values[n.output[0]] = values[n.input[0]]
                changed = True

    out: dict[str, torch.Tensor] = {}

    def put(name: str, arr: np.ndarray) -> None:
        if name in wanted and name not in out and tuple(arr.shape) == tuple(wanted[name]):
            out[name] = torch.from_numpy(np.array(arr, dtype=np.float32, copy=True))

    # (1) by name
    for vname, arr in values.items():
        for p in PREFIXES:
            if vname.startswith(p):
                put(vname[len(p):], arr)
    # (2) by the consuming node's scope and op
    for n in g.node:
        src = [x for x in n.input if x in values and values[x].ndim >= 1]
        if not src or not n.name:
            continue
        scope = _scope(n.name, PREFIXES)
        if not scope:
            continue
        for x in src:
            arr = values[x]
            if n.op_type == "MatMul" and arr.ndim == 2:
                put(scope + ".weight", arr.T)
            elif n.op_type == "Gemm" and arr.ndim == 2:
                trans_b = any(a.name == "transB" and a.i == 1 for a in n.attribute)
                put(scope + ".weight", arr if trans_b else arr.T)
            elif n.op_type == "Gemm" and arr.ndim == 1:
                put(scope + ".bias", arr)
            elif n.op_type == "Add" and arr.ndim == 1:
                put(scope + ".bias", arr)
            elif n.op_type == "Mul" and arr.ndim == 1:
                put(scope + ".weight", arr)
            elif n.op_type == "Gather" and arr.ndim == 2:
                put(scope + ".weight", arr)
    missing = [k for k in wanted if k not in out]
    if missing:
        raise ValueError(f"{path}: {len(missing)} of {len(wanted)} parameters could not be found in the ONNX graph "
                         f"({', '.join(missing[:4])}{' ...' if len(missing) > 4 else ''}); the graph does not fit "
                         "config.json, or its exporter named the weights in a way this reader does not know")
    return out
