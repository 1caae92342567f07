/**
 * When and how to build the IVF_PQ index. Below ANN_MIN_ROWS, flat search is exact and fast enough (a few
 * ms at 20k rows), so no ANN index is built. Pure.
 */
export const ANN_MIN_ROWS = 20_000;

export interface AnnParams {
  numPartitions: number;
  numSubVectors: number;
}

export interface AnnSearchParams {
  nprobes: number;
  refineFactor: number;
}

export function annParams(rows: number, dim: number): AnnParams {
  const numPartitions = Math.max(1, Math.round(Math.sqrt(rows)));
  // Sub-vectors of 4 dims when the dim allows it (dim / 4), else the largest divisor of dim up to dim / 2.
  let numSubVectors = dim % 4 === 0 ? dim / 4 : 1;
  if (numSubVectors === 1) {
    for (let d = Math.floor(dim / 2); d >= 1; d--) {
      if (dim % d === 0) {
        numSubVectors = d;
        break;
      }
    }
  }
  return { numPartitions, numSubVectors };
}

/**
 * Probes ~5% of partitions (at least 20) and re-ranks candidates with exact distances: 10x the k asked for, up to
 * REFINE_CANDIDATES; a deep ranking (the patients view asks for 1000 passages) re-ranks at least 2x its k. The cost
 * of re-ranking is one exact distance per candidate fetched from disk, so 10x of 1000 (10,000 rows) dominated the
 * patients search; bench/RESULTS.md has the recall of each factor at depth 1000.
 */
export const REFINE_CANDIDATES = 1000;
export function annSearchParams(numPartitions: number, k = 10): AnnSearchParams {
  const refineFactor = Math.max(2, Math.min(10, Math.floor(REFINE_CANDIDATES / Math.max(1, k))));
  return { nprobes: Math.min(numPartitions, Math.max(20, Math.ceil(numPartitions * 0.05))), refineFactor };
}
