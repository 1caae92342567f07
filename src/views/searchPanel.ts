/**
 * The search panel (webview view drehr.search): HTML shell with a strict CSP and nonce, the browser bundle
 * dist/webview/search.js, typed messages (src/shared/webview.ts) checked on arrival. Passages and Patients
 * searches, Find Similar, export of the last result, the opt-in audit trail, and the buttons of its empty
 * states (build the index, restart the sidecar). A newer search cancels the older one in the sidecar.
 */
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Ctx } from '../ctx';
import { appendAudit, type AuditRecord } from '../audit';
import { patientListCsv, passagesCsv, passagesJsonl, patientsCsv, patientsJsonl, type ExportSource } from '../shared/export';
import { ListPatients, Search, SearchPatients, SimilarPassages, type PatientSearchResult, type SearchResult } from '../shared/protocol';
import { DEFAULT_PATIENT_AGGREGATE } from '../shared/search';
import { BUNDLES_FOLDER, bundleFileName, bundleJson, runBundle } from '../shared/bundles';
import { listBundleFiles, readBundleFile } from '../shared/bundleFiles';
import { isSearchPanelToHost, type BundleListing, type ExportFormat, type PanelReadiness, type SearchPanelToHost, type SearchPanelToWebview } from '../shared/webview';
import { writeFileAtomicSync } from '../shared/atomicWrite';
import { explainError } from '../sidecar-client/errors';
import { reportError } from '../commands/guard';
import { webviewHtml } from './html';
import { openHit } from './openHit';

export const VIEW_ID = 'drehr.search';

function readiness(ctx: Ctx): { ready: boolean; readiness: PanelReadiness; message?: string } {
  const s = ctx.client.state;
  if (!ctx.workspaceRoot) return { ready: false, readiness: 'noFolder', message: 'Open a folder of notes to search it.' };
  if (s.kind === 'starting') return { ready: false, readiness: 'starting', message: 'Loading the model…' };
  if (s.kind === 'restarting') return { ready: false, readiness: 'starting', message: 'The sidecar is restarting…' };
  if (s.kind === 'failed' || s.kind === 'error') return { ready: false, readiness: 'down', message: `The search engine (sidecar) is down: ${s.message}` };
  if (s.kind === 'stopped') return { ready: false, readiness: 'down', message: 'The search engine (sidecar) is not running.' };
  const st = ctx.client.status;
  if (st?.state === 'indexing') return st.chunks > 0 ? { ready: true, readiness: 'indexing', message: 'Indexing: results cover the notes indexed so far.' } : { ready: false, readiness: 'indexing', message: 'Indexing… the first results come once the first notes are in.' };
  if (!st || st.state === 'missing' || st.state === 'empty') return { ready: false, readiness: 'noIndex', message: 'No index yet: build it to search these notes.' };
  return { ready: true, readiness: 'ready' };
}

/** The last result the panel showed, for Export. */
export type Last = { kind: 'passages'; result: SearchResult; source: ExportSource } | { kind: 'patients'; result: PatientSearchResult; source: ExportSource };

class SearchPanel implements vscode.WebviewViewProvider {
  private view: vscode.WebviewView | undefined;
  private search: vscode.CancellationTokenSource | undefined;
  private lastReady: string | undefined;
  private last: Last | undefined;
  /** A query from Search for Selection that arrived before the view was ready. */
  private pendingQuery: string | undefined;
  private scriptReady = false;

