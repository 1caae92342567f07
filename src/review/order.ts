/**
 * Orders and filters of the review, pure: file order, a seeded random sample (a deterministic shuffle of the
 * whole file, so a rank means the same thing in every window and every session) and most suspicious first.
 */
import type { EntityType, Decision, Pair, GeneratorName } from '../shared/pairs';

export type ReviewOrder = 'file' | 'sample' | 'suspicious';
export const REVIEW_ORDERS: readonly ReviewOrder[] = ['file', 'sample', 'suspicious'];

export type LabelState = 'any' | 'unlabelled' | 'labelled' | Decision;
export const LABEL_STATES: readonly LabelState[] = ['any', 'unlabelled', 'labelled', 'valid', 'noise', 'unsure'];

export interface ReviewFilter {
  type?: EntityType;
  label?: LabelState;
  evidence?: 'explicit' | 'implicit';
  /** Case-insensitive substring of the entity. */
  entity?: string;
  generator?: GeneratorName;
}

/** mulberry32: a small, well-mixed 32-bit PRNG; the same seed gives the same sequence everywhere. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A permutation of 0..n-1 (Fisher-Yates driven by prng(seed)). */
export function seededPermutation(n: number, seed: number): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  const rnd = prng(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}

/** Indices by descending score; pairs without a score go last; ties keep file order. */
export function suspiciousOrder(scores: readonly (number | undefined)[]): Uint32Array {
  const idx = Array.from({ length: scores.length }, (_, i) => i);
  const key = (i: number): number => {
    const s = scores[i];
    return typeof s === 'number' && Number.isFinite(s) ? s : -Infinity;
  };
  idx.sort((a, b) => key(b) - key(a) || a - b);
  return Uint32Array.from(idx);
}

export function isEmptyFilter(f: ReviewFilter): boolean {
  return !f.type && (!f.label || f.label === 'any') && !f.evidence && !f.entity?.trim() && !f.generator;
}

/** The generator of a pair: its `generator` key, else guessed from `produced_by`. */
export function generatorOf(p: Pair): GeneratorName | undefined {
  if (p.generator) return p.generator;
  if (p.produced_by.startsWith('graph')) return 'graph';
  if (p.produced_by === 'llm') return 'llm';
  return undefined;
}

export function matchesLabel(state: LabelState | undefined, label: Decision | undefined): boolean {
  switch (state ?? 'any') {
    case 'any':
      return true;
    case 'unlabelled':
      return label === undefined;
    case 'labelled':
      return label !== undefined;
    default:
      return label === state;
  }
}

/** A predicate over pairs for a filter; `labelOf` gives a pair's current label. */
export function filterPredicate(f: ReviewFilter, labelOf: (id: string) => Decision | undefined): (p: Pair) => boolean {
  const needle = f.entity?.trim().toLowerCase() ?? '';
  return (p) =>
    (!f.type || p.entity_type === f.type) &&
    (!f.evidence || (f.evidence === 'explicit' ? p.explicit === true : p.explicit === false)) &&
    (!f.generator || generatorOf(p) === f.generator) &&
    (needle === '' || p.entity.toLowerCase().includes(needle)) &&
    matchesLabel(f.label, labelOf(p.id));
}
