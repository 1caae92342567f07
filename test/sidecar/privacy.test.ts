/**
 * No telemetry (issue 11, item 1): onnxruntime 1.29+ writes a device id and queues events under
 * ~/.cache/Microsoft/DeveloperTools/.onnxruntime unless ORT_DISABLE_TELEMETRY=1 is set before it initializes.
 * Each entry point that loads it (the CLI's index and search, the sidecar process, the evaluation child) runs here
 * with an empty temporary HOME and without the variable, and must leave that HOME empty.
 */
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { Initialize, Search, Shutdown } from '../../src/shared/protocol';
import { cleanup, configFor, makeWorkspace, modelDir, repoRoot, requireModel, tempDir } from './helpers';

const dist = (f: string): string => path.join(repoRoot, 'dist', f);

/** Every path under `dir` (relative), empty when nothing was written there. */
function written(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).sort();
}

/** The environment of a user who never heard of the variable, with `home` as their home folder. */
function userEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, USERPROFILE: home };
  delete env.ORT_DISABLE_TELEMETRY;
  delete env.XDG_CACHE_HOME;
  return env;
}

/** The first notes of benchmarks/aci-demo with the queries and qrels that concern them: a benchmark in seconds. */
function smallBench(notes = 4): string {
  const src = path.join(repoRoot, 'benchmarks', 'aci-demo');
  const dir = tempDir('bench');
  const ids = new Set<string>();
  for (const p of fs.readdirSync(path.join(src, 'notes')).filter((d) => /^p\d+$/.test(d)).sort().slice(0, notes)) {
    fs.cpSync(path.join(src, 'notes', p), path.join(dir, 'notes', p), { recursive: true });
    for (const f of fs.readdirSync(path.join(src, 'notes', p))) ids.add(f.replace(/\.md$/, ''));
  }
  const qrels = fs.readFileSync(path.join(src, 'qrels.tsv'), 'utf8').split('\n').filter((l) => ids.has(l.split('\t')[1]?.split('::')[0] ?? ''));
  const queries = new Set(qrels.map((l) => l.split('\t')[0]));
  const qlines = fs.readFileSync(path.join(src, 'queries.jsonl'), 'utf8').split('\n').filter((l) => l && queries.has((JSON.parse(l) as { query_id: string }).query_id));
  assert.ok(qlines.length > 0, 'the small benchmark has queries');
  const meta = JSON.parse(fs.readFileSync(path.join(src, 'bench.json'), 'utf8')) as Record<string, unknown>;
  fs.writeFileSync(path.join(dir, 'bench.json'), JSON.stringify({ name: 'privacy-small', chunking: meta.chunking, chunker: meta.chunker }));
  fs.writeFileSync(path.join(dir, 'qrels.tsv'), qrels.join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'queries.jsonl'), qlines.join('\n') + '\n');
  return dir;
}

describe('privacy: no onnxruntime telemetry files from any entry point', function () {
  this.timeout(300_000);
  let home: string;
  let ws: string;
  before(function () {
    requireModel();
    for (const f of ['cli.js', 'sidecar.js']) if (!fs.existsSync(dist(f))) throw new Error(`dist/${f} is missing: run \`node esbuild.mjs\` first`);
    ws = makeWorkspace({ patients: 3 });
  });
  after(() => cleanup(ws));
  beforeEach(() => {
    home = tempDir('home');
  });
  afterEach(() => cleanup(home));

  it('the check can fail: onnxruntime loaded without the variable writes under HOME', () => {
    const script = `require(${JSON.stringify(path.join(repoRoot, 'node_modules', 'onnxruntime-node'))}).InferenceSession.create(${JSON.stringify(path.join(modelDir, 'onnx', 'model.onnx'))}).then(() => process.exit(0))`;
    const r = spawnSync(process.execPath, ['-e', script], { env: userEnv(home), encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    if (written(home).length === 0) {
      // An onnxruntime without the telemetry client (before 1.29, or a build without it): nothing to prove here.
      console.warn('      (this onnxruntime writes nothing under HOME even without ORT_DISABLE_TELEMETRY)');
    } else {
      assert.ok(written(home).some((p) => p.includes('onnxruntime')), written(home).join(', '));
    }
  });

  it('drehr index and drehr search', () => {
    for (const args of [['index', ws, '--model', modelDir], ['search', ws, 'knee pain', '--model', modelDir]]) {
      const r = spawnSync(process.execPath, [dist('cli.js'), ...args], { env: userEnv(home), encoding: 'utf8', timeout: 240_000 });
      assert.equal(r.status, 0, `drehr ${args[0]}: ${r.stderr}`);
    }
    assert.deepEqual(written(home), []);
  });

  it('the sidecar process (spawned as the extension spawns it, initialized, searched)', async () => {
    const child = spawn(process.execPath, [dist('sidecar.js')], { env: userEnv(home), stdio: ['pipe', 'pipe', 'pipe'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const conn = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
    conn.listen();
    try {
      await conn.sendRequest(Initialize, configFor(ws));
      await conn.sendRequest(Search, { query: 'knee pain', k: 3, mode: 'dense' });
      await conn.sendRequest(Shutdown);
      await exited;
    } finally {
      conn.dispose();
      child.kill();
    }
    assert.deepEqual(written(home), []);
  });

  it('the evaluation child (drehr eval --json, as Run Evaluation starts it)', () => {
    const out = tempDir('eval-out');
    const bench = smallBench();
    try {
      const r = spawnSync(process.execPath, [dist('cli.js'), 'eval', '--bench', bench, '--model', modelDir, '--ranker', 'dense', '--out', out, '--json'], {
        env: userEnv(home),
        encoding: 'utf8',
        timeout: 280_000,
      });
      assert.equal(r.status, 0, r.stderr.slice(-2000));
    } finally {
      cleanup(out, bench);
    }
    // Its own index cache is DR.EHR's (~/.cache/drehr/eval, documented in src/eval/README.md); nothing else.
    const drehrCache = path.join('.cache', 'drehr');
    assert.deepEqual(written(home).filter((p) => p !== '.cache' && p !== drehrCache && !p.startsWith(drehrCache + path.sep)), []);
    assert.ok(written(home).some((p) => p.startsWith(drehrCache)), 'the eval ran (it caches its index there)');
  });
});
