/**
 * A generation run over chunks: one call per (chunk, entity type), answered by the graph or by an LLM, each
 * call's pairs appended to the out file with the call logged (pairsOutput.ts: resume, nothing duplicated).
 * LLM answers are parsed (answerParser.ts) and each entity is marked explicit (with evidence spans) or implicit
 * (evidence.ts). Calls that fail are counted and asked again by the next run; the run stops early when every one
 * of the first calls fails (a wrong model name, a server that is down).
 */
import { PAIRS_FORMAT, type EntityType, type Pair } from '../../shared/pairs';
import type { SynthGenerateResult } from '../../shared/protocol';
import { CancelledError, errorMessage } from '../errors';
import type { Graph } from '../graph/graph';
import type { EntityMatch, EntityMatcher } from '../graph/matcher';
import { parseAnswer } from './answerParser';
import { findEvidence, mentionsOf, type TermIndex } from './evidence';
import { chunkFields, graphPairs } from './graphGenerator';
import { pairId } from './ids';
import type { IndexChunk } from './indexChunks';
import { LlmError, type LlmClient } from './llmClient';
import { PairsOutput } from './pairsOutput';
import { buildMessages, PROMPT_FILE_SUFFIX, PROMPT_SHA, PROMPT_VERSION, promptRecord } from './prompt';
import { writeFileAtomicSync } from '../../shared/atomicWrite';

export interface LoadedGraph {
  path: string;
  /** `graph:<12 hex of the file's SHA-256>`: the `model` of graph pairs. */
  id: string;
  graph: Graph;
  matcher: EntityMatcher;
  terms: TermIndex;
}

export interface GenerateProgress {
  phase: string;
  done: number;
  total: number;
  message?: string;
}

export interface GenerateRun {
  chunks: readonly IndexChunk[];
  types: readonly EntityType[];
  outPath: string;
  graph: LoadedGraph;
  /** Present for the LLM generator. */
  llm?: LlmClient;
}

/** Consecutive failed calls, from the start of a run, after which it stops. */
export const STOP_AFTER_FAILURES = 8;

/** An LLM answer → the pairs of one (chunk, type) call. */
export function llmPairs(chunk: IndexChunk, type: EntityType, answer: string, model: string, graph: LoadedGraph | undefined, known?: readonly EntityMatch[]): Pair[] {
  const parsed = parseAnswer(answer);
  const base = chunkFields(chunk);
  const mentions = known ?? (graph ? mentionsOf(graph.matcher, chunk.text) : []);
  const out: Pair[] = [];
  for (const entity of parsed.entities) {
    const evidence = findEvidence(chunk.text, entity, graph?.terms, mentions);
    const concept = graph?.terms.concepts(entity)[0];
    out.push({
      id: pairId(chunk.id, entity, type), ...base, entity, entity_type: type, produced_by: 'llm', model, prompt_version: PROMPT_VERSION,
      format: PAIRS_FORMAT, generator: 'llm', explicit: evidence.length > 0, evidence, ...(concept ? { concept_id: concept } : {}), prompt_sha: PROMPT_SHA,
    });
  }
  return out;
}

