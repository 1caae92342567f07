// Bundles a benchmark (bench/<name>Bench.ts) with esbuild and runs it: `node bench/run.mjs <name> [args]`.
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';

const [name, ...args] = process.argv.slice(2);
const NAMES = ['index', 'search', 'patients', 'int8', 'pairsReview', 'engines', 'synth', 'stream', 'panel', 'suspicionCalibration'];
if (!NAMES.includes(name)) {
  console.error(`usage: node bench/run.mjs ${NAMES.join('|')} [options]`);
  process.exit(2);
}
const outfile = `bench/work/${name}Bench.js`;
await esbuild.build({
  entryPoints: [`bench/${name}Bench.ts`],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outfile,
  external: ['onnxruntime-node', '@lancedb/lancedb', 'apache-arrow', 'playwright-core'],
  logLevel: 'warning',
});
const r = spawnSync(process.execPath, ['--expose-gc', outfile, ...args], { stdio: 'inherit' });
process.exit(r.status ?? 1);
