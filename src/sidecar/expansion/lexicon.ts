/**
 * The model folder's optional lexicon (lexicon.json.gz, written by the trainer):
 * `{"concepts":[{"id","names":[...],"abbreviations":[{"sf","share"}],"children":[ids]}]}`.
 * `buildLexicon` is pure; `loadLexicon` reads and gunzips the file.
 */
import * as fs from 'node:fs';
import { gunzipSync } from 'node:zlib';

export interface Concept {
  id: string;
  names: string[];
  abbreviations: Array<{ sf: string; share: number }>;
}

export interface Lexicon {
  concepts: Concept[];
  /** Normalized term (tokens joined by one space) → indices of concepts it names. */
  terms: Map<string, number[]>;
  /** Longest term in tokens (bounds the longest-match search). */
  maxTokens: number;
}

/** An abbreviation in the query counts when at least this share of its uses mean the concept. */
export const MIN_ABBREVIATION_SHARE = 0.3;

const TOKEN = /[\p{L}\p{N}]+/gu;

export function normTokens(text: string): string[] {
  return [...text.toLowerCase().matchAll(TOKEN)].map((m) => m[0]);
}

/**
 * A name as a search term: source vocabularies carry qualifiers that no note spells: DOID's "(& [...])" cross
 * references ("High blood pressure (& [essential hypertension])"), SNOMED semantic tags ("Asthma (disorder)") and
 * Read-code prefixes ("[X]Depressive episode"). Those go; other parentheses are kept as words, since they can carry
 * meaning ("Diabetes mellitus (type 2)"). A name left empty is dropped.
 */
const SEMANTIC_TAG =
  /\((?:disorder|finding|procedure|morphologic abnormality|situation|body structure|qualifier value|observable entity|regime\/therapy|substance|product|event|navigational concept)\)/gi;

export function cleanName(name: string): string {
  return name
    .replace(/\(&[^()]*(?:\([^()]*\)[^()]*)*\)/g, ' ')
    .replace(SEMANTIC_TAG, ' ')
    .replace(/^\s*\[[A-Z]{1,2}\]/, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** A short form as a search term: letters and digits, with inner '/', '.' or '-' only ("bp+" or "?MI" are not). */
export function isSearchableShortForm(sf: string): boolean {
  return /^[\p{L}\p{N}](?:[\p{L}\p{N}/.-]*[\p{L}\p{N}])?$/u.test(sf.trim());
}

export function buildLexicon(raw: unknown): Lexicon {
  const list = (raw as { concepts?: unknown })?.concepts;
  if (!Array.isArray(list)) throw new Error('no "concepts" array');
  const concepts: Concept[] = [];
  const terms = new Map<string, number[]>();
  let maxTokens = 1;
  const addTerm = (term: string, ci: number): void => {
    const toks = normTokens(term);
    if (toks.length === 0) return;
    const key = toks.join(' ');
    const at = terms.get(key) ?? [];
    if (!at.includes(ci)) at.push(ci);
    terms.set(key, at);
    maxTokens = Math.max(maxTokens, toks.length);
  };
  for (const c of list as Array<Record<string, unknown>>) {
    if (typeof c?.id !== 'string' || !Array.isArray(c.names)) continue;
    const byKey = new Map<string, string>(); // one spelling per normalized name, the first one given
    for (const n of c.names) {
      const name = typeof n === 'string' ? cleanName(n) : '';
      const key = normTokens(name).join(' ');
      if (key !== '' && !byKey.has(key)) byKey.set(key, name);
    }
    const names = [...byKey.values()];
    const abbreviations = (Array.isArray(c.abbreviations) ? c.abbreviations : [])
      .map((a: { sf?: unknown; share?: unknown }) => ({ sf: typeof a?.sf === 'string' ? a.sf : '', share: typeof a?.share === 'number' ? a.share : 0 }))
      .filter((a) => a.sf !== '' && isSearchableShortForm(a.sf));
    if (names.length === 0) continue;
    const ci = concepts.length;
    concepts.push({ id: c.id, names, abbreviations });
    for (const n of names) addTerm(n, ci);
    for (const a of abbreviations) if (a.share >= MIN_ABBREVIATION_SHARE) addTerm(a.sf, ci);
  }
  return { concepts, terms, maxTokens };
}

export function loadLexicon(file: string): Lexicon {
  return buildLexicon(JSON.parse(gunzipSync(fs.readFileSync(file)).toString('utf8')));
}
