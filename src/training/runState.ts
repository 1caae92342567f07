/**
 * What the editor knows about one training run, folded from its events, and the run's status derived from that
 * plus what it knows about the trainer process. Pure: no vscode, no fs; the run store feeds it.
 */
import type { TrainerEvent } from './events';
import type { RunStatusName } from '../shared/webview-training';

/** One status vocabulary for the run store, the tree view and the run panel. */
export type RunStatus = RunStatusName;

export interface EvalPoint {
  step: number;
  metrics: Record<string, number>;
}

export interface RunProgress {
  stage?: string;
  device?: string;
  startedAt?: number | string;
  step: number;
  totalSteps?: number;
  /** The last step's loss; null when it was NaN/Infinity. */
  lastLoss?: number | null;
  lastLr?: number;
  samplesPerS?: number;
  etaS?: number;
  /** [step, loss] of every step event, in file order (loss null: NaN). */
  losses: Array<[number, number | null]>;
  evals: EvalPoint[];
  lastCheckpoint?: { step: number; path: string };
  export?: { modelDir: string; parityMaxAbsDiff?: number };
  done?: { modelDir?: string; metrics: Record<string, number> };
  error?: { message: string; hint?: string; interrupted?: boolean };
  /** Lines of events.jsonl that were not events (warnings, a partial last line). */
  skippedLines: number;
  /** Number of events folded in. */
  events: number;
}

export function emptyProgress(): RunProgress {
  return { step: 0, losses: [], evals: [], skippedLines: 0, events: 0 };
}

/**
 * Folds one event into the progress (mutates and returns it, so tailing a long run stays linear). A second
 * `start` (a resumed run) keeps the loss history: steps continue from the checkpoint.
 */
export function applyEvent(p: RunProgress, ev: TrainerEvent): RunProgress {
  p.events++;
  switch (ev.event) {
    case 'start':
      p.stage = ev.stage || p.stage;
      p.device = ev.device || p.device;
      p.totalSteps = ev.total_steps;
      if (ev.time !== undefined) p.startedAt = ev.time;
      // A resumed run starts again: an earlier error or an interruption no longer describes it.
      delete p.error;
      delete p.done;
      break;
    case 'step':
      p.step = ev.step;
      if (ev.total_steps !== undefined) p.totalSteps = ev.total_steps;
      p.lastLoss = ev.loss;
      if (ev.lr !== undefined) p.lastLr = ev.lr;
      if (ev.samples_per_s !== undefined) p.samplesPerS = ev.samples_per_s;
      if (ev.eta_s !== undefined) p.etaS = ev.eta_s;
      // A resumed run repeats the steps after its last checkpoint: the new values replace the old ones.
      while (p.losses.length && p.losses[p.losses.length - 1]![0] >= ev.step) p.losses.pop();
      p.losses.push([ev.step, ev.loss]);
      break;
    case 'eval':
      p.evals.push({ step: ev.step, metrics: ev.metrics });
      break;
    case 'checkpoint':
      p.lastCheckpoint = { step: ev.step, path: ev.path };
      break;
    case 'export':
      p.export = { modelDir: ev.model_dir, ...(ev.parity_max_abs_diff !== undefined ? { parityMaxAbsDiff: ev.parity_max_abs_diff } : {}) };
      break;
    case 'done':
      p.done = { metrics: ev.metrics, ...(ev.model_dir !== undefined ? { modelDir: ev.model_dir } : {}) };
      break;
    case 'error':
      p.error = { message: ev.message, ...(ev.hint !== undefined ? { hint: ev.hint } : {}), ...(ev.interrupted ? { interrupted: true } : {}) };
      break;
  }
  return p;
}

/** What the editor knows about the trainer process of a run, beyond its events. */
export interface ProcessInfo {
  /** A task of this window runs the trainer for this run right now. */
  taskRunning: boolean;
  /** The exit code the task reported (undefined: killed by a signal, or unknown). */
  exitCode?: number;
  /** The task ended (in this window or, from the run's task record, in an earlier one). */
  ended: boolean;
  /** The task ended without ever starting a trainer process (the interpreter could not be launched). */
  neverStarted?: boolean;
  /** A process id recorded for the run is still alive (a task of another window, or one that outlived a reload). */
  pidAlive?: boolean;
  /** Milliseconds since the last write to events.jsonl. */
  lastWriteAgeMs?: number;
}

