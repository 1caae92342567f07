/** Finds note files under the workspace (or under some paths of it) by include/exclude globs. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { noteFormat } from '../notes/parse';
import { GlobSet } from '../../shared/glob';
import type { ScannedFile } from './manifest';

export interface ScanOptions {
  root: string;
  include: readonly string[];
  exclude: readonly string[];
  /** Absolute folders never scanned (the index itself when it lives in the workspace). */
  skip: readonly string[];
}

export function toRel(root: string, abs: string): string {
  return path.relative(root, abs).split(path.sep).join('/');
}

export class Scanner {
  private readonly include: GlobSet;
  private readonly exclude: GlobSet;

  constructor(private readonly opts: ScanOptions) {
    this.include = new GlobSet(opts.include);
    this.exclude = new GlobSet(opts.exclude);
  }

  /** Whether a workspace-relative file path is a note this configuration indexes. */
  wants(rel: string): boolean {
    return noteFormat(rel) !== undefined && this.include.matches(rel) && !this.exclude.matches(rel) && !this.skipped(path.join(this.opts.root, rel));
  }

  private skipped(abs: string): boolean {
    return this.opts.skip.some((s) => abs === s || abs.startsWith(s + path.sep));
  }

  /** Folders and files that could not be read (lstat or readdir failed) in the scans so far, with the error code. */
  readonly unreadable: Array<{ rel: string; code: string; folder: boolean }> = [];
  /** Symbolic links met in the scans so far (never followed: they may lead outside the workspace or loop). */
  readonly symlinks: string[] = [];

  /** Every wanted file under `absStart` (a folder or a file inside the root), sorted by path. */
  scan(absStart: string = this.opts.root): ScannedFile[] {
    const out: ScannedFile[] = [];
    const failed = (abs: string, e: unknown, folder: boolean): void => {
      this.unreadable.push({ rel: toRel(this.opts.root, abs), code: (e as NodeJS.ErrnoException).code ?? String(e), folder });
    };
    const visit = (abs: string): void => {
      if (this.skipped(abs)) return;
      let st: fs.Stats;
      try {
        st = fs.lstatSync(abs);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') failed(abs, e, false); // gone since readdir: nothing to keep
        return;
      }
      const rel = toRel(this.opts.root, abs);
      if (st.isDirectory()) {
        if (rel !== '' && this.exclude.coversFolder(rel)) return;
        let names: string[];
        try {
          names = fs.readdirSync(abs);
        } catch (e) {
          failed(abs, e, true);
          return;
        }
        for (const n of names.sort()) visit(path.join(abs, n));
      } else if (st.isSymbolicLink()) {
        if (!this.exclude.matches(rel) && !this.exclude.coversFolder(rel)) this.symlinks.push(rel);
      } else if (st.isFile() && this.wants(rel)) {
        out.push({ rel, size: st.size, mtimeMs: st.mtimeMs });
      }
    };
    visit(absStart);
    return out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  }

  /** Whether `rel` is, or lies under, a path the scans could not read (its manifest rows must be kept). */
  underUnreadable(rel: string): boolean {
    return this.unreadable.some((u) => u.rel === '' || rel === u.rel || rel.startsWith(u.rel + '/'));
  }
}
