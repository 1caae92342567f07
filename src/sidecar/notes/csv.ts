/**
 * RFC 4180 CSV records with quoted fields (commas, doubled quotes and newlines inside quotes). A malformed
 * record (a stray quote, text after a closing quote, an unterminated quote, the wrong number of fields) is
 * reported with its 1-based data row and skipped; the parser resynchronises at the next line so the other
 * rows survive.
 */

export type CsvRecord = { row: number; fields: string[] } | { row: number; error: string };

export interface CsvTable {
  header: string[];
  records: CsvRecord[];
}

/** Parses the whole text. Row 1 is the first record after the header. */
export function parseCsv(text: string): CsvTable {
  const parser = new Parser(text);
  const first = parser.next();
  if (first === undefined) return { header: [], records: [] };
  if ('error' in first) throw new Error(`the header line is malformed (${first.error})`);
  const header = first.fields.map((h, i) => (i === 0 ? h.replace(/^\uFEFF/, '') : h).trim());
  const records: CsvRecord[] = [];
  let row = 0;
  for (let rec = parser.next(); rec !== undefined; rec = parser.next()) {
    row += 1;
    if ('error' in rec) {
      records.push({ row, error: rec.error });
    } else if (rec.fields.length === 1 && rec.fields[0] === '' && header.length > 1) {
      row -= 1; // a blank line is not a record
    } else if (rec.fields.length !== header.length) {
      records.push({ row, error: `has ${rec.fields.length} fields, the header has ${header.length}` });
    } else {
      records.push({ row, fields: rec.fields });
    }
  }
  return { header, records };
}

type Raw = { fields: string[] } | { error: string };

class Parser {
  private pos = 0;
  constructor(private readonly s: string) {}

  next(): Raw | undefined {
    const s = this.s;
    if (this.pos >= s.length) return undefined;
    const fields: string[] = [];
    for (;;) {
      if (s[this.pos] === '"') {
        let value = '';
        let i = this.pos + 1;
        for (;;) {
          const q = s.indexOf('"', i);
          if (q < 0) {
            this.pos = s.length;
            return { error: 'has a quote that is never closed' };
          }
          value += s.slice(i, q);
          if (s[q + 1] === '"') {
            value += '"';
            i = q + 2;
            continue;
          }
          i = q + 1;
          break;
        }
        fields.push(value);
        this.pos = i;
        const c = s[this.pos];
        if (c === ',') {
          this.pos++;
          continue;
        }
        if (c === undefined || c === '\n' || c === '\r') return this.endRecord(fields);
        this.skipLine();
        return { error: 'has text after a closing quote' };
      }
      let j = this.pos;
      while (j < s.length && s[j] !== ',' && s[j] !== '\n' && s[j] !== '\r') {
        if (s[j] === '"') {
          this.pos = j;
          this.skipLine();
          return { error: 'has a quote inside an unquoted field' };
        }
        j++;
      }
      fields.push(s.slice(this.pos, j));
      this.pos = j;
      if (s[j] === ',') {
        this.pos++;
        continue;
      }
      return this.endRecord(fields);
    }
  }

  private endRecord(fields: string[]): Raw {
    if (this.s[this.pos] === '\r') this.pos++;
    if (this.s[this.pos] === '\n') this.pos++;
    return { fields };
  }

  private skipLine(): void {
    const nl = this.s.indexOf('\n', this.pos);
    this.pos = nl < 0 ? this.s.length : nl + 1;
  }
}
