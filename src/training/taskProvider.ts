/**
 * The `drehr` task type: tasks for the runs of the runs folder (re-run or resume a run), the distributed index task
 * (`"stage": "index"`, indexTaskProvider.ts), and resolution of the tasks users write in tasks.json. Each runs the trainer with a ProcessExecution (command line in
 * taskDefinition.ts), so VS Code owns the process: Terminate Task stops it.
 */
import * as vscode from 'vscode';
import { checkTaskDefinition, taskLabel, trainerCommandLine, TASK_TYPE, type DrehrTaskDefinition } from './taskDefinition';
import { findInterpreter, trainerRoot } from './pythonEnv';
import type { RunsModel } from './runsModel';
import { checkIndexTask, INDEX_STAGE, isIndexTask } from './indexTask';
import { buildIndexTask, offeredIndexTask, type IndexTaskDeps } from './indexTaskProvider';

export interface TaskDeps extends IndexTaskDeps {
  extensionPath: string;
  log: vscode.LogOutputChannel;
  model: RunsModel;
  workspaceFolder(): vscode.WorkspaceFolder | undefined;
}

export async function buildTask(def: DrehrTaskDefinition, folder: vscode.WorkspaceFolder, deps: TaskDeps, original?: vscode.TaskDefinition): Promise<vscode.Task> {
  const py = await findInterpreter(folder.uri.fsPath);
  for (const n of py.notes) deps.log.debug(`Training interpreter: ${n}`);
  deps.log.info(`Training interpreter: ${py.command} (from ${py.source})`);
  const cl = trainerCommandLine(def, {
    python: py.command,
    workspaceRoot: folder.uri.fsPath,
    trainerRoot: trainerRoot(deps.extensionPath),
    ...(process.env.PYTHONPATH ? { pythonPath: process.env.PYTHONPATH } : {}),
  });
  const exec = new vscode.ProcessExecution(cl.command, cl.args, { cwd: cl.cwd, env: cl.env });
  const task = new vscode.Task(original ?? def, folder, taskLabel(def), TASK_TYPE, exec, []);
  task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, panel: vscode.TaskPanelKind.Dedicated, clear: true, showReuseMessage: false };
  task.detail = `python -m drehr_train ${def.stage}${def.config ? ` --config ${def.config}` : ''}${(def.nproc ?? 1) > 1 ? ` (torchrun × ${def.nproc})` : ''}`;
  if (def.stage === 'stage1' || def.stage === 'stage2') task.group = vscode.TaskGroup.Build;
  return task;
}

export class DrehrTaskProvider implements vscode.TaskProvider {
  constructor(private readonly deps: TaskDeps) {}

  /** One task per run with a valid run.json: running it again resumes from the run's last complete checkpoint. */
  async provideTasks(): Promise<vscode.Task[]> {
    const folder = this.deps.workspaceFolder();
    if (!folder) return [];
    await this.deps.model.refresh();
    const tasks: vscode.Task[] = [];
    for (const run of this.deps.model.runs) {
      if (!run.config) continue;
      const rel = vscode.workspace.asRelativePath(vscode.Uri.file(`${run.dir}/run.json`), false);
      const def: DrehrTaskDefinition = { type: TASK_TYPE, stage: run.config.stage, config: rel, ...(run.config.nproc > 1 ? { nproc: run.config.nproc } : {}) };
      tasks.push(await buildTask(def, folder, this.deps));
    }
    tasks.push(await buildIndexTask(offeredIndexTask(), folder, this.deps));
    return tasks;
  }

  async resolveTask(task: vscode.Task): Promise<vscode.Task | undefined> {
    const checked = isIndexTask(task.definition) ? checkIndexTask(task.definition) : checkTaskDefinition(task.definition);
    if (!checked.ok) {
      const msg = `DR.EHR task "${task.name}": ${checked.message}.`;
      this.deps.log.error(msg);
      void vscode.window.showErrorMessage(msg);
      return undefined;
    }
    const scope = task.scope;
    const folder = scope !== undefined && typeof scope === 'object' ? scope : this.deps.workspaceFolder();
    if (!folder) {
      void vscode.window.showErrorMessage('DR.EHR tasks run in a workspace folder: open a folder first.');
      return undefined;
    }
    const def = checked.value;
    return def.stage === INDEX_STAGE ? buildIndexTask(def, folder, this.deps, task.definition) : buildTask(def, folder, this.deps, task.definition);
  }
}
