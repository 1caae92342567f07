/**
 * The graph generator (the embedded default, no LLM): every entity mention the matcher finds in a chunk (longest
 * match, abbreviation rules) becomes an explicit pair named by its concept's name, with the mention as evidence;
 * each mentioned concept's hypernyms (up to HYPERNYMS_PER_MENTION graph parents, in id order: Stage I's
 * `n_hyper`, chosen deterministically instead of sampled) become implicit pairs. Restricted to the three entity
 * types (diagnosis: disease and phenotype concepts; procedure; drug). Synonym and related names are left out:
 * they name the same concept as the explicit pair and would only repeat it in the review.
 *
 * It keeps the mistakes an LLM makes too (negated findings, family history, "rule out", ambiguous abbreviations):
 * they are review material, not filtered here. Pure given the graph; deterministic ids and order.
 */
import { PAIRS_FORMAT, type EntityType, type Pair } from '../../shared/pairs';
import { cleanName } from '../expansion/lexicon';
import { parentsOf, type ConceptType, type Graph } from '../graph/graph';
import type { EntityMatcher } from '../graph/matcher';
import { chunkHash, pairId } from './ids';
import type { IndexChunk } from './indexChunks';

export const GRAPH_PROMPT_VERSION = 'graph-1';
export const HYPERNYMS_PER_MENTION = 2;

export function entityTypeOf(t: ConceptType): EntityType | undefined {
  switch (t) {
    case 'disease':
    case 'phenotype':
      return 'diagnosis';
    case 'procedure':
      return 'procedure';
    case 'drug':
      return 'drug';
    default:
      return undefined;
  }
}

/** Where a pair came from, on every pair: note id, patient, workspace-relative source, row. */
export function chunkFields(c: IndexChunk): Pick<Pair, 'chunk_id' | 'chunk_hash' | 'note_id' | 'patient_id' | 'source' | 'row'> {
  return { chunk_id: c.id, chunk_hash: chunkHash(c.text), note_id: c.noteId, patient_id: c.patientId, source: c.source, ...(c.row >= 0 ? { row: c.row } : {}) };
}

/** The pairs of one chunk, grouped by entity type (each group in text order, explicit pairs before hypernyms). */
export function graphPairs(chunk: IndexChunk, graph: Graph, matcher: EntityMatcher, types: readonly EntityType[], model: string): Map<EntityType, Pair[]> {
  const base = chunkFields(chunk);
  const out = new Map<EntityType, Pair[]>(types.map((t) => [t, []]));
  const byId = new Map<string, Pair>();
  const hypernyms: Array<{ conceptId: string; type: EntityType }> = [];
  for (const m of matcher.find(chunk.text)) {
    const c = graph.concepts.get(m.conceptId);
    const type = c && entityTypeOf(c.type);
    if (!c || !type || !out.has(type)) continue;
    const entity = cleanName(c.name) || c.name;
    const id = pairId(chunk.id, entity, type);
    const seen = byId.get(id);
    if (seen) {
      if (!seen.evidence?.some((e) => e.start === m.start && e.end === m.end)) seen.evidence?.push({ start: m.start, end: m.end });
    } else {
      const p: Pair = {
        id, ...base, entity, entity_type: type, produced_by: 'graph:explicit', model, prompt_version: GRAPH_PROMPT_VERSION,
        format: PAIRS_FORMAT, generator: 'graph', explicit: true, evidence: [{ start: m.start, end: m.end }], concept_id: c.id,
      };
      byId.set(id, p);
      out.get(type)?.push(p);
    }
    hypernyms.push({ conceptId: c.id, type });
  }
  for (const h of hypernyms) {
    for (const parent of parentsOf(graph, h.conceptId).slice(0, HYPERNYMS_PER_MENTION)) {
      const entity = cleanName(parent.name) || parent.name;
      const id = pairId(chunk.id, entity, h.type);
      if (byId.has(id)) continue;
      const p: Pair = {
        id, ...base, entity, entity_type: h.type, produced_by: 'graph:hypernym', model, prompt_version: GRAPH_PROMPT_VERSION,
        format: PAIRS_FORMAT, generator: 'graph', explicit: false, evidence: [], concept_id: parent.id,
      };
      byId.set(id, p);
      out.get(h.type)?.push(p);
    }
  }
  return out;
}
