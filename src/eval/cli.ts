/**
 * `drehr eval`: the command-line face of the evaluation (src/cli dispatches `eval` here). Prints the tables,
 * saves report.md + report.json, and with --json prints the report on stdout and progress as JSON lines on
 * stderr (the "Evaluate Model" command reads both). Exit codes are listed in args.ts USAGE.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BenchmarkError } from './benchmark';
import { parseEvalArgs, USAGE, type EvalArgs } from './args';
import { DEFAULT_CHUNKING, defaultCacheDir, evaluate, RefusedError, type OpenEngine } from './evaluate';
import { Cancelled } from './run';
import { saveReport, toText } from './report';

export const EXIT = { ok: 0, failed: 1, usage: 2, refused: 3, cancelled: 130 } as const;

/** The shipped demo model: <extension or repo root>/models/demo, found from the bundle's location. */
export function defaultModelDir(): string {
  const candidates = [path.join(__dirname, '..', 'models', 'demo'), path.join(__dirname, '..', '..', 'models', 'demo'), path.resolve('models', 'demo')];
  return candidates.find((c) => fs.existsSync(path.join(c, 'drehr.json'))) ?? candidates[0];
}

/** Where report.md/json go: a training run folder (run.json) gets eval-<benchmark>/ so its own report.md stays. */
export function reportDir(out: string | undefined, benchName: string): string {
  if (!out) return path.resolve('.drehr', 'eval', benchName);
  if (fs.existsSync(path.join(out, 'run.json'))) return path.join(path.resolve(out), `eval-${benchName}`);
  return path.resolve(out);
}

function benchNameOf(dir: string): string {
  try {
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'bench.json'), 'utf8')) as { name?: unknown };
    if (typeof meta.name === 'string' && /^[\w.-]+$/.test(meta.name)) return meta.name;
  } catch {
    // evaluate() reports the unreadable bench.json
  }
  return path.basename(path.resolve(dir));
}

async function realEngine(): Promise<OpenEngine> {
  const m = await import('./engineAdapter');
  return m.openEngine;
}

export async function evalCommand(argv: string[], openEngine?: OpenEngine): Promise<number> {
  let args: EvalArgs;
  try {
    args = parseEvalArgs(argv);
  } catch (e) {
    process.stderr.write(`drehr eval: ${(e as Error).message}\n\n${USAGE}\n`);
    return EXIT.usage;
  }
  if (args.help) {
    process.stdout.write(USAGE + '\n');
    return EXIT.ok;
  }
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigint);
  const progress = (phase: string, done: number, total: number, message: string): void => {
    if (args.json) process.stderr.write(JSON.stringify({ event: 'progress', phase, done, total, message }) + '\n');
    else if (process.stderr.isTTY) process.stderr.write(`\r${message.padEnd(60)}`);
  };
  try {
    const report = await evaluate(
      {
        benchDir: args.bench,
        modelDir: args.model ?? defaultModelDir(),
        rankers: args.rankers,
        chunking: args.chunking ?? DEFAULT_CHUNKING,
        cacheDir: args.cache ?? defaultCacheDir(),
        device: args.device,
        precision: args.precision,
        depth: args.depth,
        ...(args.fusions ? { fusions: args.fusions } : {}),
        signal: controller.signal,
        onProgress: progress,
        tool: 'drehr eval',
      },
      openEngine ?? (await realEngine()),
    );
    if (!args.json && process.stderr.isTTY) process.stderr.write('\n');
    const saved = saveReport(reportDir(args.out, benchNameOf(args.bench)), report);
    if (args.json) {
      process.stderr.write(JSON.stringify({ event: 'saved', ...saved }) + '\n');
      process.stdout.write(JSON.stringify(report) + '\n');
    } else {
      process.stdout.write(toText(report) + `\nSaved ${saved.md} and ${saved.json}\n`);
    }
    return EXIT.ok;
  } catch (e) {
    const err = e as Error;
    const code = e instanceof Cancelled ? EXIT.cancelled : e instanceof RefusedError ? EXIT.refused : e instanceof BenchmarkError ? EXIT.usage : EXIT.failed;
    if (args.json) process.stderr.write(JSON.stringify({ event: 'error', code, message: err.message }) + '\n');
    else process.stderr.write(`drehr eval: ${err.message}\n`);
    return code;
  } finally {
    process.removeListener('SIGINT', onSigint);
    process.removeListener('SIGTERM', onSigint);
  }
}
