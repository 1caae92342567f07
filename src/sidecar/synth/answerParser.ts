/**
 * Turns an LLM's answer into entity strings, whatever shape it came in: one term a line (the asked format),
 * bullets or numbering, explanations after a dash or colon, a header line, "None"/"N/A", duplicates, code fences,
 * JSON by mistake (an array, or an object holding a list), a comma-separated line, a refusal, trailing periods,
 * Title Case. Pure; the table of shapes is in test/unit/synth/answerParser.test.ts.
 */
import { normalizeEntity } from '../../shared/pairs';

export interface ParsedAnswer {
  /** Cleaned, deduplicated (case-insensitively), in answer order. */
  entities: string[];
  /** The model declined ("I'm sorry, I can't ..."), and listed nothing. */
  refusal: boolean;
  /** The answer was JSON. */
  json: boolean;
  /** Lines that were dropped as prose (count only: their text is note-derived and never logged). */
  dropped: number;
}

/** Longer items are prose, not a term. */
const MAX_WORDS = 10;
const NONE = /^(none|n\/?a|nil|null|nothing|no (?:\w+ )?(?:found|identified|mentioned|present)|not (?:applicable|mentioned|available)|no (?:diagnos[ie]s|procedures?|drugs?|medications?|prescriptions?|entities)(?: (?:are |were )?(?:mentioned|found|identified|present|inferable))?)\.?$/i;
const REFUSAL = /^(?:i['’]?m sorry|i am sorry|sorry,|i can(?:not|['’]t| not)|i am (?:not able|unable)|i['’]?m (?:not able|unable)|as an ai|unfortunately,? i)/i;
const HEADER_WORDS = /^(?:here (?:are|is)|the following|(?:explicit(?:ly)?|implicit(?:ly)?|inferred|mentioned)\b|(?:list of |extracted |identified )?(?:diagnos[ie]s|procedures?|drugs?|medications?|prescriptions?|entities|answer|output|terms?)\b)/i;
const EXPLANATION_PAREN = /\s*[([](?:[^()[\]]*\b(?:explicit|implicit|implied|inferred|infer|mentioned|suggested|likely|based on|from the|per|history|possible|probable|noted|documented)\b[^()[\]]*)[)\]]\s*$/i;
const JSON_LIST_KEYS = ['entities', 'terms', 'items', 'results', 'diagnoses', 'diagnosis', 'procedures', 'procedure', 'drugs', 'drug', 'medications', 'prescriptions', 'answer', 'output'];

export function parseAnswer(raw: string): ParsedAnswer {
  const text = stripFences(raw ?? '').trim();
  const out: ParsedAnswer = { entities: [], refusal: false, json: false, dropped: 0 };
  if (text === '') return out;
  const fromJson = tryJson(text);
  let items: string[];
  if (fromJson) {
    out.json = true;
    items = fromJson;
  } else {
    items = [];
    const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
    // "I'm sorry, I can't ..." opens a refusal; whatever follows it may still be a list
    if (lines.length && REFUSAL.test(lines[0])) {
      lines.shift();
      out.dropped++;
    }
    for (const line of lines) items.push(...splitLine(line, lines.length === 1));
  }
  const seen = new Set<string>();
  for (const item of items) {
    const e = cleanItem(item);
    if (e === undefined) continue;
    if (e === null) {
      out.dropped++;
      continue;
    }
    const k = normalizeEntity(e);
    if (seen.has(k)) continue;
    seen.add(k);
    out.entities.push(e);
  }
  if (out.entities.length === 0 && REFUSAL.test(text.replace(/^[^\p{L}]+/u, ''))) out.refusal = true;
  return out;
}

function stripFences(s: string): string {
  return s.replace(/```[a-zA-Z]*\s*\n?/g, '\n').replace(/```/g, '\n');
}

/** An answer that is JSON (or holds one JSON array/object) → its strings; undefined when it is not JSON. */
function tryJson(text: string): string[] | undefined {
  const candidates = [text];
  const a = text.indexOf('[');
  const b = text.lastIndexOf(']');
  if (a >= 0 && b > a) candidates.push(text.slice(a, b + 1));
  const c = text.indexOf('{');
  const d = text.lastIndexOf('}');
  if (c >= 0 && d > c) candidates.push(text.slice(c, d + 1));
  for (const cand of candidates) {
    const t = cand.trim();
    if (!/^[[{]/.test(t)) continue;
    let v: unknown;
    try {
      v = JSON.parse(t);
    } catch {
      continue;
    }
    const strings = jsonStrings(v);
    if (strings) return strings;
  }
  return undefined;
}

function jsonStrings(v: unknown, depth = 0): string[] | undefined {
  if (depth > 3) return undefined;
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) {
    const out: string[] = [];
    for (const x of v) {
      if (typeof x === 'string') out.push(x);
      else if (x && typeof x === 'object') {
        const o = x as Record<string, unknown>;
        const name = ['name', 'entity', 'term', 'text', 'value', 'diagnosis', 'procedure', 'drug', 'medication'].map((k) => o[k]).find((s) => typeof s === 'string');
        if (typeof name === 'string') out.push(name);
      }
    }
    return out;
  }
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    const preferred = keys.find((k) => JSON_LIST_KEYS.includes(k.toLowerCase()) && Array.isArray(o[k]));
    if (preferred) return jsonStrings(o[preferred], depth + 1);
    const lists = keys.filter((k) => Array.isArray(o[k]));
    if (lists.length) return lists.flatMap((k) => jsonStrings(o[k], depth + 1) ?? []);
    if (keys.length === 0) return [];
    const nested = keys.filter((k) => o[k] && typeof o[k] === 'object');
    if (nested.length) return nested.flatMap((k) => jsonStrings(o[k], depth + 1) ?? []);
  }
  return undefined;
}

/** One answer line → its items: "Diagnoses: a, b" and a lone "a, b; c" line are lists. */
function splitLine(line: string, only: boolean): string[] {
  let l = stripMarker(line);
  const colon = l.indexOf(':');
  if (colon > 0) {
    const head = l.slice(0, colon).trim();
    const tail = l.slice(colon + 1).trim();
    if (HEADER_WORDS.test(head) && head.split(/\s+/).length <= 8) {
      if (tail === '') return [];
      l = tail;
      return l.split(/\s*[;,]\s*/);
    }
  }
  if (/;/.test(l)) return l.split(/\s*;\s*/);
  if (only && /,/.test(l) && !/^[^,]+, (?:type|stage|grade|class|unspecified)\b/i.test(l)) return l.split(/\s*,\s*/);
  return [l];
}

function stripMarker(s: string): string {
  return s
    .replace(/^\s*(?:[-*•+·▪◦‣–—](?=\s)|\(?\d{1,3}[.)]|\(?[a-z][.)](?=\s)|\(?[ivx]{1,4}[.)](?=\s))\s*/i, '')
    .replace(/^\s*\[[ xX]?\]\s*/, '')
    .trim();
}

/** A list item → the term; undefined for "None" and empty items, null for prose. */
function cleanItem(item: string): string | undefined | null {
  let s = stripMarker(item.replace(/\*\*|__|`/g, ''));
  // explanation after a dash or a colon: "hypertension - mentioned in HPI", "aspirin: antiplatelet"
  s = s.split(/\s+[-–—]\s+|:\s+|\s+\(\s*(?:explicit|implicit|inferred|implied)/i)[0];
  s = s.replace(EXPLANATION_PAREN, '');
  s = s.replace(/^["'“‘]+|["'”’]+$/g, '').trim();
  s = s.replace(/[.;,:!]+$/, '').trim();
  s = s.replace(/^["'“‘]+|["'”’]+$/g, '').trim();
  if (s === '' || NONE.test(s)) return undefined;
  if (REFUSAL.test(s) || /[?]$/.test(s)) return null;
  if (HEADER_WORDS.test(s) && /\b(?:are|is|following|mentioned|inferred|include)\b/i.test(s)) return null;
  if (s.split(/\s+/).length > MAX_WORDS || !/[\p{L}]/u.test(s)) return null;
  return caseOf(s.replace(/\s+/g, ' '));
}

/** Title Case words become lower case ("Type 2 Diabetes Mellitus"); abbreviations and mixed case stay ("COPD", "HbA1c"). */
function caseOf(s: string): string {
  return s
    .split(' ')
    .map((w) => (/^\p{Lu}[\p{Ll}'’-]+$/u.test(w) ? w.toLowerCase() : w))
    .join(' ');
}
