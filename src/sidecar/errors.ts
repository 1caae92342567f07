/**
 * Errors the engine throws on purpose. Each carries a protocol ErrorCode and its typed data, so the sidecar
 * server turns it into a ResponseError and the CLI into an exit code without parsing messages.
 */
import { ErrorCodes, type ModelErrorData } from '../shared/protocol';

export type EngineErrorData =
  | ModelErrorData
  | { reason: string }
  | { location: string; reason: string }
  | { location: string; holderPid: number; lockFile?: string }
  | undefined;

export class EngineError extends Error {
  constructor(
    readonly code: ErrorCodes,
    message: string,
    readonly data?: EngineErrorData,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

export function modelInvalid(modelDir: string, file: string, reason: string): EngineError {
  return new EngineError(
    ErrorCodes.ModelInvalid,
    `Model folder ${modelDir} is not usable: ${file}: ${reason}. Choose another folder with "DR.EHR: Select Model".`,
    { modelDir, file, reason },
  );
}

export function indexCorrupt(location: string, reason: string): EngineError {
  return new EngineError(
    ErrorCodes.IndexCorrupt,
    `The index at ${location} cannot be read (${reason}). Run "DR.EHR: Rebuild Index" (CLI: drehr index --rebuild) to build it again.`,
    { location, reason },
  );
}

export function indexLocked(location: string, holderPid: number, host: string, lockFile?: string): EngineError {
  const clear = lockFile
    ? ` If no other VS Code window or drehr CLI is indexing this workspace (a crash, or a restart that gave pid ${holderPid} to another program), delete ${lockFile} and try again.`
    : '';
  return new EngineError(
    ErrorCodes.IndexLocked,
    `Another process (pid ${holderPid} on ${host}) is writing the index at ${location}. Wait for it to finish, or close the other window.${clear}`,
    lockFile ? { location, holderPid, lockFile } : { location, holderPid },
  );
}

export function badRequest(message: string): EngineError {
  return new EngineError(ErrorCodes.BadRequest, message, undefined);
}

/** Thrown when an AbortSignal fires; callers that expect cancellation check `instanceof CancelledError`. */
export class CancelledError extends Error {
  constructor() {
    super('Cancelled');
    this.name = 'CancelledError';
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
