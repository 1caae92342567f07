/**
 * The pairs review end to end in the real VS Code (code-server) through the same Chromium the harness drives:
 * open the review on the fixture pairs file (test/fixtures/pairs/review.pairs.jsonl, made from the fixture
 * notes' chunks), press the decision keys in the webview, check the label log on disk and the numbers on
 * screen, see a stale pair shown as stale, and save a screenshot beside the run's scratch folder
 * (.vscode-ci/runs/<run>-screens/, not committed).
 *
 * The suite reaches the browser over its DevTools port (run-integration.mjs opens one and passes the profile
 * folder in DREHR_TEST_BROWSER_PROFILE). Waits poll the page or the file for a condition, with a deadline.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Frame, Page } from 'playwright-core';
import type { DrehrApi } from '../../src/api';
import { until, browserProfile, connectWorkbench, screensFolder } from './browser';
import { activateDrehr } from './drehr';


function labelLines(file: string): Record<string, unknown>[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

suite('DR.EHR pairs review (end to end)', function () {
  this.timeout(240000);
  let api: DrehrApi;
  let browser: Browser | undefined;
  let page: Page;
  let root: string;
  let pairsFile: string;
  let labelsFile: string;
  let screens: string;

  suiteSetup(async function () {
    const profile = browserProfile();
    const started = await activateDrehr();
    ({ api, root } = started);
    await api.index(); // incremental; builds the index when this suite runs alone
    fs.mkdirSync(path.join(root, 'synth'), { recursive: true });
    pairsFile = path.join(root, 'synth', 'review.pairs.jsonl');
    labelsFile = `${pairsFile}.labels.jsonl`;
    fs.copyFileSync(path.join(started.ext.extensionPath, 'test', 'fixtures', 'pairs', 'review.pairs.jsonl'), pairsFile);
    await vscode.workspace.getConfiguration('drehr').update('review.reviewer', 'e2e-reviewer', vscode.ConfigurationTarget.Workspace);
    screens = screensFolder(root);

    ({ browser, page } = await connectWorkbench(profile));
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace.getConfiguration('drehr').update('review.reviewer', undefined, vscode.ConfigurationTarget.Workspace);
    await browser?.close().catch(() => undefined); // only the DevTools connection: the browser is the harness's
  });

  async function reviewFrame(): Promise<Frame> {
    return until('pairs review webview', 60000, async () => {
      for (const f of page.frames()) {
        if (await f.$('#entity').catch(() => null)) return f;
      }
      return undefined;
    });
  }

  const text = async (f: Frame, sel: string): Promise<string> => ((await f.textContent(sel)) ?? '').trim();

  test('keys label pairs into the log, the numbers follow, a stale pair shows as stale', async () => {
    await vscode.commands.executeCommand('drehr.reviewPairs', vscode.Uri.file(pairsFile));
    const f = await reviewFrame();
    await until('the first pair with its chunk', 60000, async () => ((await text(f, '#entity')) === 'congestive heart failure' && (await f.$('#chunk mark')) ? true : undefined));
    assert.equal(await text(f, '#chunk mark'), 'congestive heart failure');
    assert.match(await text(f, '#position'), /Pair 1 of 12/);
    assert.match(await text(f, '#num-pairs'), /^12$/);

    await f.click('#entity'); // focus the webview
    await page.keyboard.press('v');
    await until('pair 2 on screen', 20000, async () => ((await text(f, '#entity')) === 'depression' ? true : undefined));
    await page.keyboard.press('n');
    await until('pair 3 on screen', 20000, async () => ((await text(f, '#entity')) === 'heart disease' ? true : undefined));
    await page.keyboard.press('u');
    await page.keyboard.press('z'); // undo the unsure
    await until('the undo in the log', 20000, () => (labelLines(labelsFile).length === 5 ? true : undefined));
    const lines = labelLines(labelsFile);
    assert.deepEqual(lines[0], { format: 'drehr-labels', version: 1 });
    assert.deepEqual(
      lines.slice(1).map((l) => [l.label, l.reviewer]),
      [
        ['valid', 'e2e-reviewer'],
        ['noise', 'e2e-reviewer'],
        ['unsure', 'e2e-reviewer'],
        ['unlabel', 'e2e-reviewer'],
      ],
    );
    assert.equal(lines[3].pair_id, lines[4].pair_id, 'the undo is about the pair just labelled');
    await until('the numbers on screen', 20000, async () => ((await text(f, '#num-reviewed')).startsWith('2 (valid 1, noise 1, unsure 0)') ? true : undefined));

    // The help overlay.
    await page.keyboard.press('?');
    await f.waitForSelector('#help', { state: 'visible' });
    await page.screenshot({ path: path.join(screens, 'review-help.png') });
    await page.keyboard.press('Escape');
    await f.waitForSelector('#help', { state: 'hidden' });

    // Walk to the pair whose chunk is not in the index (11th in file order).
    for (let i = 0; i < 8; i++) await page.keyboard.press('j');
    await until('the stale pair', 20000, async () => ((await text(f, '#entity')) === 'asthma' ? true : undefined));
    await f.waitForSelector('#stale', { state: 'visible' });
    assert.match(await text(f, '#stale'), /no longer in the index/);
    await page.keyboard.press('j');
    await until('the changed chunk', 20000, async () => (/changed since the pair was made/.test(await text(f, '#stale')) ? true : undefined));

    await page.screenshot({ path: path.join(screens, 'review.png') });
    assert.ok(fs.statSync(path.join(screens, 'review.png')).size > 0);
    console.log(`  screenshots: ${screens}`);
  });

  test('a second window appending to the same log is picked up', async () => {
    const f = await reviewFrame();
    const before = await text(f, '#num-reviewed');
    const ids = fs
      .readFileSync(pairsFile, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => (JSON.parse(l) as { id: string }).id);
    fs.appendFileSync(labelsFile, JSON.stringify({ pair_id: ids[9], label: 'noise', reviewer: 'other-window', time: new Date().toISOString() }) + '\n');
    await until('the other window’s decision in the numbers', 20000, async () => ((await text(f, '#num-reviewed')).startsWith('3 (valid 1, noise 2') ? true : undefined));
    assert.notEqual(before, await text(f, '#num-reviewed'));
  });

  test('the command opens any pairs JSONL in the review; ordinary JSONL still opens as text', async () => {
    const other = path.join(root, 'synth', 'generated.jsonl');
    fs.copyFileSync(pairsFile, other);
    await vscode.commands.executeCommand('drehr.reviewPairs', vscode.Uri.file(other));
    const tab = await until('the review tab', 20000, () => {
      const t = vscode.window.tabGroups.activeTabGroup.activeTab;
      return t?.input instanceof vscode.TabInputCustom && t.input.uri.fsPath === other ? t : undefined;
    });
    assert.equal((tab.input as vscode.TabInputCustom).viewType, 'drehr.pairsReview');
    // priority "option": opening a *.pairs.jsonl normally gives the text editor.
    const doc = await vscode.workspace.openTextDocument(pairsFile);
    const editor = await vscode.window.showTextDocument(doc);
    assert.equal(editor.document.uri.fsPath, pairsFile);
    assert.ok(vscode.window.tabGroups.activeTabGroup.activeTab?.input instanceof vscode.TabInputText);
  });

  test('Score computes suspicion scores in the sidecar and the view shows them', async () => {
    await vscode.commands.executeCommand('drehr.reviewPairs', vscode.Uri.file(pairsFile));
    const f = await reviewFrame();
    await f.click('#act-score');
    const toast = await until('the score result', 120000, async () => {
      const t = await text(f, '#toast');
      return /scored|unavailable/.test(t) ? t : undefined;
    });
    assert.match(toast, /^12 pairs scored\.$/);
    const lines = fs.readFileSync(`${pairsFile}.suspicion.jsonl`, 'utf8').trim().split('\n');
    assert.equal(lines.length, 12);
    assert.match(await text(f, '#suspicion'), /suspicion \d\.\d\d/);
  });
});
