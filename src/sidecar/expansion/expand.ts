/**
 * Query expansion with the lexicon: concepts found in the query by longest match (token level), each expanded
 * to its names and its confident abbreviations. Per-concept fusion keeps a passage that spells one concept
 * three ways from counting three times: within a concept a chunk scores its best form only. Pure.
 */
import attested from './attested.json';
import { normTokens, type Concept, type Lexicon } from './lexicon';

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

/** The plural forms of an English word that the lexicon's vocabularies list beside the singular. */
function plurals(w: string): string[] {
  const out = [`${w}s`, `${w}es`];
  if (w.endsWith('y')) out.push(`${w.slice(0, -1)}ies`);
  if (w.endsWith('is')) out.push(`${w.slice(0, -2)}es`);
  if (w.endsWith('um')) out.push(`${w.slice(0, -2)}a`);
  if (w.endsWith('itis')) out.push(`${w.slice(0, -4)}itides`);
  return out;
}

/** "texidor s twinge" (a possessive split into tokens) → "texidor twinge". */
function withoutPossessive(form: string): string {
  return form.split(' ').filter((t) => t !== 's').join(' ');
}

/** A form that only repeats another as a plural ("dyspneas", "heart attacks") or a possessive. */
export function isVariantOf(form: string, other: string): boolean {
  if (form === other) return false;
  if (form !== withoutPossessive(form) && withoutPossessive(form) === withoutPossessive(other)) return true;
  const a = form.split(' ');
  const b = other.split(' ');
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length - 1; i++) if (a[i] !== b[i]) return false;
  return plurals(b[b.length - 1]).includes(a[a.length - 1]);
}

/** A short form cut from a word of the concept's names ("hypertens" of "hypertension"): not an abbreviation people write. */
export function isTruncatedStem(sf: string, names: readonly string[]): boolean {
  if (sf.includes(' ') || sf.length < 4) return false;
  return names.some((n) => n.split(' ').some((w) => w.length > sf.length && w.startsWith(sf)));
}

/** The initials of a name ("shortness of breath" → "sob", "high blood pressure" → "hbp"). */
function initials(name: string): string {
  return name
    .split(' ')
    .map((w) => w[0])
    .join('');
}

const ATTESTED = new Set<string>((attested as { shortForms: string[] }).shortForms);

/**
 * An abbreviation worth adding to a search: one that clinical-note inventories with sense frequencies observed
 * (attested.json), one that a vocabulary lists as a name of the concept ("HTN" in DOID), or the initials of one
 * of its names. Lists without frequencies also carry coinages ("hpn" for hypertension, "shob" for shortness of
 * breath) that no note writes; those are left out.
 */
export function isPlausibleShortForm(sf: string, names: readonly string[]): boolean {
  return ATTESTED.has(sf) || names.includes(sf) || names.some((n) => n.includes(' ') && initials(n) === sf.replace(/[/.-]/g, ''));
}

/** "cold chronic obstructive lung disease": a name that is an abbreviation glossed by another name of the concept. */
function isGlossed(form: string, names: readonly string[]): boolean {
  const [first, ...rest] = form.split(' ');
  const tail = rest.join(' ');
  return rest.length > 1 && names.includes(tail) && initials(tail) === first;
}

/** Letters and digits in a form ("s/p" has 2). */
function letters(form: string): number {
  return form.replace(/[^\p{L}\p{N}]/gu, '').length;
}

/**
 * The forms of one concept to search, after the matched words: its names, then its confident abbreviations,
 * without plurals or possessives of a form already there, truncated stems, implausible short forms, and forms
 * under 3 letters unless a confident, attested abbreviation of the concept. Pure.
 */
export function conceptForms(matched: string, c: Concept): string[] {
  const norm = (f: string): string => normTokens(f).join(' ');
  const names = c.names.map(norm).filter((n) => n !== '');
  const confident = c.abbreviations.filter((a) => a.share >= MIN_FORM_SHARE).map((a) => norm(a.sf)).filter((a) => a !== '');
  const knownShort = (f: string): boolean => confident.includes(f) && ATTESTED.has(f);
  const forms = [matched];
  const consider = (f: string, isAbbreviation: boolean): void => {
    if (forms.length >= MAX_FORMS || forms.includes(f)) return;
    if (letters(f) < 3 && !knownShort(f)) return;
    if (forms.some((g) => isVariantOf(f, g)) || names.some((g) => isVariantOf(f, g))) return;
    if (isGlossed(f, names)) return;
    if (isAbbreviation && (isTruncatedStem(f, names) || !isPlausibleShortForm(f, names))) return;
    forms.push(f);
  };
  names.forEach((n) => consider(n, false));
  confident.forEach((a) => consider(a, true));
  return forms;
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
      found.push({ id: c.id, matched, forms: conceptForms(matched, c) });
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
