/**
 * The search panel (webview view drehr.search): HTML shell with a strict CSP and nonce, the browser bundle
 * dist/webview/search.js, typed messages (src/shared/webview.ts) checked on arrival, and the same search and
 * open-hit paths as the quick pick. A newer search cancels the older one in the sidecar.
 */
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import type { Ctx } from '../ctx';
import { ListPatients } from '../shared/protocol';
import { isSearchPanelToHost, type SearchPanelToHost, type SearchPanelToWebview } from '../shared/webview';
import { explainError } from '../sidecar-client/errors';
import { searchOnce } from '../commands/search';
import { reportError } from '../commands/guard';
import { webviewHtml } from './html';
import { openHit } from './openHit';

export const VIEW_ID = 'drehr.search';

function readiness(ctx: Ctx): { ready: boolean; message?: string } {
  const s = ctx.client.state;
  if (!ctx.workspaceRoot) return { ready: false, message: 'Open a folder of notes to search it.' };
  if (s.kind === 'starting') return { ready: false, message: 'Loading the model…' };
  if (s.kind === 'restarting') return { ready: false, message: 'The sidecar is restarting…' };
  if (s.kind === 'failed' || s.kind === 'error') return { ready: false, message: s.message };
  if (s.kind === 'stopped') return { ready: false, message: 'The sidecar is not running. Run "DR.EHR: Restart Sidecar".' };
  const st = ctx.client.status;
  if (!st || st.state === 'missing' || st.state === 'empty') return { ready: false, message: 'No index yet: run "DR.EHR: Index Workspace".' };
  return { ready: true };
}

class SearchPanel implements vscode.WebviewViewProvider {
  private view: vscode.WebviewView | undefined;
  private search: vscode.CancellationTokenSource | undefined;
  private lastReady: string | undefined;

  constructor(private readonly ctx: Ctx) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
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

  private post(m: SearchPanelToWebview): void {
    void this.view?.webview.postMessage(m);
  }

  private pushReadiness(): void {
    const r = readiness(this.ctx);
    const key = `${r.ready}|${r.message ?? ''}|${this.ctx.client.status?.chunks ?? ''}`;
    if (key === this.lastReady) return;
    this.lastReady = key;
    this.post({ type: 'indexChanged', ...r });
  }

  private async handle(m: SearchPanelToHost): Promise<void> {
    switch (m.type) {
      case 'ready': {
        const r = readiness(this.ctx);
        this.lastReady = `${r.ready}|${r.message ?? ''}|${this.ctx.client.status?.chunks ?? ''}`;
        this.post({ type: 'config', mode: this.ctx.config.searchMode, ...r });
        return;
      }
      case 'search': {
        this.search?.cancel();
        const mine = new vscode.CancellationTokenSource();
        this.search = mine;
        try {
          const result = await searchOnce(this.ctx, { query: m.query, mode: m.mode, ...(m.patientId ? { patientId: m.patientId } : {}) }, mine.token);
          this.post({ type: 'searchReply', id: m.id, ok: true, result });
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
    }
  }
}

export function register(ctx: Ctx): void {
  ctx.extensionScope.push(
    vscode.window.registerWebviewViewProvider(VIEW_ID, new SearchPanel(ctx)),
    vscode.commands.registerCommand('drehr.openSearchPanel', () => vscode.commands.executeCommand(`${VIEW_ID}.focus`)),
  );
}