export async function runGeneration(run: GenerateRun, onProgress: (p: GenerateProgress) => void, signal?: AbortSignal): Promise<SynthGenerateResult> {
  const started = Date.now();
  const out = PairsOutput.open(run.outPath);
  const generator = run.llm ? 'llm' : 'graph';
  const model = run.llm ? run.llm.config.model : run.graph.id;
  const result: SynthGenerateResult = {
    outPath: run.outPath, graphPath: run.graph.path, chunks: run.chunks.length, calls: 0, skipped: 0, failed: 0, pairs: 0, explicit: 0, implicit: 0,
    duplicates: 0, promptTokens: 0, completionTokens: 0, cancelled: false, messages: [...out.notes], durationMs: 0,
  };
  const failures = new Map<string, number>();
  const todo: Array<{ chunk: IndexChunk; type: EntityType }> = [];
  for (const chunk of run.chunks) {
    for (const type of run.types) {
      if (out.isAnswered({ generator, model, chunkId: chunk.id, type })) result.skipped++;
      else todo.push({ chunk, type });
    }
  }
  const total = todo.length;
  let done = 0;
  const progress = (): void => onProgress({ phase: 'synth', done, total, message: `${result.pairs} pairs` });
  const record = (chunk: IndexChunk, type: EntityType, pairs: Pair[], usage?: Pair['usage']): void => {
    const fresh = pairs.filter((p) => !out.pairIds.has(p.id));
    if (usage && fresh.length) fresh[0] = { ...fresh[0], usage };
    out.record({ generator, model, chunkId: chunk.id, type }, fresh, usage);
    result.duplicates += pairs.length - fresh.length;
    result.calls++;
    result.pairs += fresh.length;
    for (const p of fresh) {
      if (p.explicit) result.explicit++;
      else result.implicit++;
    }
  };
  progress();
  try {
    if (!run.llm) {
      let last: { chunk: IndexChunk; groups: Map<EntityType, Pair[]> } | undefined;
      for (const { chunk, type } of todo) {
        if (signal?.aborted) throw new CancelledError();
        if (last?.chunk !== chunk) last = { chunk, groups: graphPairs(chunk, run.graph.graph, run.graph.matcher, run.types, model) };
        record(chunk, type, last.groups.get(type) ?? []);
        done++;
        if (done % 50 === 0 || done === total) progress();
      }
    } else {
      const llm = run.llm;
      writeFileAtomicSync(run.outPath + PROMPT_FILE_SUFFIX, JSON.stringify(promptRecord(), null, 2) + '\n');
      let next = 0;
      let consecutive = 0;
      let succeeded = false;
      const stop = new AbortController();
      // the chunk's graph mentions, shared by its (chunk, type) calls
      const mentionCache = new Map<string, EntityMatch[]>();
      const both = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
      const worker = async (): Promise<void> => {
        while (next < todo.length && !both.aborted) {
          const { chunk, type } = todo[next++];
          try {
            const c = await llm.complete(buildMessages(chunk.text, type), both);
            result.promptTokens += c.usage?.prompt_tokens ?? 0;
            result.completionTokens += c.usage?.completion_tokens ?? 0;
            let mentions = mentionCache.get(chunk.id);
            if (!mentions) {
              if (mentionCache.size >= 256) mentionCache.clear();
              mentionCache.set(chunk.id, (mentions = mentionsOf(run.graph.matcher, chunk.text)));
            }
            record(chunk, type, llmPairs(chunk, type, c.text, llm.config.model, run.graph, mentions), c.usage);
            consecutive = 0;
            succeeded = true;
          } catch (e) {
            if (e instanceof CancelledError) {
              if (signal?.aborted) throw e;
              return; // stopped
            }
            result.failed++;
            const msg = e instanceof LlmError ? e.message : `unexpected: ${errorMessage(e)}`;
            failures.set(msg, (failures.get(msg) ?? 0) + 1);
            consecutive++;
            if (!succeeded && consecutive >= STOP_AFTER_FAILURES) {
              result.stopped = `the first ${consecutive} calls failed (${msg}); stopped`;
              stop.abort();
            }
          }
          done++;
          progress();
        }
      };
      const workers = Array.from({ length: Math.max(1, Math.min(llm.config.concurrency, todo.length)) }, () => worker());
      const settled = await Promise.allSettled(workers);
      const rejected = settled.find((s) => s.status === 'rejected');
      if (rejected) throw (rejected as PromiseRejectedResult).reason;
    }
  } catch (e) {
    if (!(e instanceof CancelledError)) throw e;
    result.cancelled = true;
  } finally {
    out.close();
  }
  for (const [msg, n] of failures) result.messages.push(`${n} call${n === 1 ? '' : 's'} failed: ${msg}`);
  result.durationMs = Date.now() - started;
  return result;
}
