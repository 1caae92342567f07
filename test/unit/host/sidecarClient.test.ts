/**
 * The sidecar client against a fake sidecar (a small Node script speaking the protocol with vscode-jsonrpc):
 * start and Initialize, logs, cancellation reaching the sidecar, crash → restart with back-off, deliberate
 * stop, a failed Initialize, a missing bundle, dispose killing the process.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CancellationTokenSource } from 'vscode-jsonrpc';
import { Search, ValidateModel, type EngineConfig } from '../../../src/shared/protocol';
import { SidecarClient, type SidecarState } from '../../../src/sidecar-client/client';
import { CancelledError, SidecarDownError, explainError } from '../../../src/sidecar-client/errors';
import type { LogSink } from '../../../src/log';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const JSONRPC = path.join(ROOT, 'node_modules', 'vscode-jsonrpc', 'lib', 'node', 'main.js');

const FAKE = `
const rpc = require(${JSON.stringify(JSONRPC)});
const conn = rpc.createMessageConnection(new rpc.StreamMessageReader(process.stdin), new rpc.StreamMessageWriter(process.stdout));
const mode = process.env.FAKE_MODE || 'ok';
const status = { state: 'ready', location: '/i', notes: 1, chunks: 2, patients: 1, modelId: 'm', modelMismatch: false, hasAnnIndex: false, hasFtsIndex: true };
process.stderr.write('fake sidecar up\\n');
conn.onRequest('drehr/initialize', async (cfg) => {
  conn.sendNotification('drehr/log', { level: 'warn', message: 'init for ' + cfg.workspaceRoot });
  // A reload that takes a while (a new model, a large index to open).
  if (cfg.workspaceRoot.startsWith('/slow')) await new Promise((r) => setTimeout(r, 300));
  if (mode === 'badmodel') throw new rpc.ResponseError(-32010, 'bad model', { modelDir: cfg.modelDir, file: 'tokenizer.json', reason: 'missing' });
  return { sidecarVersion: 'fake', model: { id: 'm', name: 'M', dir: cfg.modelDir, dim: 8, pooling: 'mean', trained: false, device: 'cpu' }, index: status };
});
conn.onRequest('drehr/search', async (p, token) => {
  if (p.query === 'crash') process.exit(3);
  if (p.query === 'slow') {
    conn.sendNotification('drehr/log', { level: 'info', message: 'slow search started' });
    await new Promise((r) => token.onCancellationRequested(r));
    conn.sendNotification('drehr/log', { level: 'info', message: 'search cancelled in the sidecar' });
    throw new rpc.ResponseError(-32800, 'Cancelled');
  }
  conn.sendNotification('drehr/progress', { workId: 'w', phase: 'search', done: 1, total: 1 });
  return { hits: [], expansions: [p.query + ':' + process.pid], tookMs: 1 };
});
conn.onRequest('drehr/validateModel', (p) => ({ id: 'v', name: 'V', dir: p.modelDir, dim: 8, pooling: 'mean', trained: false, device: 'cpu' }));
conn.onRequest('drehr/shutdown', () => { setImmediate(() => process.exit(0)); });
conn.onClose(() => process.exit(0));
conn.listen();
`;

class Log implements LogSink {
  lines: string[] = [];
  private waiters: { text: string; resolve: () => void }[] = [];
  private add(line: string): void {
    this.lines.push(line);
    this.waiters = this.waiters.filter((w) => (line.includes(w.text) ? (w.resolve(), false) : true));
  }
  /** Resolves when a line containing `text` has been logged. */
  seen(text: string): Promise<void> {
    if (this.lines.some((l) => l.includes(text))) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ text, resolve }));
  }
  trace = (m: string) => this.add(`trace ${m}`);
  debug = (m: string) => this.add(`debug ${m}`);
  info = (m: string) => this.add(`info ${m}`);
  warn = (m: string) => this.add(`warn ${m}`);
  error = (m: string | Error) => this.add(`error ${String(m)}`);
}

