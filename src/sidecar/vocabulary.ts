/**
 * The spelling suggester's vocabulary (expansion/spelling.ts), in the sidecar: the words of the index (up to
 * VOCABULARY_CHUNKS chunks, read in the background once per index version) with their counts, plus the words of
 * the lexicon's concept names; the lexicon's abbreviations and the attested clinical short forms are never
 * corrected. When the index holds more chunks than were read, a word is called misspelled only after a BM25 look-up
 * finds it nowhere in the index. Logs counts only, never a word of a query or a note.
 */
import attested from './expansion/attested.json';
import { normTokens, type Lexicon } from './expansion/lexicon';
import { countWords, isVocabularyWord, makeVocabulary, suggestQuery, type QuerySuggestion, type Vocabulary } from './expansion/spelling';
import { errorMessage } from './errors';
import type { Logger } from './log';
import type { Store } from './store/store';

/** Chunks read for the vocabulary (about 5 million words: counts enough for a frequency prior). */
export const VOCABULARY_CHUNKS = 50_000;
/** A lexicon word counts as this many index words at most (names repeat words such as "disease" hundreds of times). */
const LEXICON_CAP = 5;

export interface LexiconWords {
  counts: Map<string, number>;
  abbreviations: Set<string>;
}

/** The words of the lexicon's names (capped counts) and its abbreviations with the attested short forms. Pure. */
export function lexiconWords(lex: Lexicon | undefined): LexiconWords {
  const counts = new Map<string, number>();
  const abbreviations = new Set<string>();
  for (const sf of (attested as { shortForms: string[] }).shortForms) for (const t of normTokens(sf)) abbreviations.add(t);
  if (lex) {
    for (const c of lex.concepts) {
      for (const n of c.names) countWords(n, counts);
      for (const a of c.abbreviations) {
        const toks = normTokens(a.sf);
        if (toks.length === 1) abbreviations.add(toks[0]);
      }
    }
    for (const [w, n] of counts) counts.set(w, Math.min(n, LEXICON_CAP));
  }
  // A short form that is also a vocabulary word of a name ("pain" is not an abbreviation of anything) stays a word;
  // a short form that no name spells out stays protected.
  for (const w of [...abbreviations]) if (counts.has(w) && w.length >= 4) abbreviations.delete(w);
  return { counts, abbreviations };
}

interface Built {
  vocab: Vocabulary;
  /** Every chunk of the index was read: a word missing from the vocabulary is missing from the index. */
  complete: boolean;
}

interface Entry {
  key: string;
  built: Promise<Built>;
  value?: Built;
  doneAt?: number;
}

/** While the index keeps changing (indexing), the vocabulary is read again at most this often. */
export const VOCABULARY_REFRESH_MS = 30_000;

/** The parts of the Store the speller reads (a fake in unit tests). */
export type VocabularySource = Pick<Store, 'scanTexts' | 'bm25'>;

export interface SpellerOptions {
  maxChunks?: number;
  refreshMs?: number;
  now?: () => number;
}

export class Speller {
  private current: Entry | undefined;
  /** The lexicon's words, made on the first read (about 0.2 s for a large lexicon: never on a search's path). */
  private lexiconWords: LexiconWords | undefined;
  private readonly maxChunks: number;
  private readonly refreshMs: number;
  private readonly now: () => number;

  constructor(
    private readonly lexicon: Lexicon | undefined,
    private readonly log: Logger,
    o: SpellerOptions = {},
  ) {
    this.maxChunks = o.maxChunks ?? VOCABULARY_CHUNKS;
    this.refreshMs = o.refreshMs ?? VOCABULARY_REFRESH_MS;
    this.now = o.now ?? Date.now;
  }

  private read(store: VocabularySource, key: string): Entry {
    const built = (async (): Promise<Built> => {
      await new Promise((r) => setImmediate(r)); // the search that asked goes on first
      const started = performance.now();
      const lex = (this.lexiconWords ??= lexiconWords(this.lexicon));
      const counts = new Map(lex.counts);
      const indexCounts = new Map<string, number>();
      let counted = 0;
      const read = await store.scanTexts(this.maxChunks + 1, (text) => {
        if (counted++ < this.maxChunks) countWords(text, indexCounts);
      });
      for (const [w, n] of indexCounts) counts.set(w, (counts.get(w) ?? 0) + n);
      const vocab = makeVocabulary(counts, lex.abbreviations, [...lex.counts.keys()]);
      this.log.debug(`Spelling: ${counts.size} words from ${Math.min(read, this.maxChunks)} chunks and the lexicon in ${Math.round(performance.now() - started)} ms.`);
      return { vocab, complete: read <= this.maxChunks };
    })();
    const entry: Entry = { key, built };
    built.then(
      (b) => {
        entry.value = b;
        entry.doneAt = this.now();
      },
      (e: unknown) => {
        this.log.warn(`Spelling suggestions are off for now: the index's words could not be read (${errorMessage(e)}).`);
        if (this.current === entry) this.current = undefined;
      },
    );
    return entry;
  }

  /**
   * The vocabulary to use for the index version `key`, and whether it is stale (read from an earlier version: a word
   * it lacks may have been indexed since, so it is looked up). One read at a time; while the index keeps changing,
   * a finished vocabulary serves for refreshMs before it is read again. Without `wait`, nothing is awaited.
   */
  private async vocabulary(store: VocabularySource, key: string, wait: boolean): Promise<{ built: Built; stale: boolean } | undefined> {
    const cur = this.current;
    const settle = async (e: Entry, stale: boolean): Promise<{ built: Built; stale: boolean } | undefined> => {
      const b = wait ? await e.built.catch(() => undefined) : e.value;
      return b ? { built: b, stale } : undefined;
    };
    if (cur && (cur.key === key || cur.value === undefined)) return settle(cur, cur.key !== key);
    if (cur?.value && cur.doneAt !== undefined && this.now() - cur.doneAt < this.refreshMs) return { built: cur.value, stale: true };
    const next = this.read(store, key);
    this.current = next;
    if (!wait && cur?.value) return { built: cur.value, stale: true };
    return settle(next, false);
  }

  /**
   * A corrected query, or undefined. With `wait` false, a vocabulary still being read gives no suggestion this
   * time (a search with results does not wait for it); with `wait` true (no results, the CLI) it is awaited.
   * `typing`: the last word may be half typed (expansion/spelling.ts).
   */
  async suggest(query: string, store: VocabularySource, key: string, o: { wait: boolean; typing: boolean }): Promise<QuerySuggestion | undefined> {
    const v = await this.vocabulary(store, key, o.wait);
    if (!v) return undefined;
    const lookUp = v.built.complete && !v.stale ? undefined : async (word: string): Promise<boolean> => isVocabularyWord(word) && (await store.bm25(word, 1, undefined)).length === 0;
    return suggestQuery(query, v.built.vocab, { stillUnknown: lookUp, typing: o.typing });
  }
}
