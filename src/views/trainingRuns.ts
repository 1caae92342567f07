/**
 * The "Training Runs" tree view (drehr.trainingRuns): one item per run with its status, step/total and last
 * loss; children with the latest evaluation metrics, the last checkpoint, the error. A finished run with a model
 * has contextValue `drehrRunFinished`, which shows "Use This Model" (package.json menus). Selecting a run opens
 * its panel.
 */
import * as vscode from 'vscode';
import type { RunSnapshot, RunsModel } from '../training/runsModel';
import { latestMetrics } from '../training/runState';
import { formatMetric, runDescription, runTooltip } from './trainingRunView';

export const OPEN_RUN_COMMAND = 'drehr.openTrainingRun';

export type RunsNode = { kind: 'run'; id: string } | { kind: 'detail'; runId: string; key: string; label: string; description?: string; icon?: string };

const STATUS_ICON: Record<RunSnapshot['status']['status'], vscode.ThemeIcon> = {
  running: new vscode.ThemeIcon('sync~spin'),
  finished: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  interrupted: new vscode.ThemeIcon('debug-pause', new vscode.ThemeColor('testing.iconQueued')),
};

export function contextValueOf(run: RunSnapshot): string {
  return run.status.status === 'finished' && run.modelReady ? 'drehrRunFinished' : `drehrRun.${run.status.status}`;
}

export function detailsOf(run: RunSnapshot): RunsNode[] {
  const out: RunsNode[] = [];
  const d = (key: string, label: string, description?: string, icon?: string): RunsNode => ({ kind: 'detail', runId: run.id, key, label, ...(description !== undefined ? { description } : {}), ...(icon ? { icon } : {}) });
  if (run.progress.error) out.push(d('error', run.progress.error.message, run.progress.error.hint, 'error'));
  for (const e of run.configErrors) out.push(d(`config:${e}`, 'run.json', e, 'warning'));
  const m = latestMetrics(run.progress);
  if (m) {
    for (const [k, v] of Object.entries(m.metrics)) out.push(d(`metric:${k}`, k, `${formatMetric(v)}${m.step !== undefined ? ` (step ${m.step})` : ''}`, 'graph'));
  }
  if (run.progress.lastCheckpoint) out.push(d('checkpoint', 'checkpoint', `step ${run.progress.lastCheckpoint.step}`, 'save'));
  if (run.status.status === 'finished') out.push(d('model', 'model', run.modelReady ? run.modelDir : `missing: ${run.modelDir}`, run.modelReady ? 'package' : 'warning'));
  return out;
}

export class TrainingRunsProvider implements vscode.TreeDataProvider<RunsNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<RunsNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;

  constructor(private readonly model: RunsModel) {}

  /** Call after model.refresh(). */
  changed(): void {
    this.emitter.fire(undefined);
  }

  getChildren(node?: RunsNode): RunsNode[] {
    if (!node) return this.model.runs.map((r) => ({ kind: 'run', id: r.id }));
    if (node.kind === 'run') {
      const run = this.model.get(node.id);
      return run ? detailsOf(run) : [];
    }
    return [];
  }

  getTreeItem(node: RunsNode): vscode.TreeItem {
    if (node.kind === 'detail') {
      const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
      item.id = `${node.runId}/${node.key}`;
      if (node.description !== undefined) {
        item.description = node.description;
        item.tooltip = `${node.label}: ${node.description}`;
      }
      if (node.icon) item.iconPath = new vscode.ThemeIcon(node.icon);
      return item;
    }
    const run = this.model.get(node.id);
    const item = new vscode.TreeItem(node.id, vscode.TreeItemCollapsibleState.None);
    item.id = node.id;
    if (!run) return item;
    item.description = runDescription(run);
    item.tooltip = runTooltip(run);
    item.iconPath = STATUS_ICON[run.status.status];
    item.contextValue = contextValueOf(run);
    item.collapsibleState = detailsOf(run).length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None;
    item.command = { command: OPEN_RUN_COMMAND, title: 'Open Training Run', arguments: [run.id] };
    return item;
  }

  getParent(node: RunsNode): RunsNode | undefined {
    return node.kind === 'detail' ? { kind: 'run', id: node.runId } : undefined;
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
