// Embeds a model folder's reference.json texts (their own input_ids, one padded batch) with one of its ONNX files
// in onnxruntime-node (graph optimization "all", as the sidecar runs it) and prints {"onnx", "embeddings": [[...]]}.
// Usage: node python/tests/ort_embed.js <model dir> [onnx path inside the folder, default drehr.json's "onnx"]
// Used by test_quantize.py to compare the int8 graph with its fp32 self.
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require(path.resolve(__dirname, '../../node_modules/onnxruntime-node'));

async function main() {
  const [dir, rel] = process.argv.slice(2);
  if (!dir) throw new Error('usage: ort_embed.js <model dir> [onnx path]');
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'drehr.json'), 'utf8'));
  const ref = JSON.parse(fs.readFileSync(path.join(dir, 'reference.json'), 'utf8'));
  const onnx = rel || meta.onnx || 'onnx/model.onnx';
  const session = await ort.InferenceSession.create(path.join(dir, onnx), {
    executionProviders: ['cpu'], intraOpNumThreads: 1, graphOptimizationLevel: 'all',
  });
  const seqs = ref.texts.map((t) => t.input_ids);
  const width = Math.max(...seqs.map((s) => s.length));
  const n = seqs.length;
  const ids = new BigInt64Array(n * width);
  const mask = new BigInt64Array(n * width);
  seqs.forEach((s, i) => s.forEach((v, j) => { ids[i * width + j] = BigInt(v); mask[i * width + j] = 1n; }));
  const feeds = { input_ids: new ort.Tensor('int64', ids, [n, width]), attention_mask: new ort.Tensor('int64', mask, [n, width]) };
  if (session.inputNames.includes('token_type_ids')) feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(n * width), [n, width]);
  const out = (await session.run(feeds)).last_hidden_state;
  const hidden = out.dims[2];
  const h = out.data;
  const embeddings = seqs.map((s, i) => {
    const v = new Float64Array(hidden);
    if (meta.pooling === 'cls') for (let k = 0; k < hidden; k++) v[k] = h[i * width * hidden + k];
    else {
      for (let j = 0; j < s.length; j++) for (let k = 0; k < hidden; k++) v[k] += h[(i * width + j) * hidden + k];
      for (let k = 0; k < hidden; k++) v[k] /= s.length;
    }
    const norm = meta.normalize === false ? 1 : Math.sqrt(v.reduce((a, x) => a + x * x, 0)) || 1;
    return Array.from(v, (x) => x / norm);
  });
  process.stdout.write(JSON.stringify({ onnx, embeddings }) + '\n');
}

main().catch((e) => { process.stderr.write(String((e && e.stack) || e) + '\n'); process.exit(1); });
