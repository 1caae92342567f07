/**
 * Scores a pairs file (suspicion.ts) with the Engine's model, index and the knowledge graph:
 * drehr/synthScore writes `<pairs>.suspicion.jsonl` ({pair_id, score, reasons, version, model_id} a line), and
 * `drehr synth score` writes the pairs with `suspicion` added. Never rewrites the pairs file itself.
 *
 * Signals per pair: the model's cosine similarity of the entity (embedded as a query) and its chunk (the index's
 * vector, or the chunk embedded as a passage when the index was built with another model); evidence (the pair's
 * entity, a synonym or a short form of its concept in the chunk); the NegEx context of every evidence span;
 * whether the graph knows the entity; which generators produced it when both ran on the chunk; ambiguous short
 * forms. A pair whose chunk is gone or changed (chunk_hash) is stale: scored on what it carries.
 */
import * as fs from 'node:fs';
import { normalizeEntity, parsePairsText, SUSPICION_SUFFIX, SUSPICION_VERSION, type EvidenceSpan, type Pair, type SuspicionLine, type SuspicionReason } from '../../shared/pairs';
import type { SynthScoreParams, SynthScoreResult } from '../../shared/protocol';
import { writeFileAtomic } from '../../shared/atomicWrite';
import type { Engine } from '../engine';
import { badRequest, errorMessage, throwIfAborted } from '../errors';
import { BLOCKLIST, tokenize, type EntityMatch } from '../graph/matcher';
import type { Graph } from '../graph/graph';
import { findEvidence, type TermIndex } from './evidence';
import type { GenerateProgress, LoadedGraph } from './generate';
import { chunkHash } from './ids';
import { readIndexChunks, type IndexChunk } from './indexChunks';
import { contextsOf, type ContextClass } from './negex';
import { clinicalReasons } from './clinicalNoise';
import { pairLine } from './pairsOutput';
import { loadSynthGraph, resolveGraphPath } from './service';
import { bottomRanks, suspicionOf } from './suspicion';

const CONTEXT_DETAIL: Record<ContextClass, string> = {
  negated: 'negation trigger',
  family_history: 'family-history trigger',
  hypothetical: 'hypothetical trigger (rule out, risk of, if, ...)',
};

function generatorOf(p: Pair): string | undefined {
  if (p.generator) return p.generator;
  const pre = p.produced_by.split(':')[0];
  return pre === 'graph' || pre === 'llm' ? pre : undefined;
}

/** Short forms with split senses: sf (lower case) → true when ambiguous (blocklisted, or no sense with share >= 0.5 among >= 2 senses). */
export function ambiguousShortForms(graph: Graph): Map<string, boolean> {
  const senses = new Map<string, Map<string, number>>();
  for (const c of graph.concepts.values()) {
    for (const [sf, share] of c.abbreviations) {
      const k = sf.toLowerCase();
      const m = senses.get(k) ?? new Map<string, number>();
      const name = normalizeEntity(c.name);
      m.set(name, Math.max(m.get(name) ?? 0, share));
      senses.set(k, m);
    }
  }
  const out = new Map<string, boolean>();
  for (const [sf, m] of senses) out.set(sf, BLOCKLIST.has(sf) || (m.size >= 2 && Math.max(...m.values()) < 0.5));
  for (const sf of BLOCKLIST) out.set(sf, true);
  return out;
}

export interface PairSignals {
  reasons: SuspicionReason[];
}

