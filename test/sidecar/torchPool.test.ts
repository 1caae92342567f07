/**
 * One PyTorch worker per GPU, on CPU: two CPU children stand in for two GPUs (`torchWorkers: 2`). The vectors and
 * their order equal one child's, both children get batches, and no more than inFlight batches per worker are out.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Encoder, type EncoderOptions } from '../../src/sidecar/encoder/encoder';
import { TorchPool } from '../../src/sidecar/encoder/torchPool';
import { memoryLogger, repoRoot, requireTorch } from './helpers';

const python = process.env.DREHR_TEST_PYTHON ?? (fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const fixture = path.join(repoRoot, 'test', 'fixtures', 'untrained-model');
const corpus = fs
  .readFileSync(path.join(repoRoot, 'test', 'fixtures', 'chunks-golden.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => (JSON.parse(l) as { text: string }).text);

const opts = (extra: Partial<EncoderOptions> = {}): EncoderOptions => ({ modelDir: fixture, device: 'cpu', threads: 1, engine: 'torch', python, batch: { maxBatch: 2, maxTokens: 2 * 192 }, inFlight: 2, ...extra });

describe('PyTorch engine: one worker per device (two CPU children standing in for two GPUs)', function () {
  before(async function () {
    await requireTorch(this, python);
  });

  it('deals batches round-robin to two children: the same vectors in the same order as one child, back-pressure per worker', async function () {
    this.timeout(300_000);
    const log = memoryLogger();
    // one child with 4 batches in flight, two with 2 each: the same window, so the same batches (exact equality)
    const one = await Encoder.open(opts({ inFlight: 4 }), memoryLogger());
    const two = await Encoder.open(opts({ torchWorkers: 2 }), log);
    try {
      assert.equal(one.torch?.workers, 1);
      assert.ok(two.torch instanceof TorchPool);
      const pool = two.torch;
      assert.equal(pool.workers, 2);
      const pids = pool.children.map((c) => c.pid);
      assert.equal(new Set(pids).size, 2, `pids ${pids.join(', ')}`);
      assert.ok(log.lines.some((l) => /2 workers, batches dealt round-robin/.test(l)), log.lines.join('\n'));
      const texts = corpus.slice(0, 23);
      const want = await one.embed(texts, 'passage');
      const got = await two.embed(texts, 'passage');
      assert.equal(got.length, want.length);
      let worst = 0;
      got.forEach((v, i) => v.forEach((x, d) => (worst = Math.max(worst, Math.abs(x - want[i][d])))));
      assert.equal(worst, 0, `max abs diff ${worst}`);
      // 23 texts in batches of 2 (one probe batch went to worker 0 at open): both workers worked, evenly
      const [a, b] = pool.dealt;
      assert.ok(a > 0 && b > 0 && Math.abs(a - b) <= 1, `dealt ${pool.dealt.join(', ')}`);
      assert.ok(pool.maxOutstanding <= 2 * 2, `at most inFlight (2) per worker out at once, saw ${pool.maxOutstanding}`);
      assert.ok(pool.maxOutstanding > 1, 'the two workers never ran at the same time');
    } finally {
      await one.close();
      await two.close();
    }
  });
});
