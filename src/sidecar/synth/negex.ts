/**
 * A NegEx-style context classifier (Chapman et al. 2001, ConText 2009): is a mention inside a negation, a
 * family-history or a hypothetical context? Pure; tested with a table of clinical sentences
 * (test/unit/synth/negex.test.ts).
 *
 * Rules. Words are whitespace-separated, compared lower case without surrounding punctuation. A pre-trigger
 * ("no", "denies", "negative for", "family history of", "rule out", ...) covers up to PRE_WINDOW words after it;
 * a post-trigger ("was ruled out", "unlikely", "runs in the family", "prophylaxis") up to POST_WINDOW words before
 * it. A scope ends at a sentence end (. ! ? ; : after a word that is not an abbreviation such as "Dr." or "mg.")
 * and at a termination term ("but", "however", "although", "except", "aside from", "secondary to", "which", ...).
 * Pseudo-triggers are phrases that contain a trigger word but negate nothing: "not only", "no change", "no
 * increase", "without difficulty", "gram negative", "not necessarily", "no further" (as in "no further
 * workup"). "no longer" IS a negation ("no longer has chest pain": the finding is absent now), and so is
 * "without" in "without chest pain".
 */

export type ContextClass = 'negated' | 'family_history' | 'hypothetical';

export const PRE_WINDOW = 10;
export const POST_WINDOW = 6;

interface Phrase {
  words: string[];
  kind: 'pre' | 'post' | 'pseudo' | 'term';
  cls?: ContextClass;
}

const p = (list: string, kind: Phrase['kind'], cls?: ContextClass): Phrase[] => list.split('|').map((s) => ({ words: s.trim().split(/\s+/), kind, cls }));

const PHRASES: Phrase[] = [
  ...p(
    'no|not|denies|denied|deny|denying|without|negative for|free of|absence of|absent|no evidence of|no signs of|no sign of|no history of|never had|never|' +
      'no longer|no longer has|not have|did not have|does not have|no complaints of|rules out|ruled out for|nor|neither|non',
    'pre',
    'negated',
  ),
  ...p('was ruled out|were ruled out|has been ruled out|have been ruled out|is ruled out|ruled out|unlikely|was negative|were negative|is negative|not seen|not present|absent|resolved', 'post', 'negated'),
  ...p(
    'family history|family history of|family hx|fhx|mother had|father had|mother has|father has|sister had|brother had|sister has|brother has|' +
      'mother with|father with|mother died of|father died of|mother|father|sister|brother|grandmother|grandfather|aunt|uncle|maternal|paternal|' +
      'cousin|sibling|siblings|son|daughter|in the family',
    'pre',
    'family_history',
  ),
  ...p('runs in the family|in the family|in his family|in her family|in family', 'post', 'family_history'),
  ...p(
    'rule out|r/o|ro|to rule out|evaluate for|evaluation for|eval for|concern for|concerning for|suspicious for|suspect|suspected|possible|possibly|probable|' +
      'question of|questionable|if|risk of|risk for|at risk for|screening for|screen for|in case of|should he develop|should she develop|return if|' +
      'call if|watch for|monitor for|may have|might have|could be|cannot exclude|cannot rule out|can not rule out|differential includes|' +
      'differential diagnosis|versus|vs|prevent|prevention of|to prevent|prophylaxis for|plan for|consider|considering|would consider',
    'pre',
    'hypothetical',
  ),
  ...p('prophylaxis|is possible|is suspected|was suspected|is considered|precautions|unlikely but possible|to be ruled out|cannot be excluded|not excluded', 'post', 'hypothetical'),
  ...p(
    'not only|no change|no changes|no increase|no decrease|no significant change|no interval change|without difficulty|without incident|without any difficulty|' +
      'gram negative|not necessarily|no further|not certain if|not certain whether|not clear|not drain|not extend|not cause|no suspicious change|doing well|' +
      'if any|if needed|if necessary|as needed|only if|even if|family history noncontributory|family history is noncontributory|family history unremarkable|' +
      'family history is unremarkable|family history negative|family history is negative|mother tongue|non smoker|nonsmoker|' +
      'father of|mother of|brother in law|sister in law|no acute distress|in no distress|no distress',
    'pseudo',
  ),
  ...p(
    'but|however|although|though|nevertheless|yet|except|aside from|apart from|secondary to|due to|because of|as the cause of|as the etiology of|' +
      'cause of|source of|reason for|which|who|whose|presents|presenting|presented|complains of|reports|now has|currently has|since|still|' +
      'and denies|with history of|history of present illness|past medical history|assessment|plan|impression|medications|allergies|' +
      'social history|review of systems|physical exam|physical examination|chief complaint',
    'term',
  ),
];

