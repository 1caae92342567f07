import * as assert from 'node:assert/strict';
import { LineSplitter, parseEventLine, type TrainerEvent } from '../../../src/training/events';

function ev(line: string): TrainerEvent {
  const p = parseEventLine(line);
  if (!p.ok) throw new Error(`expected an event, got: ${p.reason}`);
  return p.event;
}

describe('training events: parseEventLine', () => {
  it('reads every event of the contract', () => {
    assert.deepEqual(ev('{"event":"start","stage":"stage1","total_steps":300,"device":"cpu","time":1733450000.5}'), {
      event: 'start', stage: 'stage1', total_steps: 300, device: 'cpu', time: 1733450000.5,
    });
    assert.deepEqual(ev('{"event":"step","step":5,"total_steps":300,"loss":1.25,"lr":0.0001,"samples_per_s":12.5,"eta_s":80}'), {
      event: 'step', step: 5, total_steps: 300, loss: 1.25, lr: 0.0001, samples_per_s: 12.5, eta_s: 80,
    });
    assert.deepEqual(ev('{"event":"eval","step":100,"metrics":{"mrr":0.41,"ndcg@10":0.5}}'), { event: 'eval', step: 100, metrics: { mrr: 0.41, 'ndcg@10': 0.5 } });
    assert.deepEqual(ev('{"event":"checkpoint","step":100,"path":"/r/checkpoints/step-000100"}'), { event: 'checkpoint', step: 100, path: '/r/checkpoints/step-000100' });
    assert.deepEqual(ev('{"event":"export","model_dir":"/r/model","parity_max_abs_diff":3e-7}'), { event: 'export', model_dir: '/r/model', parity_max_abs_diff: 3e-7 });
    assert.deepEqual(ev('{"event":"done","model_dir":"/r/model","metrics":{"mrr":0.5}}'), { event: 'done', model_dir: '/r/model', metrics: { mrr: 0.5 } });
    assert.deepEqual(ev('{"event":"error","message":"no chunks","hint":"check the notes folder"}'), { event: 'error', message: 'no chunks', hint: 'check the notes folder' });
  });

  it('turns Python NaN and Infinity into a null loss, but not inside strings', () => {
    assert.deepEqual(ev('{"event":"step","step":7,"loss":NaN}'), { event: 'step', step: 7, loss: null });
    assert.deepEqual(ev('{"event":"step","step":8,"loss":-Infinity,"lr":1e-4}'), { event: 'step', step: 8, loss: null, lr: 1e-4 });
    assert.deepEqual(ev('{"event":"error","message":"loss is NaN: \\"NaN\\" Infinity"}'), { event: 'error', message: 'loss is NaN: "NaN" Infinity' });
  });

  it('drops non-numeric metric values and a done without metrics gets an empty object', () => {
    assert.deepEqual(ev('{"event":"eval","step":1,"metrics":{"mrr":0.2,"note":"x","bad":null}}'), { event: 'eval', step: 1, metrics: { mrr: 0.2 } });
    assert.deepEqual(ev('{"event":"done"}'), { event: 'done', metrics: {} });
  });

  it('reports garbage lines with a reason instead of throwing', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /blank/],
      ['   ', /blank/],
      ['UserWarning: TypedStorage is deprecated', /not JSON/],
      ['{"event":"step","step":3,"lo', /malformed/],
      ['{"event":"step","loss":1}', /numeric step/],
      ['{"event":"step","step":2,"loss":"high"}', /numeric loss/],
      ['{"event":"start","stage":"stage1"}', /total_steps/],
      ['{"event":"teleport"}', /unknown event "teleport"/],
      ['{"step":1}', /no "event"/],
      ['[1,2,3]', /not JSON|object/],
      ['{"event":"error"}', /message/],
      ['{"event":"checkpoint","step":1}', /path/],
      ['{"event":"eval","step":1,"metrics":[1]}', /metrics/],
    ];
    for (const [line, reason] of cases) {
      const p = parseEventLine(line);
      assert.equal(p.ok, false, line);
      if (!p.ok) assert.match(p.reason, reason, line);
    }
  });
});

describe('training events: LineSplitter', () => {
  it('keeps a partial last line until its newline arrives', () => {
    const s = new LineSplitter();
    assert.deepEqual(s.push(Buffer.from('{"a":1}\n{"b"')), ['{"a":1}']);
    assert.equal(s.pendingBytes, 4);
    assert.deepEqual(s.push(Buffer.from(':2}\r\n\n')), ['{"b":2}', '']);
    assert.equal(s.flush(), undefined);
  });

  it('decodes a multi-byte character split across two reads', () => {
    const s = new LineSplitter();
    const bytes = Buffer.from('{"message":"é"}\n', 'utf8');
    const cut = bytes.indexOf(0xc3) + 1; // inside the two bytes of é
    assert.deepEqual(s.push(bytes.subarray(0, cut)), []);
    assert.deepEqual(s.push(bytes.subarray(cut)), ['{"message":"é"}']);
  });

  it('hands back the unterminated tail on flush', () => {
    const s = new LineSplitter();
    s.push(Buffer.from('x\ny'));
    assert.equal(s.flush(), 'y');
    assert.equal(s.pendingBytes, 0);
  });
});
