/** The status bar item: index and sidecar state (statusText.ts says what); a click shows the index status. */
import * as vscode from 'vscode';
import type { Ctx } from './ctx';
import { statusView } from './views/statusText';

export function register(ctx: Ctx): void {
  const item = vscode.window.createStatusBarItem('drehr.status', vscode.StatusBarAlignment.Left, 10);
  item.name = 'DR.EHR index';
  item.command = 'drehr.showIndexStatus';
  const render = () => {
    const v = statusView(ctx.client.state, ctx.client.status, ctx.indexing);
    item.text = v.text;
    item.tooltip = v.tooltip;
    item.backgroundColor =
      v.severity === 'error'
        ? new vscode.ThemeColor('statusBarItem.errorBackground')
        : v.severity === 'warning'
          ? new vscode.ThemeColor('statusBarItem.warningBackground')
          : undefined;
    if (ctx.workspaceRoot) item.show();
    else item.hide();
  };
  ctx.extensionScope.push(item, ctx.onDidChange(render), vscode.workspace.onDidChangeWorkspaceFolders(render));
  render();
}

/** The text the status bar shows now (for the test API). */
export function currentStatusText(ctx: Ctx): string {
  return statusView(ctx.client.state, ctx.client.status, ctx.indexing).text;
}
