/**
 * Geometry of the loss curve: scales, "nice" ticks and SVG path data. Pure (no DOM) so it is unit-tested; main.ts
 * turns it into SVG elements.
 */

export interface ChartBox {
  width: number;
  height: number;
  /** Margins for the axis labels. */
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export interface Scale {
  min: number;
  max: number;
  /** Maps a value to a pixel coordinate. */
  at(v: number): number;
  ticks: number[];
}

/** Tick values at 1, 2 or 5 times a power of ten, about `count` of them, covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) return [min];
  const span = max - min;
  const raw = span / Math.max(1, count);
  const pow = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
  const first = Math.ceil(min / step - 1e-9) * step;
  const out: number[] = [];
  for (let v = first; v <= max + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : +v.toPrecision(12));
  return out;
}

function linear(min: number, max: number, from: number, to: number, count: number): Scale {
  let lo = min;
  let hi = max;
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  return { min: lo, max: hi, at: (v) => from + ((v - lo) / (hi - lo)) * (to - from), ticks: niceTicks(lo, hi, count) };
}

export interface LossChart {
  x: Scale;
  y: Scale;
  /** Path data of the raw losses; NaN losses break the line. */
  raw: string;
  /** Path data of an exponential moving average (smoothing 0.9, bias-corrected), when there are enough points. */
  smooth: string;
  /** Steps where the loss was NaN/Infinity (drawn as markers at the top). */
  nanSteps: number[];
  /** Finite points drawn. */
  points: number;
}

function fmt(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}

export function lossChart(losses: ReadonlyArray<[number, number | null]>, box: ChartBox, smoothing = 0.9): LossChart {
  const finite = losses.filter((p): p is [number, number] => p[1] !== null && Number.isFinite(p[1]));
  const steps = losses.map((p) => p[0]);
  const xMin = steps.length ? Math.min(...steps) : 0;
  const xMax = steps.length ? Math.max(...steps) : 1;
  const ys = finite.map((p) => p[1]);
  const yMin = ys.length ? Math.min(0, ...ys) : 0;
  const yMax = ys.length ? Math.max(...ys) : 1;
  const x = linear(xMin, xMax, box.left, box.width - box.right, 6);
  const y = linear(yMin, yMax, box.height - box.bottom, box.top, 5);
  let raw = '';
  let pen = false;
  for (const [s, l] of losses) {
    if (l === null || !Number.isFinite(l)) {
      pen = false;
      continue;
    }
    raw += `${pen ? 'L' : 'M'}${fmt(x.at(s))},${fmt(y.at(l))}`;
    pen = true;
  }
  let smooth = '';
  if (finite.length >= 10) {
    let ema = 0;
    finite.forEach(([s, l], i) => {
      ema = smoothing * ema + (1 - smoothing) * l;
      const v = ema / (1 - Math.pow(smoothing, i + 1));
      smooth += `${i ? 'L' : 'M'}${fmt(x.at(s))},${fmt(y.at(v))}`;
    });
  }
  return { x, y, raw, smooth, nanSteps: losses.filter((p) => p[1] === null).map((p) => p[0]), points: finite.length };
}

/** Compact number for axis labels and tables: 0.4123, 1.2e-5, 12,000. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1);
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return a >= 100 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toFixed(4);
}

/** "1 h 5 min", "3 min", "40 s" */
export function formatDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '';
  if (s < 60) return `${Math.round(s)} s`;
  const m = Math.round(s / 60);
  return m < 60 ? `${m} min` : `${Math.floor(m / 60)} h ${m % 60} min`;
}
