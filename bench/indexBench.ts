/**
 * Indexing throughput: the whole pipeline (read, parse, chunk, tokenize, encode, write, index upkeep) against the
 * raw onnxruntime session on the same pre-tokenized, length-bucketed batches, in the same run; and
 * length-bucketed against fixed-order batching on the raw session.
 * Corpus: the first N MTSamples notes from ../shared/data when present (dev only), else the demo notes.
 * Usage: npm run bench:index [-- --notes N --model DIR --threads T]
 */
import '../src/shared/nativeEnvInit'; // first: native libraries read it when they load
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Engine } from '../src/sidecar/engine';
import { defaultEngineConfig } from '../src/sidecar/defaults';
import { fixedOrderBatches, lengthBatches } from '../src/sidecar/encoder/batching';
import { silentLogger } from '../src/sidecar/log';
import { Scanner } from '../src/sidecar/indexer/scan';
import { chunkNote } from '../src/sidecar/notes/chunker';
import { parseNoteFile } from '../src/sidecar/notes/parse';
import { machineLine } from './machine';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
};
const repo = process.cwd();
const notesWanted = Number(arg('notes', '1500'));
const modelDir = path.resolve(arg('model', path.join(repo, 'models', 'demo')));
const threads = Number(arg('threads', '2'));
const mtsamples = path.join(repo, '..', 'shared', 'data', 'notes', 'mtsamples.csv');

function corpus(): { root: string; columns: { text: string; patientId: string; noteId: string; noteType: string; date: string }; label: string } {
  const work = path.join(repo, 'bench', 'work', 'corpus');
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  const columns = { text: '', patientId: '', noteId: '', noteType: '', date: '' };
  if (fs.existsSync(mtsamples)) {
    const bytes = fs.readFileSync(mtsamples);
    const parsed = parseNoteFile('mtsamples.csv', bytes, { columns: { ...columns, text: 'transcription', noteType: 'medical_specialty' }, maxFileBytes: 1e9 });
    const notes = parsed.notes.slice(0, notesWanted);
    // One .txt note per MTSamples row, 20 notes a patient folder.
    notes.forEach((n, i) => {
      const dir = path.join(work, `p${String(Math.floor(i / 20)).padStart(4, '0')}`);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, `mts-${n.noteId}.txt`), n.text);
    });
    return { root: work, columns, label: `${notes.length} MTSamples notes (../shared/data, dev only), one .txt each` };
  }
  fs.cpSync(path.join(repo, 'demo', 'notes'), work, { recursive: true });
  return { root: work, columns, label: 'the demo notes (127 .md + 80 CSV rows)' };
}

async function main(): Promise<void> {
  const started = Date.now();
  const c = corpus();
  const indexDir = path.join(repo, 'bench', 'work', 'index');
  fs.rmSync(indexDir, { recursive: true, force: true });
  const config = defaultEngineConfig(c.root, modelDir, { device: 'cpu', indexLocation: indexDir, columns: c.columns });
  const engine = await Engine.open(config, silentLogger, { threads });
  const enc = engine.encoder;

  // The chunks and their token ids, outside any timing (for the raw-session baselines).
  const scanner = new Scanner({ root: c.root, include: config.include, exclude: config.exclude, skip: [] });
  const texts: string[] = [];
  for (const f of scanner.scan()) {
    const parsed = parseNoteFile(f.rel, fs.readFileSync(path.join(c.root, f.rel)), { columns: c.columns, maxFileBytes: config.maxFileBytes });
    for (const n of parsed.notes) for (const ch of chunkNote(n, config.chunking)) texts.push(ch.text);
  }
  const ids = enc.tokenize(texts, 'passage');
  const lengths = ids.map((s) => s.length);
  const warm = lengthBatches(lengths.slice(0, 64), enc.limits);
  for (const b of warm) await enc.runBatch(b.map((i) => ids[i]));

  const timeRaw = async (batches: number[][]): Promise<number> => {
    const t0 = performance.now();
    for (const b of batches) await enc.runBatch(b.map((i) => ids[i]));
    return (performance.now() - t0) / 1000;
  };
  const bucketed = lengthBatches(lengths, enc.limits);
  const naive = fixedOrderBatches(lengths, enc.limits);
  const padded = (bs: number[][]): number => bs.reduce((s, b) => s + b.length * Math.max(...b.map((i) => lengths[i])), 0);

  // Alternate runs to spread the shared machine's noise over both sides.
  const rawS: number[] = [];
  const naiveS: number[] = [];
  const pipeS: number[] = [];
  let chunks = 0;
  for (let rep = 0; rep < 2; rep++) {
    rawS.push(await timeRaw(bucketed));
    naiveS.push(await timeRaw(naive));
    const t0 = performance.now();
    const r = await engine.index({ workId: 'bench', rebuild: true });
    pipeS.push((performance.now() - t0) / 1000);
    chunks = r.chunksAdded;
  }
  await engine.close();
  const best = (xs: number[]): number => Math.min(...xs);
  const rawRate = texts.length / best(rawS);
  const naiveRate = texts.length / best(naiveS);
  const pipeRate = chunks / best(pipeS);
  const tokens = lengths.reduce((a, b) => a + b, 0);
  const lines = [
    `### bench:index — ${new Date().toISOString()}`,
    '',
    `Machine: ${machineLine()}. Model: ${engine.model.id} (${engine.model.dim}-d), onnxruntime CPU, ${threads} threads.`,
    `Corpus: ${c.label}: ${chunks} chunks, ${tokens} tokens (mean ${(tokens / texts.length).toFixed(1)} a chunk). Best of 2 alternating runs each.`,
    '',
    '| measure | chunks/s | seconds |',
    '|---|---|---|',
    `| raw session, length-bucketed batches (pre-tokenized) | ${rawRate.toFixed(0)} | ${best(rawS).toFixed(2)} |`,
    `| raw session, fixed-order batches (pre-tokenized) | ${naiveRate.toFixed(0)} | ${best(naiveS).toFixed(2)} |`,
    `| whole pipeline (read, chunk, tokenize, encode, write, FTS index) | ${pipeRate.toFixed(0)} | ${best(pipeS).toFixed(2)} |`,
    '',
    `- pipeline / raw encoder: **${(pipeRate / rawRate).toFixed(2)}** (target ≥ 0.9)`,
    `- length-bucketed / fixed-order batching: **${(rawRate / naiveRate).toFixed(2)}×** (padded tokens ${padded(bucketed)} vs ${padded(naive)})`,
    `- wall time of the benchmark: ${((Date.now() - started) / 1000).toFixed(0)} s`,
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
