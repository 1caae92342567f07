"""Dynamic int8 quantization of a model folder's ONNX graph, as a plain graph rewrite with the `onnx` package.

Every MatMul whose B input is a 2-D float initializer (the encoder's Linear layers) becomes

    A ─ DynamicQuantizeLinear ─┬─ A_q (uint8) ──┐
                               ├─ A_zero ───────┤
                               └─ A_scale ─┐    MatMulInteger(A_q, W_q int8 [K,N], A_zero, W_zero int8 scalar 0)
                                           │        │ int32
                      W_scale [N] ─── Mul ─┘      Cast(float)
                                       └──────── Mul ── Y   (then the model's own bias Add, bias as its 2nd input)

with W_q = round(W / W_scale) per output column, symmetric, in [-127, 127]. onnxruntime's CPU graph optimizer
(level "all") fuses exactly this pattern (MatMulIntegerToFloatFusion, then DynamicQuantizeMatMulFusion: one
DynamicQuantizeLinear per MatMul, the bias as the Add's second input) into com.microsoft DynamicQuantizeMatMul,
whose kernel takes a per-column B scale and runs MLAS's u8s8 GEMM (VNNI/AMX where the CPU has them). The weight zero
point is given explicitly (a scalar 0: symmetric weights have every zero point 0) because onnxruntime's AVX2 pass
(Avx2WeightS8ToU8Transformer) converts int8 weights to uint8 only when the zero point is an initializer, which
avoids the int16 saturation of the AVX2 u8s8 kernel on CPUs without VNNI.

Not covered: Gather (embedding tables stay fp32), MatMuls between two activations (attention scores and context),
Gemm/Conv nodes, static (calibrated) activation quantization, per-tensor weights, 4-bit weights. See python/README.md.
"""
from __future__ import annotations

import os

import numpy as np

INT8_ONNX = "onnx/model.int8.onnx"


def _onnx():
    try:
        import onnx  # noqa: F401
        from onnx import helper, numpy_helper  # noqa: F401
    except ImportError as e:  # pragma: no cover - onnx is installed where this runs
        raise RuntimeError("the onnx package is needed: pip install onnx (Debian: apt-get install python3-onnx)") from e
    return onnx


