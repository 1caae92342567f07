import * as assert from 'node:assert/strict';
import { formatDuration, formatNumber, lossChart, niceTicks, type ChartBox } from '../../../webview-ui/training/chart';
import { isTrainingPanelToHost, thinLosses } from '../../../src/shared/webview-training';

const box: ChartBox = { width: 100, height: 50, left: 10, right: 0, top: 0, bottom: 10 };

describe('training panel: loss chart geometry', () => {
  it('nice ticks at 1, 2, 5 × 10^k covering the range', () => {
    assert.deepEqual(niceTicks(0, 10, 5), [0, 2, 4, 6, 8, 10]);
    assert.deepEqual(niceTicks(0, 1, 4), [0, 0.5, 1]);
    assert.deepEqual(niceTicks(1, 300, 6), [50, 100, 150, 200, 250, 300]);
    assert.deepEqual(niceTicks(0.0012, 0.0031, 4), [0.0015, 0.002, 0.0025, 0.003]);
    assert.deepEqual(niceTicks(3, 3), [3]);
    assert.deepEqual(niceTicks(NaN, 1), []);
  });

  it('maps steps to x and losses to y (y axis from 0, top = highest loss)', () => {
    const c = lossChart([[0, 2], [10, 1], [20, 0]], box);
    assert.equal(c.raw, 'M10,0L55,20L100,40');
    assert.equal(c.points, 3);
    assert.equal(c.smooth, '');
    assert.equal(c.x.at(0), 10);
    assert.equal(c.y.at(2), 0);
    assert.equal(c.y.at(0), 40);
  });

  it('breaks the line at NaN and reports the steps', () => {
    const c = lossChart([[0, 2], [1, null], [2, 1], [3, 0]], box);
    assert.equal((c.raw.match(/M/g) ?? []).length, 2);
    assert.deepEqual(c.nanSteps, [1]);
  });

  it('a single point or a flat line still gets a usable scale', () => {
    const one = lossChart([[5, 1]], box);
    assert.ok(Number.isFinite(one.x.at(5)) && Number.isFinite(one.y.at(1)));
    const none = lossChart([], box);
    assert.equal(none.raw, '');
  });

  it('smooths with a bias-corrected moving average once there are 10 points', () => {
    const flat = lossChart(Array.from({ length: 12 }, (_, i) => [i, 1] as [number, number]), box);
    // A constant series stays exactly on itself after bias correction.
    assert.equal(flat.smooth, flat.raw);
  });

  it('formats numbers and durations for labels', () => {
    assert.equal(formatNumber(0), '0');
    assert.equal(formatNumber(0.41234), '0.4123');
    assert.equal(formatNumber(1e-5), '1.0e-5');
    assert.equal(formatNumber(12000), '12,000');
    assert.equal(formatNumber(2.5), '2.50');
    assert.equal(formatDuration(40), '40 s');
    assert.equal(formatDuration(250), '4 min');
    assert.equal(formatDuration(3900), '1 h 5 min');
    assert.equal(formatDuration(-1), '');
  });
});

describe('training panel: loss thinning and message guard', () => {
  it('keeps short series as they are', () => {
    const pts: Array<[number, number | null]> = [[1, 1], [2, null]];
    assert.deepEqual(thinLosses(pts, 10), pts);
  });

  it('thins long series to at most max points, keeping ends, spikes and NaN', () => {
    const pts: Array<[number, number | null]> = Array.from({ length: 10000 }, (_, i) => [i, 1 + (i % 7) / 10]);
    pts[5000] = [5000, 99];
    pts[7000] = [7000, null];
    const out = thinLosses(pts, 500);
    assert.ok(out.length <= 500, `${out.length} points`);
    assert.deepEqual(out[0], [0, 1]);
    assert.deepEqual(out[out.length - 1], pts[9999]);
    assert.ok(out.some((p) => p[1] === 99), 'the spike survives');
    assert.ok(out.some((p) => p[1] === null), 'the NaN survives');
    for (let i = 1; i < out.length; i++) assert.ok(out[i]![0] > out[i - 1]![0], 'steps stay in order');
  });

  it('accepts only the declared panel messages', () => {
    assert.ok(isTrainingPanelToHost({ type: 'ready' }));
    assert.ok(isTrainingPanelToHost({ type: 'useModel', id: 'r' }));
    assert.ok(isTrainingPanelToHost({ type: 'openFile', id: 'r', file: 'config' }));
    for (const bad of [null, 'ready', {}, { type: 'useModel' }, { type: 'openFile', id: 'r', file: '../../etc/passwd' }, { type: 'exec', cmd: 'rm' }]) {
      assert.equal(isTrainingPanelToHost(bad), false, JSON.stringify(bad));
    }
  });
});
