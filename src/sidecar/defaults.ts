/** Default engine settings (the same defaults package.json declares), for the CLI and the evaluation code. */
import * as path from 'node:path';
import type { EngineConfig } from '../shared/protocol';

export const DEFAULT_INCLUDE = ['**/*.txt', '**/*.md', '**/*.csv', '**/*.jsonl'];
export const DEFAULT_EXCLUDE = ['**/node_modules/**', '**/.git/**', '**/.drehr/**', '**/README.md'];
export const DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024;

export function defaultEngineConfig(workspaceRoot: string, modelDir: string, overrides: Partial<EngineConfig> = {}): EngineConfig {
  const root = path.resolve(workspaceRoot);
  return {
    workspaceRoot: root,
    indexLocation: path.join(root, '.drehr', 'index'),
    modelDir: path.resolve(modelDir),
    device: 'auto',
    precision: 'auto',
    include: [...DEFAULT_INCLUDE],
    exclude: [...DEFAULT_EXCLUDE],
    columns: { text: '', patientId: '', noteId: '', noteType: '', date: '' },
    chunking: { words: 100, overlap: 10, minWords: 50 },
    maxFileBytes: DEFAULT_MAX_FILE_BYTES,
    queryExpansion: true,
    ...overrides,
  };
}
