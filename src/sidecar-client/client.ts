/**
 * The extension host's side of the sidecar protocol (src/shared/protocol.ts): spawns dist/sidecar.js, sends
 * Initialize, forwards notifications as events, restarts with back-off after a crash (a deliberate stop is
 * not a crash), and passes cancellation through. No vscode import: the host gives it a log sink and a
 * function that returns the current EngineConfig, and the unit tests drive it with a fake sidecar.
 */
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import * as rpc from 'vscode-jsonrpc/node';
import {
  Initialize,
  Log,
  Progress,
  Shutdown,
  StatusChanged,
  ValidateModel,
  type EngineConfig,
  type IndexStatus,
  type InitializeResult,
  type ProgressParams,
} from '../shared/protocol';
import type { LogSink } from '../log';
import { Backoff, DEFAULT_BACKOFF, type BackoffOptions } from './backoff';
import { Emitter, type Disposable } from './emitter';
import { CancelledError, SidecarDownError, explainError } from './errors';
import { killTree, spawnSidecar } from './process';
import { withTimeout } from '../shared/withTimeout';

export type SidecarState =
  | { kind: 'stopped' }
  | { kind: 'starting' }
  | { kind: 'running'; init: InitializeResult }
  /** The process runs but Initialize failed (e.g. a broken model folder); only ValidateModel is served. */
  | { kind: 'error'; message: string; error: unknown }
  /** Crashed; the next start is scheduled. */
  | { kind: 'restarting'; delayMs: number; attempt: number; reason: string }
  /** Cannot start at all (no sidecar bundle, spawn failed). */
  | { kind: 'failed'; message: string };

/** VS Code's CancellationToken satisfies this. */
export interface TokenLike {
  isCancellationRequested: boolean;
  onCancellationRequested(listener: (e: unknown) => unknown): Disposable;
}

export interface SidecarClientOptions {
  /** Absolute path of dist/sidecar.js. */
  script: string;
  /** The Node executable (process.execPath in the extension host). */
  execPath: string;
  engineConfig: () => EngineConfig | Promise<EngineConfig>;
  log: LogSink;
  backoff?: BackoffOptions;
  now?: () => number;
  env?: Record<string, string>;
}

export interface RequestOptions {
  /** On cancellation, wait for the sidecar's answer instead of rejecting at once. */
  waitForReply?: boolean;
}

interface Proc {
  child: ChildProcessWithoutNullStreams;
  conn: rpc.MessageConnection;
  deliberate: boolean;
  gone: boolean;
  exited: Promise<void>;
}

/** Methods the sidecar answers even when its Initialize failed. */
const ALWAYS_SERVED = new Set<string>([ValidateModel.method, Shutdown.method]);

export class SidecarClient implements Disposable {
  private proc: Proc | undefined;
  /** A start or a reload under way: requests wait for it. */
  private starting: Promise<void> | undefined;
  /** A reload asked for while another start or reload ran: one more Initialize once it ends, shared by all asks. */
  private reloadQueued: Promise<void> | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private disposed = false;
  private readonly backoff: Backoff;
  private readonly now: () => number;
  private _state: SidecarState = { kind: 'stopped' };
  private _status: IndexStatus | undefined;
  private _applied: EngineConfig | undefined;

  private readonly stateEmitter = new Emitter<SidecarState>();
  private readonly statusEmitter = new Emitter<IndexStatus>();
  private readonly progressEmitter = new Emitter<ProgressParams>();
  readonly onState = this.stateEmitter.event;
  readonly onStatus = this.statusEmitter.event;
  readonly onProgress = this.progressEmitter.event;

  constructor(private readonly o: SidecarClientOptions) {
    this.backoff = new Backoff(o.backoff ?? DEFAULT_BACKOFF);
    this.now = o.now ?? Date.now;
  }

  get state(): SidecarState {
    return this._state;
  }
  /** The last index status heard from the sidecar. */
  get status(): IndexStatus | undefined {
    return this._status;
  }
  get pid(): number | undefined {
    return this.proc?.child.pid;
  }
  /** The settings of the last Initialize sent (what the sidecar runs with, or is loading). */
  get appliedConfig(): EngineConfig | undefined {
    return this._applied;
  }

  /** Records an index status (from a request's result) and tells the listeners. */
  setStatus(s: IndexStatus): void {
    this._status = s;
    this.statusEmitter.fire(s);
  }

  private setState(s: SidecarState): void {
    this._state = s;
    this.stateEmitter.fire(s);
  }

