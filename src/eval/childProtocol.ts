/**
 * How the editor talks to `drehr eval --json` running as a child process: the argument list it passes, and
 * the JSON lines the child writes on stderr (progress, saved, error). Pure, so the extension bundle may use it
 * (no engine code comes with it).
 */
import type { ChunkingOptions } from '../shared/protocol';
import type { RankerName } from '../shared/webview-eval';

export interface EvalChildOptions {
  benchDir: string;
  modelDir: string;
  rankers: readonly RankerName[];
  outDir: string;
  chunking: ChunkingOptions;
}

export function evalChildArgs(cliScript: string, o: EvalChildOptions): string[] {
  return [
    cliScript,
    'eval',
    '--bench', o.benchDir,
    '--model', o.modelDir,
    '--ranker', o.rankers.join(','),
    '--out', o.outDir,
    '--chunking', `${o.chunking.words},${o.chunking.overlap},${o.chunking.minWords}`,
    '--json',
  ];
}

export type EvalChildEvent =
  | { event: 'progress'; phase: string; done: number; total: number; message: string }
  | { event: 'saved'; md: string; json: string }
  | { event: 'error'; code: number; message: string }
  /** A line that is not one of ours (an engine warning): shown in the log as it is. */
  | { event: 'log'; line: string };

export function parseChildLine(line: string): EvalChildEvent | undefined {
  const t = line.trim();
  if (!t) return undefined;
  if (t.startsWith('{')) {
    try {
      const o = JSON.parse(t) as Record<string, unknown>;
      if (o.event === 'progress' && typeof o.done === 'number' && typeof o.total === 'number') {
        return { event: 'progress', phase: String(o.phase ?? ''), done: o.done, total: o.total, message: String(o.message ?? '') };
      }
      if (o.event === 'saved' && typeof o.md === 'string' && typeof o.json === 'string') return { event: 'saved', md: o.md, json: o.json };
      if (o.event === 'error' && typeof o.message === 'string') return { event: 'error', code: typeof o.code === 'number' ? o.code : 1, message: o.message };
    } catch {
      // not JSON after all: a log line
    }
  }
  return { event: 'log', line: t };
}

/** What an exit code of `drehr eval` means for the user (args.ts USAGE lists them). */
export function describeExit(code: number | null, signal: string | null): string {
  if (signal) return `the evaluation process was stopped (${signal})`;
  switch (code) {
    case 0: return 'done';
    case 2: return 'the benchmark folder or the arguments are not usable';
    case 3: return 'the benchmark was chunked differently than the index, so it was refused';
    case 130: return 'cancelled';
    default: return `the evaluation failed (exit code ${code})`;
  }
}
