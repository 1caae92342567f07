/**
 * The `drehr` task with `"stage": "index"`: `drehr index --distributed` under torchrun (docs/DISTRIBUTED.md).
 * Pure: the task provider hands in the interpreter, the Node executable and the engine settings.
 *
 *   { "type": "drehr", "stage": "index", "nproc": 4 }
 *   → python -m drehr_train.torchrun --standalone --nproc_per_node 4 --no_python <node> <ext>/dist/cli.js
 *       index <workspace> --distributed --model <drehr.modelPath> --index <index> --device <d> --engine <e> --python <python>
 *
 * `torchrunArgs` are added before `--no_python` (multi-node: `--nnodes 2 --node_rank 0 --rdzv_backend c10d
 * --rdzv_endpoint host:29400`); any rendezvous or node flag there replaces `--standalone`.
 */
import * as path from 'node:path';
import { ENGINE_CHOICES, type Device, type EngineChoice, type EngineConfig } from '../shared/protocol';
import { TORCHRUN_MODULE, TASK_TYPE, type Checked, type CommandLine } from './taskDefinition';

export const INDEX_STAGE = 'index';

export interface IndexTaskDefinition {
  type: typeof TASK_TYPE;
  stage: typeof INDEX_STAGE;
  /** Ranks on this machine (torchrun --nproc_per_node); default 1. */
  nproc?: number;
  /** Notes folder, relative to the workspace folder or absolute (default: the workspace folder). */
  folder?: string;
  device?: Device;
  engine?: EngineChoice;
  /** More torchrun arguments (multi-node rendezvous), placed before --no_python. */
  torchrunArgs?: string[];
  rebuild?: boolean;
}

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);

export function isIndexTask(x: unknown): boolean {
  return isObj(x) && x.type === TASK_TYPE && x.stage === INDEX_STAGE;
}

/** Checks an index task definition from tasks.json (untrusted JSON); the message names the property. */
export function checkIndexTask(x: unknown): Checked<IndexTaskDefinition> {
  if (!isIndexTask(x)) return { ok: false, message: `not a "${TASK_TYPE}" task with "stage": "${INDEX_STAGE}"` };
  const o = x as Obj;
  const def: IndexTaskDefinition = { type: TASK_TYPE, stage: INDEX_STAGE };
  if (o.nproc !== undefined) {
    if (!Number.isInteger(o.nproc) || (o.nproc as number) < 1 || (o.nproc as number) > 64) return { ok: false, message: '"nproc" must be a whole number from 1 to 64' };
    def.nproc = o.nproc as number;
  }
  if (o.folder !== undefined) {
    if (typeof o.folder !== 'string' || o.folder.trim() === '') return { ok: false, message: '"folder" must be a path to the notes folder' };
    def.folder = o.folder;
  }
  if (o.device !== undefined) {
    if (o.device !== 'auto' && o.device !== 'cpu' && o.device !== 'cuda') return { ok: false, message: '"device" must be auto, cpu or cuda' };
    def.device = o.device;
  }
  if (o.engine !== undefined) {
    if (typeof o.engine !== 'string' || !(ENGINE_CHOICES as readonly string[]).includes(o.engine)) return { ok: false, message: `"engine" must be one of ${ENGINE_CHOICES.join(', ')}` };
    def.engine = o.engine as EngineChoice;
  }
  if (o.torchrunArgs !== undefined) {
    if (!Array.isArray(o.torchrunArgs) || !o.torchrunArgs.every((a) => typeof a === 'string')) return { ok: false, message: '"torchrunArgs" must be a list of strings' };
    if (o.torchrunArgs.some((a: string) => /^--(nproc[_-]per[_-]node|no[_-]python)\b/.test(a))) return { ok: false, message: '"torchrunArgs" must not set --nproc_per_node or --no_python (use "nproc")' };
    def.torchrunArgs = o.torchrunArgs as string[];
  }
  if (o.rebuild !== undefined) {
    if (typeof o.rebuild !== 'boolean') return { ok: false, message: '"rebuild" must be true or false' };
    def.rebuild = o.rebuild;
  }
  return { ok: true, value: def };
}

export interface IndexCommandContext {
  python: string;
  /** The Node executable (the extension host's, run as Node with ELECTRON_RUN_AS_NODE=1). */
  node: string;
  /** dist/cli.js of the extension. */
  cliJs: string;
  workspaceRoot: string;
  trainerRoot: string;
  pythonPath?: string;
  /** The editor's engine settings (model, index location, device, engine). */
  engine: Pick<EngineConfig, 'modelDir' | 'indexLocation' | 'device' | 'engine'>;
}

const MULTI_NODE = /^--(nnodes|node[_-]rank|rdzv[_-](backend|endpoint|id)|master[_-](addr|port))\b/;

/** The process an index task runs. Pure. */
export function indexTaskCommandLine(def: IndexTaskDefinition, ctx: IndexCommandContext): CommandLine {
  const extra = def.torchrunArgs ?? [];
  const args = ['-m', TORCHRUN_MODULE, ...(extra.some((a) => MULTI_NODE.test(a)) ? [] : ['--standalone']), '--nproc_per_node', String(def.nproc ?? 1), ...extra, '--no_python'];
  const folder = path.resolve(ctx.workspaceRoot, def.folder ?? '.');
  args.push(ctx.node, ctx.cliJs, 'index', folder, '--distributed', '--model', ctx.engine.modelDir, '--index', ctx.engine.indexLocation);
  args.push('--device', def.device ?? ctx.engine.device, '--engine', def.engine ?? ctx.engine.engine ?? 'auto', '--python', ctx.python);
  if (def.rebuild) args.push('--rebuild');
  const pythonPath = [ctx.trainerRoot, ...(ctx.pythonPath ? [ctx.pythonPath] : [])].join(path.delimiter);
  return {
    command: ctx.python,
    args,
    cwd: ctx.workspaceRoot,
    env: { PYTHONPATH: pythonPath, PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8', ELECTRON_RUN_AS_NODE: '1' },
  };
}

/** "index (torchrun × 4)". */
export function indexTaskLabel(def: IndexTaskDefinition): string {
  return `index (torchrun × ${def.nproc ?? 1}${def.folder ? `, ${def.folder}` : ''})`;
}
