/**
 * The one glob matcher for the note include/exclude settings, used by the sidecar's scans and the extension's file
 * watcher alike (so both agree on what a note is): `**` any folders, `*` and `?` within a name, `{a,b}`
 * alternatives, `[…]` classes. Paths are workspace-relative with `/` (a `\` is read as `/`). Pure.
 */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  let i = 0;
  let depth = 0;
  const g = glob.replace(/\\/g, '/').replace(/^\.\//, '');
  while (i < g.length) {
    const c = g[i]!;
    if (c === '*') {
      if (g[i + 1] === '*') {
        const atStart = i === 0 || g[i - 1] === '/';
        i += 2;
        if (g[i] === '/' && atStart) {
          re += '(?:[^/]*/)*';
          i++;
        } else {
          re += '.*';
        }
        continue;
      }
      re += '[^/]*';
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '{') {
      re += '(?:';
      depth++;
    } else if (c === '}' && depth > 0) {
      re += ')';
      depth--;
    } else if (c === ',' && depth > 0) {
      re += '|';
    } else if (c === '[') {
      const close = g.indexOf(']', i + 1);
      if (close > i + 1) {
        const body = g.slice(i + 1, close).replace(/^!/, '^').replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = close + 1;
        continue;
      }
      re += '\\[';
    } else {
      re += c.replace(/[.+^$()|\\\]]/g, '\\$&');
    }
    i++;
  }
  return new RegExp(`^${re}$`);
}

export class GlobSet {
  private readonly res: RegExp[];
  constructor(globs: readonly string[]) {
    this.res = globs.map(globToRegExp);
  }
  matches(relPath: string): boolean {
    const p = relPath.replace(/\\/g, '/').replace(/^\.\//, '');
    return this.res.some((r) => r.test(p));
  }
  /** True when every path under this folder is matched (e.g. `**\/node_modules/**` for node_modules). */
  coversFolder(relFolder: string): boolean {
    return this.matches(`${relFolder.replace(/\/+$/, '')}/\u0000`);
  }
}

/** Whether a workspace-relative path is a note to index: included and not excluded. */
export function isNotePath(relPath: string, include: GlobSet, exclude: GlobSet): boolean {
  return include.matches(relPath) && !exclude.matches(relPath);
}

/** Whether a relative path (a folder) lies under an excluded folder, e.g. .drehr/ or node_modules/. */
export function isExcludedFolder(relPath: string, exclude: GlobSet): boolean {
  const p = relPath.replace(/\\/g, '/').replace(/\/+$/, '');
  // A folder is excluded when a file inside it would be ("**/.drehr/**" matches ".drehr/x").
  return exclude.matches(p) || exclude.matches(`${p}/x`);
}
