/**
 * Term bundle files in a workspace (`.drehr/bundles/*.json`, format in bundles.ts): listing, reading and finding
 * one by file name, bundle name or path. Node only (no vscode): the search panel and `drehr search --bundle` /
 * `drehr bundles list` share it. Messages name files and fields, never query text of other bundles.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BUNDLES_FOLDER, bundleFileName, parseBundle, type BundleMatch, type TermBundle } from './bundles';

export interface BundleFileEntry {
  /** File name inside .drehr/bundles. */
  file: string;
  name?: string;
  queries?: string[];
  match?: BundleMatch;
  mode?: TermBundle['mode'];
  description?: string;
  /** The problems of a bundle that cannot be run (clear messages naming the field). */
  error?: string;
}

export type BundleRead = { ok: true; bundle: TermBundle; warnings: string[] } | { ok: false; error: string };

export function bundlesDir(root: string): string {
  return path.join(root, BUNDLES_FOLDER);
}

/** Reads and parses one bundle file; `label` names it in messages (default: its path). */
export function readBundleFile(file: string, label = file): BundleRead {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    return { ok: false, error: `${label} cannot be read: ${(e as Error).message}` };
  }
  const r = parseBundle(text, label);
  return r.ok ? { ok: true, bundle: r.bundle, warnings: r.warnings } : { ok: false, error: r.errors.join(' ') };
}

/** The bundle files of a workspace, sorted by file name, each parsed; a broken one is listed with its problems. Throws when the folder exists but cannot be listed. */
export function listBundleFiles(root: string): BundleFileEntry[] {
  const dir = bundlesDir(root);
  if (!fs.existsSync(dir)) return [];
  const names = fs.readdirSync(dir).filter((f) => f.endsWith('.json') && !f.startsWith('.')).sort();
  return names.map((file) => {
    const r = readBundleFile(path.join(dir, file), `${BUNDLES_FOLDER}/${file}`);
    if (!r.ok) return { file, error: r.error };
    const e: BundleFileEntry = { file, name: r.bundle.name, queries: r.bundle.queries, match: r.bundle.match };
    if (r.bundle.mode) e.mode = r.bundle.mode;
    if (r.bundle.description) e.description = r.bundle.description;
    return e;
  });
}

/**
 * A bundle named on a command line: a path to a JSON file (relative to `cwd`), else a file of the workspace's
 * .drehr/bundles (`heart-failure` or `heart-failure.json`), else the bundle whose name matches (case ignored).
 */
export function findBundle(root: string, ref: string, cwd = process.cwd()): BundleRead & { file?: string } {
  const asPath = path.resolve(cwd, ref);
  if (ref.endsWith('.json') && fs.existsSync(asPath) && fs.statSync(asPath).isFile()) return { ...readBundleFile(asPath, ref), file: asPath };
  const dir = bundlesDir(root);
  for (const name of [ref, `${ref}.json`, bundleFileName(ref)]) {
    if (name.includes('/') || name.includes('\\') || !name.endsWith('.json')) continue;
    const f = path.join(dir, name);
    if (fs.existsSync(f) && fs.statSync(f).isFile()) return { ...readBundleFile(f, `${BUNDLES_FOLDER}/${name}`), file: f };
  }
  const listed = listBundleFiles(root);
  const byName = listed.filter((b) => b.name !== undefined && b.name.toLowerCase() === ref.trim().toLowerCase());
  if (byName.length === 1) {
    const f = path.join(dir, byName[0].file);
    return { ...readBundleFile(f, `${BUNDLES_FOLDER}/${byName[0].file}`), file: f };
  }
  if (byName.length > 1) return { ok: false, error: `${byName.length} bundles are named "${ref}" (${byName.map((b) => b.file).join(', ')}): name the file instead.` };
  const known = listed.map((b) => b.file.replace(/\.json$/, ''));
  return {
    ok: false,
    error: `No bundle "${ref}": not a .json file, and not in ${BUNDLES_FOLDER}/ (${known.length ? `there: ${known.join(', ')}` : 'no bundles there yet'}).`,
  };
}
