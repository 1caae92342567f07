#!/usr/bin/env node
// Runs every suite in turn, streams its output, counts its results, and ends with the summary line
// "N passed, N failed, N skipped". Exit code 0 only when nothing failed. A suite that cannot run (its built
// output is missing, an unknown name after --only, a runner that ran no test) counts as failed, never as "no tests":
// a run that tested nothing must not pass.
//   node scripts/test-all.mjs [--only unit,sidecar,...]
// Suites: build, typecheck, lint, unit, webview, sidecar, pytest, integration, vsix.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

const only = (() => {
  const i = process.argv.indexOf('--only');
  return i > 0 ? new Set(process.argv[i + 1].split(',')) : null;
})();

// count(output) → {passed, failed, skipped} or null when the runner printed no summary.
const mochaCount = (out) => {
  const num = (re) => Number((out.match(re) ?? [0, 0])[1]);
  if (!/\d+ passing/.test(out) && !/\d+ failing/.test(out)) return null;
  return { passed: num(/(\d+) passing/), failed: num(/(\d+) failing/), skipped: num(/(\d+) pending/) };
};
const pytestCount = (out) => {
  const line = out.trim().split('\n').reverse().find((l) => /\d+ (passed|failed|error)/.test(l));
  if (!line) return null;
  const num = (re) => Number((line.match(re) ?? [0, 0])[1]);
  return { passed: num(/(\d+) passed/), failed: num(/(\d+) failed/) + num(/(\d+) errors?/), skipped: num(/(\d+) skipped/) };
};
const plainCount = (out) => {
  const m = [...out.matchAll(/^(\d+) passed, (\d+) failed$/gm)].pop();
  return m ? { passed: Number(m[1]), failed: Number(m[2]), skipped: 0 } : null;
};
const single = () => null; // pass/fail by exit code, counted as one test

const suites = [
  { name: 'build', cmd: 'node esbuild.mjs && node esbuild.mjs --tests', count: single },
  { name: 'typecheck', cmd: 'npx tsc --noEmit -p .', count: single },
  { name: 'lint', cmd: 'npx eslint src test webview-ui', count: single },
  { name: 'unit', cmd: 'npx mocha --config test/.mocharc.unit.json', count: mochaCount, when: 'out/test/unit' },
  { name: 'webview', cmd: 'npx mocha --config test/.mocharc.webview.json', count: mochaCount, when: 'out/test/webview' },
  { name: 'sidecar', cmd: 'npx mocha --config test/.mocharc.sidecar.json', count: mochaCount, when: 'out/test/sidecar' },
  { name: 'pytest', cmd: 'cd python && OMP_NUM_THREADS=2 /usr/bin/python3 -m pytest -q --color=no -p no:cacheprovider tests', count: pytestCount, when: 'python/tests' },
  { name: 'integration', cmd: 'node scripts/vscode-ci/run-integration.mjs', count: mochaCount, when: 'out/test/integration/index.js' },
  // Last, since packaging rebuilds dist/ minified: the VSIX installed into a fresh code-server, driven through the
  // command palette in Chromium (index, search, open a passage).
  { name: 'vsix', cmd: 'npm run --silent verify:vsix', count: plainCount },
];

const run = (cmd) =>
  new Promise((resolve) => {
    const child = spawn('bash', ['-c', cmd], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
    let out = '';
    child.stdout.on('data', (d) => { out += d; process.stdout.write(d); });
    child.stderr.on('data', (d) => { out += d; process.stderr.write(d); });
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });

const totals = { passed: 0, failed: 0, skipped: 0 };
const rows = [];
if (only) {
  const known = new Set(suites.map((s) => s.name));
  for (const name of only) {
    if (known.has(name)) continue;
    rows.push([name, `FAILED: no such suite (known: ${[...known].join(', ')})`]);
    totals.failed += 1;
  }
}
let buildFailed = false;
for (const s of suites) {
  if (only && !only.has(s.name)) continue;
  if (buildFailed && s.name !== 'typecheck' && s.name !== 'lint') {
    rows.push([s.name, 'not run: the build failed']);
    totals.failed += 1;
    continue;
  }
  if (s.when && !existsSync(s.when)) {
    rows.push([s.name, `FAILED: ${s.when} is missing (build the tests first: node esbuild.mjs --tests)`]);
    totals.failed += 1;
    continue;
  }
  console.log(`\n=== ${s.name}: ${s.cmd}`);
  const t0 = Date.now();
  let { code, out } = await run(s.cmd);
  if (s.name === 'integration' && code !== 0 && !/\d+ (passing|failing)/.test(out)) {
    // The harness could not start the workbench (no test ran at all): an infrastructure failure, not a test
    // failure. Try once more; a test that fails is never retried.
    console.log('\n=== integration: no test ran; starting the harness once more');
    ({ code, out } = await run(s.cmd));
  }
  let c = s.count(out);
  if (!c) c = code === 0 ? { passed: 1, failed: 0, skipped: 0 } : { passed: 0, failed: 1, skipped: 0 };
  else if (code !== 0 && c.failed === 0) c.failed = 1; // the runner failed outside any test (crash, timeout, load error)
  else if (c.passed + c.failed === 0) c.failed = 1; // the runner found nothing to run (everything skipped or no files)
  if (s.name === 'build' && code !== 0) buildFailed = true;
  totals.passed += c.passed;
  totals.failed += c.failed;
  totals.skipped += c.skipped;
  rows.push([s.name, `${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped (${((Date.now() - t0) / 1000).toFixed(0)} s)`]);
}
console.log('\n=== summary');
for (const [n, r] of rows) console.log(`${n.padEnd(12)} ${r}`);
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed ? 1 : 0);
