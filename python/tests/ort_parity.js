// Runs a model folder's ONNX in onnxruntime-node on its reference.json texts (with the reference's own input_ids)
// and prints {"max_abs_diff": d, "ids_checked": n} on stdout: the parity of the ONNX graph with PyTorch.
// Usage: node python/tests/ort_parity.js <model dir>   (run from the repository root, where node_modules lives)
'use strict';
// No onnxruntime telemetry (it queues events under ~/.cache/Microsoft otherwise): set before it loads.
if (!process.env.ORT_DISABLE_TELEMETRY) process.env.ORT_DISABLE_TELEMETRY = '1';
const fs = require('fs');
const path = require('path');
const ort = require(path.resolve(__dirname, '../../node_modules/onnxruntime-node'));

async function main() {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: ort_parity.js <model dir>');
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'drehr.json'), 'utf8'));
  const ref = JSON.parse(fs.readFileSync(path.join(dir, 'reference.json'), 'utf8'));
  const session = await ort.InferenceSession.create(path.join(dir, meta.onnx || 'onnx/model.onnx'), {
    executionProviders: ['cpu'], intraOpNumThreads: 1,
  });
  // one padded batch of all texts: also checks that padding does not change the pooled vectors
  const seqs = ref.texts.map((t) => t.input_ids);
  const width = Math.max(...seqs.map((s) => s.length));
  const n = seqs.length;
  const ids = new BigInt64Array(n * width);
  const mask = new BigInt64Array(n * width);
  seqs.forEach((s, i) => s.forEach((v, j) => { ids[i * width + j] = BigInt(v); mask[i * width + j] = 1n; }));
  const feeds = {
    input_ids: new ort.Tensor('int64', ids, [n, width]),
    attention_mask: new ort.Tensor('int64', mask, [n, width]),
  };
  if (session.inputNames.includes('token_type_ids')) {
    feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(n * width), [n, width]);
  }
  const out = (await session.run(feeds)).last_hidden_state;
  const hidden = out.dims[2];
  const h = out.data;
  let maxDiff = 0;
  seqs.forEach((s, i) => {
    const v = new Float64Array(hidden);
    if (meta.pooling === 'cls') {
      for (let k = 0; k < hidden; k++) v[k] = h[(i * width) * hidden + k];
    } else {
      for (let j = 0; j < s.length; j++) for (let k = 0; k < hidden; k++) v[k] += h[(i * width + j) * hidden + k];
      for (let k = 0; k < hidden; k++) v[k] /= s.length;
    }
    if (meta.normalize) {
      const norm = Math.sqrt(v.reduce((a, x) => a + x * x, 0)) || 1;
      for (let k = 0; k < hidden; k++) v[k] /= norm;
    }
    const e = ref.texts[i].embedding;
    for (let k = 0; k < hidden; k++) maxDiff = Math.max(maxDiff, Math.abs(v[k] - e[k]));
  });
  process.stdout.write(JSON.stringify({ max_abs_diff: maxDiff, texts: n }) + '\n');
}

main().catch((e) => { process.stderr.write(String(e && e.stack || e) + '\n'); process.exit(1); });
