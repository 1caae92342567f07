/**
 * The label log on disk: header, fsync per decision, a process killed mid-run loses nothing it reported as
 * written, a broken line is skipped and reported, two writers interleave without clobbering, a newer format
 * version is refused and left untouched.
 *
 * The same bundle doubles as the child process of the kill test (DREHR_LABELLOG_CHILD=<file>).
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LabelLog } from '../../../src/review/labelLog';
import { LabelLogTooNewError } from '../../../src/review/labels';
import type { LabelLine } from '../../../src/shared/pairs';

const childFile = process.env.DREHR_LABELLOG_CHILD;

function decision(i: number, reviewer = 'r'): LabelLine {
  return { pair_id: `p${i}`, label: i % 3 === 0 ? 'noise' : 'valid', reviewer, time: new Date(0).toISOString() };
}

if (childFile) {
  // Child: append decisions forever, saying which ones are flushed; the parent kills it with SIGKILL.
  const log = LabelLog.open(childFile);
  for (let i = 0; ; i++) {
    log.append([decision(i)]);
    fs.writeSync(1, `${i}\n`);
  }
} else {
  describe('review/labelLog', function () {
    let dir: string;
    let file: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drehr-labels-'));
      file = path.join(dir, 'x.pairs.jsonl.labels.jsonl');
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('creates the file with a header on the first decision; the last line of a pair wins; unlabel clears', () => {
      const log = LabelLog.open(file);
      assert.equal(fs.existsSync(file), false, 'opening does not create the file');
      log.append([decision(0)]);
      log.append([{ ...decision(1), label: 'unsure' }, { ...decision(0), label: 'valid' }]);
      log.append([{ ...decision(1), label: 'unlabel' }]);
      log.close();
      const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.deepEqual(lines[0], { format: 'drehr-labels', version: 1 });
      assert.equal(lines.length, 5);
      const again = LabelLog.open(file);
      assert.equal(again.hasHeader, true);
      assert.equal(again.state.labelOf('p0'), 'valid');
      assert.equal(again.state.labelOf('p1'), undefined);
      assert.deepEqual(again.problems, []);
    });

    it('a process killed while appending loses no decision it reported as written', async function () {
      this.timeout(30000);
      const child = spawn(process.execPath, [__filename], { env: { ...process.env, DREHR_LABELLOG_CHILD: file }, stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      await new Promise<void>((resolve, reject) => {
        child.on('error', reject);
        child.on('exit', () => reject(new Error('the child exited by itself')));
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.split('\n').length > 200) {
            child.removeAllListeners('exit');
            child.kill('SIGKILL');
            child.on('exit', () => resolve());
          }
        });
      });
      const reported = out.split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
      assert.ok(reported.length >= 200);
      const log = LabelLog.open(file);
      for (const i of reported) assert.equal(log.state.labelOf(`p${i}`), decision(i).label, `decision ${i} was lost`);
      // At most the one line in flight may be incomplete.
      assert.ok(log.problems.length <= 1, JSON.stringify(log.problems));
    });

    it('a broken line is reported and skipped; a line cut short does not swallow the next append', () => {
      fs.writeFileSync(file, `{"format":"drehr-labels","version":1}\n${JSON.stringify(decision(0))}\n{oops\n${JSON.stringify(decision(1))}\n{"pair_id":"p2","lab`);
      const log = LabelLog.open(file);
      assert.equal(log.state.labelOf('p0'), 'noise');
      assert.equal(log.state.labelOf('p1'), 'valid');
      assert.deepEqual(
        log.problems.map((p) => p.line),
        [3, 5],
      );
      assert.match(log.problems[1].message, /incomplete/);
      log.append([decision(3)]);
      log.close();
      const reread = LabelLog.open(file);
      assert.equal(reread.state.labelOf('p3'), 'noise', 'the append after a cut line is read');
      assert.deepEqual(reread.problems.map((p) => p.line), [3, 5]);
    });

    it('two windows on one file: both append, each sees the other', () => {
      const a = LabelLog.open(file);
      const b = LabelLog.open(file);
      a.append([decision(0, 'ann')]);
      b.append([decision(1, 'bob')]);
      a.append([{ ...decision(1, 'ann'), label: 'noise' }]);
      assert.equal(b.refresh(), 1, 'b reads the line a appended');
      for (const log of [a, b]) {
        assert.equal(log.state.labelOf('p0'), 'noise');
        assert.equal(log.state.labelOf('p1'), 'noise');
        assert.equal(log.state.reviewerLabel('bob', 'p1'), 'valid');
        assert.equal(log.state.reviewerLabel('ann', 'p1'), 'noise');
      }
      a.close();
      b.close();
      const headers = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.includes('drehr-labels'));
      assert.equal(headers.length, 1);
    });

    it('a log of a newer format version is refused and left as it is', () => {
      const text = `{"format":"drehr-labels","version":2}\n${JSON.stringify(decision(0))}\n`;
      fs.writeFileSync(file, text);
      assert.throws(() => LabelLog.open(file), (e: unknown) => e instanceof LabelLogTooNewError && /newer version of DR\.EHR/.test(e.message));
      assert.equal(fs.readFileSync(file, 'utf8'), text);
    });

    it('a log without a header (an older file) is read and appended to', () => {
      fs.writeFileSync(file, `${JSON.stringify(decision(0))}\n`);
      const log = LabelLog.open(file);
      assert.equal(log.hasHeader, false);
      log.append([decision(1)]);
      log.close();
      assert.equal(LabelLog.open(file).state.labelOf('p1'), 'valid');
    });
  });
}
