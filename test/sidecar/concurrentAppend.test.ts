/**
 * What distributed indexing relies on: several processes appending to one LanceDB table at once lose no rows, also
 * while each deletes some of its own rows (a rank redoing a file) and rows of a fragment the others' rows share.
 * The writers start together on a signal (no sleeps): each prints "ready", the test answers "go" on stdin.
 */
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as lancedb from '@lancedb/lancedb';
import { cleanup, repoRoot, tempDir } from './helpers';

const WRITER = `
const lancedb = require('@lancedb/lancedb');
const [loc, who, batches] = process.argv.slice(1);
(async () => {
  const db = await lancedb.connect(loc);
  const t = await db.openTable('chunks');
  process.stdout.write('ready\\n');
  await new Promise((r) => process.stdin.once('data', r));
  for (let b = 0; b < Number(batches); b++) {
    const rows = Array.from({ length: 20 }, (_, i) => ({ id: who + '-' + b + '-' + i, source: 'src-' + who + '-' + b, n: i }));
    await t.add(rows);
    if (b % 4 === 3) await t.delete("source = 'src-" + who + "-" + (b - 1) + "'"); // a batch redone: its rows go
    if (b === 5) await t.delete("source = 'shared-" + who + "'"); // rows in the fragment both writers' seed rows share
  }
  process.stdout.write('done\\n');
  t.close();
  db.close();
})().catch((e) => { process.stderr.write(String(e && e.message) + '\\n'); process.exit(1); });
`;

function writer(loc: string, who: string, batches: number): { child: ChildProcess; ready: Promise<void>; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['-e', WRITER, loc, who, String(batches)], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'inherit'] });
  const ready = new Promise<void>((resolve) => child.stdout?.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return { child, ready, exit };
}

describe('LanceDB: concurrent appends from several processes', function () {
  it('three writers appending 24 batches each at once (with deletes of their own rows): no row lost or doubled', async function () {
    this.timeout(300_000);
    const dir = tempDir('concurrent');
    try {
      const db = await lancedb.connect(dir);
      const seed = ['a', 'b', 'c'].flatMap((w) => Array.from({ length: 10 }, (_, i) => ({ id: `seed-${w}-${i}`, source: `shared-${w}`, n: i })));
      (await db.createTable('chunks', seed)).close();
      const batches = 24;
      const ws = ['a', 'b', 'c'].map((w) => writer(dir, w, batches));
      await Promise.all(ws.map((w) => w.ready));
      for (const w of ws) w.child.stdin?.end('go\n');
      assert.deepEqual(await Promise.all(ws.map((w) => w.exit)), [0, 0, 0]);
      const t = await db.openTable('chunks');
      const ids = ((await t.query().select(['id']).toArray()) as Array<{ id: string }>).map((r) => r.id);
      t.close();
      db.close();
      // each writer: 24 batches of 20, minus the 6 batches it deleted (b-1 for b = 3, 7, ..., 23); seed rows all deleted
      const expected = new Set<string>();
      for (const w of ['a', 'b', 'c']) for (let b = 0; b < batches; b++) if (b % 4 !== 2) for (let i = 0; i < 20; i++) expected.add(`${w}-${b}-${i}`);
      assert.equal(ids.length, new Set(ids).size, 'duplicate rows');
      assert.deepEqual([...ids].sort(), [...expected].sort());
    } finally {
      cleanup(dir);
    }
  });
});

