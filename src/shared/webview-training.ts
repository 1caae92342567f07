/**
 * Typed messages between the extension host and the training run panel (bundle webview-ui/training). The host
 * sends a whole snapshot of the run each time it changes (throttled); the loss series is already thinned to at
 * most MAX_LOSS_POINTS so a long run stays cheap to send and draw.
 *
 * Browser-safe: no runtime dependency.
 */

export type RunStatusName = 'running' | 'finished' | 'failed' | 'interrupted';

export const MAX_LOSS_POINTS = 2000;

export interface TrainingRunView {
  id: string;
  stage?: string;
  status: RunStatusName;
  /** One line about the status (no note text). */
  detail: string;
  device?: string;
  step: number;
  totalSteps?: number;
  lastLoss?: number | null;
  lastLr?: number;
  samplesPerS?: number;
  etaS?: number;
  /** [step, loss] pairs in step order; loss null where the trainer wrote NaN/Infinity. */
  losses: Array<[number, number | null]>;
  /** True when `losses` was thinned from a longer series. */
  lossesThinned: boolean;
  evals: Array<{ step: number; metrics: Record<string, number> }>;
  /** Metrics of the done event (the final evaluation), when there are any. */
  finalMetrics?: Record<string, number>;
  parityMaxAbsDiff?: number;
  error?: { message: string; hint?: string };
  /** Problems with run.json. */
  configErrors: string[];
  /** The run finished with a model folder the editor can switch to. */
  canUseModel: boolean;
  modelDir: string;
  /** Base model, data and settings from run.json, for the summary table (paths, numbers; never note text). */
  settings: Array<[string, string]>;
}

/** Host → webview. */
export type TrainingPanelToWebview = { type: 'snapshot'; run: TrainingRunView } | { type: 'gone'; id: string };

/** Webview → host. */
export type TrainingPanelToHost =
  /** The script runs; the host answers with a snapshot. */
  | { type: 'ready' }
  /** The "Use This Model" button. */
  | { type: 'useModel'; id: string }
  /** Open the run folder's events.jsonl / report in an editor. */
  | { type: 'openFile'; id: string; file: 'events' | 'config' | 'report' };

/** What the panel keeps with setState, so a hidden and shown-again panel draws at once. */
export interface TrainingPanelState {
  run?: TrainingRunView;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The host's guard for messages from the panel (a webview is untrusted input). */
export function isTrainingPanelToHost(x: unknown): x is TrainingPanelToHost {
  if (!isObject(x)) return false;
  switch (x.type) {
    case 'ready':
      return true;
    case 'useModel':
      return typeof x.id === 'string';
    case 'openFile':
      return typeof x.id === 'string' && (x.file === 'events' || x.file === 'config' || x.file === 'report');
    default:
      return false;
  }
}

/**
 * Thins a loss series to at most `max` points, keeping the first and last points and, per bucket, the lowest and
 * highest loss so spikes stay visible. Null losses (NaN) are kept: they mark a divergence.
 */
export function thinLosses(points: ReadonlyArray<[number, number | null]>, max = MAX_LOSS_POINTS): Array<[number, number | null]> {
  if (points.length <= max) return points.slice();
  const buckets = Math.max(1, Math.floor((max - 2) / 3));
  const inner = points.slice(1, -1);
  const size = inner.length / buckets;
  const out: Array<[number, number | null]> = [points[0]!];
  for (let b = 0; b < buckets; b++) {
    const slice = inner.slice(Math.floor(b * size), Math.floor((b + 1) * size));
    if (!slice.length) continue;
    let lo: [number, number | null] | undefined;
    let hi: [number, number | null] | undefined;
    let nan: [number, number | null] | undefined;
    for (const p of slice) {
      if (p[1] === null) {
        nan ??= p;
        continue;
      }
      if (!lo || p[1] < lo[1]!) lo = p;
      if (!hi || p[1] > hi[1]!) hi = p;
    }
    const keep = [lo, hi, nan].filter((p): p is [number, number | null] => p !== undefined);
    keep.sort((a, b2) => a[0] - b2[0]);
    for (const p of keep) if (out[out.length - 1] !== p) out.push(p);
  }
  out.push(points[points.length - 1]!);
  return out;
}
