import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createMessageConnection, ResponseError, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import {
  ErrorCodes,
  GetNote,
  GetStatus,
  IndexWorkspace,
  Initialize,
  ListPatients,
  Log,
  Progress,
  Search,
  Shutdown,
  StatusChanged,
  ValidateModel,
  type IndexStatus,
  type LogParams,
  type ProgressParams,
  type PatientSearchResult,
  type SearchResult,
} from '../../src/shared/protocol';
import { Engine } from '../../src/sidecar/engine';
import { LOCK_FILE } from '../../src/sidecar/indexer/lock';
import { Store } from '../../src/sidecar/store/store';
import { cleanup, configFor, exited, requireModel, makeWorkspace, memoryLogger, modelDir, repoRoot, tempDir } from './helpers';

const sidecarJs = path.join(repoRoot, 'dist', 'sidecar.js');
const cliJs = path.join(repoRoot, 'dist', 'cli.js');
const log = memoryLogger();

async function ids(location: string): Promise<string[]> {
  const store = await Store.open(location, log);
  try {
    return (await store.allIds()).sort();
  } finally {
    store.close();
  }
}

async function cleanIndexIds(ws: string): Promise<string[]> {
  const loc = tempDir('clean');
  const engine = await Engine.open(configFor(ws, { indexLocation: loc }), log, { threads: 2 });
  try {
    await engine.index({ workId: 'clean' });
    return await ids(loc);
  } finally {
    await engine.close();
    cleanup(loc);
  }
}


interface Sidecar {
  child: ChildProcess;
  conn: MessageConnection;
  stderr: () => string;
  /** Every Log notification the sidecar sent (what the extension writes to its output channel). */
  logs: () => string;
}

