/**
 * The search panel as a user drives it, in the real VS Code (code-server) through the Chromium the harness opened
 * (scripts/vscode-ci/run-integration.mjs; the suite reaches it over its DevTools port, as review.test.ts does):
 * type a query, switch to Patients, expand a patient, switch off an expansion chip, apply a patient filter, run a
 * term bundle, export through the save dialog, click a hit and check the editor's selection. A screenshot of each
 * state goes to the run's screens folder (.vscode-ci/runs/<run>-screens/, not committed). Waits are on the page's
 * own state (selectors, attributes) or the extension's, with deadlines; never sleeps.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Frame, Page } from 'playwright-core';
import type { DrehrApi } from '../../src/api';
import { until, browserProfile, connectWorkbench, screensFolder } from './browser';
import { activateDrehr } from './drehr';
import { BUNDLES_FOLDER } from '../../src/shared/bundles';


suite('DR.EHR search panel in the workbench, through Chromium', function () {
  this.timeout(300000);
  let api: DrehrApi;
  let browser: Browser | undefined;
  let page: Page;
  let root: string;
  let screens: string;
  let f: Frame;
  let shots = 0;

  const shot = async (name: string): Promise<void> => {
    const file = path.join(screens, `panel-${String(++shots).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path: file });
    assert.ok(fs.statSync(file).size > 0);
  };
  const text = async (sel: string): Promise<string> => ((await f.textContent(sel).catch(() => null)) ?? '').trim();
  /** The panel finished a search: the results list is no longer busy. */
  const settled = (): Promise<unknown> => f.waitForSelector('#results:not([aria-busy])', { timeout: 120000 });
  /** Types a query and presses Enter (which searches at once: the results list turns busy before press() returns). */
  const query = async (q: string): Promise<void> => {
    await f.locator('#query input').fill(q);
    await f.locator('#query input').press('Enter');
    await settled();
  };

  suiteSetup(async function () {
    const profile = browserProfile();
    ({ api, root } = await activateDrehr());
    assert.equal((await api.index()).status.state, 'ready');
    screens = screensFolder(root);
    ({ browser, page } = await connectWorkbench(profile));
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    // Earlier suites may have moved the focus or hidden the side bar: ask for the view until its webview is there.
    let asked = 0;
    f = await until('search panel webview', 90000, async () => {
      for (const fr of page.frames()) if (await fr.$('#view-patients').catch(() => null)) return fr;
      if (asked++ % 20 === 0) await vscode.commands.executeCommand('drehr.openSearchPanel');
      return undefined;
    }).catch(async (e: unknown) => {
      await page.screenshot({ path: path.join(screens, 'panel-not-found.png') }).catch(() => undefined);
      throw e;
    });
  });

  suiteTeardown(async () => {
    fs.rmSync(path.join(root, BUNDLES_FOLDER), { recursive: true, force: true });
    fs.rmSync(path.join(root, 'patients-results.csv'), { force: true });
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    // Only the DevTools connection is closed: the browser belongs to the harness.
    await browser?.close().catch(() => undefined);
    if (screens) console.log(`  screenshots: ${screens}`);
  });

  test('query → Patients → expand → chip off → filter → bundle → export → open a hit', async () => {
    // 1. Type a query: passages, ranked, with highlights.
    await query('pain');
    await f.waitForSelector('#results li.hit mark', { timeout: 10000 });
    assert.match(await text('#message'), /^\d+ passages? · \d+ ms$/);
    await shot('passages');

    // 2. Patients: ranked patients, each with its evidence one click away.
    await f.click('#view-patients');
    await f.waitForSelector('#results li.patient', { timeout: 120000 });
    await settled();
    assert.equal(await f.getAttribute('#view-patients', 'aria-pressed'), 'true');
    const patients = await f.$$eval('#results li.patient', (els) => els.map((e) => (e as HTMLElement).dataset.patient ?? ''));
    assert.ok(patients.length >= 2, `patients: ${patients.join(',')}`);
    await shot('patients');

    // 3. Expand the first patient: its passages, all its own.
    await f.click('#results li.patient >> nth=0 >> .patient-head');
    await f.waitForSelector('#results li.patient >> nth=0 >> .evidence li.hit', { timeout: 30000 });
    assert.equal(await f.getAttribute('#results li.patient >> nth=0 >> .patient-head', 'aria-expanded'), 'true');
    const evidencePatients = await f.$$eval('#results li.patient:first-child .evidence .hit-patient', (els) => els.map((e) => e.textContent));
    assert.ok(evidencePatients.length > 0 && evidencePatients.every((p) => p === patients[0]), evidencePatients.join(','));
    await shot('patient-expanded');

    // 4. A query with expansions: switch one chip off; the search re-runs without it.
    await query('hypertension');
    await f.waitForSelector('#chips .chip[aria-pressed="true"]', { timeout: 10000 });
    const chip = (await text('#chips .chip >> nth=0'))!;
    assert.ok(chip.length > 0);
    await f.click('#chips .chip >> nth=0');
    await f.waitForSelector(`#chips .chip[aria-pressed="false"]`, { timeout: 120000 });
    await settled();
    assert.equal(await text('#chips .chip[aria-pressed="false"]'), chip);
    const via = await f.$$eval('#results .hit-via', (els) => els.map((e) => e.textContent ?? ''));
    assert.ok(via.every((v) => !v.replace(/^via /, '').split(', ').includes(chip)), `a hit credited to the switched-off "${chip}"`);
    await shot('chip-off');

    // 5. A patient filter (Enter applies): only that patient's results.
    await query('pain');
    if (!(await f.$eval('#filters', (e) => (e as HTMLDetailsElement).open))) await f.click('#filters > summary');
    const target = patients.includes('p002') ? 'p002' : patients[patients.length - 1];
    await f.locator('#f-patients input').fill(target);
    await f.locator('#f-patients input').press('Enter');
    await until('results of the filtered patient only', 120000, async () => {
      const ids = await f.$$eval('#results li.patient', (els) => els.map((e) => (e as HTMLElement).dataset.patient));
      return ids.length > 0 && ids.every((id) => id === target) && (await f.$('#results[aria-busy]')) === null ? ids : undefined;
    });
    assert.equal(await text('#filters > summary'), 'Filters (1)');
    await shot('filter');
    await f.click('#f-clear');
    await until('the filter cleared', 120000, async () => ((await text('#filters > summary')) === 'Filters' && (await f.$$('#results li.patient')).length > 1 ? true : undefined));
    await settled();

    // 6. A term bundle saved in .drehr/bundles: listed, run, patients with the queries that found them.
    fs.mkdirSync(path.join(root, BUNDLES_FOLDER), { recursive: true });
    fs.writeFileSync(path.join(root, BUNDLES_FOLDER, 'joints.json'), JSON.stringify({ name: 'Joints', queries: ['knee pain', 'osteoarthritis'], match: 'any' }));
    await f.click('#bundles > summary');
    await f.waitForSelector('#bundle-list li.bundle[data-file="joints.json"] .bundle-run', { timeout: 30000 });
    await f.click('#bundle-list li.bundle[data-file="joints.json"] .bundle-run');
    await until('the bundle banner', 120000, async () => ((await text('#bundle-banner')).includes('"Joints"') ? true : undefined));
    await settled();
    assert.ok((await f.$$('#results li.patient .patient-queries')).length > 0, 'each patient says which queries found it');
    assert.equal((await f.$$('#chips .chip')).length, 0, 'no chips for a bundle');
    // Fold the filters and the bundle list so the screenshot shows the patients.
    for (const d of ['#filters', '#bundles']) if (await f.$eval(d, (e) => (e as HTMLDetailsElement).open)) await f.click(`${d} > summary`);
    await shot('bundle');

    // 7. Export as CSV through the save dialog (VS Code's simple dialog in the browser): accept the default name.
    const out = path.join(root, 'patients-results.csv');
    fs.rmSync(out, { force: true });
    await f.click('#export-csv');
    const dialog = page.locator('.quick-input-widget');
    await dialog.waitFor({ state: 'visible', timeout: 30000 });
    await shot('export-dialog');
    await page.keyboard.press('Enter');
    await until('the export file', 30000, () => (fs.existsSync(out) && fs.statSync(out).size > 0 ? true : undefined));
    const rows = fs.readFileSync(out, 'utf8').split('\r\n').filter((l) => l !== '');
    assert.match(rows[0], /^rank,patient_id,score,aggregate,/);
    const shown = (await f.$$('#results li.patient')).length;
    assert.equal(rows.length - 1, shown);
    assert.ok(rows.slice(1).every((r) => r.endsWith(',Joints') || r.includes(',Joints,')), 'rows name the bundle');
    await until('the saved message', 30000, async () => ((await text('#message')) === `Saved ${shown} patient${shown === 1 ? '' : 's'} to patients-results.csv.` ? true : undefined));
    await shot('exported');

    // 8. Back to passages; clicking a hit opens its note with the passage selected.
    await f.click('#view-passages');
    await f.waitForSelector('#results li.hit', { timeout: 120000 });
    await settled();
    const snippet = (await text('#results li.hit >> nth=0 >> .hit-snippet')).replace(/^…\s*|\s*…$/g, '').replace(/\s+/g, ' ');
    const meta = await text('#results li.hit >> nth=0 >> .hit-meta');
    await f.click('#results li.hit >> nth=0 >> .hit-open');
    const editor = await until('an editor with the passage selected', 60000, () => {
      const e = vscode.window.activeTextEditor;
      return e && !e.selection.isEmpty ? e : undefined;
    });
    const selected = editor.document.getText(editor.selection).replace(/\s+/g, ' ');
    assert.ok(snippet.length > 20 && selected.includes(snippet), `the selection holds the hit's snippet (${meta})`);
    const source = meta.split(' · ').pop()!.replace(/ row \d+$/, '');
    assert.ok(editor.document.uri.path.endsWith(source) || editor.document.uri.scheme === 'drehr-note', `${editor.document.uri.toString()} is ${source}`);
    await shot('opened');
  });
});
