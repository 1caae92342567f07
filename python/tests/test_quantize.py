"""Dynamic int8 quantization (drehr_train/quantize.py): a tiny hand-built graph against hand-computed integers and
outputs (with a small numpy evaluator for the ops the rewrite emits), and the demo model's int8 graph in
onnxruntime-node against its fp32 self on reference.json."""
import json
import os
import shutil
import subprocess

import numpy as np
import pytest

from conftest import REPO

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from drehr_train.quantize import INT8_ONNX, quantize_folder, quantize_model, quantize_weight  # noqa: E402

DEMO = os.path.join(REPO, "models", "demo")


# ----------------------------------------------------------------------------------------------------------------
# A numpy reference for the ONNX ops of the tiny graphs (ONNX semantics: round half to even, saturate to uint8)

def _round(x):
    return np.rint(x)  # numpy rounds half to even, like ONNX


def _dynamic_quantize_linear(x):
    lo, hi = min(0.0, float(x.min())), max(0.0, float(x.max()))
    scale = np.float32((hi - lo) / 255.0)
    zp = np.uint8(np.clip(_round(0 - lo / scale), 0, 255))
    y = np.clip(_round(x / scale) + zp, 0, 255).astype(np.uint8)
    return y, scale, zp


def evaluate(model, feeds):
    env = dict(feeds)
    for t in model.graph.initializer:
        env[t.name] = numpy_helper.to_array(t)
    for n in model.graph.node:
        x = [env[i] for i in n.input]
        if n.op_type == "DynamicQuantizeLinear":
            out = _dynamic_quantize_linear(x[0].astype(np.float32))
        elif n.op_type == "MatMulInteger":
            a = x[0].astype(np.int32) - x[2].astype(np.int32)
            b = x[1].astype(np.int32) - x[3].astype(np.int32)
            out = (a @ b,)
        elif n.op_type == "Cast":
            assert n.attribute[0].i == TensorProto.FLOAT
            out = (x[0].astype(np.float32),)
        elif n.op_type == "Mul":
            out = ((x[0] * x[1]).astype(np.float32),)
        elif n.op_type == "Add":
            out = ((x[0] + x[1]).astype(np.float32),)
        elif n.op_type == "MatMul":
            out = ((x[0] @ x[1]).astype(np.float32),)
        else:
            raise AssertionError(f"no reference for {n.op_type}")
        env.update(zip(n.output, out))
    return [env[o.name] for o in model.graph.output]


W = np.array([[1.27, -0.5], [0.635, 1.0], [-1.27, 0.25]], dtype=np.float32)   # [K=3, N=2]
BIAS = np.array([0.5, -1.0], dtype=np.float32)
X = np.array([[1.0, -0.5, 2.0], [0.0, 1.5, -1.0]], dtype=np.float32)          # [M=2, K=3]


def tiny_model(bias_first=True):
    """Y = X @ W + bias (a Linear, bias first as torch exports it) and Z = X @ V (two activations: not quantized)."""
    nodes = [
        helper.make_node("MatMul", ["X", "W"], ["XW"]),
        helper.make_node("Add", ["bias", "XW"] if bias_first else ["XW", "bias"], ["Y"]),
        helper.make_node("MatMul", ["X", "V"], ["Z"]),
    ]
    g = helper.make_graph(
        nodes, "tiny",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["m", 3]),
         helper.make_tensor_value_info("V", TensorProto.FLOAT, [3, 2])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["m", 2]),
         helper.make_tensor_value_info("Z", TensorProto.FLOAT, ["m", 2])],
        [numpy_helper.from_array(W, "W"), numpy_helper.from_array(BIAS, "bias")])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)])


def test_weights_per_output_column_symmetric_hand_computed():
    q, scale = quantize_weight(W)
    # column 0: max |w| 1.27 -> scale 0.01; column 1: max |w| 1.0 -> scale 1/127
    np.testing.assert_allclose(scale, [0.01, 1 / 127], rtol=1e-6)
    # 0.635/0.01 = 63.5 -> 64 (half to even); -0.5*127 = -63.5 -> -64; 0.25*127 = 31.75 -> 32
    assert q.dtype == np.int8
    assert q.tolist() == [[127, -64], [64, 127], [-127, 32]]
    zq, zs = quantize_weight(np.zeros((4, 3), np.float32))
    assert zq.tolist() == [[0] * 3] * 4 and zs.tolist() == [1.0] * 3   # an all-zero column keeps a usable scale


