/**
 * One webview panel per opened training run (bundle webview-ui/training): a live loss curve, the status and the
 * evaluation results. The host pushes a snapshot when the run changes, at most every UPDATE_MS; the panel keeps
 * the last one with setState instead of retainContextWhenHidden.
 */
import * as vscode from 'vscode';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { webviewHtml } from './html';
import { toRunView } from './trainingRunView';
import { isTrainingPanelToHost, type TrainingPanelToWebview } from '../shared/webview-training';
import type { RunsModel } from '../training/runsModel';
import { EVENTS_JSONL, RUN_JSON } from '../training/runFolder';

export const TRAINING_PANEL_VIEW_TYPE = 'drehr.trainingRun';
const UPDATE_MS = 500;

interface OpenPanel {
  panel: vscode.WebviewPanel;
  ready: boolean;
  timer?: ReturnType<typeof setTimeout>;
  lastSent: number;
}

export class TrainingPanels implements vscode.Disposable {
  private readonly panels = new Map<string, OpenPanel>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly model: RunsModel,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  open(runId: string): void {
    const existing = this.panels.get(runId);
    if (existing) {
      existing.panel.reveal(undefined, false);
      return;
    }
    const scriptRoot = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    const panel = vscode.window.createWebviewPanel(TRAINING_PANEL_VIEW_TYPE, `Run ${runId}`, vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [scriptRoot],
    });
    const entry: OpenPanel = { panel, ready: false, lastSent: 0 };
    this.panels.set(runId, entry);
    panel.webview.html = webviewHtml({
      title: `Training run ${runId}`,
      cspSource: panel.webview.cspSource,
      nonce: randomBytes(18).toString('base64'),
      scripts: [panel.webview.asWebviewUri(vscode.Uri.joinPath(scriptRoot, 'training.js')).toString()],
    });
    panel.webview.onDidReceiveMessage((msg: unknown) => this.onMessage(runId, entry, msg));
    panel.onDidDispose(() => {
      if (entry.timer) clearTimeout(entry.timer);
      this.panels.delete(runId);
    });
  }

  /** The open panel of a run (tests look at it). */
  isOpen(runId: string): boolean {
    return this.panels.has(runId);
  }

  /** Pushes fresh snapshots to the panels of these runs (throttled). */
  update(ids: Iterable<string>): void {
    for (const id of ids) {
      const entry = this.panels.get(id);
      if (!entry || !entry.ready || entry.timer) continue;
      const wait = Math.max(0, entry.lastSent + UPDATE_MS - Date.now());
      entry.timer = setTimeout(() => {
        delete entry.timer;
        this.send(id, entry);
      }, wait);
    }
  }

  private send(id: string, entry: OpenPanel): void {
    entry.lastSent = Date.now();
    const run = this.model.get(id);
    const msg: TrainingPanelToWebview = run ? { type: 'snapshot', run: toRunView(run) } : { type: 'gone', id };
    void entry.panel.webview.postMessage(msg);
  }

  private onMessage(runId: string, entry: OpenPanel, msg: unknown): void {
    if (!isTrainingPanelToHost(msg)) {
      this.log.warn('Training panel: ignored a malformed message');
      return;
    }
    switch (msg.type) {
      case 'ready':
        entry.ready = true;
        this.send(runId, entry);
        break;
      case 'useModel':
        void vscode.commands.executeCommand('drehr.useRunModel', msg.id);
        break;
      case 'openFile': {
        const run = this.model.get(msg.id);
        if (!run) return;
        const file = msg.file === 'events' ? EVENTS_JSONL : msg.file === 'config' ? RUN_JSON : 'report.md';
        void vscode.window.showTextDocument(vscode.Uri.file(path.join(run.dir, file)), { preview: true }).then(undefined, (e: unknown) => {
          void vscode.window.showWarningMessage(`Cannot open ${file} of run ${run.id}: ${(e as Error).message}`);
        });
        break;
      }
    }
  }

  dispose(): void {
    for (const e of this.panels.values()) e.panel.dispose();
    this.panels.clear();
  }
}
