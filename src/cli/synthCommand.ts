/**
 * `drehr synth <folder> --generator graph|llm ... --out PAIRS.jsonl` (generate pairs; resumable) and
 * `drehr synth score PAIRS.jsonl <folder> --out SCORED.jsonl` (add each pair's suspicion score and reasons).
 * The Engine in-process; progress on stderr; the summary on stdout (or one JSON object with --json).
 */
import * as path from 'node:path';
import { ENTITY_TYPES, SUSPICION_SUFFIX, type EntityType } from '../shared/pairs';
import type { SynthGenerateParams, SynthGenerateResult } from '../shared/protocol';
import { Engine } from '../sidecar/engine';
import { stderrLogger } from '../sidecar/log';
import { LLM_DEFAULTS } from '../sidecar/synth/llmClient';
import { synthGenerate } from '../sidecar/synth/service';
import { synthScoreFile } from '../sidecar/synth/scoreService';
import { intFlag, parseArgs, stringFlag, UsageError, type ParsedArgs } from './args';
import { EXIT } from './exitCodes';
import { engineConfigFrom } from './options';
import { makeProgressReporter } from './progress';

export const SYNTH_USAGE = `  drehr synth <folder> --out PAIRS.jsonl [--generator graph|llm] [--types diagnosis,procedure,drug] [--graph FILE]
              [--endpoint URL] [--model NAME] [--concurrency N] [--timeout SECONDS] [--allow-remote]
              [--model-dir DIR] [--index DIR] [--json]
  drehr synth score PAIRS.jsonl <folder> --out SCORED.jsonl | --beside [--graph FILE] [--model-dir DIR] [--index DIR] [--json]`;

/** The Engine's flags under synth's names (--model is the LLM's model name here). */
function engineArgs(args: ParsedArgs): ParsedArgs {
  const flags = new Map<string, string | true>();
  const dir = stringFlag(args, 'model-dir');
  if (dir) flags.set('model', dir);
  const index = stringFlag(args, 'index');
  if (index) flags.set('index', index);
  return { positionals: [], flags };
}

function withSigint<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const onSigint = (): void => {
    process.stderr.write('\nStopping after the calls in flight (Ctrl+C again to quit at once)…\n');
    process.off('SIGINT', onSigint);
    ac.abort();
  };
  process.on('SIGINT', onSigint);
  return run(ac.signal).finally(() => process.off('SIGINT', onSigint));
}

export function parseTypes(v: string | undefined): EntityType[] {
  if (v === undefined) return [...ENTITY_TYPES];
  const types = v.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean).map((t) => (t === 'prescription' ? 'drug' : t));
  const bad = types.filter((t) => !(ENTITY_TYPES as readonly string[]).includes(t));
  if (bad.length || types.length === 0) throw new UsageError(`--types takes diagnosis, procedure and/or drug (comma-separated), not ${bad.join(', ') || 'nothing'}`);
  return [...new Set(types)] as EntityType[];
}

export async function synthCommand(argv: string[]): Promise<number> {
  if (argv[0] === 'score') return scoreCommand(argv.slice(1));
  const args = parseArgs(argv, ['out', 'generator', 'types', 'graph', 'endpoint', 'model', 'concurrency', 'timeout', 'model-dir', 'index'], ['allow-remote', 'json']);
  const folder = args.positionals[0];
  const out = stringFlag(args, 'out');
  if (!out) throw new UsageError('--out PAIRS.jsonl is needed');
  const generator = stringFlag(args, 'generator') ?? 'graph';
  if (generator !== 'graph' && generator !== 'llm') throw new UsageError('--generator must be graph or llm');
  const params: SynthGenerateParams = { workId: 'cli', generator, types: parseTypes(stringFlag(args, 'types')), outPath: path.resolve(out) };
  const graph = stringFlag(args, 'graph');
  if (graph) params.graphPath = path.resolve(graph);
  if (generator === 'llm') {
    const endpoint = stringFlag(args, 'endpoint') ?? process.env.DREHR_LLM_ENDPOINT;
    const model = stringFlag(args, 'model') ?? process.env.DREHR_LLM_MODEL;
    if (!endpoint) throw new UsageError('--generator llm needs --endpoint URL (or DREHR_LLM_ENDPOINT), e.g. http://localhost:8000/v1');
    if (!model) throw new UsageError('--generator llm needs --model NAME (or DREHR_LLM_MODEL)');
    params.llm = {
      endpoint, model, apiKey: process.env.DREHR_LLM_API_KEY || undefined,
      concurrency: intFlag(args, 'concurrency', 1, 256) ?? LLM_DEFAULTS.concurrency,
      timeoutSeconds: intFlag(args, 'timeout', 1, 3600) ?? LLM_DEFAULTS.timeoutSeconds,
      allowRemote: args.flags.has('allow-remote'),
    };
  } else if (['endpoint', 'model', 'concurrency', 'timeout', 'allow-remote'].some((f) => args.flags.has(f))) {
    throw new UsageError('--endpoint, --model, --concurrency, --timeout and --allow-remote are for --generator llm');
  }
  const config = engineConfigFrom(folder, engineArgs(args));
  const engine = await Engine.open(config, stderrLogger);
  const progress = makeProgressReporter();
  try {
    const r = await withSigint((signal) => synthGenerate(engine, params, (p) => progress.update(p as Parameters<typeof progress.update>[0]), signal));
    progress.end();
    if (args.flags.has('json')) process.stdout.write(JSON.stringify(r) + '\n');
    else printGenerate(r, out);
    if (r.cancelled) return EXIT.cancelled;
    return r.failed > 0 || r.stopped ? EXIT.error : EXIT.ok;
  } finally {
    progress.end();
    await engine.close();
  }
}

