/**
 * The `drehr` index task in VS Code: `drehr index --distributed` under torchrun (indexTask.ts builds the command
 * line) as a ProcessExecution, so VS Code owns the processes and Terminate Task stops them. The model, index,
 * device and engine come from the drehr.* settings unless the task definition names them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EngineConfig } from '../shared/protocol';
import { indexTaskCommandLine, indexTaskLabel, INDEX_STAGE, type IndexTaskDefinition } from './indexTask';
import { findInterpreter, trainerRoot } from './pythonEnv';
import { TASK_TYPE } from './taskDefinition';

export interface IndexTaskDeps {
  extensionPath: string;
  log: vscode.LogOutputChannel;
  /** The editor's engine settings, resolved against the workspace. */
  engineConfig: () => Pick<EngineConfig, 'modelDir' | 'indexLocation' | 'device' | 'engine'>;
}

/** GPUs the NVIDIA driver lists, at least 1: the ranks of the task the provider offers. */
export function localGpuCount(): number {
  try {
    return Math.max(1, fs.readdirSync('/proc/driver/nvidia/gpus').length);
  } catch {
    return 1;
  }
}

export async function buildIndexTask(def: IndexTaskDefinition, folder: vscode.WorkspaceFolder, deps: IndexTaskDeps, original?: vscode.TaskDefinition): Promise<vscode.Task> {
  const py = await findInterpreter(folder.uri.fsPath);
  deps.log.info(`Distributed index task: torchrun from ${py.command} (from ${py.source}), ${def.nproc ?? 1} rank(s) on this machine.`);
  const cl = indexTaskCommandLine(def, {
    python: py.command,
    node: process.execPath,
    cliJs: path.join(deps.extensionPath, 'dist', 'cli.js'),
    workspaceRoot: folder.uri.fsPath,
    trainerRoot: trainerRoot(deps.extensionPath),
    ...(process.env.PYTHONPATH ? { pythonPath: process.env.PYTHONPATH } : {}),
    engine: deps.engineConfig(),
  });
  const exec = new vscode.ProcessExecution(cl.command, cl.args, { cwd: cl.cwd, env: cl.env });
  const task = new vscode.Task(original ?? def, folder, indexTaskLabel(def), TASK_TYPE, exec, []);
  task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, panel: vscode.TaskPanelKind.Dedicated, clear: true, showReuseMessage: false };
  task.detail = `drehr index --distributed (torchrun × ${def.nproc ?? 1}; docs/DISTRIBUTED.md)`;
  return task;
}

/** The index task offered in Run Task: one rank per local GPU. */
export function offeredIndexTask(): IndexTaskDefinition {
  return { type: TASK_TYPE, stage: INDEX_STAGE, nproc: localGpuCount() };
}
