/**
 * Synthetic pairs on top of the Engine, for the sidecar (drehr/synthGenerate, drehr/synthScore) and the CLI
 * (drehr synth): index the workspace first (incrementally), read its chunks, load the knowledge graph, run.
 *
 * The graph: `graphPath` when given (CLI --graph, setting drehr.synth.graphPath), else `<model>/graph.jsonl.gz`,
 * else the shipped one (models/demo/graph.jsonl.gz beside dist/, built from the shipped sources only).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SynthGenerateParams, SynthGenerateResult } from '../../shared/protocol';
import type { Engine, ProgressUpdate } from '../engine';
import { badRequest, EngineError, errorMessage } from '../errors';
import { ErrorCodes } from '../../shared/protocol';
import { GRAPH_FILE, loadGraph } from '../graph/graph';
import { EntityMatcher } from '../graph/matcher';
import { TermIndex } from './evidence';
import { runGeneration, type GenerateProgress, type LoadedGraph } from './generate';
import { readIndexChunks } from './indexChunks';
import { LLM_DEFAULTS, LlmClient, LlmError } from './llmClient';
import { ENTITY_TYPES } from '../../shared/pairs';

/** models/demo/graph.jsonl.gz beside the bundle (dist/sidecar.js, dist/cli.js). */
export function shippedGraphPath(): string {
  return path.join(__dirname, '..', 'models', 'demo', GRAPH_FILE);
}

export function resolveGraphPath(explicit: string | undefined, modelDir: string, fallback = shippedGraphPath()): string {
  if (explicit) {
    if (!fs.existsSync(explicit)) throw badRequest(`The knowledge graph ${explicit} does not exist (build one with: python -m drehr_train graph --out graph.jsonl.gz).`);
    return explicit;
  }
  const inModel = path.join(modelDir, GRAPH_FILE);
  if (fs.existsSync(inModel)) return inModel;
  if (fs.existsSync(fallback)) return fallback;
  throw badRequest(`No knowledge graph: the model folder has no ${GRAPH_FILE} and the shipped one is missing. Give one with --graph FILE (setting drehr.synth.graphPath).`);
}

let cached: { key: string; graph: LoadedGraph } | undefined;

/** Loads (and keeps, for the next request) the graph, its matcher and its term index. */
export function loadSynthGraph(file: string, warn: (m: string) => void = () => undefined): LoadedGraph {
  const st = fs.statSync(file);
  const key = `${path.resolve(file)}:${st.size}:${st.mtimeMs}`;
  if (cached?.key === key) return cached.graph;
  const bytes = fs.readFileSync(file);
  const graph = loadGraph(file);
  if (graph.concepts.size === 0) throw badRequest(`The knowledge graph ${file} holds no concepts.`);
  if (graph.warnings.length) warn(`${graph.warnings.length} broken lines in ${path.basename(file)} were skipped (first: ${graph.warnings[0]}).`);
  const loaded: LoadedGraph = { path: file, id: `graph:${createHash('sha256').update(bytes).digest('hex').slice(0, 12)}`, graph, matcher: new EntityMatcher(graph), terms: new TermIndex(graph) };
  cached = { key, graph: loaded };
  return loaded;
}

export function checkGenerateParams(p: SynthGenerateParams): void {
  if (p.generator !== 'graph' && p.generator !== 'llm') throw badRequest('generator must be "graph" or "llm"');
  if (!Array.isArray(p.types) || p.types.length === 0 || p.types.some((t) => !ENTITY_TYPES.includes(t))) throw badRequest('types must be some of diagnosis, procedure, drug');
  if (!p.outPath || !path.isAbsolute(p.outPath)) throw badRequest('outPath must be an absolute path');
  if (p.generator === 'llm' && (!p.llm?.endpoint || !p.llm.model)) throw badRequest('the LLM generator needs an endpoint and a model name (settings drehr.llm.endpoint and drehr.llm.model; CLI --endpoint, --model)');
}

/** The LLM client of a request; a bad or remote endpoint becomes a BadRequest that says what to do. */
export function llmClientFor(p: SynthGenerateParams): LlmClient | undefined {
  if (p.generator !== 'llm' || !p.llm) return undefined;
  try {
    return new LlmClient({
      endpoint: p.llm.endpoint, model: p.llm.model, apiKey: p.llm.apiKey, concurrency: Math.max(1, p.llm.concurrency || LLM_DEFAULTS.concurrency),
      timeoutMs: Math.max(1, p.llm.timeoutSeconds || LLM_DEFAULTS.timeoutSeconds) * 1000, maxRetries: LLM_DEFAULTS.maxRetries, allowRemote: p.llm.allowRemote,
    });
  } catch (e) {
    if (e instanceof LlmError) throw badRequest(e.message);
    throw e;
  }
}

export async function synthGenerate(
  engine: Engine,
  p: SynthGenerateParams,
  onProgress: (u: GenerateProgress | ProgressUpdate) => void,
  signal?: AbortSignal,
): Promise<SynthGenerateResult> {
  checkGenerateParams(p);
  const llm = llmClientFor(p);
  const graphPath = resolveGraphPath(p.graphPath, engine.config.modelDir);
  // the folder is indexed first (incrementally: quick when nothing changed)
  const indexed = await engine.index({ workId: p.workId }, onProgress, signal);
  if (indexed.cancelled) return emptyResult(p, graphPath, true, Date.now());
  const started = Date.now();
  onProgress({ phase: 'graph', done: 0, total: 1, message: path.basename(graphPath) });
  let graph: LoadedGraph;
  try {
    graph = loadSynthGraph(graphPath);
  } catch (e) {
    if (e instanceof EngineError) throw e;
    throw new EngineError(ErrorCodes.BadRequest, `The knowledge graph ${graphPath} cannot be read: ${errorMessage(e)}`);
  }
  const chunks = await readIndexChunks(engine.config.indexLocation);
  const r = await runGeneration({ chunks, types: p.types, outPath: p.outPath, graph, llm }, onProgress, signal);
  const warning = insideNotes(engine.config.workspaceRoot, p.outPath);
  return { ...r, messages: warning ? [warning, ...r.messages] : r.messages, durationMs: Date.now() - started };
}

/** A pairs file inside the notes folder (not under .drehr/) is indexed as notes by the next index run. */
export function insideNotes(root: string, file: string): string | undefined {
  const rel = path.relative(root, file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  if (rel.split(path.sep).includes('.drehr')) return undefined;
  return `the pairs file is inside the notes folder (${rel.split(path.sep).join('/')}), so indexing reads it as notes: keep pairs under .drehr/ or outside the folder`;
}

function emptyResult(p: SynthGenerateParams, graphPath: string, cancelled: boolean, started: number): SynthGenerateResult {
  return {
    outPath: p.outPath, graphPath, chunks: 0, calls: 0, skipped: 0, failed: 0, pairs: 0, explicit: 0, implicit: 0, duplicates: 0, promptTokens: 0,
    completionTokens: 0, cancelled, messages: [], durationMs: Date.now() - started,
  };
}
