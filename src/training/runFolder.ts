/**
 * One run folder on disk (docs/CONTRACTS.md, "Training runs"): reads run.json, tails events.jsonl, and keeps the
 * editor's own record of the trainer process in task.json. Node only (no vscode), so it is unit-tested on temp
 * folders.
 *
 * events.jsonl is append-only; the reader remembers its byte offset and reads only what was appended, leaves a
 * partial last line for the next read, and starts over if the file shrank (a run folder replaced by hand).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { LineSplitter, parseEventLine } from './events';
import { applyEvent, emptyProgress, type RunProgress } from './runState';
import { createFileAtomic, writeFileAtomic } from '../shared/atomicWrite';
import { isRunId, serializeRunConfig, validateRunConfig, type RunConfig } from './runConfig';

export const RUN_JSON = 'run.json';
export const EVENTS_JSONL = 'events.jsonl';
export const TASK_JSON = 'task.json';
const READ_CHUNK = 1 << 20;

/** What the editor records about the task that runs a trainer (task.json; the trainer never reads it). */
export interface TaskRecord {
  pid?: number;
  startedAt: string;
  endedAt?: string;
  exitCode?: number | null;
}

export class EventsTail {
  private offset = 0;
  private splitter = new LineSplitter();
  private ino: number | undefined;
  progress: RunProgress = emptyProgress();
  lastWriteMs: number | undefined;

  constructor(readonly file: string) {}

  /**
   * Reads what was appended since the last call. Returns true when the progress changed. A file that does not
   * exist yet reads as no events.
   */
  async poll(final = false): Promise<boolean> {
    let st;
    try {
      st = await fs.stat(this.file);
    } catch {
      return false;
    }
    this.lastWriteMs = st.mtimeMs;
    if (st.size < this.offset || (this.ino !== undefined && st.ino !== this.ino)) this.reset();
    this.ino = st.ino;
    let changed = false;
    if (st.size > this.offset) {
      const fh = await fs.open(this.file, 'r');
      try {
        const buf = Buffer.alloc(READ_CHUNK);
        while (this.offset < st.size) {
          const { bytesRead } = await fh.read(buf, 0, Math.min(READ_CHUNK, st.size - this.offset), this.offset);
          if (bytesRead === 0) break;
          this.offset += bytesRead;
          for (const line of this.splitter.push(buf.subarray(0, bytesRead))) changed = this.fold(line) || changed;
        }
      } finally {
        await fh.close();
      }
    }
    if (final) {
      // A run that ended may leave a line without its newline: use it only if it is a whole event.
      const rest = this.splitter.flush();
      if (rest !== undefined) changed = this.fold(rest) || changed;
    }
    return changed;
  }

  private fold(line: string): boolean {
    const parsed = parseEventLine(line);
    if (parsed.ok) {
      applyEvent(this.progress, parsed.event);
      return true;
    }
    if (parsed.reason !== 'blank line') this.progress.skippedLines++;
    return false;
  }

  private reset(): void {
    this.offset = 0;
    this.splitter = new LineSplitter();
    this.progress = emptyProgress();
  }
}

export type ConfigRead = { config: RunConfig; errors: [] } | { config?: undefined; errors: string[] };

export async function readRunConfig(runDir: string): Promise<ConfigRead> {
  let text: string;
  try {
    text = await fs.readFile(path.join(runDir, RUN_JSON), 'utf8');
  } catch (e) {
    return { errors: [(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'run.json is missing' : `run.json cannot be read: ${(e as Error).message}`] };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { errors: [`run.json is not valid JSON: ${(e as Error).message}`] };
  }
  const errors = validateRunConfig(value);
  return errors.length ? { errors } : { config: value as RunConfig, errors: [] };
}

/** Creates the run folder and its run.json; refuses to overwrite an existing run. */
export async function createRun(runDir: string, config: RunConfig): Promise<void> {
  const errors = validateRunConfig(config);
  if (errors.length) throw new Error(`The run configuration is invalid: ${errors.join('; ')}`);
  await fs.mkdir(runDir, { recursive: true });
  try {
    await createFileAtomic(path.join(runDir, RUN_JSON), serializeRunConfig(config));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`A run named ${config.id} already exists in ${path.dirname(runDir)}`);
    throw e;
  }
}

export async function readTaskRecord(runDir: string): Promise<TaskRecord | undefined> {
  try {
    const v: unknown = JSON.parse(await fs.readFile(path.join(runDir, TASK_JSON), 'utf8'));
    if (typeof v !== 'object' || v === null || typeof (v as TaskRecord).startedAt !== 'string') return undefined;
    return v as TaskRecord;
  } catch {
    return undefined;
  }
}

export async function writeTaskRecord(runDir: string, rec: TaskRecord): Promise<void> {
  await writeFileAtomic(path.join(runDir, TASK_JSON), JSON.stringify(rec, null, 2) + '\n');
}

export { pidAlive } from '../shared/pid';

/** Names of the run folders under `runsDir`, newest first by name (run ids start with the stage and a UTC time). */
export async function listRunIds(runsDir: string): Promise<string[]> {
  let entries;
  try {
    entries = await fs.readdir(runsDir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.filter((e) => e.isDirectory() && isRunId(e.name)).map((e) => e.name);
}

/** A model folder looks complete enough to offer "Use This Model" (the sidecar validates it for real). */
export async function hasModel(modelDir: string): Promise<boolean> {
  try {
    await fs.access(path.join(modelDir, 'drehr.json'));
    return true;
  } catch {
    return false;
  }
}
