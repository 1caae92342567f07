/**
 * The pairs review (custom editor drehr.pairsReview on *.pairs.jsonl, and "DR.EHR: Review Synthetic Pairs" for
 * any pairs JSONL): one pair at a time with its chunk from the index (drehr/getChunks, cached and prefetched),
 * decisions appended to the label log beside the pairs, the numbers, export of the cleaned pairs and Train
 * Stage II on them. The review itself (orders, filters, undo, numbers) is src/review/, pure and unit-tested,
 * and runs in a worker thread (src/review/worker.ts, one per open file), so a 100k-pair file is read, parsed and
 * indexed off the extension host's main thread and its first page is drawn before it is read to the end. This
 * file wires it to VS Code: the webview (typed messages of src/shared/webview-pairs.ts, checked on arrival), the
 * chunks from the sidecar, progress, dialogs.
 */
import * as vscode from 'vscode';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Ctx } from '../ctx';
import { GetChunks, SynthScore, type ChunkText, type SearchHit } from '../shared/protocol';
import { labelsPathFor, suspicionPathFor } from '../shared/pairs';
import { isPairsReviewToHost, type PairsReviewToHost, type PairsReviewToWebview, type ReviewInfo } from '../shared/webview-pairs';
import type { EngineEvent, EngineReply, EngineRequest, Restore, Snapshot } from '../review/engine';
import { ReviewWorkerClient } from '../review/workerClient';
import { chunkViewOf } from '../review/view';
import { cleanedPathFor } from '../review/export';
import { explainError } from '../sidecar-client/errors';
import { reportError } from '../commands/guard';
import { webviewHtml } from './html';
import { openHit } from './openHit';

export const VIEW_TYPE = 'drehr.pairsReview';
export const REVIEW_COMMAND = 'drehr.reviewPairs';
const CACHE_MAX = 4000;
/** JSON-RPC "method not found": a sidecar without drehr/synthScore. */
const METHOD_NOT_FOUND = -32601;

export function reviewerName(): string {
  const set = vscode.workspace.getConfiguration('drehr').get<string>('review.reviewer', '').trim();
  if (set) return set;
  try {
    return os.userInfo().username || 'reviewer';
  } catch {
    return 'reviewer';
  }
}

class ReviewDocument implements vscode.CustomDocument {
  readonly panels = new Set<vscode.WebviewPanel>();
  /** chunk id → the chunk, or null when the index does not hold it. */
  readonly chunks = new Map<string, ChunkText | null>();
  /** The latest snapshot from the worker (the first page while the file is still read). */
  snapshot: Snapshot | undefined;
  info: ReviewInfo;
  /** Settles once the worker has read the whole file (or failed to: `failed` says why). */
  ready: Promise<void> = Promise.resolve();
  loaded = false;
  failed: string | undefined;
  /** The order and filter the first webview remembered, applied once the file is read. */
  restore: Restore | undefined;
  restored = false;

  constructor(
    readonly uri: vscode.Uri,
    readonly worker: ReviewWorkerClient,
  ) {
    const file = uri.fsPath;
    this.info = { file: path.basename(file), labelsFile: path.basename(labelsPathFor(file)), notices: [] };
  }

  dispose(): void {
    void this.worker.close();
  }
}

class PairsReviewProvider implements vscode.CustomReadonlyEditorProvider<ReviewDocument> {
  constructor(private readonly ctx: Ctx) {}

