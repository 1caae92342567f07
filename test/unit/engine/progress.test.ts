import * as assert from 'node:assert/strict';
import { makeProgressReporter, notesFromRows, type ProgressStream } from '../../../src/cli/progress';
import type { ProgressUpdate } from '../../../src/sidecar/engine';

/** The updates of an index run over 128 files in 8 batches, as the indexer sends them (phases alternate). */
function indexRun(): ProgressUpdate[] {
  const u: ProgressUpdate[] = [{ phase: 'scan', done: 0, total: 0, message: 'Looking for notes' }];
  for (let b = 0; b < 8; b++) {
    for (let f = 0; f < 16; f++) u.push({ phase: 'scan', done: b * 16 + f + 1, total: 128, message: `p${b}/n${f}.md` });
    for (let c = 64; c <= 256; c += 64) u.push({ phase: 'embed', done: c, total: 256 });
    u.push({ phase: 'write', done: 0, total: 256 }, { phase: 'write', done: 256, total: 256 });
  }
  u.push({ phase: 'index', done: 0, total: 1 }, { phase: 'index', done: 1, total: 1 });
  return u;
}

class Fake implements ProgressStream {
  out = '';
  constructor(
    readonly isTTY: boolean,
    readonly columns = 80,
  ) {}
  write(s: string): boolean {
    this.out += s;
    return true;
  }
}

/** What a terminal shows after the writes: lines, with \r, \x1b[K and \x1b[nA applied. */
function screen(out: string): string[] {
  const lines: string[] = [''];
  let row = 0;
  let col = 0;
  for (let i = 0; i < out.length; i++) {
    const esc = /^\x1b\[(\d*)([AK])/.exec(out.slice(i));
    if (esc) {
      if (esc[2] === 'A') row = Math.max(0, row - Number(esc[1] || 1));
      else lines[row] = lines[row]!.slice(0, col);
      i += esc[0].length - 1;
    } else if (out[i] === '\r') col = 0;
    else if (out[i] === '\n') {
      row++;
      col = 0;
      lines[row] ??= '';
    } else {
      const l = lines[row]!;
      lines[row] = l.slice(0, col) + out[i] + l.slice(col + 1);
      col++;
    }
  }
  return lines.filter((l, i) => l !== '' || i < lines.length - 1);
}

describe('CLI progress', () => {
  it('on a terminal: one bar per phase, redrawn in place', () => {
    const s = new Fake(true);
    let t = 0;
    const r = makeProgressReporter(s, () => (t += 100));
    for (const p of indexRun()) r.update(p);
    r.end();
    const shown = screen(s.out);
    assert.equal(shown.length, 4, shown.join('\n'));
    assert.match(shown[0]!, /^scan +\[#+\] 128\/128/);
    assert.match(shown[1]!, /^embed \[#+\] 256\/256/);
    assert.match(shown[2]!, /^write \[#+\] 256\/256/);
    assert.match(shown[3]!, /^index \[#+\] 1\/1/);
    assert.ok(shown.every((l) => l.length <= 79), 'fits the terminal width');
  });

  it('elsewhere: a few plain lines, not one per update or per alternation', () => {
    const s = new Fake(false);
    const r = makeProgressReporter(s);
    for (const p of indexRun()) r.update(p);
    r.end();
    assert.deepEqual(s.out.trim().split('\n'), [
      'files: 1/128 (1%)',
      'embed: started',
      'write: started',
      'files: 32/128 (25%)',
      'files: 64/128 (50%)',
      'files: 96/128 (75%)',
      'files: 128/128 (100%)',
      'index: 0/1 (0%)',
      'index: 1/1 (100%)',
    ]);
    assert.doesNotMatch(s.out, /\x1b|\r/);
  });
});

describe('CLI index summary', () => {
  it('says why there are more notes than files', () => {
    const status = { state: 'ready', location: '/i', notes: 207, chunks: 973, patients: 207, modelMismatch: false, hasAnnIndex: false, hasFtsIndex: true } as const;
    assert.equal(notesFromRows({ filesScanned: 128, status }), ' (from 128 files: each row of a CSV or JSONL file is a note)');
    assert.equal(notesFromRows({ filesScanned: 207, status }), '');
  });

  it('--progress json writes every update as one JSON line, without the message (a file name)', () => {
    const f = new Fake(true);
    const r = makeProgressReporter(f, () => 0, 'json');
    const run = indexRun();
    for (const u of run) r.update(u);
    r.end();
    const lines = f.out.trimEnd().split('\n');
    assert.equal(lines.length, run.length);
    assert.deepEqual(JSON.parse(lines[lines.length - 3]), { phase: 'write', done: 256, total: 256 });
    assert.ok(!f.out.includes('p0/n0.md'));
  });

  it('a big export is read with progress in bytes: the JSON line says so, the bar and the plain lines show MB', () => {
    const read: ProgressUpdate[] = [0.25, 0.5, 1].map((x) => ({ phase: 'read', done: Math.round(x * 3 * 1048576), total: 3 * 1048576, message: 'discharge.csv', unit: 'bytes' }));
    const j = new Fake(false);
    const rj = makeProgressReporter(j, () => 0, 'json');
    for (const u of read) rj.update(u);
    assert.deepEqual(JSON.parse(j.out.trimEnd().split('\n')[2]), { phase: 'read', done: 3145728, total: 3145728, unit: 'bytes' });
    const t = new Fake(true);
    const rt = makeProgressReporter(t, () => 0);
    for (const u of read) rt.update(u);
    rt.end();
    assert.match(screen(t.out)[0], /^read  \[#+\] 3\.0\/3\.0 MB discharge\.csv$/);
    const l = new Fake(false);
    const rl = makeProgressReporter(l, () => 0);
    for (const u of read) rl.update(u);
    assert.match(l.out, /read: 0\.8\/3\.0 MB \(25%\)\n/);
  });
});
