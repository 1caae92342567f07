import * as assert from 'node:assert/strict';
import { parseArgs, intFlag, UsageError } from '../../../src/cli/args';
import { progressBarText } from '../../../src/cli/progress';
import { exitCodeOf, EXIT } from '../../../src/cli/exitCodes';
import { EngineError } from '../../../src/sidecar/errors';
import { ErrorCodes } from '../../../src/shared/protocol';

describe('cli logic', () => {
  it('parses positionals, valued and boolean flags', () => {
    const a = parseArgs(['notes', 'chest', 'pain', '-k', '5', '--mode=bm25', '--json'], ['k', 'mode'], ['json']);
    assert.deepEqual(a.positionals, ['notes', 'chest', 'pain']);
    assert.equal(a.flags.get('k'), '5');
    assert.equal(a.flags.get('mode'), 'bm25');
    assert.equal(a.flags.get('json'), true);
  });
  it('rejects unknown options and missing values', () => {
    assert.throws(() => parseArgs(['--nope'], [], []), UsageError);
    assert.throws(() => parseArgs(['-k'], ['k'], []), /needs a value/);
  });
  it('checks integer ranges', () => {
    assert.throws(() => intFlag(parseArgs(['-k', '0'], ['k'], []), 'k', 1, 10), /from 1 to 10/);
    assert.equal(intFlag(parseArgs(['-k', '3'], ['k'], []), 'k', 1, 10), 3);
  });
  it('keeps words after -- as positionals', () => {
    assert.deepEqual(parseArgs(['x', '--', '--json'], [], ['json']).positionals, ['x', '--json']);
  });
  it('draws a bar', () => {
    assert.equal(progressBarText({ phase: 'embed', done: 5, total: 10 }, 10), 'embed [#####-----] 5/10');
  });
  it('maps engine errors to exit codes', () => {
    assert.equal(exitCodeOf(new EngineError(ErrorCodes.ModelInvalid, 'x')), EXIT.modelInvalid);
    assert.equal(exitCodeOf(new EngineError(ErrorCodes.IndexLocked, 'x')), EXIT.index);
    assert.equal(exitCodeOf(new EngineError(ErrorCodes.NotIndexed, 'x')), EXIT.index);
    assert.equal(exitCodeOf(new Error('x')), EXIT.error);
  });
});
