/**
 * The append-only output of a generation run, and what makes it resumable.
 *
 * `<out>` gets the pairs (one JSON line each, key order fixed); `<out>.calls.jsonl` gets one line per answered
 * (chunk, entity type) call: `{"generator","model","chunk_id","entity_type","pairs","time"}` (plus `usage` for the
 * LLM). Both are written with one write per call (a killed process loses at most the calls in flight). A second
 * run skips the calls already in the calls log and never writes a pair id the out file already holds (so a call
 * whose pairs were written but whose log line was not, is asked again without duplicating pairs). A truncated
 * last line (a run killed mid-write) is cut off at open and reported; every other line stays.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parsePairLine, type EntityType, type GeneratorName, type Pair, type TokenUsage } from '../../shared/pairs';

export const CALLS_SUFFIX = '.calls.jsonl';

const KEY_ORDER: Array<keyof Pair> = [
  'id', 'chunk_id', 'chunk_hash', 'entity', 'entity_type', 'produced_by', 'model', 'prompt_version', 'format', 'generator', 'explicit',
  'evidence', 'concept_id', 'note_id', 'patient_id', 'source', 'row', 'prompt_sha', 'usage', 'suspicion',
];

/** A pair as one JSON line, keys in the contract's order (unknown keys after them). */
export function pairLine(p: Pair): string {
  const o: Record<string, unknown> = {};
  for (const k of KEY_ORDER) if (p[k] !== undefined) o[k] = p[k];
  for (const [k, v] of Object.entries(p)) if (!(k in o) && v !== undefined) o[k] = v;
  return JSON.stringify(o);
}

export interface CallKey {
  generator: GeneratorName;
  model: string;
  chunkId: string;
  type: EntityType;
}

const keyOf = (k: CallKey): string => `${k.generator}\t${k.model}\t${k.chunkId}\t${k.type}`;

export interface OpenedOutput {
  /** Calls already answered by an earlier run. */
  answered: Set<string>;
  /** Pair ids already in the out file. */
  pairIds: Set<string>;
  /** What was repaired or skipped at open (line numbers, never text). */
  notes: string[];
}

/** Cuts a last line that has no newline (a killed writer); returns its 1-based line number, or 0. */
function repairTail(file: string): number {
  if (!fs.existsSync(file)) return 0;
  const buf = fs.readFileSync(file);
  if (buf.length === 0 || buf[buf.length - 1] === 0x0a) return 0;
  const cut = buf.lastIndexOf(0x0a) + 1;
  let line = 1;
  for (let i = 0; i < cut; i++) if (buf[i] === 0x0a) line++;
  fs.truncateSync(file, cut);
  return line;
}

export class PairsOutput {
  private readonly fd: number;
  private readonly callsFd: number;
  readonly answered: Set<string>;
  readonly pairIds: Set<string>;
  readonly notes: string[];
  written = 0;
  duplicates = 0;

  private constructor(readonly file: string, opened: OpenedOutput) {
    this.answered = opened.answered;
    this.pairIds = opened.pairIds;
    this.notes = opened.notes;
    this.fd = fs.openSync(file, 'a');
    this.callsFd = fs.openSync(file + CALLS_SUFFIX, 'a');
  }

  static open(file: string): PairsOutput {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const notes: string[] = [];
    const callsFile = file + CALLS_SUFFIX;
    for (const f of [file, callsFile]) {
      const line = repairTail(f);
      if (line) notes.push(`${path.basename(f)}: line ${line} was incomplete (an interrupted run) and was removed`);
    }
    const pairIds = new Set<string>();
    if (fs.existsSync(file)) {
      let no = 0;
      let broken = 0;
      for (const l of fs.readFileSync(file, 'utf8').split('\n')) {
        no++;
        if (!l.trim()) continue;
        const p = parsePairLine(l);
        if ('error' in p) {
          if (broken++ < 5) notes.push(`${path.basename(file)}:${no}: ${p.error}; left as it is`);
        } else pairIds.add(p.id);
      }
      if (broken > 5) notes.push(`${path.basename(file)}: ${broken - 5} more broken lines`);
    }
    const answered = new Set<string>();
    if (fs.existsSync(callsFile)) {
      for (const l of fs.readFileSync(callsFile, 'utf8').split('\n')) {
        if (!l.trim()) continue;
        try {
          const o = JSON.parse(l) as Record<string, unknown>;
          if (typeof o.chunk_id === 'string' && typeof o.entity_type === 'string' && typeof o.generator === 'string' && typeof o.model === 'string') {
            answered.add(keyOf({ generator: o.generator as GeneratorName, model: o.model, chunkId: o.chunk_id, type: o.entity_type as EntityType }));
          }
        } catch {
          // a broken log line only means that call is asked again
        }
      }
    }
    return new PairsOutput(file, { answered, pairIds, notes });
  }

  isAnswered(k: CallKey): boolean {
    return this.answered.has(keyOf(k));
  }

  /** Appends the call's new pairs (one write), then its log line (one write). Returns the pairs written. */
  record(k: CallKey, pairs: readonly Pair[], usage?: TokenUsage): number {
    const fresh = pairs.filter((p) => !this.pairIds.has(p.id));
    this.duplicates += pairs.length - fresh.length;
    if (fresh.length) {
      fs.writeSync(this.fd, fresh.map(pairLine).join('\n') + '\n');
      for (const p of fresh) this.pairIds.add(p.id);
      this.written += fresh.length;
    }
    const line = { generator: k.generator, model: k.model, chunk_id: k.chunkId, entity_type: k.type, pairs: fresh.length, ...(usage ? { usage } : {}), time: new Date().toISOString() };
    fs.writeSync(this.callsFd, JSON.stringify(line) + '\n');
    this.answered.add(keyOf(k));
    return fresh.length;
  }

  close(): void {
    for (const fd of [this.fd, this.callsFd]) {
      try {
        fs.fsyncSync(fd);
      } catch {
        // fsync is best effort (some file systems refuse it); the data is written
      }
      fs.closeSync(fd);
    }
  }
}
