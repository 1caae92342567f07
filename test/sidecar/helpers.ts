/** Shared set-up for the sidecar suite: temp workspaces, the demo model, engine configs. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EngineConfig } from '../../src/shared/protocol';
import { defaultEngineConfig } from '../../src/sidecar/defaults';
import type { Logger } from '../../src/sidecar/log';

export const repoRoot = process.cwd();
export const modelDir = process.env.DREHR_TEST_MODEL ?? path.join(repoRoot, 'models', 'demo');
export const demoNotes = path.join(repoRoot, 'demo', 'notes');

/**
 * The sidecar suites need a model (models/demo is committed). A missing one fails the suite with what to do,
 * never skips it: a broken checkout or a wrong DREHR_TEST_MODEL must not let the run pass having tested nothing.
 */
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
