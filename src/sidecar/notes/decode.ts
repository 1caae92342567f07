/** Turns a note file's bytes into text, or says why it is not a text note. Pure. */

export type DecodeResult = { ok: true; text: string } | { ok: false; reason: 'binary' | 'encoding' };

/** How many leading bytes are checked for NUL (the same rule git uses to call a file binary). */
export const BINARY_PROBE_BYTES = 8000;

export function decodeNoteBytes(bytes: Uint8Array): DecodeResult {
  const probe = bytes.subarray(0, Math.min(bytes.length, BINARY_PROBE_BYTES));
  if (probe.includes(0)) return { ok: false, reason: 'binary' };
  try {
    // fatal: invalid UTF-8 throws instead of turning into U+FFFD; a leading BOM is dropped.
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    return { ok: false, reason: 'encoding' };
  }
}
