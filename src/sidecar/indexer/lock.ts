/**
 * The index's single-writer lock: `<index>/write.lock` holding {pid, host, since}, created with O_EXCL. A lock
 * whose pid is dead on this host is stale and taken over. Readers never take it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pidAlive } from '../../shared/pid';
import { indexLocked } from '../errors';

export { pidAlive } from '../../shared/pid';

export const LOCK_FILE = 'write.lock';

interface LockInfo {
  pid: number;
  host: string;
  since: string;
}

function readLock(file: string): LockInfo | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockInfo>;
    if (typeof v.pid === 'number' && typeof v.host === 'string') return { pid: v.pid, host: v.host, since: String(v.since ?? '') };
  } catch {
    // unreadable or half-written: treated below
  }
  return undefined;
}

/** Takes the lock or throws IndexLocked. Returns the release function. */
export function acquireWriteLock(indexDir: string): () => void {
  fs.mkdirSync(indexDir, { recursive: true });
  const file = path.join(indexDir, LOCK_FILE);
  const me: LockInfo = { pid: process.pid, host: os.hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx');
      fs.writeSync(fd, JSON.stringify(me));
      fs.closeSync(fd);
      return () => {
        const cur = readLock(file);
        if (cur && cur.pid === me.pid && cur.host === me.host) fs.rmSync(file, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = readLock(file);
    let stale: boolean;
    if (!holder) {
      // Half-written or garbage: stale if it is older than a few seconds (a writer fills it at once).
      stale = Date.now() - fs.statSync(file).mtimeMs > 5000;
    } else {
      stale = holder.host === me.host && (holder.pid === me.pid ? false : !pidAlive(holder.pid));
    }
    if (!stale) throw indexLocked(indexDir, holder?.pid ?? -1, holder?.host ?? 'unknown host');
    fs.rmSync(file, { force: true });
  }
  throw indexLocked(indexDir, -1, 'unknown host');
}
