/**
 * The pairs review (custom editor drehr.pairsReview on *.pairs.jsonl, and "DR.EHR: Review Synthetic Pairs" for
 * any pairs JSONL): one pair at a time with its chunk from the index (drehr/getChunks, cached and prefetched),
 * decisions appended to the label log beside the pairs, the numbers, export of the cleaned pairs and Train
 * Stage II on them. The review itself (orders, filters, undo, numbers) is src/review/, pure and unit-tested;
 * this file wires it to VS Code: the webview (typed messages of src/shared/webview-pairs.ts, checked on arrival),
 * a poll of the label log for decisions other windows append, progress, dialogs.
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
import { writeFileAtomic } from '../shared/atomicWrite';
import { loadReview, readScores, type LoadedReview } from '../review/load';
import { chunkViewOf, numbersView, reviewView } from '../review/view';
import { cleanedPathFor, cleanPairs, cleanSummary } from '../review/export';
import { explainError } from '../sidecar-client/errors';
import { reportError } from '../commands/guard';
import { webviewHtml } from './html';
import { openHit } from './openHit';

export const VIEW_TYPE = 'drehr.pairsReview';
export const REVIEW_COMMAND = 'drehr.reviewPairs';
/** Chunks fetched ahead of the cursor, so the next pairs draw without waiting on the index. */
const PREFETCH = 24;
const CACHE_MAX = 4000;
/** How often the label log is checked for lines other windows appended. */
const POLL_MS = 700;
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
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    readonly uri: vscode.Uri,
    readonly review: LoadedReview,
    onOthersAppended: () => void,
  ) {
    this.timer = setInterval(() => {
      try {
        if ((review.log?.refresh() ?? 0) > 0) onOthersAppended();
      } catch {
        // A log turned unreadable (or newer) under us: keep showing what we have; the next decision reports it.
      }
    }, POLL_MS);
    this.timer.unref?.();
  }

  get info(): ReviewInfo {
    const file = this.uri.fsPath;
    return {
      file: path.basename(file),
      labelsFile: path.basename(labelsPathFor(file)),
      notices: this.review.notices,
      ...(this.review.readOnly ? { readOnly: this.review.readOnly } : {}),
    };
  }

  dispose(): void {
    clearInterval(this.timer);
    this.review.log?.close();
  }
}

class PairsReviewProvider implements vscode.CustomReadonlyEditorProvider<ReviewDocument> {
  constructor(private readonly ctx: Ctx) {}

