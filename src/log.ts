/**
 * The one log of the extension: a LogOutputChannel named "DR.EHR". Everything else takes a `LogSink`, so pure
 * modules (the sidecar client) log without importing vscode. Never pass note or query text to it.
 */
import type * as vscode from 'vscode';

export interface LogSink {
  trace(message: string): void;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string | Error): void;
}

export function createLog(window: typeof vscode.window): vscode.LogOutputChannel {
  return window.createOutputChannel('DR.EHR', { log: true });
}
