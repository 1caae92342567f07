/**
 * The sidecar's life seen from the commands: started at activation when a folder is open, Restart Sidecar,
 * Show Logs, and settings changes. A change the sidecar must hear (a new process for the model and device, a new
 * Initialize for the notes, index and chunking settings) is never applied silently: a prompt names the settings
 * and offers the restart (STYLE.md 3); commands that change them on purpose (Select Model) apply them at once.
 */
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { engineChange, engineConfig, restartNeed } from '../config';
import { explainError } from '../sidecar-client/errors';
import { offer } from './guard';

/** Crashes in a row after which the user is told (the status bar says it from the first one). */
export const TELL_AFTER_CRASHES = 3;

export const RESTART_NOW = 'Restart Sidecar';
export const RELOAD_NOW = 'Reload Now';

export function register(ctx: Ctx): void {
  let timer: NodeJS.Timeout | undefined;
  const check = async () => {
    if (!ctx.workspaceRoot) return;
    await ctx.applyingSettings;
    const change = engineChange(ctx.client.appliedConfig, engineConfig(ctx.config, ctx.places()));
    ctx.setPendingSettings(change.need === 'none' ? undefined : change);
    if (change.need === 'none') return;
    const what = change.keys.join(', ');
    ctx.log.info(`Settings changed (${what}): the sidecar uses them after a ${change.need === 'restart' ? 'restart' : 'reload'}; asking.`);
    const action = change.need === 'restart' ? RESTART_NOW : RELOAD_NOW;
    const text =
      change.need === 'restart'
        ? `DR.EHR: ${what} changed. Restart the sidecar to load it? Searches use the current model until then.`
        : `DR.EHR: ${what} changed. Reload the engine to use the new settings? Indexing and search use the old ones until then.`;
    const chosen = await vscode.window.showInformationMessage(text, action);
    if (chosen !== action) return;
    // Settings may have changed again while the prompt was up: apply what they are now.
    const now = engineChange(ctx.client.appliedConfig, engineConfig(ctx.config, ctx.places()));
    if (now.need === 'none') return ctx.setPendingSettings(undefined);
    ctx.log.info(now.need === 'restart' ? `Restarting the sidecar for ${now.keys.join(', ')}.` : `Reloading the sidecar for ${now.keys.join(', ')}.`);
    await (now.need === 'restart' ? ctx.client.restart() : ctx.client.reinitialize());
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
      if (restartNeed((s) => e.affectsConfiguration(s)) === 'none') return;
      clearTimeout(timer);
      timer = setTimeout(() => void check(), 300);
    }),
    // Whatever restarted or reloaded the sidecar (the prompt, Restart Sidecar) may have applied pending settings.
    ctx.client.onState((st) => {
      if (st.kind === 'running' && ctx.pendingSettings) {
        const change = engineChange(ctx.client.appliedConfig, engineConfig(ctx.config, ctx.places()));
        if (change.need === 'none') ctx.setPendingSettings(undefined);
      }
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
