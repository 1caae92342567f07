import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parsePairsText, type Pair } from '../../../src/shared/pairs';
import { parseGraph } from '../../../src/sidecar/graph/graph';
import { EntityMatcher } from '../../../src/sidecar/graph/matcher';
import { TermIndex } from '../../../src/sidecar/synth/evidence';
import { llmPairs, type LoadedGraph } from '../../../src/sidecar/synth/generate';
import { graphPairs } from '../../../src/sidecar/synth/graphGenerator';
import { chunkHash, pairId } from '../../../src/sidecar/synth/ids';
import type { IndexChunk } from '../../../src/sidecar/synth/indexChunks';
import { CALLS_SUFFIX, PairsOutput } from '../../../src/sidecar/synth/pairsOutput';
import { ambiguousShortForms, disagreements, pairReasons } from '../../../src/sidecar/synth/scoreService';
import { bottomRanks, PRIOR_SIMILARITY_WEIGHT, PRIOR_WEIGHTS, suspicionOf } from '../../../src/sidecar/synth/suspicion';

const graph = parseGraph(
  [
    { id: 'D:1', name: 'heart failure', synonyms: ['cardiac failure'], abbreviations: [['hf', 0.9]], type: 'disease' },
    { id: 'D:2', name: 'congestive heart failure', abbreviations: [['chf', 1.0]], parents: ['D:1'], type: 'disease' },
    { id: 'D:3', name: 'hypertension', abbreviations: [['htn', 1.0]], parents: ['D:5'], type: 'disease' },
    { id: 'D:5', name: 'vascular disease', type: 'disease' },
    { id: 'D:6', name: 'multiple sclerosis', abbreviations: [['ms', 0.4]], type: 'disease' },
    { id: 'D:7', name: 'mitral stenosis', abbreviations: [['ms', 0.3]], type: 'disease' },
    { id: 'R:1', name: 'lisinopril', type: 'drug' },
    { id: 'P:1', name: 'echocardiography', synonyms: ['echocardiogram'], type: 'procedure' },
    { id: 'ABBR:status post', name: 'status post', abbreviations: [['s/p', 1.0]], type: 'other' },
  ]
    .map((o) => JSON.stringify(o))
    .join('\n'),
);
const loaded: LoadedGraph = { path: 'g', id: 'graph:test', graph, matcher: new EntityMatcher(graph), terms: new TermIndex(graph) };

function chunk(text: string, id = 'n1::0'): IndexChunk {
  return { id, noteId: 'n1', patientId: 'p1', source: 'p1/n1.md', row: -1, charStart: 0, charEnd: text.length, text };
}

