/**
 * Keeps the runs model current and tells the tree view and the open panels: a file watcher on the runs folder
 * (debounced), a one-second poll while a run is running (watchers may coalesce appends), the task tracker, and a
 * switch to another folder when drehr.training.runsFolder changes. Refreshes never overlap.
 */
import * as vscode from 'vscode';
import * as path from 'node:path';
import { runsFolder } from '../config';
import type { Ctx } from '../ctx';
import { RunsModel, type RunSnapshot } from './runsModel';
import { trackTasks, type TaskTracker } from './taskTracker';
import { TrainingRunsProvider } from '../views/trainingRuns';
import { TrainingPanels } from '../views/trainingPanel';
import type { RunStatus } from './runState';

const DEBOUNCE_MS = 150;
const POLL_MS = 1000;

export class TrainingController implements vscode.Disposable {
  readonly model: RunsModel;
  readonly tree: TrainingRunsProvider;
  readonly panels: TrainingPanels;
  readonly view: vscode.TreeView<unknown>;
  private readonly changedEmitter = new vscode.EventEmitter<ReadonlySet<string>>();
  /** Fires after a refresh that changed some runs (their ids). */
  readonly onDidChange = this.changedEmitter.event;
  private readonly disposables: vscode.Disposable[] = [];
  private watcher: vscode.FileSystemWatcher | undefined;
  private debounce: ReturnType<typeof setTimeout> | undefined;
  private poll: ReturnType<typeof setTimeout> | undefined;
  private refreshing: Promise<void> | undefined;
  private again = false;
  private disposed = false;
  private readonly tracker: TaskTracker;

  constructor(private readonly ctx: Ctx) {
    this.model = new RunsModel(this.runsDir());
    this.tree = new TrainingRunsProvider(this.model);
    this.panels = new TrainingPanels(ctx.extension.extensionUri, this.model, ctx.log);
    this.view = vscode.window.createTreeView('drehr.trainingRuns', { treeDataProvider: this.tree });
    this.tracker = trackTasks({ model: this.model, log: ctx.log, changed: () => this.refreshSoon(0) });
    this.disposables.push(
      this.tracker,
      this.tree,
      this.panels,
      this.view,
      this.changedEmitter,
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('drehr.training.runsFolder')) {
          this.model.setRunsDir(this.runsDir());
          this.watch();
          this.refreshSoon(0);
        }
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => {
        this.model.setRunsDir(this.runsDir());
        this.watch();
        this.refreshSoon(0);
      }),
    );
    this.watch();
    this.refreshSoon(0);
  }

  /** The runs folder, or '' without a workspace folder (no runs then). */
  runsDir(): string {
    const root = this.ctx.workspaceRoot;
    return root ? runsFolder(this.ctx.config, root) : '';
  }

  private watch(): void {
    this.watcher?.dispose();
    this.watcher = undefined;
    const dir = this.model.runsDir;
    if (!dir) return;
    const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(dir), '**'));
    const onChange = (uri: vscode.Uri): void => {
      const rel = path.relative(dir, uri.fsPath).split(path.sep);
      if (rel.length === 2 && rel[1] === 'run.json') this.model.invalidate(rel[0]!);
      this.refreshSoon(DEBOUNCE_MS);
    };
    w.onDidCreate(onChange);
    w.onDidChange(onChange);
    w.onDidDelete(onChange);
    this.watcher = w;
  }

  refreshSoon(ms: number): void {
    if (this.disposed) return;
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      void this.refresh();
    }, ms);
  }

  /** Re-reads the runs folder; overlapping calls run once more after the current one. */
  async refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.again = false;
        try {
          await this.tracker.flush();
          const changed = await this.model.refresh();
          if (changed.size) {
            this.tree.changed();
            this.panels.update(changed);
            this.changedEmitter.fire(changed);
          }
        } catch (e) {
          this.ctx.log.warn(`Training runs: could not read ${this.model.runsDir}: ${(e as Error).message}`);
        }
      } while (this.again && !this.disposed);
    })().finally(() => {
      this.refreshing = undefined;
      this.view.message = this.model.runs.length ? undefined : 'No training runs yet. Start one with "DR.EHR: Train Stage I (Knowledge Injection)".';
      this.schedulePoll();
    });
    return this.refreshing;
  }

  private schedulePoll(): void {
    if (this.poll) clearTimeout(this.poll);
    this.poll = undefined;
    if (this.disposed || !this.model.anyRunning) return;
    this.poll = setTimeout(() => {
      this.poll = undefined;
      void this.refresh();
    }, POLL_MS);
  }

  /**
   * Resolves with the run once its status is one of `until` (or at once without `until`) and it reached
   * `minStep`; undefined after
   * `timeoutMs`. Driven by refreshes, not by sleeping: for scripts and the integration test.
   */
  waitForStatus(id: string, until: RunStatus[] | undefined, timeoutMs: number, minStep = 0): Promise<RunSnapshot | undefined> {
    const matches = (): RunSnapshot | undefined => {
      const r = this.model.get(id);
      return r && (!until || until.includes(r.status.status)) && r.progress.step >= minStep ? r : undefined;
    };
    return new Promise((resolve) => {
      const sub = this.onDidChange(() => {
        const r = matches();
        if (r) done(r);
      });
      const timer = setTimeout(() => done(undefined), timeoutMs);
      const done = (r: RunSnapshot | undefined): void => {
        clearTimeout(timer);
        sub.dispose();
        resolve(r);
      };
      void this.refresh().then(() => {
        const r = matches();
        if (r) done(r);
      });
    });
  }

  dispose(): void {
    this.disposed = true;
    if (this.debounce) clearTimeout(this.debounce);
    if (this.poll) clearTimeout(this.poll);
    this.watcher?.dispose();
    for (const d of this.disposables.reverse()) d.dispose();
  }
}
