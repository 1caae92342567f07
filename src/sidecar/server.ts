/**
 * The JSON-RPC side of the sidecar: every request of src/shared/protocol.ts mapped onto the Engine.
 * Cancellation tokens become AbortSignals; a new Search aborts the searches still in flight; EngineErrors
 * become ResponseErrors with their code and typed data.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CancellationToken, ErrorCodes as RpcErrorCodes, ResponseError, type MessageConnection } from 'vscode-jsonrpc/node';
import {
  ErrorCodes,
  GetChunks,
  GetNote,
  GetStatus,
  IndexWorkspace,
  Initialize,
  ListPatients,
  Log,
  Progress,
  Search,
  SearchPatients,
  SimilarPassages,
  Shutdown,
  StatusChanged,
  SynthGenerate,
  SynthScore,
  ValidateModel,
  type EngineConfig,
  type PatientSearchParams,
  type SearchParams,
  type LogParams,
} from '../shared/protocol';
import { Engine } from './engine';
import { MANIFEST_FILE } from './indexer/manifest';
import { CancelledError, EngineError, errorMessage } from './errors';
import type { Logger } from './log';
import { synthGenerate } from './synth/service';
import { synthScoreFile } from './synth/scoreService';

export const SIDECAR_VERSION = '0.1.0';
/** JSON-RPC's (LSP's) code for a request the client cancelled. */
const REQUEST_CANCELLED = -32800;

export function rpcLogger(conn: MessageConnection): Logger {
  const send = (level: LogParams['level'], message: string): void => void conn.sendNotification(Log, { level, message }).catch(() => undefined);
  return { info: (m) => send('info', m), warn: (m) => send('warn', m), error: (m) => send('error', m), debug: (m) => send('debug', m) };
}

function signalOf(token: CancellationToken): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  if (token.isCancellationRequested) ac.abort();
  const sub = token.onCancellationRequested(() => ac.abort());
  return { signal: ac.signal, dispose: () => sub.dispose() };
}

function toResponseError(e: unknown): ResponseError<unknown> {
  if (e instanceof ResponseError) return e;
  if (e instanceof CancelledError) return new ResponseError(REQUEST_CANCELLED, 'Cancelled');
  if (e instanceof EngineError) return new ResponseError(e.code, e.message, e.data);
  return new ResponseError(RpcErrorCodes.InternalError, `Internal sidecar error: ${errorMessage(e)}`);
}

