/**
 * `drehr index --distributed` under torchrun: every rank embeds its shard of the files (shard.ts) into the one
 * LanceDB table; rank 0 prepares the table first and builds the search indexes and the manifest last. The ranks
 * agree through small files in `<metaDir>/distributed/`, each written atomically (docs/DISTRIBUTED.md):
 *
 * 1. Locks: rank 0 holds the index's write lock (so no editor or other CLI writes meanwhile); rank r > 0 holds its
 *    own lock in `lock-rank-<r>/` (two launches of the same rank cannot both run).
 * 2. Start barrier: rank 0 folds what an earlier, interrupted run left (`shard-*` manifests) into manifest.json,
 *    resets the index when the model or chunking changed (as a single-process run would), creates the table, and
 *    writes `launch.json` {launch: fresh id}. Rank r answers with `ack-<r>.json` {launch, nonce: fresh per process};
 *    once every rank acked this launch, rank 0 writes `barrier.json` with their nonces. A rank starts writing only
 *    when barrier.json holds its own nonce, so files left by an earlier launch can never start it early.
 * 3. Each rank indexes its shard with its own manifest (`shard-<r>-of-<W>/manifest.json`, cut from manifest.json),
 *    through the ordinary runIndex: per-file resume by file_hash, delete-before-add, pending files.
 * 4. Each rank writes `done-<r>.json` {launch}; rank 0 waits for all of them (polling with a bounded back-off; a
 *    rank whose lock shows a dead process on this host fails the wait at once), folds every shard manifest into
 *    manifest.json, builds FTS/ANN and optimizes, then removes the shard manifests and markers.
 *
 * A rank that dies leaves its shard manifest (pending files included); running the same command again folds it in
 * and the rank resumes those files from their rows of the same file_hash: no duplicate or missing rows.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFileAtomicSync } from '../../shared/atomicWrite';
import { pidAlive } from '../../shared/pid';
import type { EngineConfig, Problem } from '../../shared/protocol';
import type { Encoder } from '../encoder/encoder';
import { CancelledError, throwIfAborted } from '../errors';
import type { Logger } from '../log';
import { Store } from '../store/store';
import { loadManifest, runIndex, type IndexRunResult, type ProgressUpdate } from './indexer';
import { acquireWriteLock, LOCK_FILE } from './lock';
import { readManifest, writeManifest, type Manifest } from './manifest';
import { foldRankManifest, parseShardFolderName, rankManifest, shardFolderName, shardOf, type DistEnv } from './shard';

export const DIST_DIR = 'distributed';
/** How long the ranks wait for each other at the start (model loading on every rank included). */
export const BARRIER_TIMEOUT_MS = 30 * 60_000;
const POLL_FIRST_MS = 25;
const POLL_MAX_MS = 1000;

export interface DistributedContext {
  dist: DistEnv;
  config: EngineConfig;
  encoder: Encoder;
  /** Local (shared) folder holding manifest.json, the lock and the `distributed/` folder. */
  metaDir: string;
  log: Logger;
  batchChunks?: number;
  annMinRows?: number;
  barrierTimeoutMs?: number;
}

export interface DistributedResult extends IndexRunResult {
  rank: number;
  world: number;
  /** Rank 0: the whole index once every rank finished (undefined on other ranks). */
  final?: { chunks: number; files: number; ftsIndex: boolean; annIndex: boolean; problems: Problem[] };
}

interface Launch {
  launch: string;
  world: number;
}
interface Ack {
  launch: string;
  rank: number;
  nonce: string;
}
interface Barrier {
  launch: string;
  world: number;
  nonces: Record<string, string>;
}
interface Done {
  launch: string;
  rank: number;
  cancelled: boolean;
  chunksAdded: number;
  chunksRemoved: number;
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined; // missing, or (never, atomic writes) half written
  }
}

function writeJson(file: string, v: unknown): void {
  writeFileAtomicSync(file, JSON.stringify(v));
}

/**
 * Polls `check` with a back-off from POLL_FIRST_MS doubling to POLL_MAX_MS until it returns a value; `timeoutMs`
 * ends it with the error `onTimeout` makes. Cancellable.
 */
