/**
 * The index's single-writer lock: `<index>/write.lock` holding {pid, host, since, start}, created with O_EXCL.
 * Readers never take it.
 *
 * A lock is stale when its process is gone: its pid is dead on this host, or alive but started at another time
 * than the lock records (Linux: a restart handed the pid to an unrelated process). Taking over a stale lock is
 * atomic: the stale file is removed only under `write.lock.takeover` (another O_EXCL file) and only after a second
 * look finds the same file (same inode) still stale, so two processes that both judged it stale cannot both end up
 * holding the lock: the second one finds the first one's live lock. A lock that cannot be taken is reported with
 * the lock file's path and how to clear it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pidAlive } from '../../shared/pid';
import { indexLocked } from '../errors';

export { pidAlive } from '../../shared/pid';

export const LOCK_FILE = 'write.lock';
const TAKEOVER_FILE = 'write.lock.takeover';
/** A lock file without readable content is being written; older than this, its writer died half-way. */
const HALF_WRITTEN_MS = 5000;
/** The takeover file is held for microseconds; older than this, its holder died while holding it. */
const TAKEOVER_ABANDONED_MS = 10_000;

interface LockInfo {
  pid: number;
  host: string;
  since: string;
  /** The holder's start time as the kernel counts it (Linux), to tell a reused pid. */
  start?: string;
}

export interface LockHooks {
  /** Called after a lock was judged stale, before the takeover (tests use it to line up racing processes). */
  afterStaleCheck?: () => void;
}

/** A process's start time (Linux /proc/<pid>/stat field 22, clock ticks since boot); undefined elsewhere. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces: state is field 3.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[22 - 3] || undefined;
  } catch {
    return undefined;
  }
}

function readLock(file: string): LockInfo | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockInfo>;
    if (typeof v.pid === 'number' && typeof v.host === 'string') {
      return { pid: v.pid, host: v.host, since: String(v.since ?? ''), ...(typeof v.start === 'string' ? { start: v.start } : {}) };
    }
  } catch {
    // unreadable or half-written: judged below
  }
  return undefined;
}

interface Judged {
  ino: number;
  holder: LockInfo | undefined;
  stale: boolean;
}

/** Looks at the lock file: undefined when there is none. */
function judge(file: string, me: LockInfo): Judged | undefined {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const holder = readLock(file);
  let stale: boolean;
  if (!holder) {
    // Half-written or garbage: stale once it is older than a few seconds (a writer fills it at once).
    stale = Date.now() - st.mtimeMs > HALF_WRITTEN_MS;
  } else if (holder.host !== me.host || holder.pid === me.pid) {
    // Another host's pid cannot be checked; our own pid means this process holds it (one run at a time).
    stale = false;
  } else if (!pidAlive(holder.pid)) {
    stale = true;
  } else {
    const now = processStartTime(holder.pid);
    stale = holder.start !== undefined && now !== undefined && now !== holder.start;
  }
  return { ino: st.ino, holder, stale };
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Runs `fn` holding the takeover file. Returns 'busy' when another process holds it. A takeover file left by a
 * process that died holding it is removed after TAKEOVER_ABANDONED_MS.
 */
function underTakeover<T>(indexDir: string, fn: () => T): T | 'busy' {
  const guard = path.join(indexDir, TAKEOVER_FILE);
  let fd: number;
  try {
    fd = fs.openSync(guard, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    try {
      if (Date.now() - fs.statSync(guard).mtimeMs > TAKEOVER_ABANDONED_MS) fs.rmSync(guard, { force: true });
    } catch {
      // gone meanwhile
    }
    return 'busy';
  }
  try {
    fs.writeSync(fd, String(process.pid));
    fs.closeSync(fd);
    return fn();
  } finally {
    fs.rmSync(guard, { force: true });
  }
}

function lockedError(indexDir: string, file: string, holder: LockInfo | undefined): Error {
  return indexLocked(indexDir, holder?.pid ?? -1, holder?.host ?? 'unknown host', file);
}

/** Takes the lock or throws IndexLocked (naming the lock file). Returns the release function. */
export function acquireWriteLock(indexDir: string, hooks: LockHooks = {}): () => void {
  fs.mkdirSync(indexDir, { recursive: true });
  const file = path.join(indexDir, LOCK_FILE);
  const start = processStartTime(process.pid);
  const me: LockInfo = { pid: process.pid, host: os.hostname(), since: new Date().toISOString(), ...(start ? { start } : {}) };
  let last: LockInfo | undefined;
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx');
      try {
        fs.writeSync(fd, JSON.stringify(me));
      } finally {
        fs.closeSync(fd);
      }
      return () => {
        const cur = readLock(file);
        if (cur && cur.pid === me.pid && cur.host === me.host) fs.rmSync(file, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const seen = judge(file, me);
    if (!seen) continue; // released meanwhile: try again
    last = seen.holder;
    if (!seen.stale) throw lockedError(indexDir, file, seen.holder);
    hooks.afterStaleCheck?.();
    const took = underTakeover(indexDir, () => {
      // A second look under the takeover file: remove it only if it is still the same stale file.
      const again = judge(file, me);
      if (again && again.ino === seen.ino && again.stale) fs.rmSync(file, { force: true });
    });
    if (took === 'busy') sleepSync(20); // another process is taking over; its lock (or none) is seen next round
  }
  throw lockedError(indexDir, file, last);
}
