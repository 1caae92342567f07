/**
 * Maps a hit's character range onto the text of the document that shows it. The sidecar counts UTF-16 code
 * units from the start of the file; an editor may have dropped a byte-order mark, and the file may have
 * changed since it was indexed, so the range is checked against the text (a chunk starts and ends on a word)
 * and shifted by one when that fits, then clamped. Pure.
 */

function isSpace(ch: string | undefined): boolean {
  return ch === undefined || /\s/.test(ch);
}

/** A chunk range is plausible when it starts and ends on non-space characters at word boundaries. */
function plausible(text: string, start: number, end: number): boolean {
  if (start < 0 || end > text.length || end <= start) return false;
  return !isSpace(text[start]) && !isSpace(text[end - 1]) && isSpace(text[start - 1]) && isSpace(text[end]);
}

export interface MappedRange {
  start: number;
  end: number;
  /** False when the text no longer matches the indexed range (the file changed): the range is a best guess. */
  exact: boolean;
}

export function mapChunkRange(text: string, start: number, end: number): MappedRange {
  for (const shift of [0, -1, 1]) {
    if (plausible(text, start + shift, end + shift)) return { start: start + shift, end: end + shift, exact: true };
  }
  const s = Math.max(0, Math.min(text.length, Math.floor(start)));
  const e = Math.max(s, Math.min(text.length, Math.floor(end)));
  return { start: s, end: e, exact: false };
}

/**
 * The absolute path of a hit's source file, or undefined when it would leave the workspace folder (a hit can
 * come from the search panel, whose messages are checked like any untrusted input).
 */
export function resolveSourcePath(root: string, sourcePath: string, sep = '/'): string | undefined {
  const norm = (p: string) => p.replace(/\\/g, '/');
  const r = norm(root).replace(/\/+$/, '');
  const parts: string[] = [];
  const rel = norm(sourcePath);
  if (rel.startsWith('/') || /^[a-z]:\//i.test(rel)) return undefined;
  for (const seg of rel.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') return undefined;
    parts.push(seg);
  }
  if (parts.length === 0) return undefined;
  return [r, ...parts].join('/').split('/').join(sep);
}
