/**
 * Streaming a MIMIC-IV-shaped discharge.csv (bench/mimicCsv.ts, seeded) into the index, in /tmp, never the repo:
 *   (a) the streaming read + chunk path alone (notes/stream.ts + the chunker) on the whole file (default 1 GB):
 *       rows/s, MB/s and peak RSS, with RSS sampled along the file;
 *   (b) the old whole-file reader (readFileSync + parseNoteFile + chunk every note) against (a)'s reader on a slice it
 *       can handle (default 64 MB, the old limit), as a ratio in the same run;
 *   (c) full indexing (Engine.index: check pass, stream, chunk, embed, LanceDB writes, FTS) with the tiny untrained
 *       fixture model on two slices (default 25 and 50 MB): rows/s and peak RSS, to show memory does not grow with
 *       the file.
 * Each measurement runs in its own child process, so its peak RSS (getrusage maxrss) is its own.
 * Usage: npm run bench:stream -- [--size-mb 1024] [--baseline-mb 64] [--index-mb 50] [--dir /tmp/drehr-stream-bench] [--keep]
 */
import '../src/shared/nativeEnvInit'; // first: native libraries read it when they load
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Engine } from '../src/sidecar/engine';
import { defaultEngineConfig } from '../src/sidecar/defaults';
import { silentLogger } from '../src/sidecar/log';
import { iterateChunks } from '../src/sidecar/notes/chunker';
import { parseNoteFile } from '../src/sidecar/notes/parse';
import { streamNotes } from '../src/sidecar/notes/stream';
import { machineLine } from './machine';
import { writeMimicCsv } from './mimicCsv';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
};
const MB = 1048576;
const repo = process.cwd();
const fixtureModel = path.join(repo, 'test', 'fixtures', 'untrained-model');
const COLUMNS = { text: '', patientId: '', noteId: '', noteType: '', date: '' };
/** mimicCsv's note size: 4 gives ~10 KB notes, near MIMIC-IV discharge notes (331,793 in ~3.3 GB). */
const NOTE_SCALE = 4;
const CHUNKING = defaultEngineConfig(repo, fixtureModel, {}).chunking;

interface Measure {
  rows: number;
  chunks: number;
  bytes: number;
  seconds: number;
  /** user + system CPU seconds of the process (steadier than wall time on a shared box). */
  cpuSeconds: number;
  peakRssMB: number;
  /** RSS (MB) at 10%, 25%, 50%, 75%, 100% of the file. */
  rssAlong: number[];
}

const peakRss = (): number => process.resourceUsage().maxRSS / 1024;
const cpu = (): number => {
  const u = process.resourceUsage();
  return (u.userCPUTime + u.systemCPUTime) / 1e6;
};
const rssNow = (): number => process.memoryUsage().rss / MB;

