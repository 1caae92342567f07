/**
 * The search panel end to end: keystroke (Enter in the query field) to rendered results, at N passages.
 *
 * The panel's own bundle (dist/webview/search.js) runs in headless Chromium under the production HTML shell and
 * CSP (test/webview/harness.ts); its messages go, as the extension host relays them, to a real sidecar process
 * (dist/sidecar.js over JSON-RPC: drehr/search, drehr/searchPatients) and the replies come back as the host posts
 * them. The page times each search itself: from the Enter keydown to the task after the animation frame that
 * follows the results list's last change (the results are laid out and painted). Beside it, in the same run: the JSON-RPC round
 * trip of the same search (the baseline: what the sidecar costs) and the engine's own time (tookMs), so the panel's
 * overhead reads as a ratio. Typing without Enter adds the panel's 250 ms debounce on top (by design).
 *
 * The index: N synthetic chunks of about 100 words made of sentences of the demo notes (so BM25 and query
 * expansion have clinical words to match), patients p0..p4999, synthetic clustered vectors of the model's
 * dimension (dense latency does not depend on what the vectors mean; the query is encoded by the real model),
 * FTS and (from 20k rows) IVF_PQ indexes as the indexer builds them. Kept in bench/work/panel-N for the next run
 * (`--fresh` builds it again).
 *
 * Usage: npm run bench:panel -- [--size 100000] [--queries 60] [--model models/demo] [--fresh] [--out FILE.md]
 * Needs `node esbuild.mjs` first (the script of the npm run does it) and Debian's chromium.
 */
import '../src/shared/nativeEnvInit'; // first: native libraries read it when they load
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { Initialize, ListPatients, Search, SearchPatients, Shutdown, type PatientSearchParams, type SearchParams } from '../src/shared/protocol';
import type { SearchPanelToHost } from '../src/shared/webview';
import { defaultEngineConfig } from '../src/sidecar/defaults';
import { Encoder } from '../src/sidecar/encoder/encoder';
import { silentLogger } from '../src/sidecar/log';
import type { ChunkRow } from '../src/sidecar/store/schema';
import { Store } from '../src/sidecar/store/store';
import { launchBrowser, WebviewPage } from '../test/webview/harness';
import { machineLine, percentile } from './machine';
import { prng } from '../src/review/order';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
};
const repo = process.cwd();
const size = Number(arg('size', '100000'));
const nQueries = Number(arg('queries', '60'));
const modelDir = path.resolve(arg('model', path.join(repo, 'models', 'demo')));
const outFile = arg('out', '');
const fresh = args.includes('--fresh');
const PATIENTS = 5000;
const RESULT_COUNT = 20; // drehr.search.resultCount's default

const QUERIES = [
  'shortness of breath', 'chest pain', 'hypertension', 'HTN', 'diabetes mellitus', 'knee pain', 'back pain radiating to the leg',
  'depression', 'congestive heart failure', 'CHF exacerbation', 'metformin', 'lisinopril', 'joint swelling', 'fever and chills',
  'abdominal pain', 'headache', 'osteoarthritis', 'anxiety', 'cough', 'atrial fibrillation', 'kidney stones', 'asthma',
  'weight loss', 'follow up in two weeks',
];

/** The project's seeded mulberry32 (src/review/order.ts), so runs are comparable. */
const rng = prng;

/** Sentences of the demo notes (front matter left out), the material of the synthetic chunks. */
function sentences(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.md') || e.name.endsWith('.txt')) {
        const body = fs.readFileSync(p, 'utf8').replace(/^---[\s\S]*?\n---\n/, '');
        for (const s of body.split(/(?<=[.!?])\s+|\n+/)) if (s.split(/\s+/).length >= 4) out.push(s.trim());
      }
    }
  };
  walk(path.join(repo, 'demo', 'notes'));
  if (out.length < 100) throw new Error('demo/notes holds too few sentences to build the synthetic chunks');
  return out;
}

async function buildIndex(loc: string, dim: number): Promise<string> {
  const store = await Store.open(loc, silentLogger);
  if (!fresh && store.exists && (await store.count()) === size && store.hasFtsIndex) {
    store.close();
    return 'reused';
  }
  store.close();
  fs.rmSync(loc, { recursive: true, force: true });
  const s = await Store.open(loc, silentLogger);
  const pool = sentences();
  const rand = rng(7);
  const centers = Array.from({ length: 256 }, () => unit(Float32Array.from({ length: dim }, () => rand() - 0.5)));
  const types = ['visit note', 'discharge summary', 'radiology', 'progress note'];
  const t0 = performance.now();
  const batch = 20_000;
  for (let i = 0; i < size; i += batch) {
    const rows: ChunkRow[] = [];
    for (let j = i; j < Math.min(size, i + batch); j++) {
      let text = '';
      while (text.split(' ').length < 100) text += (text ? ' ' : '') + pool[Math.floor(rand() * pool.length)];
      const c = centers[Math.floor(rand() * centers.length)];
      const v = unit(Float32Array.from(c, (x) => x + (rand() - 0.5) * 0.05));
      const p = `p${j % PATIENTS}`;
      const day = String(1 + (j % 28)).padStart(2, '0');
      rows.push({ id: `n${j}::0`, note_id: `n${j}`, patient_id: p, note_type: types[j % types.length], date: `2031-0${1 + (j % 9)}-${day}`, source: `${p}/n${j}.md`, row: -1, char_start: 0, char_end: text.length, text, vector: v, file_hash: '' });
    }
    await s.add(rows, dim);
    process.stderr.write(`wrote ${Math.min(size, i + batch)} / ${size}\n`);
  }
  const written = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const r = await s.refreshIndexes(dim);
  s.close();
  if (r.stalled) throw new Error(`the index build stalled: ${r.stalled}`);
  return `built: rows written in ${written.toFixed(0)} s, FTS${size >= 20_000 ? ' + IVF_PQ' : ''} indexes in ${((performance.now() - t1) / 1000).toFixed(0)} s`;
}

