/**
 * "DR.EHR: Generate Synthetic Pairs" (drehr.generateSyntheticPairs) and "DR.EHR: Set LLM API Key"
 * (drehr.setLlmApiKey). Generation runs in the sidecar (drehr/synthGenerate): a cancellable progress notification,
 * then a summary with Open Pairs / Review Pairs. A second run on the same file resumes.
 *
 * Privacy: the API key lives in SecretStorage (never in settings or logs); an endpoint that is not on this machine
 * needs drehr.llm.allowRemote and a modal confirmation that note text will leave the machine.
 * Arguments (tests, scripts): `{ generator, types, outPath, confirmRemote }` skip the matching questions.
 */
import * as vscode from 'vscode';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Ctx } from '../ctx';
import { readSynthSettings, resolvePath } from '../config';
import { ENTITY_TYPES, isLoopbackUrl, type EntityType, type GeneratorName } from '../shared/pairs';
import { SynthGenerate, type SynthGenerateParams, type SynthGenerateResult } from '../shared/protocol';
import { isCancellation } from '../sidecar-client/errors';
import { REVIEW_COMMAND } from '../views/pairsReview';
import { reportError, requireFolder, requireTrust } from './guard';

export const API_KEY_SECRET = 'drehr.llm.apiKey';

export interface GenerateArgs {
  generator?: GeneratorName;
  types?: EntityType[];
  outPath?: string;
  /** Skip the remote-endpoint modal (tests); the allowRemote setting is still required. */
  confirmRemote?: boolean;
}

function summary(r: SynthGenerateResult): string {
  const head = r.cancelled ? 'Generation cancelled' : r.stopped ? 'Generation stopped' : 'Generated';
  let s = `${head}: ${r.pairs} pairs (${r.explicit} explicit, ${r.implicit} implicit) from ${r.calls} calls over ${r.chunks} chunks in ${(r.durationMs / 1000).toFixed(1)} s.`;
  if (r.skipped) s += ` ${r.skipped} calls were already answered (resumed).`;
  if (r.failed) s += ` ${r.failed} calls failed: run the command again on the same file to retry them.`;
  if (r.stopped) s += ` ${r.stopped}.`;
  if (r.cancelled) s += ' Run it again on the same file to continue.';
  return s;
}

async function ask(ctx: Ctx, args: GenerateArgs, root: string): Promise<SynthGenerateParams | undefined> {
  const { settings, warnings } = readSynthSettings(vscode.workspace.getConfiguration('drehr'));
  for (const w of warnings) ctx.log.warn(w);
  let generator = args.generator;
  if (!generator) {
    const picked = await vscode.window.showQuickPick(
      [
        { label: 'Knowledge graph', description: 'default, no LLM needed', detail: 'Entity mentions found by the graph (explicit) and their hypernyms (implicit).', generator: 'graph' as const },
        { label: 'LLM', description: settings.model ? `${settings.model} at ${settings.endpoint}` : 'set drehr.llm.model first', detail: 'The paper\'s task: entities mentioned or inferable, per chunk and type, from an OpenAI-compatible server.', generator: 'llm' as const },
      ],
      { title: 'DR.EHR: generate synthetic pairs with' },
    );
    if (!picked) return undefined;
    generator = picked.generator;
  }
  let types = args.types;
  if (!types) {
    const picked = await vscode.window.showQuickPick(
      ENTITY_TYPES.map((t) => ({ label: t, picked: true })),
      { title: 'DR.EHR: entity types', canPickMany: true },
    );
    if (!picked || picked.length === 0) return undefined;
    types = picked.map((p) => p.label as EntityType);
  }
  let outPath = args.outPath;
  if (!outPath) {
    const uri = await vscode.window.showSaveDialog({
      title: 'DR.EHR: pairs file (an existing file is resumed, not overwritten)',
      defaultUri: vscode.Uri.file(path.join(root, '.drehr', 'synth', `pairs-${generator}.jsonl`)),
      filters: { 'Pairs (JSONL)': ['jsonl'] },
    });
    if (!uri) return undefined;
    outPath = uri.fsPath;
  }
  const params: SynthGenerateParams = { workId: randomUUID(), generator, types, outPath };
  if (settings.graphPath) params.graphPath = resolvePath(settings.graphPath, root);
  if (generator === 'llm') {
    if (!settings.model) {
      void vscode.window.showErrorMessage('Set drehr.llm.model to the model name your LLM server serves, then run Generate Synthetic Pairs again.', 'Open Settings').then((a) => {
        if (a) void vscode.commands.executeCommand('workbench.action.openSettings', 'drehr.llm');
      });
      return undefined;
    }
    if (!isLoopbackUrl(settings.endpoint)) {
      if (!settings.allowRemote) {
        void vscode.window
          .showErrorMessage(`The LLM endpoint ${settings.endpoint} is not on this machine. Note text would leave it: turn on drehr.llm.allowRemote to allow that, or use a local server.`, 'Open Settings')
          .then((a) => a && vscode.commands.executeCommand('workbench.action.openSettings', 'drehr.llm'));
        return undefined;
      }
      if (!args.confirmRemote) {
        const host = new URL(settings.endpoint).host;
        const ok = await vscode.window.showWarningMessage(
          `Send note text to ${host}?`,
          { modal: true, detail: `Generating pairs with this endpoint sends every chunk of the notes in this folder to ${host}, outside this machine. Do this only if the notes are de-identified and you may share them with that service.` },
          'Send Note Text',
        );
        if (ok !== 'Send Note Text') return undefined;
      }
    }
    const apiKey = await ctx.extension.secrets.get(API_KEY_SECRET);
    params.llm = { endpoint: settings.endpoint, model: settings.model, concurrency: settings.concurrency, timeoutSeconds: settings.timeoutSeconds, allowRemote: settings.allowRemote, ...(apiKey ? { apiKey } : {}) };
  }
  return params;
}

