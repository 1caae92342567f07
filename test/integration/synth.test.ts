/**
 * "DR.EHR: Generate Synthetic Pairs" end to end in the real VS Code (code-server) through the harness's Chromium:
 * two demo patients' notes (demo/notes/p010, p011) are copied into the scratch workspace, the command runs with
 * the graph generator (it indexes them first) into a pairs file, and the review editor opens that file and walks
 * it; then the same with the LLM generator against a local chat-completions server the test starts (the unit
 * tests' server, test/unit/synth/llmServer.ts). The copied notes are removed and the index updated afterwards, so
 * the suites after this one see the workspace as it was.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Frame, Page } from 'playwright-core';
import type { DrehrApi } from '../../src/api';
import { until, browserProfile, connectWorkbench, screensFolder } from './browser';
import { activateDrehr } from './drehr';
import type { Pair } from '../../src/shared/pairs';
import type { SynthGenerateResult } from '../../src/shared/protocol';
import { startServer, type TestServer } from '../unit/synth/llmServer';

const DEMO_PATIENTS = ['p010', 'p011'];

function readPairs(file: string): Pair[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Pair);
}

suite('DR.EHR synthetic pairs: generate, then review (end to end)', function () {
  this.timeout(300000);
  let api: DrehrApi;
  let browser: Browser | undefined;
  let page: Page;
  let root: string;
  let demoDir: string;
  let server: TestServer | undefined;

  suiteSetup(async function () {
    const profile = browserProfile();
    const started = await activateDrehr();
    ({ api, root } = started);
    demoDir = path.join(root, 'demo-notes');
    for (const p of DEMO_PATIENTS) fs.cpSync(path.join(started.ext.extensionPath, 'demo', 'notes', p), path.join(demoDir, p), { recursive: true });
    fs.mkdirSync(path.join(root, 'synth'), { recursive: true });
    await vscode.workspace.getConfiguration('drehr').update('review.reviewer', 'e2e-synth', vscode.ConfigurationTarget.Workspace);
    ({ browser, page } = await connectWorkbench(profile));
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await server?.close();
    const cfg = vscode.workspace.getConfiguration('drehr');
    for (const k of ['review.reviewer', 'llm.endpoint', 'llm.model']) await cfg.update(k, undefined, vscode.ConfigurationTarget.Workspace);
    fs.rmSync(demoDir, { recursive: true, force: true });
    await api.index(); // drops the copied notes from the index again
    await browser?.close().catch(() => undefined); // only the DevTools connection: the browser is the harness's
  });

  async function reviewFrame(file: string): Promise<Frame> {
    const want = path.basename(file);
    return until(`the review of ${want}`, 60000, async () => {
      for (const f of page.frames()) {
        if ((await f.$('#entity').catch(() => null)) && ((await f.textContent('#file').catch(() => '')) ?? '').startsWith(want)) return f;
      }
      return undefined;
    });
  }

  const text = async (f: Frame, sel: string): Promise<string> => ((await f.textContent(sel)) ?? '').trim();

  /** Opens the pairs file in the review and checks the first pair (with its chunk) and a move to the second. */
  async function reviewWalk(file: string, pairs: Pair[]): Promise<Frame> {
    await vscode.commands.executeCommand('drehr.reviewPairs', vscode.Uri.file(file));
    const f = await reviewFrame(file);
    await until('the first pair with its chunk', 60000, async () => ((await text(f, '#entity')) === pairs[0].entity && (await text(f, '#chunk')).length > 0 ? true : undefined));
    assert.match(await text(f, '#position'), new RegExp(`^Pair 1 of ${pairs.length.toLocaleString('en-US')}`));
    if (pairs[0].explicit) assert.ok(await f.$('#chunk mark'), 'an explicit pair shows its evidence highlighted');
    await f.click('#entity'); // focus the webview
    await page.keyboard.press('j');
    await until('the second pair', 20000, async () => ((await text(f, '#position')).startsWith('Pair 2 of') ? true : undefined));
    assert.equal(await text(f, '#entity'), pairs[1].entity);
    return f;
  }

  test('graph generator on demo notes: the command indexes them, writes the pairs, and the review opens the file', async () => {
    const out = path.join(root, 'synth', 'demo-graph.pairs.jsonl');
    const r = await vscode.commands.executeCommand<SynthGenerateResult | undefined>('drehr.generateSyntheticPairs', { generator: 'graph', types: ['diagnosis', 'procedure', 'drug'], outPath: out });
    assert.ok(r, 'the command returned its result');
    assert.equal(r.failed, 0);
    assert.ok(r.explicit > 0 && r.implicit > 0, `${r.explicit} explicit, ${r.implicit} implicit`);
    const pairs = readPairs(out);
    assert.equal(pairs.length, r.pairs);
    assert.ok(pairs.every((p) => p.generator === 'graph' && p.model.startsWith('graph:')));
    const fromDemo = pairs.filter((p) => (p.source ?? '').startsWith('demo-notes/'));
    assert.ok(fromDemo.length > 0, 'pairs from the copied demo notes');
    assert.ok(new Set(fromDemo.map((p) => p.patient_id)).size === DEMO_PATIENTS.length, 'both demo patients');
    // "Congestive heart failure" style mentions: explicit pairs carry evidence spans into their chunk.
    assert.ok(pairs.filter((p) => p.explicit).every((p) => (p.evidence ?? []).length > 0));
    // A second run resumes: every call already answered, no pair written twice.
    const again = await vscode.commands.executeCommand<SynthGenerateResult | undefined>('drehr.generateSyntheticPairs', { generator: 'graph', types: ['diagnosis', 'procedure', 'drug'], outPath: out });
    assert.equal(again?.pairs, 0);
    assert.equal(again?.skipped, r.calls);
    await reviewWalk(out, pairs);
    await page.screenshot({ path: path.join(screensFolder(root), 'synth-graph-review.png') }).catch(() => undefined);
  });

  test('LLM generator against a local chat-completions server: pairs with the model and prompt on them, reviewable', async () => {
    server = await startServer((req) => {
      const user = req.body.messages.find((m) => m.role === 'user')?.content ?? '';
      // A plausible answer: bullets with explanations, one of them not in the chunk (implicit).
      if (/hypertension/i.test(user)) return { content: '- Hypertension - mentioned in the history\n- Cardiovascular disease' };
      return { content: '1. Congestive heart failure\n2. Depression' };
    });
    const cfg = vscode.workspace.getConfiguration('drehr');
    await cfg.update('llm.endpoint', server.url, vscode.ConfigurationTarget.Workspace);
    await cfg.update('llm.model', 'mock-7b', vscode.ConfigurationTarget.Workspace);
    const out = path.join(root, 'synth', 'demo-llm.pairs.jsonl');
    const r = await vscode.commands.executeCommand<SynthGenerateResult | undefined>('drehr.generateSyntheticPairs', { generator: 'llm', types: ['diagnosis'], outPath: out });
    assert.ok(r, 'the command returned its result');
    assert.equal(r.failed, 0);
    assert.equal(server.requests.length, r.calls, 'one chat completion per (chunk, type)');
    assert.ok(server.requests.every((q) => q.body.model === 'mock-7b' && q.body.temperature === 0.1));
    const pairs = readPairs(out);
    assert.ok(pairs.length > 0);
    assert.ok(pairs.every((p) => p.generator === 'llm' && p.model === 'mock-7b' && p.prompt_version.length > 0 && p.entity_type === 'diagnosis'));
    assert.ok(pairs.some((p) => p.explicit === true) && pairs.some((p) => p.explicit === false), 'explicit and implicit pairs');
    const f = await reviewWalk(out, pairs);
    assert.match(await text(f, '#meta'), /generator llm · model mock-7b/);
  });
});
