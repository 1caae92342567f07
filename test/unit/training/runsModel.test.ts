import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildRunConfig } from '../../../src/training/runConfig';
import { createRun, EventsTail, readRunConfig, writeTaskRecord } from '../../../src/training/runFolder';
import { RunsModel } from '../../../src/training/runsModel';

let tmp: string;

function config(id: string, runsDir: string, created = new Date(Date.UTC(2026, 11, 6, 2, 0, 0))) {
  return buildRunConfig({
    stage: 'stage1', id, runDir: path.join(runsDir, id), baseModel: '/m', device: 'cpu', nproc: 1,
    data: { notes: '/ws', chunking: { words: 100, overlap: 10, min_words: 50 }, graph: null }, now: created,
  });
}

describe('training run folders', () => {
  beforeEach(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'drehr-runs-'));
  });
  afterEach(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
  });

  it('createRun writes run.json once and refuses to overwrite', async () => {
    const c = config('r1', tmp);
    await createRun(c.output_dir, c);
    const read = await readRunConfig(c.output_dir);
    assert.deepEqual(read.config, c);
    await assert.rejects(createRun(c.output_dir, c), /already exists/);
    const left = await fs.readdir(c.output_dir);
    assert.deepEqual(left, ['run.json'], 'no temp files left behind');
  });

  it('createRun refuses an invalid config before touching the disk', async () => {
    const c = { ...config('r2', tmp), nproc: 0 };
    await assert.rejects(createRun(c.output_dir, c), /nproc/);
    await assert.rejects(fs.access(c.output_dir));
  });

  it('readRunConfig says what is wrong with a broken run.json', async () => {
    const dir = path.join(tmp, 'x');
    await fs.mkdir(dir);
    assert.deepEqual((await readRunConfig(dir)).errors, ['run.json is missing']);
    await fs.writeFile(path.join(dir, 'run.json'), '{"format":1,');
    assert.match((await readRunConfig(dir)).errors[0]!, /not valid JSON/);
    await fs.writeFile(path.join(dir, 'run.json'), '{"format":1}');
    assert.ok((await readRunConfig(dir)).errors.length > 3);
  });

  it('EventsTail reads appended events only, holds a partial line, skips garbage, restarts on truncation', async () => {
    const file = path.join(tmp, 'events.jsonl');
    const tail = new EventsTail(file);
    assert.equal(await tail.poll(), false, 'missing file: no events');
    await fs.writeFile(file, '{"event":"start","stage":"stage1","total_steps":4,"device":"cpu"}\nWARNING: something\n{"event":"step","step":1,"loss":1.0}\n{"event":"step","st');
    assert.equal(await tail.poll(), true);
    assert.equal(tail.progress.step, 1);
    assert.equal(tail.progress.skippedLines, 1);
    await fs.appendFile(file, 'ep":2,"loss":0.5}\n');
    assert.equal(await tail.poll(), true);
    assert.deepEqual(tail.progress.losses, [[1, 1.0], [2, 0.5]]);
    assert.equal(await tail.poll(), false, 'nothing new');
    // A killed run leaves half a line: the final read drops it as a skipped line.
    await fs.appendFile(file, '{"event":"step","step":3,"lo');
    assert.equal(await tail.poll(true), false);
    assert.equal(tail.progress.step, 2);
    assert.equal(tail.progress.skippedLines, 2);
    // A whole event without its newline is used by the final read.
    const tail2 = new EventsTail(file);
    await fs.writeFile(file, '{"event":"done","metrics":{}}');
    await tail2.poll(true);
    assert.ok(tail2.progress.done);
    // The file replaced by a shorter one: read from the start again.
    await fs.writeFile(file, '{"event":"step","step":1,"loss":9}\n');
    await tail.poll();
    assert.deepEqual(tail.progress.losses, [[1, 9]]);
  });

  it('RunsModel lists runs newest first with derived status and tells what changed', async () => {
    const now = Date.now();
    const model = new RunsModel(tmp, () => now);
    assert.equal(model.runs.length, 0);
    const a = config('a-old', tmp, new Date(Date.UTC(2026, 0, 1)));
    const b = config('b-new', tmp, new Date(Date.UTC(2026, 5, 1)));
    await createRun(a.output_dir, a);
    await createRun(b.output_dir, b);
    await fs.mkdir(path.join(tmp, 'not a run'));
    await fs.writeFile(path.join(a.output_dir, 'events.jsonl'), '{"event":"start","stage":"stage1","total_steps":2,"device":"cpu"}\n{"event":"step","step":2,"loss":0.25}\n{"event":"done","model_dir":"' + path.join(a.output_dir, 'model') + '","metrics":{"mrr":0.7}}\n');
    let changed = await model.refresh();
    assert.deepEqual([...changed].sort(), ['a-old', 'b-new']);
    assert.deepEqual(model.runs.map((r) => r.id), ['b-new', 'a-old']);
    const ra = model.get('a-old')!;
    assert.equal(ra.status.status, 'finished');
    assert.equal(ra.modelReady, false, 'no model/drehr.json yet');
    assert.equal(model.get('b-new')!.status.detail, 'the trainer never started');

    await fs.mkdir(path.join(a.output_dir, 'model'));
    await fs.writeFile(path.join(a.output_dir, 'model', 'drehr.json'), '{}');
    changed = await model.refresh();
    assert.deepEqual([...changed], ['a-old']);
    assert.equal(model.get('a-old')!.modelReady, true);

    // A live task of this window for b: running, then killed by a signal → interrupted.
    model.live.set('b-new', { ended: false });
    await fs.writeFile(path.join(b.output_dir, 'events.jsonl'), '{"event":"start","stage":"stage1","total_steps":9,"device":"cpu"}\n{"event":"step","step":1,"loss":3}\n');
    await model.refresh();
    assert.equal(model.get('b-new')!.status.status, 'running');
    assert.equal(model.anyRunning, true);
    model.live.set('b-new', { ended: true });
    await model.refresh();
    assert.equal(model.get('b-new')!.status.status, 'interrupted');

    // After a reload (no live task), the task record decides.
    model.live.delete('b-new');
    await writeTaskRecord(b.output_dir, { pid: process.pid, startedAt: new Date().toISOString() });
    await model.refresh();
    assert.equal(model.get('b-new')!.status.status, 'running', 'recorded pid alive');
    await writeTaskRecord(b.output_dir, { pid: process.pid, startedAt: new Date().toISOString(), endedAt: new Date().toISOString(), exitCode: 3 });
    await model.refresh();
    assert.deepEqual(model.get('b-new')!.status, { status: 'failed', detail: 'exit code 3: a Python package is missing' });

    await fs.rm(a.output_dir, { recursive: true });
    changed = await model.refresh();
    assert.ok(changed.has('a-old'));
    assert.deepEqual(model.runs.map((r) => r.id), ['b-new']);
  });

  it('a run folder with a broken run.json is listed with its problem', async () => {
    await fs.mkdir(path.join(tmp, 'broken'));
    await fs.writeFile(path.join(tmp, 'broken', 'run.json'), 'garbage');
    const model = new RunsModel(tmp);
    await model.refresh();
    assert.equal(model.runs.length, 1);
    assert.match(model.runs[0]!.configErrors[0]!, /not valid JSON/);
  });
});
