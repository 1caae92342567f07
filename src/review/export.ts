/**
 * "Export Cleaned Pairs", pure: the pairs minus those labelled noise (and, if asked, unsure), in file order,
 * plus a summary of what was removed and the noise estimate behind it. The pairs keep their format, so the
 * trainer (python/drehr_train/stage2_data.py) reads the cleaned file like any other.
 */
import type { Decision, Pair } from '../shared/pairs';
import type { NumbersView } from '../shared/webview-pairs';

export interface CleanOptions {
  dropUnsure: boolean;
}

export interface CleanSummary {
  format: 'drehr-cleaned-pairs';
  version: 1;
  source: string;
  labels: string;
  written: string;
  time: string;
  pairs: number;
  kept: number;
  removedNoise: number;
  removedUnsure: number;
  keptUnlabelled: number;
  keptValid: number;
  keptUnsure: number;
  reviewers: string[];
  /** The noise rate on the random-sample reviews when there are any (Wilson 95%). */
  noiseEstimate?: { noise: number; reviewed: number; rate: number; low: number; high: number };
}

export function cleanPairs(
  pairs: readonly Pair[],
  labelOf: (id: string) => Decision | undefined,
  o: CleanOptions,
): { lines: string[]; counts: Pick<CleanSummary, 'pairs' | 'kept' | 'removedNoise' | 'removedUnsure' | 'keptUnlabelled' | 'keptValid' | 'keptUnsure'> } {
  const lines: string[] = [];
  const c = { pairs: pairs.length, kept: 0, removedNoise: 0, removedUnsure: 0, keptUnlabelled: 0, keptValid: 0, keptUnsure: 0 };
  for (const p of pairs) {
    const l = labelOf(p.id);
    if (l === 'noise') {
      c.removedNoise++;
      continue;
    }
    if (l === 'unsure' && o.dropUnsure) {
      c.removedUnsure++;
      continue;
    }
    if (l === 'valid') c.keptValid++;
    else if (l === 'unsure') c.keptUnsure++;
    else c.keptUnlabelled++;
    c.kept++;
    lines.push(JSON.stringify(p));
  }
  return { lines, counts: c };
}

export function cleanSummary(
  counts: ReturnType<typeof cleanPairs>['counts'],
  files: { source: string; labels: string; written: string },
  numbers: NumbersView,
  time: string,
): CleanSummary {
  const s: CleanSummary = { format: 'drehr-cleaned-pairs', version: 1, ...files, time, ...counts, reviewers: numbers.reviewers };
  if (numbers.noise) s.noiseEstimate = { noise: numbers.noise.k, reviewed: numbers.noise.n, rate: numbers.noise.p, low: numbers.noise.low, high: numbers.noise.high };
  return s;
}

/** `x.pairs.jsonl` → `x.cleaned.pairs.jsonl`; `x.jsonl` → `x.cleaned.jsonl`. */
export function cleanedPathFor(pairsPath: string): string {
  if (/\.pairs\.jsonl$/i.test(pairsPath)) return pairsPath.replace(/\.pairs\.jsonl$/i, '.cleaned.pairs.jsonl');
  if (/\.jsonl$/i.test(pairsPath)) return pairsPath.replace(/\.jsonl$/i, '.cleaned.jsonl');
  return `${pairsPath}.cleaned.jsonl`;
}
