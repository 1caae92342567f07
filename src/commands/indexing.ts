/**
 * Index Workspace and Rebuild Index: a cancellable progress notification driven by `drehr/progress`, a
 * summary, and the problems (path:row and message, never note text) in the log and a "Show Problems" pick.
 * `runIndex` is also what the file watcher calls for its scoped runs.
 */
import * as vscode from 'vscode';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Ctx } from '../ctx';
import { IndexWorkspace, type IndexResult, type Problem } from '../shared/protocol';
import { isCancellation } from '../sidecar-client/errors';
import { ProgressTracker, formatCount } from '../views/statusText';
import { offer, reportError, requireFolder, requireTrust } from './guard';

export interface RunIndexOptions {
  rebuild?: boolean;
  paths?: string[];
  token?: vscode.CancellationToken;
  report?: (increment: number, message: string) => void;
}

export function problemLine(p: Problem): string {
  return `${p.path}${p.row !== undefined ? `:${p.row}` : ''}: ${p.severity}: ${p.message}`;
}

/** One index run through the sidecar (serialized with the others). */
export function runIndex(ctx: Ctx, o: RunIndexOptions = {}): Promise<IndexResult> {
  return ctx.serializeIndex(async () => {
    const workId = randomUUID();
    const tracker = new ProgressTracker();
    const sub = ctx.client.onProgress((p) => {
      if (p.workId !== workId) return;
      const u = tracker.update(p);
      ctx.setIndexing({ phase: p.phase, ...(u.percent === undefined ? {} : { percent: u.percent }) });
      o.report?.(u.increment, u.message);
    });
    ctx.setIndexing({ phase: 'starting' });
    const scope = o.paths ? `${o.paths.length} changed path(s)` : o.rebuild ? 'rebuild of the workspace' : 'the workspace';
    ctx.log.info(`Index run started: ${scope}.`);
    try {
      const result = await ctx.client.request(
        IndexWorkspace,
        { workId, ...(o.rebuild ? { rebuild: true } : {}), ...(o.paths ? { paths: o.paths } : {}) },
        o.token,
        { waitForReply: true },
      );
      ctx.client.setStatus(result.status);
      ctx.lastProblems = result.problems;
      ctx.log.info(summary(result));
      for (const p of result.problems) (p.severity === 'error' ? ctx.log.error : ctx.log.warn).call(ctx.log, problemLine(p));
      return result;
    } finally {
      sub.dispose();
      ctx.setIndexing(undefined);
    }
  });
}

export function summary(r: IndexResult): string {
  const secs = (r.durationMs / 1000).toFixed(1);
  const head = r.cancelled ? 'Indexing cancelled' : 'Indexed';
  return (
    `${head}: ${formatCount(r.filesIndexed)} file(s) embedded, ${formatCount(r.filesUnchanged)} unchanged, ` +
    `${formatCount(r.filesRemoved)} removed; ${formatCount(r.chunksAdded)} chunks added, ${formatCount(r.chunksRemoved)} removed ` +
    `in ${secs} s. The index holds ${formatCount(r.status.chunks)} chunks of ${formatCount(r.status.notes)} notes` +
    `${r.status.notes > r.filesScanned ? ' (each row of a CSV or JSONL file is a note)' : ''}.`
  );
}

/** The command: progress notification, summary, problems. Resolves with the result (undefined when refused). */
async function indexCommand(ctx: Ctx, rebuild: boolean): Promise<IndexResult | undefined> {
  const root = requireFolder(ctx);
  if (!root || !requireTrust(rebuild ? 'Rebuilding the index' : 'Indexing')) return undefined;
  try {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: rebuild ? 'DR.EHR: rebuilding the index' : 'DR.EHR: indexing notes', cancellable: true },
      (progress, token) => runIndex(ctx, { rebuild, token, report: (increment, message) => progress.report({ increment, message }) }),
    );
    const problems = result.problems.length;
    const text = summary(result) + (result.cancelled ? ' Run Index Workspace again to finish: finished files are kept.' : '');
    if (problems > 0) {
      void vscode.window
        .showWarningMessage(`${text} ${problems} problem(s): see the list.`, 'Show Problems', 'Show Logs')
        .then((a) => (a === 'Show Problems' ? showProblems(ctx) : a === 'Show Logs' ? ctx.log.show() : undefined));
    } else {
      void vscode.window.showInformationMessage(text);
    }
    return result;
  } catch (e) {
    if (isCancellation(e)) {
      void vscode.window.showInformationMessage('Indexing cancelled. Run Index Workspace again to finish: finished files are kept.');
      return undefined;
    }
    reportError(ctx, e, rebuild ? 'rebuild the index' : 'index the workspace');
    return undefined;
  }
}

interface ProblemItem extends vscode.QuickPickItem {
  problem: Problem;
}

/** The last run's problems in a quick pick; picking one opens its file. */
export async function showProblems(ctx: Ctx): Promise<void> {
  if (ctx.lastProblems.length === 0) {
    offer('info', 'The last index run reported no problems.', []);
    return;
  }
  const items: ProblemItem[] = ctx.lastProblems.map((p) => ({
    label: `$(${p.severity === 'error' ? 'error' : 'warning'}) ${p.path}${p.row !== undefined ? `:${p.row}` : ''}`,
    detail: p.message,
    problem: p,
  }));
  const picked = await vscode.window.showQuickPick(items, { title: 'DR.EHR: problems of the last index run', matchOnDetail: true });
  const root = ctx.workspaceRoot;
  if (!picked || !root) return;
  const file = path.isAbsolute(picked.problem.path) ? picked.problem.path : path.join(root, picked.problem.path);
  try {
    await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: true });
  } catch (e) {
    offer('warning', `Cannot open ${picked.problem.path}: ${(e as Error).message}`, []);
  }
}

export function register(ctx: Ctx): void {
  ctx.extensionScope.push(
    vscode.commands.registerCommand('drehr.indexWorkspace', () => indexCommand(ctx, false)),
    vscode.commands.registerCommand('drehr.rebuildIndex', async (confirmed?: unknown) => {
      if (confirmed !== true) {
        const ok = await vscode.window.showWarningMessage(
          'Rebuild the index? It drops the index and embeds every note again.',
          { modal: true },
          'Rebuild',
        );
        if (ok !== 'Rebuild') return undefined;
      }
      return indexCommand(ctx, true);
    }),
  );
}
