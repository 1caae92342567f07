import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GOLDEN_FILE, goldenJsonl, goldenLines } from '../../../scripts/make_chunks_golden';

// Mocha runs from the repository root.
const root = process.cwd();

describe('chunks-golden.jsonl', () => {
  it('is still what the chunker produces', () => {
    const committed = fs.readFileSync(path.join(root, GOLDEN_FILE), 'utf8');
    assert.equal(goldenJsonl(root), committed);
  });
  it('covers CSV rows, a placeholder note and a multi-chunk note, with ranges that hold the words', () => {
    const lines = goldenLines(root);
    assert.ok(lines.some((l) => l.row === 1) && lines.some((l) => l.row === 2));
    const synthetic = lines.filter((l) => l.source.endsWith('synthetic-placeholders.txt'));
    assert.ok(synthetic.length >= 2);
    for (const l of synthetic) assert.ok(!l.text.includes('[**') && !l.text.includes('___'));
    const md = lines.filter((l) => l.source.endsWith('d2n001.md'));
    assert.ok(md.length >= 5);
    const file = fs.readFileSync(path.join(root, md[1].source), 'utf8');
    const first = md[1].text.split(' ')[0];
    const last = md[1].text.split(' ').at(-1) ?? '';
    assert.ok(file.slice(md[1].char_start).startsWith(first));
    assert.ok(file.slice(0, md[1].char_end).endsWith(last));
  });
});
