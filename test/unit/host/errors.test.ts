import * as assert from 'node:assert/strict';
import { ResponseError } from 'vscode-jsonrpc';
import { ErrorCodes } from '../../../src/shared/protocol';
import { CODES, CancelledError, SidecarDownError, explainError, isCancellation } from '../../../src/sidecar-client/errors';

describe('sidecar error explanations', () => {
  it('uses the protocol error codes', () => {
    assert.equal(CODES.ModelInvalid, ErrorCodes.ModelInvalid);
    assert.equal(CODES.DeviceUnavailable, ErrorCodes.DeviceUnavailable);
    assert.equal(CODES.IndexCorrupt, ErrorCodes.IndexCorrupt);
    assert.equal(CODES.IndexLocked, ErrorCodes.IndexLocked);
    assert.equal(CODES.NotIndexed, ErrorCodes.NotIndexed);
    assert.equal(CODES.BadRequest, ErrorCodes.BadRequest);
  });

  it('a broken model folder names the file and offers Select Model', () => {
    const e = new ResponseError(ErrorCodes.ModelInvalid, 'bad model', { modelDir: '/m', file: 'tokenizer.json', reason: 'missing' });
    const x = explainError(e, 'search');
    assert.equal(x.kind, 'modelInvalid');
    assert.match(x.message, /tokenizer\.json in \/m: missing/);
    assert.deepEqual(x.actions, ['Select Model', 'Show Logs']);
  });

  it('a model error without typed data keeps the message', () => {
    const x = explainError(new ResponseError(ErrorCodes.ModelInvalid, 'onnx/model.onnx is missing'), 'search');
    assert.match(x.message, /onnx\/model\.onnx is missing/);
  });

  it('maps every protocol error to an action', () => {
    const cases: [number, unknown, string, string][] = [
      [ErrorCodes.DeviceUnavailable, { reason: 'libcudart missing' }, 'deviceUnavailable', 'libcudart missing'],
      [ErrorCodes.IndexCorrupt, { location: '/i', reason: 'x' }, 'indexCorrupt', 'Rebuild'],
      [ErrorCodes.IndexLocked, { location: '/i', holderPid: 4242 }, 'indexLocked', '4242'],
      [ErrorCodes.NotIndexed, undefined, 'notIndexed', 'Index Workspace'],
      [ErrorCodes.BadRequest, undefined, 'badRequest', 'k must be'],
    ];
    for (const [code, data, kind, text] of cases) {
      const x = explainError(new ResponseError(code, 'k must be positive', data), 'search');
      assert.equal(x.kind, kind);
      assert.ok(x.message.includes(text), `${kind}: ${x.message}`);
      assert.ok(x.actions.length > 0);
    }
    assert.deepEqual(explainError(new ResponseError(ErrorCodes.IndexCorrupt, 'x'), 's').actions, ['Rebuild Index', 'Show Logs']);
    assert.deepEqual(explainError(new ResponseError(ErrorCodes.NotIndexed, 'x'), 's').actions, ['Index Workspace']);
  });

  it('a down sidecar offers Restart Sidecar and Show Logs', () => {
    const x = explainError(new SidecarDownError('the sidecar is not running.'), 'search');
    assert.equal(x.kind, 'down');
    assert.equal(x.message, 'Cannot search: the sidecar is not running.');
    assert.deepEqual(x.actions, ['Restart Sidecar', 'Show Logs']);
  });

  it('a down sidecar whose Initialize failed explains the cause instead', () => {
    const cause = new ResponseError(ErrorCodes.ModelInvalid, 'x', { modelDir: '/m', file: 'drehr.json', reason: 'missing' });
    const x = explainError(new SidecarDownError('could not load', cause), 'search');
    assert.equal(x.kind, 'modelInvalid');
    assert.match(x.message, /drehr\.json/);
  });

  it('a connection that closed mid-request is a down sidecar', () => {
    const closed = new ResponseError(-32097, 'Pending response rejected since connection got disposed');
    assert.equal(explainError(closed, 'search').kind, 'down');
    const conn = Object.assign(new Error('Connection is closed.'), { name: 'ConnectionError', code: 1 });
    assert.equal(explainError(conn, 'search').kind, 'down');
  });

  it('recognises cancellations from the client and the sidecar', () => {
    assert.ok(isCancellation(new CancelledError()));
    assert.ok(isCancellation(new ResponseError(-32800, 'Cancelled')));
    assert.ok(!isCancellation(new Error('x')));
    assert.equal(explainError(new CancelledError(), 'index the workspace').kind, 'cancelled');
  });

  it('explains unknown errors and non-errors without crashing', () => {
    assert.equal(explainError(new Error('boom'), 'search').message, 'Cannot search: boom');
    assert.equal(explainError('weird', 'search').kind, 'other');
    assert.equal(explainError(undefined, 'search').kind, 'other');
  });
});
