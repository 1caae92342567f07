/**
 * What the review webview is sent, built from a ReviewSession, pure apart from hashing: the pair under the
 * cursor, its label, the numbers, and the chunk's state (ok, stale: gone from the index or changed since the
 * pair was made). Host side only.
 */
import { createHash } from 'node:crypto';
import type { ChunkText } from '../shared/protocol';
import type { Pair, Suspicion } from '../shared/pairs';
import type { ChunkView, NumbersView, PairDetails, ProportionView, ReviewView } from '../shared/webview-pairs';
import { generatorOf } from './order';
import type { ReviewNumbers, ReviewSession } from './session';
import type { Proportion } from './stats';

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** ok when the chunk is there and its text still hashes to the pair's chunk_hash (a prefix is accepted). */
export function chunkViewOf(pair: Pair, chunk: ChunkText | null): ChunkView {
  if (!chunk) return { state: 'stale', reason: 'missing' };
  const where = { source: chunk.source, ...(chunk.row !== undefined ? { row: chunk.row } : {}) };
  const want = pair.chunk_hash.trim().toLowerCase();
  if (want !== '' && !sha256Hex(chunk.text).startsWith(want)) return { state: 'stale', reason: 'changed', text: chunk.text, ...where };
  return { state: 'ok', text: chunk.text, ...where };
}

export function pairDetails(p: Pair, suspicion: Suspicion | undefined): PairDetails {
  const gen = generatorOf(p);
  const d: PairDetails = {
    id: p.id,
    entity: p.entity,
    entityType: p.entity_type,
    producedBy: p.produced_by,
    model: p.model,
    promptVersion: p.prompt_version,
    evidence: Array.isArray(p.evidence) ? p.evidence.filter((e) => Number.isInteger(e?.start) && Number.isInteger(e?.end)) : [],
  };
  if (typeof p.explicit === 'boolean') d.explicit = p.explicit;
  if (gen) d.generator = gen;
  if (p.concept_id) d.conceptId = p.concept_id;
  if (p.note_id) d.noteId = p.note_id;
  if (p.patient_id) d.patientId = p.patient_id;
  if (p.source) d.source = p.source;
  if (typeof p.row === 'number') d.row = p.row;
  if (suspicion) d.suspicion = suspicion;
  return d;
}

function prop(p: Proportion | undefined): ProportionView | undefined {
  return p ? { k: p.k, n: p.n, p: p.p, low: p.low, high: p.high } : undefined;
}

export function numbersView(n: ReviewNumbers): NumbersView {
  const out: NumbersView = {
    pairs: n.pairs,
    reviewed: n.reviewed,
    byLabel: n.byLabel,
    sampled: n.sampled,
    unsureInSample: n.noise.unsure,
    byType: {},
    scored: n.score.n,
    reviewers: n.reviewers,
  };
  const noise = prop(n.noise.overall);
  if (noise) out.noise = noise;
  for (const [t, v] of Object.entries(n.noise.byType)) {
    const pv = prop(v);
    if (pv) out.byType[t as keyof NumbersView['byType']] = pv;
  }
  const ex = prop(n.noise.byEvidence.explicit);
  if (ex) out.explicit = ex;
  const im = prop(n.noise.byEvidence.implicit);
  if (im) out.implicit = im;
  if (n.noise.projected) out.projected = n.noise.projected;
  if (n.score.auc !== undefined) out.auc = n.score.auc;
  if (n.score.top10) out.top10 = n.score.top10;
  if (n.kappa) out.kappa = { reviewers: n.kappa.reviewers, n: n.kappa.n, agreement: n.kappa.agreement, ...(n.kappa.kappa !== undefined ? { kappa: n.kappa.kappa } : {}) };
  return out;
}

export function reviewView(s: ReviewSession, numbers: NumbersView = numbersView(s.numbers())): ReviewView {
  const p = s.current;
  const v: ReviewView = {
    position: s.position,
    size: s.size,
    order: s.order,
    seed: s.seed,
    filter: s.filter,
    sampling: s.sampling,
    canUndo: s.canUndo,
    numbers,
    reviewer: s.reviewer,
    scoresAvailable: s.hasScores,
  };
  if (p) {
    v.pair = pairDetails(p, s.suspicionOf(p));
    const cur = s.labels.current.get(p.id);
    if (cur) {
      v.label = cur.label;
      v.labelBy = cur.reviewer;
      v.labelSampled = cur.sample !== undefined;
    }
  }
  return v;
}
