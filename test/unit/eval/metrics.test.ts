import * as assert from 'node:assert/strict';
import { averagePrecision, dcg, mean, mrr, ndcgAtK, ndcgAtKEvalPy, recallAtK } from '../../../src/eval/metrics';

const close = (a: number, b: number, eps = 1e-9): void => assert.ok(Math.abs(a - b) < eps, `${a} != ${b}`);
const L2_3 = Math.log2(3); // discount of rank 2
const L2_5 = Math.log2(5); // discount of rank 4

describe('eval/metrics (CliniQ eval.py)', () => {
  it('mrr is 1/rank of the first relevant id, 0 when none', () => {
    close(mrr(['a', 'b', 'c'], new Set(['c', 'b'])), 1 / 2);
    close(mrr(['a', 'b', 'c'], new Set(['c'])), 1 / 3);
    assert.equal(mrr(['a', 'b'], new Set(['z'])), 0);
    assert.equal(mrr([], new Set(['z'])), 0);
  });

  it('dcg sums r_i / log2(i + 2)', () => {
    close(dcg([1, 0, 1]), 1 + 1 / Math.log2(4));
  });

  it("eval.py nDCG@k takes the ideal from the retrieved top k's relevances (the quirk)", () => {
    // one relevant chunk at rank 2 in the top 10, three more relevant ones never retrieved
    const rel = new Set(['b', 'x', 'y', 'z']);
    close(ndcgAtKEvalPy(['a', 'b', 'c'], rel, 10), 1 / L2_3 / 1);
    // relevant at rank 1 only: eval.py says perfect although 4 are relevant
    close(ndcgAtKEvalPy(['b', 'a', 'c'], rel, 10), 1);
    assert.equal(ndcgAtKEvalPy(['a', 'c'], rel, 10), 0);
    // k cuts the ranking: the relevant id at rank 3 is outside k=2
    assert.equal(ndcgAtKEvalPy(['a', 'c', 'b'], rel, 2), 0);
  });

  it('standard nDCG@k takes the ideal from min(|relevant|, k) relevant ids', () => {
    const rel = new Set(['b', 'x', 'y', 'z']);
    const ideal4 = 1 + 1 / L2_3 + 1 / 2 + 1 / Math.log2(5);
    close(ndcgAtK(['a', 'b', 'c'], rel, 10), 1 / L2_3 / ideal4);
    close(ndcgAtK(['b', 'a'], rel, 10), 1 / ideal4);
    // k=1 caps the ideal at one relevant id
    close(ndcgAtK(['b', 'a'], rel, 1), 1);
    assert.equal(ndcgAtK(['a'], new Set(), 10), 0);
  });

  it('recall@k counts relevant ids in the top k over all relevant ids', () => {
    close(recallAtK(['a', 'b', 'c'], new Set(['b', 'c', 'z']), 2), 1 / 3);
    close(recallAtK(['a', 'b', 'c'], new Set(['b', 'c', 'z']), 100), 2 / 3);
    assert.equal(recallAtK(['a'], new Set(), 100), 0);
  });

  it('average precision divides by all relevant ids, retrieved or not', () => {
    // hits at ranks 2 and 4: (1/2 + 2/4) / 3
    close(averagePrecision(['a', 'b', 'c', 'd'], new Set(['b', 'd', 'z'])), 1 / 3);
    close(averagePrecision(['b', 'd'], new Set(['b', 'd'])), 1);
    assert.equal(averagePrecision(['a'], new Set()), 0);
  });

  it('mean of nothing is 0', () => {
    assert.equal(mean([]), 0);
    close(mean([1, 2, 3]), 2);
  });

  it('with one relevant chunk, at rank 4, both nDCG variants give 1/log2(5)', () => {
    close(ndcgAtKEvalPy(['a', 'b', 'c', 'd'], new Set(['d']), 10), 1 / L2_5);
    close(ndcgAtK(['a', 'b', 'c', 'd'], new Set(['d']), 10), 1 / L2_5);
  });
});
