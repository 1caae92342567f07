/** LanceDB's CPU pool: every entry point sets a safe size before the native modules load (issue 11, item 0). */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cleanup, modelDir, repoRoot, tempDir } from './helpers';

const dist = (f: string): string => path.join(repoRoot, 'dist', f);

/** The environment of a user who set neither variable. */
function bareEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.LANCE_CPU_THREADS;
  delete env.ORT_DISABLE_TELEMETRY;
  return env;
}

describe('native library environment in the built entry points', () => {
  /** Runs `args` under a preload hook that records the environment at the moment each native module is required. */
  function envAtNativeLoad(args: string[]): Map<string, string[]> {
    const dir = tempDir('hook');
    const hook = path.join(dir, 'hook.js');
    const out = path.join(dir, 'seen.txt');
    fs.writeFileSync(
      hook,
      `const M = require('module'); const fs = require('fs'); const load = M._load;
       M._load = function (req, ...rest) {
         if (req === '@lancedb/lancedb' || req === 'onnxruntime-node') fs.appendFileSync(${JSON.stringify(out)}, [req, process.env.LANCE_CPU_THREADS, process.env.ORT_DISABLE_TELEMETRY].join(' ') + '\\n');
         return load.call(this, req, ...rest);
       };`,
    );
    try {
      const r = spawnSync(process.execPath, ['-r', hook, ...args], { env: bareEnv(), encoding: 'utf8', input: '', cwd: repoRoot, timeout: 60_000 });
      const seen = new Map<string, string[]>();
      const text = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
      for (const line of text.trim().split('\n').filter(Boolean)) {
        const [req, ...vals] = line.split(' ');
        if (!seen.has(req)) seen.set(req, vals);
      }
      assert.ok(seen.size > 0, `no native module was loaded (exit ${r.status}): ${r.stderr}`);
      return seen;
    } finally {
      cleanup(dir);
    }
  }

  const cases: Array<[string, () => string[]]> = [
    ['the sidecar', () => [dist('sidecar.js')]],
    ['the CLI (status)', () => [dist('cli.js'), 'status', tempDir('ws'), '--model', modelDir]],
  ];
  for (const [name, args] of cases) {
    it(`${name} sets LANCE_CPU_THREADS >= 2 and ORT_DISABLE_TELEMETRY=1 before LanceDB and onnxruntime load`, () => {
      const seen = envAtNativeLoad(args());
      for (const mod of ['@lancedb/lancedb', 'onnxruntime-node']) {
        const vals = seen.get(mod);
        assert.ok(vals, `${mod} was loaded`);
        assert.ok(Number(vals[0]) >= 2, `${mod}: LANCE_CPU_THREADS=${vals[0]}`);
        assert.equal(vals[1], '1', `${mod}: ORT_DISABLE_TELEMETRY`);
      }
    });
  }

  it('the CLI child sees LANCE_CPU_THREADS >= 2 and ORT_DISABLE_TELEMETRY=1 when the user set neither', () => {
    const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(dist('cli.js'))}); process.stdout.write(JSON.stringify([process.env.LANCE_CPU_THREADS, process.env.ORT_DISABLE_TELEMETRY]))`], { env: bareEnv(), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const [lance, ort] = JSON.parse(r.stdout) as [string, string];
    assert.ok(Number(lance) >= 2, `LANCE_CPU_THREADS=${lance}`);
    assert.equal(ort, '1');
  });

  it("keeps the user's own LANCE_CPU_THREADS", () => {
    const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(dist('cli.js'))}); process.stdout.write(process.env.LANCE_CPU_THREADS)`], { env: { ...bareEnv(), LANCE_CPU_THREADS: '3' }, encoding: 'utf8' });
    assert.equal(r.stdout, '3');
  });

  it('an FTS build that deadlocks a one-thread pool finishes in a child that loaded the CLI', function () {
    // 100k rows of 30 words from a 500k-word vocabulary: the posting lists need several output batches, which is
    // what hangs lance's one-thread pool (the 2-core default) under @lancedb/lancedb 0.31.0.
    this.timeout(240_000);
    const dir = tempDir('fts');
    const script = `
      require(${JSON.stringify(dist('cli.js'))});
      const lancedb = require('@lancedb/lancedb');
      (async () => {
        let s = 1;
        const r = () => (s = (s * 1103515245 + 12345) & 0x7fffffff);
        const rows = [];
        for (let i = 0; i < 100000; i++) { const t = []; for (let j = 0; j < 30; j++) t.push('w' + (r() % 500000)); rows.push({ id: String(i), text: t.join(' ') }); }
        const db = await lancedb.connect(${JSON.stringify(dir)});
        const t = await db.createTable('t', rows);
        await t.createIndex('text', { config: lancedb.Index.fts() });
        process.stdout.write('built ' + process.env.LANCE_CPU_THREADS);
        process.exit(0);
      })();`;
    try {
      const r = spawnSync(process.execPath, ['-e', script], { env: bareEnv(), encoding: 'utf8', timeout: 200_000, cwd: repoRoot });
      assert.equal(r.signal, null, 'the FTS build did not finish (killed at the time limit)');
      assert.match(r.stdout, /^built [2-9]|^built \d\d/);
    } finally {
      cleanup(dir);
    }
  });
});