/** Every reason except similarity and generator disagreement (which need the whole file). Pure given its inputs. */
export function pairReasons(p: Pair, text: string | undefined, g: LoadedGraph, mentions: readonly EntityMatch[], ambiguous: Map<string, boolean>): SuspicionReason[] {
  const reasons: SuspicionReason[] = [];
  const terms: TermIndex = g.terms;
  const concepts = new Set(terms.concepts(p.entity));
  if (p.concept_id && g.graph.concepts.has(p.concept_id)) concepts.add(p.concept_id);
  if (concepts.size === 0) reasons.push({ code: 'unknown_to_graph', detail: 'no concept of the knowledge graph has this name, synonym or short form' });
  const clinical = (spans: EvidenceSpan[]): SuspicionReason[] =>
    clinicalReasons({ entity: p.entity, entityType: p.entity_type, ...(p.explicit !== undefined ? { explicit: p.explicit } : {}), concepts: [...concepts], text, spans, mentions, graph: g.graph });
  if (text === undefined) return [...reasons, ...clinical([])];
  const spans = findEvidence(text, p.entity, terms, mentions);
  for (const m of mentions) if (p.concept_id && m.conceptId === p.concept_id && !spans.some((s) => s.start === m.start && s.end === m.end)) spans.push({ start: m.start, end: m.end });
  reasons.push(...clinical(spans));
  if (p.explicit === true && spans.length === 0) reasons.push({ code: 'no_evidence', detail: 'marked explicit, but neither the entity nor a synonym or short form of it is in the chunk' });
  if (spans.length) {
    const per = spans.map((s) => contextsOf(text, s));
    for (const cls of ['negated', 'family_history', 'hypothetical'] as ContextClass[]) {
      const hits = per.map((cs) => cs.find((c) => c.cls === cls));
      if (hits.every((h) => h !== undefined)) {
        const pos = hits[0]?.position ?? 'before';
        reasons.push({ code: cls, detail: `${CONTEXT_DETAIL[cls]} ${pos} the evidence (${spans.length} of ${spans.length} mention${spans.length === 1 ? '' : 's'})` });
      }
    }
  }
  // ambiguous short forms: an evidence span that is one, or a short form of the entity's concepts written in the chunk
  const shortForms = new Set<string>();
  for (const s of spans) {
    const surface = text.slice(s.start, s.end);
    if (/^[\p{Lu}\p{N}/.-]{2,6}$/u.test(surface) && ambiguous.get(surface.toLowerCase())) shortForms.add(surface.toLowerCase());
  }
  for (const id of concepts) {
    for (const [sf] of g.graph.concepts.get(id)?.abbreviations ?? []) {
      const k = sf.toLowerCase();
      if (!ambiguous.get(k) || shortForms.has(k)) continue;
      const upper = sf.toUpperCase();
      if (tokenize(text).some(([a, b]) => text.slice(a, b) === upper)) shortForms.add(k);
    }
  }
  if (shortForms.size) reasons.push({ code: 'ambiguous_abbreviation', detail: `the chunk writes it as a short form with several common senses (${shortForms.size})` });
  return reasons;
}

