import * as assert from 'node:assert/strict';
import { CancelledError } from '../../../src/sidecar/errors';
import { parseAnswer } from '../../../src/sidecar/synth/answerParser';
import { completionsUrl, LlmClient, LlmError, retryAfterMs, type LlmConfig } from '../../../src/sidecar/synth/llmClient';
import { buildMessages, PROMPT_SHA, TEMPERATURE } from '../../../src/sidecar/synth/prompt';
import { startServer, type TestServer } from './llmServer';

const CHUNK = 'Patient with hypertension on lisinopril.';

function client(url: string, over: Partial<LlmConfig> = {}): LlmClient {
  return new LlmClient({ endpoint: url, model: 'test-model', concurrency: 2, timeoutMs: 5000, maxRetries: 2, allowRemote: false, baseDelayMs: 5, maxDelayMs: 1000, ...over });
}

describe('LLM client (chat completions, against a local server)', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('sends the model, temperature 0.1, the key and the prompt; returns the answer and its token counts', async () => {
    server = await startServer(() => ({ content: 'hypertension', usage: { prompt_tokens: 120, completion_tokens: 3 } }));
    const c = client(server.url, { apiKey: 'sk-test' });
    const r = await c.complete(buildMessages(CHUNK, 'diagnosis'));
    assert.equal(r.text, 'hypertension');
    assert.deepEqual(r.usage, { prompt_tokens: 120, completion_tokens: 3 });
    assert.equal(r.attempts, 1);
    const req = server.requests[0];
    assert.equal(req.body.model, 'test-model');
    assert.equal(req.body.temperature, TEMPERATURE);
    assert.equal(TEMPERATURE, 0.1);
    assert.equal(req.headers.authorization, 'Bearer sk-test');
    assert.ok(req.body.messages[1].content.includes(CHUNK));
    assert.ok(req.body.messages[1].content.includes('diagnosis'));
    assert.match(PROMPT_SHA, /^[0-9a-f]{64}$/);
    assert.deepEqual(c.totals, { calls: 1, attempts: 1, retries: 0, failures: 0, promptTokens: 120, completionTokens: 3 });
  });

  it('retries a 429 after the Retry-After it names, then succeeds', async () => {
    server = await startServer((_r, n) => (n === 1 ? { status: 429, headers: { 'retry-after': '0.2' }, raw: '{"error":"rate limited"}' } : { content: 'asthma' }));
    const waits: number[] = [];
    const r = await client(server.url, { onRetry: (i) => waits.push(i.delayMs) }).complete(buildMessages(CHUNK, 'diagnosis'));
    assert.equal(r.text, 'asthma');
    assert.equal(r.attempts, 2);
    assert.deepEqual(waits, [200]);
  });

  it('backs off exponentially on 500 every time, then gives up with the status (no body in the message)', async () => {
    server = await startServer(() => ({ status: 500, raw: `{"error":"${CHUNK}"}` }));
    const waits: number[] = [];
    const c = client(server.url, { maxRetries: 3, onRetry: (i) => waits.push(i.delayMs) });
    await assert.rejects(c.complete(buildMessages(CHUNK, 'drug')), (e: unknown) => {
      assert.ok(e instanceof LlmError);
      assert.match(e.message, /HTTP 500.*gave up after 4 attempts/);
      assert.ok(!e.message.includes('lisinopril'), 'no note text in errors');
      return true;
    });
    assert.equal(server.requests.length, 4);
    assert.deepEqual(waits, [5, 10, 20]);
    assert.equal(c.totals.failures, 1);
  });

  it('abandons a call that hangs after the timeout, and retries it', async () => {
    server = await startServer(() => 'hang');
    await assert.rejects(client(server.url, { timeoutMs: 400, maxRetries: 1 }).complete(buildMessages(CHUNK, 'diagnosis')), /did not answer within .*gave up after 2 attempts/);
    assert.equal(server.requests.length, 2);
  });

  it('reports malformed JSON and JSON without choices as failures', async () => {
    server = await startServer((_r, n) => (n <= 2 ? { raw: 'this is not json {' } : { raw: '{"object":"chat.completion"}' }));
    await assert.rejects(client(server.url, { maxRetries: 1 }).complete(buildMessages(CHUNK, 'diagnosis')), /not JSON/);
    await assert.rejects(client(server.url, { maxRetries: 0 }).complete(buildMessages(CHUNK, 'diagnosis')), /without choices\[0\]\.message\.content/);
  });

  it('does not retry a refused key (401) and says where to set it', async () => {
    server = await startServer(() => ({ status: 401, raw: '{}' }));
    await assert.rejects(client(server.url).complete(buildMessages(CHUNK, 'diagnosis')), /HTTP 401.*API key/);
    assert.equal(server.requests.length, 1);
  });

  it('an empty answer, a refusal and garbage come back as answers; the parser makes no entity of them', async () => {
    const answers = ['', "I'm sorry, but I can't assist with that request.", '#### ???? \n ---- \n 12345'];
    server = await startServer((_r, n) => ({ content: answers[n - 1] }));
    const c = client(server.url);
    const parsed = [];
    for (let i = 0; i < answers.length; i++) parsed.push(parseAnswer((await c.complete(buildMessages(CHUNK, 'drug'))).text));
    assert.deepEqual(parsed.map((p) => p.entities), [[], [], []]);
    assert.deepEqual(parsed.map((p) => p.refusal), [false, true, false]);
  });

  it('keeps at most `concurrency` calls in flight', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    server = await startServer(async (_r, n) => {
      if (n === 3) release();
      await gate;
      return { content: 'x' };
    });
    const c = client(server.url, { concurrency: 3 });
    await Promise.all(Array.from({ length: 9 }, () => c.complete(buildMessages(CHUNK, 'drug'))));
    assert.equal(server.requests.length, 9);
    assert.equal(server.maxInFlight, 3);
  });

  it('cancels a call in flight and calls waiting for a slot', async () => {
    let arrived: () => void = () => undefined;
    const first = new Promise<void>((r) => (arrived = r));
    server = await startServer(() => {
      arrived();
      return 'hang';
    });
    const c = client(server.url, { concurrency: 1 });
    const ac = new AbortController();
    const a = c.complete(buildMessages(CHUNK, 'drug'), ac.signal);
    const b = c.complete(buildMessages(CHUNK, 'drug'), ac.signal);
    await first;
    ac.abort();
    await assert.rejects(a, (e: unknown) => e instanceof CancelledError);
    await assert.rejects(b, (e: unknown) => e instanceof CancelledError);
    assert.equal(server.requests.length, 1);
  });

  it('refuses a remote endpoint unless allowed; accepts loopback forms', () => {
    assert.throws(() => completionsUrl('https://api.example.com/v1', false), /not on this machine.*drehr\.llm\.allowRemote.*--allow-remote/);
    assert.equal(completionsUrl('https://api.example.com/v1', true), 'https://api.example.com/v1/chat/completions');
    assert.equal(completionsUrl('http://localhost:11434/v1/', false), 'http://localhost:11434/v1/chat/completions');
    assert.equal(completionsUrl('http://127.0.0.2:8000/v1/chat/completions', false), 'http://127.0.0.2:8000/v1/chat/completions');
    assert.equal(completionsUrl('http://[::1]:8000/v1', false), 'http://[::1]:8000/v1/chat/completions');
    assert.throws(() => completionsUrl('http://127.0.0.1.example.com/v1', false), /not on this machine/);
    assert.throws(() => completionsUrl('not a url', false), /not a URL/);
    assert.throws(() => completionsUrl('file:///etc/passwd', true), /http/);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    assert.equal(retryAfterMs('3'), 3000);
    assert.equal(retryAfterMs(new Date(10_000).toUTCString(), 4_000), 6000);
    assert.equal(retryAfterMs(null), undefined);
    assert.equal(retryAfterMs('soon'), undefined);
  });
});
