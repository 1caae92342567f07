/**
 * Where an entity occurs in a chunk: the entity's own words (case-insensitive, whole tokens), or a mention the
 * matcher finds of a graph concept that the entity names (by its name, a synonym or an abbreviation: "HTN" is
 * evidence for "hypertension"). A pair with evidence is explicit; one without is implicit.
 */
import type { EvidenceSpan } from '../../shared/pairs';
import type { Graph } from '../graph/graph';
import { tokenize, type EntityMatch, type EntityMatcher } from '../graph/matcher';

/** Lower-case tokens joined by one space: the key terms and entities are compared by. */
export function termKey(s: string): string {
  const low = s.toLowerCase();
  return tokenize(low)
    .map(([a, b]) => low.slice(a, b))
    .filter((t) => /[\p{L}\p{N}]/u.test(t))
    .join(' ');
}

/** Every graph term (names, synonyms, short forms) → the concepts it names. */
export class TermIndex {
  private readonly terms = new Map<string, string[]>();

  constructor(readonly graph: Graph) {
    for (const c of graph.concepts.values()) {
      for (const t of [c.name, ...c.synonyms, ...c.abbreviations.map(([sf]) => sf)]) {
        const k = termKey(t);
        if (!k) continue;
        const list = this.terms.get(k);
        if (!list) this.terms.set(k, [c.id]);
        else if (!list.includes(c.id)) list.push(c.id);
      }
    }
  }

  concepts(entity: string): readonly string[] {
    return this.terms.get(termKey(entity)) ?? [];
  }

  /** Whether the graph knows the entity (by a name, synonym or short form). */
  has(entity: string): boolean {
    return this.terms.has(termKey(entity));
  }
}

/** Occurrences of the entity's words in the text, on token boundaries. */
export function literalSpans(text: string, entity: string): EvidenceSpan[] {
  const want = tokenize(entity.toLowerCase()).map(([a, b]) => entity.toLowerCase().slice(a, b)).filter((t) => /[\p{L}\p{N}]/u.test(t));
  if (want.length === 0) return [];
  const spans = tokenize(text);
  const words = spans.map(([a, b]) => text.slice(a, b).toLowerCase());
  // punctuation tokens between the words are skipped ("s/p" vs "s p", "heart-failure")
  const idx = words.map((w, i) => (/[\p{L}\p{N}]/u.test(w) ? i : -1)).filter((i) => i >= 0);
  const out: EvidenceSpan[] = [];
  for (let i = 0; i + want.length <= idx.length; i++) {
    let ok = true;
    for (let j = 0; j < want.length && ok; j++) ok = words[idx[i + j]] === want[j];
    if (ok) out.push({ start: spans[idx[i]][0], end: spans[idx[i + want.length - 1]][1] });
  }
  return out;
}

/** Evidence spans for an entity in a chunk (literal first, then graph mentions of its concepts), sorted, unique. */
export function findEvidence(text: string, entity: string, terms: TermIndex | undefined, mentions: readonly EntityMatch[]): EvidenceSpan[] {
  const spans = literalSpans(text, entity);
  if (terms) {
    const ids = new Set(terms.concepts(entity));
    if (ids.size) for (const m of mentions) if (ids.has(m.conceptId)) spans.push({ start: m.start, end: m.end });
  }
  const seen = new Set<string>();
  return spans
    .sort((a, b) => a.start - b.start || a.end - b.end)
    .filter((s) => {
      const k = `${s.start}:${s.end}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
}

/** Mentions once per chunk (the matcher is the expensive part). */
export function mentionsOf(matcher: EntityMatcher | undefined, text: string): EntityMatch[] {
  return matcher ? matcher.find(text) : [];
}
