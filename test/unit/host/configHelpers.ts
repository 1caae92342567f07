/** Re-exports of src/config.ts plus a reader over a plain object, as getConfiguration('drehr') reads. */
export * from '../../../src/config';
import type { ConfigReader } from '../../../src/config';

export function settingsReader(values: Record<string, unknown>): ConfigReader {
  return { get: <T>(key: string) => values[key] as T | undefined };
}