describe('synthetic pairs: ids, graph generator, LLM answers to pairs', () => {
  it('pair id = first 16 hex of SHA-1 of chunk id, normalized entity and type', () => {
    // Python: hashlib.sha1('n1::0\thypertension\tdiagnosis'.encode()).hexdigest()[:16]
    assert.equal(pairId('n1::0', 'hypertension', 'diagnosis'), '948333d9f4e0c0e8');
    assert.equal(pairId('n1::0', '  Hypertension ', 'diagnosis'), pairId('n1::0', 'hypertension', 'diagnosis'));
    assert.match(pairId('n1::0', 'hypertension', 'diagnosis'), /^[0-9a-f]{16}$/);
    assert.notEqual(pairId('n1::0', 'hypertension', 'diagnosis'), pairId('n1::0', 'hypertension', 'drug'));
    assert.equal(chunkHash('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('graph generator: mentions as explicit pairs (concept name, evidence span), hypernyms as implicit, by type', () => {
    const c = chunk('Hx of CHF and HTN, denies cardiac failure; on lisinopril. Echocardiogram s/p.');
    const g = graphPairs(c, graph, loaded.matcher, ['diagnosis', 'procedure', 'drug'], 'graph:test');
    const dx = g.get('diagnosis') ?? [];
    assert.deepEqual(dx.map((p) => [p.entity, p.produced_by, p.explicit, p.evidence?.map((e) => c.text.slice(e.start, e.end))]), [
      ['congestive heart failure', 'graph:explicit', true, ['CHF']],
      ['hypertension', 'graph:explicit', true, ['HTN']],
      ['heart failure', 'graph:explicit', true, ['cardiac failure']],
      ['vascular disease', 'graph:hypernym', false, []],
    ]);
    assert.deepEqual((g.get('drug') ?? []).map((p) => p.entity), ['lisinopril']);
    assert.deepEqual((g.get('procedure') ?? []).map((p) => [p.entity, p.concept_id]), [['echocardiography', 'P:1']]);
    const p = dx[0];
    assert.equal(p.id, pairId(c.id, 'congestive heart failure', 'diagnosis'));
    assert.equal(p.chunk_hash, chunkHash(c.text));
    assert.equal(p.generator, 'graph');
    assert.equal(p.format, 2);
    assert.equal(p.note_id, 'n1');
    assert.equal(p.row, undefined);
    // deterministic
    assert.deepEqual(graphPairs(c, graph, loaded.matcher, ['diagnosis'], 'graph:test').get('diagnosis'), dx);
  });

  it('LLM answer → pairs: explicit by the words or a graph synonym/short form, with spans; implicit otherwise', () => {
    const c = chunk('Hx of HTN. Started lisinopril. Echocardiogram shows low EF.');
    const pairs = llmPairs(c, 'diagnosis', '- Hypertension\n- Heart failure (inferred)\n- low EF\n- hypertension', 'm1', loaded);
    assert.deepEqual(pairs.map((p) => [p.entity, p.explicit, p.evidence?.map((e) => c.text.slice(e.start, e.end)), p.concept_id]), [
      ['hypertension', true, ['HTN'], 'D:3'],
      ['heart failure', false, [], 'D:1'],
      ['low EF', true, ['low EF'], undefined],
    ]);
    assert.ok(pairs.every((p) => p.produced_by === 'llm' && p.model === 'm1' && /^[0-9a-f]{64}$/.test(p.prompt_sha ?? '')));
  });
});

describe('pairs files: append-only output, resume, truncated lines', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drehr-pairs-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const mk = (entity: string, chunkId = 'n1::0'): Pair => ({ id: pairId(chunkId, entity, 'diagnosis'), chunk_id: chunkId, chunk_hash: 'h', entity, entity_type: 'diagnosis', produced_by: 'llm', model: 'm', prompt_version: 'v' });

  it('records calls, skips answered ones and never writes a pair id twice', () => {
    const file = path.join(dir, 'a.jsonl');
    const out = PairsOutput.open(file);
    const key = { generator: 'llm' as const, model: 'm', chunkId: 'n1::0', type: 'diagnosis' as const };
    assert.equal(out.record(key, [mk('asthma'), mk('gout')], { prompt_tokens: 5, completion_tokens: 1 }), 2);
    out.record({ ...key, chunkId: 'n1::1' }, []);
    out.close();
    const again = PairsOutput.open(file);
    assert.ok(again.isAnswered(key));
    assert.ok(again.isAnswered({ ...key, chunkId: 'n1::1' }), 'an answer with no pairs counts as answered');
    assert.ok(!again.isAnswered({ ...key, type: 'drug' }));
    assert.ok(!again.isAnswered({ ...key, model: 'other-model' }));
    assert.equal(again.record({ ...key, chunkId: 'n1::0', type: 'diagnosis' }, [mk('asthma'), mk('eczema')]), 1);
    again.close();
    const { pairs, broken } = parsePairsText(fs.readFileSync(file, 'utf8'));
    assert.deepEqual(pairs.map((p) => p.entity), ['asthma', 'gout', 'eczema']);
    assert.deepEqual(broken, []);
    assert.equal(fs.readFileSync(file + CALLS_SUFFIX, 'utf8').trim().split('\n').length, 3);
  });

  it('a truncated last line (a killed run) is reported by readers and cut off by the next run', () => {
    const file = path.join(dir, 'b.jsonl');
    const full = [mk('asthma'), mk('gout'), mk('eczema')].map((p) => JSON.stringify(p)).join('\n');
    fs.writeFileSync(file, full.slice(0, full.length - 20));
    const parsed = parsePairsText(fs.readFileSync(file, 'utf8'));
    assert.deepEqual(parsed.pairs.map((p) => p.entity), ['asthma', 'gout']);
    assert.equal(parsed.broken.length, 1);
    assert.equal(parsed.broken[0].line, 3);
    assert.match(parsed.broken[0].reason, /truncated or broken/);
    const out = PairsOutput.open(file);
    assert.deepEqual(out.notes, ['b.jsonl: line 3 was incomplete (an interrupted run) and was removed']);
    out.record({ generator: 'llm', model: 'm', chunkId: 'n1::0', type: 'diagnosis' }, [mk('eczema')]);
    out.close();
    assert.deepEqual(parsePairsText(fs.readFileSync(file, 'utf8')), { pairs: parsePairsText(fs.readFileSync(file, 'utf8')).pairs, broken: [] });
    assert.deepEqual(parsePairsText(fs.readFileSync(file, 'utf8')).pairs.map((p) => p.entity), ['asthma', 'gout', 'eczema']);
  });

  it('reads the older format: prescription as drug, no optional keys', () => {
    const { pairs } = parsePairsText('{"id":"a","chunk_id":"c","chunk_hash":"h","entity":"aspirin","entity_type":"prescription","produced_by":"mtsamples-keywords:string","model":"none","prompt_version":"x"}\n');
    assert.equal(pairs[0].entity_type, 'drug');
  });
});

describe('suspicion', () => {
  it('ranks similarities from the bottom, ties sharing a rank', () => {
    assert.deepEqual(bottomRanks([0.9, 0.1, undefined, 0.5, 0.5]), [0, 1, undefined, 0.5, 0.5]);
    assert.deepEqual(bottomRanks([0.3]), [0.5]);
  });

  it('noisy-OR of the reasons and the similarity rank (hand-computed)', () => {
    // version 2 weights: 1 - (1 - 0.1*1)(1 - 0.95)(1 - 0.3) = 1 - 0.9*0.05*0.7 = 0.9685
    const s = suspicionOf({ rank: 1, similarity: 0.12, reasons: [{ code: 'unknown_to_graph', detail: '' }, { code: 'negated', detail: '' }] });
    assert.equal(s.score, 0.9685);
    assert.deepEqual(s.reasons.map((r) => r.code), ['negated', 'unknown_to_graph', 'low_similarity']);
    assert.equal(s.version, 2);
    assert.equal(suspicionOf({ rank: 0, reasons: [] }).score, 0);
    assert.equal(suspicionOf({ reasons: [] }).score, 0.05); // stale: d = 0.5
    // the prior weights (version 1's, and the new reasons' hand-set ones): 1 - (1 - 0.5)(1 - 0.6)(1 - 0.3) = 0.86
    assert.equal(suspicionOf({ rank: 1, reasons: [{ code: 'unknown_to_graph', detail: '' }, { code: 'negated', detail: '' }] }, PRIOR_WEIGHTS, PRIOR_SIMILARITY_WEIGHT).score, 0.86);
  });

  it('reasons: no evidence, negation, family history, unknown to graph, ambiguous short forms', () => {
    const amb = ambiguousShortForms(graph);
    const base: Pair = { id: 'x', chunk_id: 'n1::0', chunk_hash: '', entity: 'hypertension', entity_type: 'diagnosis', produced_by: 'llm', model: 'm', prompt_version: 'v' };
    const codes = (p: Partial<Pair>, text: string): string[] => pairReasons({ ...base, ...p }, text, loaded, loaded.matcher.find(text), amb).map((r) => r.code).sort();
    assert.deepEqual(codes({}, 'Known HTN, on lisinopril.'), []);
    assert.deepEqual(codes({ explicit: true }, 'On lisinopril.'), ['no_evidence']);
    assert.deepEqual(codes({}, 'Denies HTN.'), ['negated']);
    assert.deepEqual(codes({}, 'Family history of hypertension.'), ['family_history']);
    assert.deepEqual(codes({}, 'Rule out hypertension.'), ['hypothetical']);
    assert.deepEqual(codes({}, 'Denies HTN. Hypertension on exam.'), [], 'one mention outside the negation is enough');
    assert.deepEqual(codes({ entity: 'zorblax syndrome' }, 'Zorblax.'), ['unknown_to_graph']);
    assert.deepEqual(codes({ entity: 'multiple sclerosis' }, 'History of MS, walks with a cane.'), ['ambiguous_abbreviation']);
    assert.ok(!pairReasons({ ...base, entity: 'zorblax' }, 'Zorblax.', loaded, [], amb).some((r) => /zorblax/i.test(r.detail)), 'details hold no note text');
  });

  it('generator disagreement only where both generators ran on the chunk and type', () => {
    const p = (entity: string, generator: 'graph' | 'llm', chunkId = 'c1', concept?: string): Pair => ({
      id: `${generator}-${entity}`, chunk_id: chunkId, chunk_hash: '', entity, entity_type: 'diagnosis', produced_by: generator === 'graph' ? 'graph:explicit' : 'llm', model: 'm', prompt_version: 'v', generator, ...(concept ? { concept_id: concept } : {}),
    });
    const pairs = [p('hypertension', 'graph', 'c1', 'D:3'), p('HTN', 'llm', 'c1', 'D:3'), p('gout', 'llm'), p('vascular disease', 'graph'), p('asthma', 'llm', 'c2')];
    assert.deepEqual(disagreements(pairs).map((r) => r?.code ?? '-'), ['-', '-', 'generator_disagreement', 'generator_disagreement', '-']);
  });
});