function startSidecar(): Sidecar {
  const child = spawn(process.execPath, [sidecarJs], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const conn = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const logs: string[] = [];
  conn.onNotification(Log, (p: LogParams) => {
    logs.push(p.message);
  });
  conn.listen();
  return { child, conn, stderr: () => err, logs: () => logs.join('\n') };
}

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliJs, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('processes: sidecar over JSON-RPC and the drehr CLI', function () {
  before(function () {
    if (!fs.existsSync(sidecarJs) || !fs.existsSync(cliJs)) throw new Error('dist/sidecar.js or dist/cli.js is missing: run `node esbuild.mjs` first');
    requireModel();
  });

  describe('sidecar', () => {
    let ws: string;
    let sc: Sidecar | undefined;
    beforeEach(() => {
      ws = makeWorkspace({ patients: 12, csvRows: 3 });
    });
    afterEach(async () => {
      if (sc) {
        sc.conn.dispose();
        sc.child.kill('SIGKILL');
        await exited(sc.child);
      }
      sc = undefined;
      cleanup(ws);
    });

    it('initializes, indexes with progress, searches, drops stale searches, and exits on Shutdown', async () => {
      sc = startSidecar();
      const init = await sc.conn.sendRequest(Initialize, configFor(ws));
      assert.equal(init.model.dim > 0, true);
      assert.equal(init.index.state, 'missing');
      const progress: ProgressParams[] = [];
      sc.conn.onNotification(Progress, (p: ProgressParams) => {
        progress.push(p);
      });
      const result = await sc.conn.sendRequest(IndexWorkspace, { workId: 'w1' });
      assert.equal(result.filesIndexed, 13);
      assert.ok(progress.length > 0 && progress.every((p) => p.workId === 'w1'));
      assert.ok(progress.some((p) => p.phase === 'embed'));
      const status = await sc.conn.sendRequest(GetStatus);
      assert.equal(status.state, 'ready');

      const hit = await sc.conn.sendRequest(Search, { query: 'colchicine gout', k: 3, mode: 'bm25' });
      assert.equal(hit.hits[0].row, 1);
      const note = await sc.conn.sendRequest(GetNote, { noteId: hit.hits[0].noteId });
      assert.equal(note.sourcePath, 'exports/aci_notes.csv');
      assert.match(note.text.slice(hit.hits[0].charStart, hit.hits[0].charEnd), /colchicine/i);
      const patients = await sc.conn.sendRequest(ListPatients);
      assert.equal(patients.length, 15);
      const info = await sc.conn.sendRequest(ValidateModel, { modelDir });
      assert.equal(info.id, init.model.id);

      // Five searches in a row, as the quick pick sends while the user types: only the last must answer.
      const sent = [1, 2, 3, 4, 5].map((i) => sc!.conn.sendRequest(Search, { query: `blood pressure ${i}`, k: 5, mode: 'hybrid' }));
      const settled = await Promise.allSettled(sent);
      assert.equal(settled[4].status, 'fulfilled');
      const rejected = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
      assert.ok(rejected.length >= 1, 'a newer search cancels older ones');
      for (const r of rejected) assert.equal((r.reason as ResponseError<unknown>).code, -32800);
      assert.ok(((settled[4] as PromiseFulfilledResult<SearchResult>).value.hits.length) > 0);

      // Errors carry their code and data.
      await assert.rejects(sc.conn.sendRequest(Search, { query: '', k: 5, mode: 'hybrid' }), (e: unknown) => (e as ResponseError<unknown>).code === ErrorCodes.BadRequest);

      // Nothing but JSON-RPC on stdout (the connection would have failed otherwise); neither stderr nor the Log
      // notifications (the extension's output channel) hold a query or note text.
      assert.ok(sc.logs().length > 0, 'the sidecar logs (model loaded, index runs)');
      for (const [where, text] of [['stderr', sc.stderr()], ['Log notifications', sc.logs()]]) {
        assert.ok(!/colchicine|blood pressure|gout/i.test(text), `${where} holds query or note text:\n${text}`);
      }
      await sc.conn.sendRequest(Shutdown);
      assert.equal(await exited(sc.child), 0);
    });

    it('tells the host when another process (the CLI) wrote the index', async () => {
      sc = startSidecar();
      const init = await sc.conn.sendRequest(Initialize, configFor(ws));
      assert.equal(init.index.state, 'missing');
      const changed = new Promise<IndexStatus>((resolve) =>
        sc!.conn.onNotification(StatusChanged, (s: IndexStatus) => {
          if (s.state === 'ready') resolve(s);
        }),
      );
      const cli = await runCli(['index', ws, '--model', modelDir]);
      assert.equal(cli.code, 0, cli.stderr);
      const s = await changed;
      assert.equal(s.notes, 15);
    });

    it('exits when its stdin closes', async () => {
      sc = startSidecar();
      sc.child.stdin?.end();
      assert.equal(await exited(sc.child), 0);
    });

    it('reports a broken model folder as ModelInvalid with the file', async () => {
      sc = startSidecar();
      const bad = tempDir('nomodel');
      try {
        await assert.rejects(sc.conn.sendRequest(Initialize, configFor(ws, { modelDir: bad })), (e: unknown) => {
          const re = e as ResponseError<{ file: string }>;
          return re.code === ErrorCodes.ModelInvalid && re.data?.file === 'drehr.json';
        });
      } finally {
        cleanup(bad);
      }
    });

    it('killed with SIGKILL during indexing, a new sidecar resumes to the same rows as a clean run', async () => {
      const full = makeWorkspace({ patients: 60, csvRows: 20 });
      try {
        const expected = await cleanIndexIds(full);
        sc = startSidecar();
        await sc.conn.sendRequest(Initialize, configFor(full));
        const firstBatchWritten = new Promise<void>((resolve) =>
          sc!.conn.onNotification(Progress, (p) => {
            if (p.phase === 'write' && p.total > 0 && p.done === p.total) resolve();
          }),
        );
        const indexing = sc.conn.sendRequest(IndexWorkspace, { workId: 'k' });
        indexing.catch(() => undefined);
        await firstBatchWritten;
        sc.child.kill('SIGKILL');
        await exited(sc.child);
        sc.conn.dispose();

        sc = startSidecar();
        const init = await sc.conn.sendRequest(Initialize, configFor(full));
        assert.notEqual(init.index.state, 'ready', 'the interrupted index is not reported ready');
        const r = await sc.conn.sendRequest(IndexWorkspace, { workId: 'k2' });
        assert.ok(r.filesUnchanged > 0, 'the files of the committed batch are not embedded again');
        assert.equal(r.status.state, 'ready');
        assert.deepEqual(await ids(configFor(full).indexLocation), expected);
      } finally {
        cleanup(full);
      }
    });
  });

  describe('drehr CLI', () => {
    let ws: string;
    const model = ['--model', modelDir];
    beforeEach(() => {
      ws = makeWorkspace({ patients: 20, csvRows: 5 });
    });
    afterEach(() => cleanup(ws));

    it('uses its exit codes: usage 2, model 3, no index 4, ok 0, no results 5, locked 4', async () => {
      assert.equal((await runCli([])).code, 2);
      assert.equal((await runCli(['search', ws])).code, 2);
      assert.equal((await runCli(['index', ws, '--bogus'])).code, 2);
      const badModel = await runCli(['index', ws, '--model', path.join(ws, 'nope')]);
      assert.equal(badModel.code, 3);
      assert.match(badModel.stderr, /Select Model/);
      assert.equal((await runCli(['search', ws, 'pain', ...model])).code, 4);
      const idx = await runCli(['index', ws, ...model]);
      assert.equal(idx.code, 0, idx.stderr);
      assert.match(idx.stdout, /Index: ready/);
      const found = await runCli(['search', ws, 'colchicine', '--json', '-k', '3', '--mode', 'bm25', ...model]);
      assert.equal(found.code, 0);
      const parsed = JSON.parse(found.stdout) as SearchResult;
      assert.ok(parsed.hits.length > 0);
      assert.equal((await runCli(['search', ws, 'pain', '--patient', 'nobody', ...model])).code, 5);
      // "Did you mean" in the human output (no results: exit 5), and in the JSON.
      const typo = await runCli(['search', ws, 'colchicnie', '--mode', 'bm25', ...model]);
      assert.equal(typo.code, 5);
      assert.match(typo.stdout, /^Did you mean "colchicine"\?$/m);
      assert.ok(!typo.stderr.includes('colchicnie'), 'the query is not logged');
      const typoJson = JSON.parse((await runCli(['search', ws, 'colchicnie', '--mode', 'bm25', '--json', ...model])).stdout) as SearchResult;
      assert.equal(typoJson.suggestion?.query, 'colchicine');
      // Term bundles from .drehr/bundles, with the panel's code.
      assert.match((await runCli(['bundles', 'list', ws])).stdout, /No bundles in \.drehr\/bundles\/ yet/);
      fs.mkdirSync(path.join(ws, '.drehr', 'bundles'), { recursive: true });
      fs.writeFileSync(path.join(ws, '.drehr', 'bundles', 'gout.json'), JSON.stringify({ name: 'Gout', queries: ['colchicine', 'pain'], match: 'any', mode: 'bm25' }));
      const listed = await runCli(['bundles', 'list', ws, '--json']);
      assert.equal(listed.code, 0);
      assert.deepEqual((JSON.parse(listed.stdout) as { bundles: unknown[] }).bundles, [{ file: 'gout.json', name: 'Gout', queries: ['colchicine', 'pain'], match: 'any', mode: 'bm25' }]);
      const anyRun = await runCli(['search', ws, '--bundle', 'Gout', '--json', '-k', '50', ...model]);
      assert.equal(anyRun.code, 0, anyRun.stderr);
      const any = JSON.parse(anyRun.stdout) as PatientSearchResult & { bundle: string; match: string };
      assert.equal(any.bundle, 'Gout');
      assert.equal(any.match, 'any');
      const allRun = await runCli(['search', ws, '--bundle', path.join(ws, '.drehr', 'bundles', 'gout.json'), '--bundle-mode', 'all', '--patients', '--json', '-k', '50', ...model]);
      const all = JSON.parse(allRun.stdout) as PatientSearchResult;
      assert.ok(all.patients.length > 0 && all.patients.length < any.patients.length, `all ${all.patients.length}, any ${any.patients.length}`);
      assert.ok(all.patients.every((p) => p.matchedQueries?.length === 2));
      assert.deepEqual(new Set(all.patients.map((p) => p.patientId)), new Set(any.patients.filter((p) => p.matchedQueries?.length === 2).map((p) => p.patientId)));
      const human = await runCli(['search', ws, '--bundle', 'gout', ...model]);
      assert.match(human.stdout, /^Bundle "Gout" \(2 queries\): patients found by any query\.$/m);
      assert.match(human.stdout, /found by: colchicine \| pain|found by: pain \| colchicine/);
      const unknown = await runCli(['search', ws, '--bundle', 'asthma', ...model]);
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /No bundle "asthma".*there: gout/);
      assert.equal((await runCli(['search', ws, 'pain', '--bundle', 'gout', ...model])).code, 2);
      assert.equal((await runCli(['search', ws, 'pain', '--bundle-mode', 'all', ...model])).code, 2);
      assert.equal((await runCli(['status', ws, ...model])).code, 0);
      const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      try {
        fs.writeFileSync(path.join(ws, '.drehr', 'index', LOCK_FILE), JSON.stringify({ pid: holder.pid, host: os.hostname(), since: '' }));
        const locked = await runCli(['index', ws, ...model]);
        assert.equal(locked.code, 4);
        assert.match(locked.stderr, new RegExp(`pid ${holder.pid}`));
      } finally {
        holder.kill('SIGKILL');
        await exited(holder);
      }
    });

    it('exports the same chunks the index holds', async () => {
      const out = path.join(tempDir('chunks'), 'chunks.jsonl');
      try {
        assert.equal((await runCli(['chunks', ws, '--out', out])).code, 0);
        const lines = fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string });
        await runCli(['index', ws, ...model]);
        assert.deepEqual(lines.map((l) => l.id).sort(), await ids(path.join(ws, '.drehr', 'index')));
      } finally {
        cleanup(path.dirname(out));
      }
    });

    it('killed with SIGKILL half way, the next run finishes with no duplicate or missing rows', async () => {
      const expected = await cleanIndexIds(ws);
      const child = spawn(process.execPath, [cliJs, 'index', ws, ...model, '--batch-chunks', '20', '--progress', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
      await new Promise<void>((resolve, reject) => {
        let seen = '';
        let writes = 0;
        child.stderr.on('data', (d: Buffer) => {
          seen += d.toString();
          const lines = seen.split('\n');
          seen = lines.pop() ?? '';
          for (const l of lines) {
            if (!l.startsWith('{')) continue;
            const p = JSON.parse(l) as { phase: string; done: number; total: number };
            if (p.phase === 'write' && p.total > 0 && p.done === p.total && ++writes === 2) resolve();
          }
        });
        child.on('exit', () => reject(new Error('the CLI finished before it could be killed')));
      });
      child.kill('SIGKILL');
      await exited(child);
      const again = await runCli(['index', ws, ...model]);
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(await ids(path.join(ws, '.drehr', 'index')), expected);
    });
  });
});