export async function pollUntil<T>(check: () => T | undefined, opts: { timeoutMs?: number; onTimeout?: () => Error; signal?: AbortSignal; firstMs?: number; maxMs?: number }): Promise<T> {
  const started = Date.now();
  let wait = opts.firstMs ?? POLL_FIRST_MS;
  for (;;) {
    throwIfAborted(opts.signal);
    const v = check();
    if (v !== undefined) return v;
    if (opts.timeoutMs !== undefined && Date.now() - started > opts.timeoutMs) throw opts.onTimeout?.() ?? new Error('timed out');
    await new Promise((r) => setTimeout(r, wait));
    wait = Math.min(opts.maxMs ?? POLL_MAX_MS, wait * 2);
  }
}

/** A distributed run that cannot go on (a rank missing or dead, a folder not shared): exit 1 with what to do. */
export class DistributedError extends Error {
  override name = 'DistributedError';
}

function distError(message: string): DistributedError {
  return new DistributedError(message);
}

/**
 * Folds the rank manifests an interrupted distributed run left (`distributed/shard-*`) into manifest.json and removes
 * them. Rank 0 does it before a distributed run, and a plain index run (Engine.index) before it starts, under the
 * write lock, so whatever runs next starts from everything the interrupted ranks recorded. Returns how many.
 */
export function foldLeftoverShards(metaDir: string, log: Logger): number {
  const dir = path.join(metaDir, DIST_DIR);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return 0;
  }
  const shards = names.map((n) => ({ n, s: parseShardFolderName(n) })).filter((x) => x.s !== undefined);
  if (shards.length === 0) return 0;
  const read = readManifest(metaDir);
  if (read.state !== 'ok') {
    log.warn(`Found ${shards.length} rank manifests of an interrupted run but no readable manifest.json; their files are checked again.`);
  } else {
    let main = read.manifest;
    for (const { n, s } of shards) {
      const part = readManifest(path.join(dir, n));
      if (part.state === 'ok' && s) main = foldRankManifest(main, part.manifest, s.rank, s.world);
      else log.warn(`The rank manifest ${n} of an interrupted run cannot be read; its files are checked again.`);
    }
    writeManifest(metaDir, main);
    log.info(`Resuming an interrupted distributed run: folded ${shards.length} rank manifest(s) into manifest.json.`);
  }
  for (const { n } of shards) fs.rmSync(path.join(dir, n), { recursive: true, force: true });
  return shards.length;
}

export class Coordinator {
  readonly dir: string;
  constructor(
    readonly metaDir: string,
    readonly dist: DistEnv,
  ) {
    this.dir = path.join(metaDir, DIST_DIR);
  }
  file(name: string): string {
    return path.join(this.dir, name);
  }
  shardDir(rank: number, world = this.dist.world): string {
    return path.join(this.dir, shardFolderName(rank, world));
  }
  lockDir(rank: number): string {
    return path.join(this.dir, `lock-rank-${rank}`);
  }

  /**
   * Whether rank r's lock shows a process that is gone; its message, or undefined. Judged only for the ranks torchrun
   * starts on rank 0's own node (ranks 0 .. LOCAL_WORLD_SIZE - 1) and only when the lock names this host: containers
   * on other machines may share a host name, and their pids mean nothing here.
   */
  deadRank(rank: number): string | undefined {
    if (this.dist.localWorld === undefined || rank >= this.dist.localWorld) return undefined;
    const lock = readJson<{ pid: number; host: string }>(path.join(rank === 0 ? this.metaDir : this.lockDir(rank), LOCK_FILE));
    if (!lock) return `rank ${rank} holds no lock any more`;
    if (lock.host === os.hostname() && !pidAlive(lock.pid)) return `rank ${rank} (pid ${lock.pid}) is gone`;
    return undefined;
  }

  /** Rank 0: fold shard manifests an interrupted run left into manifest.json, then remove them. Returns how many. */
  foldLeftovers(log: Logger): number {
    return foldLeftoverShards(this.metaDir, log);
  }

  /** Rank 0, at the end: every rank's manifest folded into manifest.json (written atomically). */
  foldAll(): Manifest {
    const read = readManifest(this.metaDir);
    if (read.state !== 'ok') throw distError(`manifest.json in ${this.metaDir} vanished during the distributed run (${read.state}); run the same command again.`);
    let main = read.manifest;
    for (let r = 0; r < this.dist.world; r++) {
      const part = readManifest(this.shardDir(r));
      if (part.state !== 'ok') throw distError(`rank ${r}'s manifest (${this.shardDir(r)}) is ${part.state}; run the same command again.`);
      main = foldRankManifest(main, part.manifest, r, this.dist.world);
    }
    return main;
  }

