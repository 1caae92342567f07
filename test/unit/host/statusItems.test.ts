import * as assert from 'node:assert/strict';
import { headlineItem, statusLines } from '../../../src/commands/statusItems';
import type { IndexStatus } from '../../../src/shared/protocol';
import { statusView } from '../../../src/views/statusText';

const status: IndexStatus = {
  state: 'ready', location: '/ws/.drehr/index', notes: 207, chunks: 973, patients: 60, modelId: 'demo-1',
  modelMismatch: false, hasAnnIndex: false, hasFtsIndex: true, lastIndexedAt: '2026-12-07T10:00:00Z',
};
const running = { kind: 'running' as const, init: { sidecarVersion: '0', model: { id: 'demo-1', name: 'Demo', dir: '/m', dim: 8, pooling: 'cls' as const, trained: true, device: 'cpu' as const, precision: 'fp32' as const }, index: status } };

describe('Show Index Status items', () => {
  it('no literal newline (a quick pick shows it as "⏎") and no repeated facts', () => {
    const view = statusView(running, status);
    assert.match(view.tooltip, /\n/, 'the status bar tooltip has a newline (else this test proves nothing)');
    const head = headlineItem(view, true);
    assert.deepEqual(head, { label: 'DR.EHR: 973 chunks' }, 'the facts follow below: no tooltip repeating them');
    const lines = statusLines(status, 'demo-1');
    assert.equal(lines.filter((l) => /207 notes/.test(l)).length, 1);
    assert.ok(!lines.some((l) => l.includes('demo-1')), 'the loaded model is shown once, above');
    for (const l of [head.label, ...lines]) assert.doesNotMatch(l, /\n|⏎/);
  });

  it('keeps the tooltip (on one line) when there are no index facts, and the model line when it differs', () => {
    const head = headlineItem({ text: '$(error) DR.EHR: error', tooltip: 'The sidecar cannot run.\nIndex: /i' }, false);
    assert.deepEqual(head, { label: 'DR.EHR: error', detail: 'The sidecar cannot run. · Index: /i' });
    assert.ok(statusLines({ ...status, modelId: 'old', modelMismatch: true }, 'demo-1').some((l) => /embedded with: old \(not the loaded model/.test(l)));
    assert.ok(statusLines(status).some((l) => l.includes('demo-1')), 'no loaded model: the index model is named');
  });
});
