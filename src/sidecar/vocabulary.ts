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

export class Speller {
  private cached: { key: string; built: Promise<Built>; value?: Built } | undefined;
  private readonly lexicon: LexiconWords;

  constructor(
    lexicon: Lexicon | undefined,
    private readonly log: Logger,
    private readonly maxChunks = VOCABULARY_CHUNKS,
  ) {
    this.lexicon = lexiconWords(lexicon);
  }

  /** Starts (or reuses) the vocabulary of the index version `key`. */
  private vocabulary(store: Store, key: string): Promise<Built> {
    if (this.cached?.key === key) return this.cached.built;
    const built = (async (): Promise<Built> => {
      const started = performance.now();
      const counts = new Map(this.lexicon.counts);
      const indexCounts = new Map<string, number>();
      let counted = 0;
      const read = await store.scanTexts(this.maxChunks + 1, (text) => {
        if (counted++ < this.maxChunks) countWords(text, indexCounts);
      });
      for (const [w, n] of indexCounts) counts.set(w, (counts.get(w) ?? 0) + n);
      const vocab = makeVocabulary(counts, this.lexicon.abbreviations, [...this.lexicon.counts.keys()]);
      this.log.debug(`Spelling: ${counts.size} words from ${Math.min(read, this.maxChunks)} chunks and the lexicon in ${Math.round(performance.now() - started)} ms.`);
      return { vocab, complete: read <= this.maxChunks };
    })();
    const entry: { key: string; built: Promise<Built>; value?: Built } = { key, built };
    this.cached = entry;
    built.then((b) => (entry.value = b)).catch((e: unknown) => {
      this.log.warn(`Spelling suggestions are off: the index's words could not be read (${errorMessage(e)}).`);
      if (this.cached?.built === built) this.cached = undefined;
    });
    return built;
  }

  /**
   * A corrected query, or undefined. With `wait` false, a vocabulary still being read gives no suggestion this
   * time (a search with results does not wait for it); with `wait` true (no results, the CLI) it is awaited.
   * `typing`: the last word may be half typed (expansion/spelling.ts).
   */
  async suggest(query: string, store: Store, key: string, o: { wait: boolean; typing: boolean }): Promise<QuerySuggestion | undefined> {
    const wait = o.wait;
    const pending = this.vocabulary(store, key);
    const built = wait ? await pending.catch(() => undefined) : this.cached?.value;
    if (!built) return undefined;
    const lookUp = built.complete ? undefined : async (word: string): Promise<boolean> => isVocabularyWord(word) && (await store.bm25(word, 1, undefined)).length === 0;
    return suggestQuery(query, built.vocab, { stillUnknown: lookUp, typing: o.typing });
  }
}
