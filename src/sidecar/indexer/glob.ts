/** Glob patterns (`**`, `*`, `?`, `{a,b}`) over workspace-relative paths with '/' separators. Pure. */

export function globToRegExp(glob: string): RegExp {
  let re = '';
  let i = 0;
  let braces = 0;
  while (i < glob.length) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const slashAfter = glob[i + 2] === '/';
        const atStart = i === 0 || glob[i - 1] === '/';
        if (atStart && slashAfter) {
          re += '(?:.*/)?';
          i += 3;
        } else {
          re += '.*';
          i += 2;
        }
        continue;
      }
      re += '[^/]*';
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '{') {
      braces++;
      re += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      re += ')';
    } else if (c === ',' && braces > 0) {
      re += '|';
    } else {
      re += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
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
    return this.res.some((r) => r.test(relPath));
  }
  /** True when every path under this folder is matched (e.g. `**\/node_modules/**` for node_modules). */
  coversFolder(relFolder: string): boolean {
    return this.matches(`${relFolder}/\u0000`);
  }
}
