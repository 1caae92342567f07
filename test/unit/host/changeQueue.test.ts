import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { ChangeQueue, coalescePaths, type Timers } from '../../../src/indexing/changeQueue';

/** Manual timers and clock: tests advance time explicitly. */
class FakeTime implements Timers {
  now = 0;
  private next = 1;
  private timers = new Map<number, { at: number; fn: () => void }>();
  set(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.timers.set(id, { at: this.now + ms, fn });
    return id;
  }
  clear(h: unknown): void {
    this.timers.delete(h as number);
  }
  get pending(): number {
    return this.timers.size;
  }
  /** Advances the clock, firing due timers in order. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.now = due[1].at;
      due[1].fn();
    }
    this.now = end;
  }
}

function setup(o: { up?: () => boolean; fail?: () => boolean } = {}) {
  const time = new FakeTime();
  const batches: string[][] = [];
  const errors: Array<{ message: string; paths: string[]; retryInMs: number }> = [];
  let release: (() => void) | undefined;
  let hold = false;
  const sent: Promise<void>[] = [];
  const q = new ChangeQueue({
    delayMs: 500,
    maxWaitMs: 3000,
    canSend: o.up ?? (() => true),
    send: (paths) => {
      batches.push(paths);
      const p = hold ? new Promise<void>((r) => (release = r)) : o.fail?.() ? Promise.reject(new Error('down')) : Promise.resolve();
      sent.push(p.catch(() => undefined));
      return p;
    },
    onError: (e, paths, retryInMs) => errors.push({ message: (e as Error).message, paths, retryInMs }),
    retry: { initialMs: 2000, maxMs: 8000, stableMs: Number.POSITIVE_INFINITY },
    timers: time,
    now: () => time.now,
  });
  return {
    time,
    batches,
    errors,
    q,
    holdNext: () => (hold = true),
    release: () => {
      hold = false;
      release?.();
    },
    settle: () => Promise.all(sent).then(() => new Promise<void>((r) => setImmediate(r))),
  };
}

const P = (s: string) => path.join('/ws', s);

describe('watcher change queue', () => {
  it('coalesces duplicates and paths inside a listed folder', () => {
    assert.deepEqual(coalescePaths([P('a/1.md'), P('a'), P('a/b/2.md'), P('ab/3.md'), P('a/1.md'), P('c.md')]), [P('a'), P('ab/3.md'), P('c.md')]);
    assert.deepEqual(coalescePaths([]), []);
  });

  it('sends one batch after the changes stop for the delay', async () => {
    const t = setup();
    t.q.add(P('a.md'));
    t.time.advance(300);
    t.q.add(P('b.md'));
    t.time.advance(499);
    assert.equal(t.batches.length, 0, 'still inside the quiet time');
    t.time.advance(1);
    await t.settle();
    assert.deepEqual(t.batches, [[P('a.md'), P('b.md')]]);
    assert.equal(t.q.size, 0);
  });

  it('sends at the latest after maxWait while changes keep coming', async () => {
    const t = setup();
    for (let i = 0; i < 20; i++) {
      t.q.add(P(`n${i}.md`));
      t.time.advance(200);
    }
    await t.settle();
    assert.ok(t.batches.length >= 1);
    assert.ok(t.batches[0]!.length <= 16, 'the first batch went out after 3 s, not at the end');
  });

  it('holds changes while the sidecar is down and sends them on resume', async () => {
    let up = false;
    const t = setup({ up: () => up });
    t.q.add(P('a.md'));
    t.time.advance(1000);
    await t.settle();
    assert.equal(t.batches.length, 0);
    assert.equal(t.q.size, 1);
    up = true;
    t.q.resume();
    t.time.advance(500);
    await t.settle();
    assert.deepEqual(t.batches, [[P('a.md')]]);
  });

  it('queues a failed batch again, reports the error, and retries with back-off', async () => {
    let fail = true;
    const t = setup({ fail: () => fail });
    t.q.add(P('a.md'));
    t.time.advance(500);
    await t.settle();
    assert.equal(t.batches.length, 1);
    assert.equal(t.q.size, 1, 're-queued');
    assert.deepEqual(t.errors, [{ message: 'down', paths: [P('a.md')], retryInMs: 2000 }]);
    // A resume (the sidecar's state changes often) does not bypass the back-off.
    t.q.resume();
    t.time.advance(1999);
    await t.settle();
    assert.equal(t.batches.length, 1, 'not before the back-off');
    t.time.advance(1);
    await t.settle();
    assert.equal(t.batches.length, 2, 'retried by itself, without a resume');
    assert.equal(t.errors[1]?.retryInMs, 4000, 'the delay doubles while batches keep failing');
    t.time.advance(4000);
    await t.settle();
    assert.equal(t.errors[2]?.retryInMs, 8000);
    t.time.advance(8000);
    await t.settle();
    assert.equal(t.errors[3]?.retryInMs, 8000, 'capped');
    fail = false;
    t.time.advance(8000);
    await t.settle();
    assert.deepEqual(t.batches.at(-1), [P('a.md')]);
    assert.equal(t.q.size, 0);
    assert.equal(t.errors.length, 4);
    // A success resets the back-off: the next failure waits the initial delay again.
    fail = true;
    t.q.add(P('b.md'));
    t.time.advance(500);
    await t.settle();
    assert.equal(t.errors.at(-1)?.retryInMs, 2000);
  });

  it('sends one batch at a time: changes during a run go in the next one', async () => {
    const t = setup();
    t.holdNext();
    t.q.add(P('a.md'));
    t.time.advance(500);
    t.q.add(P('b.md'));
    t.time.advance(500);
    await new Promise((r) => setImmediate(r));
    assert.equal(t.batches.length, 1, 'the second waits for the first');
    t.release();
    await t.settle();
    await t.settle();
    assert.deepEqual(t.batches, [[P('a.md')], [P('b.md')]]);
  });

  it('does nothing after dispose', async () => {
    const t = setup();
    t.q.add(P('a.md'));
    t.q.dispose();
    assert.equal(t.time.pending, 0);
    t.q.add(P('b.md'));
    t.time.advance(5000);
    await t.settle();
    assert.equal(t.batches.length, 0);
  });
});
