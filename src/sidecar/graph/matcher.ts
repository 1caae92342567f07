/**
 * Finds knowledge-graph entities in text: an exact port of python/drehr_train/trie.py EntityMatcher (a token trie
 * over names, synonyms and abbreviations, longest match first, whole tokens, the abbreviation case rules,
 * COMMON_WORDS, BLOCKLIST, minimum sense share). test/unit/synth/matcher.test.ts checks it reproduces
 * test/fixtures/matcher-golden.jsonl (written by python/tools/make_matcher_golden.py) exactly.
 *
 * Offsets are UTF-16 code units (the TypeScript side's), where Python counts code points; character classes
 * follow Python's `str` methods (isalnum = letters and numbers, isupper = the Uppercase property).
 */
import { cmpCodePoints, normTerm, PY_WHITESPACE_CLASS, type Graph } from './graph';

export type MatchKind = 'name' | 'synonym' | 'abbreviation';

export interface EntityMatch {
  start: number;
  end: number;
  conceptId: string;
  surface: string;
  kind: MatchKind;
}

export const COMMON_WORDS: ReadonlySet<string> = new Set(
  `a an and are as at be but by do for from go had has have he her him his how i if in into is it its me my no nor not
of off on or our out over own per she so than that the their them then there these they this to too up us was we
were what when where which who why will with you your yes all any can may one two old new man men day see use used
pt st dr mr mrs ms am pm ok back bad big cold cut dry due end far few fit get got hot ill lab lay led let low mad
map met mid net now odd oral pad pain pet pop put red ran raw rib run sad sat set sit six ten top toe via war way
wet win dip arm ear eye hip leg lip neck face foot hand head knee nose skin chest heart lung mouth gas tab cap bed
did does done has had can may might must shall should would could been being let lot lots got get gets went come came
also just only very much more most less some such each both few many other same well good fine any even ever never
about above after again against before below between during under until while since though here now off once
aid aids art bag bar box bra can cat cot cup dig dog ease egg eat fat fan fed fun gap gum hat hug ice jam jar key kit
law lid log map mat mom dad mix mud nap nut pan pen pin pot ram rat rod rub saw sea sip sob son sum sun tan tap tea
tie tip toy van vet web wig yes zip best care cast cell clot code cure dose drop fall feel flow full gait hold home
last life line list long mass mole rest sick sign site size step stool test tone walk ward well work`.split(/\s+/),
);

/** Ambiguous in clinical notes even when upper case. */
export const BLOCKLIST: ReadonlySet<string> = new Set(['ca', 'pda', 'om', 'cp', 'id', 'mac', 'ta', 'cf', 'pe', 'ms', 'ra', 'pt', 'or', 'er', 'us', 'it', 'as', 'ii', 'iii']);

/** graph.py _SKIP_NAMES: generic roots and words never useful as entity names. */
const SKIP_NAMES: ReadonlySet<string> = new Set([
  'all', 'disease', 'syndrome', 'phenotypic abnormality', 'clinical modifier', 'mode of inheritance', 'onset', 'death', 'pain', 'other',
  'methods', 'method', 'emergencies', 'emergency', 'ice', 'procedure', 'procedures', 'therapeutics', 'therapy', 'diagnosis', 'water',
  'patients', 'patient', 'time', 'plan',
]);

export const MIN_ABBREVIATION_SHARE = 0.5;

// Python's `[^\W_]+|[^\s\w]|_` (re.U): \w = isalnum() or "_".
const TOKEN = new RegExp(`[\\p{L}\\p{N}]+|[^${PY_WHITESPACE_CLASS}\\p{L}\\p{N}_]|_`, 'gu');
const ALNUM = /^[\p{L}\p{N}]$/u;
const ALPHA = /^\p{L}$/u;
const UPPER = /^\p{Uppercase}$/u;
const ALPHA_RUN = /^\p{L}+$/u;

export function tokenize(text: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const m of text.matchAll(TOKEN)) out.push([m.index, m.index + m[0].length]);
  return out;
}

function key(term: string): string[] {
  const t = term.toLowerCase();
  return tokenize(t).map(([s, e]) => t.slice(s, e));
}

/** Code points, as Python's len() and iteration see them. */
function chars(s: string): string[] {
  return Array.from(s);
}

function looksAbbreviation(term: string): boolean {
  const cs = chars(term);
  const letters = cs.filter((c) => ALPHA.test(c));
  return cs.length >= 2 && cs.length <= 6 && letters.length >= 2 && letters.every((c) => UPPER.test(c)) && !term.includes(' ');
}

/** graph.py _usable_term. */
function usableTerm(t: string): boolean {
  const n = normTerm(t);
  const len = chars(n).length;
  return len > 2 && len <= 80 && !SKIP_NAMES.has(n);
}

type Value = [conceptId: string, kind: MatchKind, strict: boolean];

interface TrieNode {
  next: Map<string, TrieNode>;
  vals?: Value[];
}

export class EntityMatcher {
  private readonly root: TrieNode = { next: new Map() };

