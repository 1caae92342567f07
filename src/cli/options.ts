/** Turns the CLI's folder and flags into an EngineConfig. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ENGINE_CHOICES, PRECISIONS, type Device, type EngineChoice, type EngineConfig, type Precision } from '../shared/protocol';
import { defaultEngineConfig } from '../sidecar/defaults';
import { stringFlag, UsageError, type ParsedArgs } from './args';

/** models/demo beside dist/ (the bundle lives in dist/). */
export function defaultModelDir(): string {
  return path.join(__dirname, '..', 'models', 'demo');
}

/** The torch engine's interpreter: --python, else DREHR_PYTHON, else /usr/bin/python3 where it exists, else python3. */
export function cliPython(flag: string | undefined, env = process.env, exists: (p: string) => boolean = fs.existsSync): string {
  return flag?.trim() || env.DREHR_PYTHON?.trim() || (exists('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
}

export function engineConfigFrom(folder: string | undefined, args: ParsedArgs): EngineConfig {
  if (!folder) throw new UsageError('a notes folder is needed');
  const root = path.resolve(folder);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new UsageError(`${folder} is not a folder`);
  const device = stringFlag(args, 'device') ?? 'auto';
  if (!['auto', 'cpu', 'cuda'].includes(device)) throw new UsageError('--device must be auto, cpu or cuda');
  const precision = stringFlag(args, 'precision') ?? 'auto';
  if (!PRECISIONS.includes(precision as Precision)) throw new UsageError('--precision must be auto, fp32 or int8');
  const cfg = defaultEngineConfig(root, stringFlag(args, 'model') ?? process.env.DREHR_MODEL ?? defaultModelDir(), { device: device as Device, precision: precision as Precision });
  const engine = stringFlag(args, 'engine') ?? process.env.DREHR_ENGINE ?? 'auto';
  if (!(ENGINE_CHOICES as readonly string[]).includes(engine)) throw new UsageError('--engine must be auto, onnx or torch');
  cfg.engine = engine as EngineChoice;
  cfg.python = cliPython(stringFlag(args, 'python'));
  const index = stringFlag(args, 'index');
  if (index) cfg.indexLocation = /^[a-z][a-z0-9+.-]*:\/\//i.test(index) ? index : path.resolve(index);
  return cfg;
}
