/**
 * The knowledge graph the trainer builds (`python -m drehr_train graph --out graph.jsonl.gz`, python/drehr_train/
 * graph.py): JSONL (gzipped when the name ends in .gz), one concept a line:
 * `{"id","name","synonyms":[...],"abbreviations":[[sf, share]],"parents":[ids],"related":[ids],"type"}`.
 * Broken lines are reported by line number and skipped (the rest loads), like the Python loader.
 */
import * as fs from 'node:fs';
import { gunzipSync } from 'node:zlib';

export type ConceptType = 'disease' | 'phenotype' | 'procedure' | 'drug' | 'other';
const TYPES: readonly string[] = ['disease', 'phenotype', 'procedure', 'drug', 'other'];

export interface GraphConcept {
  id: string;
  name: string;
  synonyms: string[];
  abbreviations: Array<[string, number]>;
  parents: string[];
  related: string[];
  type: ConceptType;
}

export interface Graph {
  concepts: Map<string, GraphConcept>;
  /** `file:line: why` for each line that was skipped. */
  warnings: string[];
}

/** The graph file in a model folder (optional; docs/CONTRACTS.md "Model folder"). */
export const GRAPH_FILE = 'graph.jsonl.gz';

export function parseGraph(text: string, name = 'graph'): Graph {
  const concepts = new Map<string, GraphConcept>();
  const warnings: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    try {
      const d = JSON.parse(line) as Record<string, unknown>;
      if (typeof d.id !== 'string' || typeof d.name !== 'string') throw new Error('"id" or "name" missing');
      const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
      const abbreviations = (Array.isArray(d.abbreviations) ? d.abbreviations : [])
        .filter((a): a is [string, number] => Array.isArray(a) && typeof a[0] === 'string' && Number.isFinite(Number(a[1])))
        .map((a) => [a[0], Number(a[1])] as [string, number]);
      const type = typeof d.type === 'string' && TYPES.includes(d.type) ? (d.type as ConceptType) : 'other';
      concepts.set(d.id, { id: d.id, name: d.name, synonyms: strings(d.synonyms), abbreviations, parents: strings(d.parents), related: strings(d.related), type });
    } catch (e) {
      warnings.push(`${name}:${i + 1}: broken concept line (${e instanceof Error ? e.message : String(e)}); skipped`);
    }
  }
  return { concepts, warnings };
}

export function loadGraph(file: string): Graph {
  const bytes = fs.readFileSync(file);
  const text = file.endsWith('.gz') ? gunzipSync(bytes).toString('utf8') : bytes.toString('utf8');
  return parseGraph(text, file);
}

/** The graph's own term normalization (graph.py norm_term): trimmed, lower case, whitespace runs as one space. */
export function normTerm(s: string): string {
  return s.replace(PY_STRIP, '').toLowerCase().replace(PY_WS_RUN, ' ');
}

/** Python's str.isspace set (docs/CONTRACTS.md "Notes and chunks"). */
const PY_WS = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_STRIP = new RegExp(`^[${PY_WS}]+|[${PY_WS}]+$`, 'g');
const PY_WS_RUN = new RegExp(`[${PY_WS}]+`, 'g');
export const PY_WHITESPACE_CLASS = PY_WS;

/** Hypernyms of a concept: its parents that the graph holds, sorted (graph.py, stage1_data.positives_for). */
export function parentsOf(g: Graph, id: string): GraphConcept[] {
  const c = g.concepts.get(id);
  if (!c) return [];
  return c.parents.filter((p) => p !== id && g.concepts.has(p)).sort(cmpCodePoints).map((p) => g.concepts.get(p) as GraphConcept);
}

/** Python's string order (by code point); JavaScript's `<` orders UTF-16 units, which differs above U+FFFF. */
export function cmpCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const sx = x >= 0xd800 && x <= 0xdfff;
    const sy = y >= 0xd800 && y <= 0xdfff;
    if (sx !== sy) return sx ? 1 : -1; // a surrogate (code point > U+FFFF) sorts after any BMP unit
    return x - y;
  }
  return a.length - b.length;
}
