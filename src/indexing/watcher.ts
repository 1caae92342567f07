/**
 * Keeps the index current (drehr.index.watch): note files created, changed or deleted, and created folders
 * (notes written at once into a new folder can arrive as a folder event only), go to the change queue, which
 * sends debounced scoped index runs and holds changes while the sidecar restarts. Active only when an index
 * exists, the workspace is trusted and the setting is on; never for files under excluded folders (the index
 * itself lives in .drehr/).
 */
import * as vscode from 'vscode';
import * as path from 'node:path';
import type { Ctx } from '../ctx';
import { indexLocation, isUri, runsFolder } from '../config';
import { runIndex } from '../commands/indexing';
import { explainError } from '../sidecar-client/errors';
import { ChangeQueue } from './changeQueue';
import { GlobSet, isExcludedFolder, isNotePath } from '../shared/glob';

export const WATCH_DELAY_MS = 500;
export const WATCH_MAX_WAIT_MS = 3000;

class Watcher implements vscode.Disposable {
  private readonly subs: vscode.Disposable[] = [];
  readonly queue: ChangeQueue;
  private readonly include: GlobSet;
  private readonly exclude: GlobSet;
  private readonly ignored: string[];

  constructor(
    ctx: Ctx,
    private readonly root: string,
  ) {
    const c = ctx.config;
    this.include = new GlobSet(c.include);
    this.exclude = new GlobSet(c.exclude);
    const index = indexLocation(c, root);
    this.ignored = [isUri(index) ? '' : index, runsFolder(c, root), path.join(root, '.drehr')].filter(Boolean);
    this.queue = new ChangeQueue({
      delayMs: WATCH_DELAY_MS,
      maxWaitMs: WATCH_MAX_WAIT_MS,
      canSend: () => ctx.client.state.kind === 'running',
      send: async (paths) => {
        ctx.log.info(`Watcher: indexing ${paths.length} changed path(s).`);
        const r = await runIndex(ctx, { paths });
        if (r.problems.length > 0) ctx.log.warn(`Watcher: ${r.problems.length} problem(s); run Index Workspace to see them listed.`);
      },
      // Kept queued and retried; the message says why (an IndexLocked one names the lock file and how to clear it).
      onError: (e, paths, retryInMs) =>
        ctx.log.warn(`Watcher: indexing ${paths.length} changed path(s) failed: ${explainError(e, 'index the changed notes').message} Retrying in ${Math.round(retryInMs / 1000)} s.`),
    });
    for (const glob of c.include) {
      const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(root, glob));
      this.subs.push(w, w.onDidCreate((u) => this.file(u)), w.onDidChange((u) => this.file(u)), w.onDidDelete((u) => this.file(u)));
    }
    // Folders: created ones are scanned whole; a deleted one removes its rows.
    const all = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(root, '**/*'), false, true, false);
    this.subs.push(all, all.onDidCreate((u) => void this.maybeFolder(u)), all.onDidDelete((u) => this.deleted(u)));
  }

  private rel(u: vscode.Uri): string | undefined {
    if (u.scheme !== 'file') return undefined;
    const p = u.fsPath;
    if (this.ignored.some((i) => p === i || p.startsWith(i + path.sep))) return undefined;
    const rel = path.relative(this.root, p);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
    return rel.split(path.sep).join('/');
  }

  private file(u: vscode.Uri): void {
    const rel = this.rel(u);
    if (rel !== undefined && isNotePath(rel, this.include, this.exclude)) this.queue.add(u.fsPath);
  }

  private async maybeFolder(u: vscode.Uri): Promise<void> {
    const rel = this.rel(u);
    if (rel === undefined || isExcludedFolder(rel, this.exclude)) return;
    try {
      const stat = await vscode.workspace.fs.stat(u);
      if (stat.type & vscode.FileType.Directory) this.queue.add(u.fsPath);
      else if (isNotePath(rel, this.include, this.exclude)) this.queue.add(u.fsPath);
    } catch {
      // gone again before we looked
    }
  }

  private deleted(u: vscode.Uri): void {
    const rel = this.rel(u);
    if (rel === undefined || isExcludedFolder(rel, this.exclude)) return;
    // A deleted note file is handled by the include watchers; a deleted path without an extension is taken for a folder.
    if (path.extname(rel) === '') this.queue.add(u.fsPath);
  }

  dispose(): void {
    this.queue.dispose();
    for (const s of this.subs) s.dispose();
  }
}

/** Why the watcher is off, or undefined when it should run. */
function whyOff(ctx: Ctx): string | undefined {
  if (!ctx.config.watch) return 'drehr.index.watch is off';
  if (!vscode.workspace.isTrusted) return 'the workspace is not trusted';
  if (!ctx.workspaceRoot) return 'no folder is open';
  const s = ctx.client.status;
  if (!s || s.state === 'missing' || s.state === 'empty') return 'there is no index yet';
  return undefined;
}

export function register(ctx: Ctx): void {
  let watcher: Watcher | undefined;
  let watchedRoot: string | undefined;
  let lastReason: string | undefined;
  const stop = () => {
    watcher?.dispose();
    watcher = undefined;
    watchedRoot = undefined;
  };
  const update = (rebuild = false) => {
    const reason = whyOff(ctx);
    if (reason !== lastReason) {
      ctx.log.info(reason ? `File watcher off: ${reason}.` : 'File watcher on.');
      lastReason = reason;
    }
    if (reason) return stop();
    const root = ctx.workspaceRoot!;
    if (rebuild || watchedRoot !== root) {
      stop();
      watcher = new Watcher(ctx, root);
      watchedRoot = root;
    }
    if (ctx.client.state.kind === 'running') watcher?.queue.resume();
  };
  ctx.extensionScope.push(
    { dispose: stop },
    ctx.onDidChange(() => update()),
    vscode.workspace.onDidGrantWorkspaceTrust(() => update()),
    vscode.workspace.onDidChangeWorkspaceFolders(() => update(true)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (['drehr.index.watch', 'drehr.notes.include', 'drehr.notes.exclude', 'drehr.index.location', 'drehr.training.runsFolder'].some((k) => e.affectsConfiguration(k))) {
        update(true);
      }
    }),
  );
  update();
}
