/** Pure helpers of Select Model: finding model folders under the runs folder, and the value the setting gets. */
import * as fs from 'node:fs/promises';
import type { Dirent } from 'node:fs';
import * as path from 'node:path';

/** Folders holding a drehr.json under `root`, at most `depth` levels down (run/model/, run/checkpoints/…). */
export async function findModelFolders(root: string, depth = 3): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, left: number): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    if (entries.some((e) => e.isFile() && e.name === 'drehr.json')) out.push(dir);
    if (left === 0) return;
    await Promise.all(entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => walk(path.join(dir, e.name), left - 1)));
  };
  await walk(root, depth);
  return out.sort();
}

/** The value written to drehr.modelPath: '' for the demo model, workspace-relative inside the workspace. */
export function settingValue(dir: string, demoDir: string, root: string | undefined): string {
  if (path.resolve(dir) === path.resolve(demoDir)) return '';
  if (root) {
    const rel = path.relative(root, dir);
    if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) return rel.split(path.sep).join('/');
  }
  return dir;
}

/** One line for the model picker from a folder's drehr.json (never throws). */
export async function describeModel(dir: string): Promise<string> {
  try {
    const j = JSON.parse(await fs.readFile(path.join(dir, 'drehr.json'), 'utf8')) as { name?: unknown; description?: unknown; trained?: unknown };
    const name = typeof j.name === 'string' ? j.name : path.basename(dir);
    return `${name}${j.trained === false ? ' (untrained)' : ''}${typeof j.description === 'string' ? ` — ${j.description}` : ''}`;
  } catch {
    return 'drehr.json unreadable';
  }
}
