/**
 * Follows the trainer processes that `drehr` tasks start: marks their runs live in the runs model, and records
 * the process id and exit code in the run's task.json so a reloaded window (or another window) still knows
 * whether the run is alive, and how it ended.
 */
import * as vscode from 'vscode';
import * as path from 'node:path';
import { checkTaskDefinition, runDirOf, TASK_TYPE } from './taskDefinition';
import { readTaskRecord, writeTaskRecord } from './runFolder';
import type { RunsModel } from './runsModel';

export interface TrackerDeps {
  model: RunsModel;
  log: vscode.LogOutputChannel;
  /** Called after a run's liveness changed. */
  changed(): void;
}

/** The run (id and folder) a task execution trains, when it is a drehr task on a run of the runs folder. */
export function runOfTask(task: vscode.Task, runsDir: string): { id: string; dir: string } | undefined {
  if (task.definition.type !== TASK_TYPE) return undefined;
  const checked = checkTaskDefinition(task.definition);
  if (!checked.ok) return undefined;
  const scope = task.scope;
  const root = scope !== undefined && typeof scope === 'object' ? scope.uri.fsPath : vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (!root) return undefined;
  const dir = runDirOf(checked.value, root);
  if (!dir || path.dirname(dir) !== path.resolve(runsDir)) return undefined;
  return { id: path.basename(dir), dir };
}

export interface TaskTracker extends vscode.Disposable {
  /** Resolves once every task.json write started so far is done (a refresh reads them after this). */
  flush(): Promise<void>;
}

export function trackTasks(deps: TrackerDeps): TaskTracker {
  // Writes run one after another, so a start record never lands after its end record.
  let chain: Promise<void> = Promise.resolve();
  const record = (dir: string, f: () => Promise<void>): void => {
    chain = chain.then(f).catch((e: unknown) => deps.log.warn(`Could not update ${path.join(dir, 'task.json')}: ${(e as Error).message}`));
  };
  // Tasks that were already running when the extension activated.
  for (const ex of vscode.tasks.taskExecutions) {
    const run = runOfTask(ex.task, deps.model.runsDir);
    if (run) deps.model.live.set(run.id, { ended: false, started: true });
  }
  const subs = vscode.Disposable.from(
    vscode.tasks.onDidStartTaskProcess((e) => {
      const run = runOfTask(e.execution.task, deps.model.runsDir);
      if (!run) return;
      deps.log.info(`Training run ${run.id}: trainer started${e.processId ? ` (pid ${e.processId})` : ''}`);
      deps.model.live.set(run.id, { ended: false, started: true });
      record(run.dir, () => writeTaskRecord(run.dir, { ...(e.processId ? { pid: e.processId } : {}), startedAt: new Date().toISOString() }));
      deps.changed();
    }),
    vscode.tasks.onDidEndTaskProcess((e) => {
      const run = runOfTask(e.execution.task, deps.model.runsDir);
      if (!run) return;
      deps.log.info(`Training run ${run.id}: trainer ended, exit code ${e.exitCode ?? 'none (stopped by a signal)'}`);
      deps.model.live.set(run.id, { ended: true, started: true, ...(e.exitCode !== undefined ? { exitCode: e.exitCode } : {}) });
      record(run.dir, async () => {
        const prev = await readTaskRecord(run.dir);
        await writeTaskRecord(run.dir, { ...(prev ?? { startedAt: new Date().toISOString() }), endedAt: new Date().toISOString(), exitCode: e.exitCode ?? null });
      });
      deps.changed();
    }),
  );
  const ends = vscode.tasks.onDidEndTask((e) => {
    // A task whose process never started (the interpreter could not be launched) ends without a process end.
    const run = runOfTask(e.execution.task, deps.model.runsDir);
    const live = run && deps.model.live.get(run.id);
    if (!run || !live || live.ended) return;
    deps.log.warn(`Training run ${run.id}: the task ended${live.started ? '' : ' before its trainer process started'}.`);
    deps.model.live.set(run.id, { ...live, ended: true });
    deps.changed();
  });
  return { flush: () => chain, dispose: () => (subs.dispose(), ends.dispose()) };
}