function unit(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  const inv = 1 / Math.sqrt(n);
  for (let i = 0; i < v.length; i++) v[i] *= inv;
  return v;
}

interface Timings {
  e2e: number[];
  rpc: number[];
  engine: number[];
  results: number[];
}

function record(x: Timings, rpc: number, engine: number, results: number): void {
  x.rpc.push(rpc);
  x.engine.push(engine);
  x.results.push(results);
}

async function main(): Promise<void> {
  const started = Date.now();
  for (const f of ['dist/sidecar.js', 'dist/webview/search.js']) if (!fs.existsSync(path.join(repo, f))) throw new Error(`${f} is missing: run "node esbuild.mjs" first`);
  const enc = await Encoder.open({ modelDir, device: 'cpu', threads: 1 }, silentLogger);
  const dim = enc.info.dim;
  await enc.close();
  const work = path.join(repo, 'bench', 'work');
  const loc = path.join(work, `panel-${size}`);
  const ws = path.join(work, 'panel-ws');
  fs.mkdirSync(ws, { recursive: true });
  const built = await buildIndex(loc, dim);
  process.stderr.write(`index ${built}\n`);

  // The sidecar, as the extension starts it (stdio JSON-RPC), on the bench index.
  const child = spawn(process.execPath, [path.join(repo, 'dist', 'sidecar.js')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const conn = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  conn.listen();
  const config = defaultEngineConfig(ws, modelDir, { device: 'cpu', indexLocation: loc });
  const init = await conn.sendRequest(Initialize, config);
  // The spelling vocabulary is read once per index version; a search without results waits for it (not measured).
  await conn.sendRequest(Search, { query: 'zzqxv', k: 5, mode: 'bm25' });

  const browser = await launchBrowser();
  const view = await WebviewPage.open(browser, { bundle: 'search', styles: ['media/search.css'] });
  const page = view.page;
  const t: Record<'passages' | 'patients', Timings> = { passages: { e2e: [], rpc: [], engine: [], results: [] }, patients: { e2e: [], rpc: [], engine: [], results: [] } };
  let measuring: keyof typeof t | undefined;
  // The host's part: messages from the panel to the sidecar and back (src/views/searchPanel.ts does the same).
  await page.exposeBinding('__benchHost', async (_src, m: SearchPanelToHost) => {
    if (m.type === 'patients') {
      const patients = await conn.sendRequest(ListPatients);
      await view.deliver({ type: 'patientsReply', id: m.id, ok: true, patients });
      return;
    }
    if (m.type !== 'search') return;
    const params: SearchParams = { query: m.query, k: RESULT_COUNT, mode: m.mode, expand: true, ...(m.filters ? { filters: m.filters } : {}) };
    const r0 = performance.now();
    try {
      await forward(m.id, m.view === 'patients', params, r0);
    } catch (e) {
      // A newer search cancelled this one in the sidecar: the host answers so, and the panel ignores it.
      await view.deliver({ type: 'searchReply', id: m.id, ok: false, error: /cancel/i.test(String(e)) ? 'cancelled' : String(e) });
    }
  });
  async function forward(id: number, patientsView: boolean, params: SearchParams, r0: number): Promise<void> {
    const m = { id };
    if (patientsView) {
      const patients = await conn.sendRequest(SearchPatients, { ...params, aggregate: 'max' } as PatientSearchParams);
      const rpc = performance.now() - r0;
      if (measuring) record(t[measuring], rpc, patients.tookMs, patients.patients.length);
      await view.deliver({ type: 'searchReply', id: m.id, ok: true, patients, partial: false });
    } else {
      const result = await conn.sendRequest(Search, params);
      const rpc = performance.now() - r0;
      if (measuring) record(t[measuring], rpc, result.tookMs, result.hits.length);
      await view.deliver({ type: 'searchReply', id: m.id, ok: true, result, partial: false });
    }
  }
  await page.evaluate(() => {
    type W = Window & { __posted: unknown[] & { push: (m: unknown) => number }; __benchHost: (m: unknown) => void; __bench: { t0: number; done: number[] } };
    const w = window as unknown as W;
    for (const m of w.__posted) w.__benchHost(m);
    const push = w.__posted.push.bind(w.__posted);
    w.__posted.push = (m: unknown): number => {
      w.__benchHost(m);
      return push(m);
    };
    // Timing, in the page: Enter in the query field → the results list stops being busy → painted.
    w.__bench = { t0: 0, done: [] };
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') w.__bench.t0 = performance.now();
    }, true);
    const results = document.querySelector('#results')!;
    new MutationObserver(() => {
      if (results.hasAttribute('aria-busy') || w.__bench.t0 === 0) return;
      const t0 = w.__bench.t0;
      w.__bench.t0 = 0;
      // The frame that lays out and paints the results, then a task after it (the paint is done by then).
      requestAnimationFrame(() => setTimeout(() => w.__bench.done.push(performance.now() - t0), 0));
    }).observe(results, { attributes: true, attributeFilter: ['aria-busy'] });
  });
  await view.deliver({ type: 'config', mode: 'hybrid', aggregate: 'max', ready: true, readiness: 'ready' });

  const runQueries = async (n: number, into?: keyof typeof t): Promise<void> => {
    measuring = into;
    for (let i = 0; i < n; i++) {
      const before = await page.evaluate(() => (window as unknown as { __bench: { done: number[] } }).__bench.done.length);
      // The query typed and Enter pressed in one go (as a quick typist does): no debounced search goes out first.
      await page.evaluate((q) => {
        const field = document.querySelector('#query') as HTMLElement & { value: string };
        field.value = q;
        field.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
        field.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, composed: true }));
      }, QUERIES[i % QUERIES.length]);
      await page.waitForFunction((k) => (window as unknown as { __bench: { done: number[] } }).__bench.done.length > k, before, { timeout: 60000 });
    }
    measuring = undefined;
  };
  await runQueries(5); // warm-up: JIT, caches
  const e2eOf = async (): Promise<number[]> => page.evaluate(() => (window as unknown as { __bench: { done: number[] } }).__bench.done.slice());
  let from = (await e2eOf()).length;
  await runQueries(nQueries, 'passages');
  t.passages.e2e = (await e2eOf()).slice(from);
  await page.click('#view-patients');
  await page.waitForSelector('#results li.patient', { timeout: 60000 });
  await runQueries(3);
  from = (await e2eOf()).length;
  await runQueries(nQueries, 'patients');
  t.patients.e2e = (await e2eOf()).slice(from);
  const errors = [...view.errors];
  await view.close();
  await browser.close();
  await conn.sendRequest(Shutdown).catch(() => undefined);
  conn.dispose();
  child.kill();

  const row = (name: string, x: Timings): string => {
    const s = (a: number[]): number[] => [...a].sort((p, q) => p - q);
    const e = s(x.e2e);
    const r = s(x.rpc);
    const g = s(x.engine);
    const p50 = percentile(e, 50);
    return `| ${name} | ${x.e2e.length} | ${p50.toFixed(1)} | ${percentile(e, 95).toFixed(1)} | ${percentile(r, 50).toFixed(1)} | ${percentile(g, 50).toFixed(1)} | ${(p50 / percentile(r, 50)).toFixed(2)} | ${p50 < 100 ? 'yes' : 'no'} |`;
  };
  const out = [
    `### bench:panel: ${size} passages, ${new Date().toISOString()}`,
    '',
    `Machine: ${machineLine()}. Model ${init.model.id} (${dim}-d, ${init.model.precision}) on CPU in the sidecar; index ${init.index.chunks} chunks, ANN index ${init.index.hasAnnIndex ? 'yes' : 'no'}, FTS ${init.index.hasFtsIndex ? 'yes' : 'no'} (${built}).`,
    `The panel bundle in headless Chromium ↔ a bridge playing the extension host ↔ dist/sidecar.js (JSON-RPC). Hybrid mode, query expansion on, ${RESULT_COUNT} results (patients: top 1000 passages grouped, max); ${nQueries} queries each, ${QUERIES.length} distinct clinical queries in turn, after a warm-up.`,
    'e2e = Enter keydown to just after the frame that paints the results; rpc = the same search as a JSON-RPC round trip (the baseline); engine = the sidecar\'s own tookMs. Typing without Enter adds the 250 ms debounce.',
    '',
    '| view | searches | e2e p50 ms | e2e p95 ms | rpc p50 ms | engine p50 ms | e2e / rpc (p50) | p50 < 100 ms |',
    '|---|---:|---:|---:|---:|---:|---:|---|',
    row('Passages', t.passages),
    row('Patients', t.patients),
    '',
    `Page errors: ${errors.length ? errors.join('; ') : 'none'}. Wall time ${((Date.now() - started) / 1000).toFixed(0)} s.`,
    '',
  ].join('\n');
  process.stdout.write(out + '\n');
  if (outFile) fs.appendFileSync(outFile, '\n' + out);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
