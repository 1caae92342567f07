/**
 * `drehr index --distributed` under a real torchrun (two CPU ranks, the untrained fixture model): the same rows
 * and vectors as one process; one rank SIGKILLed after its first write batch, then the same command again: no
 * duplicate or missing rows; without torchrun's environment, a usage error that says how to launch it.
 */
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import * as os from 'node:os';
import { Encoder } from '../../src/sidecar/encoder/encoder';
import { DistributedError, runDistributedIndex } from '../../src/sidecar/indexer/distributed';
import { readManifest } from '../../src/sidecar/indexer/manifest';
import { cleanup, configFor, exited, makeWorkspace, memoryLogger, onJsonLines, repoRoot, tempDir } from './helpers';

const cliJs = path.join(repoRoot, 'dist', 'cli.js');
const fixture = path.join(repoRoot, 'test', 'fixtures', 'untrained-model');
const torchrun = process.env.DREHR_TEST_TORCHRUN ?? (fs.existsSync('/usr/bin/torchrun') ? '/usr/bin/torchrun' : 'torchrun');

function torchrunWorks(): string | undefined {
  const r = spawnSync(torchrun, ['--help'], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) return `${torchrun} cannot be run (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})`;
  return r.status === 0 ? undefined : `${torchrun} --help exits ${r.status}`;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

interface Row {
  id: string;
  text: string;
  vector: Float32Array;
}

async function rowsOf(ws: string): Promise<Row[]> {
  const db = await lancedb.connect(path.join(ws, '.drehr', 'index'));
  try {
    const t = await db.openTable('chunks');
    const rows = (await t.query().select(['id', 'text', 'vector']).toArray()) as Array<{ id: string; text: string; vector: { toArray(): ArrayLike<number> } | ArrayLike<number> }>;
    t.close();
    return rows
      .map((r) => ({ id: r.id, text: r.text, vector: Float32Array.from('toArray' in r.vector ? r.vector.toArray() : r.vector) }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  } finally {
    db.close();
  }
}

function assertSameRows(got: Row[], want: Row[]): void {
  assert.equal(new Set(got.map((r) => r.id)).size, got.length, 'duplicate ids');
  assert.deepEqual(got.map((r) => `${r.id} ${r.text}`), want.map((r) => `${r.id} ${r.text}`));
  let worst = 0;
  got.forEach((r, i) => r.vector.forEach((x, d) => (worst = Math.max(worst, Math.abs(x - want[i].vector[d])))));
  // the same model on the same CPU; only the batch composition differs
  assert.ok(worst < 1e-5, `vectors differ by up to ${worst}`);
}


const common = ['--model', fixture, '--threads', '1', '--device', 'cpu'];

/** `drehr index` in one process. */
function indexOnce(ws: string): number | null {
  return spawnSync(process.execPath, [cliJs, 'index', ws, ...common, '--batch-chunks', '8'], { stdio: 'ignore' }).status;
}

/**
 * The two-rank launch. `--redirects 1 --tee 1`: torchrun 1.13 on Python 3.11 fails without an explicit non-zero
 * redirect (its Std flag parsing), and these keep stderr (the progress JSON) a plain stream. With `killRank1After`,
 * rank 1 is SIGKILLed (its pid from its lock file) once it finished that many write batches.
 */
async function launch(ws: string, opts: { batchChunks: number; killRank1After?: number }): Promise<{ code: number | null; killed: boolean; rank1Writes: number }> {
  const port = await freePort();
  const args = ['--nproc_per_node', '2', '--master_addr', '127.0.0.1', '--master_port', String(port), '--monitor_interval', '1', '--redirects', '1', '--tee', '1', '--no_python',
    process.execPath, cliJs, 'index', ws, '--distributed', ...common, '--batch-chunks', String(opts.batchChunks), '--progress', 'json'];
  const child = spawn(torchrun, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let rank1Writes = 0;
  let killed = false;
  let tail = '';
  child.stderr?.on('data', (d: Buffer) => {
    tail = (tail + d.toString()).slice(-4000);
  });
  onJsonLines(child.stderr, (o) => {
    const p = o as { rank: number; phase: string; done: number; total: number };
    if (p.rank === 1 && p.phase === 'write' && p.total > 0 && p.done === p.total) rank1Writes++;
    if (opts.killRank1After !== undefined && !killed && rank1Writes >= opts.killRank1After) {
      const lock = JSON.parse(fs.readFileSync(path.join(ws, '.drehr', 'index', 'distributed', 'lock-rank-1', 'write.lock'), 'utf8')) as { pid: number };
      process.kill(lock.pid, 'SIGKILL');
      killed = true;
    }
  });
  const code = await exited(child);
  if (code !== 0 && !killed) console.log(tail);
  return { code, killed, rank1Writes };
}

describe('distributed indexing under torchrun (two CPU ranks)', function () {
  before(function () {
    const why = torchrunWorks();
    if (why) {
      // In CI, scripts/setup.sh installs python3-torch, which brings torchrun: its absence there is a failure.
      if (process.env.CI) throw new Error(`${why}; scripts/setup.sh installs python3-torch (torchrun)`);
      console.warn(`skipping: ${why}; set DREHR_TEST_TORCHRUN`);
      this.skip();
    }
  });

  it('gives the same rows and vectors as one process, and a second launch embeds nothing', async function () {
    this.timeout(600_000);
    const one = makeWorkspace({ patients: 12, csvRows: 10 });
    const two = makeWorkspace({ patients: 12, csvRows: 10 });
    try {
      assert.equal(indexOnce(one), 0);
      const want = await rowsOf(one);
      assert.ok(want.length > 40, `${want.length} rows`);
      // markers an earlier launch of another size left behind must neither start nor finish this one early
      const dist = path.join(two, '.drehr', 'index', 'distributed');
      fs.mkdirSync(dist, { recursive: true });
      fs.writeFileSync(path.join(dist, 'launch.json'), JSON.stringify({ launch: 'old', world: 4 }));
      fs.writeFileSync(path.join(dist, 'barrier.json'), JSON.stringify({ launch: 'old', world: 4, nonces: { 1: 'old-1' } }));
      fs.writeFileSync(path.join(dist, 'done-1.json'), JSON.stringify({ launch: 'old', rank: 1, cancelled: false, chunksAdded: 0, chunksRemoved: 0 }));
      const r = await launch(two, { batchChunks: 8 });
      assert.equal(r.code, 0);
      assert.ok(r.rank1Writes > 0, 'rank 1 wrote nothing: was the work split?');
      assertSameRows(await rowsOf(two), want);
      // rank 0 wrote the whole manifest and removed the run's markers
      const m = readManifest(path.join(two, '.drehr', 'index'));
      assert.equal(m.state, 'ok');
      if (m.state === 'ok') {
        assert.deepEqual(Object.keys(m.manifest.files).sort(), Object.keys((readManifest(path.join(one, '.drehr', 'index')) as { manifest: { files: object } }).manifest.files).sort());
        assert.deepEqual(m.manifest.pending, []);
        assert.ok(m.manifest.lastIndexedAt);
      }
      const left = fs.readdirSync(dist);
      assert.ok(!left.some((n) => /^(shard-|done-|ack-)/.test(n)), left.join(', '));
      // a second launch finds everything indexed
      const again = await launch(two, { batchChunks: 8 });
      assert.equal(again.code, 0);
      assert.equal(again.rank1Writes, 0);
      assertSameRows(await rowsOf(two), want);
    } finally {
      cleanup(one, two);
    }
  });

  it('rank 1 SIGKILLed after its first write batch: the same command again finishes with no duplicate or missing rows', async function () {
    this.timeout(600_000);
    const one = makeWorkspace({ patients: 20 });
    const two = makeWorkspace({ patients: 20 });
    try {
      assert.equal(indexOnce(one), 0);
      const want = await rowsOf(one);
      const first = await launch(two, { batchChunks: 2, killRank1After: 1 });
      assert.ok(first.killed);
      assert.notEqual(first.code, 0);
      // the kill landed part-way: rank 0 never finished the run, so some files are not in manifest.json
      const m = readManifest(path.join(two, '.drehr', 'index'));
      const recorded = m.state === 'ok' ? Object.keys(m.manifest.files).length : 0;
      const total = Object.keys((readManifest(path.join(one, '.drehr', 'index')) as { manifest: { files: object } }).manifest.files).length;
      assert.ok(recorded < total, `${recorded} of ${total} files recorded after the kill`);
      const second = await launch(two, { batchChunks: 2 });
      assert.equal(second.code, 0);
      assertSameRows(await rowsOf(two), want);
    } finally {
      cleanup(one, two);
    }
  });
});

describe('a killed distributed run resumed by a plain drehr index', function () {
  before(function () {
    const why = torchrunWorks();
    if (why) {
      if (process.env.CI) throw new Error(`${why}; scripts/setup.sh installs python3-torch (torchrun)`);
      this.skip();
    }
  });

  it('folds what the ranks recorded and finishes with no duplicate or missing rows', async function () {
    this.timeout(600_000);
    const one = makeWorkspace({ patients: 20 });
    const two = makeWorkspace({ patients: 20 });
    try {
      assert.equal(indexOnce(one), 0);
      const want = await rowsOf(one);
      const first = await launch(two, { batchChunks: 2, killRank1After: 1 });
      assert.ok(first.killed);
      const dist = path.join(two, '.drehr', 'index', 'distributed');
      assert.ok(fs.readdirSync(dist).some((n) => n.startsWith('shard-')), 'the killed run left rank manifests');
      assert.equal(indexOnce(two), 0);
      assertSameRows(await rowsOf(two), want);
      assert.ok(!fs.readdirSync(dist).some((n) => n.startsWith('shard-')), 'the plain run folded them in');
    } finally {
      cleanup(one, two);
    }
  });
});

describe('rank 0 and a rank that is gone', function () {
  it('stops waiting at once, naming the rank and how to resume, when a rank on its node died without its done marker', async function () {
    this.timeout(120_000);
    const ws = makeWorkspace({ patients: 4 });
    const encoder = await Encoder.open({ modelDir: fixture, device: 'cpu', threads: 1 }, memoryLogger());
    try {
      const metaDir = path.join(ws, '.drehr', 'index');
      const dir = path.join(metaDir, 'distributed');
      fs.mkdirSync(dir, { recursive: true });
      // a process that has exited: its pid is dead
      const gone = spawn(process.execPath, ['-e', '0']);
      const deadPid = gone.pid!;
      await exited(gone);
      // stand in for rank 1: ack rank 0's launch as soon as launch.json appears, then "die" (a lock with a dead pid)
      const acked = new Promise<void>((resolve) => {
        const w = fs.watch(dir, () => {
          const l = fs.existsSync(path.join(dir, 'launch.json')) ? (JSON.parse(fs.readFileSync(path.join(dir, 'launch.json'), 'utf8')) as { launch: string }) : undefined;
          if (!l) return;
          w.close();
          fs.mkdirSync(path.join(dir, 'lock-rank-1'), { recursive: true });
          fs.writeFileSync(path.join(dir, 'lock-rank-1', 'write.lock'), JSON.stringify({ pid: deadPid, host: os.hostname(), since: new Date().toISOString() }));
          fs.writeFileSync(path.join(dir, 'ack-1.json'), JSON.stringify({ launch: l.launch, rank: 1, nonce: 'n1' }));
          resolve();
        });
      });
      const run = runDistributedIndex({ dist: { rank: 0, world: 2, localRank: 0, localWorld: 2 }, config: configFor(ws, { modelDir: fixture }), encoder, metaDir, log: memoryLogger() }, {}, () => undefined);
      await acked;
      await assert.rejects(run, (e: unknown) => e instanceof DistributedError && /rank 1 \(pid \d+\) is gone without finishing its shard\. Run the same command again/.test(e.message));
      assert.ok(!fs.existsSync(path.join(metaDir, 'write.lock')), 'rank 0 let go of the index lock');
      assert.ok(fs.readdirSync(dir).includes('shard-0-of-2'), 'rank 0 kept its shard manifest for the rerun');
    } finally {
      await encoder.close();
      cleanup(ws);
    }
  });
});

describe('drehr index --distributed without torchrun', function () {
  it('exits 2 naming the missing variables and the torchrun command', function () {
    this.timeout(60_000);
    const ws = tempDir('nodist');
    try {
      const env = { ...process.env };
      for (const k of ['RANK', 'WORLD_SIZE', 'LOCAL_RANK']) delete env[k];
      const r = spawnSync(process.execPath, [cliJs, 'index', ws, '--distributed', '--model', fixture], { encoding: 'utf8', env });
      assert.equal(r.status, 2);
      assert.match(r.stderr, /--distributed needs the environment variables RANK, WORLD_SIZE, LOCAL_RANK; none of them is set/);
      assert.match(r.stderr, /torchrun --nproc_per_node N --no_python drehr index <folder> --distributed/);
      assert.ok(!fs.existsSync(path.join(ws, '.drehr')), 'nothing written');
    } finally {
      cleanup(ws);
    }
  });
});