def test_tiny_graph_rewrite_and_result_hand_computed():
    m, stats = quantize_model(tiny_model())
    assert stats["quantized"] == 1 and stats["skipped_activation"] == 1 and stats["matmuls"] == 2
    ops = [n.op_type for n in m.graph.node]
    assert ops == ["DynamicQuantizeLinear", "MatMulInteger", "Cast", "Mul", "Mul", "Add", "MatMul"]
    add = m.graph.node[5]
    assert list(add.input) == [m.graph.node[4].output[0], "bias"]        # bias moved to the 2nd input for the fusion
    inits = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    assert "W" not in inits                                               # the fp32 weight is gone
    mmi = m.graph.node[1]
    assert inits[mmi.input[1]].dtype == np.int8 and inits[mmi.input[1]].shape == (3, 2)
    assert inits[mmi.input[3]].dtype == np.int8 and inits[mmi.input[3]].shape == () and inits[mmi.input[3]] == 0
    assert inits[m.graph.node[3].input[1]].shape == (2,)                  # per-column weight scale

    # By hand: X's range [-1, 2] -> scale 3/255, zero point 85; X/scale = [[85, -42.5, 170], [0, 127.5, -85]]
    # -> rounded half to even and shifted: [[170, 43, 255], [85, 213, 0]].
    a_scale = 3 / 255
    xq = np.array([[170, 43, 255], [85, 213, 0]]) - 85                    # [[85, -42, 170], [0, 128, -85]]
    wq = np.array([[127, -64], [64, 127], [-127, 32]])
    acc = np.array([[85 * 127 - 42 * 64 - 170 * 127, -85 * 64 - 42 * 127 + 170 * 32],
                    [128 * 64 + 85 * 127, 128 * 127 - 85 * 32]])
    assert (xq @ wq).tolist() == acc.tolist() == [[-13483, -5334], [18987, 13536]]
    expected = acc * a_scale * np.array([0.01, 1 / 127]) + BIAS
    y, z = evaluate(m, {"X": X, "V": W})
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(z, X @ W, rtol=1e-6)                       # the activation MatMul is untouched
    # and the quantized result is close to the fp32 one: the error is bounded by the two scales
    np.testing.assert_allclose(y, X @ W + BIAS, atol=0.03)
    onnx.checker.check_model(m)


def test_bias_already_second_and_nothing_to_quantize():
    m, _ = quantize_model(tiny_model(bias_first=False))
    assert list(m.graph.node[5].input)[1] == "bias"
    none, stats = quantize_model(tiny_model(), min_elements=100)          # W has 6 elements: left in fp32
    assert stats["quantized"] == 0 and stats["skipped_small"] == 1
    assert [n.op_type for n in none.graph.node] == ["MatMul", "Add", "MatMul"]


def _tiny_folder(tmp_path):
    d = tmp_path / "m"
    (d / "onnx").mkdir(parents=True)
    onnx.save(tiny_model(), str(d / "onnx" / "model.onnx"))
    (d / "drehr.json").write_text(json.dumps({"format": 1, "id": "drehr-tiny", "onnx": "onnx/model.onnx", "dim": 2}))
    return d


def test_folder_records_both_graphs(tmp_path):
    d = _tiny_folder(tmp_path)
    res = quantize_folder(str(d))
    assert res["onnx_int8"] == INT8_ONNX and (d / INT8_ONNX).is_file()
    meta = json.loads((d / "drehr.json").read_text())
    assert meta["onnx"] == "onnx/model.onnx" and meta["onnx_int8"] == INT8_ONNX and meta["id"] == "drehr-tiny"
    assert meta["quantization"]["quantized_matmuls"] == 1
    assert (os.stat(d / INT8_ONNX).st_mode & 0o777) == 0o644
    with pytest.raises(ValueError, match="overwrite"):
        quantize_folder(str(d), out_rel="onnx/model.onnx")


def test_cli_errors_are_clear(tmp_path):
    from drehr_train.cli import main
    assert main(["quantize", "--model", str(tmp_path / "nope")]) == 1
    d = _tiny_folder(tmp_path)
    assert main(["quantize", "--model", str(d), "--min-elements", "100"]) == 1   # nothing to quantize: refused
    assert not (d / INT8_ONNX).exists()
    assert main(["quantize", "--model", str(d)]) == 0


def _ort_embed(model_dir, rel):
    script = os.path.join(REPO, "python", "tests", "ort_embed.js")
    if shutil.which("node") is None or not os.path.isdir(os.path.join(REPO, "node_modules", "onnxruntime-node")):
        pytest.skip("node or onnxruntime-node is not available")
    r = subprocess.run(["node", script, model_dir, rel], capture_output=True, text=True, timeout=300, cwd=REPO)
    assert r.returncode == 0, r.stderr[-2000:]
    return np.array(json.loads(r.stdout.strip().splitlines()[-1])["embeddings"])


# Measured on the demo model drehr-bfcb6626414b (2026-12-07): min cosine 0.99994 over the 13 reference texts.
MIN_COSINE = 0.999


def test_demo_model_int8_parity_with_fp32(tmp_path):
    if not os.path.isfile(os.path.join(DEMO, "onnx", "model.onnx")):
        pytest.skip("models/demo has no ONNX")
    d = tmp_path / "demo"
    shutil.copytree(DEMO, d, ignore=shutil.ignore_patterns("model.int8.onnx", "lexicon.json.gz"))
    quantize_folder(str(d))
    ref = json.loads((d / "reference.json").read_text())["texts"]
    fp32 = np.array([t["embedding"] for t in ref])                       # PyTorch fp32, from the export
    int8 = _ort_embed(str(d), INT8_ONNX)
    cos = (fp32 * int8).sum(1) / np.linalg.norm(fp32, axis=1) / np.linalg.norm(int8, axis=1)
    assert cos.min() >= MIN_COSINE, cos
    # top-1 agreement: each reference query ranks the reference passages with the same winner
    q = [i for i, t in enumerate(ref) if t["kind"] == "query"]
    p = [i for i, t in enumerate(ref) if t["kind"] == "passage"]
    top = lambda e: (e[q] @ e[p].T).argmax(1).tolist()  # noqa: E731
    assert top(int8) == top(fp32)