  openCustomDocument(uri: vscode.Uri): ReviewDocument {
    if (uri.scheme !== 'file') throw new Error(`The pairs review works on files on disk; ${uri.toString()} is not one.`);
    let review: LoadedReview;
    try {
      review = loadReview(uri.fsPath, reviewerName());
    } catch (e) {
      throw new Error(`${path.basename(uri.fsPath)} cannot be opened for review: ${(e as Error).message}`);
    }
    const doc: ReviewDocument = new ReviewDocument(uri, review, () => this.pushAll(doc));
    for (const n of review.notices) this.ctx.log.warn(`Pairs review: ${n}`);
    return doc;
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
    const s = doc.review.session;
    const view = reviewView(s, numbersView(s.numbers()));
    this.post(panel, { type: 'view', view });
    const pair = s.current;
    if (!pair) return;
    const cached = doc.chunks.get(pair.chunk_id);
    if (cached !== undefined) this.post(panel, { type: 'chunk', pairId: pair.id, chunk: chunkViewOf(pair, cached) });
    void this.fetchAhead(doc).then((err) => {
      if (s.current?.id !== pair.id) return;
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
  private async fetchAhead(doc: ReviewDocument): Promise<string | undefined> {
    const why = this.unavailable();
    if (why) return why;
    const s = doc.review.session;
    const ids = new Set<string>();
    for (const i of s.upcoming(PREFETCH)) {
      const id = s.pairs[i].chunk_id;
      if (!doc.chunks.has(id)) ids.add(id);
    }
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

  private async handle(doc: ReviewDocument, panel: vscode.WebviewPanel, m: PairsReviewToHost): Promise<void> {
    const s = doc.review.session;
    try {
      switch (m.type) {
        case 'ready':
          // A new webview (first open, or shown again): the host's session is the truth; a fresh session takes
          // the order and filter the webview remembered.
          if (m.restore && !doc.review.restored) {
            doc.review.restored = true;
            s.setOrder(m.restore.order, m.restore.seed);
            s.setFilter(m.restore.filter);
            if (m.restore.pairId) s.gotoPair(m.restore.pairId);
          }
          doc.review.restored = true;
          this.post(panel, { type: 'info', info: doc.info });
          this.push(doc, panel);
          return;
        case 'decide':
          if (this.readOnly(doc, panel)) return;
          s.decide(m.label);
          this.pushAll(doc);
          return;
        case 'undo':
          if (this.readOnly(doc, panel)) return;
          if (s.undo() === 0) this.post(panel, { type: 'toast', text: 'Nothing to undo.' });
          this.pushAll(doc);
          return;
        case 'move':
          s.move(m.delta);
          this.pushAll(doc);
          return;
        case 'goto':
          s.goto(m.position);
          this.pushAll(doc);
          return;
        case 'setOrder':
          s.setOrder(m.order, m.seed);
          this.pushAll(doc);
          return;
        case 'setFilter':
          s.setFilter(m.filter);
          this.pushAll(doc);
          return;
        case 'bulk': {
          if (this.readOnly(doc, panel)) return;
          const n = s.size;
          if (n === 0) return;
          const ok = await vscode.window.showWarningMessage(
            `Label all ${n} pair${n === 1 ? '' : 's'} of the filtered list as ${m.label}?`,
            { modal: true, detail: 'Each gets its own line in the label log, marked as one bulk decision. Undo (z) takes the whole bulk back.' },
            `Label ${n} as ${m.label}`,
          );
          if (!ok) return;
          s.bulk(m.label);
          this.post(panel, { type: 'toast', text: `${n} pair${n === 1 ? '' : 's'} labelled ${m.label}.` });
          this.pushAll(doc);
          return;
        }
        case 'open':
          await this.openSource(doc);
          return;
        case 'score':
          await this.score(doc);
          return;
        case 'export':
          await exportCleaned(this.ctx, doc.uri.fsPath, doc.review);
          return;
        case 'train':
          await trainOnCleaned(this.ctx, doc.uri.fsPath, doc.review);
          return;
      }
    } catch (e) {
      reportError(this.ctx, e, 'review the pairs');
    }
  }

  private readOnly(doc: ReviewDocument, panel: vscode.WebviewPanel): boolean {
    if (!doc.review.readOnly) return false;
    this.post(panel, { type: 'toast', text: doc.review.readOnly });
    return true;
  }

  private async openSource(doc: ReviewDocument): Promise<void> {
    const p = doc.review.session.current;
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
      const scores = readScores(pairsPath);
      doc.review.session.setScores(scores.scores);
      say(`${r.scored} pairs scored.`);
      this.pushAll(doc);
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

async function writeCleaned(pairsPath: string, review: LoadedReview, out: string, dropUnsure: boolean): Promise<{ kept: number; removed: number }> {
  const s = review.session;
  const cleaned = cleanPairs(s.pairs, (id) => s.labels.labelOf(id), { dropUnsure });
  await writeFileAtomic(out, cleaned.lines.join('\n') + (cleaned.lines.length ? '\n' : ''));
  const summary = cleanSummary(
    cleaned.counts,
    { source: path.basename(pairsPath), labels: path.basename(labelsPathFor(pairsPath)), written: path.basename(out) },
    numbersView(s.numbers()),
    new Date().toISOString(),
  );
  await writeFileAtomic(`${out}.summary.json`, JSON.stringify(summary, null, 2) + '\n');
  return { kept: cleaned.counts.kept, removed: cleaned.counts.removedNoise + cleaned.counts.removedUnsure };
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
export async function exportCleaned(ctx: Ctx, pairsPath: string, review: LoadedReview): Promise<string | undefined> {
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
  const r = await writeCleaned(pairsPath, review, target.fsPath, dropUnsure);
  ctx.log.info(`Pairs review: wrote ${path.basename(target.fsPath)} (${r.kept} pairs kept, ${r.removed} removed) and its summary.`);
  void vscode.window.showInformationMessage(`Wrote ${path.basename(target.fsPath)}: ${r.kept} pairs kept, ${r.removed} removed (summary beside it).`);
  return target.fsPath;
}

/** Writes the cleaned pairs beside the pairs (noise removed) and starts Train Stage II on them. */
export async function trainOnCleaned(ctx: Ctx, pairsPath: string, review: LoadedReview): Promise<void> {
  const dropUnsure = await askUnsure();
  if (dropUnsure === undefined) return;
  const out = cleanedPathFor(pairsPath);
  const r = await writeCleaned(pairsPath, review, out, dropUnsure);
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
