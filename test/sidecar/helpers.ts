/** Shared set-up for the sidecar suite: temp workspaces, the demo model, engine configs. */
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EngineConfig } from '../../src/shared/protocol';
import { defaultEngineConfig } from '../../src/sidecar/defaults';
import { probeTorch } from '../../src/sidecar/encoder/engineChoice';
import type { Logger } from '../../src/sidecar/log';

export const repoRoot = process.cwd();
export const modelDir = process.env.DREHR_TEST_MODEL ?? path.join(repoRoot, 'models', 'demo');
export const demoNotes = path.join(repoRoot, 'demo', 'notes');

/**
 * The sidecar suites need a model (models/demo is committed). A missing one fails the suite with what to do,
 * never skips it: a broken checkout or a wrong DREHR_TEST_MODEL must not let the run pass having tested nothing.
 */
/**
 * A suite's `before`: PyTorch must run under `python`. In CI its absence is a failure (scripts/setup.sh installs
 * python3-torch); elsewhere the suite is skipped, saying why.
 */
export async function requireTorch(ctx: Mocha.Context, python: string): Promise<void> {
  const probe = await probeTorch(python);
  if (probe.ok) return;
  if (process.env.CI) throw new Error(`${python} cannot run PyTorch (${probe.reason}); scripts/setup.sh installs python3-torch`);
  console.warn(`skipping: ${python} cannot run PyTorch (${probe.reason}); set DREHR_TEST_PYTHON`);
  ctx.skip();
}

/** The exit code of a child process, now or when it exits (null when a signal ended it). */
export function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));
}

/**
 * Calls `each` with every JSON object a stream writes a line at a time (`--progress json` on stderr), whole lines only:
 * a line split across chunks waits for its end; lines that are not JSON objects (warnings) are passed over.
 */
export function onJsonLines(stream: NodeJS.ReadableStream | null | undefined, each: (obj: Record<string, unknown>) => void): void {
  let pending = '';
  stream?.on('data', (d: Buffer) => {
    pending += d.toString();
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    for (const l of parts) if (l.startsWith('{')) each(JSON.parse(l) as Record<string, unknown>);
  });
}

export function requireModel(): void {
  if (fs.existsSync(path.join(modelDir, 'drehr.json'))) return;
  throw new Error(
    `No model at ${modelDir} (drehr.json missing): the sidecar suites need it. models/demo is part of the repository ` +
      '(restore it with git, or train it with scripts/train_demo_model.sh); DREHR_TEST_MODEL names another model folder.',
  );
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `drehr-${prefix}-`));
}

/** A workspace with some demo patients' notes (and optionally the first CSV rows). */
export function makeWorkspace(opts: { patients?: number; csvRows?: number } = {}): string {
  const ws = tempDir('ws');
  const patients = fs.readdirSync(demoNotes).filter((d) => /^p\d+$/.test(d)).sort().slice(0, opts.patients ?? 12);
  for (const p of patients) fs.cpSync(path.join(demoNotes, p), path.join(ws, p), { recursive: true });
  if (opts.csvRows) {
    const csv = fs.readFileSync(path.join(demoNotes, 'exports', 'aci_notes.csv'), 'utf8');
    fs.mkdirSync(path.join(ws, 'exports'));
    fs.writeFileSync(path.join(ws, 'exports', 'aci_notes.csv'), firstCsvRecords(csv, opts.csvRows));
  }
  return ws;
}

/** The header and the first n records of a CSV whose records end with a line that closes the quote. */
function firstCsvRecords(csv: string, n: number): string {
  let inQuote = false;
  let records = -1;
  for (let i = 0; i < csv.length; i++) {
    if (csv[i] === '"') inQuote = !inQuote;
    else if (csv[i] === '\n' && !inQuote && ++records === n) return csv.slice(0, i + 1);
  }
  return csv;
}

export function configFor(ws: string, overrides: Partial<EngineConfig> = {}): EngineConfig {
  return defaultEngineConfig(ws, modelDir, { device: 'cpu', ...overrides });
}

/** A logger that keeps lines for assertions. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m), debug: () => undefined };
}

export function cleanup(...dirs: string[]): void {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
}

/** A copy of the demo model whose drehr.json id differs (a "changed model"). */
export function copyModelWithId(id: string): string {
  const dir = tempDir('model');
  fs.cpSync(modelDir, dir, { recursive: true });
  const d = JSON.parse(fs.readFileSync(path.join(dir, 'drehr.json'), 'utf8')) as Record<string, unknown>;
  d.id = id;
  fs.writeFileSync(path.join(dir, 'drehr.json'), JSON.stringify(d));
  return dir;
}
