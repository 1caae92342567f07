import * as assert from 'node:assert/strict';
import type { Decision } from '../../../src/shared/pairs';
import { cohenKappa, noiseEstimate, precisionAtTop, reviewerKappa, rocAuc, scoreQuality, wilson, type ReviewedPair } from '../../../src/review/stats';

const close = (a: number | undefined, b: number, eps = 1e-6): void => assert.ok(a !== undefined && Math.abs(a - b) < eps, `${a} != ${b}`);

describe('review/stats', () => {
  it('Wilson 95% interval matches hand-computed values', () => {
    // 15/100: p = 0.15; center = (0.15 + 1.92073/100) / 1.0384146 = 0.162947; half = 0.069887.
    const w = wilson(15, 100)!;
    close(w.p, 0.15);
    close(w.low, 0.0930599);
    close(w.high, 0.2328356);
    // 0/10: lower bound 0, upper z²/(n+z²) = 3.84146/13.84146 = 0.277533.
    close(wilson(0, 10)!.low, 0);
    close(wilson(0, 10)!.high, 0.2775328);
    close(wilson(10, 10)!.low, 0.7224672);
    close(wilson(10, 10)!.high, 1);
    close(wilson(1, 2)!.low, 0.0945312);
    close(wilson(1, 2)!.high, 0.9054688);
    assert.equal(wilson(0, 0), undefined);
    assert.equal(wilson(3, 2), undefined);
  });

  it('noise rate uses only random-sample reviews, splits by type and explicit/implicit, and projects', () => {
    const r = (label: Decision, entityType: string, explicit: boolean, sampled: boolean): ReviewedPair => ({ label, entityType, explicit, sampled });
    const reviewed: ReviewedPair[] = [
      r('noise', 'diagnosis', true, true),
      r('valid', 'diagnosis', true, true),
      r('valid', 'drug', false, true),
      r('valid', 'drug', true, true),
      r('unsure', 'drug', true, true),
      // Reviews made in other orders (e.g. most suspicious first) must not bias the estimate.
      r('noise', 'diagnosis', true, false),
      r('noise', 'procedure', false, false),
    ];
    const e = noiseEstimate(reviewed, 1000, ['diagnosis', 'procedure', 'drug']);
    assert.equal(e.overall!.k, 1);
    assert.equal(e.overall!.n, 4);
    assert.equal(e.unsure, 1);
    close(e.overall!.low, wilson(1, 4)!.low);
    assert.equal(e.byType.diagnosis!.n, 2);
    assert.equal(e.byType.diagnosis!.k, 1);
    assert.equal(e.byType.drug!.n, 2);
    assert.equal(e.byType.procedure, undefined);
    assert.equal(e.byEvidence.explicit!.n, 3);
    assert.equal(e.byEvidence.implicit!.n, 1);
    // 1/4 of 1000 pairs = 250, interval scaled the same way.
    assert.deepEqual(e.projected, { pairs: 1000, noisy: 250, low: Math.round(wilson(1, 4)!.low * 1000), high: Math.round(wilson(1, 4)!.high * 1000) });
    assert.equal(noiseEstimate(reviewed.filter((x) => !x.sampled), 10, []).overall, undefined);
  });

  it('ROC AUC counts ties as one half', () => {
    // positives 0.9, 0.5, 0.5; negatives 0.5, 0.1: 6 comparisons, two ties: (1+1+0.5+1+0.5+1)/6 = 5/6.
    const items = [
      { score: 0.9, positive: true },
      { score: 0.5, positive: true },
      { score: 0.5, positive: true },
      { score: 0.5, positive: false },
      { score: 0.1, positive: false },
    ];
    close(rocAuc(items), 5 / 6);
    close(rocAuc([{ score: 1, positive: false }, { score: 0, positive: true }]), 0);
    close(rocAuc([{ score: 0.3, positive: false }, { score: 0.3, positive: true }]), 0.5);
    assert.equal(rocAuc([{ score: 1, positive: true }]), undefined);
  });

  it('precision in the top 10% shares ties at the cut', () => {
    // 20 items: k = 2. One noise at 0.9; three at 0.8 of which one is noise; the rest 0.1 valid.
    const items = [{ score: 0.9, positive: true }, { score: 0.8, positive: true }, { score: 0.8, positive: false }, { score: 0.8, positive: false }];
    for (let i = 0; i < 16; i++) items.push({ score: 0.1, positive: false });
    const p = precisionAtTop(items, 0.1)!;
    assert.equal(p.k, 2);
    close(p.precision, (1 + 1 / 3) / 2);
    // 10 items: k = 1, the top one is noise.
    assert.deepEqual(precisionAtTop(items.slice(0, 1).concat(items.slice(4, 13)), 0.1), { k: 1, precision: 1 });
    assert.equal(precisionAtTop([], 0.1), undefined);
  });

  it("Cohen's kappa matches the textbook example", () => {
    // 50 items: both valid 20, A valid/B noise 5, A noise/B valid 10, both noise 15.
    // po = 35/50 = 0.7; pe = 0.5·0.6 + 0.5·0.4 = 0.5; kappa = 0.2 / 0.5 = 0.4.
    const items: [Decision, Decision][] = [];
    const add = (a: Decision, b: Decision, n: number): void => {
      for (let i = 0; i < n; i++) items.push([a, b]);
    };
    add('valid', 'valid', 20);
    add('valid', 'noise', 5);
    add('noise', 'valid', 10);
    add('noise', 'noise', 15);
    const k = cohenKappa(items)!;
    close(k.agreement, 0.7);
    close(k.kappa, 0.4);
    // Both raters used one category only: kappa undefined, agreement 1.
    assert.equal(cohenKappa([['valid', 'valid']])!.kappa, undefined);
    assert.equal(cohenKappa([]), undefined);
  });

  it('reviewer kappa picks the two reviewers with most pairs in common', () => {
    const m = new Map<string, Map<string, Decision>>([
      ['ann', new Map<string, Decision>([['a', 'valid'], ['b', 'noise'], ['c', 'noise']])],
      ['bob', new Map<string, Decision>([['a', 'valid'], ['b', 'valid'], ['c', 'noise'], ['d', 'valid']])],
      ['cy', new Map<string, Decision>([['d', 'noise']])],
    ]);
    const k = reviewerKappa(m)!;
    assert.deepEqual(k.reviewers, ['ann', 'bob']);
    assert.equal(k.n, 3);
    // ann: v n n; bob: v v n. po = 2/3; pe = (1/3·2/3) + (2/3·1/3) = 4/9; kappa = (2/3-4/9)/(5/9) = 0.4.
    close(k.kappa, 0.4);
    assert.equal(reviewerKappa(new Map([['solo', new Map<string, Decision>([['a', 'valid']])]])), undefined);
  });

  it('score quality ignores unsure and unscored pairs', () => {
    const q = scoreQuality([
      { label: 'noise', entityType: 'drug', explicit: true, sampled: false, score: 0.9 },
      { label: 'valid', entityType: 'drug', explicit: true, sampled: false, score: 0.2 },
      { label: 'unsure', entityType: 'drug', explicit: true, sampled: false, score: 0.1 },
      { label: 'valid', entityType: 'drug', explicit: true, sampled: false },
    ]);
    assert.equal(q.n, 2);
    close(q.auc, 1);
  });
});
