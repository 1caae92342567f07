// `npm run bench:activation`: extension activation time and sidecar memory (RSS) with the demo model, in a real
// VS Code extension host (code-server; needs `bash scripts/setup.sh --all`). Opens a fresh window on a copy of
// demo/notes N times (default 5) and prints the medians as Markdown for bench/RESULTS.md.
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';

// Same wording as bench/machine.ts (a .ts module this plain script cannot import).
const machineLine = () =>
  `${os.cpus()[0]?.model ?? 'unknown CPU'} × ${os.cpus().length} logical cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}, load average at start ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`;

const runs = Number(process.argv[2] ?? 5);
spawnSync(process.execPath, ['esbuild.mjs'], { stdio: 'inherit' });
await esbuild.build({
  entryPoints: { index: 'bench/activation/suite.ts' }, bundle: true, platform: 'node', format: 'cjs', target: 'node20',
  outdir: 'bench/work/activation', external: ['vscode', 'mocha'], logLevel: 'warning',
});
const machine = machineLine();
const results = [];
for (let i = 0; i < runs; i++) {
  const r = spawnSync(process.execPath, ['scripts/vscode-ci/run-integration.mjs', '--tests', 'bench/work/activation/index.js', '--workspace', 'demo/notes'], { encoding: 'utf8' });
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('BENCH '));
  if (!line) {
    console.error(r.stdout, r.stderr);
    process.exit(1);
  }
  results.push(JSON.parse(line.slice(6)));
  console.error(`run ${i + 1}/${runs}: ${line.slice(6)}`);
}
const med = (xs) => { const s = xs.filter((x) => x !== null).sort((a, b) => a - b); return s.length ? s[Math.floor((s.length - 1) / 2)] : null; };
const m = (f) => med(results.map(f));
console.log(`### bench:activation — ${new Date().toISOString().slice(0, 16)}Z\n`);
console.log(`${machine}. Real extension host: code-server 4.139.1 (VS Code 1.139.1, Node 24), ${runs} fresh windows on a copy of demo/notes (${results[0].chunks} chunks), demo model. Medians.\n`);
console.log('| measure | median | min | max |\n|---|---|---|---|');
const row = (name, f, unit) => {
  const xs = results.map(f).filter((x) => x !== null);
  console.log(`| ${name} | ${m(f)} ${unit} | ${Math.min(...xs)} ${unit} | ${Math.max(...xs)} ${unit} |`);
};
row('activate() (the extension\'s own measure)', (r) => r.activationMs, 'ms');
row('activate() as the caller sees it', (r) => r.activateCallMs, 'ms');
row('sidecar ready (spawn + model load), from activation', (r) => r.sidecarReadyMs, 'ms');
row('rebuild index of the demo notes', (r) => r.indexMs, 'ms');
row('sidecar RSS, idle with the model loaded', (r) => r.rssMiB.idle, 'MiB');
row('sidecar RSS, after indexing', (r) => r.rssMiB.afterIndex, 'MiB');
row('sidecar RSS, after 5 searches', (r) => r.rssMiB.afterSearch, 'MiB');
console.log(`\nTarget: activation under 50 ms → ${m((r) => r.activationMs) < 50 ? 'met' : 'missed'} (median ${m((r) => r.activationMs)} ms).`);
