/**
 * Select Model: the demo model, model folders under the runs folder (those with a drehr.json), or "Browse…";
 * the folder is checked with the sidecar's ValidateModel before drehr.modelPath is written (which restarts
 * the sidecar). Called with a folder path as argument it skips the picker (tests, other features).
 */
import * as vscode from 'vscode';
import * as path from 'node:path';
import type { Ctx } from '../ctx';
import { defaultModelDir, modelDir, runsFolder } from '../config';
import { ValidateModel, type ModelInfo } from '../shared/protocol';
import { explainError } from '../sidecar-client/errors';
import { offer } from './guard';
import { describeModel, findModelFolders, settingValue } from './modelPaths';

export { findModelFolders, settingValue } from './modelPaths';

export type SelectModelResult = { ok: true; model: ModelInfo; modelDir: string } | { ok: false; message: string };

interface ModelItem extends vscode.QuickPickItem {
  dir?: string;
  browse?: boolean;
}

async function pick(ctx: Ctx): Promise<string | undefined> {
  const root = ctx.workspaceRoot;
  const demo = defaultModelDir(ctx.extension.extensionPath);
  const current = modelDir(ctx.config, ctx.places());
  const items: ModelItem[] = [{ label: '$(package) Demo model', description: await describeModel(demo), detail: demo, dir: demo }];
  if (root) {
    const runs = runsFolder(ctx.config, root);
    const found = await findModelFolders(runs);
    if (found.length > 0) items.push({ label: 'Training runs', kind: vscode.QuickPickItemKind.Separator });
    for (const dir of found) {
      items.push({ label: `$(beaker) ${path.relative(runs, dir)}`, description: await describeModel(dir), detail: dir, dir });
    }
  }
  items.push({ label: '', kind: vscode.QuickPickItemKind.Separator }, { label: '$(folder-opened) Browse…', browse: true });
  for (const i of items) if (i.dir === current) i.label += '  $(check)';
  const chosen = await vscode.window.showQuickPick(items, { title: 'DR.EHR: select the model', matchOnDescription: true, matchOnDetail: true });
  if (!chosen) return undefined;
  if (!chosen.browse) return chosen.dir;
  const uris = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    canSelectMany: false,
    openLabel: 'Use this model folder',
    title: 'A model folder (config.json, tokenizer.json, onnx/model.onnx, drehr.json)',
  });
  return uris?.[0]?.fsPath;
}

export async function selectModel(ctx: Ctx, dirArg?: unknown): Promise<SelectModelResult | undefined> {
  const dir = typeof dirArg === 'string' && dirArg ? path.resolve(ctx.workspaceRoot ?? '', dirArg) : await pick(ctx);
  if (!dir) return undefined;
  let model: ModelInfo;
  try {
    model = await ctx.client.request(ValidateModel, { modelDir: dir });
  } catch (e) {
    const x = explainError(e, `check the model folder ${dir}`);
    ctx.log.error(x.message);
    offer('error', x.message, x.actions.filter((a) => a !== 'Select Model'));
    return { ok: false, message: x.message };
  }
  const value = settingValue(dir, defaultModelDir(ctx.extension.extensionPath), ctx.workspaceRoot);
  const target = ctx.workspaceRoot ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  // Chosen on purpose: applied at once (a new sidecar process), without the settings-change prompt.
  const applying = (async () => {
    await vscode.workspace.getConfiguration('drehr').update('modelPath', value, target);
    if (ctx.workspaceRoot) await ctx.client.restart();
  })();
  ctx.applyingSettings = applying;
  try {
    await applying;
  } finally {
    if (ctx.applyingSettings === applying) ctx.applyingSettings = undefined;
  }
  ctx.log.info(`Model selected: ${model.id} (${dir}).`);
  const mismatch = ctx.client.status?.modelId !== undefined && ctx.client.status.modelId !== model.id;
  offer(
    'info',
    `Using ${model.name}${model.trained ? '' : ' (untrained)'}. ${mismatch ? 'The index was built with another model: run Index Workspace to re-embed it.' : ''}`.trim(),
    mismatch ? ['Index Workspace'] : [],
  );
  return { ok: true, model, modelDir: dir };
}

export function register(ctx: Ctx): void {
  ctx.extensionScope.push(vscode.commands.registerCommand('drehr.selectModel', (dir?: unknown) => selectModel(ctx, dir)));
}