  async openCustomDocument(uri: vscode.Uri): Promise<ReviewDocument> {
    if (uri.scheme !== 'file') throw new Error(`The pairs review works on files on disk; ${uri.toString()} is not one.`);
    const name = path.basename(uri.fsPath);
    let st: fs.Stats;
    try {
      st = await fs.promises.stat(uri.fsPath);
    } catch (e) {
      throw new Error(`${name} cannot be opened for review: ${(e as Error).message}`);
    }
    if (!st.isFile()) throw new Error(`${name} cannot be opened for review: it is not a file.`);
    // The file is read, parsed and indexed in a worker thread; the first page is drawn while it reads.
    const script = vscode.Uri.joinPath(this.ctx.extension.extensionUri, 'dist', 'reviewWorker.js').fsPath;
    const box: { doc?: ReviewDocument } = {};
    const worker = new ReviewWorkerClient(script, (e) => box.doc && this.onEvent(box.doc, e));
    const d = (box.doc = new ReviewDocument(uri, worker));
    d.ready = worker.request({ op: 'open', file: uri.fsPath, reviewer: reviewerName() }).then(
      async (r) => {
        d.info = r.info ?? d.info;
        d.snapshot = r.snapshot;
        if (d.restore && !d.restored) {
          d.restored = true;
          d.snapshot = (await worker.request({ op: 'restore', restore: d.restore })).snapshot ?? d.snapshot;
        }
        d.restored = true;
        d.loaded = true;
        for (const n of d.info.notices) this.ctx.log.warn(`Pairs review: ${n}`);
        for (const p of d.panels) this.post(p, { type: 'info', info: d.info });
        this.pushAll(d);
      },
      (e: unknown) => {
        d.failed = `${name} cannot be opened for review: ${(e as Error).message}`;
        d.info = { ...d.info, notices: [d.failed], readOnly: d.failed };
        this.ctx.log.error(`Pairs review: ${d.failed}`);
        void vscode.window.showErrorMessage(d.failed);
        for (const p of d.panels) this.post(p, { type: 'info', info: d.info });
      },
    );
    return d;
  }

  private onEvent(doc: ReviewDocument, e: EngineEvent): void {
    if (e.event === 'changed') {
      doc.snapshot = e.snapshot;
      this.pushAll(doc);
      return;
    }
    if (doc.loaded || doc.restore) return; // a restored webview keeps drawing its own last view until the file is read
    if (e.snapshot) doc.snapshot = e.snapshot;
    else if (doc.snapshot) doc.snapshot = { ...doc.snapshot, view: { ...doc.snapshot.view, loading: { done: e.done, total: e.total } } };
    if (doc.snapshot) this.pushAll(doc);
  }

  resolveCustomEditor(doc: ReviewDocument, panel: vscode.WebviewPanel): void {
    const ext = this.ctx.extension.extensionUri;
    const webviewDir = vscode.Uri.joinPath(ext, 'dist', 'webview');
    const media = vscode.Uri.joinPath(ext, 'media');
    panel.webview.options = { enableScripts: true, localResourceRoots: [webviewDir, media] };
    panel.webview.html = webviewHtml({
      title: 'Review pairs',
      cspSource: panel.webview.cspSource,
      nonce: randomBytes(18).toString('base64'),
      scripts: [panel.webview.asWebviewUri(vscode.Uri.joinPath(webviewDir, 'pairs.js')).toString()],
      styles: [panel.webview.asWebviewUri(vscode.Uri.joinPath(media, 'pairs.css')).toString()],
    });
    doc.panels.add(panel);
    const subs = [
      panel.webview.onDidReceiveMessage((m: unknown) => {
        if (isPairsReviewToHost(m)) void this.handle(doc, panel, m);
        else this.ctx.log.warn('Pairs review: ignored a malformed message.');
      }),
      this.ctx.client.onStatus(() => {
        // The index changed: chunks may have changed or gone.
        doc.chunks.clear();
        this.push(doc, panel);
      }),
    ];
    panel.onDidDispose(() => {
      doc.panels.delete(panel);
      for (const s of subs) s.dispose();
    });
  }

  private post(panel: vscode.WebviewPanel, m: PairsReviewToWebview): void {
    void panel.webview.postMessage(m);
  }

  private pushAll(doc: ReviewDocument): void {
    for (const p of doc.panels) this.push(doc, p);
  }

