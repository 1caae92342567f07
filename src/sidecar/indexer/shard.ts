/**
 * Distributed indexing, the pure part: which rank indexes a file, what torchrun's environment says, which GPU a rank
 * (or a worker) takes, and how a rank's manifest is cut from, and folded back into, the index manifest.
 * distributed.ts does the files and the waiting.
 */
import { createHash } from 'node:crypto';
import type { Manifest } from './manifest';

/**
 * The rank that indexes `rel` among `world` ranks: the first 32 bits of SHA-256 of the workspace-relative path
 * (UTF-8, forward slashes) mod world. The same on every machine and every run, so a rerun gives the same shards.
 */
export function shardOf(rel: string, world: number): number {
  if (!Number.isInteger(world) || world < 1) throw new RangeError(`world size must be a positive integer, not ${world}`);
  return createHash('sha256').update(rel, 'utf8').digest().readUInt32BE(0) % world;
}

/** What torchrun tells a worker (RANK, WORLD_SIZE, LOCAL_RANK; LOCAL_WORLD_SIZE when it is set). */
export interface DistEnv {
  rank: number;
  world: number;
  localRank: number;
  localWorld?: number;
}

export const DIST_ENV_VARS = ['RANK', 'WORLD_SIZE', 'LOCAL_RANK'] as const;

/** The torchrun environment, or why it is unusable (a message naming the variables and how to launch). Pure. */
export function distEnvFrom(env: Readonly<Record<string, string | undefined>>): DistEnv | { error: string } {
  const missing = DIST_ENV_VARS.filter((k) => env[k] === undefined || env[k]?.trim() === '');
  const launch = 'Start it with torchrun, which sets them: torchrun --nproc_per_node N --no_python drehr index <folder> --distributed (docs/DISTRIBUTED.md).';
  if (missing.length) {
    const which = missing.length === DIST_ENV_VARS.length ? 'none of them is set' : `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set`;
    return { error: `--distributed needs the environment variables ${DIST_ENV_VARS.join(', ')}; ${which}. ${launch}` };
  }
  const num = (k: string): number => (/^\d+$/.test(env[k]?.trim() ?? '') ? Number(env[k]) : NaN);
  const rank = num('RANK');
  const world = num('WORLD_SIZE');
  const localRank = num('LOCAL_RANK');
  if (!Number.isInteger(world) || world < 1) return { error: `WORLD_SIZE must be a positive integer (it is "${env.WORLD_SIZE}"). ${launch}` };
  if (!Number.isInteger(rank) || rank >= world) return { error: `RANK must be an integer from 0 to WORLD_SIZE - 1 = ${world - 1} (it is "${env.RANK}"). ${launch}` };
  if (!Number.isInteger(localRank)) return { error: `LOCAL_RANK must be a non-negative integer (it is "${env.LOCAL_RANK}"). ${launch}` };
  const localWorld = num('LOCAL_WORLD_SIZE');
  return { rank, world, localRank, ...(Number.isInteger(localWorld) && localWorld > 0 ? { localWorld } : {}) };
}

/**
 * CUDA_VISIBLE_DEVICES for the process that should use the `index`-th GPU this process sees: the index-th entry of
 * the parent's own CUDA_VISIBLE_DEVICES (ids or UUIDs) when it is set, else the index itself; with a known device
 * count, indices past it wrap around (two ranks then share a GPU rather than find none). Pure.
 */
export function cudaVisibleFor(index: number, parentVisible: string | undefined, deviceCount?: number): string {
  const listed = parentVisible?.trim() ? parentVisible.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
  const count = listed?.length ?? deviceCount;
  const i = count && count > 0 ? index % count : index;
  return listed ? listed[i] : String(i);
}

/**
 * CUDA_VISIBLE_DEVICES for a rank: its LOCAL_RANK-th visible GPU (cudaVisibleFor), or undefined (left as it is) when
 * the device setting is cpu or this machine has no NVIDIA driver (`noNvidia`: why). Pure.
 */
export function rankCudaVisible(localRank: number, device: string, parentVisible: string | undefined, noNvidia: string | undefined, deviceCount?: number): string | undefined {
  if (device === 'cpu' || noNvidia) return undefined;
  return cudaVisibleFor(localRank, parentVisible, deviceCount);
}

/**
 * Per-path records of a manifest besides `files`: `partial` (how far a streamed export got, when the manifest format
 * has it) is cut and folded by shard like the files. Read and written untyped, whatever its record type.
 */
function partialOf(m: Manifest): Record<string, unknown> | undefined {
  return (m as unknown as { partial?: Record<string, unknown> }).partial;
}

function withPartial(m: Manifest, partial: Record<string, unknown> | undefined): Manifest {
  const out = { ...m } as unknown as Record<string, unknown>;
  if (partial && Object.keys(partial).length) out.partial = partial;
  else delete out.partial;
  return out as unknown as Manifest;
}

function pick<T>(m: Record<string, T> | undefined, keep: (rel: string) => boolean): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [rel, v] of Object.entries(m ?? {})) if (keep(rel)) out[rel] = v;
  return out;
}

/** The part of the index manifest that one rank of `world` starts from: its files, pending and partial files. Pure. */
export function rankManifest(main: Manifest, rank: number, world: number): Manifest {
  const mine = (rel: string): boolean => shardOf(rel, world) === rank;
  return withPartial({ ...main, files: pick(main.files, mine), pending: main.pending.filter(mine) }, pick(partialOf(main), mine));
}

/**
 * The index manifest with one rank's manifest folded back in: that rank's files replace the main manifest's files
 * of its shard (added, changed and removed ones alike), and likewise its pending files. Folding the same rank
 * manifest twice gives the same result. Pure.
 */
export function foldRankManifest(main: Manifest, part: Manifest, rank: number, world: number): Manifest {
  const mine = (rel: string): boolean => shardOf(rel, world) === rank;
  const files: Manifest['files'] = {};
  for (const [rel, e] of Object.entries(main.files)) if (!mine(rel)) files[rel] = e;
  for (const [rel, e] of Object.entries(part.files)) files[rel] = e;
  const pending = [...new Set([...main.pending.filter((p) => !mine(p)), ...part.pending])];
  const writtenBy = [...new Set([...(main.writtenBy ?? []), ...(part.writtenBy ?? [])])].sort();
  const partial = { ...pick(partialOf(main), (rel) => !mine(rel)), ...partialOf(part) };
  return withPartial({ ...main, files, pending, ...(writtenBy.length ? { writtenBy } : {}) }, partial);
}

/** `shard-<rank>-of-<world>`: the folder of a rank's manifest. */
export function shardFolderName(rank: number, world: number): string {
  return `shard-${rank}-of-${world}`;
}

export function parseShardFolderName(name: string): { rank: number; world: number } | undefined {
  const m = /^shard-(\d+)-of-(\d+)$/.exec(name);
  if (!m) return undefined;
  const rank = Number(m[1]);
  const world = Number(m[2]);
  return world >= 1 && rank < world ? { rank, world } : undefined;
}
