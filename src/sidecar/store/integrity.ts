/**
 * A cheap check that a local Lance table's files are all there and whole, without reading any rows: the latest
 * version's manifest names every data and index file the table reads; each must exist, and every Lance file ends
 * with the magic bytes "LANC" (a truncated file does not). Opening a damaged table succeeds and counting its rows
 * reads only the manifest, so without this an index with a deleted data file said "ready" until a search failed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const MAGIC = Buffer.from('LANC');
const NAME = /^[A-Za-z0-9_-]+\.lance$/;

/** The manifest file of the latest version: `N.manifest` (highest N) or, in the inverted naming, the lowest N. */
export function latestManifest(tableDir: string): string | undefined {
  const dir = path.join(tableDir, '_versions');
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => /^\d+\.manifest$/.test(n));
  } catch {
    return undefined;
  }
  if (names.length === 0) return undefined;
  const nums = names.map((n) => BigInt(n.slice(0, -'.manifest'.length)));
  const inverted = nums.some((v) => v >= 1n << 63n);
  const pick = nums.reduce((a, b) => ((inverted ? b < a : b > a) ? b : a));
  return path.join(dir, `${pick}.manifest`);
}

/**
 * Names of `.lance` files a manifest refers to. They are protobuf strings: a one-byte length, then the name; a
 * name is taken where the byte before it equals its length (the longest such), so neighbouring bytes never glue onto it.
 */
export function referencedFiles(manifest: Buffer): string[] {
  const out = new Set<string>();
  const text = manifest.toString('latin1');
  for (let e = text.indexOf('.lance'); e >= 0; e = text.indexOf('.lance', e + 1)) {
    const end = e + '.lance'.length;
    // The longest name whose preceding byte is its length (a shorter one can match by chance inside the name).
    let best: string | undefined;
    for (let s = e - 1; s >= 1 && end - s < 128 && NAME.test(text.slice(s, end)); s--) {
      if (manifest[s - 1] === end - s) best = text.slice(s, end);
    }
    if (best) out.add(best);
  }
  return [...out];
}

function endsWithMagic(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(fd).size;
    if (size < MAGIC.length) return false;
    const b = Buffer.alloc(MAGIC.length);
    fs.readSync(fd, b, 0, b.length, size - b.length);
    return b.equals(MAGIC);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** What is damaged in the table at `tableDir` (a sentence naming the files), or undefined when all is whole. */
export function tableDamage(tableDir: string): string | undefined {
  const manifest = latestManifest(tableDir);
  if (!manifest) return undefined;
  let refs: string[];
  try {
    refs = referencedFiles(fs.readFileSync(manifest));
  } catch (e) {
    return `its latest manifest cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`;
  }
  // Where each name can be: data files in data/, index files in _indices/<uuid>/.
  const where = new Map<string, string[]>();
  const add = (dir: string): void => {
    let names: string[] = [];
    try {
      names = fs.readdirSync(dir);
    } catch {
      return;
    }
    for (const n of names) where.set(n, [...(where.get(n) ?? []), path.join(dir, n)]);
  };
  add(path.join(tableDir, 'data'));
  try {
    for (const u of fs.readdirSync(path.join(tableDir, '_indices'))) add(path.join(tableDir, '_indices', u));
  } catch {
    // no index folder
  }
  const missing: string[] = [];
  const truncated: string[] = [];
  for (const name of refs) {
    const files = where.get(name);
    if (!files) missing.push(name);
    else if (!files.some(endsWithMagic)) truncated.push(name);
  }
  if (missing.length === 0 && truncated.length === 0) return undefined;
  const list = (xs: string[]): string => xs.slice(0, 3).join(', ') + (xs.length > 3 ? ` and ${xs.length - 3} more` : '');
  const parts = [];
  if (missing.length) parts.push(`${missing.length} file${missing.length === 1 ? ' is' : 's are'} missing (${list(missing)})`);
  if (truncated.length) parts.push(`${truncated.length} file${truncated.length === 1 ? ' is' : 's are'} cut short (${list(truncated)})`);
  return `the index table is damaged: ${parts.join('; ')}`;
}
