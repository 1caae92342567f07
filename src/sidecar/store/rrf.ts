/** Reciprocal rank fusion of ranked lists (Cormack et al. 2009): score = sum of 1 / (k + rank). Pure. */

export const RRF_K = 60;

export interface Fused<T> {
  item: T;
  score: number;
  /** Indices of the lists that held the item. */
  from: number[];
}

export function reciprocalRankFusion<T>(lists: readonly (readonly T[])[], key: (item: T) => string, k = RRF_K): Fused<T>[] {
  const byKey = new Map<string, Fused<T>>();
  lists.forEach((list, li) => {
    const seen = new Set<string>();
    list.forEach((item, rank) => {
      const id = key(item);
      if (seen.has(id)) return;
      seen.add(id);
      const f = byKey.get(id) ?? { item, score: 0, from: [] };
      f.score += 1 / (k + rank + 1);
      f.from.push(li);
      byKey.set(id, f);
    });
  });
  return [...byKey.values()].sort((a, b) => b.score - a.score || key(a.item).localeCompare(key(b.item)));
}
