/**
 * "Did you mean": a spelling suggester over a vocabulary of words with counts (the index's own words plus the
 * lexicon's concept names, src/sidecar/vocabulary.ts builds it). A noisy-channel choice: among the known words
 * within an edit cost of MAX_COST of a query word, the one with the best log(count) - LAMBDA * cost. The edit
 * cost is an optimal-string-alignment distance weighted for how clinical words get misspelled: a vowel for
 * another vowel ("diabetis", "metforman"), a doubled or undoubled letter ("ocurred") and two letters swapped
 * ("pnuemonia") cost less than other edits; an edit at the first letter costs more (people rarely get it wrong).
 * Never corrected: words the vocabulary knows, known abbreviations, words typed in capitals (HTN, CHF), words
 * under MIN_WORD letters and words with digits. Pure: no I/O, and nothing here logs (queries are note-like text).
 */

export const MAX_COST = 2;
/** One unit of edit cost is worth a factor of e^LAMBDA in word frequency. */
export const LAMBDA = 3.5;
/** Shorter words are left alone: most are abbreviations or too short for a safe guess. */
export const MIN_WORD = 4;
const CHEAP = 0.5;
const SWAP = 0.7;
const FIRST_LETTER = 0.5;
const VOWELS = new Set('aeiouy');

/** Counted words (lowercase) and the words never to correct; `indexComplete` says the index's words are all in. */
export interface Vocabulary {
  counts: ReadonlyMap<string, number>;
  /** Words by length with their letter masks (letterMask), for the candidate scan. */
  byLength: ReadonlyMap<number, { words: readonly string[]; masks: Uint32Array }>;
  /** Every word, sorted (a typed word that begins a known word is still being typed). */
  sorted: readonly string[];
  /** Known abbreviations (lowercase): never corrected, never suggested. */
  protectedWords: ReadonlySet<string>;
  /** Words that the lexicon names (a rare index word that the lexicon also knows is never corrected). */
  lexiconWords: ReadonlySet<string>;
}

/** A word as the vocabulary counts it: letters only, 3 to 30 of them. */
export function isVocabularyWord(w: string): boolean {
  return w.length >= 3 && w.length <= 30 && /^\p{L}+$/u.test(w);
}

export const WORD = /[\p{L}\p{N}]+/gu;

/** Adds every word of a text to `counts`. */
export function countWords(text: string, counts: Map<string, number>, weight = 1): void {
  for (const m of text.toLowerCase().matchAll(WORD)) {
    const w = m[0];
    if (isVocabularyWord(w)) counts.set(w, (counts.get(w) ?? 0) + weight);
  }
}

export function makeVocabulary(counts: Map<string, number>, protectedWords: Iterable<string>, lexiconWords: Iterable<string> = []): Vocabulary {
  const lists = new Map<number, string[]>();
  for (const w of counts.keys()) {
    const list = lists.get(w.length);
    if (list) list.push(w);
    else lists.set(w.length, [w]);
  }
  const byLength = new Map<number, { words: string[]; masks: Uint32Array }>();
  for (const [len, words] of lists) byLength.set(len, { words, masks: Uint32Array.from(words, letterMask) });
  const sorted = [...counts.keys()].sort();
  return { counts, byLength, sorted, protectedWords: new Set([...protectedWords].map((w) => w.toLowerCase())), lexiconWords: new Set(lexiconWords) };
}

const VOWEL_MASK = letterMask('aeiouy');

/** Which of the letters a-z a word holds, one bit each. */
export function letterMask(w: string): number {
  let m = 0;
  for (let i = 0; i < w.length; i++) {
    const c = w.charCodeAt(i) - 97;
    if (c >= 0 && c < 26) m |= 1 << c;
  }
  return m >>> 0;
}

