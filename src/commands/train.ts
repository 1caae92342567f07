/**
 * Training commands: "Train Stage I/II" (ask, write the run folder, start the drehr task), "Use This Model",
 * "Refresh Training Runs", and the internal commands behind the tree view (open a run's panel) and scripts/tests
 * (wait for a run's status). Registers the drehr task provider and the Training Runs view.
 */
import * as vscode from 'vscode';
import * as path from 'node:path';
import type { Ctx } from '../ctx';
import { defaultModelDir, engineConfig, modelDir } from '../config';
import type { ModelInfo } from '../shared/protocol';
import { offer, requireFolder, requireTrust } from './guard';
import { selectModel } from './model';
import { TrainingController } from '../training/controller';
import { DrehrTaskProvider, buildTask } from '../training/taskProvider';
import { TASK_TYPE, type DrehrTaskDefinition } from '../training/taskDefinition';
import { buildRunConfig, newRunId, type TrainStage } from '../training/runConfig';
import { createRun, listRunIds } from '../training/runFolder';
import { pickBaseModel, pickDevice, pickStage1Data, pickStage2Data } from '../training/picks';
import { checkBaseModel, dataFromArgs, type PickContext, type TrainArgs } from '../training/trainArgs';
import { checkWithProgress, findInterpreter, showCheckFailure } from '../training/pythonEnv';
import { OPEN_RUN_COMMAND, contextValueOf, type RunsNode } from '../views/trainingRuns';
import type { RunStatus } from '../training/runState';

export const WAIT_RUN_COMMAND = 'drehr.training.waitForRun';

/** What Train Stage I/II returns (undefined when cancelled or refused). */
export interface StartedRun {
  runId: string;
  runDir: string;
}

/** What Use This Model returns. */
export interface UsedModel {
  modelPath: string;
  model: ModelInfo;
  /** Index Workspace ran with the new model. */
  reindexed: boolean;
}

const RELOAD_TIMEOUT_MS = 60_000;

/** Resolves true once the sidecar runs with the model of `dir` loaded (after the restart a setting change causes). */
function waitForModel(ctx: Ctx, dir: string, timeoutMs: number): Promise<boolean> {
  const want = path.resolve(dir);
  const loaded = (): boolean => {
    const s = ctx.client.state;
    return s.kind === 'running' && path.resolve(s.init.model.dir) === want;
  };
  if (loaded()) return Promise.resolve(true);
  return new Promise((resolve) => {
    const sub = ctx.onDidChange(() => {
      if (loaded()) finish(true);
    });
    const timer = setTimeout(() => finish(false), timeoutMs);
    const finish = (ok: boolean): void => {
      clearTimeout(timer);
      sub.dispose();
      resolve(ok);
    };
  });
}

/** A run as the refresh and wait commands return it. */
export interface RunSummary {
  id: string;
  status: RunStatus;
  detail: string;
  contextValue: string;
  step: number;
  totalSteps?: number;
  lastLoss?: number | null;
  modelDir: string;
  modelReady: boolean;
}

