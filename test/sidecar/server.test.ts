/**
 * The sidecar server's Initialize under concurrency, with Engine.open stubbed (no model or index work): two
 * Initialize requests at once must not leak the first engine, and an older open that fails must not leave the
 * server refusing every later request.
 */
import * as assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { GetStatus, Initialize, ValidateModel, type IndexStatus } from '../../src/shared/protocol';
import { Engine } from '../../src/sidecar/engine';
import { serve } from '../../src/sidecar/server';
import { configFor } from './helpers';

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

class FakeEngine {
  closed = 0;
  constructor(readonly name: string) {}
  get model() {
    return { id: this.name, name: this.name, dir: '/m', dim: 4, pooling: 'cls' as const, trained: false, device: 'cpu' as const };
  }
  get metaDir(): string {
    return '/nonexistent';
  }
  async status(): Promise<IndexStatus> {
    if (this.closed) throw new Error(`${this.name} used after close`);
    return { state: 'empty', location: this.name, notes: 0, chunks: 0, patients: 0, modelMismatch: false, hasAnnIndex: false, hasFtsIndex: false };
  }
  async close(): Promise<void> {
    this.closed++;
  }
}

describe('sidecar server: concurrent Initialize', () => {
  const realOpen = Engine.open;
  const realValidate = Engine.validateModel;
  let opens: Array<{ workspaceRoot: string; d: Deferred<FakeEngine> }>;
  let client: MessageConnection;
  let server: MessageConnection;
  let notifyOpen: () => void;

  beforeEach(() => {
    opens = [];
    let waiters: Array<() => void> = [];
    notifyOpen = () => {
      const w = waiters;
      waiters = [];
      for (const f of w) f();
    };
    (Engine as unknown as { open: (c: { workspaceRoot: string }) => Promise<FakeEngine> }).open = (c) => {
      const d = deferred<FakeEngine>();
      opens.push({ workspaceRoot: c.workspaceRoot, d });
      notifyOpen();
      return d.promise;
    };
    // A quick request answered in order: once it is back, the server has taken every request sent before it.
    (Engine as unknown as { validateModel: () => Promise<unknown> }).validateModel = async () => new FakeEngine('v').model;
    const untilOpens = (n: number) => new Promise<void>((resolve) => {
      const check = () => (opens.length >= n ? resolve() : waiters.push(check));
      check();
    });
    (globalThis as { untilOpens?: (n: number) => Promise<void> }).untilOpens = untilOpens;
    const a = new PassThrough();
    const b = new PassThrough();
    server = createMessageConnection(new StreamMessageReader(a), new StreamMessageWriter(b));
    client = createMessageConnection(new StreamMessageReader(b), new StreamMessageWriter(a));
    serve(server, () => undefined);
    server.listen();
    client.listen();
  });
  afterEach(() => {
    (Engine as unknown as { open: typeof realOpen }).open = realOpen;
    (Engine as unknown as { validateModel: typeof realValidate }).validateModel = realValidate;
    client.dispose();
    server.dispose();
  });
  const bothArrived = () => client.sendRequest(ValidateModel, { modelDir: '/m' });
  const untilOpens = (n: number) => (globalThis as unknown as { untilOpens: (n: number) => Promise<void> }).untilOpens(n);

  it('two at once: the first engine is closed, the second serves', async () => {
    const first = client.sendRequest(Initialize, configFor('/ws-a'));
    const second = client.sendRequest(Initialize, configFor('/ws-b'));
    await bothArrived();
    await untilOpens(1);
    const ea = new FakeEngine('a');
    opens[0].d.resolve(ea);
    await untilOpens(2);
    const eb = new FakeEngine('b');
    opens[1].d.resolve(eb);
    const [ra, rb] = await Promise.all([first, second]);
    assert.equal(rb.model.id, 'b');
    assert.ok(['a', 'b'].includes(ra.model.id), 'the first answers with its engine, or the newest when superseded');
    assert.equal(ea.closed, 1, 'the first engine was closed (not leaked)');
    assert.equal(eb.closed, 0);
    assert.equal((await client.sendRequest(GetStatus)).location, 'b');
  });

  it('an older open that fails does not make the server refuse later requests', async () => {
    const first = client.sendRequest(Initialize, configFor('/ws-a'));
    const second = client.sendRequest(Initialize, configFor('/ws-b'));
    await bothArrived();
    await untilOpens(1);
    opens[0].d.reject(new Error('model folder broken'));
    await assert.rejects(first);
    await untilOpens(2);
    opens[1].d.resolve(new FakeEngine('b'));
    assert.equal((await second).model.id, 'b');
    assert.equal((await client.sendRequest(GetStatus)).location, 'b');
  });
});