const engine: EngineConfig = {
  workspaceRoot: '/ws',
  indexLocation: '/ws/.drehr/index',
  modelDir: '/m',
  device: 'cpu',
  include: ['**/*.md'],
  exclude: [],
  columns: { text: '', patientId: '', noteId: '', noteType: '', date: '' },
  chunking: { words: 100, overlap: 10, minWords: 50 },
  maxFileBytes: 1 << 20,
  queryExpansion: true,
};

function waitState(c: SidecarClient, pred: (s: SidecarState) => boolean, ms = 10000): Promise<SidecarState> {
  return new Promise((resolve, reject) => {
    if (pred(c.state)) return resolve(c.state);
    const t = setTimeout(() => reject(new Error(`state not reached; now ${c.state.kind}`)), ms);
    const sub = c.onState((s) => {
      if (pred(s)) {
        clearTimeout(t);
        sub.dispose();
        resolve(s);
      }
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitDead(pid: number): Promise<void> {
  // Polls the OS (a process's end has no event for a non-child); bounded.
  for (let i = 0; i < 200 && alive(pid); i++) await new Promise((r) => setTimeout(r, 25));
}

describe('sidecar client (fake sidecar)', function () {
  this.timeout(20000);
  let dir: string;
  let script: string;
  let log: Log;
  let client: SidecarClient | undefined;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drehr-fake-sidecar-'));
    script = path.join(dir, 'sidecar.js');
    fs.writeFileSync(script, FAKE);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  beforeEach(() => (log = new Log()));
  afterEach(async () => {
    const pid = client?.pid;
    client?.dispose();
    if (pid) await waitDead(pid);
    client = undefined;
  });

  function make(mode = 'ok', config: () => EngineConfig = () => engine): SidecarClient {
    client = new SidecarClient({
      script,
      execPath: process.execPath,
      engineConfig: config,
      log,
      backoff: { initialMs: 50, maxMs: 200, stableMs: 60000 },
      env: { FAKE_MODE: mode },
    });
    return client;
  }

  it('starts, initializes and forwards logs, stderr, status and progress', async () => {
    const c = make();
    const statuses: number[] = [];
    c.onStatus((s) => statuses.push(s.chunks));
    const progress: string[] = [];
    c.onProgress((p) => progress.push(p.phase));
    await c.start();
    assert.equal(c.state.kind, 'running');
    assert.equal(c.status?.chunks, 2);
    assert.deepEqual(statuses, [2]);
    assert.ok(typeof c.pid === 'number');
    const r = await c.request(Search, { query: 'q', k: 5, mode: 'bm25' });
    assert.equal(r.expansions[0], `q:${c.pid}`);
    assert.deepEqual(progress, ['search']);
    assert.ok(log.lines.includes('warn [sidecar] init for /ws'), log.lines.join('\n'));
    assert.ok(log.lines.includes('info [sidecar] fake sidecar up'), log.lines.join('\n'));
  });

  it('requests made during a reload wait for it instead of failing', async () => {
    let cfg = engine;
    const c = make('ok', () => cfg);
    await c.start();
    cfg = { ...engine, workspaceRoot: '/slow-reload' };
    const reload = c.reinitialize();
    assert.equal(c.state.kind, 'starting');
    const r = await c.request(Search, { query: 'during', k: 5, mode: 'bm25' });
    assert.equal(r.expansions[0], `during:${c.pid}`);
    await reload;
    assert.equal(c.state.kind, 'running');
  });

  it('overlapping reloads merge: one more Initialize, with the newest settings', async () => {
    let cfg = engine;
    const c = make('ok', () => cfg);
    await c.start();
    cfg = { ...engine, workspaceRoot: '/slow-1' };
    const first = c.reinitialize();
    cfg = { ...engine, workspaceRoot: '/slow-2' };
    const second = c.reinitialize();
    const third = c.reinitialize();
    await Promise.all([first, second, third]);
    const inits = log.lines.filter((l) => l.includes('init for'));
    assert.deepEqual(inits, ['warn [sidecar] init for /ws', 'warn [sidecar] init for /slow-1', 'warn [sidecar] init for /slow-2']);
    assert.equal(c.state.kind, 'running');
  });

  it('a cancelled request rejects at once and the sidecar sees the cancellation', async () => {
    const c = make();
    await c.start();
    const cts = new CancellationTokenSource();
    const p = c.request(Search, { query: 'slow', k: 5, mode: 'bm25' }, cts.token);
    await log.seen('slow search started');
    cts.cancel();
    await assert.rejects(p, CancelledError);
    await log.seen('search cancelled in the sidecar');
    // An already-cancelled token never reaches the sidecar.
    await assert.rejects(c.request(Search, { query: 'q', k: 1, mode: 'bm25' }, cts.token), CancelledError);
  });

  it('restarts after a crash with back-off, and refuses requests meanwhile', async () => {
    const c = make();
    await c.start();
    const firstPid = c.pid!;
    const restarting = waitState(c, (s) => s.kind === 'restarting');
    await assert.rejects(c.request(Search, { query: 'crash', k: 1, mode: 'bm25' }), (e: unknown) => explainError(e, 'search').kind === 'down');
    const s = await restarting;
    assert.equal(s.kind === 'restarting' && s.attempt, 1);
    assert.ok(s.kind === 'restarting' && s.reason.includes('exit code 3'));
    await assert.rejects(c.request(Search, { query: 'q', k: 1, mode: 'bm25' }), SidecarDownError);
    await waitState(c, (x) => x.kind === 'running');
    assert.notEqual(c.pid, firstPid);
    const r = await c.request(Search, { query: 'again', k: 1, mode: 'bm25' });
    assert.equal(r.expansions[0], `again:${c.pid}`);
    assert.ok(log.lines.some((l) => l.startsWith('error The sidecar stopped unexpectedly (exit code 3)')));
  });

  it('a crash while killed from outside is also restarted', async () => {
    const c = make();
    await c.start();
    const pid = c.pid!;
    process.kill(pid, 'SIGKILL');
    const s = await waitState(c, (x) => x.kind === 'restarting');
    assert.ok(s.kind === 'restarting' && s.reason.includes('SIGKILL'));
    await waitState(c, (x) => x.kind === 'running' && c.pid !== pid);
  });

  it('a deliberate stop is not a crash', async () => {
    const c = make();
    await c.start();
    const pid = c.pid!;
    const kinds: string[] = [];
    c.onState((s) => kinds.push(s.kind));
    await c.stop();
    assert.equal(c.state.kind, 'stopped');
    assert.deepEqual(kinds, ['stopped']);
    await waitDead(pid);
    assert.ok(!alive(pid));
    await assert.rejects(c.request(Search, { query: 'q', k: 1, mode: 'bm25' }), /not running/);
  });

  it('restart() gives a new process', async () => {
    const c = make();
    await c.start();
    const pid = c.pid;
    await c.restart();
    assert.equal(c.state.kind, 'running');
    assert.notEqual(c.pid, pid);
  });

  it('a failed Initialize leaves the process up for ValidateModel and explains the cause', async () => {
    const c = make('badmodel');
    await c.start();
    assert.equal(c.state.kind, 'error');
    assert.ok(c.state.kind === 'error' && c.state.message.includes('tokenizer.json'));
    const err = await c.request(Search, { query: 'q', k: 1, mode: 'bm25' }).catch((e: unknown) => e);
    assert.ok(err instanceof SidecarDownError);
    const x = explainError(err, 'search');
    assert.equal(x.kind, 'modelInvalid');
    assert.ok(x.actions.includes('Select Model'));
    const m = await c.request(ValidateModel, { modelDir: '/other' });
    assert.equal(m.dir, '/other');
  });

  it('says so when the sidecar bundle is missing', async () => {
    client = new SidecarClient({ script: path.join(dir, 'nope.js'), execPath: process.execPath, engineConfig: () => engine, log });
    await client.start();
    assert.equal(client.state.kind, 'failed');
    assert.ok(client.state.kind === 'failed' && client.state.message.includes('node esbuild.mjs'));
    await assert.rejects(client.request(Search, { query: 'q', k: 1, mode: 'bm25' }), /missing/);
  });

  it('dispose kills the process and does not restart it', async () => {
    const c = make();
    await c.start();
    const pid = c.pid!;
    c.dispose();
    client = undefined;
    await waitDead(pid);
    assert.ok(!alive(pid));
    assert.notEqual(c.state.kind, 'restarting');
  });
});
