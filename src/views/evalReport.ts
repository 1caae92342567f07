/**
 * The evaluation report panel (bundle webview-ui/eval): one panel, re-used for each new report. The report is
 * sent once the webview says `ready`; the webview keeps it with setState. "Open report.md/json" opens the saved
 * files in an editor.
 */
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import type { Ctx } from '../ctx';
import { webviewHtml } from './html';
import { isEvalViewToHost, type EvalReport, type HostToEvalView } from '../shared/webview-eval';

export const EVAL_REPORT_VIEW_TYPE = 'drehr.evalReport';

export class EvalReportPanel {
  private static current: EvalReportPanel | undefined;
  private ready = false;

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private report: EvalReport,
    private savedTo: { md: string; json: string } | undefined,
    log: vscode.LogOutputChannel,
  ) {
    panel.webview.onDidReceiveMessage((msg: unknown) => {
      if (!isEvalViewToHost(msg)) {
        log.warn('Evaluation report: ignored a malformed message from the webview');
        return;
      }
      if (msg.type === 'ready') {
        this.ready = true;
        this.send();
      } else if (msg.type === 'openFile' && this.savedTo) {
        void vscode.window.showTextDocument(vscode.Uri.file(msg.which === 'md' ? this.savedTo.md : this.savedTo.json), { preview: false });
      }
    });
    panel.onDidDispose(() => {
      if (EvalReportPanel.current === this) EvalReportPanel.current = undefined;
    });
  }

  /** The open panel's report (tests read it). */
  static get shown(): EvalReport | undefined {
    return EvalReportPanel.current?.report;
  }

  static show(ctx: Ctx, report: EvalReport, savedTo?: { md: string; json: string }): void {
    const existing = EvalReportPanel.current;
    if (existing) {
      existing.report = report;
      existing.savedTo = savedTo;
      existing.panel.title = `Evaluation: ${report.benchmark.name}`;
      existing.panel.reveal(undefined, false);
      if (existing.ready) existing.send();
      return;
    }
    const scriptRoot = vscode.Uri.joinPath(ctx.extension.extensionUri, 'dist', 'webview');
    const panel = vscode.window.createWebviewPanel(EVAL_REPORT_VIEW_TYPE, `Evaluation: ${report.benchmark.name}`, vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [scriptRoot],
    });
    panel.webview.html = webviewHtml({
      title: 'DR.EHR evaluation',
      cspSource: panel.webview.cspSource,
      nonce: randomBytes(18).toString('base64'),
      scripts: [panel.webview.asWebviewUri(vscode.Uri.joinPath(scriptRoot, 'eval.js')).toString()],
    });
    EvalReportPanel.current = new EvalReportPanel(panel, report, savedTo, ctx.log);
    ctx.extensionScope.push(panel);
  }

  private send(): void {
    const msg: HostToEvalView = { type: 'report', report: this.report, ...(this.savedTo ? { savedTo: this.savedTo } : {}) };
    void this.panel.webview.postMessage(msg);
  }
}