  constructor(graph: Graph, types?: readonly string[], minAbbreviationShare = MIN_ABBREVIATION_SHARE) {
    const concepts = [...graph.concepts.values()].filter((c) => types === undefined || types.includes(c.type));
    const nameWords = new Set<string>();
    for (const c of concepts) {
      for (const t of [c.name, ...c.synonyms]) {
        if (!looksAbbreviation(t)) for (const w of key(t)) if (ALPHA_RUN.test(w)) nameWords.add(w);
      }
    }
    const abbr = new Map<string, Array<[number, string]>>();
    const addAbbr = (sf: string, share: number, id: string): void => {
      const list = abbr.get(sf);
      if (list) list.push([share, id]);
      else abbr.set(sf, [[share, id]]);
    };
    for (const c of [...concepts].sort((a, b) => cmpCodePoints(a.id, b.id))) {
      const terms: Array<[string, MatchKind]> = [[c.name, 'name'], ...c.synonyms.map((s): [string, MatchKind] => [s, 'synonym'])];
      for (const [t, kind] of terms) {
        if (c.id.startsWith('ABBR:')) break; // a sense of the inventories: matched through its short forms only
        if (looksAbbreviation(t)) addAbbr(t.toLowerCase(), 1.0, c.id);
        else if (usableTerm(t) && !COMMON_WORDS.has(normTerm(t))) this.insert(key(t), [c.id, kind, false]);
      }
      for (const [sf, share] of c.abbreviations) addAbbr(sf.toLowerCase(), share, c.id);
    }
    for (const sf of [...abbr.keys()].sort(cmpCodePoints)) {
      const senses = abbr.get(sf) as Array<[number, string]>;
      const cs = chars(sf);
      const letters = cs.filter((ch) => ALNUM.test(ch));
      if (BLOCKLIST.has(sf) || letters.length < 2 || !cs.some((ch) => ALPHA.test(ch))) continue;
      const best = Math.max(...senses.map(([s]) => s));
      if (best < minAbbreviationShare) continue;
      const top = [...new Set(senses.filter(([s]) => s === best).map(([, id]) => id))].sort(cmpCodePoints);
      // purely alphabetic short forms collide with words ("bus", "did", "gym"): upper case only
      const strict = ALPHA_RUN.test(sf) || cs.length <= 2 || COMMON_WORDS.has(sf) || nameWords.has(sf);
      for (const id of top) this.insert(key(sf), [id, 'abbreviation', strict]);
    }
  }

  private insert(k: string[], value: Value): void {
    if (k.length === 0) return;
    let node = this.root;
    for (const tok of k) {
      let n = node.next.get(tok);
      if (!n) {
        n = { next: new Map() };
        node.next.set(tok, n);
      }
      node = n;
    }
    const vals = (node.vals ??= []);
    if (!vals.some((v) => v[0] === value[0] && v[1] === value[1] && v[2] === value[2])) vals.push(value);
  }

  /** Matches in text order; a span naming several concepts gives one match per concept (trie order). */
  find(text: string): EntityMatch[] {
    const spans = tokenize(text);
    const low = spans.map(([s, e]) => text.slice(s, e).toLowerCase());
    const out: EntityMatch[] = [];
    const n = spans.length;
    let i = 0;
    while (i < n) {
      let node: TrieNode | undefined = this.root;
      let best: { j: number; start: number; end: number; surface: string; vals: Value[] } | undefined;
      let j = i;
      while (j < n) {
        node = node.next.get(low[j]);
        if (!node) break;
        j++;
        if (node.vals && node.vals.length) {
          const start = spans[i][0];
          const end = spans[j - 1][1];
          const surface = text.slice(start, end);
          const ok = node.vals.filter((v) => caseOk(v, surface));
          // whole tokens: the match may not continue a letter/digit run
          if (ok.length && (start === 0 || !ALNUM.test(charBefore(text, start))) && (end === text.length || !ALNUM.test(charAt(text, end)))) {
            best = { j, start, end, surface, vals: ok };
          }
        }
      }
      if (!best) {
        i++;
        continue;
      }
      const seen = new Set<string>();
      for (const [id, kind] of best.vals) {
        if (seen.has(id)) continue;
        seen.add(id);
        out.push({ start: best.start, end: best.end, conceptId: id, surface: best.surface, kind });
      }
      i = best.j;
    }
    return out;
  }
}

function caseOk(v: Value, surface: string): boolean {
  if (v[1] !== 'abbreviation' || !v[2]) return true;
  const letters = chars(surface).filter((c) => ALPHA.test(c));
  return letters.length > 0 && letters.every((c) => UPPER.test(c));
}

function charAt(text: string, i: number): string {
  return String.fromCodePoint(text.codePointAt(i) as number);
}

function charBefore(text: string, i: number): string {
  const lo = text.charCodeAt(i - 1);
  if (i >= 2 && lo >= 0xdc00 && lo <= 0xdfff) return text.slice(i - 2, i);
  return text[i - 1];
}