export function serve(conn: MessageConnection, onShutdown: () => void): void {
  const log = rpcLogger(conn);
  let engine: Engine | undefined;
  let opening: Promise<Engine> | undefined;
  const searches = new Set<AbortController>();

  // Another process (a second window, the CLI) may write the index: its manifest changes, and the host hears it.
  let lastManifest = -1;
  let ownRuns = 0;
  const manifestTime = (e: Engine): number => {
    try {
      return fs.statSync(path.join(e.metaDir, MANIFEST_FILE)).mtimeMs;
    } catch {
      return 0;
    }
  };
  const watcher = setInterval(() => {
    const e = engine;
    if (!e || ownRuns > 0) return;
    const t = manifestTime(e);
    if (t === lastManifest) return;
    lastManifest = t;
    void e
      .status()
      .then((s) => conn.sendNotification(StatusChanged, s))
      .catch(() => undefined);
  }, 2000);
  watcher.unref();

  const need = async (): Promise<Engine> => {
    if (opening) return opening;
    throw new ResponseError(ErrorCodes.BadRequest, 'The sidecar is not initialized: send drehr/initialize first.');
  };
  const handle =
    <P, R>(fn: (p: P, signal: AbortSignal) => Promise<R>) =>
    async (p: P, token: CancellationToken): Promise<R> => {
      const { signal, dispose } = signalOf(token);
      try {
        return await fn(p, signal);
      } catch (e) {
        if (signal.aborted && !(e instanceof EngineError)) throw toResponseError(new CancelledError());
        throw toResponseError(e);
      } finally {
        dispose();
      }
    };

  // Initialize requests run one after another: each waits for the previous open to settle and closes its engine
  // (so two at once leak none), and only the newest one decides `opening` (an older failure never clears it).
  conn.onRequest(
    Initialize,
    handle(async (config: EngineConfig) => {
      const previous = opening;
      engine = undefined;
      const mine: Promise<Engine> = (async () => {
        const old = await previous?.catch(() => undefined);
        if (old) await old.close();
        return Engine.open(config, log);
      })();
      opening = mine;
      mine.catch(() => {
        if (opening === mine) opening = undefined;
      });
      const opened = await mine;
      // A newer Initialize came while this one opened: it closes this engine; answer with the newest.
      const current = opening === mine ? opened : await need();
      if (current === opened) {
        engine = opened;
        lastManifest = manifestTime(opened);
      }
      return { sidecarVersion: SIDECAR_VERSION, model: current.model, index: await current.status() };
    }),
  );

  conn.onRequest(
    IndexWorkspace,
    handle(async (params, signal) => {
      const e = await need();
      ownRuns++;
      try {
        const result = await e.index(
          params,
          (p) => void conn.sendNotification(Progress, { workId: params.workId, ...p }).catch(() => undefined),
          signal,
        );
        void conn.sendNotification(StatusChanged, result.status).catch(() => undefined);
        return result;
      } finally {
        ownRuns--;
        lastManifest = manifestTime(e);
      }
    }),
  );

  /** A new search (of either kind: the panel sends one at a time) makes the older ones stale: abort them. */
  const newestWins =
    <P, R>(run: (e: Engine, p: P, signal: AbortSignal) => Promise<R>) =>
    async (params: P, signal: AbortSignal): Promise<R> => {
      const e = await need();
      for (const s of searches) s.abort();
      searches.clear();
      const mine = new AbortController();
      searches.add(mine);
      const onAbort = (): void => mine.abort();
      signal.addEventListener('abort', onAbort);
      try {
        const result = await run(e, params, mine.signal);
        if (mine.signal.aborted) throw new CancelledError();
        return result;
      } finally {
        signal.removeEventListener('abort', onAbort);
        searches.delete(mine);
      }
    };
  conn.onRequest(Search, handle(newestWins((e, p: SearchParams, sig) => e.search(p, sig))));
  conn.onRequest(SearchPatients, handle(newestWins((e, p: PatientSearchParams, sig) => e.searchPatients(p, sig))));

  conn.onRequest(SimilarPassages, handle(async (params, signal) => (await need()).similar(params, signal)));

  const handle0 =
    <R>(fn: () => Promise<R>) =>
    (token: CancellationToken): Promise<R> =>
      handle<undefined, R>(fn)(undefined, token);
  conn.onRequest(GetStatus, handle0(async () => (await need()).status()));
  conn.onRequest(ListPatients, handle0(async () => (await need()).listPatients()));
  conn.onRequest(GetNote, handle(async (p) => (await need()).getNote(p.noteId)));
  conn.onRequest(
    GetChunks,
    handle(async (p) => {
      const ids: unknown = p?.chunkIds;
      if (!Array.isArray(ids) || ids.length > 500 || !ids.every((x) => typeof x === 'string')) {
        throw new ResponseError(ErrorCodes.BadRequest, 'drehr/getChunks needs chunkIds: an array of at most 500 chunk ids.');
      }
      return (await need()).getChunks(ids as string[]);
    }),
  );
  // synthetic pairs (src/sidecar/synth): progress correlated by the caller's workId
  const progressTo = (workId: string) => (p: { phase: string; done: number; total: number; message?: string; unit?: 'bytes' }) =>
    void conn.sendNotification(Progress, { workId, ...p }).catch(() => undefined);
  conn.onRequest(SynthGenerate, handle(async (p, signal) => synthGenerate(await need(), p, progressTo(p.workId), signal)));
  conn.onRequest(SynthScore, handle(async (p, signal) => synthScoreFile(await need(), p, 'suspicion', progressTo(p.workId), signal)));
  conn.onRequest(ValidateModel, handle(async (p) => Engine.validateModel(p.modelDir, log)));
  conn.onRequest(
    Shutdown,
    handle0(async () => {
      const e = engine;
      engine = undefined;
      opening = undefined;
      clearInterval(watcher);
      await e?.close();
      // Exit once the response is on its way (stdout to a pipe is written synchronously on Linux and macOS).
      setTimeout(onShutdown, 20);
    }),
  );
}
