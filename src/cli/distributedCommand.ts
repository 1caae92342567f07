/**
 * `drehr index <folder> --distributed`: one rank of a torchrun launch (src/sidecar/indexer/distributed.ts,
 * docs/DISTRIBUTED.md). Reads RANK, WORLD_SIZE and LOCAL_RANK; on a machine with NVIDIA GPUs, the rank takes the
 * LOCAL_RANK-th visible GPU (CUDA_VISIBLE_DEVICES set before the model loads, so onnxruntime and the torch engine's
 * Python child both see that one device as cuda:0).
 */
import * as fs from 'node:fs';
import { noNvidiaReason } from '../shared/gpu';
import { Encoder } from '../sidecar/encoder/encoder';
import { metaDirOf } from '../sidecar/engine';
import { runDistributedIndex, type DistributedResult } from '../sidecar/indexer/distributed';
import { distEnvFrom, rankCudaVisible, type DistEnv } from '../sidecar/indexer/shard';
import { stderrLogger } from '../sidecar/log';
import type { Logger } from '../sidecar/log';
import type { ProgressUpdate } from '../sidecar/indexer/indexer';
import { intFlag, UsageError, type ParsedArgs } from './args';
import { EXIT } from './exitCodes';
import { engineConfigFrom } from './options';
import { makeProgressReporter, type ProgressReporter, type ProgressStyle } from './progress';

/** GPUs the NVIDIA driver lists (/proc/driver/nvidia/gpus), or undefined where it cannot tell. */
function nvidiaDeviceCount(): number | undefined {
  try {
    return fs.readdirSync('/proc/driver/nvidia/gpus').length || undefined;
  } catch {
    return undefined;
  }
}

/** Progress of one rank: JSON lines carry `"rank"`, other lines start with `[rank r]` (never bars: ranks share a terminal). */
export function rankProgress(rank: number, style: ProgressStyle, stream: NodeJS.WritableStream = process.stderr): ProgressReporter {
  if (style === 'json') {
    return { update: (p: ProgressUpdate) => void stream.write(`${JSON.stringify({ rank, phase: p.phase, done: p.done, total: p.total })}\n`), end: () => undefined };
  }
  const prefixed = { isTTY: false, write: (s: string) => stream.write(s.replace(/^(?=.)/gm, `[rank ${rank}] `)) };
  return makeProgressReporter(prefixed, Date.now, 'auto');
}

function rankLogger(rank: number): Logger {
  const tag = (m: string): string => `[rank ${rank}] ${m}`;
  return { info: (m) => stderrLogger.info(tag(m)), warn: (m) => stderrLogger.warn(tag(m)), error: (m) => stderrLogger.error(tag(m)), debug: (m) => stderrLogger.debug(tag(m)) };
}

export async function distributedIndexCommand(args: ParsedArgs, progressStyle: ProgressStyle, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const parsed = distEnvFrom(env);
  if ('error' in parsed) throw new UsageError(parsed.error);
  const dist: DistEnv = parsed;
  const config = engineConfigFrom(args.positionals[0], args);
  const log = rankLogger(dist.rank);
  const visible = rankCudaVisible(dist.localRank, config.device, env.CUDA_VISIBLE_DEVICES, noNvidiaReason(process.platform, fs.existsSync), nvidiaDeviceCount());
  if (visible !== undefined) {
    env.CUDA_VISIBLE_DEVICES = visible; // before the model loads: onnxruntime and the torch child see this one GPU
    log.info(`LOCAL_RANK ${dist.localRank}: CUDA_VISIBLE_DEVICES=${visible}.`);
  }
  const encoder = await Encoder.open(
    { modelDir: config.modelDir, device: config.device, precision: config.precision, threads: intFlag(args, 'threads', 1, 256), engine: config.engine, python: config.python },
    log,
  );
  const ac = new AbortController();
  const onSigint = (): void => {
    process.off('SIGINT', onSigint);
    ac.abort();
  };
  process.on('SIGINT', onSigint);
  const progress = rankProgress(dist.rank, progressStyle);
  try {
    const r = await runDistributedIndex(
      { dist, config, encoder, metaDir: metaDirOf(config), log, batchChunks: intFlag(args, 'batch-chunks', 1, 100000) ?? (encoder.torch?.hello.device === 'cuda' ? 4096 : undefined) },
      { rebuild: args.flags.has('rebuild') },
      progress.update,
      ac.signal,
    );
    progress.end();
    if (args.flags.has('json')) process.stdout.write(JSON.stringify(r) + '\n');
    else printRank(r, config.indexLocation);
    const problems = r.final ? r.final.problems : r.problems;
    return r.cancelled ? EXIT.cancelled : problems.some((p) => p.severity === 'error') ? EXIT.problems : EXIT.ok;
  } finally {
    progress.end();
    process.off('SIGINT', onSigint);
    await encoder.close();
    setTimeout(() => process.exit(), 2000).unref();
  }
}

function printRank(r: DistributedResult, location: string): void {
  process.stdout.write(
    `Rank ${r.rank} of ${r.world} ${r.cancelled ? 'cancelled' : 'done'}: ${r.filesScanned} files in its shard, ${r.filesIndexed} indexed, ${r.filesUnchanged} unchanged, ${r.filesRemoved} removed; ` +
      `${r.chunksAdded} chunks added, ${r.chunksRemoved} removed in ${(r.durationMs / 1000).toFixed(1)} s.\n`,
  );
  if (r.final) {
    process.stdout.write(`Index: ${r.final.files} files, ${r.final.chunks} chunks at ${location}; full-text index: ${r.final.ftsIndex ? 'yes' : 'no'}; ANN index: ${r.final.annIndex ? 'yes' : 'no'}\n`);
  }
  const problems = r.final ? r.final.problems : r.problems;
  for (const p of problems) process.stderr.write(`[rank ${r.rank}] ${p.severity}: ${p.path}${p.row !== undefined ? ` row ${p.row}` : ''}: ${p.message}\n`);
}
