/** How a search hit reads in the quick pick. Pure: the quick pick adds the vscode-specific fields. */
import type { SearchHit, SearchResult, SpellingSuggestion } from '../shared/protocol';

export interface HitItemText {
  label: string;
  description: string;
  detail: string;
}

/** One line, at most `max` characters, whitespace collapsed. */
export function oneLine(s: string, max = 240): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length <= max ? t : t.slice(0, max - 1).trimEnd() + '…';
}

export function hitItemText(hit: SearchHit): HitItemText {
  const where = hit.row !== undefined ? `${hit.sourcePath} row ${hit.row}` : hit.sourcePath;
  const meta = [hit.noteType, hit.date].filter((x): x is string => !!x && x.trim() !== '');
  return {
    label: `${hit.patientId} · ${hit.noteId}`,
    description: [...meta, `score ${formatScore(hit.score)}`, hit.matchedBy.join('+')].filter(Boolean).join(' · '),
    detail: `${oneLine(hit.snippet)}  — ${where}`,
  };
}

export function formatScore(score: number): string {
  if (!Number.isFinite(score)) return '–';
  return Math.abs(score) >= 100 ? score.toFixed(0) : Math.abs(score) >= 1 ? score.toFixed(2) : score.toFixed(3);
}

/** The "also searched: …" line, or undefined when the query was not expanded. */
export function expansionsLine(result: Pick<SearchResult, 'expansions'>, max = 8): string | undefined {
  const terms = [...new Set(result.expansions.map((e) => e.trim()).filter(Boolean))];
  if (terms.length === 0) return undefined;
  const shown = terms.slice(0, max).join(', ');
  return `also searched: ${shown}${terms.length > max ? ` (+${terms.length - max})` : ''}`;
}

/** The quick pick's title line for a finished search. */
export function resultTitle(result: SearchResult, scope: string): string {
  const n = result.hits.length;
  const base = `${n === 0 ? 'No passages' : n === 1 ? '1 passage' : `${n} passages`} ${scope} (${Math.round(result.tookMs)} ms)`;
  const also = expansionsLine(result);
  return also ? `${base} — ${also}` : base;
}

/** The quick pick item of a spelling suggestion (a "$(" of the query is not read as an icon). */
export function suggestionLabel(s: SpellingSuggestion): string {
  return `$(lightbulb) Did you mean: ${oneLine(s.query, 120).replace(/\$\(/g, '$\u200b(')}`;
}
