import * as assert from 'node:assert/strict';
import type { IndexStatus, InitializeResult } from '../../../src/shared/protocol';
import { engineLabel, ProgressTracker, statusView } from '../../../src/views/statusText';

const ready: IndexStatus = {
  state: 'ready',
  location: '/ws/.drehr/index',
  notes: 12,
  chunks: 1234,
  patients: 5,
  modelId: 'm1',
  modelMismatch: false,
  hasAnnIndex: false,
  hasFtsIndex: true,
};
const running = { kind: 'running', init: {} as InitializeResult } as const;

describe('status bar text', () => {
  it('ready shows the chunk count', () => {
    const v = statusView(running, ready);
    assert.equal(v.text, '$(database) DR.EHR: 1,234 chunks');
    assert.equal(v.severity, 'normal');
    assert.match(v.tooltip, /12 notes, 1,234 chunks, 5 patients/);
  });

  it('the tooltip names the engine, device and precision', () => {
    const model = { id: 'm1', name: 'M', dir: '/m', dim: 32, pooling: 'mean', trained: true, device: 'cuda', engine: 'torch', dtype: 'fp16', gpu: 'NVIDIA H100', precision: 'fp32' } as const;
    assert.equal(engineLabel(model), 'torch · cuda · fp16 (NVIDIA H100)');
    assert.equal(engineLabel({ ...model, engine: undefined, dtype: undefined, gpu: undefined, device: 'cpu', precision: 'int8' }), 'onnx · cpu · int8');
    const v = statusView({ kind: 'running', init: { model } as unknown as InitializeResult }, ready);
    assert.match(v.tooltip, /Engine: torch · cuda · fp16 \(NVIDIA H100\)/);
  });

  it('indexing shows the percentage and wins over everything', () => {
    assert.equal(statusView(running, ready, { phase: 'embed', percent: 42.7 }).text, '$(sync~spin) DR.EHR: indexing 42%');
    assert.equal(statusView(running, ready, { phase: 'scan' }).text, '$(sync~spin) DR.EHR: indexing');
  });

  it('says when the sidecar restarts, failed or could not initialize', () => {
    const r = statusView({ kind: 'restarting', delayMs: 4000, attempt: 3, reason: 'killed by SIGKILL' }, ready);
    assert.match(r.text, /sidecar restarting/);
    assert.match(r.tooltip, /SIGKILL.*restart 3 in 4 s/);
    assert.equal(r.severity, 'warning');
    assert.equal(statusView({ kind: 'failed', message: 'no bundle' }, undefined).severity, 'error');
    const e = statusView({ kind: 'error', message: 'The model folder is not usable', error: null }, ready);
    assert.equal(e.text, '$(error) DR.EHR: error');
    assert.match(e.tooltip, /model folder/);
    assert.match(statusView({ kind: 'starting' }, undefined).text, /starting/);
  });

  it('a model mismatch and index states each have their own text', () => {
    assert.match(statusView(running, { ...ready, modelMismatch: true }).text, /model mismatch/);
    assert.match(statusView(running, { ...ready, state: 'missing', chunks: 0 }).text, /not indexed/);
    assert.match(statusView(running, { ...ready, state: 'corrupt', detail: 'bad manifest' }).tooltip, /bad manifest/);
    assert.match(statusView(running, { ...ready, state: 'stale' }).text, /stale/);
  });
});

describe('progress tracker', () => {
  it('reports monotone increments that add up to 100', () => {
    const t = new ProgressTracker();
    const a = t.update({ phase: 'embed', done: 10, total: 100 });
    const b = t.update({ phase: 'embed', done: 5, total: 100 });
    const c = t.update({ phase: 'embed', done: 100, total: 100 });
    assert.equal(a.increment, 10);
    assert.equal(b.increment, 0, 'never goes back');
    assert.equal(a.increment + b.increment + c.increment, 100);
    assert.equal(c.message, 'embed 100/100');
  });

  it('handles an unknown total and a message', () => {
    const t = new ProgressTracker();
    const u = t.update({ phase: 'scan', done: 3, total: 0, message: 'p001/a.md' });
    assert.equal(u.increment, 0);
    assert.equal(u.percent, undefined);
    assert.equal(u.message, 'scan · p001/a.md');
    assert.equal(t.currentPhase, 'scan');
  });

  it('shows the bytes of a big export read so far in MB', () => {
    const u = new ProgressTracker().update({ phase: 'read', done: 512 * 1048576, total: 2048 * 1048576, message: 'mimic/discharge.csv', unit: 'bytes' });
    assert.equal(u.message, 'read 512.0/2048.0 MB · mimic/discharge.csv');
    assert.equal(u.percent, 25);
  });
});
