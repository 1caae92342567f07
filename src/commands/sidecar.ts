/**
 * The sidecar's life seen from the commands: started at activation when a folder is open, Restart Sidecar,
 * Show Logs, and settings changes (a new Initialize, or a new process for the model and device).
 */
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { restartNeed } from '../config';
import { explainError } from '../sidecar-client/errors';
import { offer } from './guard';

/** Crashes in a row after which the user is told (the status bar says it from the first one). */
export const TELL_AFTER_CRASHES = 3;

export function register(ctx: Ctx): void {
  let pending: 'reinitialize' | 'restart' | undefined;
  let timer: NodeJS.Timeout | undefined;
  const apply = () => {
    const need = pending;
    pending = undefined;
    if (!ctx.workspaceRoot) return;
    ctx.log.info(need === 'restart' ? 'Model or device changed: restarting the sidecar.' : 'Settings changed: reloading the sidecar.');
    void (need === 'restart' ? ctx.client.restart() : ctx.client.reinitialize());
  };
  ctx.extensionScope.push(
    vscode.commands.registerCommand('drehr.restartSidecar', async () => {
      if (!ctx.workspaceRoot) {
        void vscode.window.showWarningMessage('DR.EHR works on a folder of notes: open a folder first.');
        return;
      }
      ctx.log.info('Restarting the sidecar (requested).');
      await ctx.client.restart();
    }),
    vscode.commands.registerCommand('drehr.showLogs', () => ctx.log.show()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      const need = restartNeed((s) => e.affectsConfiguration(s));
      if (need === 'none') return;
      pending = pending === 'restart' || need === 'restart' ? 'restart' : 'reinitialize';
      clearTimeout(timer);
      timer = setTimeout(apply, 300);
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => {
      if (!ctx.workspaceRoot) return;
      void (ctx.client.state.kind === 'stopped' ? ctx.client.start() : ctx.client.reinitialize());
    }),
    { dispose: () => clearTimeout(timer) },
    // The status bar shows every state; a notification only for what needs the user.
    ctx.client.onState((st) => {
      if (st.kind === 'error') {
        const x = explainError(st.error, 'start the DR.EHR sidecar');
        offer('error', x.message, x.actions);
      } else if (st.kind === 'failed') {
        offer('error', `DR.EHR cannot search or index: ${st.message}`, ['Show Logs', 'Restart Sidecar']);
      } else if (st.kind === 'restarting' && st.attempt === TELL_AFTER_CRASHES) {
        offer('error', `The DR.EHR sidecar keeps stopping (${st.reason}); it restarts with growing delays. The log says why.`, [
          'Show Logs',
          'Restart Sidecar',
        ]);
      }
    }),
  );
  // Started after activate() returns, so activation stays short.
  if (ctx.workspaceRoot) setImmediate(() => void ctx.client.start());
}
