/**
 * The trainer's progress events (docs/CONTRACTS.md, "Training runs"): one JSON object a line on stdout and in
 * `<run>/events.jsonl`. Parsing is strict about types and lenient about noise: a line that is not an event
 * (a warning torch printed, a half-written last line of a killed run) is reported and skipped, never thrown.
 *
 * Pure: no vscode, no fs.
 */

export type TrainerEvent =
  | { event: 'start'; stage: string; total_steps: number; device: string; time?: number | string }
  | {
      event: 'step';
      step: number;
      total_steps?: number;
      /** null when the trainer wrote NaN or Infinity (a diverged run). */
      loss: number | null;
      lr?: number;
      samples_per_s?: number;
      eta_s?: number;
    }
  | { event: 'eval'; step: number; metrics: Record<string, number> }
  | { event: 'checkpoint'; step: number; path: string }
  | { event: 'export'; model_dir: string; parity_max_abs_diff?: number }
  | { event: 'done'; model_dir?: string; metrics: Record<string, number> }
  /** `interrupted`: the trainer stopped on a signal (it says so with "interrupted": true, or a message starting "interrupted"). */
  | { event: 'error'; message: string; hint?: string; interrupted?: boolean };

export type ParsedLine = { ok: true; event: TrainerEvent } | { ok: false; reason: string };

type Obj = Record<string, unknown>;

function isObj(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function num(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isFinite(x) ? x : undefined;
}

function str(x: unknown): string | undefined {
  return typeof x === 'string' ? x : undefined;
}

/** Keeps the finite numeric entries of a metrics object; undefined when it is not an object at all. */
function metrics(x: unknown): Record<string, number> | undefined {
  if (!isObj(x)) return undefined;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(x)) {
    const n = num(v);
    if (n !== undefined) out[k] = n;
  }
  return out;
}

/**
 * Python's json.dumps writes NaN, Infinity and -Infinity, which JSON.parse rejects. Outside strings, turn them
 * into null so a diverged loss still reads as an event.
 */
function parseJsonLenient(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch (first) {
    let out = '';
    let inString = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i]!;
      if (inString) {
        out += c;
        if (c === '\\') out += line[++i] ?? '';
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') {
        inString = true;
        out += c;
        continue;
      }
      const rest = line.slice(i);
      const m = /^(-?Infinity|NaN)\b/.exec(rest);
      if (m) {
        out += 'null';
        i += m[0].length - 1;
        continue;
      }
      out += c;
    }
    if (out === line) throw first;
    return JSON.parse(out);
  }
}

/** Validates one decoded object as an event of the contract. */
export function toEvent(x: unknown): ParsedLine {
  if (!isObj(x)) return { ok: false, reason: 'not a JSON object' };
  const kind = x.event;
  const step = num(x.step);
  switch (kind) {
    case 'start': {
      const total = num(x.total_steps);
      if (total === undefined) return { ok: false, reason: 'start event without total_steps' };
      const time = typeof x.time === 'number' || typeof x.time === 'string' ? x.time : undefined;
      return {
        ok: true,
        event: { event: 'start', stage: str(x.stage) ?? '', total_steps: total, device: str(x.device) ?? '', ...(time !== undefined ? { time } : {}) },
      };
    }
    case 'step': {
      if (step === undefined) return { ok: false, reason: 'step event without a numeric step' };
      if (x.loss !== null && num(x.loss) === undefined) return { ok: false, reason: 'step event without a numeric loss' };
      const ev: TrainerEvent = { event: 'step', step, loss: num(x.loss) ?? null };
      const total = num(x.total_steps);
      if (total !== undefined) ev.total_steps = total;
      const lr = num(x.lr);
      if (lr !== undefined) ev.lr = lr;
      const sps = num(x.samples_per_s);
      if (sps !== undefined) ev.samples_per_s = sps;
      const eta = num(x.eta_s);
      if (eta !== undefined) ev.eta_s = eta;
      return { ok: true, event: ev };
    }
    case 'eval': {
      const m = metrics(x.metrics);
      if (step === undefined || m === undefined) return { ok: false, reason: 'eval event needs step and metrics' };
      return { ok: true, event: { event: 'eval', step, metrics: m } };
    }
    case 'checkpoint': {
      const path = str(x.path);
      if (step === undefined || path === undefined) return { ok: false, reason: 'checkpoint event needs step and path' };
      return { ok: true, event: { event: 'checkpoint', step, path } };
    }
    case 'export': {
      const dir = str(x.model_dir);
      if (dir === undefined) return { ok: false, reason: 'export event without model_dir' };
      const d = num(x.parity_max_abs_diff);
      return { ok: true, event: { event: 'export', model_dir: dir, ...(d !== undefined ? { parity_max_abs_diff: d } : {}) } };
    }
    case 'done': {
      const dir = str(x.model_dir);
      return { ok: true, event: { event: 'done', ...(dir !== undefined ? { model_dir: dir } : {}), metrics: metrics(x.metrics) ?? {} } };
    }
    case 'error': {
      const message = str(x.message);
      if (message === undefined) return { ok: false, reason: 'error event without message' };
      const hint = str(x.hint);
      const interrupted = x.interrupted === true || /^interrupted\b/i.test(message);
      return { ok: true, event: { event: 'error', message, ...(hint !== undefined ? { hint } : {}), ...(interrupted ? { interrupted } : {}) } };
    }
    default:
      return { ok: false, reason: typeof kind === 'string' ? `unknown event "${kind.slice(0, 40)}"` : 'no "event" field' };
  }
}

/** Parses one line of trainer output. Blank lines and non-JSON text (library warnings) come back as not ok. */
export function parseEventLine(line: string): ParsedLine {
  const t = line.trim();
  if (t === '') return { ok: false, reason: 'blank line' };
  if (t[0] !== '{') return { ok: false, reason: 'not JSON' };
  let decoded: unknown;
  try {
    decoded = parseJsonLenient(t);
  } catch {
    return { ok: false, reason: 'malformed JSON (a partial line?)' };
  }
  return toEvent(decoded);
}

/**
 * Splits a byte stream into complete lines. Bytes after the last newline stay buffered until more arrive, so a
 * line being written while we read is never parsed half-way; UTF-8 is decoded per complete line, so a
 * multi-byte character split across reads is decoded whole.
 */
export class LineSplitter {
  private rest: Buffer = Buffer.alloc(0);

  /** Returns the complete lines in `chunk` plus what was buffered before it. */
  push(chunk: Buffer): string[] {
    const buf = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    const lines: string[] = [];
    let start = 0;
    for (let i = buf.indexOf(10, start); i !== -1; i = buf.indexOf(10, start)) {
      lines.push(buf.subarray(start, i).toString('utf8').replace(/\r$/, ''));
      start = i + 1;
    }
    this.rest = Buffer.from(buf.subarray(start));
    return lines;
  }

  /** Bytes waiting for a newline (a run killed mid-write leaves its partial last line here). */
  get pendingBytes(): number {
    return this.rest.length;
  }

  /** The buffered partial line, for a stream that has ended; clears the buffer. */
  flush(): string | undefined {
    if (!this.rest.length) return undefined;
    const s = this.rest.toString('utf8');
    this.rest = Buffer.alloc(0);
    return s;
  }
}