/** (a) and (b), streaming side: read + chunk, nothing kept. */
async function measureStream(file: string): Promise<Measure> {
  const size = fs.statSync(file).size;
  const marks = [0.1, 0.25, 0.5, 0.75];
  const along: number[] = [];
  const t0 = process.hrtime.bigint();
  const c0 = cpu();
  let rows = 0;
  let chunks = 0;
  for await (const item of streamNotes(file, 'discharge.csv', { columns: COLUMNS, maxNoteBytes: 64 * MB })) {
    if (item.kind !== 'note') continue;
    rows++;
    for (const c of iterateChunks(item.note, CHUNKING)) chunks += c.text.length > 0 ? 1 : 0;
    while (marks.length && item.end.offset >= marks[0] * size) {
      marks.shift();
      along.push(rssNow());
    }
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  along.push(rssNow());
  return { rows, chunks, bytes: size, seconds, cpuSeconds: cpu() - c0, peakRssMB: peakRss(), rssAlong: along };
}

/** (b), old side: what the indexer did before streaming (the whole file in memory, every note parsed, then chunked). */
function measureWhole(file: string): Measure {
  const t0 = process.hrtime.bigint();
  const c0 = cpu();
  const bytes = fs.readFileSync(file);
  const parsed = parseNoteFile('discharge.csv', bytes, { columns: COLUMNS, maxFileBytes: bytes.length + 1 });
  let chunks = 0;
  for (const n of parsed.notes) for (const c of iterateChunks(n, CHUNKING)) chunks += c.text.length > 0 ? 1 : 0;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { rows: parsed.notes.length, chunks, bytes: bytes.length, seconds, cpuSeconds: cpu() - c0, peakRssMB: peakRss(), rssAlong: [rssNow()] };
}

/** (c): a workspace holding the file, indexed from scratch with the fixture model. */
async function measureIndex(file: string, threads: number): Promise<Measure> {
  const ws = fs.mkdtempSync(path.join(path.dirname(file), 'ws-'));
  try {
    fs.mkdirSync(path.join(ws, 'mimic'));
    fs.linkSync(file, path.join(ws, 'mimic', 'discharge.csv'));
    const size = fs.statSync(file).size;
    const config = defaultEngineConfig(ws, fixtureModel, { device: 'cpu' });
    const engine = await Engine.open(config, silentLogger, { threads });
    const marks = [0.1, 0.25, 0.5, 0.75];
    const along: number[] = [];
    const t0 = process.hrtime.bigint();
    const c0 = cpu();
    try {
      const r = await engine.index({ workId: 'bench' }, (p) => {
        if (p.phase !== 'read' || p.unit !== 'bytes') return;
        while (marks.length && p.done >= marks[0] * size) {
          marks.shift();
          along.push(rssNow());
        }
      });
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      along.push(rssNow());
      return { rows: r.status.notes, chunks: r.status.chunks, bytes: size, seconds, cpuSeconds: cpu() - c0, peakRssMB: peakRss(), rssAlong: along };
    } finally {
      await engine.close();
    }
  } finally {
    fs.rmSync(ws, { recursive: true, force: true });
  }
}

/** Runs one measurement in a child process (its own peak RSS). */
function child(kind: string, file: string, threads: number): Measure {
  const r = spawnSync(process.execPath, [process.argv[1], '--child', kind, '--file', file, '--threads', String(threads)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`${kind} on ${file} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Measure;
}

async function slice(dir: string, mb: number): Promise<{ file: string; rows: number; bytes: number; seconds: number }> {
  const file = path.join(dir, `discharge-${mb}MB.csv`);
  const t0 = Date.now();
  const w = await writeMimicCsv(file, mb * MB, 1, NOTE_SCALE);
  return { file, ...w, seconds: (Date.now() - t0) / 1000 };
}

const f1 = (x: number): string => x.toFixed(1);
const f0 = (x: number): string => x.toFixed(0);

function row(label: string, m: Measure): string {
  return `| ${label} | ${f1(m.bytes / MB)} | ${m.rows} | ${m.chunks} | ${f1(m.seconds)} | ${f1(m.cpuSeconds)} | ${f0(m.rows / m.seconds)} | ${f0(m.rows / m.cpuSeconds)} | ${f1(m.bytes / MB / m.seconds)} | ${f0(m.peakRssMB)} | ${m.rssAlong.map(f0).join(' / ')} |`;
}

async function main(): Promise<void> {
  const kindAt = args.indexOf('--child');
  if (kindAt >= 0) {
    const kind = args[kindAt + 1];
    const file = arg('file', '');
    const threads = Number(arg('threads', '2'));
    const m = kind === 'stream' ? await measureStream(file) : kind === 'whole' ? measureWhole(file) : await measureIndex(file, threads);
    process.stdout.write(JSON.stringify(m) + '\n');
    return;
  }
  const started = Date.now();
  const sizeMb = Number(arg('size-mb', '1024'));
  const baselineMb = Number(arg('baseline-mb', '64'));
  const indexMb = Number(arg('index-mb', '50'));
  const threads = Number(arg('threads', '2'));
  const dir = arg('dir', path.join(os.tmpdir(), 'drehr-stream-bench'));
  if (path.resolve(dir).startsWith(repo + path.sep)) throw new Error('--dir must be outside the repository (the files are gigabytes)');
  fs.mkdirSync(dir, { recursive: true });
  const machine = machineLine();
  const full = await slice(dir, sizeMb);
  const base = await slice(dir, baselineMb);
  const idxSmall = await slice(dir, Math.max(1, Math.round(indexMb / 2)));
  const idx = await slice(dir, indexMb);
  try {
    const a = child('stream', full.file, threads);
    const bStream = child('stream', base.file, threads);
    const bWhole = child('whole', base.file, threads);
    const c1 = child('index', idxSmall.file, threads);
    const c2 = child('index', idx.file, threads);
    const head = '| measure | MB | notes | chunks | wall s | CPU s | notes/s (wall) | notes/CPU-s | MB/s (wall) | peak RSS MB | RSS MB at 10/25/50/75/100% |\n|---|---|---|---|---|---|---|---|---|---|---|';
    const out = [
      `### bench:stream — ${new Date().toISOString().slice(0, 16)}Z`,
      '',
      `Machine: ${machine}.`,
      `Corpus: a MIMIC-IV-shaped discharge.csv from bench/mimicCsv.ts (seed 1, ~${f1((full.bytes / full.rows) / 1024)} KB a note, quoted multi-line text with doubled quotes), generated in ${dir} (${f1(full.seconds)} s for the ${f1(full.bytes / MB)} MB file). Model for (c): test/fixtures/untrained-model (32-d, 1 layer), onnxruntime CPU, ${threads} threads, write batches of 256 chunks. Each measure in its own process (peak RSS = getrusage maxrss).`,
      '',
      head,
      row(`(a) stream read + chunk, whole file`, a),
      row(`(b) stream read + chunk, ${baselineMb} MB slice`, bStream),
      row(`(b) old whole-file read + parse + chunk, same slice`, bWhole),
      row(`(c) full index (check pass, stream, embed, write, FTS), ${Math.round(indexMb / 2)} MB slice`, c1),
      row(`(c) full index, ${indexMb} MB slice`, c2),
      '',
      `- streaming / whole-file reader on the ${baselineMb} MB slice: speed **${(bWhole.cpuSeconds / bStream.cpuSeconds).toFixed(2)}×** by CPU time (${(bWhole.seconds / bStream.seconds).toFixed(2)}× by wall time), peak RSS **${(bStream.peakRssMB / bWhole.peakRssMB).toFixed(2)}×** (${f0(bStream.peakRssMB)} vs ${f0(bWhole.peakRssMB)} MB)`,
      `- streaming peak RSS, whole ${f1(full.bytes / MB)} MB file / ${baselineMb} MB slice: **${(a.peakRssMB / bStream.peakRssMB).toFixed(2)}×** for ${(full.bytes / base.bytes).toFixed(1)}× the bytes`,
      `- full index peak RSS, ${indexMb} MB / ${Math.round(indexMb / 2)} MB slice: **${(c2.peakRssMB / c1.peakRssMB).toFixed(2)}×** for ${(idx.bytes / idxSmall.bytes).toFixed(1)}× the bytes; full index / stream-only notes per CPU-second: ${(c2.rows / c2.cpuSeconds / (a.rows / a.cpuSeconds)).toFixed(2)}`,
      `- wall time of the benchmark: ${f0((Date.now() - started) / 1000)} s`,
    ];
    process.stdout.write(out.join('\n') + '\n');
  } finally {
    if (!args.includes('--keep')) for (const f of [full, base, idxSmall, idx]) fs.rmSync(f.file, { force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