function bits(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/**
 * A lower bound of editCost from the letters alone: each letter one word has and the other lacks needs an edit of
 * its own, 1 for a consonant and 0.5 for a vowel (a vowel for a vowel), on either side.
 */
export function maskBound(a: number, b: number): number {
  const side = (x: number, y: number): number => {
    const missing = x & ~y;
    const vowels = bits(missing & VOWEL_MASK);
    return bits(missing) - vowels + CHEAP * vowels;
  };
  return Math.max(side(a, b), side(b, a));
}

/** Whether a known word at least `extra` letters longer begins with `w` (binary search over the sorted words). */
export function beginsKnownWord(w: string, v: Vocabulary, extra = 2): boolean {
  let lo = 0;
  let hi = v.sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (v.sorted[mid] <= w) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < v.sorted.length && i < lo + 1000 && v.sorted[i].startsWith(w); i++) if (v.sorted[i].length >= w.length + extra) return true;
  return false;
}

/** The longest word editCost compares, and its reused rows. */
const ROW = 64;
const ROWS = [new Float64Array(ROW + 1), new Float64Array(ROW + 1), new Float64Array(ROW + 1)];
const INDEL_A = new Float64Array(ROW);
const INDEL_B = new Float64Array(ROW);

/** Inserting or deleting each letter: a letter that doubles its neighbour ("cc" in "occurred") is a cheap slip; the first letter a dear one. */
function indelCosts(s: string, out: Float64Array): void {
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    const doubled = (i > 0 && s[i - 1] === c) || (i + 1 < s.length && s[i + 1] === c);
    out[i] = (doubled ? CHEAP : 1) + (i === 0 ? FIRST_LETTER : 0);
  }
}

function substitution(x: string, y: string): number {
  return VOWELS.has(x) && VOWELS.has(y) ? CHEAP : 1;
}

/**
 * The weighted edit cost from `a` (typed) to `b` (a known word), or Infinity when it exceeds `max`.
 * Edits: insert, delete, substitute, swap two neighbours (optimal string alignment: no edit twice on one letter).
 */
