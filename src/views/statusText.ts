/** What the status bar item says for a sidecar state, an index status and a running index job. Pure. */
import type { IndexStatus, ModelInfo } from '../shared/protocol';
import type { SidecarState } from '../sidecar-client/client';

export interface StatusView {
  text: string;
  tooltip: string;
  severity: 'normal' | 'busy' | 'warning' | 'error';
}

export interface IndexingProgress {
  phase: string;
  /** 0–100, undefined when the total is not known yet. */
  percent?: number;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** Which engine runs the model, where, and in what precision: "torch · cuda · fp16 (NVIDIA H100)", "onnx · cpu". */
export function engineLabel(m: ModelInfo): string {
  // The torch engine runs the fp32 weights in its dtype; onnxruntime runs the graph of the chosen precision.
  const engine = m.engine ?? 'onnx';
  const numbers = engine === 'torch' ? m.dtype : m.precision;
  const parts = [engine, m.device, ...(numbers ? [numbers] : [])];
  return `${parts.join(' · ')}${m.gpu ? ` (${m.gpu})` : ''}`;
}

export function statusView(sidecar: SidecarState, index: IndexStatus | undefined, indexing?: IndexingProgress): StatusView {
  const name = 'DR.EHR';
  if (indexing) {
    const pct = indexing.percent === undefined ? '' : ` ${Math.floor(indexing.percent)}%`;
    return { text: `$(sync~spin) ${name}: indexing${pct}`, tooltip: `Indexing notes (${indexing.phase}). Click for the index status.`, severity: 'busy' };
  }
  switch (sidecar.kind) {
    case 'starting':
      return { text: `$(loading~spin) ${name}: starting`, tooltip: 'The DR.EHR sidecar is loading the model and the index.', severity: 'busy' };
    case 'restarting':
      return {
        text: `$(debug-restart) ${name}: sidecar restarting`,
        tooltip: `The sidecar stopped unexpectedly (${sidecar.reason}); restart ${sidecar.attempt} in ${Math.ceil(sidecar.delayMs / 1000)} s.`,
        severity: 'warning',
      };
    case 'failed':
      return { text: `$(error) ${name}: error`, tooltip: `The sidecar cannot run: ${sidecar.message}`, severity: 'error' };
    case 'error':
      return { text: `$(error) ${name}: error`, tooltip: sidecar.message, severity: 'error' };
    case 'stopped':
      return { text: `$(circle-slash) ${name}: stopped`, tooltip: 'The sidecar is not running. Click for details.', severity: 'warning' };
    case 'running':
      break;
  }
  if (!index) return { text: `$(database) ${name}`, tooltip: 'Index status unknown.', severity: 'normal' };
  const model = sidecar.init.model as ModelInfo | undefined;
  const where = `Index: ${index.location}${model ? `\nEngine: ${engineLabel(model)}` : ''}`;
  if (index.modelMismatch) {
    return {
      text: `$(warning) ${name}: model mismatch`,
      tooltip: `The index was built with ${index.modelId ?? 'another model'}; run Index Workspace to re-embed it with the loaded model.\n${where}`,
      severity: 'warning',
    };
  }
  switch (index.state) {
    case 'ready':
      return {
        text: `$(database) ${name}: ${formatCount(index.chunks)} chunks`,
        tooltip: `Ready: ${formatCount(index.notes)} notes, ${formatCount(index.chunks)} chunks, ${formatCount(index.patients)} patients.\n${where}`,
        severity: 'normal',
      };
    case 'indexing':
      return { text: `$(sync~spin) ${name}: indexing`, tooltip: `Another process is indexing.\n${where}`, severity: 'busy' };
    case 'stale':
      return {
        text: `$(warning) ${name}: index stale`,
        tooltip: `${index.detail ?? 'The index is out of date.'} Run Index Workspace.\n${where}`,
        severity: 'warning',
      };
    case 'corrupt':
      return { text: `$(error) ${name}: index error`, tooltip: `${index.detail ?? 'The index cannot be read.'} Rebuild it.\n${where}`, severity: 'error' };
    case 'missing':
    case 'empty':
      return { text: `$(database) ${name}: not indexed`, tooltip: `No index yet: run Index Workspace.\n${where}`, severity: 'normal' };
  }
}

/** Tracks `drehr/progress` notifications of one job and turns them into monotone progress-bar increments. */
export class ProgressTracker {
  private reported = 0;
  private phase = '';

  /** Returns the increment (0–100 scale) to report and the message to show. */
  update(p: { phase: string; done: number; total: number; message?: string; unit?: 'bytes' }): { increment: number; message: string; percent?: number } {
    this.phase = p.phase;
    const percent = p.total > 0 ? Math.max(0, Math.min(100, (100 * p.done) / p.total)) : undefined;
    let increment = 0;
    if (percent !== undefined && percent > this.reported) {
      increment = percent - this.reported;
      this.reported = percent;
    }
    const mb = (n: number): string => `${(n / 1048576).toFixed(1)}`;
    const count = p.total <= 0 ? '' : p.unit === 'bytes' ? ` ${mb(p.done)}/${mb(p.total)} MB` : ` ${formatCount(p.done)}/${formatCount(p.total)}`;
    return { increment, message: `${p.phase}${count}${p.message ? ` · ${p.message}` : ''}`, ...(percent === undefined ? {} : { percent }) };
  }

  get currentPhase(): string {
    return this.phase;
  }
}
