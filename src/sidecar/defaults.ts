/** Default engine settings (the same defaults package.json declares), for the CLI and the evaluation code. */
import * as path from 'node:path';
import type { EngineConfig } from '../shared/protocol';
import { DEFAULT_CHUNKING, DEFAULT_EXCLUDE, DEFAULT_INCLUDE, DEFAULT_MAX_FILE_BYTES } from '../shared/defaults';

export { DEFAULT_EXCLUDE, DEFAULT_INCLUDE, DEFAULT_MAX_FILE_BYTES } from '../shared/defaults';

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
    chunking: { ...DEFAULT_CHUNKING },
    maxFileBytes: DEFAULT_MAX_FILE_BYTES,
    queryExpansion: true,
    ...overrides,
  };
}
