import * as assert from 'node:assert/strict';
import { applyNativeEnvDefaults, MIN_LANCE_CPU_THREADS, nativeEnvDefaults } from '../../../src/shared/nativeEnv';
import { watchBuild } from '../../../src/sidecar/store/buildWatch';

describe('native library environment', () => {
  it('gives LanceDB at least 2 CPU threads on small machines (one thread deadlocks its FTS build)', () => {
    for (const cores of [1, 2, 3, 4]) assert.ok(Number(nativeEnvDefaults(cores).LANCE_CPU_THREADS) >= MIN_LANCE_CPU_THREADS, `cores ${cores}`);
    assert.equal(nativeEnvDefaults(16).LANCE_CPU_THREADS, '14');
    assert.equal(nativeEnvDefaults(2).ORT_DISABLE_TELEMETRY, '1');
  });
  it('sets what is unset and keeps what the user set', () => {
    const env: NodeJS.ProcessEnv = { LANCE_CPU_THREADS: '6', ORT_DISABLE_TELEMETRY: '' };
    applyNativeEnvDefaults(env);
    assert.equal(env.LANCE_CPU_THREADS, '6');
    assert.equal(env.ORT_DISABLE_TELEMETRY, '1');
    const empty: NodeJS.ProcessEnv = {};
    applyNativeEnvDefaults(empty);
    assert.ok(Number(empty.LANCE_CPU_THREADS) >= 2);
  });
});

describe('index build watchdog', () => {
  it('reports a build that uses no CPU as stalled, without waiting for it', async () => {
    const never = new Promise<void>(() => undefined);
    const t0 = Date.now();
    assert.equal(await watchBuild(never, { stallMs: 60, checkMs: 10, cpuMs: () => 0 }), 'stalled');
    assert.ok(Date.now() - t0 < 2000);
  });
  it('keeps waiting while the build makes progress, and returns when it is done', async () => {
    let cpu = 0;
    let finish = (): void => undefined;
    const build = new Promise<void>((r) => (finish = r));
    const busy = setInterval(() => (cpu += 100), 5);
    setTimeout(finish, 200); // longer than stallMs, but busy all along
    try {
      assert.equal(await watchBuild(build, { stallMs: 50, checkMs: 10, cpuMs: () => cpu }), 'done');
    } finally {
      clearInterval(busy);
    }
  });
  it('passes a failed build on', async () => {
    await assert.rejects(watchBuild(Promise.reject(new Error('boom')), { stallMs: 50, checkMs: 10, cpuMs: () => 0 }), /boom/);
  });
});
