/**
 * The test run cannot pass by accident: scripts/test-all.mjs fails a suite it cannot run, and the sidecar suites
 * fail (not skip) without a model.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');

function testAll(cwd: string, only: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'test-all.mjs'), '--only', only], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('test run: nothing passes untested', function () {
  this.timeout(60_000);
  let empty: string;
  before(() => {
    empty = fs.mkdtempSync(path.join(os.tmpdir(), 'drehr-testall-'));
  });
  after(() => fs.rmSync(empty, { recursive: true, force: true }));

  it('a suite whose built output is missing fails the run', () => {
    const r = testAll(empty, 'unit,sidecar');
    assert.equal(r.status, 1, r.out);
    assert.match(r.out, /unit\s+FAILED: out\/test\/unit is missing/);
    assert.match(r.out, /sidecar\s+FAILED: out\/test\/sidecar is missing/);
    assert.match(r.out, /0 passed, 2 failed/);
  });

  it('an unknown suite name after --only fails the run', () => {
    const r = testAll(empty, 'unti');
    assert.equal(r.status, 1, r.out);
    assert.match(r.out, /unti\s+FAILED: no such suite/);
  });

  it('the sidecar suite fails, not skips, when the model is missing', () => {
    const spec = path.join(ROOT, 'out', 'test', 'sidecar', 'encoder.test.js');
    const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js'), '--no-config', '--reporter', 'dot', spec], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, DREHR_TEST_MODEL: path.join(empty, 'no-model') },
    });
    const out = `${r.stdout}${r.stderr}`;
    assert.notEqual(r.status, 0, out);
    assert.match(out, /No model at .*no-model/);
    assert.doesNotMatch(out, /\d+ pending/);
  });
});