  constructor(private readonly ctx: Ctx) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.scriptReady = false;
    const ext = this.ctx.extension.extensionUri;
    const webviewDir = vscode.Uri.joinPath(ext, 'dist', 'webview');
    const media = vscode.Uri.joinPath(ext, 'media');
    view.webview.options = { enableScripts: true, localResourceRoots: [webviewDir, media] };
    view.webview.html = webviewHtml({
      title: 'Search notes',
      cspSource: view.webview.cspSource,
      nonce: randomBytes(18).toString('base64'),
      scripts: [view.webview.asWebviewUri(vscode.Uri.joinPath(webviewDir, 'search.js')).toString()],
      styles: [view.webview.asWebviewUri(vscode.Uri.joinPath(media, 'search.css')).toString()],
    });
    const subs = [
      view.webview.onDidReceiveMessage((m: unknown) => {
        if (isSearchPanelToHost(m)) void this.handle(m);
        else this.ctx.log.warn('Search panel: ignored a malformed message.');
      }),
      this.ctx.onDidChange(() => this.pushReadiness()),
    ];
    view.onDidDispose(() => {
      this.search?.cancel();
      for (const s of subs) s.dispose();
      this.view = undefined;
    });
  }

  /** Search for Selection: show the panel and run the query there. */
  runQuery(query: string): void {
    if (this.view && this.scriptReady) this.post({ type: 'runQuery', query });
    else this.pendingQuery = query;
  }

  private post(m: SearchPanelToWebview): void {
    void this.view?.webview.postMessage(m);
  }

  private readyKey(r: { ready: boolean; readiness: PanelReadiness; message?: string }): string {
    return `${r.ready}|${r.readiness}|${r.message ?? ''}|${this.ctx.client.status?.chunks ?? ''}`;
  }

  private pushReadiness(): void {
    const r = readiness(this.ctx);
    const key = this.readyKey(r);
    if (key === this.lastReady) return;
    this.lastReady = key;
    this.post({ type: 'indexChanged', ...r });
  }

  private audit(r: Omit<AuditRecord, 'time' | 'user'>): void {
    const root = this.ctx.workspaceRoot;
    if (!this.ctx.config.auditEnabled || !root) return;
    // The record holds the query: it goes to the audit file only, and a failure names the file, not the query.
    appendAudit(root, r).catch((e: unknown) => this.ctx.log.error(`Could not append to the audit trail .drehr/audit.jsonl: ${(e as Error).message}`));
  }

  private newSearch(): vscode.CancellationTokenSource {
    this.search?.cancel();
    const mine = new vscode.CancellationTokenSource();
    this.search = mine;
    return mine;
  }

  private async handle(m: SearchPanelToHost): Promise<void> {
    switch (m.type) {
      case 'ready': {
        this.scriptReady = true;
        const r = readiness(this.ctx);
        this.lastReady = this.readyKey(r);
        this.post({ type: 'config', mode: this.ctx.config.searchMode, aggregate: DEFAULT_PATIENT_AGGREGATE, ...r });
        if (this.pendingQuery !== undefined) {
          this.post({ type: 'runQuery', query: this.pendingQuery });
          this.pendingQuery = undefined;
        }
        return;
      }
      case 'search':
      case 'similar': {
        const mine = this.newSearch();
        const c = this.ctx.config;
        const partial = this.ctx.client.status?.state === 'indexing';
        try {
          if (m.type === 'similar') {
            const result = await this.ctx.client.request(SimilarPassages, { chunkId: m.hit.chunkId, k: c.resultCount, ...(m.filters ? { filters: m.filters } : {}) }, mine.token);
            this.last = { kind: 'passages', result, source: { query: `similar to ${m.hit.noteId} [${m.hit.charStart}-${m.hit.charEnd}]` } };
            this.post({ type: 'searchReply', id: m.id, ok: true, result, partial, similarTo: m.hit.noteId });
            this.audit({ action: 'similar', query: `similar to ${m.hit.chunkId}`, patients: new Set(result.hits.map((h) => h.patientId)).size, passages: result.hits.length });
            return;
          }
          const params = {
            query: m.query,
            k: c.resultCount,
            mode: m.mode,
            expand: c.queryExpansion,
            ...(m.patientId ? { patientId: m.patientId } : {}),
            ...(m.filters ? { filters: m.filters } : {}),
            ...(m.disabledExpansions?.length ? { disabledExpansions: m.disabledExpansions } : {}),
          };
          if (m.view === 'patients') {
            const patients = await this.ctx.client.request(SearchPatients, { ...params, aggregate: m.aggregate ?? DEFAULT_PATIENT_AGGREGATE }, mine.token);
            this.last = { kind: 'patients', result: patients, source: { query: m.query } };
            this.post({ type: 'searchReply', id: m.id, ok: true, patients, partial });
            this.audit({ action: 'patients', query: m.query, mode: m.mode, aggregate: patients.aggregate, ...(m.filters ? { filters: m.filters } : {}), patients: patients.patients.length });
          } else {
            const result = await this.ctx.client.request(Search, params, mine.token);
            this.last = { kind: 'passages', result, source: { query: m.query } };
            this.post({ type: 'searchReply', id: m.id, ok: true, result, partial });
            this.audit({ action: 'search', query: m.query, mode: m.mode, ...(m.filters ? { filters: m.filters } : {}), patients: new Set(result.hits.map((h) => h.patientId)).size, passages: result.hits.length });
          }
        } catch (e) {
          const x = explainError(e, 'search');
          if (x.kind !== 'cancelled') this.ctx.log.error(x.message);
          this.post({ type: 'searchReply', id: m.id, ok: false, error: x.kind === 'cancelled' ? 'cancelled' : x.message });
        } finally {
          mine.dispose();
          if (this.search === mine) this.search = undefined;
        }
        return;
      }
      case 'patients': {
        try {
          const patients = await this.ctx.client.request0(ListPatients);
          this.post({ type: 'patientsReply', id: m.id, ok: true, patients });
        } catch (e) {
          this.post({ type: 'patientsReply', id: m.id, ok: false, error: explainError(e, 'list the patients').message });
        }
        return;
      }
      case 'open':
        try {
          await openHit(this.ctx, m.hit);
        } catch (e) {
          reportError(this.ctx, e, 'open the passage');
        }
        return;
      case 'export':
        await this.export(m.format);
        return;
      case 'bundles':
        this.post({ type: 'bundlesReply', id: m.id, bundles: this.listBundles() });
        return;
      case 'runBundle':
        await this.runBundle(m);
        return;
      case 'newBundle':
        await this.newBundle(m.query);
        return;
      case 'editBundle': {
        const dir = this.bundlesDir();
        if (dir) await vscode.window.showTextDocument(vscode.Uri.file(path.join(dir, m.file)));
        return;
      }
      case 'command': {
        const id = m.command === 'index' ? 'drehr.indexWorkspace' : m.command === 'restart' ? 'drehr.restartSidecar' : 'drehr.showLogs';
        await vscode.commands.executeCommand(id);
        return;
      }
    }
  }

  private bundlesDir(): string | undefined {
    const root = this.ctx.workspaceRoot;
    return root ? path.join(root, BUNDLES_FOLDER) : undefined;
  }

  /** The bundle files of the workspace, parsed; a broken one is listed with its problems. */
  private listBundles(): BundleListing[] {
    const root = this.ctx.workspaceRoot;
    if (!root) return [];
    try {
      return listBundleFiles(root).map((b) => (b.error ? { file: b.file, error: b.error } : { file: b.file, name: b.name, queries: b.queries, match: b.match }));
    } catch (e) {
      this.ctx.log.error(`Could not list ${BUNDLES_FOLDER}: ${(e as Error).message}`);
      return [];
    }
  }

  private async runBundle(m: Extract<SearchPanelToHost, { type: 'runBundle' }>): Promise<void> {
    const dir = this.bundlesDir();
    if (!dir) return;
    if (m.file.includes('/') || m.file.includes('\\')) {
      this.post({ type: 'searchReply', id: m.id, ok: false, error: `A bundle is a file name inside ${BUNDLES_FOLDER}/.` });
      return;
    }
    const read = readBundleFile(path.join(dir, m.file), `${BUNDLES_FOLDER}/${m.file}`);
    if (!read.ok) {
      this.post({ type: 'searchReply', id: m.id, ok: false, error: read.error });
      return;
    }
    const b = read.bundle;
    const mine = this.newSearch();
    const c = this.ctx.config;
    try {
      const combined = await runBundle(
        b,
        { mode: m.mode, match: m.match, aggregate: m.aggregate ?? DEFAULT_PATIENT_AGGREGATE, expand: c.queryExpansion, ...(m.filters ? { filters: m.filters } : {}) },
        (params) => this.ctx.client.request(SearchPatients, params, mine.token),
      );
      combined.patients = combined.patients.slice(0, Math.max(c.resultCount, 50));
      const partial = this.ctx.client.status?.state === 'indexing';
      this.last = { kind: 'patients', result: combined, source: { bundle: b.name, query: b.queries.join(' | ') } };
      this.post({ type: 'searchReply', id: m.id, ok: true, patients: combined, partial, bundle: b.name });
      this.audit({ action: 'bundle', bundle: b.name, query: b.queries.join(' | '), mode: b.mode ?? m.mode, ...(m.filters ? { filters: m.filters } : {}), patients: combined.patients.length });
    } catch (e) {
      const x = explainError(e, 'run the bundle');
      if (x.kind !== 'cancelled') this.ctx.log.error(x.message);
      this.post({ type: 'searchReply', id: m.id, ok: false, error: x.kind === 'cancelled' ? 'cancelled' : x.message });
    } finally {
      mine.dispose();
      if (this.search === mine) this.search = undefined;
    }
  }

  private async newBundle(query: string): Promise<void> {
    const dir = this.bundlesDir();
    if (!dir) return;
    const name = await vscode.window.showInputBox({
      title: 'DR.EHR: new term bundle',
      prompt: `A name for the bundle; it is saved as JSON in ${BUNDLES_FOLDER}/ (share it in git), and opens for you to add queries.`,
      value: query.trim(),
      validateInput: (v) => (v.trim() === '' ? 'Type a name.' : v.length > 100 ? 'At most 100 characters.' : undefined),
    });
    if (!name) return;
    const file = path.join(dir, bundleFileName(name));
    if (fs.existsSync(file)) {
      void vscode.window.showWarningMessage(`${BUNDLES_FOLDER}/${path.basename(file)} exists already; opening it.`);
    } else {
      fs.mkdirSync(dir, { recursive: true });
      writeFileAtomicSync(file, bundleJson({ name: name.trim(), queries: query.trim() ? [query.trim()] : ['first query'], match: 'any' }));
    }
    await vscode.window.showTextDocument(vscode.Uri.file(file));
  }

  private async export(format: ExportFormat): Promise<void> {
    const last = this.last;
    if (!last) {
      this.post({ type: 'exported', ok: false, message: 'Search first: export saves the results shown.' });
      return;
    }
    const text = exportText(last, format);
    const ext = format === 'jsonl' ? 'jsonl' : 'csv';
    const base = format === 'patientList' ? 'patient-list' : `${last.kind}-results`;
    const root = this.ctx.workspaceRoot;
    const target = await vscode.window.showSaveDialog({
      title: format === 'patientList' ? 'DR.EHR: export the patient list' : 'DR.EHR: export the search results',
      filters: ext === 'csv' ? { CSV: ['csv'] } : { 'JSON Lines': ['jsonl'] },
      ...(root ? { defaultUri: vscode.Uri.file(path.join(root, `${base}.${ext}`)) } : {}),
    });
    if (!target) {
      this.post({ type: 'exported', ok: false, message: 'Export cancelled.' });
      return;
    }
    try {
      fs.mkdirSync(path.dirname(target.fsPath), { recursive: true });
      writeFileAtomicSync(target.fsPath, text);
      const rows = last.kind === 'patients' ? last.result.patients.length : last.result.hits.length;
      const what = format === 'patientList' || last.kind === 'patients' ? `${rows} patient${rows === 1 ? '' : 's'}` : `${rows} passage${rows === 1 ? '' : 's'}`;
      this.post({ type: 'exported', ok: true, message: `Saved ${what} to ${path.basename(target.fsPath)}.` });
      this.audit({ action: 'export', ...last.source, format, patients: last.kind === 'patients' ? last.result.patients.length : new Set(last.result.hits.map((h) => h.patientId)).size });
    } catch (e) {
      const message = `Could not write ${path.basename(target.fsPath)}: ${(e as Error).message}`;
      this.ctx.log.error(message);
      this.post({ type: 'exported', ok: false, message });
    }
  }
}