export function register(ctx: Ctx): void {
  const training = new TrainingController(ctx);
  const workspaceFolder = (): vscode.WorkspaceFolder | undefined => vscode.workspace.workspaceFolders?.find((f) => f.uri.fsPath === ctx.workspaceRoot);
  const taskDeps = { extensionPath: ctx.extension.extensionPath, log: ctx.log, model: training.model, workspaceFolder, engineConfig: () => engineConfig(ctx.config, ctx.places()) };

  const summary = (id: string): RunSummary | undefined => {
    const r = training.model.get(id);
    if (!r) return undefined;
    return {
      id: r.id,
      status: r.status.status,
      detail: r.status.detail,
      contextValue: contextValueOf(r),
      step: r.progress.step,
      ...(r.progress.totalSteps !== undefined ? { totalSteps: r.progress.totalSteps } : {}),
      ...(r.progress.lastLoss !== undefined ? { lastLoss: r.progress.lastLoss } : {}),
      modelDir: r.modelDir,
      modelReady: r.modelReady,
    };
  };

  async function train(stage: TrainStage, args?: TrainArgs): Promise<StartedRun | undefined> {
    const stageName = stage === 'stage1' ? 'Stage I' : 'Stage II';
    const title = `DR.EHR: Train ${stageName}`;
    if (!requireTrust(`Training (${stageName})`)) return undefined;
    const root = requireFolder(ctx);
    const folder = workspaceFolder();
    if (!root || !folder) return undefined;
    const config = ctx.config;
    const pc: PickContext = {
      workspaceRoot: root,
      currentModelDir: modelDir(config, ctx.places()),
      demoModelDir: defaultModelDir(ctx.extension.extensionPath),
      model: training.model,
      notes: { include: config.include, exclude: config.exclude, chunking: config.chunking },
    };
    await training.refresh();

    // Python first: no point asking five questions for a run that cannot start.
    const py = await findInterpreter(root);
    const check = await checkWithProgress(py.command, root, ctx.extension.extensionPath);
    if (!check.ok) {
      showCheckFailure(check, ctx.log);
      return undefined;
    }
    ctx.log.info(`Training: ${py.command} (from ${py.source}), torch ${check.torch}, CUDA ${check.cuda ? 'available' : 'not available'}`);

    let baseModel: string | undefined;
    let data;
    let device;
    if (args) {
      baseModel = args.baseModel ? path.resolve(root, args.baseModel) : pc.currentModelDir;
      const problem = await checkBaseModel(baseModel);
      if (problem) {
        void vscode.window.showErrorMessage(problem);
        return undefined;
      }
      data = dataFromArgs(stage, args, pc);
      if (typeof data === 'string') {
        void vscode.window.showErrorMessage(`${title}: ${data}.`);
        return undefined;
      }
      device = { device: args.device ?? 'auto', nproc: args.nproc ?? 1 };
    } else {
      baseModel = await pickBaseModel(pc, title);
      if (!baseModel) return undefined;
      data = stage === 'stage1' ? await pickStage1Data(pc, title) : await pickStage2Data(pc, title);
      if (!data) return undefined;
      device = await pickDevice(title);
      if (!device) return undefined;
    }
    if (device.device === 'cuda' && !check.cuda) {
      const go = await vscode.window.showWarningMessage(`${py.command} has a PyTorch without CUDA (torch ${check.torch}), so a "cuda" run will fail. Start it anyway?`, 'Start Anyway');
      if (go !== 'Start Anyway') return undefined;
    }

    const runsDir = training.model.runsDir;
    const now = new Date();
    const runId = newRunId(stage, now, new Set(await listRunIds(runsDir)));
    const runDir = path.join(runsDir, runId);
    const runConfig = buildRunConfig({ stage, id: runId, runDir, baseModel, device: device.device, nproc: device.nproc, data, now, ...(args?.train ? { train: args.train } : {}) });
    try {
      await createRun(runDir, runConfig);
    } catch (e) {
      const msg = `${title}: could not write the run folder ${runDir}: ${(e as Error).message}`;
      ctx.log.error(msg);
      void vscode.window.showErrorMessage(msg);
      return undefined;
    }
    ctx.log.info(`Training run ${runId}: ${stage} from ${baseModel}, device ${device.device}${device.nproc > 1 ? ` × ${device.nproc}` : ''}`);
    const def: DrehrTaskDefinition = {
      type: TASK_TYPE,
      stage,
      config: path.relative(root, path.join(runDir, 'run.json')) || path.join(runDir, 'run.json'),
      ...(device.nproc > 1 ? { nproc: device.nproc } : {}),
    };
    const task = await buildTask(def, folder, taskDeps);
    // Live from now on: the process start is reported a little later.
    training.model.live.set(runId, { ended: false, started: false });
    await training.refresh();
    try {
      await vscode.tasks.executeTask(task);
    } catch (e) {
      training.model.live.set(runId, { ended: true, started: false });
      training.refreshSoon(0);
      const msg = `${title}: the task could not be started: ${(e as Error).message}`;
      ctx.log.error(msg);
      void vscode.window.showErrorMessage(msg);
      return undefined;
    }
    training.panels.open(runId);
    return { runId, runDir };
  }

  async function useRunModel(arg?: RunsNode | string): Promise<UsedModel | undefined> {
    const id = typeof arg === 'string' ? arg : arg?.kind === 'run' ? arg.id : arg?.runId;
    if (!id) {
      void vscode.window.showInformationMessage('Pick a finished run in the Training Runs view and choose "Use This Model".');
      return undefined;
    }
    if (!requireTrust('Switching the model')) return undefined;
    await training.refresh();
    const run = training.model.get(id);
    if (!run) {
      void vscode.window.showErrorMessage(`Training run ${id} no longer exists in ${training.model.runsDir}.`);
      return undefined;
    }
    if (run.status.status !== 'finished' || !run.modelReady) {
      void vscode.window.showErrorMessage(
        run.status.status === 'finished'
          ? `Run ${id} finished but its model folder ${run.modelDir} has no drehr.json: export it first (a drehr task with stage "export").`
          : `Run ${id} is ${run.status.status}: only a finished run has a model to use.`,
      );
      return undefined;
    }
    // Select Model's path: ValidateModel in the sidecar, then drehr.modelPath (which restarts the sidecar).
    const selected = await selectModel(ctx, run.modelDir);
    if (!selected?.ok) return undefined;
    ctx.log.info(`Training run ${id}: its model ${selected.model.id} is now drehr.modelPath; re-embedding the index once the sidecar has it loaded.`);
    const loaded = await waitForModel(ctx, run.modelDir, RELOAD_TIMEOUT_MS);
    if (!loaded) {
      const msg = `The sidecar has not loaded the model of run ${id} yet; run "DR.EHR: Index Workspace" once it has, to re-embed the index.`;
      ctx.log.warn(msg);
      offer('warning', msg, ['Show Logs', 'Index Workspace']);
      return { modelPath: selected.modelDir, model: selected.model, reindexed: false };
    }
    // The index manifest records the model id: a changed model re-embeds every note on this run.
    await vscode.commands.executeCommand('drehr.indexWorkspace');
    return { modelPath: selected.modelDir, model: selected.model, reindexed: true };
  }

  ctx.extensionScope.push(
    training,
    vscode.tasks.registerTaskProvider(TASK_TYPE, new DrehrTaskProvider(taskDeps)),
    vscode.commands.registerCommand('drehr.trainStage1', (args?: TrainArgs) => train('stage1', isArgs(args) ? args : undefined)),
    vscode.commands.registerCommand('drehr.trainStage2', (args?: TrainArgs) => train('stage2', isArgs(args) ? args : undefined)),
    vscode.commands.registerCommand('drehr.useRunModel', useRunModel),
    vscode.commands.registerCommand('drehr.refreshRuns', async (): Promise<RunSummary[]> => {
      await training.refresh();
      return training.model.runs.map((r) => summary(r.id)!);
    }),
    vscode.commands.registerCommand(OPEN_RUN_COMMAND, (id: unknown) => {
      if (typeof id === 'string') training.panels.open(id);
    }),
    vscode.commands.registerCommand(WAIT_RUN_COMMAND, async (id: unknown, until?: RunStatus[], timeoutMs = 60_000, minStep = 0): Promise<RunSummary | undefined> => {
      if (typeof id !== 'string') return undefined;
      const r = await training.waitForStatus(id, Array.isArray(until) ? until : undefined, timeoutMs, typeof minStep === 'number' ? minStep : 0);
      return r ? summary(r.id) : undefined;
    }),
  );
}

/** Command arguments from a keybinding or a script are plain objects; a tree item or a URI is not TrainArgs. */
function isArgs(x: unknown): x is TrainArgs {
  return typeof x === 'object' && x !== null && !(x instanceof vscode.Uri) && !('kind' in x);
}
