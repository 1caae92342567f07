import * as assert from 'node:assert/strict';
import { buildRunConfig, defaultTrainParams, isRunId, newRunId, serializeRunConfig, validateRunConfig, type RunConfig } from '../../../src/training/runConfig';

const now = new Date(Date.UTC(2026, 11, 6, 2, 4, 9));

function stage1(): RunConfig {
  return buildRunConfig({
    stage: 'stage1',
    id: 'stage1-20261206-020409',
    runDir: '/ws/.drehr/runs/stage1-20261206-020409',
    baseModel: '/ext/models/demo',
    device: 'auto',
    nproc: 1,
    data: { notes: '/ws', include: ['**/*.txt'], exclude: [], chunking: { words: 100, overlap: 10, min_words: 50 }, graph: null },
    now,
  });
}

describe('training run config', () => {
  it('builds a valid config with the paper defaults per stage', () => {
    const c = stage1();
    assert.deepEqual(validateRunConfig(c), []);
    assert.equal(c.created, '2026-12-06T02:04:09.000Z');
    assert.equal(c.train.epochs, 3);
    assert.equal(c.train.num_pos, 128);
    assert.equal(c.train.lr, 1e-4);
    assert.equal(c.train.warmup, 0.1);
    assert.deepEqual(c.train.max_length, { passage: 160, query: 16 });
    assert.equal(defaultTrainParams('stage2').num_pos, 16);
    assert.equal(defaultTrainParams('stage2').epochs, 1);
    // Round trip through the file format.
    assert.deepEqual(JSON.parse(serializeRunConfig(c)), c);
  });

  it('overrides train parameters', () => {
    const c = buildRunConfig({ ...{ stage: 'stage1' as const, id: 'a', runDir: '/r', baseModel: '/m', device: 'cpu' as const, nproc: 1, now }, data: { notes: '/ws', chunking: { words: 100, overlap: 10, min_words: 50 } }, train: { epochs: 1, mask_false_negatives: false } });
    assert.equal(c.train.epochs, 1);
    assert.equal(c.train.mask_false_negatives, false);
    assert.equal(c.train.batch_size, 32);
    const quick = { ...stage1(), train: { ...stage1().train, epochs: 0.5, max_steps: 3, checkpoint_every: 1, eval_every: 0 } };
    assert.deepEqual(validateRunConfig(quick), [], 'fractional epochs and a step limit');
  });

  it('Stage II needs pairs; Stage I refuses them', () => {
    const s2 = { ...stage1(), stage: 'stage2' };
    assert.ok(validateRunConfig(s2).some((e) => e.startsWith('data.pairs: Stage II needs')));
    const s2ok = { ...s2, data: { ...s2.data, pairs: '/ws/pairs.jsonl', labels: null } };
    assert.deepEqual(validateRunConfig(s2ok), []);
    const s1pairs = { ...stage1(), data: { ...stage1().data, pairs: '/ws/pairs.jsonl' } };
    assert.ok(validateRunConfig(s1pairs).some((e) => e.includes('only Stage II')));
  });

  it('names every invalid key', () => {
    const c = stage1() as unknown as Record<string, unknown>;
    const broken = {
      ...c,
      format: 2,
      id: '../evil',
      base_model: 'relative/model',
      device: 'gpu',
      nproc: 0,
      data: { notes: '/ws', chunks: '/c.jsonl', chunking: { words: 10, overlap: 10, min_words: 0 }, include: 'x' },
      train: { epochs: 0, max_steps: -1, typo_lr: 1, batch_size: 1, lr: 0, warmup: 1, num_pos: 1, grad_accum: 1, seed: 0.5, mask_false_negatives: 'yes', max_length: { passage: 2, query: 16 } },
    };
    const errs = validateRunConfig(broken).join('\n');
    for (const key of ['format', 'id:', 'base_model: must be an absolute', 'device', 'nproc', 'not both', 'data.include', 'data.chunking.overlap: must be smaller', 'data.chunking.min_words',
      'train.epochs', 'train.max_steps', 'unknown settings typo_lr', 'train.lr', 'train.warmup', 'train.seed', 'train.mask_false_negatives', 'train.max_length']) {
      assert.ok(errs.includes(key), `missing error for ${key} in\n${errs}`);
    }
    assert.deepEqual(validateRunConfig('x'), ['run.json must hold a JSON object']);
    assert.ok(validateRunConfig({ ...c, data: { chunking: { words: 100, overlap: 10, min_words: 50 } } }).some((e) => e.includes('give "notes"')));
    assert.deepEqual(validateRunConfig({ ...c, nproc: 2, device: 'cpu' }), [], 'CPU processes on gloo');
  });

  it("accepts the trainer's optional keys and checks their values", () => {
    const c = stage1();
    const ok = { ...c, train: { ...c.train, max_minutes: 40, weight_decay: 0.01, keep_checkpoints: 2, log_every: 10, threshold: 0.5, eps: 0.1, scale_pos: 2, scale_neg: 50, pooling: 'mean', hard_negatives: 2 } };
    assert.deepEqual(validateRunConfig(ok), []);
    const bad = { ...c, train: { ...c.train, max_minutes: -1, pooling: 'max', hard_negatives: 1.5 } };
    const errs = validateRunConfig(bad).join('\n');
    assert.ok(errs.includes('train.max_minutes') && errs.includes('train.pooling') && errs.includes('train.hard_negatives'), errs);
  });

  it('accepts Windows absolute paths', () => {
    const c = { ...stage1(), base_model: 'C:\\models\\demo', output_dir: 'D:/runs/x', data: { ...stage1().data, notes: 'C:\\ws' } };
    assert.deepEqual(validateRunConfig(c), []);
  });

  it('run ids: stage and UTC time, unique within the folder, safe as folder names', () => {
    assert.equal(newRunId('stage1', now, new Set()), 'stage1-20261206-020409');
    assert.equal(newRunId('stage2', now, new Set(['stage2-20261206-020409'])), 'stage2-20261206-020409-2');
    assert.equal(newRunId('stage2', now, new Set(['stage2-20261206-020409', 'stage2-20261206-020409-2'])), 'stage2-20261206-020409-3');
    assert.ok(isRunId('stage1-20261206-020409'));
    for (const bad of ['', '.hidden', 'a/b', 'a b', '..', 'x'.repeat(101)]) assert.equal(isRunId(bad), false, bad);
  });
});
