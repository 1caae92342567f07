/**
 * Search latency (p50/p95 of one query: encode with the demo model + dense search, top 10) at several table sizes
 * with synthetic clustered vectors, flat (exact) below 20k rows and IVF_PQ above; recall@10 of the ANN index
 * against exact search on the same queries. Usage: npm run bench:search [-- --sizes 10000,100000 --queries 100]
 */
import '../src/shared/nativeEnvInit'; // first: native libraries read it when they load
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Encoder } from '../src/sidecar/encoder/encoder';
import { silentLogger } from '../src/sidecar/log';
import { ANN_MIN_ROWS, annParams, annSearchParams } from '../src/sidecar/store/ann';
import type { ChunkRow } from '../src/sidecar/store/schema';
import type { RankedChunk } from '../src/sidecar/store/store';
import { Store } from '../src/sidecar/store/store';
import { aggregatePatients } from '../src/sidecar/patients';
import { PATIENT_PASSAGE_DEPTH } from '../src/shared/search';
import { machineLine, percentile } from './machine';
import { prng } from '../src/review/order';
import { loadLexicon, type Lexicon } from '../src/sidecar/expansion/lexicon';
import { searchPatients, searchStore } from '../src/sidecar/search';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
};
const repo = process.cwd();
const sizes = arg('sizes', '10000,100000').split(',').map(Number);
const nQueries = Number(arg('queries', '100'));
const modelDir = path.resolve(arg('model', path.join(repo, 'models', 'demo')));
/** Words a synthetic chunk holds (the demo notes' chunks average about 100 words). */
const WORDS_PER_CHUNK = Number(arg('words', '100'));

/**
 * Chunk texts for the full-text side: words drawn from the unigram distribution of the shipped demo notes, so BM25
 * meets posting lists of realistic lengths (a common word in most chunks, a rare one in few), and the hybrid and
 * patients timings include a real full-text index. The vectors stay synthetic (clusters), as before.
 */
class Unigram {
  private readonly words: string[] = [];
  private readonly rand = rng(7);
  constructor(root: string) {
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const f = path.join(dir, e.name);
        if (e.isDirectory()) walk(f);
        else if (/\.(txt|md)$/i.test(e.name)) for (const w of fs.readFileSync(f, 'utf8').split(/\s+/)) if (w) this.words.push(w);
      }
    };
    walk(root);
    if (this.words.length === 0) throw new Error(`no .txt or .md notes under ${root}`);
  }
  get size(): number {
    return this.words.length;
  }
  text(n: number): string {
    const out = new Array<string>(n);
    for (let i = 0; i < n; i++) out[i] = this.words[Math.floor(this.rand() * this.words.length)];
    return out.join(' ');
  }
}

/** Queries for the hybrid and patients timings: abbreviations, synonyms and drug names, so expansion fires. */
const HYBRID_QUERIES = ['shortness of breath on exertion', 'HTN', 'gout flare', 'colchicine 0.6 mg', 'chest pain radiating to the left arm', 'CHF exacerbation', 'heart attack', 'DM2 on metformin', 'SOB', 'kidney failure'];

/** The project's seeded mulberry32 (src/review/order.ts), so runs are comparable. */
const rng = prng;

