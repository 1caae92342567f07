/**
 * Shared answers of commands: errors explained with action buttons, "open a folder first", and the workspace
 * trust check. Messages are shown without awaiting the user's click, so a command's promise settles at once.
 */
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { explainError, type ErrorAction, type Explained } from '../sidecar-client/errors';

const ACTION_COMMANDS: Record<ErrorAction, string> = {
  'Restart Sidecar': 'drehr.restartSidecar',
  'Show Logs': 'drehr.showLogs',
  'Select Model': 'drehr.selectModel',
  'Index Workspace': 'drehr.indexWorkspace',
  'Rebuild Index': 'drehr.rebuildIndex',
  'Manage Workspace Trust': 'workbench.trust.manage',
};

export function runAction(action: ErrorAction): void {
  void vscode.commands.executeCommand(ACTION_COMMANDS[action]);
}

/** Shows a message with buttons; a click runs the matching command. Does not wait for the click. */
export function offer(severity: 'error' | 'warning' | 'info', message: string, actions: ErrorAction[]): void {
  const show =
    severity === 'error'
      ? vscode.window.showErrorMessage
      : severity === 'warning'
        ? vscode.window.showWarningMessage
        : vscode.window.showInformationMessage;
  void show(message, ...actions).then((picked) => picked && runAction(picked));
}

/** Logs and shows an error from a sidecar request; a cancellation is silent. Returns the explanation. */
export function reportError(ctx: Ctx, err: unknown, doing: string): Explained {
  const explained = explainError(err, doing);
  if (explained.kind === 'cancelled') return explained;
  ctx.log.error(explained.message);
  offer('error', explained.message, explained.actions);
  return explained;
}

/** The workspace folder, or undefined after telling the user to open one. */
export function requireFolder(ctx: Ctx): string | undefined {
  const root = ctx.workspaceRoot;
  if (!root) void vscode.window.showWarningMessage('DR.EHR works on a folder of notes: open a folder first (File › Open Folder).');
  return root;
}

/** True in a trusted workspace; otherwise says why `what` needs trust and offers to manage it. */
export function requireTrust(what: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  offer('warning', `${what} reads and writes files in this folder, so it needs a trusted workspace. Searching an existing index works in Restricted Mode.`, [
    'Manage Workspace Trust',
  ]);
  return false;
}
