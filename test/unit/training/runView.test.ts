import * as assert from 'node:assert/strict';
import { buildRunConfig } from '../../../src/training/runConfig';
import { applyEvent, deriveStatus, emptyProgress } from '../../../src/training/runState';
import type { RunSnapshot } from '../../../src/training/runsModel';
import { runDescription, runSettings, runTooltip, toRunView } from '../../../src/views/trainingRunView';

function snapshot(status: 'running' | 'finished', modelReady: boolean): RunSnapshot {
  const p = emptyProgress();
  applyEvent(p, { event: 'start', stage: 'stage2', total_steps: 50, device: 'cpu' });
  for (let i = 1; i <= 30; i++) applyEvent(p, { event: 'step', step: i, loss: 1 / i, lr: 1e-4 });
  applyEvent(p, { event: 'eval', step: 30, metrics: { mrr: 0.25 } });
  if (status === 'finished') applyEvent(p, { event: 'done', model_dir: '/runs/r/model', metrics: {} });
  const config = buildRunConfig({
    stage: 'stage2', id: 'r', runDir: '/runs/r', baseModel: '/m', device: 'cuda', nproc: 2, now: new Date(0),
    data: { notes: '/ws', chunking: { words: 100, overlap: 10, min_words: 50 }, pairs: '/ws/pairs.jsonl', labels: null },
  });
  return {
    id: 'r', dir: '/runs/r', config, configErrors: [], progress: p,
    status: deriveStatus(p, { taskRunning: status === 'running', ended: status === 'finished', exitCode: 0 }),
    modelDir: '/runs/r/model', modelReady, sortKey: 0,
  };
}

describe('training run view', () => {
  it('a running run: description, no model, losses and evals as they are', () => {
    const s = snapshot('running', false);
    assert.equal(runDescription(s), 'stage2 · running · step 30/50 · loss 0.0333');
    const v = toRunView(s);
    assert.equal(v.status, 'running');
    assert.equal(v.canUseModel, false);
    assert.equal(v.losses.length, 30);
    assert.equal(v.lossesThinned, false);
    assert.deepEqual(v.evals, [{ step: 30, metrics: { mrr: 0.25 } }]);
    assert.equal(v.finalMetrics, undefined, 'an empty done metrics object is not shown');
  });

  it('a finished run offers its model only when the folder is there', () => {
    assert.equal(toRunView(snapshot('finished', true)).canUseModel, true);
    assert.equal(toRunView(snapshot('finished', false)).canUseModel, false);
    assert.match(runTooltip(snapshot('finished', false)), /no model folder at \/runs\/r\/model/);
    assert.match(runTooltip(snapshot('finished', true)), /eval at step 30: mrr 0\.2500/);
  });

  it('a failed run: the error is not repeated as the status line, and its model is never offered', () => {
    const p = emptyProgress();
    applyEvent(p, { event: 'error', message: '/m has no weights', hint: 'give a folder with weights' });
    const s: RunSnapshot = {
      id: 'stage1-x', dir: '/runs/stage1-x', configErrors: [], progress: p,
      status: deriveStatus(p, { taskRunning: false, ended: true, exitCode: 1 }),
      modelDir: '/runs/stage1-x/model', modelReady: true, sortKey: 0,
    };
    const v = toRunView(s);
    assert.equal(v.status, 'failed');
    assert.equal(v.detail, 'stopped with an error before training started');
    assert.deepEqual(v.error, { message: '/m has no weights', hint: 'give a folder with weights' });
    assert.equal(v.canUseModel, false);
    applyEvent(p, { event: 'start', stage: 'stage1', total_steps: 10, device: 'cpu' });
    applyEvent(p, { event: 'step', step: 3, loss: 1 });
    applyEvent(p, { event: 'error', message: 'out of memory' });
    assert.equal(toRunView({ ...s, status: deriveStatus(p, { taskRunning: false, ended: true, exitCode: 1 }) }).detail, 'stopped with an error at step 3/10');
  });

  it('thins long loss series and says so', () => {
    const v = toRunView(snapshot('running', false), 12);
    assert.ok(v.losses.length <= 12);
    assert.equal(v.lossesThinned, true);
  });

  it('lists the run settings from run.json', () => {
    const rows = Object.fromEntries(runSettings(snapshot('running', false)));
    assert.equal(rows['device'], 'cuda × 2 processes');
    assert.equal(rows['pairs'], '/ws/pairs.jsonl');
    assert.equal(rows['labels'], 'none');
    assert.equal(rows['positives per chunk'], '16');
  });
});
