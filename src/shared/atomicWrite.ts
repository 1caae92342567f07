/**
 * Crash-safe file writes, for every writer of small state files (index manifest, benchmark files, reports, run
 * folders): write a temp file in the same folder, fsync it, then rename it over the target, so a reader sees the
 * old file or the new one, never half of one. Node only (the extension host, the sidecar, the CLI).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

/** A temp path beside `file` (same folder, so the rename stays on one file system). */
export function tempPathFor(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

export function writeFileAtomicSync(file: string, data: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = tempPathFor(file);
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** Writes `data` to a new file `tmp` and fsyncs it. */
async function writeTemp(tmp: string, data: string): Promise<void> {
  const fh = await fs.promises.open(tmp, 'w');
  try {
    await fh.writeFile(data, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function writeFileAtomic(file: string, data: string): Promise<void> {
  const tmp = tempPathFor(file);
  await writeTemp(tmp, data);
  try {
    await fs.promises.rename(tmp, file);
  } catch (e) {
    await fs.promises.rm(tmp, { force: true });
    throw e;
  }
}

/** Creates `file` with `data` only if it does not exist yet (EEXIST otherwise); a half-written file is never visible. */
export async function createFileAtomic(file: string, data: string): Promise<void> {
  const tmp = tempPathFor(file);
  await writeTemp(tmp, data);
  try {
    // link fails with EEXIST instead of replacing, unlike rename.
    await fs.promises.link(tmp, file);
  } finally {
    await fs.promises.rm(tmp, { force: true });
  }
}