  /** Starts the sidecar unless it runs or is starting; resolves when it is running or has failed. */
  start(): Promise<void> {
    if (this.disposed) return Promise.resolve();
    if (this.starting) return this.starting;
    if (this.proc) return Promise.resolve();
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.starting = this.doStart().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async doStart(): Promise<void> {
    if (!existsSync(this.o.script)) {
      this.setState({ kind: 'failed', message: `the sidecar bundle ${this.o.script} is missing (build it with "node esbuild.mjs").` });
      return;
    }
    this.setState({ kind: 'starting' });
    let child: ChildProcessWithoutNullStreams;
    try {
      child = spawnSidecar(this.o.execPath, this.o.script, this.o.env);
    } catch (e) {
      this.setState({ kind: 'failed', message: `the sidecar could not be started: ${(e as Error).message}` });
      return;
    }
    let resolveExit!: () => void;
    const exited = new Promise<void>((r) => (resolveExit = r));
    const conn = rpc.createMessageConnection(new rpc.StreamMessageReader(child.stdout), new rpc.StreamMessageWriter(child.stdin));
    const proc: Proc = { child, conn, deliberate: false, gone: false, exited };
    this.proc = proc;
    child.stdin.on('error', () => undefined); // EPIPE after a crash; the exit handler reports it
    child.on('error', (e) => {
      this.o.log.error(`Sidecar process error: ${e.message}`);
      this.onExit(proc, null, null);
      resolveExit();
    });
    child.on('exit', (code, signal) => {
      this.onExit(proc, code, signal);
      resolveExit();
    });
    createInterface({ input: child.stderr }).on('line', (line) => {
      if (line.trim()) this.o.log.info(`[sidecar] ${line}`);
    });
    conn.onNotification(Progress, (p) => this.progressEmitter.fire(p));
    conn.onNotification(Log, (p) => this.logLine(p.level, p.message));
    conn.onNotification(StatusChanged, (s) => this.setStatus(s));
    conn.onError(() => undefined);
    conn.listen();
    this.backoff.started(this.now());
    this.o.log.info(`Sidecar started (pid ${child.pid ?? '?'}).`);
    await this.initialize(proc);
  }

  private async initialize(proc: Proc): Promise<void> {
    try {
      const config = await this.o.engineConfig();
      this._applied = config;
      const init = await proc.conn.sendRequest(Initialize, config);
      if (proc !== this.proc || proc.gone) return;
      this.o.log.info(
        `Sidecar ${init.sidecarVersion} ready: model ${init.model.id} on ${init.model.engine ?? 'onnx'} · ${init.model.device}${init.model.dtype ? ` · ${init.model.dtype}` : ''}, index ${init.index.state} (${init.index.chunks} chunks).`,
      );
      this.setStatus(init.index);
      this.setState({ kind: 'running', init });
    } catch (e) {
      if (proc !== this.proc || proc.gone) return; // the exit handler reports it
      const explained = explainError(e, 'start the sidecar');
      this.o.log.error(explained.message);
      this.setState({ kind: 'error', message: explained.message, error: e });
    }
  }

  private logLine(level: string, message: string): void {
    const text = `[sidecar] ${message}`;
    switch (level) {
      case 'trace':
        return this.o.log.trace(text);
      case 'debug':
        return this.o.log.debug(text);
      case 'warn':
        return this.o.log.warn(text);
      case 'error':
        return this.o.log.error(text);
      default:
        return this.o.log.info(text);
    }
  }

  private onExit(proc: Proc, code: number | null, signal: NodeJS.Signals | null): void {
    if (proc.gone) return;
    proc.gone = true;
    proc.conn.dispose();
    if (this.proc !== proc) return;
    this.proc = undefined;
    if (proc.deliberate || this.disposed) {
      this.o.log.info('Sidecar stopped.');
      this.setState({ kind: 'stopped' });
      return;
    }
    const reason = signal ? `killed by ${signal}` : `exit code ${code ?? '?'}`;
    const delayMs = this.backoff.nextDelay(this.now());
    this.o.log.error(`The sidecar stopped unexpectedly (${reason}); restarting in ${Math.round(delayMs / 1000)} s.`);
    this.setState({ kind: 'restarting', delayMs, attempt: this.backoff.attempts, reason });
    this.restartTimer = setTimeout(() => void this.start(), delayMs);
  }

  /** Stops the sidecar deliberately (no restart): Shutdown, then SIGTERM, then SIGKILL. */
  async stop(): Promise<void> {
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    if (this.starting) await this.starting.catch(() => undefined);
    const proc = this.proc;
    if (!proc) {
      if (this._state.kind === 'restarting') this.setState({ kind: 'stopped' });
      return;
    }
    proc.deliberate = true;
    await withTimeout(proc.conn.sendRequest(Shutdown), 2000, "the sidecar's shutdown").catch(() => undefined);
    if (await withTimeout(proc.exited, 2000, "the sidecar's exit").then(() => true, () => false)) return;
    killTree(proc.child.pid, 'SIGTERM');
    if (await withTimeout(proc.exited, 3000, "the sidecar's exit").then(() => true, () => false)) return;
    killTree(proc.child.pid, 'SIGKILL');
    await withTimeout(proc.exited, 3000, "the sidecar's exit").catch(() => undefined);
  }

  /** A deliberate restart: stop, forget past crashes, start. */
  async restart(): Promise<void> {
    await this.stop();
    this.backoff.reset();
    await this.start();
  }

  /**
   * Sends Initialize again with the current settings (the process stays), or starts it when it is down. Requests
   * made meanwhile wait for it. Reloads asked for while one runs merge into one more, which reads the settings
   * when it starts (the running one may have read older ones).
   */
  reinitialize(): Promise<void> {
    if (this.disposed) return Promise.resolve();
    if (this.starting) {
      this.reloadQueued ??= this.starting
        .catch(() => undefined)
        .then(() => {
          this.reloadQueued = undefined;
          return this.reinitialize();
        });
      return this.reloadQueued;
    }
    const proc = this.proc;
    if (!proc) return this.start();
    this.setState({ kind: 'starting' });
    this.starting = this.initialize(proc).finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async connection(method: string): Promise<rpc.MessageConnection> {
    if (this.starting) await this.starting;
    const s = this._state;
    const proc = this.proc;
    if (s.kind === 'running' && proc) return proc.conn;
    if (s.kind === 'error' && proc) {
      if (ALWAYS_SERVED.has(method)) return proc.conn;
      throw new SidecarDownError(`the sidecar could not load its model or index (${s.message})`, s.error);
    }
    switch (s.kind) {
      case 'restarting':
        throw new SidecarDownError(
          `the sidecar stopped unexpectedly (${s.reason}) and restarts in ${Math.ceil(s.delayMs / 1000)} s (attempt ${s.attempt}).`,
        );
      case 'failed':
        throw new SidecarDownError(s.message);
      default:
        throw new SidecarDownError('the sidecar is not running.');
    }
  }

  /**
   * Sends a request; `token` cancels it in the sidecar too. By default a cancellation rejects at once with
   * CancelledError; with `waitForReply` the caller gets the sidecar's own answer (an index run's partial result).
   */
  async request<P, R>(type: rpc.RequestType<P, R, void>, params: P, token?: TokenLike, o: RequestOptions = {}): Promise<R> {
    const conn = await this.connection(type.method);
    return this.withToken((t) => conn.sendRequest(type, params as rpc.RequestParam<P>, t), token, o);
  }

  async request0<R>(type: rpc.RequestType0<R, void>, token?: TokenLike): Promise<R> {
    const conn = await this.connection(type.method);
    return this.withToken((t) => conn.sendRequest(type, t), token, {});
  }

  private async withToken<R>(send: (t: rpc.CancellationToken) => Promise<R>, token: TokenLike | undefined, o: RequestOptions): Promise<R> {
    if (token?.isCancellationRequested) throw new CancelledError();
    const source = new rpc.CancellationTokenSource();
    let sub: Disposable | undefined;
    const cancelled = new Promise<never>((_, reject) => {
      sub = token?.onCancellationRequested(() => {
        source.cancel();
        if (!o.waitForReply) reject(new CancelledError());
      });
    });
    cancelled.catch(() => undefined);
    try {
      return await Promise.race([send(source.token), cancelled]);
    } finally {
      sub?.dispose();
      source.dispose();
    }
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.restartTimer);
    const proc = this.proc;
    if (proc && !proc.gone) {
      proc.deliberate = true;
      killTree(proc.child.pid, 'SIGTERM');
      const pid = proc.child.pid;
      setTimeout(() => {
        if (!proc.gone) killTree(pid, 'SIGKILL');
      }, 2000).unref();
    }
    this.stateEmitter.dispose();
    this.statusEmitter.dispose();
    this.progressEmitter.dispose();
  }
}

