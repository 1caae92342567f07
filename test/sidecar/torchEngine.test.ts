/**
 * The PyTorch engine with the real Python child on CPU: parity with onnxruntime, a child killed mid-job, a
 * simulated out-of-memory budget, start-up failures, and the child's end on close.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ErrorCodes } from '../../src/shared/protocol';
import { Encoder, type EncoderOptions } from '../../src/sidecar/encoder/encoder';
import { EngineError } from '../../src/sidecar/errors';
import { memoryLogger, repoRoot, requireTorch } from './helpers';

const python = process.env.DREHR_TEST_PYTHON ?? (fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const fixture = path.join(repoRoot, 'test', 'fixtures', 'untrained-model');
const demo = path.join(repoRoot, 'models', 'demo');
const corpus = fs
  .readFileSync(path.join(repoRoot, 'test', 'fixtures', 'chunks-golden.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => (JSON.parse(l) as { text: string }).text);

function maxDiff(a: Float32Array[], b: Float32Array[]): number {
  assert.equal(a.length, b.length);
  let m = 0;
  a.forEach((v, i) => v.forEach((x, d) => (m = Math.max(m, Math.abs(x - b[i][d])))));
  return m;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function exited(pid: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setInterval(() => {
      if (!alive(pid)) {
        clearInterval(t);
        resolve();
      }
    }, 20);
  });
}

const torchOpts = (modelDir: string, extra: Partial<EncoderOptions> = {}): EncoderOptions => ({ modelDir, device: 'cpu', threads: 1, engine: 'torch', python, ...extra });

describe('PyTorch engine (python child on CPU)', function () {
  before(async function () {
    await requireTorch(this, python);
  });

  const parity = (name: string, modelDir: string): void => {
    it(`gives the onnxruntime embeddings within 1e-3 (fp32, ${name})`, async () => {
      const onnx = await Encoder.open({ modelDir, device: 'cpu', threads: 1 }, memoryLogger());
      // small batches: the texts are tokenized in several groups while earlier batches run (order must hold)
      const torch = await Encoder.open(torchOpts(modelDir, { batch: { maxBatch: 3, maxTokens: 3 * 192 } }), memoryLogger());
      try {
        assert.equal(torch.info.engine, 'torch');
        assert.equal(torch.info.dtype, 'fp32');
        assert.equal(onnx.info.engine, 'onnx');
        const texts = corpus.slice(0, 60);
        for (const kind of ['passage', 'query'] as const) {
          const d = maxDiff(await onnx.embed(texts, kind), await torch.embed(texts, kind));
          console.log(`      ${name}, ${texts.length} texts as ${kind}: max abs diff ${d.toExponential(2)}`);
          assert.ok(d < 1e-3, `${kind}: max abs diff ${d}`);
        }
      } finally {
        await onnx.close();
        await torch.close();
      }
    });
  };
  parity('untrained fixture', fixture);
  // models/demo ships no model.safetensors: the trainer reads its weights from the ONNX graph (onnx_load.py)
  parity('demo model', demo);

  it('restarts a child killed with SIGKILL mid-job and finishes with the same embeddings', async () => {
    const log = memoryLogger();
    const enc = await Encoder.open(torchOpts(fixture, { batch: { maxBatch: 4, maxTokens: 4 * 192 } }), log);
    try {
      const texts = corpus.slice(0, 80);
      const clean = await enc.embed(texts, 'passage');
      const first = enc.torch?.pid;
      assert.ok(first && alive(first));
      let killed = false;
      const vecs = await enc.embed(texts, 'passage', {
        onBatch: () => {
          if (!killed && enc.torch?.pid) {
            killed = true;
            process.kill(enc.torch.pid, 'SIGKILL');
          }
        },
      });
      assert.ok(killed);
      assert.equal(enc.torch?.crashes, 1);
      assert.notEqual(enc.torch?.pid, first);
      assert.equal(maxDiff(clean, vecs), 0);
      assert.ok(log.lines.some((l) => /stopped \(SIGKILL\); restarting it/.test(l)), log.lines.join('\n'));
    } finally {
      await enc.close();
    }
  });

  it('halves a batch on out of memory (simulated: a token budget on CPU) and goes on', async () => {
    const log = memoryLogger();
    const texts = corpus.slice(0, 40);
    const onnx = await Encoder.open({ modelDir: fixture, device: 'cpu', threads: 1 }, memoryLogger());
    const want = await onnx.embed(texts, 'passage');
    await onnx.close();
    // batches of up to 16 passages of ~130 tokens (~2k tokens); the child refuses more than 700 tokens
    const enc = await Encoder.open(torchOpts(fixture, { batch: { maxBatch: 16, maxTokens: 16 * 192 }, torchEnv: { DREHR_SERVE_TOKEN_BUDGET: '700' } }), log);
    try {
      const got = await enc.embed(texts, 'passage');
      assert.ok(maxDiff(want, got) < 1e-3);
      const halvings = log.lines.filter((l) => /Out of device memory on a batch of \d+x\d+ tokens: halving/.test(l));
      assert.ok(halvings.length >= 2, log.lines.join('\n')); // 16 -> 8 -> 4
      assert.ok(log.lines.some((l) => /batches now hold at most 4 sequences/.test(l)), log.lines.join('\n'));
    } finally {
      await enc.close();
    }
  });

  it('fails clearly when even one sequence is over the budget', async () => {
    const enc = await Encoder.open(torchOpts(fixture, { torchEnv: { DREHR_SERVE_TOKEN_BUDGET: '8' } }), memoryLogger()).catch((e: unknown) => e);
    // the probe run ("probe" as a query: 3 tokens) fits; a long passage does not
    assert.ok(enc instanceof Encoder, String(enc));
    try {
      await assert.rejects(enc.embed([corpus[0]], 'passage'), (e: unknown) => e instanceof EngineError && e.code === ErrorCodes.DeviceUnavailable && /single sequence of \d+ tokens/.test(e.message));
    } finally {
      await enc.close();
    }
  });

  it('an interpreter that cannot run is an error naming it, not a crash', async () => {
    await assert.rejects(
      Encoder.open(torchOpts(fixture, { python: '/nonexistent/python3' }), memoryLogger()),
      (e: unknown) => e instanceof EngineError && e.code === ErrorCodes.DeviceUnavailable && e.message.includes('/nonexistent/python3'),
    );
  });

  it('a model folder the trainer cannot load names the reason', async () => {
    const fake = fs.mkdtempSync(path.join(os.tmpdir(), 'drehr-torch-'));
    try {
      fs.cpSync(fixture, fake, { recursive: true });
      fs.rmSync(path.join(fake, 'model.safetensors'));
      fs.writeFileSync(path.join(fake, 'onnx', 'model.onnx'), 'not onnx');
      await assert.rejects(Encoder.open(torchOpts(fake), memoryLogger()), (e: unknown) => e instanceof EngineError && /cannot start/.test(e.message));
    } finally {
      fs.rmSync(fake, { recursive: true, force: true });
    }
  });

  it('ends the child on close, and on a cancelled job the engine stays usable', async () => {
    const enc = await Encoder.open(torchOpts(fixture, { batch: { maxBatch: 2, maxTokens: 2 * 192 } }), memoryLogger());
    const pid = enc.torch?.pid;
    assert.ok(pid && alive(pid));
    const ac = new AbortController();
    await assert.rejects(enc.embed(corpus.slice(0, 20), 'passage', { signal: ac.signal, onBatch: () => ac.abort() }), /Cancelled/);
    const [v] = await enc.embed(['chest pain'], 'query');
    assert.equal(v.length, 32);
    await enc.close();
    await exited(pid);
  });
});
