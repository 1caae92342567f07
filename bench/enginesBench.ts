/**
 * The two engines on the same model, the same pre-tokenized length-bucketed batches and the same threads, in the same
 * run: onnxruntime in-process against the PyTorch child (python -m drehr_train serve-encoder) over the binary
 * framing, embedding only and end-to-end indexing (read, chunk, tokenize, embed, write). Rounds alternate the engines
 * so a change of machine load hits both. On this CPU-only machine the torch engine runs fp32 on CPU; the CUDA
 * comparison is bench/engines_cuda.py.
 * Usage: npm run bench:engines [-- --model DIR --threads T --python PY --rounds R --chunks N --patients P --out FILE.md]
 */
import '../src/shared/nativeEnvInit'; // first: native libraries read it when they load
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EngineChoice } from '../src/shared/protocol';
import { Engine } from '../src/sidecar/engine';
import { defaultEngineConfig } from '../src/sidecar/defaults';
import { lengthBatches } from '../src/sidecar/encoder/batching';
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
const modelDir = path.resolve(arg('model', path.join(repo, 'models', 'demo')));
const threads = Number(arg('threads', '2'));
const rounds = Number(arg('rounds', '2'));
/** Embedding takes the first N chunks (0: all); indexing always takes the whole demo folder. */
const maxChunks = Number(arg('chunks', '0'));
const python = arg('python', fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const outFile = arg('out', path.join(repo, 'bench', 'ENGINES.md'));
const demoNotes = path.join(repo, 'demo', 'notes');
/** The first N patient folders of the demo notes (0: all of demo/notes). */
const patients = Number(arg('patients', '0'));

interface Row {
  engine: string;
  embedS: number[];
  indexS: number[];
}

async function main(): Promise<void> {
  const started = Date.now();
  const machine = machineLine();
  const work = path.join(repo, 'bench', 'work', 'engines');
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  let notesRoot = demoNotes;
  if (patients > 0) {
    notesRoot = path.join(work, 'notes');
    for (const p of fs.readdirSync(demoNotes).filter((d) => /^p\d+$/.test(d)).sort().slice(0, patients)) fs.cpSync(path.join(demoNotes, p), path.join(notesRoot, p), { recursive: true });
  }
  const base = defaultEngineConfig(notesRoot, modelDir, { device: 'cpu' });
  const scanner = new Scanner({ root: notesRoot, include: base.include, exclude: base.exclude, skip: [] });
  const texts: string[] = [];
  for (const f of scanner.scan()) {
    const parsed = parseNoteFile(f.rel, fs.readFileSync(path.join(notesRoot, f.rel)), { columns: base.columns, maxFileBytes: base.maxFileBytes });
    for (const n of parsed.notes) for (const ch of chunkNote(n, base.chunking)) texts.push(ch.text);
  }

  const indexChunks = texts.length;
  if (maxChunks > 0) texts.splice(maxChunks);
  const engines: EngineChoice[] = ['onnx', 'torch'];
  const open = (engine: EngineChoice, indexDir: string): Promise<Engine> =>
    Engine.open({ ...base, engine, python, indexLocation: indexDir }, silentLogger, { threads, torch: { torchDtype: 'fp32' } });
  const rows = new Map<string, Row>(engines.map((e) => [e, { engine: e, embedS: [], indexS: [] }]));
  let info = '';
  let limits = '';
  let batchCount = 0;
  for (let r = 0; r < rounds; r++) {
    for (const e of engines) {
      const row = rows.get(e)!;
      // Embedding only: the same pre-tokenized, length-bucketed batches.
      const eng = await open(e, path.join(work, `probe-${e}`));
      const enc = eng.encoder;
      const ids = enc.tokenize(texts, 'passage');
      const batches = lengthBatches(
        ids.map((s) => s.length),
        enc.limits,
      );
      batchCount = batches.length;
      limits = `${enc.limits.maxBatch} sequences / ${enc.limits.maxTokens} tokens a batch`;
      await enc.embedIds(ids.slice(0, 64)); // warm-up
      const t0 = performance.now();
      await enc.embedIds(ids, {}, batches);
      row.embedS.push((performance.now() - t0) / 1000);
      if (e === 'torch') info = `PyTorch ${enc.torch?.hello.torch} (${python}), ${enc.info.device} ${enc.info.dtype}`;
      await eng.close();
      // End to end: a fresh index of the demo notes.
      const indexDir = path.join(work, `index-${e}-${r}`);
      const idx = await open(e, indexDir);
      const t1 = performance.now();
      const res = await idx.index({ workId: 'bench' });
      row.indexS.push((performance.now() - t1) / 1000);
      if (res.chunksAdded !== indexChunks) throw new Error(`${e}: indexed ${res.chunksAdded} chunks, expected ${indexChunks}`);
      await idx.close();
    }
  }
  const best = (xs: number[]): number => Math.min(...xs);
  const n = texts.length;
  const onnx = rows.get('onnx')!;
  const torch = rows.get('torch')!;
  const line = (row: Row): string =>
    `| ${row.engine} | ${(n / best(row.embedS)).toFixed(1)} | ${row.embedS.map((s) => s.toFixed(2)).join(', ')} | ${(indexChunks / best(row.indexS)).toFixed(1)} | ${row.indexS.map((s) => s.toFixed(2)).join(', ')} |`;
  const md = [
    '# Engines: onnxruntime against PyTorch (bench/enginesBench.ts)',
    '',
    `\`npm run bench:engines -- ${args.join(' ')}\`, ${new Date().toISOString().slice(0, 10)}. Model \`${path.relative(repo, modelDir) || modelDir}\`; embedding: ${n} of those chunks`,
    `(passages, ${batchCount} length-bucketed batches of at most ${limits}), ${threads} threads for both engines, ${rounds} rounds`,
    `alternating the engines (best round in chunks/s; every round's seconds listed); indexing: all ${indexChunks} chunks of ${patients > 0 ? `the first ${patients} patients' demo notes` : 'the demo notes'} into a`,
    `fresh index. Torch engine: ${info}.`,
    '',
    `Machine: ${machine}. Load at the end: ${(fs.existsSync('/proc/loadavg') ? fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ') : 'unknown')} (2 cores shared with other engineers' builds and tests).`,
    '',
    '| engine | embed chunks/s | embed s per round | index chunks/s (end to end) | index s per round |',
    '|---|---:|---|---:|---|',
    line(onnx),
    line(torch),
    '',
    `Ratio torch / onnx: embedding ${(best(onnx.embedS) / best(torch.embedS)).toFixed(2)}, end-to-end indexing ${(best(onnx.indexS) / best(torch.indexS)).toFixed(2)}.`,
    '',
    'Reading: on CPU onnxruntime (fused graph) is the engine to use, which is what `drehr.engine: auto` picks there;',
    'the torch engine is for CUDA servers (bench/engines_cuda.py measures it against a bare fp16 forward). Run in',
    `${((Date.now() - started) / 1000).toFixed(0)} s.`,
    '',
  ].join('\n');
  fs.writeFileSync(outFile, md);
  process.stdout.write(md);
  fs.rmSync(work, { recursive: true, force: true });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