class Clustered {
  private readonly centers: Float32Array[];
  private readonly rand: () => number;
  constructor(
    private readonly dim: number,
    clusters: number,
    seed: number,
  ) {
    this.rand = rng(seed);
    this.centers = Array.from({ length: clusters }, () => this.unit(Float32Array.from({ length: dim }, () => this.gauss())));
  }
  private gauss(): number {
    const u = Math.max(this.rand(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.rand());
  }
  private unit(v: Float32Array): Float32Array {
    let s = 0;
    for (const x of v) s += x * x;
    const inv = 1 / Math.sqrt(s);
    for (let i = 0; i < v.length; i++) v[i] *= inv;
    return v;
  }
  /** A center plus noise of about the same norm as the center's share, normalized. */
  next(): Float32Array {
    const c = this.centers[Math.floor(this.rand() * this.centers.length)];
    const v = new Float32Array(this.dim);
    const sigma = 0.6 / Math.sqrt(this.dim);
    for (let i = 0; i < this.dim; i++) v[i] = c[i] + sigma * this.gauss();
    return this.unit(v);
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const enc = await Encoder.open({ modelDir, device: 'cpu', threads: 2 }, silentLogger);
  const dim = enc.info.dim;
  const queryTexts = ['shortness of breath on exertion', 'HTN', 'gout flare', 'colchicine 0.6 mg', 'chest pain radiating to the left arm'];
  for (const q of queryTexts) await enc.embed([q], 'query');
  const out: string[] = [
    `### bench:search — ${new Date().toISOString()}`,
    '',
    `Machine: ${machineLine()}. Query encoder: ${enc.info.id} (${dim}-d) on CPU; LanceDB CPU pool LANCE_CPU_THREADS=${process.env.LANCE_CPU_THREADS}. Vectors: synthetic, ${dim}-d, 1000 Gaussian clusters (seeded).`,
    `${nQueries} queries a size; latency = encode one query text + dense top-10 search (LanceDB, cosine). ANN: IVF_PQ from ${ANN_MIN_ROWS} rows, partitions ≈ sqrt(n), sub-vectors dim/4, nprobes and refine factor from store/ann.ts.`,
    '',
    '| chunks | index | build s | p50 ms | p95 ms | recall@10 vs exact |',
    '|---|---|---|---|---|---|',
  ];
  const patientRows: string[] = [];
  const hybridRows: string[] = [];
  const deepRows: string[] = [];
  const words = new Unigram(path.join(repo, 'demo', 'notes'));
  const lexFile = path.join(modelDir, 'lexicon.json.gz');
  const lexicon: Lexicon | undefined = fs.existsSync(lexFile) ? loadLexicon(lexFile) : undefined;
  for (const n of sizes) {
    const loc = path.join(repo, 'bench', 'work', `search-${n}`);
    fs.rmSync(loc, { recursive: true, force: true });
    const store = await Store.open(loc, silentLogger);
    const gen = new Clustered(dim, 1000, 42);
    const tBuild = performance.now();
    const batch = 50_000;
    for (let i = 0; i < n; i += batch) {
      const rows: ChunkRow[] = [];
      for (let j = i; j < Math.min(n, i + batch); j++) {
        rows.push({ id: `n${j}::0`, note_id: `n${j}`, patient_id: `p${j % 5000}`, note_type: '', date: '', source: `p${j % 5000}/n${j}.md`, row: -1, char_start: 0, char_end: 10, text: words.text(WORDS_PER_CHUNK), vector: gen.next(), file_hash: '' });
      }
      await store.add(rows, dim);
      if ((i / batch) % 4 === 3) process.stderr.write(`  ${n}: ${i + rows.length} rows written, ${((performance.now() - tBuild) / 1000).toFixed(0)} s\n`);
    }
    const writeS = (performance.now() - tBuild) / 1000;
    const qgen = new Clustered(dim, 1000, 42);
    for (let i = 0; i < 1000; i++) qgen.next(); // other draws than the table's first rows
    const queries = Array.from({ length: nQueries }, () => qgen.next());

    const measure = async (): Promise<{ lat: number[]; results: string[][] }> => {
      const lat: number[] = [];
      const results: string[][] = [];
      for (let i = 0; i < queries.length; i++) {
        const t0 = performance.now();
        await enc.embed([queryTexts[i % queryTexts.length]], 'query');
        const hits = await store.dense(queries[i], 10, undefined);
        lat.push(performance.now() - t0);
        results.push(hits.map((h) => h.chunk.id));
      }
      lat.sort((a, b) => a - b);
      return { lat, results };
    };
    const exact = await measure();
    out.push(`| ${n} | flat (exact) | ${writeS.toFixed(1)} (write) | ${percentile(exact.lat, 50).toFixed(1)} | ${percentile(exact.lat, 95).toFixed(1)} | 1.000 |`);
    if (n >= ANN_MIN_ROWS) {
      const tIdx = performance.now();
      const { stalled } = await store.refreshIndexes(dim);
      const idxS = (performance.now() - tIdx) / 1000;
      if (stalled) {
        out.push(`| ${n} | index build stalled after ${idxS.toFixed(0)} s | — | — | — | — |`);
        process.stderr.write(`${stalled}\n`);
        break; // the stuck native build keeps running: nothing after it would be a fair measurement

      }
      const ann = await measure();
      // Hybrid (issue 8): the sidecar's own searchStore / searchPatients (encode, dense ANN + BM25 over the full-text
      // index, fused), without and with query expansion from the model's lexicon, top 10 passages or patients.
      const timed = async (run: (q: string) => Promise<unknown>): Promise<number[]> => {
        const lat: number[] = [];
        for (let i = 0; i < nQueries; i++) {
          const t0 = performance.now();
          await run(HYBRID_QUERIES[i % HYBRID_QUERIES.length]);
          lat.push(performance.now() - t0);
        }
        return lat.sort((a, b) => a - b);
      };
      const cell = (lat: number[]): string => `${percentile(lat, 50).toFixed(1)} | ${percentile(lat, 95).toFixed(1)}`;
      for (const q of HYBRID_QUERIES) await searchStore(store, enc, { query: q, k: 10, mode: 'hybrid' }, undefined, lexicon); // warm the FTS index
      const hyb = await timed((q) => searchStore(store, enc, { query: q, k: 10, mode: 'hybrid' }));
      const hybx = await timed((q) => searchStore(store, enc, { query: q, k: 10, mode: 'hybrid' }, undefined, lexicon));
      const bm = await timed((q) => searchStore(store, enc, { query: q, k: 10, mode: 'bm25' }, undefined, lexicon));
      const pat = await timed((q) => searchPatients(store, enc, { query: q, k: 20, mode: 'hybrid' }, undefined, lexicon));
      hybridRows.push(`| ${n} | ${cell(bm)} | ${cell(hyb)} | ${cell(hybx)} | ${cell(pat)} |`);
      // Patients mode (issue 8): encode + dense top PATIENT_PASSAGE_DEPTH + grouping by patient (max), 5000 patients.
      const plat: number[] = [];
      for (let i = 0; i < queries.length; i++) {
        const t0 = performance.now();
        await enc.embed([queryTexts[i % queryTexts.length]], 'query');
        const deep = await store.dense(queries[i], PATIENT_PASSAGE_DEPTH, undefined);
        aggregatePatients(deep, (r) => r.chunk.patient_id, (r) => r.score, 'max');
        plat.push(performance.now() - t0);
      }
      plat.sort((a, b) => a - b);
      // Depth PATIENT_PASSAGE_DEPTH (the patients view): recall of the ANN ranking against an exact (flat) one, and
      // the agreement of the top-20 patients, per re-ranking factor; the row marked (default) is annSearchParams'.
      const sweepQ = queries.slice(0, Math.min(queries.length, 20));
      const exactDeep: RankedChunk[][] = [];
      for (const v of sweepQ) exactDeep.push(await store.dense(v, PATIENT_PASSAGE_DEPTH, undefined, { exact: true }));
      const topPatients = (r: RankedChunk[]): string[] => aggregatePatients(r, (x) => x.chunk.patient_id, (x) => x.score, 'max').slice(0, 20).map((g) => g.patientId);
      const dflt = annSearchParams(annParams(n, dim).numPartitions, PATIENT_PASSAGE_DEPTH).refineFactor;
      for (const refine of [...new Set([10, 5, dflt, 1])].sort((a, b) => b - a)) {
        const lat: number[] = [];
        let hit = 0;
        let pat = 0;
        for (let i = 0; i < sweepQ.length; i++) {
          const t0 = performance.now();
          const deep = await store.dense(sweepQ[i], PATIENT_PASSAGE_DEPTH, undefined, { refineFactor: refine });
          lat.push(performance.now() - t0);
          const truth = new Set(exactDeep[i].map((r) => r.chunk.id));
          hit += deep.filter((r) => truth.has(r.chunk.id)).length / Math.max(1, truth.size);
          const tp = new Set(topPatients(exactDeep[i]));
          pat += topPatients(deep).filter((x) => tp.has(x)).length / Math.max(1, tp.size);
        }
        lat.sort((a, b) => a - b);
        deepRows.push(`| ${n} | ${refine}${refine === dflt ? ' (default)' : ''} | ${refine * PATIENT_PASSAGE_DEPTH} | ${percentile(lat, 50).toFixed(1)} | ${percentile(lat, 95).toFixed(1)} | ${(hit / sweepQ.length).toFixed(3)} | ${(pat / sweepQ.length).toFixed(3)} |`);
      }
      patientRows.push(`| ${n} | ${PATIENT_PASSAGE_DEPTH} | ${percentile(plat, 50).toFixed(1)} | ${percentile(plat, 95).toFixed(1)} | ${percentile(ann.lat, 50).toFixed(1)} |`);
      let hit = 0;
      ann.results.forEach((r, i) => {
        const truth = new Set(exact.results[i]);
        hit += r.filter((id) => truth.has(id)).length;
      });
      const p = annParams(n, dim);
      const s = annSearchParams(p.numPartitions, 10);
      out.push(
        `| ${n} | IVF_PQ ${p.numPartitions}×${p.numSubVectors}, nprobes ${s.nprobes}, refine ${s.refineFactor} | ${idxS.toFixed(1)} (index) | ${percentile(ann.lat, 50).toFixed(1)} | ${percentile(ann.lat, 95).toFixed(1)} | ${(hit / (10 * queries.length)).toFixed(3)} |`,
      );
    }
    store.close();
    fs.rmSync(loc, { recursive: true, force: true });
    process.stderr.write(`done ${n}\n`);
  }
  await enc.close();
  if (patientRows.length) {
    out.push('', 'Patients mode (ANN index): encode + dense top passages + grouping into 5000 patients (max); the passage top-10 p50 of the same run beside it.', '');
    out.push('| chunks | passages ranked | patients p50 ms | patients p95 ms | passages top-10 p50 ms |', '|---|---|---|---|---|', ...patientRows);
  }
  if (deepRows.length) {
    out.push(
      '',
      `Depth ${PATIENT_PASSAGE_DEPTH} (what the patients view ranks): dense search alone (no encode) per re-ranking factor, on ${Math.min(nQueries, 20)} queries; recall@${PATIENT_PASSAGE_DEPTH} against an exact flat search of the same table, and the share of the exact top-20 patients (max aggregate) found in the ANN top 20.`,
      '',
      `| chunks | refine factor | candidates re-ranked | p50 ms | p95 ms | recall@${PATIENT_PASSAGE_DEPTH} | top-20 patients agreement |`,
      '|---|---|---|---|---|---|---|',
      ...deepRows,
    );
  }
  if (hybridRows.length) {
    out.push(
      '',
      `Hybrid and patients (ANN + full-text index; chunk texts of ${WORDS_PER_CHUNK} words drawn from the demo notes' unigram distribution, ${words.size} words): the sidecar's searchStore / searchPatients on ${HYBRID_QUERIES.length} clinical queries in turn, ms. Expansion: ${lexicon ? `${lexicon.concepts.length} concepts from the model's lexicon` : 'no lexicon in the model folder'}. Patients: the panel's default (hybrid with expansion, ${PATIENT_PASSAGE_DEPTH} passages grouped, top 20 patients with 5 evidence passages each).`,
      '',
      '| chunks | BM25 + expansion p50 | p95 | hybrid p50 | p95 | hybrid + expansion p50 | p95 | patients p50 | p95 |',
      '|---|---|---|---|---|---|---|---|---|',
      ...hybridRows,
    );
  }
  out.push('', `Wall time of the benchmark: ${((Date.now() - started) / 1000).toFixed(0)} s.`, '');
  process.stdout.write(out.join('\n'));
  process.exit(0); // a stalled native build left behind would keep the process alive
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
