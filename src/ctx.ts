/**
 * The one context object every feature gets in its `register(ctx)`: settings, the log, the sidecar client, the
 * state shown by the status bar, and the disposal scope `extensionScope` (the extension's life).
 */
import * as vscode from 'vscode';
import * as path from 'node:path';
import { engineConfig, readConfig, type DrehrConfig, type EngineChange, type Places } from './config';
import type { EngineConfig, Problem } from './shared/protocol';
import { SidecarClient } from './sidecar-client/client';
import { findInterpreter } from './training/pythonEnv';
import type { IndexingProgress } from './views/statusText';

export class Ctx {
  readonly client: SidecarClient;
  readonly extensionScope: vscode.Disposable[];
  /** How long activate() took (ms), for the activation benchmark. */
  activationMs = 0;
  /** Problems of the last index run (paths, rows and messages; never note text). */
  lastProblems: Problem[] = [];
  private _indexing: IndexingProgress | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when the sidecar state, the index status or the progress of an index run changes. */
  readonly onDidChange = this.changed.event;
  /** Fires each time the Search Notes quick pick shows a result or an error (tests wait on it). */
  readonly searchPickResults = new vscode.EventEmitter<{ hits: number; error?: string }>();
  private readonly warned = new Set<string>();
  private _pendingSettings: EngineChange | undefined;
  /** A command changing engine settings on purpose (Select Model) and applying them itself; the prompt waits for it. */
  applyingSettings: Promise<unknown> | undefined;
  private indexChain: Promise<unknown> = Promise.resolve();

  constructor(
    readonly extension: vscode.ExtensionContext,
    readonly log: vscode.LogOutputChannel,
  ) {
    this.extensionScope = extension.subscriptions;
    this.client = new SidecarClient({
      script: path.join(extension.extensionPath, 'dist', 'sidecar.js'),
      execPath: process.execPath,
      engineConfig: () => this.engineConfigWithPython(),
      log,
    });
    this.extensionScope.push(
      this.client,
      this.changed,
      this.searchPickResults,
      this.client.onState(() => this.changed.fire()),
      this.client.onStatus(() => this.changed.fire()),
    );
  }

  /** The engine config; a torch or auto engine gets the interpreter the training commands use. */
  private async engineConfigWithPython(): Promise<EngineConfig> {
    const cfg = engineConfig(this.config, this.places());
    if (cfg.engine === 'torch' || (cfg.engine === 'auto' && cfg.device !== 'cpu')) cfg.python = (await findInterpreter(cfg.workspaceRoot)).command;
    return cfg;
  }

  /** The settings, read fresh and sanitized; each bad value is logged once. */
  get config(): DrehrConfig {
    const { config, warnings } = readConfig(vscode.workspace.getConfiguration('drehr'));
    for (const w of warnings) {
      if (!this.warned.has(w)) {
        this.warned.add(w);
        this.log.warn(w);
      }
    }
    return config;
  }

  /** The folder whose notes are indexed: the first workspace folder on disk. */
  get workspaceRoot(): string | undefined {
    return vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file')?.uri.fsPath;
  }

  places(): Places {
    return { workspaceRoot: this.workspaceRoot ?? this.extension.extensionPath, extensionPath: this.extension.extensionPath };
  }

  get indexing(): IndexingProgress | undefined {
    return this._indexing;
  }

  setIndexing(p: IndexingProgress | undefined): void {
    this._indexing = p;
    this.changed.fire();
  }

  /** Settings the sidecar does not use yet (the user was asked to restart or reload it). */
  get pendingSettings(): EngineChange | undefined {
    return this._pendingSettings;
  }

  setPendingSettings(c: EngineChange | undefined): void {
    this._pendingSettings = c;
    this.changed.fire();
  }

  /** Runs index jobs one at a time (the watcher's scoped runs queue behind a full run and vice versa). */
  serializeIndex<T>(job: () => Promise<T>): Promise<T> {
    const run = this.indexChain.then(job, job);
    this.indexChain = run.catch(() => undefined);
    return run;
  }
}
