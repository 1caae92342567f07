/**
 * Entry point. activate() stays short: it builds the one Ctx and hands it to each feature's register(ctx).
 * Nothing here loads a model or an index: that is the sidecar's job (src/sidecar-client talks to it).
 */
import * as vscode from 'vscode';
import { Ctx } from './ctx';
import { createLog } from './log';
import { makeApi, type DrehrApi } from './api';
import { register as registerStatusBar } from './statusBar';
import { register as registerSidecar } from './commands/sidecar';
import { register as registerIndexing } from './commands/indexing';
import { register as registerSearch } from './commands/search';
import { register as registerStatus } from './commands/status';
import { register as registerModel } from './commands/model';
import { register as registerNoteDocuments } from './views/noteDocument';
import { register as registerSearchPanel } from './views/searchPanel';
import { register as registerPairsReview } from './views/pairsReview';
import { register as registerWatcher } from './indexing/watcher';
import { register as registerTraining } from './commands/train';
import { register as registerEval } from './commands/eval';
import { register as registerSynth } from './commands/synth';

/** Each feature registers its commands, views and listeners on the context. Order: the sidecar starts last. */
const FEATURES: ((ctx: Ctx) => void)[] = [
  registerStatusBar,
  registerIndexing,
  registerSearch,
  registerStatus,
  registerModel,
  registerNoteDocuments,
  registerSearchPanel,
  registerPairsReview,
  registerWatcher,
  registerTraining,
  registerEval,
  registerSynth,
  registerSidecar,
];

let ctx: Ctx | undefined;

export function activate(context: vscode.ExtensionContext): DrehrApi | undefined {
  const log = createLog(vscode.window);
  context.subscriptions.push(log);
  const started = Date.now();
  try {
    ctx = new Ctx(context, log);
    for (const register of FEATURES) register(ctx);
    ctx.activationMs = Date.now() - started;
    log.info(`DR.EHR activated in ${ctx.activationMs} ms.`);
    return makeApi(ctx);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    log.error(`Activation failed: ${e instanceof Error && e.stack ? e.stack : message}`);
    void vscode.window.showErrorMessage(`DR.EHR could not start: ${message}`, 'Show Logs').then((a) => a && log.show());
    return undefined;
  }
}

export async function deactivate(): Promise<void> {
  await ctx?.client.stop();
  ctx = undefined;
}
