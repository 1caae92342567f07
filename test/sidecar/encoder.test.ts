import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ErrorCodes } from '../../src/shared/protocol';
import { Encoder } from '../../src/sidecar/encoder/encoder';
import { cudaMissingReason } from '../../src/sidecar/encoder/session';
import { EngineError } from '../../src/sidecar/errors';
import { cleanup, memoryLogger, modelDir, requireModel, tempDir } from './helpers';

interface Reference {
  texts: Array<{ text: string; kind: 'query' | 'passage'; input_ids: number[]; embedding: number[] }>;
}

function isModelInvalid(file: string) {
  return (e: unknown): boolean => e instanceof EngineError && e.code === ErrorCodes.ModelInvalid && (e.data as { file: string }).file === file;
}

describe('encoder (onnxruntime, demo model)', function () {
  let enc: Encoder;
  before(async function () {
    requireModel();
    enc = await Encoder.open({ modelDir, device: 'cpu', precision: 'fp32', threads: 2 }, memoryLogger());
  });
  after(async () => enc?.close());

  it('matches reference.json: token ids equal, embeddings within 1e-4', async function () {
    const refFile = path.join(modelDir, 'reference.json');
    assert.ok(fs.existsSync(refFile), `${refFile} is missing: the model folder must ship reference.json (written by the export)`);
    const ref = JSON.parse(fs.readFileSync(refFile, 'utf8')) as Reference;
    assert.ok(ref.texts.length > 0);
    for (const kind of ['query', 'passage'] as const) {
      const items = ref.texts.filter((t) => t.kind === kind);
      const ids = enc.tokenize(items.map((t) => t.text), kind);
      items.forEach((t, i) => assert.deepEqual(ids[i], t.input_ids, `token ids of ${kind} ${i}`));
      const vecs = await enc.embed(items.map((t) => t.text), kind);
      items.forEach((t, i) => {
        let max = 0;
        t.embedding.forEach((v, d) => (max = Math.max(max, Math.abs(v - vecs[i][d]))));
        assert.ok(max < 1e-4, `${kind} ${i}: max abs diff ${max}`);
      });
    }
  });

  it('gives the same vectors in any batch order (length bucketing restores order)', async () => {
    const texts = ['chest pain', 'a much longer passage about hypertension and heart failure follow up visit', 'gout'];
    const together = await enc.embed(texts, 'passage');
    for (let i = 0; i < texts.length; i++) {
      const [alone] = await enc.embed([texts[i]], 'passage');
      alone.forEach((v, d) => assert.ok(Math.abs(v - together[i][d]) < 1e-5));
    }
  });

  it('truncates a long passage to max_length and keeps [SEP]', () => {
    const [ids] = enc.tokenize(['fever '.repeat(1000)], 'passage');
    assert.equal(ids.length, enc.model.drehr.maxLength.passage);
    assert.equal(ids.at(-1), enc.tokenizer.ids.sep);
  });

  it('checks cancellation between batches', async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(enc.embed(['x', 'y'], 'passage', { signal: ac.signal }), /Cancelled/);
  });

  describe('broken model folders name the file', () => {
    let dir: string;
    beforeEach(() => {
      dir = tempDir('badmodel');
      fs.cpSync(modelDir, dir, { recursive: true });
    });
    afterEach(() => cleanup(dir));
    const open = (): Promise<Encoder> => Encoder.open({ modelDir: dir, device: 'cpu', threads: 1 }, memoryLogger());

    for (const file of ['drehr.json', 'tokenizer.json', 'config.json', 'onnx/model.onnx']) {
      it(`missing ${file}`, async () => {
        fs.rmSync(path.join(dir, file));
        await assert.rejects(open(), isModelInvalid(file));
      });
    }
    it('garbage JSON', async () => {
      fs.writeFileSync(path.join(dir, 'drehr.json'), '{ not json');
      await assert.rejects(open(), isModelInvalid('drehr.json'));
    });
    it('a corrupt ONNX file', async () => {
      fs.writeFileSync(path.join(dir, 'onnx/model.onnx'), Buffer.from('this is not a protobuf at all'));
      await assert.rejects(open(), isModelInvalid('onnx/model.onnx'));
    });
    it('a dim that does not match the model', async () => {
      const d = JSON.parse(fs.readFileSync(path.join(dir, 'drehr.json'), 'utf8')) as { dim: number };
      d.dim += 1;
      fs.writeFileSync(path.join(dir, 'drehr.json'), JSON.stringify(d));
      await assert.rejects(open(), isModelInvalid('drehr.json'));
    });
    it('a missing folder', async () => {
      cleanup(dir);
      await assert.rejects(open(), isModelInvalid('.'));
    });
  });

  describe('device', () => {
    it('auto falls back to CPU with one log line when CUDA cannot load', async function () {
      if (!cudaMissingReason()) this.skip();
      const log = memoryLogger();
      const e = await Encoder.open({ modelDir, device: 'auto', threads: 1 }, log);
      await e.close();
      assert.equal(e.device, 'cpu');
      assert.equal(log.lines.filter((l) => /CUDA is not available/.test(l)).length, 1);
    });
    it('explicit cuda fails with DeviceUnavailable and the reason', async function () {
      if (!cudaMissingReason()) this.skip();
      await assert.rejects(
        Encoder.open({ modelDir, device: 'cuda', threads: 1 }, memoryLogger()),
        (e: unknown) => e instanceof EngineError && e.code === ErrorCodes.DeviceUnavailable && typeof (e.data as { reason: string }).reason === 'string',
      );
    });
  });
});
