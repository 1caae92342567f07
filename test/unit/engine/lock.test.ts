/**
 * The index write lock under races: two processes that both judge a lock stale must not both end up holding it,
 * and a lock that cannot be taken names its file and how to clear it. The test spawns this same bundle as the
 * racing processes (DREHR_LOCK_CHILD), each pausing right after its staleness check until both have made it.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ErrorCodes } from '../../../src/shared/protocol';
import { EngineError } from '../../../src/sidecar/errors';
import { acquireWriteLock, LOCK_FILE } from '../../../src/sidecar/indexer/lock';

const RACERS = 2;

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Marks `name` for this process and waits until every racer has marked it (at most 15 s). */
function barrier(dir: string, name: string): void {
  fs.writeFileSync(path.join(dir, `${name}.${process.pid}`), '');
  const t0 = Date.now();
  while (fs.readdirSync(dir).filter((f) => f.startsWith(`${name}.`)).length < RACERS && Date.now() - t0 < 15_000) sleepSync(5);
}

function child(indexDir: string, syncDir: string): void {
  let got = false;
  let code: number | undefined;
  try {
    acquireWriteLock(indexDir, { afterStaleCheck: () => barrier(syncDir, 'judged') });
    got = true;
  } catch (e) {
    code = e instanceof EngineError ? e.code : -1;
  }
  // Stay alive (holding whatever we got) until every racer has tried, so no one takes over a dead winner's lock.
  barrier(syncDir, 'done');
  process.stdout.write(JSON.stringify({ got, code }) + '\n');
}

function runChild(indexDir: string, syncDir: string): Promise<{ got: boolean; code?: number }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [__filename], { env: { ...process.env, DREHR_LOCK_CHILD: indexDir, DREHR_LOCK_SYNC: syncDir }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', (c) => (c === 0 ? resolve(JSON.parse(out.trim()) as { got: boolean; code?: number }) : reject(new Error(`racer exited ${c}: ${err}`))));
  });
}

if (process.env.DREHR_LOCK_CHILD) {
  child(process.env.DREHR_LOCK_CHILD, process.env.DREHR_LOCK_SYNC ?? '');
} else {
  describe('index write lock', function () {
    this.timeout(60_000);
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drehr-lock-'));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const deadPid = 2 ** 22 + 4321;

    it('two processes that both judge a lock stale: exactly one takes it over (5 rounds)', async () => {
      for (let round = 0; round < 5; round++) {
        const indexDir = path.join(dir, `idx${round}`);
        const syncDir = path.join(dir, `sync${round}`);
        fs.mkdirSync(indexDir);
        fs.mkdirSync(syncDir);
        fs.writeFileSync(path.join(indexDir, LOCK_FILE), JSON.stringify({ pid: deadPid, host: os.hostname(), since: '' }));
        const results = await Promise.all(Array.from({ length: RACERS }, () => runChild(indexDir, syncDir)));
        assert.equal(results.filter((r) => r.got).length, 1, `round ${round}: ${JSON.stringify(results)}`);
        assert.deepEqual(results.filter((r) => !r.got).map((r) => r.code), [ErrorCodes.IndexLocked]);
      }
    });

    it('a lock it cannot take names the lock file and how to clear it', () => {
      fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: process.ppid, host: os.hostname(), since: '' }));
      assert.throws(
        () => acquireWriteLock(dir),
        (e: unknown) =>
          e instanceof EngineError &&
          e.code === ErrorCodes.IndexLocked &&
          e.message.includes(path.join(dir, LOCK_FILE)) &&
          /delete/i.test(e.message) &&
          (e.data as { lockFile?: string }).lockFile === path.join(dir, LOCK_FILE),
      );
    });

    it('a live pid that is not the process that wrote the lock (pid reused) is stale', function () {
      if (!fs.existsSync(`/proc/${process.ppid}/stat`)) this.skip(); // process start times are read from Linux /proc
      // The parent is alive, but the lock says it was started at another time: a restart reused the pid.
      fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: process.ppid, host: os.hostname(), since: '', start: '1' }));
      const release = acquireWriteLock(dir);
      assert.equal(JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8')).pid, process.pid);
      release();
      assert.ok(!fs.existsSync(path.join(dir, LOCK_FILE)));
    });
  });
}