/** The file text of an export. Pure. */
export function exportText(last: Last, format: ExportFormat): string {
  if (last.kind === 'patients') {
    const r = last.result;
    if (format === 'patientList') return patientListCsv(r.patients.map((p) => p.patientId));
    return format === 'csv' ? patientsCsv(r.patients, r.aggregate, last.source) : patientsJsonl(r.patients, r.aggregate, last.source);
  }
  const hits = last.result.hits;
  if (format === 'patientList') return patientListCsv(hits.map((h) => h.patientId));
  return format === 'csv' ? passagesCsv(hits, last.source) : passagesJsonl(hits, last.source);
}

let panel: SearchPanel | undefined;

/** Search for Selection (editor context menu): the selected text as the panel's query. */
async function searchSelection(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  const text = editor ? editor.document.getText(editor.selection).replace(/\s+/g, ' ').trim() : '';
  if (!text) {
    void vscode.window.showInformationMessage('Select some words in the editor first, then run "DR.EHR: Search for Selection".');
    return;
  }
  panel?.runQuery(text.slice(0, 500));
  await vscode.commands.executeCommand(`${VIEW_ID}.focus`);
}

export function register(ctx: Ctx): void {
  panel = new SearchPanel(ctx);
  ctx.extensionScope.push(
    vscode.window.registerWebviewViewProvider(VIEW_ID, panel),
    vscode.commands.registerCommand('drehr.openSearchPanel', () => vscode.commands.executeCommand(`${VIEW_ID}.focus`)),
    vscode.commands.registerCommand('drehr.searchSelection', searchSelection),
  );
}