  /** The view of the pair under the cursor, then its chunk (from the cache, or once the sidecar answers). */
  private push(doc: ReviewDocument, panel: vscode.WebviewPanel): void {
    const snap = doc.snapshot;
    if (!snap) return;
    this.post(panel, { type: 'view', view: snap.view });
    const pair = snap.pair;
    if (!pair) return;
    const cached = doc.chunks.get(pair.chunk_id);
    if (cached !== undefined) this.post(panel, { type: 'chunk', pairId: pair.id, chunk: chunkViewOf(pair, cached) });
    void this.fetchAhead(doc, snap.upcoming).then((err) => {
      if (doc.snapshot?.pair?.id !== pair.id) return;
      if (err) this.post(panel, { type: 'chunk', pairId: pair.id, chunk: { state: 'unavailable', message: err } });
      else if (cached === undefined) {
        const c = doc.chunks.get(pair.chunk_id);
        if (c !== undefined) this.post(panel, { type: 'chunk', pairId: pair.id, chunk: chunkViewOf(pair, c) });
      }
    });
  }

  private unavailable(): string | undefined {
    const st = this.ctx.client.state;
    if (!this.ctx.workspaceRoot) return 'Open the folder of notes the pairs were made from to see the chunk text.';
    if (st.kind === 'starting' || st.kind === 'restarting') return 'Loading the model… the chunk text follows.';
    if (st.kind !== 'running') return 'The sidecar is not running, so the chunk text cannot be read. Run "DR.EHR: Restart Sidecar".';
    const idx = this.ctx.client.status;
    if (!idx || idx.state === 'missing' || idx.state === 'empty') return 'No index yet: run "DR.EHR: Index Workspace" to see the chunk text.';
    return undefined;
  }

  /** Fetches the chunks of the current pair and the next ones that are not cached. Returns an error message. */
  private async fetchAhead(doc: ReviewDocument, upcoming: readonly string[]): Promise<string | undefined> {
    const why = this.unavailable();
    if (why) return why;
    const ids = new Set<string>();
    for (const id of upcoming) if (!doc.chunks.has(id)) ids.add(id);
    if (ids.size === 0) return undefined;
    try {
      const list = [...ids];
      const got = await this.ctx.client.request(GetChunks, { chunkIds: list });
      if (doc.chunks.size + list.length > CACHE_MAX) doc.chunks.clear();
      list.forEach((id, i) => doc.chunks.set(id, got[i] ?? null));
      return undefined;
    } catch (e) {
      return explainError(e, 'read the chunk text').message;
    }
  }

  /** Sends a request to the worker and pushes the snapshot it answers with to every panel. */
  private async apply(doc: ReviewDocument, req: EngineRequest): Promise<EngineReply> {
    const r = await doc.worker.request(req);
    if (r.snapshot) doc.snapshot = r.snapshot;
    this.pushAll(doc);
    return r;
  }

