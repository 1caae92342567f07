// Bundles every entry point of the project. `node esbuild.mjs` builds the extension, the sidecar, the CLI
// and each webview into dist/; `--tests` bundles each test file into out/test/; `--production` minifies.
import * as esbuild from 'esbuild';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';

const args = new Set(process.argv.slice(2));
const production = args.has('--production');
const watch = args.has('--watch');

// Native or runtime-resolved modules stay outside the bundles; .vscodeignore ships them from node_modules.
const nativeExternals = ['onnxruntime-node', '@lancedb/lancedb', 'apache-arrow'];

const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  target: 'node20',
};

function walk(dir, pred) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p, pred));
    else if (pred(p)) out.push(p);
  }
  return out;
}

const nodeBuilds = [
  // reviewWorker: the pairs review's worker thread (src/review/worker.ts), started by the extension host.
  { entryPoints: { extension: 'src/extension.ts', reviewWorker: 'src/review/worker.ts' }, external: ['vscode'] },
  { entryPoints: { sidecar: 'src/sidecar/main.ts', cli: 'src/cli/main.ts' }, external: nativeExternals },
].filter((b) => Object.values(b.entryPoints).every((p) => existsSync(p)));

// One browser bundle per folder under webview-ui/ that has a main.ts.
const webviewEntries = {};
if (existsSync('webview-ui')) {
  for (const name of readdirSync('webview-ui')) {
    const main = join('webview-ui', name, 'main.ts');
    if (existsSync(main)) webviewEntries[`webview/${name}`] = main;
  }
}

const builds = [
  ...nodeBuilds.map((b) => ({ ...common, ...b, platform: 'node', format: 'cjs', outdir: 'dist' })),
  ...(Object.keys(webviewEntries).length
    ? [{ ...common, entryPoints: webviewEntries, platform: 'browser', format: 'iife', target: 'es2022', outdir: 'dist', loader: { '.css': 'text' } }]
    : []),
];

if (args.has('--tests')) {
  // Each test file becomes its own bundle under out/test/, keeping its folder (unit, sidecar, integration, webview).
  const files = walk('test', (p) => p.endsWith('.test.ts') || p.endsWith('/index.ts') || p.endsWith('harness.ts'));
  const entryPoints = Object.fromEntries(files.map((f) => [relative('test', f).replace(/\.ts$/, ''), f]));
  builds.length = 0;
  builds.push({
    ...common,
    entryPoints,
    platform: 'node',
    format: 'cjs',
    outdir: 'out/test',
    external: [...nativeExternals, 'vscode', 'mocha', 'playwright-core'],
  });
}

if (watch) {
  for (const b of builds) (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