/** A run started outside the editor (a terminal, a script) counts as running while it wrote within this window. */
export const EXTERNAL_RUN_STALE_MS = 10 * 60 * 1000;

/** 130: the trainer's "interrupted"; 128 + SIGHUP, SIGKILL, SIGTERM: killed. */
const INTERRUPT_EXIT_CODES = new Set([130, 129, 137, 143]);

export interface DerivedStatus {
  status: RunStatus;
  /** One line for the tree item and the panel; never note text. */
  detail: string;
}

const EXIT_MEANING: Record<number, string> = {
  1: 'the trainer stopped with an error',
  2: 'the run configuration is invalid',
  3: 'a Python package is missing',
};

/**
 * The status of a run. Order matters: a terminal event the trainer wrote wins over anything the editor guesses;
 * then a live process means running; then the exit code; then, with no process information at all, the age of
 * the last event decides between running (elsewhere) and interrupted.
 */
export function deriveStatus(p: RunProgress, proc: ProcessInfo): DerivedStatus {
  // Stopped on a signal (Terminate Task sends SIGHUP and VS Code reports no exit code) or with the trainer's own
  // exit 130: an interruption, even when the trainer wrote an error event on its way out.
  if (proc.neverStarted && p.events === 0) return { status: 'failed', detail: "the trainer could not be launched: the task's terminal says why" };
  const signalled = proc.ended && (proc.exitCode === undefined || INTERRUPT_EXIT_CODES.has(proc.exitCode));
  if (!p.done && (signalled || p.error?.interrupted)) return { status: 'interrupted', detail: interruptedDetail(p) };
  if (p.error) return { status: 'failed', detail: p.error.message };
  if (p.done) return { status: 'finished', detail: `finished after ${p.step} steps` };
  if (proc.taskRunning || proc.pidAlive) {
    return { status: 'running', detail: p.events === 0 ? 'starting' : progressLine(p) };
  }
  const code = proc.exitCode;
  if (proc.ended && code !== undefined) {
    if (code === 0) return { status: 'failed', detail: 'the trainer exited without a "done" event' };
    return { status: 'failed', detail: `exit code ${code}: ${EXIT_MEANING[code] ?? 'the trainer failed'}` };
  }
  if (proc.pidAlive === undefined && proc.lastWriteAgeMs !== undefined && proc.lastWriteAgeMs < EXTERNAL_RUN_STALE_MS && p.events > 0) {
    return { status: 'running', detail: progressLine(p) };
  }
  return { status: 'interrupted', detail: p.events === 0 ? 'the trainer never started' : interruptedDetail(p) };
}

function interruptedDetail(p: RunProgress): string {
  return p.lastCheckpoint
    ? `interrupted at step ${p.step}; resumes from the checkpoint of step ${p.lastCheckpoint.step}`
    : `interrupted at step ${p.step}, before any checkpoint`;
}

/** "step 120/300 · loss 0.4123" */
export function progressLine(p: RunProgress): string {
  const parts = [p.totalSteps !== undefined ? `step ${p.step}/${p.totalSteps}` : `step ${p.step}`];
  if (p.lastLoss !== undefined) parts.push(`loss ${formatLoss(p.lastLoss)}`);
  return parts.join(' · ');
}

export function formatLoss(x: number | null): string {
  if (x === null) return 'NaN';
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e4) ? x.toExponential(3) : x.toFixed(4);
}

/** The model folder a finished run produced: the done event's, else the export event's, else `<run>/model`. */
export function modelDirOf(p: RunProgress, runDir: string): string {
  return p.done?.modelDir ?? p.export?.modelDir ?? `${runDir.replace(/[\\/]+$/, '')}/model`;
}

/** The metrics to show: the done event's when there are any, else the last evaluation's. */
export function latestMetrics(p: RunProgress): { step?: number; metrics: Record<string, number> } | undefined {
  if (p.done && Object.keys(p.done.metrics).length) return { metrics: p.done.metrics };
  const last = p.evals[p.evals.length - 1];
  return last ? { step: last.step, metrics: last.metrics } : undefined;
}
