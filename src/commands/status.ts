/** Show Index Status: what the index holds, which model, the sidecar's state, and the actions that help. */
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { GetStatus, type IndexStatus } from '../shared/protocol';
import type { ErrorAction } from '../sidecar-client/errors';
import { runAction } from './guard';
import { engineLabel, statusView } from '../views/statusText';
import { headlineItem, statusLines } from './statusItems';

interface Line extends vscode.QuickPickItem {
  action?: ErrorAction;
}

export async function showIndexStatus(ctx: Ctx): Promise<IndexStatus | undefined> {
  let status = ctx.client.status;
  if (ctx.client.state.kind === 'running') {
    try {
      status = await ctx.client.request0(GetStatus);
      ctx.client.setStatus(status);
    } catch (e) {
      ctx.log.warn(`Could not refresh the index status: ${(e as Error).message}`);
    }
  }
  const view = statusView(ctx.client.state, status, ctx.indexing);
  const state = ctx.client.state;
  const items: Line[] = [headlineItem(view, status !== undefined)];
  if (state.kind === 'running') {
    const m = state.init.model;
    items.push({ label: `Model: ${m.name}`, description: `${m.id} · ${engineLabel(m)}${m.trained ? '' : ' · untrained'}`, detail: m.dir });
  }
  if (status) items.push(...statusLines(status, state.kind === 'running' ? state.init.model.id : undefined).map((l) => ({ label: l })));
  items.push({ label: 'Actions', kind: vscode.QuickPickItemKind.Separator });
  const actions: ErrorAction[] = ['Index Workspace', 'Rebuild Index', 'Select Model', 'Restart Sidecar', 'Show Logs'];
  items.push(...actions.map((a) => ({ label: `$(arrow-right) ${a}`, action: a })));
  void vscode.window.showQuickPick(items, { title: 'DR.EHR: index status' }).then((p) => p?.action && runAction(p.action));
  return status;
}

export function register(ctx: Ctx): void {
  ctx.extensionScope.push(vscode.commands.registerCommand('drehr.showIndexStatus', () => showIndexStatus(ctx)));
}
