import * as assert from 'node:assert/strict';
import { parseEventLine } from '../../../src/training/events';
import { applyEvent, deriveStatus, emptyProgress, EXTERNAL_RUN_STALE_MS, formatLoss, latestMetrics, modelDirOf, progressLine, type ProcessInfo, type RunProgress } from '../../../src/training/runState';

function fold(lines: string[]): RunProgress {
  const p = emptyProgress();
  for (const l of lines) {
    const r = parseEventLine(l);
    if (r.ok) applyEvent(p, r.event);
  }
  return p;
}

const started = [
  '{"event":"start","stage":"stage1","total_steps":10,"device":"cpu"}',
  '{"event":"step","step":1,"total_steps":10,"loss":2.0,"lr":0.00001}',
  '{"event":"step","step":2,"total_steps":10,"loss":1.5,"lr":0.00002}',
];
const idle: ProcessInfo = { taskRunning: false, ended: false };

describe('training run state', () => {
  it('folds steps, evals, checkpoints and the last values', () => {
    const p = fold([...started, '{"event":"eval","step":2,"metrics":{"mrr":0.3}}', '{"event":"checkpoint","step":2,"path":"/r/checkpoints/step-000002"}']);
    assert.equal(p.stage, 'stage1');
    assert.equal(p.step, 2);
    assert.equal(p.totalSteps, 10);
    assert.equal(p.lastLoss, 1.5);
    assert.equal(p.lastLr, 0.00002);
    assert.deepEqual(p.losses, [[1, 2.0], [2, 1.5]]);
    assert.deepEqual(p.evals, [{ step: 2, metrics: { mrr: 0.3 } }]);
    assert.deepEqual(p.lastCheckpoint, { step: 2, path: '/r/checkpoints/step-000002' });
    assert.equal(progressLine(p), 'step 2/10 · loss 1.5000');
  });

  it('a resumed run replaces the steps after its checkpoint and clears the old error', () => {
    const p = fold([...started, '{"event":"step","step":3,"loss":1.2}', '{"event":"error","message":"killed"}',
      '{"event":"start","stage":"stage1","total_steps":10,"device":"cpu"}', '{"event":"step","step":3,"loss":1.1}', '{"event":"step","step":4,"loss":1.0}']);
    assert.deepEqual(p.losses, [[1, 2.0], [2, 1.5], [3, 1.1], [4, 1.0]]);
    assert.equal(p.error, undefined);
    assert.equal(deriveStatus(p, { taskRunning: true, ended: false }).status, 'running');
  });

  it('a terminal event wins over process information', () => {
    const done = fold([...started, '{"event":"done","model_dir":"/r/model","metrics":{"mrr":0.5}}']);
    assert.equal(deriveStatus(done, { taskRunning: false, ended: true, exitCode: 0 }).status, 'finished');
    assert.equal(deriveStatus(done, idle).status, 'finished');
    const failed = fold([...started, '{"event":"error","message":"CUDA out of memory","hint":"lower batch_size"}']);
    assert.deepEqual(deriveStatus(failed, { taskRunning: true, ended: false }), { status: 'failed', detail: 'CUDA out of memory' });
    // Exit 130 is an interruption even when the trainer said goodbye with an error event.
    assert.equal(deriveStatus(failed, { taskRunning: false, ended: true, exitCode: 130 }).status, 'interrupted');
    assert.equal(deriveStatus(failed, { taskRunning: false, ended: true, exitCode: 1 }).status, 'failed');
    // Terminate Task: SIGHUP, no exit code from VS Code, and the trainer's goodbye error event.
    assert.equal(deriveStatus(failed, { taskRunning: false, ended: true }).status, 'interrupted');
  });

  it('the trainer\'s "interrupted" error event is an interruption, also without process information', () => {
    for (const line of ['{"event":"error","message":"interrupted at step 2","hint":"run it again"}', '{"event":"error","message":"stopped","interrupted":true}']) {
      const p = fold([...started, '{"event":"checkpoint","step":2,"path":"p"}', line]);
      assert.equal(p.error?.interrupted, true);
      assert.deepEqual(deriveStatus(p, idle), { status: 'interrupted', detail: 'interrupted at step 2; resumes from the checkpoint of step 2' });
    }
  });

  it('a task that ended before its process started failed to launch', () => {
    assert.deepEqual(deriveStatus(emptyProgress(), { taskRunning: false, ended: true, neverStarted: true }), {
      status: 'failed', detail: "the trainer could not be launched: the task's terminal says why",
    });
  });

  it('a live task or a live pid means running', () => {
    const p = fold(started);
    assert.equal(deriveStatus(p, { taskRunning: true, ended: false }).status, 'running');
    assert.equal(deriveStatus(p, { taskRunning: false, ended: false, pidAlive: true }).status, 'running');
    assert.deepEqual(deriveStatus(emptyProgress(), { taskRunning: true, ended: false }), { status: 'running', detail: 'starting' });
  });

  it('exit codes: 130 and signals are interruptions, others failures that say why', () => {
    const p = fold(started);
    for (const exitCode of [130, 129, 137, 143]) assert.equal(deriveStatus(p, { taskRunning: false, ended: true, exitCode }).status, 'interrupted', String(exitCode));
    assert.equal(deriveStatus(p, { taskRunning: false, ended: true }).status, 'interrupted');
    assert.deepEqual(deriveStatus(p, { taskRunning: false, ended: true, exitCode: 3 }), { status: 'failed', detail: 'exit code 3: a Python package is missing' });
    assert.deepEqual(deriveStatus(p, { taskRunning: false, ended: true, exitCode: 2 }), { status: 'failed', detail: 'exit code 2: the run configuration is invalid' });
    assert.match(deriveStatus(p, { taskRunning: false, ended: true, exitCode: 0 }).detail, /without a "done"/);
    assert.match(deriveStatus(p, { taskRunning: false, ended: true, exitCode: 9 }).detail, /exit code 9/);
  });

  it('an interruption says where it can resume from', () => {
    const noCk = fold(started);
    assert.equal(deriveStatus(noCk, { taskRunning: false, ended: true, exitCode: 130 }).detail, 'interrupted at step 2, before any checkpoint');
    const ck = fold([...started, '{"event":"checkpoint","step":2,"path":"p"}']);
    assert.equal(deriveStatus(ck, { taskRunning: false, ended: true, exitCode: 130 }).detail, 'interrupted at step 2; resumes from the checkpoint of step 2');
  });

  it('without process information, recent events mean running elsewhere and old ones interrupted', () => {
    const p = fold(started);
    assert.equal(deriveStatus(p, { ...idle, lastWriteAgeMs: 1000 }).status, 'running');
    assert.equal(deriveStatus(p, { ...idle, lastWriteAgeMs: EXTERNAL_RUN_STALE_MS + 1 }).status, 'interrupted');
    // A recorded pid that is dead overrides the recent write.
    assert.equal(deriveStatus(p, { ...idle, pidAlive: false, lastWriteAgeMs: 1000 }).status, 'interrupted');
    assert.deepEqual(deriveStatus(emptyProgress(), idle), { status: 'interrupted', detail: 'the trainer never started' });
  });

  it('model folder and metrics of a run', () => {
    const p = fold([...started, '{"event":"eval","step":2,"metrics":{"mrr":0.3}}']);
    assert.equal(modelDirOf(p, '/runs/a/'), '/runs/a/model');
    assert.deepEqual(latestMetrics(p), { step: 2, metrics: { mrr: 0.3 } });
    applyEvent(p, { event: 'export', model_dir: '/x/exported' });
    assert.equal(modelDirOf(p, '/runs/a'), '/x/exported');
    applyEvent(p, { event: 'done', model_dir: '/x/final', metrics: { mrr: 0.6 } });
    assert.equal(modelDirOf(p, '/runs/a'), '/x/final');
    assert.deepEqual(latestMetrics(p), { metrics: { mrr: 0.6 } });
    assert.equal(latestMetrics(emptyProgress()), undefined);
  });

  it('formats losses for people', () => {
    assert.equal(formatLoss(null), 'NaN');
    assert.equal(formatLoss(0.41234), '0.4123');
    assert.equal(formatLoss(0.00012), '1.200e-4');
    assert.equal(formatLoss(0), '0.0000');
  });
});
