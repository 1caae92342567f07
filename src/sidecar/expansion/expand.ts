/**
 * Query expansion with the lexicon: concepts found in the query by longest match (token level), each expanded
 * to its names and its confident abbreviations. Per-concept fusion keeps a passage that spells one concept
 * three ways from counting three times: within a concept a chunk scores its best form only. Pure.
 */
import { normTokens, type Lexicon } from './lexicon';

/** Abbreviations are added as search forms only when nearly unambiguous. */
export const MIN_FORM_SHARE = 0.8;
export const MAX_CONCEPTS = 5;
export const MAX_FORMS = 8;

export interface FoundConcept {
  id: string;
  /** The query words that named it. */
  matched: string;
  /** Surface forms to search (the matched words first). */
  forms: string[];
}

export function findConcepts(query: string, lex: Lexicon): FoundConcept[] {
  const toks = normTokens(query);
  const found: FoundConcept[] = [];
  const seen = new Set<number>();
  for (let i = 0; i < toks.length && found.length < MAX_CONCEPTS; ) {
    let matchedLen = 0;
    let concepts: number[] = [];
    for (let len = Math.min(lex.maxTokens, toks.length - i); len >= 1; len--) {
      const hit = lex.terms.get(toks.slice(i, i + len).join(' '));
      if (hit) {
        matchedLen = len;
        concepts = hit;
        break;
      }
    }
    if (matchedLen === 0) {
      i++;
      continue;
    }
    const matched = toks.slice(i, i + matchedLen).join(' ');
    for (const ci of concepts) {
      if (seen.has(ci) || found.length >= MAX_CONCEPTS) continue;
      seen.add(ci);
      const c = lex.concepts[ci];
      const forms = [matched];
      const add = (f: string): void => {
        const norm = normTokens(f).join(' ');
        if (norm && !forms.includes(norm) && forms.length < MAX_FORMS) forms.push(norm);
      };
      c.names.forEach(add);
      c.abbreviations.filter((a) => a.share >= MIN_FORM_SHARE).forEach((a) => add(a.sf));
      found.push({ id: c.id, matched, forms });
    }
    i += matchedLen;
  }
  return found;
}

/** The forms a search added (not already words of the query), for SearchResult.expansions. */
export function addedForms(query: string, concepts: readonly FoundConcept[]): string[] {
  const q = ` ${normTokens(query).join(' ')} `;
  const out: string[] = [];
  for (const c of concepts) for (const f of c.forms) if (!q.includes(` ${f} `) && !out.includes(f)) out.push(f);
  return out;
}

/** One concept's ranking: every chunk any form found, scored by its best form (never a sum over forms). */
export function fuseConcept<T>(perForm: ReadonlyArray<ReadonlyArray<{ item: T; score: number }>>, key: (item: T) => string): Array<{ item: T; score: number }> {
  const best = new Map<string, { item: T; score: number }>();
  for (const list of perForm) {
    for (const r of list) {
      const k = key(r.item);
      const cur = best.get(k);
      if (!cur || r.score > cur.score) best.set(k, r);
    }
  }
  return [...best.values()].sort((a, b) => b.score - a.score || key(a.item).localeCompare(key(b.item)));
}
