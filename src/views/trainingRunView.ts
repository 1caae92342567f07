/**
 * A run snapshot as the training panel and the tree view show it. Pure (no vscode) so it is unit-tested.
 */
import * as path from 'node:path';
import type { RunSnapshot } from '../training/runsModel';
import { formatLoss, latestMetrics, progressLine } from '../training/runState';
import { MAX_LOSS_POINTS, thinLosses, type TrainingRunView } from '../shared/webview-training';

export function runSettings(s: RunSnapshot): Array<[string, string]> {
  const c = s.config;
  if (!c) return [];
  const rows: Array<[string, string]> = [
    ['stage', c.stage],
    ['base model', c.base_model],
    ['device', c.nproc > 1 ? `${c.device} × ${c.nproc} processes` : c.device],
  ];
  if (c.data.notes) rows.push(['notes', c.data.notes]);
  if (c.data.chunks) rows.push(['chunks', c.data.chunks]);
  if (c.stage === 'stage1') rows.push(['graph', c.data.graph ?? 'the graph the trainer ships']);
  if (c.data.pairs) rows.push(['pairs', c.data.pairs]);
  if (c.stage === 'stage2') rows.push(['labels', c.data.labels ?? 'none']);
  const t = c.train;
  rows.push(
    ['epochs · batch · lr', `${t.epochs} · ${t.batch_size} · ${t.lr}`],
    ['positives per chunk', String(t.num_pos)],
    ['false-negative masking', t.mask_false_negatives ? 'on' : 'off'],
    ['created', c.created],
  );
  return rows;
}

export function toRunView(s: RunSnapshot, maxPoints = MAX_LOSS_POINTS): TrainingRunView {
  const p = s.progress;
  const losses = thinLosses(p.losses, maxPoints);
  const v: TrainingRunView = {
    id: s.id,
    status: s.status.status,
    detail: panelDetail(s),
    step: p.step,
    losses,
    lossesThinned: losses.length < p.losses.length,
    evals: p.evals,
    configErrors: s.configErrors,
    canUseModel: s.status.status === 'finished' && s.modelReady && !p.error,
    modelDir: s.modelDir,
    settings: runSettings(s),
  };
  const stage = p.stage ?? s.config?.stage;
  if (stage) v.stage = stage;
  if (p.device) v.device = p.device;
  if (p.totalSteps !== undefined) v.totalSteps = p.totalSteps;
  if (p.lastLoss !== undefined) v.lastLoss = p.lastLoss;
  if (p.lastLr !== undefined) v.lastLr = p.lastLr;
  if (p.samplesPerS !== undefined) v.samplesPerS = p.samplesPerS;
  if (p.etaS !== undefined) v.etaS = p.etaS;
  if (p.done && Object.keys(p.done.metrics).length) v.finalMetrics = p.done.metrics;
  if (p.export?.parityMaxAbsDiff !== undefined) v.parityMaxAbsDiff = p.export.parityMaxAbsDiff;
  if (p.error) v.error = p.error;
  return v;
}

/**
 * The panel's status line. A failed run's error message has its own box in the panel (with the hint), so the
 * line says where it stopped instead of repeating the message.
 */
function panelDetail(s: RunSnapshot): string {
  const p = s.progress;
  if (s.status.status === 'failed' && p.error && s.status.detail === p.error.message) {
    return p.events > 1 || p.step > 0 ? `stopped with an error at ${p.totalSteps !== undefined ? `step ${p.step}/${p.totalSteps}` : `step ${p.step}`}` : 'stopped with an error before training started';
  }
  return s.status.detail;
}

/** The tree item's description: "stage1 · running · step 120/300 · loss 0.4123". */
export function runDescription(s: RunSnapshot): string {
  const parts: string[] = [];
  const stage = s.progress.stage ?? s.config?.stage;
  if (stage) parts.push(stage);
  parts.push(s.status.status);
  if (s.progress.events > 0) parts.push(progressLine(s.progress));
  return parts.join(' · ');
}

/** Markdown-free plain lines for the tooltip (VS Code escapes a plain string). */
export function runTooltip(s: RunSnapshot): string {
  const lines = [`${s.id}: ${s.status.status}`, s.status.detail];
  const m = latestMetrics(s.progress);
  if (m) lines.push(`${m.step !== undefined ? `eval at step ${m.step}` : 'final metrics'}: ${Object.entries(m.metrics).map(([k, v]) => `${k} ${formatMetric(v)}`).join(', ')}`);
  if (s.progress.lastLoss !== undefined) lines.push(`last loss ${formatLoss(s.progress.lastLoss)}`);
  if (s.status.status === 'finished') lines.push(s.modelReady ? `model: ${s.modelDir}` : `no model folder at ${s.modelDir}`);
  if (s.configErrors.length) lines.push(`run.json: ${s.configErrors.join('; ')}`);
  lines.push(path.join(s.dir));
  return lines.join('\n');
}

export function formatMetric(v: number): string {
  return Math.abs(v) >= 1000 || Number.isInteger(v) ? String(v) : v.toFixed(4);
}