  /** Rank 0, after manifest.json holds everything: the markers and shard manifests of this run go. */
  cleanup(): void {
    for (const n of fs.readdirSync(this.dir)) {
      if (parseShardFolderName(n) || /^(done|ack)-\d+\.json$/.test(n)) fs.rmSync(path.join(this.dir, n), { recursive: true, force: true });
    }
  }
}

/** Runs this rank's part of a distributed index run (see the file comment). */
export async function runDistributedIndex(
  ctx: DistributedContext,
  params: { rebuild?: boolean },
  onProgress: (p: ProgressUpdate) => void,
  signal?: AbortSignal,
): Promise<DistributedResult> {
  const { dist, config, encoder, metaDir, log } = ctx;
  const co = new Coordinator(metaDir, dist);
  fs.mkdirSync(co.dir, { recursive: true });
  const release = dist.rank === 0 ? acquireWriteLock(metaDir) : acquireWriteLock(co.lockDir(dist.rank));
  let store: Store | undefined;
  try {
    const timeoutMs = ctx.barrierTimeoutMs ?? BARRIER_TIMEOUT_MS;
    let launch: string;
    let reset = 0;
    if (dist.rank === 0) {
      store = await Store.open(config.indexLocation, log);
      co.foldLeftovers(log);
      const r = { chunksRemoved: 0 };
      const main = await loadManifest({ config, encoder, store, metaDir, log }, params.rebuild, r);
      reset = r.chunksRemoved;
      writeManifest(metaDir, main);
      await store.ensureTable(encoder.info.dim); // created once, here: ranks only ever append to it
      launch = randomUUID();
      writeJson(co.file('launch.json'), { launch, world: dist.world } satisfies Launch);
      onProgress({ phase: 'scan', done: 0, total: 0, message: 'Waiting for every rank to start' });
      const nonces = await pollUntil(
        () => {
          const got: Record<string, string> = {};
          for (let r = 1; r < dist.world; r++) {
            const a = readJson<Ack>(co.file(`ack-${r}.json`));
            if (!a || a.launch !== launch) return undefined;
            got[r] = a.nonce;
          }
          return got;
        },
        { timeoutMs, signal, onTimeout: () => distError(`Not every rank started within ${Math.round(timeoutMs / 1000)} s (WORLD_SIZE ${dist.world}); check that every node runs the same command on the same shared index folder ${metaDir}.`) },
      );
      writeJson(co.file('barrier.json'), { launch, world: dist.world, nonces } satisfies Barrier);
    } else {
      const nonce = randomUUID();
      let acked: string | undefined;
      let otherWorld: number | undefined;
      onProgress({ phase: 'scan', done: 0, total: 0, message: 'Waiting for rank 0' });
      const barrier = await pollUntil(
        () => {
          const l = readJson<Launch>(co.file('launch.json'));
          // A launch of another world size is an earlier run's (or a misconfigured rank 0's): not answered.
          otherWorld = l && l.world !== dist.world ? l.world : undefined;
          if (l && l.launch !== acked && otherWorld === undefined) {
            writeJson(co.file(`ack-${dist.rank}.json`), { launch: l.launch, rank: dist.rank, nonce } satisfies Ack);
            acked = l.launch;
          }
          const b = readJson<Barrier>(co.file('barrier.json'));
          return b && b.nonces[String(dist.rank)] === nonce ? b : undefined;
        },
        {
          timeoutMs,
          signal,
          onTimeout: () =>
            distError(
              `Rank 0 did not start the run within ${Math.round(timeoutMs / 1000)} s; check that it runs, with the same index folder ${metaDir} (shared storage)` +
                (otherWorld !== undefined ? `: its launch.json is for WORLD_SIZE ${otherWorld}, this rank has ${dist.world} (start every rank with the same torchrun settings).` : '.'),
            ),
        },
      );
      launch = barrier.launch;
      store = await Store.open(config.indexLocation, log);
    }

    // This rank's shard, with a manifest of its own cut from manifest.json.
    const main = readManifest(metaDir);
    if (main.state !== 'ok') throw distError(`manifest.json in ${metaDir} cannot be read (${main.state}) after rank 0 prepared it; is ${metaDir} the same shared folder on every node?`);
    const shardDir = co.shardDir(dist.rank);
    writeManifest(shardDir, rankManifest(main.manifest, dist.rank, dist.world));
    const result = await runIndex(
      { config, encoder, store, metaDir: shardDir, log, batchChunks: ctx.batchChunks, annMinRows: ctx.annMinRows, shard: { accepts: (rel) => shardOf(rel, dist.world) === dist.rank } },
      { workId: `rank-${dist.rank}` },
      onProgress,
      signal,
    );
    result.chunksRemoved += reset;
    writeJson(co.file(`done-${dist.rank}.json`), { launch, rank: dist.rank, cancelled: result.cancelled, chunksAdded: result.chunksAdded, chunksRemoved: result.chunksRemoved } satisfies Done);
    if (dist.rank !== 0) return { ...result, rank: dist.rank, world: dist.world };

    // Rank 0: wait for the others, then fold, index and clean up.
    const dones = await waitForRanks(co, launch, onProgress, signal);
    const cancelled = result.cancelled || dones.some((d) => d.cancelled);
    const manifest = co.foldAll();
    if (!cancelled) manifest.lastIndexedAt = new Date().toISOString();
    writeManifest(metaDir, manifest);
    const changed = dones.some((d) => d.chunksAdded > 0 || d.chunksRemoved > 0) || result.chunksAdded > 0 || result.chunksRemoved > 0;
    await store.reopen();
    const problems: Problem[] = [];
    if (!cancelled && (changed || !store.hasFtsIndex)) {
      onProgress({ phase: 'index', done: 0, total: 1, message: 'Updating search indexes' });
      const { built, stalled } = await store.refreshIndexes(encoder.info.dim, ctx.annMinRows, manifest.annRows);
      if (built !== undefined) {
        manifest.annRows = built;
        writeManifest(metaDir, manifest);
      }
      if (stalled) problems.push({ path: '.', severity: 'error', message: stalled });
      onProgress({ phase: 'index', done: 1, total: 1 });
    }
    co.cleanup();
    for (const f of Object.values(manifest.files)) problems.push(...f.problems);
    return {
      ...result,
      cancelled,
      rank: 0,
      world: dist.world,
      final: { chunks: await store.count(), files: Object.keys(manifest.files).length, ftsIndex: store.hasFtsIndex, annIndex: store.hasAnn, problems },
    };
  } catch (e) {
    if (e instanceof CancelledError) return { filesScanned: 0, filesIndexed: 0, filesUnchanged: 0, filesRemoved: 0, chunksAdded: 0, chunksRemoved: 0, problems: [], cancelled: true, durationMs: 0, rank: dist.rank, world: dist.world };
    throw e;
  } finally {
    store?.close();
    release();
  }
}

