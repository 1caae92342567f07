/** Crash-safe small-file writes for run folders: write a temp file next to the target, fsync, rename. */
import { promises as fs } from 'node:fs';
import { tempPathFor } from '../shared/atomicWrite';

export { writeFileAtomic } from '../shared/atomicWrite';

/** Creates `file` with `data` only if it does not exist yet (atomic: a half-written file is never visible). */
export async function createFileAtomic(file: string, data: string): Promise<void> {
  const tmp = tempPathFor(file);
  const fh = await fs.open(tmp, 'w');
  try {
    await fh.writeFile(data, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    // link fails with EEXIST instead of replacing, unlike rename.
    await fs.link(tmp, file);
  } finally {
    await fs.rm(tmp, { force: true });
  }
}
