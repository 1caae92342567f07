/** What Show Index Status lists, as plain text. Pure: status.ts adds the vscode-specific fields. */
import type { IndexStatus } from '../shared/protocol';
import { formatCount } from '../views/statusText';

/**
 * The index facts, one per line. The model line is left out when it would repeat the loaded model shown above
 * (`loadedModelId`); it stays when the index was embedded with another one.
 */
export function statusLines(s: IndexStatus, loadedModelId?: string): string[] {
  const sameModel = loadedModelId !== undefined && s.modelId === loadedModelId && !s.modelMismatch;
  return [
    `State: ${s.state}${s.detail ? ` — ${s.detail}` : ''}`,
    `${formatCount(s.notes)} notes, ${formatCount(s.chunks)} chunks, ${formatCount(s.patients)} patients`,
    ...(sameModel ? [] : [`Index embedded with: ${s.modelId ?? '—'}${s.modelMismatch ? ' (not the loaded model: re-index to re-embed)' : ''}`]),
    `Full-text index: ${s.hasFtsIndex ? 'yes' : 'no'} · ANN index: ${s.hasAnnIndex ? 'yes' : 'no (exact search)'}`,
    `Last indexed: ${s.lastIndexedAt ?? 'never'}`,
    `Location: ${s.location}`,
  ];
}

/**
 * The first line: the status bar's words. Its tooltip goes below only when no index facts follow (they would
 * repeat it), on one line: a quick pick shows a newline as a literal "⏎".
 */
export function headlineItem(view: { text: string; tooltip: string }, factsFollow: boolean): { label: string; detail?: string } {
  const label = view.text.replace(/^\$\([^)]*\)\s*/, '');
  return factsFollow ? { label } : { label, detail: view.tooltip.replace(/\s*\n\s*/g, ' · ') };
}