function printGenerate(r: SynthGenerateResult, out: string): void {
  const w = (s: string): boolean => process.stdout.write(s + '\n');
  w(`${r.cancelled ? 'Cancelled' : r.stopped ? 'Stopped' : 'Done'}: ${r.pairs} pairs written to ${out} (${r.explicit} explicit, ${r.implicit} implicit) from ${r.calls} calls over ${r.chunks} chunks in ${(r.durationMs / 1000).toFixed(1)} s.`);
  if (r.skipped) w(`Resumed: ${r.skipped} calls were already answered by an earlier run.`);
  if (r.duplicates) w(`${r.duplicates} pairs were already in the file and not written again.`);
  if (r.promptTokens || r.completionTokens) w(`Tokens: ${r.promptTokens} prompt, ${r.completionTokens} completion.`);
  if (r.failed) w(`${r.failed} calls failed; run the same command again to retry them.`);
  if (r.stopped) w(`Stopped early: ${r.stopped}.`);
  for (const m of r.messages) w(`  ${m}`);
  w(`Graph: ${r.graphPath}`);
  w('Review the pairs in VS Code: open the file and run "DR.EHR: Review Synthetic Pairs".');
}

async function scoreCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, ['out', 'graph', 'model-dir', 'index'], ['json', 'beside']);
  const [pairs, folder] = args.positionals;
  const beside = args.flags.has('beside');
  if (!pairs || !folder) throw new UsageError('drehr synth score PAIRS.jsonl <folder> --out SCORED.jsonl');
  if (!beside && !stringFlag(args, 'out')) throw new UsageError('--out SCORED.jsonl (the pairs with their scores) or --beside (PAIRS.jsonl.suspicion.jsonl, as the editor writes it) is needed');
  if (beside && args.flags.has('out')) throw new UsageError('--out and --beside exclude each other');
  const out = stringFlag(args, 'out') ?? pairs + SUSPICION_SUFFIX;
  const config = engineConfigFrom(folder, engineArgs(args));
  const engine = await Engine.open(config, stderrLogger);
  const progress = makeProgressReporter();
  try {
    const graph = stringFlag(args, 'graph');
    const r = await withSigint((signal) =>
      synthScoreFile(engine, { workId: 'cli', pairsPath: path.resolve(pairs), outPath: path.resolve(out), graphPath: graph ? path.resolve(graph) : undefined }, beside ? 'suspicion' : 'pairs', (p) => progress.update(p as Parameters<typeof progress.update>[0]), signal),
    );
    progress.end();
    if (args.flags.has('json')) process.stdout.write(JSON.stringify(r) + '\n');
    else {
      process.stdout.write(`Scored ${r.scored} of ${r.pairs} pairs with model ${r.modelId} into ${out} in ${(r.durationMs / 1000).toFixed(1)} s.\n`);
      if (r.stale) process.stdout.write(`${r.stale} pairs have a chunk that is no longer in the index or changed (scored without similarity).\n`);
      if (r.brokenLines.length) process.stdout.write(`Broken lines skipped: ${r.brokenLines.slice(0, 20).join(', ')}${r.brokenLines.length > 20 ? ', …' : ''}.\n`);
    }
    return EXIT.ok;
  } finally {
    progress.end();
    await engine.close();
  }
}
