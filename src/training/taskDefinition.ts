/**
 * The `drehr` task type (package.json taskDefinitions) and the command line each definition runs. Pure: the
 * task provider resolves the interpreter and hands it in.
 *
 *   { "type": "drehr", "stage": "stage1", "config": ".drehr/runs/<id>/run.json", "device": "cuda", "nproc": 4 }
 *   → python -m drehr_train.torchrun --standalone --nproc_per_node 4 -m drehr_train stage1 --config <abs> --device cuda
 *
 * torchrun is run as `python -m drehr_train.torchrun` (the trainer's wrapper of torch.distributed.run, with a fix
 * for PyTorch < 2.0 on Python >= 3.11) so it uses the same interpreter as a single-process run and needs no second
 * executable on PATH.
 */
import * as path from 'node:path';
import type { Device } from '../shared/protocol';

export const TASK_TYPE = 'drehr';
export const TRAINER_MODULE = 'drehr_train';
/** `torchrun` with the same interpreter: the trainer's wrapper of torch.distributed.run. */
export const TORCHRUN_MODULE = 'drehr_train.torchrun';
export const TASK_STAGES = ['stage1', 'stage2', 'export', 'eval'] as const;
export type TaskStage = (typeof TASK_STAGES)[number];

export interface DrehrTaskDefinition {
  type: typeof TASK_TYPE;
  stage: TaskStage;
  /** Run configuration, relative to the workspace folder or absolute. */
  config?: string;
  device?: Device;
  nproc?: number;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Checks a task definition as it comes from tasks.json (untrusted JSON); the message names the property. */
export function checkTaskDefinition(x: unknown): Checked<DrehrTaskDefinition> {
  if (!isObj(x) || x.type !== TASK_TYPE) return { ok: false, message: `not a "${TASK_TYPE}" task` };
  if (typeof x.stage !== 'string' || !(TASK_STAGES as readonly string[]).includes(x.stage)) {
    return { ok: false, message: `"stage" must be one of ${TASK_STAGES.join(', ')}` };
  }
  const def: DrehrTaskDefinition = { type: TASK_TYPE, stage: x.stage as TaskStage };
  if (x.config !== undefined) {
    if (typeof x.config !== 'string' || x.config.trim() === '') return { ok: false, message: '"config" must be a path to a run.json' };
    def.config = x.config;
  }
  if (x.device !== undefined) {
    if (x.device !== 'auto' && x.device !== 'cpu' && x.device !== 'cuda') return { ok: false, message: '"device" must be auto, cpu or cuda' };
    def.device = x.device;
  }
  if (x.nproc !== undefined) {
    if (!Number.isInteger(x.nproc) || (x.nproc as number) < 1 || (x.nproc as number) > 64) {
      return { ok: false, message: '"nproc" must be a whole number from 1 to 64' };
    }
    def.nproc = x.nproc as number;
  }
  if ((def.stage === 'stage1' || def.stage === 'stage2') && def.config === undefined) {
    return { ok: false, message: `"${def.stage}" needs "config": the run.json that "DR.EHR: Train Stage ${def.stage === 'stage1' ? 'I' : 'II'}" writes` };
  }
  if ((def.nproc ?? 1) > 1 && def.stage !== 'stage1' && def.stage !== 'stage2') {
    return { ok: false, message: `"nproc" above 1 applies to stage1 and stage2 only, not ${def.stage}` };
  }
  return { ok: true, value: def };
}

export interface CommandLine {
  command: string;
  args: string[];
  cwd: string;
  /** Environment additions for the trainer process. */
  env: Record<string, string>;
}

export interface CommandLineContext {
  /** The Python interpreter (absolute path or a name on PATH). */
  python: string;
  /** Workspace folder: the working directory and the base of a relative config path. */
  workspaceRoot: string;
  /** Folder that holds the drehr_train package (the extension's python/), put first on PYTHONPATH. */
  trainerRoot: string;
  /** The current PYTHONPATH, kept after the trainer's folder. */
  pythonPath?: string;
}

/** Absolute path of the definition's config, resolved against the workspace folder. */
export function configPath(def: DrehrTaskDefinition, workspaceRoot: string): string | undefined {
  return def.config === undefined ? undefined : path.resolve(workspaceRoot, def.config);
}

/** The process a task definition runs. */
export function trainerCommandLine(def: DrehrTaskDefinition, ctx: CommandLineContext): CommandLine {
  const args: string[] = [];
  const nproc = def.nproc ?? 1;
  if (nproc > 1) args.push('-m', TORCHRUN_MODULE, '--standalone', '--nproc_per_node', String(nproc));
  args.push('-m', TRAINER_MODULE, def.stage);
  const config = configPath(def, ctx.workspaceRoot);
  if (config !== undefined) args.push('--config', config);
  if (def.device !== undefined) args.push('--device', def.device);
  const pythonPath = [ctx.trainerRoot, ...(ctx.pythonPath ? [ctx.pythonPath] : [])].join(path.delimiter);
  return {
    command: ctx.python,
    args,
    cwd: ctx.workspaceRoot,
    env: { PYTHONPATH: pythonPath, PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8' },
  };
}

/** The label VS Code shows for a task: "stage1 stage1-20261206-024413" or "export". */
export function taskLabel(def: DrehrTaskDefinition): string {
  if (def.config === undefined) return def.stage;
  const runId = path.basename(path.dirname(def.config));
  return runId && runId !== '.' ? `${def.stage} ${runId}` : `${def.stage} ${def.config}`;
}

/** The run folder a task writes into: its config's folder (run.json lives in the run folder). */
export function runDirOf(def: DrehrTaskDefinition, workspaceRoot: string): string | undefined {
  const c = configPath(def, workspaceRoot);
  return c === undefined ? undefined : path.dirname(c);
}
