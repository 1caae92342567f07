// Bundles bench/synthBench.ts with esbuild and runs it: `npm run bench:synth` (results: bench/SYNTH.md).
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';

const outfile = 'bench/work/synthBench.js';
await esbuild.build({
  entryPoints: ['bench/synthBench.ts'],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outfile,
  external: ['onnxruntime-node', '@lancedb/lancedb', 'apache-arrow'],
  logLevel: 'warning',
});
const r = spawnSync(process.execPath, [outfile, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
