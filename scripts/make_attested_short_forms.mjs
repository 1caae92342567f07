// Writes src/sidecar/expansion/attested.json: the short forms that clinical-note abbreviation inventories with sense
// frequencies observed in real notes (Vanderbilt clinic notes and discharge summaries, Stetson; github
// lisavirginia/clinical-abbreviations, CC BY 4.0). Query expansion adds an abbreviation only when it is attested
// here, is a name of the concept, or is the initials of one (src/sidecar/expansion/expand.ts).
// Usage: node scripts/make_attested_short_forms.mjs [../shared/data/abbreviations]
import * as fs from 'node:fs';
import * as path from 'node:path';

const dir = process.argv[2] ?? path.join(import.meta.dirname, '..', '..', 'shared', 'data', 'abbreviations');
const files = ['vanderbilt_clinic_notes.txt', 'vanderbilt_discharge_sums.txt', 'stetson_sense_distribution_448.txt'];
const searchable = /^[\p{L}\p{N}](?:[\p{L}\p{N}/.-]*[\p{L}\p{N}])?$/u;
const out = new Set();
for (const f of files) {
  const lines = fs.readFileSync(path.join(dir, f), 'utf8').split(/\r?\n/);
  for (const line of lines.slice(f.startsWith('vanderbilt') ? 1 : 0)) {
    const sf = line.split('\t')[0]?.trim().toLowerCase();
    if (sf && searchable.test(sf)) out.add(sf);
  }
}
const target = path.join(import.meta.dirname, '..', 'src', 'sidecar', 'expansion', 'attested.json');
const body = {
  about: 'Short forms observed in clinical notes by inventories with sense frequencies (Vanderbilt clinic notes and discharge summaries, Stetson 448; github lisavirginia/clinical-abbreviations, CC BY 4.0). Made by scripts/make_attested_short_forms.mjs.',
  shortForms: [...out].sort(),
};
fs.writeFileSync(target, JSON.stringify(body, null, 0) + '\n');
console.log(`${body.shortForms.length} short forms -> ${path.relative(process.cwd(), target)}`);