/** Abbreviations whose period is not a sentence end. */
const ABBREV = new Set(['dr', 'mr', 'mrs', 'ms', 'mg', 'ml', 'mcg', 'vs', 'e.g', 'i.e', 'etc', 'st', 'no', 'approx', 'pt', 'hx', 'dx', 'tx', 'b.i.d', 't.i.d', 'q.d', 'p.o', 'a.m', 'p.m']);

interface Word {
  start: number;
  end: number;
  norm: string;
  /** Ends a sentence or clause (. ! ? ; :). */
  stop: boolean;
}

function words(text: string): Word[] {
  const out: Word[] = [];
  for (const m of text.matchAll(/\S+/g)) {
    const raw = m[0];
    const norm = raw.toLowerCase().replace(/^[^\p{L}\p{N}/]+|[^\p{L}\p{N}/]+$/gu, '');
    const trail = /[.!?;:]["')\]]*$/.test(raw);
    const bare = raw.toLowerCase().replace(/[.!?;:"')\]]+$/, '');
    const stop = trail && !(raw.endsWith('.') && (ABBREV.has(bare) || /^\p{L}$/u.test(bare)));
    out.push({ start: m.index, end: m.index + raw.length, norm, stop });
  }
  return out;
}

interface Hit {
  from: number;
  to: number; // exclusive word index
  phrase: Phrase;
}

function hits(ws: Word[]): Hit[] {
  const raw: Hit[] = [];
  for (let i = 0; i < ws.length; i++) {
    for (const ph of PHRASES) {
      const n = ph.words.length;
      if (i + n > ws.length) continue;
      let ok = true;
      for (let j = 0; j < n && ok; j++) {
        ok = ws[i + j].norm === ph.words[j];
        // a phrase does not run over a sentence end (its last word may carry one)
        if (ok && j < n - 1 && ws[i + j].stop) ok = false;
      }
      if (ok) raw.push({ from: i, to: i + n, phrase: ph });
    }
  }
  // pseudo-triggers cancel every trigger inside them; among overlapping triggers the longest wins
  const pseudo = raw.filter((h) => h.phrase.kind === 'pseudo');
  const inPseudo = (h: Hit): boolean => pseudo.some((q) => h.from >= q.from && h.to <= q.to);
  const kept = raw.filter((h) => h.phrase.kind !== 'pseudo' && !inPseudo(h));
  return kept.filter((h) => !kept.some((o) => o !== h && o.phrase.kind === h.phrase.kind && o.from <= h.from && o.to >= h.to && o.to - o.from > h.to - h.from));
}

export interface ContextResult {
  cls: ContextClass;
  /** Where the trigger was: before or after the mention. */
  position: 'before' | 'after';
}

/** The contexts a mention (character span in text) is in; empty when none. */
export function contextsOf(text: string, span: { start: number; end: number }): ContextResult[] {
  const ws = words(text);
  const first = ws.findIndex((w) => w.end > span.start);
  if (first < 0) return [];
  let last = first;
  while (last + 1 < ws.length && ws[last + 1].start < span.end) last++;
  const hs = hits(ws);
  const terms = hs.filter((h) => h.phrase.kind === 'term');
  const blocked = (a: number, b: number): boolean => {
    // a stop (sentence end) on any word in [a, b) or a termination term starting inside [a, b)
    for (let i = a; i < b; i++) if (ws[i].stop) return true;
    return terms.some((t) => t.from >= a && t.from < b);
  };
  const out: ContextResult[] = [];
  const add = (r: ContextResult): void => {
    if (!out.some((o) => o.cls === r.cls)) out.push(r);
  };
  for (const h of hs) {
    if (h.phrase.kind === 'pre' && h.to <= first) {
      // the trigger's own last word may end the sentence ("No." answers): then it covers nothing
      if (ws[h.to - 1].stop) continue;
      if (first - h.to <= PRE_WINDOW && !blocked(h.to, first)) add({ cls: h.phrase.cls as ContextClass, position: 'before' });
    } else if (h.phrase.kind === 'post' && h.from > last) {
      if (h.from - last - 1 <= POST_WINDOW && !blocked(last, h.from)) add({ cls: h.phrase.cls as ContextClass, position: 'after' });
    }
  }
  return out;
}
