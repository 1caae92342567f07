/**
 * Length-bucketed batching: texts sorted by token length so a batch pads little, batches capped by count and
 * by padded tokens; callers put results back in input order. Pure.
 */
export interface BatchLimits {
  maxBatch: number;
  /** Upper bound of batch size x padded length. */
  maxTokens: number;
}

/** Batches of input indices, each batch's texts of similar length. */
export function lengthBatches(lengths: readonly number[], limits: BatchLimits): number[][] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[a] - lengths[b] || a - b);
  return cut(order, lengths, limits);
}

/** Batches in input order (the naive baseline for the benchmark). */
export function fixedOrderBatches(lengths: readonly number[], limits: BatchLimits): number[][] {
  return cut(
    lengths.map((_, i) => i),
    lengths,
    limits,
  );
}

function cut(order: number[], lengths: readonly number[], limits: BatchLimits): number[][] {
  const batches: number[][] = [];
  let cur: number[] = [];
  let longest = 0;
  for (const i of order) {
    const l = Math.max(longest, lengths[i]);
    if (cur.length > 0 && (cur.length >= limits.maxBatch || l * (cur.length + 1) > limits.maxTokens)) {
      batches.push(cur);
      cur = [];
      longest = 0;
    }
    cur.push(i);
    longest = Math.max(longest, lengths[i]);
  }
  if (cur.length) batches.push(cur);
  return batches;
}
