import * as assert from 'node:assert/strict';
import { Backoff, DEFAULT_BACKOFF } from '../../../src/sidecar-client/backoff';

describe('sidecar restart back-off', () => {
  it('doubles from 1 s up to 30 s for crashes in a row', () => {
    const b = new Backoff();
    let t = 0;
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      b.started(t);
      t += 100; // crashes soon after each start
      delays.push(b.nextDelay(t));
    }
    assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    assert.equal(b.attempts, 8);
  });

  it('starts over after a process that ran for a stable minute', () => {
    const b = new Backoff();
    b.started(0);
    b.nextDelay(10);
    b.started(1010);
    assert.equal(b.nextDelay(1020), 2000);
    b.started(5000);
    assert.equal(b.nextDelay(5000 + DEFAULT_BACKOFF.stableMs - 1), 4000, 'just under a minute is not stable');
    b.started(10000);
    assert.equal(b.nextDelay(10000 + DEFAULT_BACKOFF.stableMs), 1000, 'a minute is stable');
  });

  it('a deliberate restart resets the sequence', () => {
    const b = new Backoff({ initialMs: 10, maxMs: 50, stableMs: 1000 });
    assert.equal(b.nextDelay(0), 10);
    assert.equal(b.nextDelay(0), 20);
    b.reset();
    assert.equal(b.attempts, 0);
    assert.equal(b.nextDelay(0), 10);
  });

  it('never overflows after many crashes', () => {
    const b = new Backoff({ initialMs: 1000, maxMs: 30000, stableMs: 60000 });
    let d = 0;
    for (let i = 0; i < 2000; i++) d = b.nextDelay(0);
    assert.equal(d, 30000);
  });
});