  private async handle(doc: ReviewDocument, panel: vscode.WebviewPanel, m: PairsReviewToHost): Promise<void> {
    try {
      if (m.type === 'ready') {
        // A new webview (first open, or shown again): the host's session is the truth; a fresh session takes
        // the order and filter the webview remembered.
        if (m.restore && !doc.restored && !doc.restore) doc.restore = m.restore;
        this.post(panel, { type: 'info', info: doc.info });
        if (!doc.loaded) {
          // The file is still read: the first page (if there is one yet) now, the rest when it is read.
          if (!doc.restore) this.push(doc, panel);
          return;
        }
        if (doc.restore && !doc.restored) {
          doc.restored = true;
          await this.apply(doc, { op: 'restore', restore: doc.restore });
          return;
        }
        doc.restored = true;
        this.push(doc, panel);
        return;
      }
      // Requests wait until the whole file is read (the worker would queue them anyway; this keeps them ordered).
      if (!doc.loaded) {
        if (m.type === 'decide' || m.type === 'bulk' || m.type === 'undo') {
          this.post(panel, { type: 'toast', text: 'Still reading the pairs file: decisions wait until it is read.' });
          return;
        }
        await doc.ready;
      }
      if (doc.failed) {
        this.post(panel, { type: 'toast', text: doc.failed });
        return;
      }
      switch (m.type) {
        case 'decide':
          if (this.readOnly(doc, panel)) return;
          await this.apply(doc, { op: 'decide', label: m.label });
          return;
        case 'undo': {
          if (this.readOnly(doc, panel)) return;
          const r = await this.apply(doc, { op: 'undo' });
          if (!r.count) this.post(panel, { type: 'toast', text: 'Nothing to undo.' });
          return;
        }
        case 'move':
          await this.apply(doc, { op: 'move', delta: m.delta });
          return;
        case 'goto':
          await this.apply(doc, { op: 'goto', position: m.position });
          return;
        case 'setOrder':
          await this.apply(doc, { op: 'setOrder', order: m.order, ...(m.seed !== undefined ? { seed: m.seed } : {}) });
          return;
        case 'setFilter':
          await this.apply(doc, { op: 'setFilter', filter: m.filter });
          return;
        case 'bulk': {
          if (this.readOnly(doc, panel)) return;
          const n = doc.snapshot?.view.size ?? 0;
          if (n === 0) return;
          const ok = await vscode.window.showWarningMessage(
            `Label all ${n} pair${n === 1 ? '' : 's'} of the filtered list as ${m.label}?`,
            { modal: true, detail: 'Each gets its own line in the label log, marked as one bulk decision. Undo (z) takes the whole bulk back.' },
            `Label ${n} as ${m.label}`,
          );
          if (!ok) return;
          const r = await this.apply(doc, { op: 'bulk', label: m.label });
          const k = r.count ?? 0;
          this.post(panel, { type: 'toast', text: `${k} pair${k === 1 ? '' : 's'} labelled ${m.label}.` });
          return;
        }
        case 'open':
          await this.openSource(doc);
          return;
        case 'score':
          await this.score(doc);
          return;
        case 'export':
          await exportCleaned(this.ctx, doc.uri.fsPath, doc.worker);
          return;
        case 'train':
          await trainOnCleaned(this.ctx, doc.uri.fsPath, doc.worker);
          return;
      }
    } catch (e) {
      reportError(this.ctx, e, 'review the pairs');
    }
  }

  private readOnly(doc: ReviewDocument, panel: vscode.WebviewPanel): boolean {
    const why = doc.info.readOnly;
    if (!why) return false;
    this.post(panel, { type: 'toast', text: why });
    return true;
  }

  private async openSource(doc: ReviewDocument): Promise<void> {
    const p = doc.snapshot?.pair;
    if (!p) return;
    const c = doc.chunks.get(p.chunk_id);
    const source = c?.source ?? p.source;
    if (!source) {
      void vscode.window.showWarningMessage(`Pair ${p.id} names no source note, and its chunk is not in the index: index the workspace to open it.`);
      return;
    }
    const hit: SearchHit = {
      chunkId: p.chunk_id,
      noteId: c?.noteId ?? p.note_id ?? '',
      patientId: c?.patientId ?? p.patient_id ?? '',
      sourcePath: source,
      charStart: c?.charStart ?? 0,
      charEnd: c?.charEnd ?? 0,
      score: 0,
      matchedBy: [],
      snippet: '',
      highlights: [],
    };
    const row = c ? c.row : p.row;
    if (row !== undefined) hit.row = row;
    await openHit(this.ctx, hit);
  }

  private async score(doc: ReviewDocument): Promise<void> {
    const pairsPath = doc.uri.fsPath;
    const say = (text: string): void => {
      for (const p of doc.panels) this.post(p, { type: 'toast', text });
    };
    const why = this.unavailable();
    if (why) {
      say(`Suspicion scores unavailable: ${why}`);
      return;
    }
    try {
      const r = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'DR.EHR: Scoring the pairs', cancellable: true },
        (_p, token) => this.ctx.client.request(SynthScore, { workId: `score-${Date.now()}`, pairsPath, outPath: suspicionPathFor(pairsPath) }, token),
      );
      const reloaded = await this.apply(doc, { op: 'reloadScores' });
      for (const n of reloaded.notices ?? []) this.ctx.log.warn(`Pairs review: ${n}`);
      say(`${r.scored} pairs scored.`);
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (code === METHOD_NOT_FOUND) say('Suspicion scores are unavailable: this sidecar cannot score pairs yet (drehr/synthScore). The review works without them.');
      else {
        const x = explainError(e, 'score the pairs');
        if (x.kind !== 'cancelled') say(`Suspicion scores unavailable: ${x.message}`);
      }
    }
  }
}

