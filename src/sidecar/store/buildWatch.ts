/** The watchdog over LanceDB index builds (FTS, IVF_PQ, optimize): a build that makes no progress is reported, never waited on silently. Pure. */

/** An index build that used no CPU in this process for this long is taken as stuck (a deadlocked native pool). */
export const BUILD_STALL_MS = 120_000;
export const BUILD_CHECK_MS = 5_000;
/** CPU time (ms) per check below which a check counts as "no progress": 1% of one core. */
const IDLE_CPU_FRACTION = 0.01;

/**
 * Waits for `build` while it makes progress, judged by this process's CPU time: LanceDB builds in native
 * threads of this process, so a build that keeps one core busy is working, and a deadlocked pool sits at 0%.
 * Resolves 'done' when the build settles (rejections propagate), 'stalled' after `stallMs` with no progress.
 * `cpuMs` is injectable for tests.
 */
export async function watchBuild<T>(
  build: Promise<T>,
  o: { stallMs?: number; checkMs?: number; cpuMs?: () => number } = {},
): Promise<'done' | 'stalled'> {
  const stallMs = o.stallMs ?? BUILD_STALL_MS;
  const checkMs = Math.min(o.checkMs ?? BUILD_CHECK_MS, stallMs);
  const cpuMs = o.cpuMs ?? ((): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  });
  let timer: ReturnType<typeof setInterval> | undefined;
  const stalled = new Promise<'stalled'>((resolve) => {
    let lastCpu = cpuMs();
    let idleSince = Date.now();
    timer = setInterval(() => {
      const now = Date.now();
      const cpu = cpuMs();
      if (cpu - lastCpu > checkMs * IDLE_CPU_FRACTION) idleSince = now;
      lastCpu = cpu;
      if (now - idleSince >= stallMs) resolve('stalled');
    }, checkMs);
  });
  try {
    return await Promise.race([build.then(() => 'done' as const), stalled]);
  } finally {
    clearInterval(timer);
  }
}