/** Rank 0: the done markers of this launch from every other rank; a rank that died on this host fails it at once. */
async function waitForRanks(co: Coordinator, launch: string, onProgress: (p: ProgressUpdate) => void, signal?: AbortSignal): Promise<Done[]> {
  const { world } = co.dist;
  const done = (r: number): Done | undefined => {
    const d = readJson<Done>(co.file(`done-${r}.json`));
    return d && d.launch === launch ? d : undefined;
  };
  let reported = -1;
  return pollUntil(
    () => {
      const got: Done[] = [];
      const waiting: number[] = [];
      for (let r = 1; r < world; r++) {
        let d = done(r);
        if (!d) {
          const dead = co.deadRank(r);
          d = done(r); // a rank writes its marker before it lets go of its lock: look again
          if (!d && dead) throw distError(`${dead} without finishing its shard. Run the same command again: finished files are kept and its pending files resume.`);
        }
        if (d) got.push(d);
        else waiting.push(r);
      }
      if (got.length !== reported) {
        reported = got.length;
        onProgress({ phase: 'index', done: got.length + 1, total: world, message: waiting.length ? `Waiting for rank${waiting.length > 1 ? 's' : ''} ${waiting.join(', ')}` : 'Every rank is done' });
      }
      return waiting.length ? undefined : got;
    },
    { signal },
  );
}
