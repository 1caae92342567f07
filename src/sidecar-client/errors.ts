/**
 * Turns anything a sidecar request can throw into a message for the user and the actions that help. Pure:
 * it duck-types vscode-jsonrpc's ResponseError ({code, message, data}) and ConnectionError.
 */
import { ErrorCodes } from '../shared/errorCodes';
import type { ModelErrorData } from '../shared/protocol';

/** Buttons a message can offer; commands.ts maps each to a command. */
export type ErrorAction =
  | 'Restart Sidecar'
  | 'Show Logs'
  | 'Select Model'
  | 'Index Workspace'
  | 'Rebuild Index'
  | 'Manage Workspace Trust';

export type ErrorKind =
  | 'down'
  | 'cancelled'
  | 'modelInvalid'
  | 'deviceUnavailable'
  | 'indexCorrupt'
  | 'indexLocked'
  | 'notIndexed'
  | 'badRequest'
  | 'other';

export interface Explained {
  kind: ErrorKind;
  message: string;
  actions: ErrorAction[];
}

/** Thrown by the client when no sidecar can answer (not started, restarting, failed to start). */
export class SidecarDownError extends Error {
  constructor(
    message: string,
    /** The sidecar's own error when its Initialize failed (a broken model folder): explained instead. */
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'SidecarDownError';
  }
}

/** Thrown when the caller's token was cancelled. */
export class CancelledError extends Error {
  constructor() {
    super('Cancelled');
    this.name = 'CancelledError';
  }
}

/** The sidecar's codes (src/shared/errorCodes.ts) and the vscode-jsonrpc codes this module tells apart. */
export const CODES = {
  ...ErrorCodes,
  RequestCancelled: -32800,
  PendingResponseRejected: -32097,
  ConnectionInactive: -32099,
} as const;

function isObj(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null;
}

function isModelErrorData(x: unknown): x is ModelErrorData {
  return isObj(x) && typeof x.modelDir === 'string' && typeof x.file === 'string' && typeof x.reason === 'string';
}

export function isCancellation(err: unknown): boolean {
  return err instanceof CancelledError || (isObj(err) && err.code === CODES.RequestCancelled);
}

export function explainError(err: unknown, doing: string): Explained {
  if (err instanceof SidecarDownError) {
    if (err.cause !== undefined) {
      const inner = explainError(err.cause, doing);
      if (inner.kind !== 'other') return inner;
    }
    return { kind: 'down', message: `Cannot ${doing}: ${err.message}`, actions: ['Restart Sidecar', 'Show Logs'] };
  }
  if (isCancellation(err)) return { kind: 'cancelled', message: `${cap(doing)} was cancelled.`, actions: [] };
  if (!isObj(err)) return { kind: 'other', message: `Cannot ${doing}: ${String(err)}`, actions: ['Show Logs'] };
  const message = typeof err.message === 'string' ? err.message : String(err);
  const data = err.data;
  // ConnectionError (closed, disposed) has a small numeric code and name 'ConnectionError'.
  if (err.name === 'ConnectionError' || err.code === CODES.PendingResponseRejected || err.code === CODES.ConnectionInactive) {
    return {
      kind: 'down',
      message: `Cannot ${doing}: the sidecar stopped while answering. It restarts by itself; try again in a moment.`,
      actions: ['Restart Sidecar', 'Show Logs'],
    };
  }
  switch (err.code) {
    case CODES.ModelInvalid: {
      const detail = isModelErrorData(data) ? `${data.file} in ${data.modelDir}: ${data.reason}` : message;
      return {
        kind: 'modelInvalid',
        message: `The model folder is not usable (${detail}). Select another model or fix the folder.`,
        actions: ['Select Model', 'Show Logs'],
      };
    }
    case CODES.DeviceUnavailable: {
      const reason = isObj(data) && typeof data.reason === 'string' ? data.reason : message;
      return {
        kind: 'deviceUnavailable',
        message: `CUDA cannot be used (${reason}). Set drehr.device to "auto" or "cpu", or install the CUDA provider libraries.`,
        actions: ['Show Logs'],
      };
    }
    case CODES.IndexCorrupt:
      return {
        kind: 'indexCorrupt',
        message: `The index cannot be read (${message}). Rebuild it from the notes.`,
        actions: ['Rebuild Index', 'Show Logs'],
      };
    case CODES.IndexLocked: {
      const pid = isObj(data) && typeof data.holderPid === 'number' ? ` (process ${data.holderPid})` : '';
      const clear = isObj(data) && typeof data.lockFile === 'string' ? ` If none is running, delete ${data.lockFile}.` : '';
      return {
        kind: 'indexLocked',
        message: `Another window or the drehr CLI${pid} is writing the index. Try again when it has finished.${clear}`,
        actions: ['Show Logs'],
      };
    }
    case CODES.NotIndexed:
      return {
        kind: 'notIndexed',
        message: 'This workspace has no index yet. Run "DR.EHR: Index Workspace" first.',
        actions: ['Index Workspace'],
      };
    case CODES.BadRequest:
      return { kind: 'badRequest', message: `Cannot ${doing}: ${message}`, actions: ['Show Logs'] };
    default:
      return { kind: 'other', message: `Cannot ${doing}: ${message}`, actions: ['Show Logs'] };
  }
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
