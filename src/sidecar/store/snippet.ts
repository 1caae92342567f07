/**
 * A short excerpt of a chunk around the query's words, with highlight ranges into the excerpt. Plain text:
 * the UI renders it as text, never HTML. Pure.
 */
import type { Highlight } from '../../shared/protocol';

const STOP = new Set(['a', 'an', 'and', 'are', 'as', 'at', 'be', 'by', 'for', 'from', 'has', 'have', 'in', 'is', 'it', 'of', 'on', 'or', 'the', 'to', 'was', 'were', 'with']);
const TOKEN = /[\p{L}\p{N}]+/gu;

/** Lowercased query terms worth highlighting. */
export function queryTerms(query: string): string[] {
  const terms = new Set<string>();
  for (const m of query.toLowerCase().matchAll(TOKEN)) if (!STOP.has(m[0])) terms.add(m[0]);
  return [...terms];
}

/** A word matches a term when equal, or when the term is 4+ chars and a prefix of the word (plurals, -itis). */
function matches(word: string, terms: readonly string[]): boolean {
  return terms.some((t) => word === t || (t.length >= 4 && word.startsWith(t)));
}

export function highlightRanges(text: string, terms: readonly string[]): Highlight[] {
  const out: Highlight[] = [];
  for (const m of text.matchAll(TOKEN)) {
    if (matches(m[0].toLowerCase(), terms)) out.push({ start: m.index, end: m.index + m[0].length });
  }
  return out;
}

/** Sorted ranges with overlapping or touching ones merged into one. */
export function mergeSpans(spans: readonly Highlight[]): Highlight[] {
  const out: Highlight[] = [];
  for (const h of [...spans].filter((x) => x.end > x.start).sort((a, b) => a.start - b.start || a.end - b.end)) {
    const last = out[out.length - 1];
    if (last && h.start <= last.end) last.end = Math.max(last.end, h.end);
    else out.push({ start: h.start, end: h.end });
  }
  return out;
}

/**
 * Highlight spans of a text: the query's words (`terms`, as `highlightRanges`: whole words, or a 4+ letter
 * prefix) and the expansions that matched (`phrases`: normalized token sequences such as "htn" or "high blood
 * pressure", matched as whole token sequences, case-insensitive, so "HTN" is marked but "HTNX" is not, and
 * "s/p" matches "S/P"). A phrase is one span from its first to its last token. Overlaps are merged. Pure.
 */
export function highlightSpans(text: string, terms: readonly string[], phrases: readonly string[] = []): Highlight[] {
  const spans = highlightRanges(text, terms);
  const seqs = phrases.map((p) => p.toLowerCase().match(TOKEN) ?? []).filter((t) => t.length > 0);
  if (seqs.length) {
    const toks = [...text.matchAll(TOKEN)].map((m) => ({ w: m[0].toLowerCase(), start: m.index, end: m.index + m[0].length }));
    for (let i = 0; i < toks.length; i++) {
      for (const seq of seqs) {
        if (i + seq.length > toks.length) continue;
        let ok = true;
        for (let j = 0; j < seq.length && ok; j++) ok = toks[i + j].w === seq[j];
        if (ok) spans.push({ start: toks[i].start, end: toks[i + seq.length - 1].end });
      }
    }
  }
  return mergeSpans(spans);
}

export function makeSnippet(text: string, terms: readonly string[], maxChars = 240, phrases: readonly string[] = []): { snippet: string; highlights: Highlight[] } {
  const all = highlightSpans(text, terms, phrases);
  if (text.length <= maxChars) return { snippet: text, highlights: all };
  const center = all.length ? all[0].start : 0;
  let start = Math.max(0, center - Math.floor(maxChars / 3));
  let end = Math.min(text.length, start + maxChars);
  start = Math.max(0, end - maxChars);
  // Do not cut words at either end.
  if (start > 0) {
    const sp = text.indexOf(' ', start);
    if (sp >= 0 && sp < center) start = sp + 1;
  }
  if (end < text.length) {
    const sp = text.lastIndexOf(' ', end);
    if (sp > start) end = sp;
  }
  const prefix = start > 0 ? '… ' : '';
  const suffix = end < text.length ? ' …' : '';
  const shift = prefix.length - start;
  const highlights = all.filter((h) => h.start >= start && h.end <= end).map((h) => ({ start: h.start + shift, end: h.end + shift }));
  return { snippet: prefix + text.slice(start, end) + suffix, highlights };
}
