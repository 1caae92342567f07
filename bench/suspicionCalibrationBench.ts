/**
 * `node bench/run.mjs suspicionCalibration --index <index folder of demo/notes> [--graph G] [--folds 5] [--repeats 20]`:
 * calibrates the suspicion weights (src/sidecar/synth/suspicion.ts) on the hand-labelled demo pairs
 * (bench/pairsReview-demo-labels/: 200 graph pairs, their label log and their version-1 scores) and reports, for
 * bench/SYNTH.md, how well each score separates noise from valid, cross-validated:
 *   - version 1 as committed (its own file: no fitting, so no cross-validation needed);
 *   - version 2's reasons with the hand-set prior weights (no fitting);
 *   - version 2 fitted: a noisy-OR, P(noise) = 1 − (1 − b)(1 − s·d) Π (1 − w_r), by penalized maximum likelihood
 *     (coordinate search on a 0.025 grid, a pull of LAMBDA·(w − prior)² towards the prior so that a reason the
 *     labels rarely show keeps about its prior), in stratified k-fold cross-validation repeated with different fold
 *     seeds: ROC AUC and precision in the top 10 % of the pooled out-of-fold scores, mean and range over repeats;
 *   - the weights fitted on all labels (what suspicion.ts should ship, rounded to 0.05).
 * The reasons are recomputed from the chunk text in the index and the graph (pairReasons, as drehr synth score
 * does); the similarity rank d of each pair is recovered from its version-1 score (same model, same ranks), so the
 * model need not run. Unsure labels are left out.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parsePairsText, type Pair, type SuspicionReason } from '../src/shared/pairs';
import { parseSuspicion } from '../src/review/pairsFile';
import { parseLabelLine } from '../src/review/labels';
import { precisionAtTop, rocAuc } from '../src/review/stats';
import { readIndexChunks } from '../src/sidecar/synth/indexChunks';
import { chunkHash } from '../src/sidecar/synth/ids';
import { ambiguousShortForms, pairReasons } from '../src/sidecar/synth/scoreService';
import { loadSynthGraph } from '../src/sidecar/synth/service';
import { PRIOR_SIMILARITY_WEIGHT, PRIOR_WEIGHTS, SIMILARITY_WEIGHT, WEIGHTS, type ReasonCode, type Weights } from '../src/sidecar/synth/suspicion';
import { machineLine } from './machine';
import { prng } from '../src/review/order';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
const dir = path.resolve(args.get('labels') ?? 'bench/pairsReview-demo-labels');
const pairsFile = path.join(dir, 'demo-sample.pairs.jsonl');
const indexDir = args.get('index');
if (!indexDir) throw new Error('--index <folder> is required: the index of demo/notes (node dist/cli.js index demo/notes)');
const graphFile = path.resolve(args.get('graph') ?? 'models/demo/graph.jsonl.gz');
const FOLDS = Number(args.get('folds') ?? 5);
const REPEATS = Number(args.get('repeats') ?? 20);
const LAMBDA = Number(args.get('lambda') ?? 4);

const CODES = Object.keys(PRIOR_WEIGHTS) as ReasonCode[];

interface Row {
  noise: boolean;
  d: number;
  codes: Set<ReasonCode>;
  v1: number;
}


interface Model {
  b: number;
  s: number;
  w: Weights;
}

function prob(m: Model, r: Row): number {
  let keep = (1 - m.b) * (1 - m.s * r.d);
  for (const c of r.codes) keep *= 1 - m.w[c];
  return 1 - keep;
}

function loss(m: Model, rows: readonly Row[]): number {
  let l = 0;
  for (const r of rows) {
    const p = Math.min(1 - 1e-6, Math.max(1e-6, prob(m, r)));
    l -= r.noise ? Math.log(p) : Math.log(1 - p);
  }
  l += LAMBDA * (m.s - PRIOR_SIMILARITY_WEIGHT) ** 2;
  for (const c of CODES) l += LAMBDA * (m.w[c] - PRIOR_WEIGHTS[c]) ** 2;
  return l;
}

const GRID = Array.from({ length: 39 }, (_, i) => i * 0.025);

function fit(rows: readonly Row[]): Model {
  const m: Model = { b: 0.1, s: PRIOR_SIMILARITY_WEIGHT, w: { ...PRIOR_WEIGHTS } };
  for (let sweep = 0; sweep < 6; sweep++) {
    const before = loss(m, rows);
    const params: Array<[get: () => number, set: (v: number) => void]> = [
      [() => m.b, (v) => (m.b = v)],
      [() => m.s, (v) => (m.s = v)],
      ...CODES.map((c) => [() => m.w[c], (v: number) => (m.w[c] = v)] as [() => number, (v: number) => void]),
    ];
    for (const [get, set] of params) {
      let best = get();
      let bestL = loss(m, rows);
      for (const v of GRID) {
        set(v);
        const l = loss(m, rows);
        if (l < bestL - 1e-12) {
          bestL = l;
          best = v;
        }
      }
      set(best);
    }
    if (before - loss(m, rows) < 1e-9) break;
  }
  return m;
}

function quality(scores: readonly number[], rows: readonly Row[]): { auc: number; top10: number; k: number } {
  const items = rows.map((r, i) => ({ score: scores[i], positive: r.noise }));
  const t = precisionAtTop(items, 0.1)!;
  return { auc: rocAuc(items)!, top10: t.precision, k: t.k };
}

function crossValidate(rows: readonly Row[], seed: number): { auc: number; top10: number } {
  const rnd = prng(seed);
  const folds = new Array<number>(rows.length);
  // stratified: shuffle each class and deal it round the folds
  for (const cls of [true, false]) {
    const idx = rows.map((r, i) => (r.noise === cls ? i : -1)).filter((i) => i >= 0);
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    idx.forEach((row, k) => (folds[row] = k % FOLDS));
  }
  const out = new Array<number>(rows.length);
  for (let f = 0; f < FOLDS; f++) {
    const m = fit(rows.filter((_, i) => folds[i] !== f));
    rows.forEach((r, i) => {
      if (folds[i] === f) out[i] = prob(m, r);
    });
  }
  return quality(out, rows);
}

async function main(): Promise<void> {
  const { pairs } = parsePairsText(fs.readFileSync(pairsFile, 'utf8'));
  const labels = new Map<string, string>();
  for (const line of fs.readFileSync(`${pairsFile}.labels.jsonl`, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const l = parseLabelLine(line);
    if (l.kind === 'label') {
      if (l.line.label === 'unlabel') labels.delete(l.line.pair_id);
      else labels.set(l.line.pair_id, l.line.label);
    }
  }
  const v1 = parseSuspicion(fs.readFileSync(`${pairsFile}.suspicion.jsonl`, 'utf8')).scores;
  const t0 = Date.now();
  const g = loadSynthGraph(graphFile);
  const graphMs = Date.now() - t0;
  const chunks = new Map((await readIndexChunks(indexDir!, { ids: new Set(pairs.map((p) => p.chunk_id)) })).map((c) => [c.id, c]));
  const amb = ambiguousShortForms(g.graph);
  const rows: Row[] = [];
  const pairsOf: Pair[] = [];
  let stale = 0;
  for (const p of pairs) {
    const label = labels.get(p.id);
    if (label !== 'valid' && label !== 'noise') continue;
    const s1 = v1.get(p.id);
    if (!s1) throw new Error(`pair ${p.id} has no version-1 score`);
    const c = chunks.get(p.chunk_id);
    const live = c && (p.chunk_hash === '' || chunkHash(c.text).startsWith(p.chunk_hash.toLowerCase())) ? c : undefined;
    if (!live) stale++;
    const reasons: SuspicionReason[] = pairReasons(p, live?.text, g, live ? g.matcher.find(live.text) : [], amb);
    // d from the version-1 score: score = 1 − (1 − 0.5·d) Π_v1 (1 − w_r)
    let keep1 = 1;
    for (const r of s1.reasons) if (r.code !== 'low_similarity') keep1 *= 1 - PRIOR_WEIGHTS[r.code as ReasonCode];
    const d = Math.min(1, Math.max(0, (1 - (1 - s1.score) / keep1) / 0.5));
    rows.push({ noise: label === 'noise', d, codes: new Set(reasons.map((r) => r.code).filter((x): x is ReasonCode => x !== 'low_similarity')), v1: s1.score });
    pairsOf.push(p);
  }
  const nNoise = rows.filter((r) => r.noise).length;
  console.log(`## Suspicion score calibration (${new Date().toISOString().slice(0, 10)})`);
  console.log('');
  console.log(`Machine: ${machineLine()}. Graph ${path.basename(graphFile)} loaded in ${graphMs} ms.`);
  console.log(`Labels: ${rows.length} valid/noise pairs of bench/pairsReview-demo-labels (${nNoise} noise, ${rows.length - nNoise} valid; unsure left out), ${stale} with a stale or missing chunk.`);
  console.log(`Cross-validation: stratified ${FOLDS}-fold, repeated ${REPEATS} times with different fold seeds; penalty λ = ${LAMBDA}.`);
  console.log('');
  console.log('Reasons on the labelled pairs (version 2):');
  console.log('');
  console.log('| reason | on noise | on valid |');
  console.log('|---|---:|---:|');
  for (const c of CODES) {
    const on = rows.filter((r) => r.codes.has(c));
    if (on.length) console.log(`| \`${c}\` | ${on.filter((r) => r.noise).length} | ${on.filter((r) => !r.noise).length} |`);
  }
  console.log('');
  const prior: Model = { b: 0, s: PRIOR_SIMILARITY_WEIGHT, w: PRIOR_WEIGHTS };
  const q1 = quality(rows.map((r) => r.v1), rows);
  const q2 = quality(rows.map((r) => prob(prior, r)), rows);
  const cv = Array.from({ length: REPEATS }, (_, i) => crossValidate(rows, 1000 + i));
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const f3 = (x: number): string => x.toFixed(3);
  const pc = (x: number): string => `${(100 * x).toFixed(1)}%`;
  console.log(`| score | ROC AUC | precision in the top 10% (${q1.k} pairs) | fitted on |`);
  console.log('|---|---:|---:|---|');
  console.log(`| version 1 (committed scores) | ${f3(q1.auc)} | ${pc(q1.top10)} | nothing (hand-set) |`);
  console.log(`| version 2 reasons, prior weights | ${f3(q2.auc)} | ${pc(q2.top10)} | nothing (hand-set) |`);
  const aucs = cv.map((x) => x.auc);
  const tops = cv.map((x) => x.top10);
  console.log(`| version 2, fitted weights, cross-validated | ${f3(mean(aucs))} (${f3(Math.min(...aucs))}–${f3(Math.max(...aucs))}) | ${pc(mean(tops))} (${pc(Math.min(...tops))}–${pc(Math.max(...tops))}) | the other folds, each time |`);
  const all = fit(rows);
  const qa = quality(rows.map((r) => prob(all, r)), rows);
  console.log(`| version 2, fitted on all labels (in-sample, optimistic) | ${f3(qa.auc)} | ${pc(qa.top10)} | all ${rows.length} |`);
  const shipped: Model = { b: 0, s: SIMILARITY_WEIGHT, w: WEIGHTS };
  const qs = quality(rows.map((r) => prob(shipped, r)), rows);
  console.log(`| version 2 as shipped (suspicion.ts WEIGHTS; in-sample) | ${f3(qs.auc)} | ${pc(qs.top10)} | all ${rows.length}, rounded (see below) |`);
  console.log('');
  console.log(`Base rate ${pc(nNoise / rows.length)}. Weights fitted on all labels (leak b = ${all.b.toFixed(3)}, not part of the ranking):`);
  console.log('');
  console.log('| weight | prior | fitted | shipped (suspicion.ts) |');
  console.log('|---|---:|---:|---:|');
  console.log(`| similarity s | ${PRIOR_SIMILARITY_WEIGHT.toFixed(2)} | ${all.s.toFixed(3)} | ${SIMILARITY_WEIGHT.toFixed(2)} |`);
  for (const c of CODES) console.log(`| \`${c}\` | ${PRIOR_WEIGHTS[c].toFixed(2)} | ${all.w[c].toFixed(3)} | ${WEIGHTS[c].toFixed(2)} |`);
  if (args.has('json')) fs.writeFileSync(args.get('json')!, JSON.stringify({ s: all.s, w: all.w }, null, 2));
  // --all <pairs file>: how often each reason fires over a whole generated file (no labels: a check that no reason
  // fires on everything)
  const allFile = args.get('all');
  if (allFile) {
    const whole = parsePairsText(fs.readFileSync(allFile, 'utf8')).pairs;
    const texts = new Map((await readIndexChunks(indexDir!, { ids: new Set(whole.map((p) => p.chunk_id)) })).map((c) => [c.id, c.text]));
    const mentionsOf = new Map<string, ReturnType<typeof g.matcher.find>>();
    const count = new Map<string, number>();
    const t1 = Date.now();
    for (const p of whole) {
      const t = texts.get(p.chunk_id);
      let m = t === undefined ? [] : mentionsOf.get(p.chunk_id);
      if (m === undefined) mentionsOf.set(p.chunk_id, (m = g.matcher.find(t!)));
      for (const r of pairReasons(p, t, g, m, amb)) count.set(`${r.code} (${p.explicit ? 'explicit' : 'implicit'})`, (count.get(`${r.code} (${p.explicit ? 'explicit' : 'implicit'})`) ?? 0) + 1);
    }
    console.log('');
    console.log(`Reasons over the whole file ${path.basename(allFile)} (${whole.length} pairs, ${whole.filter((p) => p.explicit).length} explicit; ${Date.now() - t1} ms):`);
    console.log('');
    console.log('| reason | pairs | share |');
    console.log('|---|---:|---:|');
    for (const [k, v] of [...count.entries()].sort()) console.log(`| \`${k}\` | ${v} | ${pc(v / whole.length)} |`);
  }
}

void main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
});
