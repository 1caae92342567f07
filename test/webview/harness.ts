/**
 * Loads a webview bundle (dist/webview/<name>.js) in headless Debian Chromium, inside the same HTML shell and
 * content security policy the extension serves (src/views/html.ts), with a stubbed acquireVsCodeApi that
 * records posted messages and keeps setState's state. Generic: every webview's tests use it.
 *
 *   const browser = await launchBrowser();
 *   const view = await WebviewPage.open(browser, { bundle: 'search', styles: ['media/search.css'] });
 *   await view.waitForPosted('ready');
 *   await view.deliver({ type: 'config', ... });          // host → webview
 *   const reopened = await view.reopen();                  // a new page with the saved state
 *
 * Files are served from a fake origin (https://webview.test) that plays the part of webview.cspSource; only
 * dist/webview/ and media/ are served, as localResourceRoots allow. Build first: `node esbuild.mjs`.
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { webviewHtml } from '../../src/views/html';

export const ORIGIN = 'https://webview.test';
/** The repository root: the nearest folder above this file's bundle with a package.json (tests run from out/test/webview/, the panel benchmark from bench/work/). */
export const ROOT = ((): string => {
  for (let d = __dirname; ; d = dirname(d)) {
    if (existsSync(join(d, 'package.json'))) return d;
    if (dirname(d) === d) return resolve(__dirname, '..', '..', '..');
  }
})();
const SERVED = ['dist/webview/', 'media/', 'node_modules/@vscode/codicons/dist/'];
const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json', '.ttf': 'font/ttf', '.svg': 'image/svg+xml' };

export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
}

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(chromiumPath())) throw new Error(`No Chromium at ${chromiumPath()}: install Debian's chromium or set CHROMIUM_PATH.`);
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-background-networking'],
  });
}

export interface OpenOptions {
  /** Folder name under webview-ui/ (bundle dist/webview/<bundle>.js). */
  bundle: string;
  /** Style sheets, repository-relative (e.g. 'media/search.css'). */
  styles?: string[];
  /** The state getState() returns at start (as if VS Code restored the view). */
  state?: unknown;
  /** Passed to webviewHtml (e.g. a body skeleton). */
  body?: string;
  inlineStyles?: boolean;
  fonts?: boolean;
}

interface StubWindow {
  __posted: unknown[];
  __state: unknown;
  __csp: string[];
  __acquired: number;
}

export class WebviewPage {
  /** Uncaught errors of the page (a failing test should show them). */
  readonly errors: string[] = [];

  private constructor(
    readonly page: Page,
    private readonly browser: Browser,
    private readonly options: OpenOptions,
  ) {}

  static async open(browser: Browser, options: OpenOptions): Promise<WebviewPage> {
    const bundle = join(ROOT, 'dist', 'webview', `${options.bundle}.js`);
    if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run "node esbuild.mjs" first.`);
    const page = await browser.newPage();
    const view = new WebviewPage(page, browser, options);
    page.on('pageerror', (e) => view.errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') view.errors.push(m.text());
    });
    const html = webviewHtml({
      title: options.bundle,
      cspSource: ORIGIN,
      nonce: 'dGVzdC1ub25jZS0xMjM0NTY3OA==',
      scripts: [`${ORIGIN}/dist/webview/${options.bundle}.js`],
      styles: (options.styles ?? []).map((s) => `${ORIGIN}/${s}`),
      ...(options.body !== undefined ? { body: options.body } : {}),
      ...(options.inlineStyles ? { inlineStyles: true } : {}),
      ...(options.fonts ? { fonts: true } : {}),
    });
    await page.route(`${ORIGIN}/**`, async (route) => {
      const url = new URL(route.request().url());
      const rel = decodeURIComponent(url.pathname).replace(/^\/+/, '');
      if (rel === 'index.html') return route.fulfill({ status: 200, contentType: 'text/html', body: html });
      const file = resolve(ROOT, rel);
      const allowed = SERVED.some((d) => file.startsWith(join(ROOT, d))) && file.startsWith(ROOT + sep);
      if (!allowed || !existsSync(file)) return route.fulfill({ status: 404, body: 'not found' });
      return route.fulfill({ status: 200, contentType: TYPES[extname(file)] ?? 'application/octet-stream', body: readFileSync(file) });
    });
    await page.addInitScript((initial: unknown) => {
      const w = window as unknown as StubWindow & { acquireVsCodeApi?: () => unknown };
      w.__posted = [];
      w.__state = initial;
      w.__csp = [];
      w.__acquired = 0;
      document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
      w.acquireVsCodeApi = () => {
        // Like VS Code: the API may be acquired once per page.
        if (w.__acquired++ > 0) throw new Error('An instance of the VS Code API has already been acquired');
        return {
          postMessage: (m: unknown) => w.__posted.push(JSON.parse(JSON.stringify(m))),
          getState: () => w.__state,
          setState: (s: unknown) => {
            w.__state = JSON.parse(JSON.stringify(s));
            return s;
          },
        };
      };
    }, options.state ?? null);
    await page.goto(`${ORIGIN}/index.html`);
    return view;
  }

  /** Every message the webview posted so far. */
  posted<T = unknown>(): Promise<T[]> {
    return this.page.evaluate(() => (window as unknown as StubWindow).__posted) as Promise<T[]>;
  }

  /**
   * Waits until the webview has posted `count` messages of this `type` (counting from the start) and returns
   * the last of them.
   */
  async waitForPosted<T = Record<string, unknown>>(type: string, count = 1, timeoutMs = 10000): Promise<T> {
    const handle = await this.page.waitForFunction(
      ([t, n]) => {
        const all = (window as unknown as StubWindow).__posted.filter((m) => (m as { type?: unknown }).type === t);
        return all.length >= (n as number) ? all[(n as number) - 1] : undefined;
      },
      [type, count] as const,
      { timeout: timeoutMs },
    );
    return (await handle.jsonValue()) as T;
  }

  /** How many messages of `type` were posted so far. */
  async countPosted(type: string): Promise<number> {
    return (await this.posted<{ type?: string }>()).filter((m) => m.type === type).length;
  }

  /** Delivers a host → webview message, as webview.postMessage does. */
  async deliver(message: unknown): Promise<void> {
    await this.page.evaluate((m) => window.postMessage(m, '*'), message);
  }

  /** The state last given to setState (or the initial one). */
  state<T = unknown>(): Promise<T> {
    return this.page.evaluate(() => (window as unknown as StubWindow).__state) as Promise<T>;
  }

  /** Content-security-policy violations seen so far ("directive blockedURI"). */
  cspViolations(): Promise<string[]> {
    return this.page.evaluate(() => (window as unknown as StubWindow).__csp);
  }

  /** Opens the same bundle again with this page's current state, as VS Code does when the view is shown again. */
  async reopen(): Promise<WebviewPage> {
    const state = await this.state();
    await this.close();
    return WebviewPage.open(this.browser, { ...this.options, state });
  }

  async close(): Promise<void> {
    await this.page.close();
  }
}
