/**
 * fp32 against int8 encoding speed of one model folder, in the same run on the same pre-tokenized,
 * length-bucketed batches: both encoders are open at once and each batch runs on both back to back, alternating
 * which goes first, so the shared machine's load falls on both. Also how close the int8 vectors are to the fp32 ones (cosine).
 * Needs a folder with both graphs (`python -m drehr_train quantize --model DIR`).
 * Corpus: chunks of the MTSamples notes from ../shared/data when present (dev only), else of the demo notes.
 * Usage: npm run bench:int8 -- [--model DIR] [--chunks N] [--rounds R] [--threads T] [--batch B (chunks a batch, 32)]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lengthBatches } from '../src/sidecar/encoder/batching';
import { Encoder } from '../src/sidecar/encoder/encoder';
import { silentLogger } from '../src/sidecar/log';
import { chunkNote } from '../src/sidecar/notes/chunker';
import { parseNoteFile } from '../src/sidecar/notes/parse';
import { Scanner } from '../src/sidecar/indexer/scan';
import { machineLine } from './machine';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
};
const repo = process.cwd();
const modelDir = path.resolve(arg('model', path.join(repo, 'models', 'demo')));
const chunksWanted = Number(arg('chunks', '256'));
const rounds = Number(arg('rounds', '3'));
const threads = Number(arg('threads', '2'));
const maxBatch = Number(arg('batch', '32'));
const mtsamples = path.join(repo, '..', 'shared', 'data', 'notes', 'mtsamples.csv');
const columns = { text: '', patientId: '', noteId: '', noteType: '', date: '' };

function chunkTexts(): { texts: string[]; label: string } {
  const chunking = { words: 100, overlap: 10, minWords: 50 };
  const texts: string[] = [];
  if (fs.existsSync(mtsamples)) {
    const parsed = parseNoteFile('mtsamples.csv', fs.readFileSync(mtsamples), { columns: { ...columns, text: 'transcription' }, maxFileBytes: 1e9 });
    for (const n of parsed.notes) {
      for (const c of chunkNote(n, chunking)) texts.push(c.text);
      if (texts.length >= chunksWanted) break;
    }
    return { texts: texts.slice(0, chunksWanted), label: 'MTSamples chunks (../shared/data, dev only)' };
  }
  const root = path.join(repo, 'demo', 'notes');
  for (const f of new Scanner({ root, include: ['**/*.md', '**/*.csv'], exclude: [], skip: [] }).scan()) {
    for (const n of parseNoteFile(f.rel, fs.readFileSync(path.join(root, f.rel)), { columns, maxFileBytes: 1e9 }).notes) texts.push(...chunkNote(n, chunking).map((c) => c.text));
  }
  return { texts: texts.slice(0, chunksWanted), label: 'demo note chunks' };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const started = Date.now();
  const machine = machineLine();
  const { texts, label } = chunkTexts();
  const batch = { maxBatch, maxTokens: maxBatch * 192 };
  const fp32 = await Encoder.open({ modelDir, device: 'cpu', precision: 'fp32', threads, batch }, silentLogger);
  const int8 = await Encoder.open({ modelDir, device: 'cpu', precision: 'int8', threads, batch }, silentLogger);
  const ids = fp32.tokenize(texts, 'passage');
  const lengths = ids.map((s) => s.length);
  const batches = lengthBatches(lengths, fp32.limits);
  const encoders = { fp32, int8 };
  const warm = batches.slice(0, 1);
  for (const e of Object.values(encoders)) await e.embedIds(ids, {}, warm);

  // Batch by batch, alternating which precision goes first, so that a change in the machine's load between two
  // moments falls on both; a round is one pass over all batches for each precision.
  const seconds: Record<'fp32' | 'int8', number[]> = { fp32: [], int8: [] };
  const vectors: Record<'fp32' | 'int8', Float32Array[]> = { fp32: [], int8: [] };
  let turn = 0;
  for (let r = 0; r < rounds; r++) {
    const spent = { fp32: 0, int8: 0 };
    for (const batch of batches) {
      const order: ('fp32' | 'int8')[] = turn++ % 2 === 0 ? ['fp32', 'int8'] : ['int8', 'fp32'];
      for (const p of order) {
        const t0 = performance.now();
        const vecs = await encoders[p].runBatch(batch.map((i) => ids[i]));
        spent[p] += (performance.now() - t0) / 1000;
        if (r === 0) batch.forEach((i, j) => (vectors[p][i] = vecs[j]));
      }
    }
    seconds.fp32.push(spent.fp32);
    seconds.int8.push(spent.int8);
    process.stderr.write(`round ${r + 1}/${rounds}: fp32 ${spent.fp32.toFixed(2)} s, int8 ${spent.int8.toFixed(2)} s\n`);
  }
  const cos = vectors.fp32!.map((a, i) => {
    const b = vectors.int8![i];
    let d = 0;
    for (let k = 0; k < a.length; k++) d += a[k] * b[k];
    return d; // both are L2-normalized
  });
  const info = fp32.info;
  await fp32.close();
  await int8.close();
  const rate = (p: 'fp32' | 'int8'): number => texts.length / median(seconds[p]);
  const ratios = seconds.fp32.map((s, i) => s / seconds.int8[i]);
  const tokens = lengths.reduce((a, b) => a + b, 0);
  const size = (rel: string | undefined): string => (rel ? `${(fs.statSync(path.join(modelDir, rel)).size / 1e6).toFixed(1)} MB` : '?');
  const drehr = JSON.parse(fs.readFileSync(path.join(modelDir, 'drehr.json'), 'utf8')) as { onnx?: string; onnx_int8?: string };
  const lines = [
    `### bench:int8 — ${path.basename(modelDir)} (${info.id}) — ${new Date().toISOString()}`,
    '',
    `Machine: ${machine}; load average at the end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}.`,
    `Model: ${info.dim}-d, ${JSON.stringify(JSON.parse(fs.readFileSync(path.join(modelDir, 'config.json'), 'utf8'), (k, v) => (['hidden_size', 'num_hidden_layers', 'intermediate_size', 'vocab_size'].includes(k) || k === '' ? v : undefined)))}; ONNX fp32 ${size(drehr.onnx)}, int8 ${size(drehr.onnx_int8)}. onnxruntime-node CPU, ${threads} intra-op threads.`,
    `Corpus: ${texts.length} ${label}, ${tokens} tokens (mean ${(tokens / texts.length).toFixed(1)}), ${batches.length} length-bucketed batches of at most ${fp32.limits.maxBatch}; ${rounds} rounds, each batch run by both precisions back to back, alternating which goes first.`,
    '',
    '| precision | chunks/s (median round) | seconds per round |',
    '|---|---:|---|',
    `| fp32 | ${rate('fp32').toFixed(1)} | ${seconds.fp32.map((s) => s.toFixed(2)).join(', ')} |`,
    `| int8 | ${rate('int8').toFixed(1)} | ${seconds.int8.map((s) => s.toFixed(2)).join(', ')} |`,
    '',
    `- int8 / fp32 speed: **${median(ratios).toFixed(2)}×** (median of the per-round ratios ${ratios.map((x) => x.toFixed(2)).join(', ')})`,
    `- cosine(int8, fp32) of the same chunk: mean ${(cos.reduce((a, b) => a + b, 0) / cos.length).toFixed(5)}, min ${Math.min(...cos).toFixed(5)}`,
    `- wall time ${((Date.now() - started) / 1000).toFixed(0)} s`,
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