/** The cleaned pairs and their summary, written by the worker (atomic writes). */
async function writeCleaned(worker: ReviewWorkerClient, out: string, dropUnsure: boolean): Promise<{ kept: number; removed: number }> {
  const r = await worker.request({ op: 'export', out, dropUnsure, time: new Date().toISOString() });
  return r.exported ?? { kept: 0, removed: 0 };
}

async function askUnsure(): Promise<boolean | undefined> {
  const pick = await vscode.window.showQuickPick(
    [
      { label: 'Remove noise, keep unsure', drop: false },
      { label: 'Remove noise and unsure', drop: true },
    ],
    { title: 'Export Cleaned Pairs', placeHolder: 'Pairs labelled noise are always removed; unlabelled pairs are kept' },
  );
  return pick?.drop;
}

/** Export: asks about unsure pairs and where to write; returns the file written. */
export async function exportCleaned(ctx: Ctx, pairsPath: string, worker: ReviewWorkerClient): Promise<string | undefined> {
  const dropUnsure = await askUnsure();
  if (dropUnsure === undefined) return undefined;
  const target = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.file(cleanedPathFor(pairsPath)),
    filters: { 'Pairs JSONL': ['jsonl'] },
    title: 'Export Cleaned Pairs',
  });
  if (!target) return undefined;
  if (target.fsPath === pairsPath) {
    void vscode.window.showErrorMessage('Choose another file: the cleaned pairs never replace the pairs under review.');
    return undefined;
  }
  const r = await writeCleaned(worker, target.fsPath, dropUnsure);
  ctx.log.info(`Pairs review: wrote ${path.basename(target.fsPath)} (${r.kept} pairs kept, ${r.removed} removed) and its summary.`);
  void vscode.window.showInformationMessage(`Wrote ${path.basename(target.fsPath)}: ${r.kept} pairs kept, ${r.removed} removed (summary beside it).`);
  return target.fsPath;
}

/** Writes the cleaned pairs beside the pairs (noise removed) and starts Train Stage II on them. */
export async function trainOnCleaned(ctx: Ctx, pairsPath: string, worker: ReviewWorkerClient): Promise<void> {
  const dropUnsure = await askUnsure();
  if (dropUnsure === undefined) return;
  const out = cleanedPathFor(pairsPath);
  const r = await writeCleaned(worker, out, dropUnsure);
  if (r.kept === 0) {
    void vscode.window.showErrorMessage('No pair is left after cleaning: there is nothing to train on.');
    return;
  }
  ctx.log.info(`Pairs review: training Stage II on ${path.basename(out)} (${r.kept} pairs).`);
  await vscode.commands.executeCommand('drehr.trainStage2', { pairs: out });
}

async function pickPairsFile(): Promise<vscode.Uri | undefined> {
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active?.scheme === 'file' && active.fsPath.toLowerCase().endsWith('.jsonl') && !/\.(labels|suspicion)\.jsonl$/i.test(active.fsPath)) return active;
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    filters: { 'Pairs JSONL': ['jsonl'] },
    title: 'Review Synthetic Pairs',
    openLabel: 'Review',
  });
  return picked?.[0];
}

export function register(ctx: Ctx): void {
  const provider = new PairsReviewProvider(ctx);
  ctx.extensionScope.push(
    vscode.window.registerCustomEditorProvider(VIEW_TYPE, provider, { supportsMultipleEditorsPerDocument: true }),
    vscode.commands.registerCommand(REVIEW_COMMAND, async (arg?: unknown) => {
      const uri = arg instanceof vscode.Uri ? arg : typeof arg === 'string' ? vscode.Uri.file(arg) : await pickPairsFile();
      if (!uri) return;
      if (!fs.existsSync(uri.fsPath)) {
        void vscode.window.showErrorMessage(`${uri.fsPath} does not exist.`);
        return;
      }
      await vscode.commands.executeCommand('vscode.openWith', uri, VIEW_TYPE);
    }),
  );
}
