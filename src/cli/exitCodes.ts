/** The CLI's exit codes (stable; documented in README.md). */
import { ErrorCodes } from '../shared/protocol';
import { EngineError } from '../sidecar/errors';

export const EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  modelInvalid: 3,
  index: 4,
  noResults: 5,
  /** `index` finished, but some files or rows could not be indexed (each named on stderr). */
  problems: 6,
  cancelled: 130,
} as const;

export function exitCodeOf(e: unknown): number {
  if (!(e instanceof EngineError)) return EXIT.error;
  switch (e.code) {
    case ErrorCodes.ModelInvalid:
    case ErrorCodes.DeviceUnavailable:
      return EXIT.modelInvalid;
    case ErrorCodes.IndexCorrupt:
    case ErrorCodes.IndexLocked:
    case ErrorCodes.NotIndexed:
      return EXIT.index;
    case ErrorCodes.BadRequest:
      return EXIT.usage;
    default:
      return EXIT.error;
  }
}
