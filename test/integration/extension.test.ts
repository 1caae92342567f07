/**
 * The extension inside a real VS Code extension host, on a scratch copy of test/fixtures/workspace (three
 * .md notes and a CSV of three notes) with the real sidecar and the shipped model. Everything waits on the
 * extension's own state changes (api.waitFor), never on sleeps.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DrehrApi } from '../../src/api';
import type { IndexResult, IndexStatus } from '../../src/shared/protocol';

const EXTENSION_ID = 'drehr.drehr-vscode';

/** Rejects with `what` when `p` has not settled in `ms` (a guard that names the missing signal, not a sleep). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms)));
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

function workspaceRoot(): string {
  const root = process.env.DREHR_TEST_WORKSPACE ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  assert.ok(root, 'the harness opens a workspace folder (DREHR_TEST_WORKSPACE)');
  return root;
}

suite('DR.EHR extension', function () {
  this.timeout(180000);
  let api: DrehrApi;
  let root: string;

  suiteSetup(async () => {
    root = workspaceRoot();
    const ext = vscode.extensions.getExtension<DrehrApi | undefined>(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is installed`);
    const exported = await ext.activate();
    assert.ok(exported, 'activate() returns the API (undefined means activation failed: see the DR.EHR log)');
    api = exported;
    const s = await api.waitFor((x) => ['running', 'error', 'failed'].includes(x.sidecar.kind), 120000);
    assert.equal(s.sidecar.kind, 'running', `sidecar: ${JSON.stringify(s.sidecar)}`);
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('registers every command of the manifest it owns', async () => {
    const all = new Set(await vscode.commands.getCommands(true));
    for (const id of [
      'drehr.indexWorkspace',
      'drehr.rebuildIndex',
      'drehr.searchNotes',
      'drehr.searchPatient',
      'drehr.openSearchPanel',
      'drehr.showIndexStatus',
      'drehr.selectModel',
      'drehr.restartSidecar',
      'drehr.showLogs',
    ]) {
      assert.ok(all.has(id), `${id} is registered`);
    }
  });

  test('reports its activation time and opens the search panel', async () => {
    // How fast is a benchmark's question (bench/), not a test's: here only that the figure is recorded.
    assert.ok(Number.isFinite(api.activationMs) && api.activationMs >= 0, `activation time ${api.activationMs}`);
    await vscode.commands.executeCommand('drehr.openSearchPanel');
  });

  test('Index Workspace indexes the fixture and the status says ready', async () => {
    const r = await vscode.commands.executeCommand<IndexResult | undefined>('drehr.indexWorkspace');
    assert.ok(r, 'the command returns its result');
    assert.equal(r.cancelled, false);
    assert.deepEqual(r.problems, []);
    assert.equal(r.filesScanned, 4);
    assert.equal(r.status.state, 'ready');
    assert.equal(r.status.notes, 6, 'three .md notes and three CSV rows');
    const s = api.snapshot();
    assert.equal(s.status?.state, 'ready');
    assert.equal(s.indexing, false);
    assert.match(s.statusBarText, new RegExp(`DR\\.EHR: ${r.status.chunks} chunks`));
    const shown = await vscode.commands.executeCommand<IndexStatus | undefined>('drehr.showIndexStatus');
    assert.equal(shown?.chunks, r.status.chunks);
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    // A second run finds nothing to do.
    const again = await api.index();
    assert.equal(again.filesIndexed, 0);
    assert.equal(again.filesUnchanged, 4);
  });

  test('Search Notes finds passages through the sidecar', async () => {
    const r = await api.search('moving boxes up and down the basement stairs', { mode: 'bm25' });
    assert.ok(r.hits.length > 0);
    assert.equal(r.hits[0]?.noteId, 'virtassist-d2n002');
    assert.equal(r.hits[0]?.patientId, 'p002');
    const hybrid = await api.search('knee pain after moving boxes');
    assert.ok(hybrid.hits.length > 0, 'hybrid search answers too');
    const onePatient = await api.search('pain', { patientId: 'p001' });
    assert.ok(onePatient.hits.every((h) => h.patientId === 'p001'));
    // The command itself opens the quick pick with the query typed in; it must not throw.
    await vscode.commands.executeCommand('drehr.searchNotes', { query: 'basement stairs' });
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
  });

  test('opening a hit selects the chunk range in its file', async () => {
    const r = await api.search('moving boxes up and down the basement stairs', { mode: 'bm25' });
    const hit = r.hits[0]!;
    const editor = await api.openHit(hit);
    assert.equal(editor.document.uri.fsPath, path.join(root, hit.sourcePath));
    assert.equal(editor.document.offsetAt(editor.selection.start), hit.charStart);
    assert.equal(editor.document.offsetAt(editor.selection.end), hit.charEnd);
    const selected = editor.document.getText(editor.selection);
    assert.ok(selected.includes('basement'), 'the selection is the passage');
    assert.equal(vscode.window.activeTextEditor, editor);
  });

  test('the Search Notes quick pick searches as you type and opens the accepted hit', async () => {
    await api.index(); // incremental: nothing to do after the earlier tests; builds the index when run alone
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const shown = new Promise<{ hits: number; error?: string }>((resolve) => {
      const d = api.onDidShowSearchResults((r) => {
        d.dispose();
        resolve(r);
      });
    });
    await vscode.commands.executeCommand('drehr.searchNotes', { query: 'moving boxes up and down the basement stairs' });
    const r = await within(shown, 30000, 'quick pick results');
    assert.equal(r.error, undefined);
    assert.ok(r.hits > 0, 'the quick pick shows hits');
    const opened = new Promise<vscode.TextEditor>((resolve) => {
      const d = vscode.window.onDidChangeActiveTextEditor((e) => {
        if (e) {
          d.dispose();
          resolve(e);
        }
      });
    });
    await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    const editor = await within(opened, 30000, 'editor opened by accepting the quick pick');
    assert.ok(['file', 'drehr-note'].includes(editor.document.uri.scheme));
    assert.ok(!editor.selection.isEmpty, 'the passage is selected');
  });

  test('a CSV hit opens a read-only drehr-note document with the chunk selected', async () => {
    const r = await api.search('recently began working at a bakery', { mode: 'bm25', patientId: 'p129' });
    const hit = r.hits[0];
    assert.ok(hit, 'a hit in the CSV');
    assert.equal(hit.row, 2);
    const editor = await api.openHit(hit);
    assert.equal(editor.document.uri.scheme, 'drehr-note');
    assert.equal(editor.document.offsetAt(editor.selection.start), hit.charStart);
    assert.equal(editor.document.offsetAt(editor.selection.end), hit.charEnd);
    assert.ok(editor.document.getText(editor.selection).includes('bakery'));
    assert.ok(!editor.document.getText().includes('subject_id'), 'the note text, not the CSV');
    // A row is one long line: it opens with word wrap on, not scrolled sideways into a blank view.
    assert.equal(editor.document.languageId, 'drehr-note');
    assert.equal(vscode.workspace.getConfiguration('editor', editor.document).get('wordWrap'), 'on');
  });

  test('the watcher indexes a note written into a new folder', async () => {
    const before = api.snapshot().status!;
    const folder = path.join(root, 'p999');
    await fs.mkdir(folder);
    await fs.writeFile(
      path.join(folder, 'watched-note.md'),
      '---\npatient_id: p999\nnote_id: watched-note\n---\nThe patient reports a zebrafish allergy after the aquarium visit. ' +
        'Plan: avoid zebrafish and return in two weeks. '.repeat(8),
    );
    const s = await api.waitFor((x) => (x.status?.notes ?? 0) > before.notes && !x.indexing, 90000);
    assert.equal(s.status?.notes, before.notes + 1);
    const r = await api.search('zebrafish allergy', { mode: 'bm25', patientId: 'p999' });
    assert.equal(r.hits[0]?.noteId, 'watched-note');
  });

  test('a killed sidecar is restarted and the next search works', async () => {
    const pid = api.snapshot().pid;
    assert.ok(pid, 'the sidecar runs');
    const restarting = api.waitFor((s) => s.sidecar.kind === 'restarting', 30000);
    process.kill(pid, 'SIGKILL');
    const s = await restarting;
    assert.match(s.statusBarText, /sidecar restarting/);
    // Meanwhile requests answer at once, saying why.
    await assert.rejects(api.search('anything'), /restarts in \d+ s/);
    const up = await api.waitFor((x) => x.sidecar.kind === 'running' && x.pid !== pid, 90000);
    assert.notEqual(up.pid, pid);
    const r = await api.search('moving boxes up and down the basement stairs', { mode: 'bm25' });
    assert.equal(r.hits[0]?.noteId, 'virtassist-d2n002');
  });

  test('drehr.search.queryExpansion applies to the next search without restarting or reloading the sidecar', async () => {
    const cfg = () => vscode.workspace.getConfiguration('drehr');
    const before = api.snapshot();
    assert.equal(before.sidecar.kind, 'running');
    const on = await api.search('high blood pressure', { mode: 'bm25' });
    assert.ok(on.expansions.length > 0, 'the demo lexicon expands it (else this test proves nothing)');
    try {
      await cfg().update('search.queryExpansion', false, vscode.ConfigurationTarget.Workspace);
      const r = await api.search('high blood pressure', { mode: 'bm25' });
      assert.deepEqual(r.expansions, [], 'expansion off is sent with the search');
    } finally {
      await cfg().update('search.queryExpansion', undefined, vscode.ConfigurationTarget.Workspace);
    }
    const after = api.snapshot();
    assert.equal(after.pid, before.pid, 'same process');
    assert.equal(after.sidecar.kind === 'running' && before.sidecar.kind === 'running' && after.sidecar.init === before.sidecar.init, true, 'no new Initialize');
    assert.equal(after.pendingSettings, undefined, 'nothing to prompt for');
  });

  test('Rebuild Index embeds every note again', async () => {
    const r = await vscode.commands.executeCommand<IndexResult | undefined>('drehr.rebuildIndex', true);
    assert.ok(r);
    assert.equal(r.filesIndexed, r.filesScanned);
    assert.equal(r.filesUnchanged, 0);
    assert.equal(r.chunksAdded, r.status.chunks);
    assert.equal(api.snapshot().status?.state, 'ready');
  });

  test('a cancelled index run stops, and the next run finishes the job without duplicates', async () => {
    const full = (await api.index()).status; // up to date (nothing to do after the earlier tests)
    const cts = new vscode.CancellationTokenSource();
    const begun = api.waitFor((x) => x.indexing, 30000).then(() => cts.cancel());
    const outcome = await api.index({ rebuild: true, token: cts.token }).then(
      (r) => (r.cancelled ? 'cancelled' : 'finished'),
      (e: unknown) => ((e as { name?: string; code?: number }).name === 'CancelledError' || (e as { code?: number }).code === -32800 ? 'cancelled' : `error ${String(e)}`),
    );
    await begun;
    console.log(`      (the rebuild ${outcome === 'cancelled' ? 'was cancelled' : 'finished before the cancellation arrived'})`);
    assert.ok(['cancelled', 'finished'].includes(outcome), outcome);
    assert.equal(api.snapshot().indexing, false);
    const again = await api.index();
    assert.equal(again.cancelled, false);
    assert.equal(again.status.chunks, full.chunks, 'no duplicate or missing rows');
    assert.equal(again.status.notes, full.notes);
  });

  test('Select Model with a broken folder names the missing file and keeps the setting', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'drehr-broken-model-'));
    await fs.writeFile(path.join(dir, 'config.json'), '{}');
    const before = vscode.workspace.getConfiguration('drehr').get<string>('modelPath');
    const r = await vscode.commands.executeCommand<{ ok: boolean; message?: string } | undefined>('drehr.selectModel', dir);
    assert.ok(r && !r.ok, 'refused');
    assert.match(r.message ?? '', /(drehr\.json|tokenizer\.json|model\.onnx|config\.json)/);
    assert.ok((r.message ?? '').includes(dir) || /missing|not usable/i.test(r.message ?? ''));
    assert.equal(vscode.workspace.getConfiguration('drehr').get<string>('modelPath'), before);
    assert.equal(api.snapshot().sidecar.kind, 'running', 'the loaded model is untouched');
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('a broken drehr.modelPath: the sidecar says why, searches answer with it, fixing the setting recovers', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'drehr-broken-setting-'));
    await fs.writeFile(path.join(dir, 'config.json'), '{}');
    const cfg = () => vscode.workspace.getConfiguration('drehr');
    try {
      const pid = api.snapshot().pid;
      await cfg().update('modelPath', dir, vscode.ConfigurationTarget.Workspace);
      // Not applied silently: the user is asked, and the sidecar keeps running until they say so.
      const asked = await api.waitFor((x) => x.pendingSettings?.includes('drehr.modelPath') === true, 30000);
      assert.equal(asked.sidecar.kind, 'running');
      assert.equal(asked.pid, pid, 'the sidecar was not restarted without asking');
      await vscode.commands.executeCommand('drehr.restartSidecar'); // what the prompt's button does
      const s = await api.waitFor((x) => x.sidecar.kind === 'error', 60000);
      assert.equal(s.pendingSettings, undefined, 'applied');
      assert.match(s.statusBarText, /error/);
      assert.ok(s.sidecar.kind === 'error' && /model folder is not usable/.test(s.sidecar.message), JSON.stringify(s.sidecar));
      await assert.rejects(api.search('pain'), /could not load its model/);
    } finally {
      await cfg().update('modelPath', undefined, vscode.ConfigurationTarget.Workspace);
      await fs.rm(dir, { recursive: true, force: true });
    }
    await api.waitFor((x) => x.pendingSettings?.includes('drehr.modelPath') === true, 30000);
    await vscode.commands.executeCommand('drehr.restartSidecar');
    await api.waitFor((x) => x.sidecar.kind === 'running' && x.pendingSettings === undefined, 60000);
    const r = await api.search('moving boxes up and down the basement stairs', { mode: 'bm25' });
    assert.equal(r.hits[0]?.noteId, 'virtassist-d2n002');
  });
});