def quantize_weight(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric per-output-column int8 weights: (W_q int8 [K, N], scale float32 [N]) with W ≈ W_q * scale."""
    w = np.asarray(w, dtype=np.float32)
    amax = np.abs(w).max(axis=0)
    scale = np.where(amax > 0, amax / 127.0, 1.0).astype(np.float32)
    q = np.clip(np.rint(w / scale), -127, 127).astype(np.int8)
    return q, scale


def _consumers(graph) -> dict[str, list]:
    out: dict[str, list] = {}
    for n in graph.node:
        for i in n.input:
            out.setdefault(i, []).append(n)
    return out


def quantize_model(model, min_elements: int = 0):
    """Rewrites `model` (an onnx.ModelProto, changed in place and returned). Returns (model, stats)."""
    onnx = _onnx()
    from onnx import TensorProto, helper, numpy_helper
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    graph_outputs = {o.name for o in g.output}
    consumers = _consumers(g)
    quantized: dict[str, tuple[str, str]] = {}
    new_inits = []
    zero_name = "drehr_q/w_zero"
    nodes = []
    stats = {"matmuls": 0, "quantized": 0, "skipped_activation": 0, "skipped_small": 0,
             "fp32_weight_bytes": 0, "int8_weight_bytes": 0}
    for node in g.node:
        if node.op_type != "MatMul" or node.domain not in ("", "ai.onnx"):
            nodes.append(node)
            continue
        stats["matmuls"] += 1
        b = inits.get(node.input[1])
        if b is None or len(b.dims) != 2 or b.data_type != TensorProto.FLOAT:
            stats["skipped_activation"] += 1
            nodes.append(node)
            continue
        if b.dims[0] * b.dims[1] < min_elements:
            stats["skipped_small"] += 1
            nodes.append(node)
            continue
        if b.name not in quantized:
            wq, ws = quantize_weight(numpy_helper.to_array(b))
            qn, sn = f"{b.name}_int8", f"{b.name}_scale"
            new_inits += [numpy_helper.from_array(wq, qn), numpy_helper.from_array(ws, sn)]
            quantized[b.name] = (qn, sn)
            stats["fp32_weight_bytes"] += wq.size * 4
            stats["int8_weight_bytes"] += wq.size + ws.size * 4
        qn, sn = quantized[b.name]
        p = f"drehr_q/{stats['quantized']}"
        y = node.output[0]
        nodes += [
            helper.make_node("DynamicQuantizeLinear", [node.input[0]], [f"{p}/a_q", f"{p}/a_scale", f"{p}/a_zero"],
                             name=f"{p}/DynamicQuantizeLinear"),
            helper.make_node("MatMulInteger", [f"{p}/a_q", qn, f"{p}/a_zero", zero_name], [f"{p}/acc"],
                             name=f"{p}/MatMulInteger"),
            helper.make_node("Cast", [f"{p}/acc"], [f"{p}/acc_f"], to=TensorProto.FLOAT, name=f"{p}/Cast"),
            helper.make_node("Mul", [f"{p}/a_scale", sn], [f"{p}/scale"], name=f"{p}/ScaleMul"),
            helper.make_node("Mul", [f"{p}/acc_f", f"{p}/scale"], [y], name=f"{p}/Mul"),
        ]
        stats["quantized"] += 1
        # onnxruntime folds the bias Add into the fused op only when the bias is the Add's second input.
        users = consumers.get(y, [])
        if len(users) == 1 and y not in graph_outputs and users[0].op_type == "Add":
            add = users[0]
            if add.input[1] == y and add.input[0] in inits:
                add.input[0], add.input[1] = add.input[1], add.input[0]
    if not quantized:
        return model, stats
    still_used = {i for n in nodes for i in n.input}
    keep = [t for t in g.initializer if t.name not in quantized or t.name in still_used]
    keep += new_inits + [numpy_helper.from_array(np.array(0, dtype=np.int8), zero_name)]
    del g.node[:]
    g.node.extend(nodes)
    del g.initializer[:]
    g.initializer.extend(keep)
    # DynamicQuantizeLinear and MatMulInteger need opset >= 11 (Cast/Mul exist earlier).
    for op in model.opset_import:
        if op.domain in ("", "ai.onnx") and op.version < 11:
            op.version = 11
    onnx.checker.check_model(model)
    return model, stats


def quantize_folder(model_dir: str, out_rel: str = INT8_ONNX, min_elements: int = 0) -> dict:
    """Writes `<model_dir>/<out_rel>` from the folder's fp32 ONNX and records it in drehr.json as `onnx_int8`."""
    import json
    onnx = _onnx()
    from .fsutil import write_bytes_atomic, write_json_atomic
    meta_path = os.path.join(model_dir, "drehr.json")
    with open(meta_path, encoding="utf-8") as f:
        meta = json.load(f)
    src = os.path.join(model_dir, meta.get("onnx") or "onnx/model.onnx")
    if not os.path.isfile(src):
        raise FileNotFoundError(f"{src}: the fp32 ONNX named by drehr.json is missing")
    if os.path.abspath(src) == os.path.abspath(os.path.join(model_dir, out_rel)):
        raise ValueError(f"--out {out_rel} would overwrite the fp32 graph")
    model, stats = quantize_model(onnx.load(src), min_elements)
    if stats["quantized"] == 0:
        raise ValueError(f"{src}: no MatMul with a 2-D float initializer as B; nothing to quantize")
    meta_mode = os.stat(meta_path).st_mode & 0o777
    write_bytes_atomic(os.path.join(model_dir, out_rel), model.SerializeToString())
    os.chmod(os.path.join(model_dir, out_rel), 0o644)
    meta["onnx_int8"] = out_rel
    meta["quantization"] = {"method": "dynamic", "weights": "int8 symmetric per output channel",
                            "activations": "uint8 per tensor at run time", "ops": ["MatMul"],
                            "quantized_matmuls": stats["quantized"], "tool": "drehr_train quantize"}
    write_json_atomic(meta_path, meta)
    os.chmod(meta_path, meta_mode)
    return {"model_dir": model_dir, "onnx_int8": out_rel,
            "bytes": os.path.getsize(os.path.join(model_dir, out_rel)), **stats}