/** generator_disagreement: for each pair, a reason when both generators ran on its (chunk, type) and only its own produced it. */
export function disagreements(pairs: readonly Pair[]): Array<SuspicionReason | undefined> {
  const groups = new Map<string, Map<string, Set<string>>>();
  const keyOf = (p: Pair): string => `${p.chunk_id}\t${p.entity_type}`;
  for (const p of pairs) {
    const gen = generatorOf(p);
    if (!gen) continue;
    const g = groups.get(keyOf(p)) ?? new Map<string, Set<string>>();
    const s = g.get(gen) ?? new Set<string>();
    s.add(`e:${normalizeEntity(p.entity)}`);
    if (p.concept_id) s.add(`c:${p.concept_id}`);
    g.set(gen, s);
    groups.set(keyOf(p), g);
  }
  return pairs.map((p) => {
    const gen = generatorOf(p);
    const g = groups.get(keyOf(p));
    if (!gen || !g || g.size < 2) return undefined;
    const others = [...g.entries()].filter(([k]) => k !== gen);
    const found = others.some(([, s]) => s.has(`e:${normalizeEntity(p.entity)}`) || (p.concept_id !== undefined && s.has(`c:${p.concept_id}`)));
    return found ? undefined : { code: 'generator_disagreement', detail: `only the ${gen} generator produced it; ${others.map(([k]) => k).join(', ')} ran on this chunk too` };
  });
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

export async function synthScoreFile(
  engine: Engine,
  params: SynthScoreParams,
  mode: 'suspicion' | 'pairs',
  onProgress: (p: GenerateProgress) => void,
  signal?: AbortSignal,
): Promise<SynthScoreResult> {
  const started = Date.now();
  let text: string;
  try {
    text = fs.readFileSync(params.pairsPath, 'utf8');
  } catch (e) {
    throw badRequest(`The pairs file ${params.pairsPath} cannot be read: ${errorMessage(e)}`);
  }
  const { pairs, broken } = parsePairsText(text);
  if (pairs.length === 0) throw badRequest(`${params.pairsPath} holds no pairs${broken.length ? ` (${broken.length} broken lines, first at line ${broken[0].line})` : ''}.`);
  const g = loadSynthGraph(resolveGraphPath(params.graphPath, engine.config.modelDir));
  const status = await engine.status();
  const useIndexVectors = !status.modelMismatch && status.modelId === engine.model.id;
  const chunkList = await readIndexChunks(engine.config.indexLocation, { vectors: useIndexVectors, ids: new Set(pairs.map((p) => p.chunk_id)) });
  const chunks = new Map<string, IndexChunk>(chunkList.map((c) => [c.id, c]));
  const hashes = new Map<string, string>(chunkList.map((c) => [c.id, chunkHash(c.text)]));
  const live = (p: Pair): IndexChunk | undefined => {
    const c = chunks.get(p.chunk_id);
    if (!c) return undefined;
    const h = p.chunk_hash.toLowerCase();
    return h === '' || (hashes.get(c.id) ?? '').startsWith(h) ? c : undefined;
  };
  // embeddings: chunks without an index vector as passages, every distinct entity as a query
  const needPassage = chunkList.filter((c) => !c.vector);
  const entities = [...new Set(pairs.filter((p) => live(p)).map((p) => p.entity))];
  const total = needPassage.length + entities.length;
  onProgress({ phase: 'embed', done: 0, total });
  if (needPassage.length) {
    const vecs = await engine.encoder.embed(needPassage.map((c) => c.text), 'passage', { signal, onBatch: (d) => onProgress({ phase: 'embed', done: d, total }) });
    needPassage.forEach((c, i) => (c.vector = vecs[i]));
  }
  const qv = await engine.encoder.embed(entities, 'query', { signal, onBatch: (d) => onProgress({ phase: 'embed', done: needPassage.length + d, total }) });
  const queries = new Map(entities.map((e, i) => [e, qv[i]]));
  const ambiguous = ambiguousShortForms(g.graph);
  const mentions = new Map<string, EntityMatch[]>();
  const sims: Array<number | undefined> = [];
  const reasons: SuspicionReason[][] = [];
  let stale = 0;
  const disagree = disagreements(pairs);
  for (let i = 0; i < pairs.length; i++) {
    if (i % 1000 === 0) {
      throwIfAborted(signal);
      onProgress({ phase: 'score', done: i, total: pairs.length });
    }
    const p = pairs[i];
    const c = live(p);
    if (!c) stale++;
    let m: EntityMatch[] | undefined;
    if (c) {
      m = mentions.get(c.id);
      if (!m) mentions.set(c.id, (m = g.matcher.find(c.text)));
    }
    const r = pairReasons(p, c?.text, g, m ?? [], ambiguous);
    const d = disagree[i];
    if (d) r.push(d);
    reasons.push(r);
    const q = queries.get(p.entity);
    sims.push(c?.vector && q ? cosine(q, c.vector) : undefined);
  }
  const ranks = bottomRanks(sims);
  const modelId = engine.model.id;
  const outPath = params.outPath ?? params.pairsPath + SUSPICION_SUFFIX;
  const lines: string[] = [];
  for (let i = 0; i < pairs.length; i++) {
    const s = suspicionOf({ rank: ranks[i], similarity: sims[i], reasons: reasons[i] });
    if (mode === 'suspicion') {
      const line: SuspicionLine = { pair_id: pairs[i].id, score: s.score, reasons: s.reasons, version: SUSPICION_VERSION, model_id: modelId };
      lines.push(JSON.stringify(line));
    } else {
      lines.push(pairLine({ ...pairs[i], suspicion: s }));
    }
  }
  await writeFileAtomic(outPath, lines.join('\n') + '\n');
  onProgress({ phase: 'score', done: pairs.length, total: pairs.length });
  return { outPath, pairs: pairs.length, scored: pairs.length, stale, brokenLines: broken.map((b) => b.line), modelId, durationMs: Date.now() - started };
}
