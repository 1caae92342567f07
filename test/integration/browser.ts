/**
 * What the Chromium-driven suites (review, synth, searchPanelUi) share: polling with a deadline, and the DevTools
 * connection to the browser scripts/vscode-ci/run-integration.mjs opened (it passes the profile folder in
 * DREHR_TEST_BROWSER_PROFILE; the browser belongs to the harness, so suites close only their connection).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';

/** Polls `probe` until it returns a value (not undefined), or fails naming `what` after `ms`. */
export async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`no ${what} within ${ms} ms${last ? ` (${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** The harness browser's profile folder; under @vscode/test-electron there is none: say so instead of passing. */
export function browserProfile(): string {
  const profile = process.env.DREHR_TEST_BROWSER_PROFILE;
  if (!profile) throw new Error('DREHR_TEST_BROWSER_PROFILE is not set: run this suite through scripts/vscode-ci/run-integration.mjs');
  return profile;
}

/** `.vscode-ci/runs/<run>-screens/` beside the run's scratch folder (the workspace's parent), created. */
export function screensFolder(workspaceRoot: string): string {
  const scratch = path.dirname(workspaceRoot);
  const screens = path.join(path.dirname(scratch), `${path.basename(scratch)}-screens`);
  fs.mkdirSync(screens, { recursive: true });
  return screens;
}

/** Connects over the DevTools port the profile folder names and finds the workbench page. */
export async function connectWorkbench(profile: string): Promise<{ browser: Browser; page: Page }> {
  const port = await until('DevTools port', 30000, () => {
    const f = path.join(profile, 'DevToolsActivePort');
    return fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n')[0].trim() || undefined : undefined;
  });
  const { chromium } = await import('playwright-core');
  const browser = await chromium.connectOverCDP(`http://127.0.0.1:${port}`);
  const page = await until('workbench page', 30000, () => browser.contexts().flatMap((c) => c.pages()).find((p) => p.url().startsWith('http://127.0.0.1')));
  return { browser, page };
}
