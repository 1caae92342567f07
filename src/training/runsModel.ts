/**
 * All runs of a runs folder, kept current by `refresh()`: the folder listing, each run's config, its events
 * (tailed incrementally), the editor's task record and the derived status. Node only (no vscode); the tree view
 * and the panels read snapshots from it, the task tracker tells it which runs have a live task.
 */
import * as path from 'node:path';
import { deriveStatus, modelDirOf, type DerivedStatus, type ProcessInfo, type RunProgress } from './runState';
import { EVENTS_JSONL, EventsTail, hasModel, listRunIds, pidAlive, readRunConfig, readTaskRecord, type TaskRecord } from './runFolder';
import type { RunConfig } from './runConfig';

export interface RunSnapshot {
  id: string;
  dir: string;
  config?: RunConfig;
  /** Problems with run.json (missing, malformed, invalid); the run is still listed. */
  configErrors: string[];
  progress: RunProgress;
  status: DerivedStatus;
  /** Where the run's model is (or will be). */
  modelDir: string;
  /** The model folder exists with a drehr.json. */
  modelReady: boolean;
  /** For sorting: the config's creation time, else the events file's last write. */
  sortKey: number;
}

/** A task of this window that runs a trainer for a run folder. */
export interface LiveTask {
  exitCode?: number;
  ended: boolean;
  /** A trainer process was seen (false between executeTask and the process start, or when it never launched). */
  started?: boolean;
}

interface Entry {
  tail: EventsTail;
  config?: RunConfig;
  configErrors: string[];
  configLoaded: boolean;
}

export class RunsModel {
  private entries = new Map<string, Entry>();
  private snapshots: RunSnapshot[] = [];
  /** Runs whose trainer was started or ended by a task of this window, by run id. */
  readonly live = new Map<string, LiveTask>();

  constructor(
    public runsDir: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Switches to another runs folder (the setting changed). */
  setRunsDir(dir: string): void {
    if (dir === this.runsDir) return;
    this.runsDir = dir;
    this.entries.clear();
    this.snapshots = [];
  }

  get runs(): readonly RunSnapshot[] {
    return this.snapshots;
  }

  get(id: string): RunSnapshot | undefined {
    return this.snapshots.find((r) => r.id === id);
  }

  /** True while some run counts as running (the caller polls faster then). */
  get anyRunning(): boolean {
    return this.snapshots.some((r) => r.status.status === 'running');
  }

  /** Forgets a run's cached config so the next refresh reads run.json again. */
  invalidate(id: string): void {
    const e = this.entries.get(id);
    if (e) e.configLoaded = false;
  }

  /** Re-reads the folder; returns the ids whose snapshot changed (added, removed, or new events / status). */
  async refresh(): Promise<Set<string>> {
    const ids = await listRunIds(this.runsDir);
    const changed = new Set<string>();
    for (const id of this.entries.keys()) {
      if (!ids.includes(id)) {
        this.entries.delete(id);
        changed.add(id);
      }
    }
    const before = new Map(this.snapshots.map((s) => [s.id, s]));
    const next: RunSnapshot[] = [];
    for (const id of ids) {
      const dir = path.join(this.runsDir, id);
      let e = this.entries.get(id);
      if (!e) {
        e = { tail: new EventsTail(path.join(dir, EVENTS_JSONL)), configErrors: [], configLoaded: false };
        this.entries.set(id, e);
      }
      if (!e.configLoaded) {
        const read = await readRunConfig(dir);
        e.config = read.config;
        e.configErrors = read.errors;
        e.configLoaded = true;
      }
      const task = await readTaskRecord(dir);
      const live = this.live.get(id);
      const finalRead = !!live?.ended || (!live && task?.endedAt !== undefined);
      await e.tail.poll(finalRead);
      const status = deriveStatus(e.tail.progress, this.processInfo(live, task, e.tail.lastWriteMs));
      const modelDir = modelDirOf(e.tail.progress, dir);
      const modelReady = status.status === 'finished' ? await hasModel(modelDir) : false;
      const created = e.config ? Date.parse(e.config.created) : NaN;
      const snap: RunSnapshot = {
        id,
        dir,
        ...(e.config ? { config: e.config } : {}),
        configErrors: e.configErrors,
        progress: e.tail.progress,
        status,
        modelDir,
        modelReady,
        sortKey: Number.isFinite(created) ? created : (e.tail.lastWriteMs ?? 0),
      };
      const old = before.get(id);
      if (!old || old.progress.events !== snap.progress.events || old.status.status !== snap.status.status || old.status.detail !== snap.status.detail || old.modelReady !== snap.modelReady || old.configErrors.length !== snap.configErrors.length) {
        changed.add(id);
      }
      next.push(snap);
    }
    next.sort((a, b) => b.sortKey - a.sortKey || (a.id < b.id ? 1 : -1));
    this.snapshots = next;
    return changed;
  }

  private processInfo(live: LiveTask | undefined, task: TaskRecord | undefined, lastWriteMs: number | undefined): ProcessInfo {
    const age = lastWriteMs === undefined ? undefined : Math.max(0, this.now() - lastWriteMs);
    if (live) {
      return {
        taskRunning: !live.ended,
        ended: live.ended,
        ...(live.ended && live.started === false ? { neverStarted: true } : {}),
        ...(live.exitCode !== undefined ? { exitCode: live.exitCode } : {}),
        ...(age !== undefined ? { lastWriteAgeMs: age } : {}),
      };
    }
    if (task) {
      if (task.endedAt !== undefined) {
        return { taskRunning: false, ended: true, ...(typeof task.exitCode === 'number' ? { exitCode: task.exitCode } : {}) };
      }
      // Started by a task (this window before a reload, or another window) that has not recorded its end.
      return { taskRunning: false, ended: false, pidAlive: task.pid !== undefined && pidAlive(task.pid), ...(age !== undefined ? { lastWriteAgeMs: age } : {}) };
    }
    return { taskRunning: false, ended: false, ...(age !== undefined ? { lastWriteAgeMs: age } : {}) };
  }
}
