/**
 * YAML front matter of a .txt/.md note: a first line `---`, `key: value` lines, a closing `---` line.
 * Only flat scalar keys are read (patient_id, note_id, note_type, date and anything else as strings).
 * Hand-written on purpose rather than the `yaml` package: python/drehr_train/notes.py (standard library only)
 * must find the same body offset and ids, which a full YAML reader (types, multi-line values, anchors) would not
 * guarantee; the rules here are small enough to keep identical in both (checked in python/tests/test_notes_csv.py).
 */

export interface FrontMatter {
  fields: Record<string, string>;
  /** Offset in the text where the note body starts (0 without front matter). */
  bodyStart: number;
}

const OPEN = /^---[ \t]*\r?\n/;
const CLOSE = /^---[ \t]*(\r?\n|$)/m;

export function parseFrontMatter(text: string): FrontMatter {
  const open = OPEN.exec(text);
  if (!open) return { fields: {}, bodyStart: 0 };
  const rest = text.slice(open[0].length);
  const close = CLOSE.exec(rest);
  if (!close) return { fields: {}, bodyStart: 0 };
  const fields: Record<string, string> = {};
  for (const line of rest.slice(0, close.index).split(/\r?\n/)) {
    const m = /^([A-Za-z_][\w-]*)[ \t]*:[ \t]*(.*?)[ \t]*$/.exec(line);
    if (m) fields[m[1]] = unquote(m[2]);
  }
  return { fields, bodyStart: open[0].length + close.index + close[0].length };
}

function unquote(value: string): string {
  if (value.length >= 2 && ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'")))) {
    return value.slice(1, -1);
  }
  const comment = value.indexOf(' #');
  return comment >= 0 ? value.slice(0, comment).trimEnd() : value;
}
