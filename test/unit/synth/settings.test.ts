import * as assert from 'node:assert/strict';
import { readSynthSettings } from '../../../src/config';
import { isLoopbackUrl } from '../../../src/shared/pairs';

const reader = (o: Record<string, unknown>) => ({ get: <T>(k: string): T | undefined => o[k] as T | undefined });

describe('synthetic-pair settings (drehr.llm.*, drehr.synth.*)', () => {
  it('defaults: the loopback endpoint, no model, 4 calls at once, 120 s, remote off', () => {
    const { settings, warnings } = readSynthSettings(reader({}));
    assert.deepEqual(settings, { endpoint: 'http://127.0.0.1:8000/v1', model: '', concurrency: 4, timeoutSeconds: 120, allowRemote: false, graphPath: '' });
    assert.deepEqual(warnings, []);
    assert.ok(isLoopbackUrl(settings.endpoint));
  });
  it('bad values fall back with a warning', () => {
    const { settings, warnings } = readSynthSettings(reader({ 'llm.concurrency': 0, 'llm.timeoutSeconds': 'soon', 'llm.allowRemote': 'yes' }));
    assert.equal(settings.concurrency, 1); // clamped into 1..64
    assert.equal(settings.timeoutSeconds, 120);
    assert.equal(settings.allowRemote, false);
    assert.equal(warnings.length, 3);
  });
  it('only loopback hosts count as local', () => {
    for (const u of ['http://localhost:11434/v1', 'http://127.0.0.1:8000', 'http://127.9.9.9/v1', 'http://[::1]:8080/v1', 'http://api.localhost/v1']) assert.ok(isLoopbackUrl(u), u);
    for (const u of ['http://10.0.0.5:8000/v1', 'https://api.openai.com/v1', 'http://127.0.0.1.nip.io/v1', 'http://0.0.0.0:8000', 'garbage']) assert.ok(!isLoopbackUrl(u), u);
  });
});
