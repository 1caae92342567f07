/**
 * Contract defaults declared once: search modes, which files are notes, chunking, the file size limit, and
 * what counts as a LanceDB URI. package.json's settings state the same defaults (a unit test compares them).
 * No imports, so the extension bundle, the sidecar, the CLI and the webviews can all use it.
 */

export const SEARCH_MODES = ['hybrid', 'dense', 'bm25'] as const;
export type SearchMode = (typeof SEARCH_MODES)[number];
export const DEFAULT_SEARCH_MODE: SearchMode = 'hybrid';

export function isSearchMode(x: unknown): x is SearchMode {
  return typeof x === 'string' && (SEARCH_MODES as readonly string[]).includes(x);
}

export const DEFAULT_INCLUDE: readonly string[] = ['**/*.txt', '**/*.md', '**/*.csv', '**/*.jsonl'];
export const DEFAULT_EXCLUDE: readonly string[] = ['**/node_modules/**', '**/.git/**', '**/.drehr/**', '**/README.md'];

/** The paper's chunking: 100-word windows, 10 words shared, windows under 50 words dropped (unless the only one). */
export const DEFAULT_CHUNKING: Readonly<{ words: number; overlap: number; minWords: number }> = { words: 100, overlap: 10, minWords: 50 };

export const DEFAULT_MAX_FILE_MB = 64;
export const DEFAULT_MAX_FILE_BYTES = DEFAULT_MAX_FILE_MB * 1024 * 1024;

/**
 * Whether an index location is a LanceDB URI (s3://, gs://, az://, db://, memory://…) rather than a local folder.
 * The scheme needs two letters or more, so a Windows drive path such as `C://notes` stays a path.
 */
export function isUri(location: string): boolean {
  return /^[a-z][a-z0-9+.-]+:\/\//i.test(location);
}