export function editCost(a: string, b: string, max = MAX_COST): number {
  const n = a.length;
  const m = b.length;
  if (Math.abs(n - m) * CHEAP > max) return Infinity;
  // d[i][j]: cost of a[0..i) → b[0..j); three rows are enough for the swap.
  if (n >= ROW || m >= ROW) return Infinity;
  let prev2 = ROWS[0];
  let prev = ROWS[1];
  let cur = ROWS[2];
  indelCosts(a, INDEL_A);
  indelCosts(b, INDEL_B);
  prev[0] = 0;
  for (let j = 1; j <= m; j++) prev[j] = prev[j - 1] + INDEL_B[j - 1];
  for (let i = 1; i <= n; i++) {
    cur[0] = prev[0] + INDEL_A[i - 1];
    let rowMin = cur[0];
    const x = a[i - 1];
    for (let j = 1; j <= m; j++) {
      const y = b[j - 1];
      let best = x === y ? prev[j - 1] : prev[j - 1] + substitution(x, y) + (i === 1 || j === 1 ? FIRST_LETTER : 0);
      const del = prev[j] + INDEL_A[i - 1];
      if (del < best) best = del;
      const ins = cur[j - 1] + INDEL_B[j - 1];
      if (ins < best) best = ins;
      if (i > 1 && j > 1 && x === b[j - 2] && a[i - 2] === y && x !== y) {
        const swap = prev2[j - 2] + SWAP;
        if (swap < best) best = swap;
      }
      cur[j] = best;
      if (best < rowMin) rowMin = best;
    }
    if (rowMin > max) return Infinity;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[m] <= max ? prev[m] : Infinity;
}

/** Whether a typed word is left as it is (abbreviation, capitals, digits, short). `raw` is the word as typed. */
export function isLeftAlone(raw: string, v: Vocabulary): boolean {
  const w = raw.toLowerCase();
  if (w.length < MIN_WORD || /\p{N}/u.test(w)) return true;
  if (v.protectedWords.has(w)) return true;
  // Typed in capitals (2+ letters, no lowercase): an abbreviation by intent, "HTN", "CABG".
  if (raw === raw.toUpperCase() && raw !== raw.toLowerCase()) return true;
  return false;
}

export interface Correction {
  from: string;
  to: string;
  cost: number;
}

/** A word this rare in the index, unknown to the lexicon, may still be a typo of a much more frequent one. */
const RARE = 2;
const RARE_RATIO = 100;

/**
 * The best correction of one (lowercase) word, or undefined when the word is known or nothing is near. A word
 * the index holds only once or twice (and the lexicon not at all) is corrected only to a word one edit away that
 * is RARE_RATIO times more frequent.
 */
export function suggestWord(word: string, v: Vocabulary): Correction | undefined {
  const known = v.counts.get(word) ?? 0;
  if (known > 0 && (known > RARE || v.lexiconWords.has(word))) return undefined;
  const maxCost = known > 0 ? 1 : MAX_COST;
  let best: Correction | undefined;
  let bestScore = -Infinity;
  const mask = letterMask(word);
  for (let len = Math.max(3, word.length - 4); len <= word.length + 4; len++) {
    const bucket = v.byLength.get(len);
    if (!bucket) continue;
    for (let k = 0; k < bucket.words.length; k++) {
      if (maskBound(mask, bucket.masks[k]) > maxCost) continue;
      const cand = bucket.words[k];
      const cost = editCost(word, cand, maxCost);
      if (cost === Infinity || cand === word || v.protectedWords.has(cand)) continue;
      const count = v.counts.get(cand) ?? 0;
      if (known > 0 && count < known * RARE_RATIO) continue;
      const score = Math.log(count + 1) - LAMBDA * cost;
      if (score > bestScore || (score === bestScore && best && cand < best.to)) {
        bestScore = score;
        best = { from: word, to: cand, cost };
      }
    }
  }
  return best;
}

export interface QuerySuggestion {
  /** The query with its misspelled words replaced (the rest as typed). */
  query: string;
  corrections: Correction[];
}

/** Keeps a typed word's capital: "Pnuemonia" → "Pneumonia". */
function likeTyped(raw: string, to: string): string {
  return raw[0] !== raw[0].toLowerCase() ? to[0].toUpperCase() + to.slice(1) : to;
}

export interface SuggestOptions {
  /** Confirms a word is absent from the whole index when the vocabulary holds only a sample of it. */
  stillUnknown?: (word: string) => Promise<boolean>;
  /** The query may still be being typed: a last word that begins a longer known word ("pneum") is left alone. */
  typing?: boolean;
}

/** The query with each misspelled word corrected, or undefined when no word needs it. */
export async function suggestQuery(query: string, v: Vocabulary, opts: SuggestOptions = {}): Promise<QuerySuggestion | undefined> {
  const { stillUnknown, typing = false } = opts;
  const corrections: Correction[] = [];
  let out = '';
  let at = 0;
  const words = [...query.matchAll(WORD)];
  for (const m of words) {
    const raw = m[0];
    if (isLeftAlone(raw, v)) continue;
    // The last word, when it begins a longer known word ("pneum"), is taken as still being typed.
    const last = typing && m === words[words.length - 1] && !/\s$/.test(query);
    if (last && !v.counts.has(raw.toLowerCase()) && beginsKnownWord(raw.toLowerCase(), v)) continue;
    const c = suggestWord(raw.toLowerCase(), v);
    if (!c) continue;
    if (stillUnknown && !(v.counts.get(c.from) ?? 0) && !(await stillUnknown(c.from))) continue;
    corrections.push(c);
    out += query.slice(at, m.index) + likeTyped(raw, c.to);
    at = m.index + raw.length;
  }
  if (corrections.length === 0) return undefined;
  return { query: (out + query.slice(at)).trim(), corrections };
}
