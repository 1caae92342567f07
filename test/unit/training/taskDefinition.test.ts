import * as assert from 'node:assert/strict';
import { checkTaskDefinition, runDirOf, taskLabel, trainerCommandLine, type DrehrTaskDefinition } from '../../../src/training/taskDefinition';

const ctx = { python: '/venv/bin/python', workspaceRoot: '/ws', trainerRoot: '/ext/python' };

function def(x: unknown): DrehrTaskDefinition {
  const r = checkTaskDefinition(x);
  if (!r.ok) throw new Error(r.message);
  return r.value;
}

describe('drehr task definition → command line', () => {
  it('runs the trainer module directly for one process', () => {
    const cl = trainerCommandLine(def({ type: 'drehr', stage: 'stage1', config: '.drehr/runs/r1/run.json' }), ctx);
    assert.equal(cl.command, '/venv/bin/python');
    assert.deepEqual(cl.args, ['-m', 'drehr_train', 'stage1', '--config', '/ws/.drehr/runs/r1/run.json']);
    assert.equal(cl.cwd, '/ws');
    assert.equal(cl.env.PYTHONPATH, '/ext/python');
    assert.equal(cl.env.PYTHONUNBUFFERED, '1');
  });

  it('uses torchrun (python -m drehr_train.torchrun) when nproc > 1, with the device', () => {
    const cl = trainerCommandLine(def({ type: 'drehr', stage: 'stage2', config: '/abs/run.json', device: 'cuda', nproc: 4 }), ctx);
    assert.deepEqual(cl.args, ['-m', 'drehr_train.torchrun', '--standalone', '--nproc_per_node', '4', '-m', 'drehr_train', 'stage2', '--config', '/abs/run.json', '--device', 'cuda']);
  });

  it('several CPU processes (gloo) are allowed', () => {
    const cl = trainerCommandLine(def({ type: 'drehr', stage: 'stage1', config: 'r.json', nproc: 2, device: 'cpu' }), ctx);
    assert.deepEqual(cl.args.slice(0, 5), ['-m', 'drehr_train.torchrun', '--standalone', '--nproc_per_node', '2']);
  });

  it('nproc 1 is a direct run; export and eval need no config', () => {
    assert.deepEqual(trainerCommandLine(def({ type: 'drehr', stage: 'stage1', config: 'r.json', nproc: 1 }), ctx).args.slice(0, 3), ['-m', 'drehr_train', 'stage1']);
    assert.deepEqual(trainerCommandLine(def({ type: 'drehr', stage: 'export' }), ctx).args, ['-m', 'drehr_train', 'export']);
  });

  it('keeps an existing PYTHONPATH after the trainer folder', () => {
    const cl = trainerCommandLine(def({ type: 'drehr', stage: 'eval' }), { ...ctx, pythonPath: '/site' });
    assert.equal(cl.env.PYTHONPATH, '/ext/python:/site');
  });

  it('rejects bad definitions with a message that names the property', () => {
    const bad: Array<[unknown, RegExp]> = [
      [{ type: 'shell' }, /not a "drehr" task/],
      [{ type: 'drehr' }, /"stage" must be one of/],
      [{ type: 'drehr', stage: 'stage3' }, /"stage"/],
      [{ type: 'drehr', stage: 'stage1' }, /needs "config"/],
      [{ type: 'drehr', stage: 'stage1', config: '' }, /"config"/],
      [{ type: 'drehr', stage: 'stage1', config: 'r.json', device: 'tpu' }, /"device"/],
      [{ type: 'drehr', stage: 'stage1', config: 'r.json', nproc: 0 }, /"nproc"/],
      [{ type: 'drehr', stage: 'stage1', config: 'r.json', nproc: 2.5 }, /"nproc"/],
      [{ type: 'drehr', stage: 'export', nproc: 2 }, /stage1 and stage2 only/],
      [null, /not a "drehr"/],
    ];
    for (const [x, re] of bad) {
      const r = checkTaskDefinition(x);
      assert.equal(r.ok, false, JSON.stringify(x));
      if (!r.ok) assert.match(r.message, re, JSON.stringify(x));
    }
  });

  it('labels and run folders come from the config path', () => {
    const d = def({ type: 'drehr', stage: 'stage1', config: '.drehr/runs/stage1-20261206-010203/run.json' });
    assert.equal(taskLabel(d), 'stage1 stage1-20261206-010203');
    assert.equal(runDirOf(d, '/ws'), '/ws/.drehr/runs/stage1-20261206-010203');
    assert.equal(taskLabel(def({ type: 'drehr', stage: 'eval' })), 'eval');
    assert.equal(runDirOf(def({ type: 'drehr', stage: 'eval' }), '/ws'), undefined);
  });
});
