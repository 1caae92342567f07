import * as assert from 'node:assert/strict';
import { describeExit, evalChildArgs, parseChildLine } from '../../../src/eval/childProtocol';
import { parseEvalArgs } from '../../../src/eval/args';

describe('eval/childProtocol (editor ↔ drehr eval --json)', () => {
  it('builds arguments that drehr eval parses back to the same options', () => {
    const argv = evalChildArgs('/ext/dist/cli.js', {
      benchDir: '/b/aci demo',
      modelDir: '/m',
      rankers: ['bm25', 'dense'],
      outDir: '/o',
      chunking: { words: 100, overlap: 10, minWords: 50 },
    });
    assert.deepEqual(argv.slice(0, 2), ['/ext/dist/cli.js', 'eval']);
    const a = parseEvalArgs(argv.slice(2));
    assert.equal(a.bench, '/b/aci demo');
    assert.deepEqual(a.rankers, ['bm25', 'dense']);
    assert.deepEqual(a.chunking, { words: 100, overlap: 10, minWords: 50 });
    assert.equal(a.json, true);
    assert.equal(a.out, '/o');
  });

  it('reads progress, saved and error lines, and passes other lines on as log', () => {
    assert.deepEqual(parseChildLine('{"event":"progress","phase":"rank","done":3,"total":10,"message":"bm25: 3/10"}'), {
      event: 'progress', phase: 'rank', done: 3, total: 10, message: 'bm25: 3/10',
    });
    assert.deepEqual(parseChildLine('{"event":"saved","md":"/o/report.md","json":"/o/report.json"}'), { event: 'saved', md: '/o/report.md', json: '/o/report.json' });
    assert.deepEqual(parseChildLine('{"event":"error","code":3,"message":"Refusing"}'), { event: 'error', code: 3, message: 'Refusing' });
    assert.deepEqual(parseChildLine('[drehr] warning: x'), { event: 'log', line: '[drehr] warning: x' });
    assert.deepEqual(parseChildLine('{broken'), { event: 'log', line: '{broken' });
    assert.deepEqual(parseChildLine('{"event":"progress"}'), { event: 'log', line: '{"event":"progress"}' });
    assert.equal(parseChildLine('   '), undefined);
  });

  it('explains exit codes', () => {
    assert.match(describeExit(3, null), /chunked differently/);
    assert.match(describeExit(130, null), /cancelled/);
    assert.match(describeExit(null, 'SIGKILL'), /SIGKILL/);
    assert.match(describeExit(1, null), /exit code 1/);
  });
});
