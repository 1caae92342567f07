/**
 * The sidecar's JSON-RPC error codes: the one declaration (protocol.ts re-exports it; the client, the engine
 * and the CLI all read it). No imports, so the extension bundle and webviews can use it.
 */
export const ErrorCodes = {
  /** The model folder is missing a file or holds an unreadable one. data: ModelErrorData. */
  ModelInvalid: -32010,
  /** CUDA was asked for explicitly and cannot be loaded. data: { reason }. */
  DeviceUnavailable: -32011,
  /** The index cannot be opened or read. data: { location, reason }. */
  IndexCorrupt: -32020,
  /** Another process (another window, the CLI) is writing the index. data: { location, holderPid, lockFile }. */
  IndexLocked: -32021,
  /** A search before any index exists. */
  NotIndexed: -32022,
  /** The request's parameters are wrong (the message says which). */
  BadRequest: -32030,
} as const;

/** One of the codes above. */
export type ErrorCodes = (typeof ErrorCodes)[keyof typeof ErrorCodes];
