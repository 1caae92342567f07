/**
 * Select Model: the demo model, model folders under the runs folder (those with a drehr.json), or "Browse…";
 * the folder is checked with the sidecar's ValidateModel before drehr.modelPath is written (which restarts
 * the sidecar). Called with a folder path as argument it skips the picker (tests, other features).
 */
import * as vscode from 'vscode';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Ctx } from '../ctx';
import { defaultModelDir, modelDir, runsFolder } from '../config';
import { ValidateModel, type ModelInfo } from '../shared/protocol';
import { explainError } from '../sidecar-client/errors';
import { offer } from './guard';

export type SelectModelResult = { ok: true; model: ModelInfo; modelDir: string } | { ok: false; message: string };

interface ModelItem extends vscode.QuickPickItem {
  dir?: string;
  browse?: boolean;
}

/** Folders holding a drehr.json under `root`, at most `depth` levels down (run/model/, run/checkpoints/…). */
export async function findModelFolders(root: string, depth = 3): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, left: number): Promise<void> => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    if (entries.some((e) => e.isFile() && e.name === 'drehr.json')) out.push(dir);
    if (left === 0) return;
    await Promise.all(entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => walk(path.join(dir, e.name), left - 1)));
  };
  await walk(root, depth);
  return out.sort();
}

async function describe(dir: string): Promise<string> {
  try {
    const j = JSON.parse(await fs.readFile(path.join(dir, 'drehr.json'), 'utf8')) as { name?: unknown; description?: unknown; trained?: unknown };
    const name = typeof j.name === 'string' ? j.name : path.basename(dir);
    return `${name}${j.trained === false ? ' (untrained)' : ''}${typeof j.description === 'string' ? ` — ${j.description}` : ''}`;
  } catch {
    return 'drehr.json unreadable';
  }
}

async function pick(ctx: Ctx): Promise<string | undefined> {
  const root = ctx.workspaceRoot;
  const demo = defaultModelDir(ctx.extension.extensionPath);
  const current = modelDir(ctx.config, ctx.places());
  const items: ModelItem[] = [{ label: '$(package) Demo model', description: await describe(demo), detail: demo, dir: demo }];
  if (root) {
    const runs = runsFolder(ctx.config, root);
    const found = await findModelFolders(runs);
    if (found.length > 0) items.push({ label: 'Training runs', kind: vscode.QuickPickItemKind.Separator });
    for (const dir of found) {
      items.push({ label: `$(beaker) ${path.relative(runs, dir)}`, description: await describe(dir), detail: dir, dir });
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

/** The value written to drehr.modelPath: '' for the demo model, workspace-relative inside the workspace. */
export function settingValue(dir: string, demoDir: string, root: string | undefined): string {
  if (path.resolve(dir) === path.resolve(demoDir)) return '';
  if (root) {
    const rel = path.relative(root, dir);
    if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) return rel.split(path.sep).join('/');
  }
  return dir;
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
  await vscode.workspace.getConfiguration('drehr').update('modelPath', value, target);
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
