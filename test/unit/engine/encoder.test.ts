import * as assert from 'node:assert/strict';
import { fixedOrderBatches, lengthBatches } from '../../../src/sidecar/encoder/batching';
import { parseDrehrJson } from '../../../src/sidecar/encoder/modelConfig';
import { pool } from '../../../src/sidecar/encoder/pooling';
import { padBatch, withSpecials } from '../../../src/sidecar/encoder/tokenize';
import { tokenizerJsonFromVocab } from '../../../src/sidecar/encoder/vocab';

const ids = { cls: 101, sep: 102, pad: 0 };

describe('encoder logic', () => {
  describe('truncation', () => {
    it('adds [CLS] and [SEP] around the pieces', () => {
      assert.deepEqual(withSpecials([5, 6], 16, ids), [101, 5, 6, 102]);
    });
    it('cuts pieces to max_length - 2 so [SEP] is never cut', () => {
      const out = withSpecials([1, 2, 3, 4, 5, 6], 5, ids);
      assert.deepEqual(out, [101, 1, 2, 3, 102]);
      assert.equal(out.length, 5);
    });
    it('keeps [CLS][SEP] for empty text', () => {
      assert.deepEqual(withSpecials([], 16, ids), [101, 102]);
    });
  });

  describe('padding', () => {
    it('pads to the longest with the pad id and masks real tokens', () => {
      const p = padBatch([[101, 7, 102], [101, 102]], 0);
      assert.equal(p.seq, 3);
      assert.deepEqual(Array.from(p.inputIds), [101n, 7n, 102n, 101n, 102n, 0n]);
      assert.deepEqual(Array.from(p.attentionMask), [1n, 1n, 1n, 1n, 1n, 0n]);
      assert.deepEqual(Array.from(p.mask), [1, 1, 1, 1, 1, 0]);
    });
  });

  describe('pooling', () => {
    // batch 2, seq 2, dim 2; second row's second token is padding.
    const hidden = Float32Array.from([1, 2, 3, 4, 5, 6, 100, 100]);
    const mask = Uint8Array.from([1, 1, 1, 0]);
    it('cls takes the first token', () => {
      const [a, b] = pool(hidden, 2, 2, 2, mask, 'cls', false);
      assert.deepEqual(Array.from(a), [1, 2]);
      assert.deepEqual(Array.from(b), [5, 6]);
    });
    it('mean ignores padding', () => {
      const [a, b] = pool(hidden, 2, 2, 2, mask, 'mean', false);
      assert.deepEqual(Array.from(a), [2, 3]);
      assert.deepEqual(Array.from(b), [5, 6]);
    });
    it('normalizes to unit length', () => {
      const [a] = pool(Float32Array.from([3, 4]), 1, 1, 2, Uint8Array.from([1]), 'cls', true);
      assert.ok(Math.abs(a[0] - 0.6) < 1e-6 && Math.abs(a[1] - 0.8) < 1e-6);
    });
  });

  describe('length-bucketed batching', () => {
    const lengths = [50, 3, 48, 4, 49, 5];
    it('groups similar lengths and covers every index once', () => {
      const b = lengthBatches(lengths, { maxBatch: 3, maxTokens: 1e9 });
      assert.deepEqual(b, [
        [1, 3, 5],
        [2, 4, 0],
      ]);
    });
    it('caps padded tokens per batch', () => {
      const b = lengthBatches([10, 10, 10, 10], { maxBatch: 32, maxTokens: 25 });
      assert.deepEqual(b, [[0, 1], [2, 3]]);
    });
    it('pads less than fixed order', () => {
      const cost = (bs: number[][]): number => bs.reduce((s, b) => s + b.length * Math.max(...b.map((i) => lengths[i])), 0);
      const lim = { maxBatch: 2, maxTokens: 1e9 };
      assert.ok(cost(lengthBatches(lengths, lim)) < cost(fixedOrderBatches(lengths, lim)));
    });
  });

  describe('drehr.json', () => {
    const base = { id: 'm', dim: 8, pooling: 'mean', max_length: { passage: 160, query: 16 } };
    it('reads the contract fields with defaults', () => {
      const d = parseDrehrJson(base);
      assert.ok(typeof d !== 'string');
      assert.equal(d.normalize, true);
      assert.equal(d.onnx, 'onnx/model.onnx');
      assert.deepEqual(d.prefix, { query: '', passage: '' });
      assert.deepEqual(d.maxLength, { passage: 160, query: 16 });
    });
    it('says what is wrong', () => {
      assert.match(String(parseDrehrJson({ ...base, pooling: 'max' })), /pooling/);
      assert.match(String(parseDrehrJson({ ...base, dim: 0 })), /dim/);
      assert.match(String(parseDrehrJson({ ...base, id: undefined })), /id/);
      assert.match(String(parseDrehrJson([])), /id|object/);
    });
  });

  describe('vocab.txt conversion', () => {
    it('builds a WordPiece tokenizer.json', () => {
      const t = tokenizerJsonFromVocab('[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nfever\n##s\n');
      const model = t.model as { vocab: Record<string, number>; type: string };
      assert.equal(model.type, 'WordPiece');
      assert.equal(model.vocab['##s'], 6);
    });
    it('rejects a vocab without specials', () => {
      assert.throws(() => tokenizerJsonFromVocab('a\nb\n'), /\[UNK\]/);
    });
  });
});