export async function generateCommand(ctx: Ctx, args: GenerateArgs = {}): Promise<SynthGenerateResult | undefined> {
  const root = requireFolder(ctx);
  if (!root || !requireTrust('Generating synthetic pairs')) return undefined;
  const params = await ask(ctx, args ?? {}, root);
  if (!params) return undefined;
  ctx.log.info(`Synthetic pairs: ${params.generator} generator, types ${params.types.join(', ')}, into ${params.outPath}.`);
  try {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `DR.EHR: generating synthetic pairs (${params.generator})`, cancellable: true },
      async (progress, token) => {
        let last = 0;
        const sub = ctx.client.onProgress((p) => {
          if (p.workId !== params.workId) return;
          const pct = p.total > 0 ? Math.floor((100 * p.done) / p.total) : 0;
          const inc = p.phase === 'synth' ? Math.max(0, pct - last) : 0;
          if (p.phase === 'synth') last = Math.max(last, pct);
          progress.report({ increment: inc, message: `${p.phase} ${p.done}/${p.total}${p.message ? ` · ${p.message}` : ''}` });
        });
        try {
          return await ctx.client.request(SynthGenerate, params, token, { waitForReply: true });
        } finally {
          sub.dispose();
        }
      },
    );
    const text = summary(result);
    ctx.log.info(text);
    for (const m of result.messages) ctx.log.warn(`Synthetic pairs: ${m}`);
    const actions = ['Review Pairs', 'Open Pairs'];
    const show = result.failed || result.stopped ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    void show(text, ...actions).then((a) => {
      if (a === 'Open Pairs') void vscode.window.showTextDocument(vscode.Uri.file(result.outPath));
      if (a === 'Review Pairs') void vscode.commands.executeCommand(REVIEW_COMMAND, vscode.Uri.file(result.outPath));
    });
    return result;
  } catch (e) {
    if (isCancellation(e)) {
      void vscode.window.showInformationMessage('Generation cancelled. Run it again on the same file to continue: answered calls are kept.');
      return undefined;
    }
    reportError(ctx, e, 'generate synthetic pairs');
    return undefined;
  }
}

async function setApiKey(ctx: Ctx): Promise<void> {
  const key = await vscode.window.showInputBox({
    title: 'DR.EHR: API key of the LLM endpoint',
    prompt: 'Stored in VS Code\'s secret storage, sent only to drehr.llm.endpoint. Leave empty to remove the stored key.',
    password: true,
    ignoreFocusOut: true,
  });
  if (key === undefined) return;
  if (key.trim() === '') {
    await ctx.extension.secrets.delete(API_KEY_SECRET);
    void vscode.window.showInformationMessage('The LLM API key was removed.');
  } else {
    await ctx.extension.secrets.store(API_KEY_SECRET, key.trim());
    void vscode.window.showInformationMessage('The LLM API key is stored in VS Code\'s secret storage.');
  }
}

export function register(ctx: Ctx): void {
  ctx.extensionScope.push(
    vscode.commands.registerCommand('drehr.generateSyntheticPairs', (args?: GenerateArgs) => generateCommand(ctx, args && typeof args === 'object' && !(args instanceof vscode.Uri) ? args : {})),
    vscode.commands.registerCommand('drehr.setLlmApiKey', () => setApiKey(ctx)),
  );
}
