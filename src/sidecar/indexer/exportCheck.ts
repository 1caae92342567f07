/**
 * The first pass over a CSV/JSONL export before it is streamed: its sha256 (the file's identity in the manifest and
 * in each row's file_hash), and whether it is text at all (decode.ts's rules: NUL in the first 8000 bytes is binary;
 * invalid UTF-8 anywhere is refused), read in 1 MB pieces so memory stays flat whatever the size.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { BINARY_PROBE_BYTES } from '../notes/decode';

export type ExportCheck = { hash: string; size: number; undecodable?: 'binary' | 'encoding' } | { error: string };

export async function checkExport(abs: string, onBytes: (done: number) => void, signal?: AbortSignal): Promise<ExportCheck> {
  const hash = createHash('sha256');
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let size = 0;
  let undecodable: 'binary' | 'encoding' | undefined;
  let shown = 0;
  try {
    for await (const chunk of fs.createReadStream(abs, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      if (signal?.aborted) break;
      hash.update(chunk);
      if (size < BINARY_PROBE_BYTES && chunk.subarray(0, BINARY_PROBE_BYTES - size).includes(0)) undecodable ??= 'binary';
      if (!undecodable) {
        try {
          decoder.decode(chunk, { stream: true });
        } catch {
          undecodable = 'encoding';
        }
      }
      size += chunk.length;
      if (size - shown >= 64 << 20) {
        shown = size;
        onBytes(size);
      }
    }
    if (!undecodable) {
      try {
        decoder.decode();
      } catch {
        undecodable = 'encoding';
      }
    }
  } catch (e) {
    return { error: (e as NodeJS.ErrnoException).code ?? String(e) };
  }
  return { hash: hash.digest('hex'), size, ...(undecodable ? { undecodable } : {}) };
}
