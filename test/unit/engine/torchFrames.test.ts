import * as assert from 'node:assert/strict';
import { decideEngine, noNvidiaReason } from '../../../src/sidecar/encoder/engineChoice';
import { emptyManifest, engineTag, fingerprintChange, noteWriter } from '../../../src/sidecar/indexer/manifest';
import { decodeEmbeddings, embedFrame, FrameReader, HEADER_BYTES, writeHeader } from '../../../src/sidecar/encoder/torchEngine';

describe('PyTorch engine framing', () => {
  it('an EMBED frame holds the header, ids padded with [PAD] and the mask', () => {
    const { frame, rows, cols } = embedFrame(7, [[2, 10, 3], [2, 3]], 0);
    assert.deepEqual([rows, cols], [2, 3]);
    assert.equal(frame.readUInt32LE(0), 2 * 3 * 8);
    assert.deepEqual([frame.readUInt8(4), frame.readUInt8(5), frame.readUInt32LE(8), frame.readUInt32LE(12), frame.readUInt32LE(16)], [1, 1, 7, 2, 3]);
    const body = new Int32Array(frame.buffer.slice(frame.byteOffset + HEADER_BYTES, frame.byteOffset + frame.length));
    assert.deepEqual([...body], [2, 10, 3, 2, 3, 0, 1, 1, 1, 1, 1, 0]);
  });

  it('reads frames split across chunks and several frames in one chunk', () => {
    const f = (id: number, values: number[]): Buffer => {
      const b = Buffer.alloc(HEADER_BYTES + values.length * 4);
      writeHeader(b, values.length * 4, 2, 2, id, 1, values.length);
      values.forEach((v, i) => b.writeFloatLE(v, HEADER_BYTES + i * 4));
      return b;
    };
    const all = Buffer.concat([f(1, [0.5, -1]), f(2, [2, 3]), f(3, [4, 5])]);
    const r = new FrameReader();
    const got = [...r.feed(all.subarray(0, 5)), ...r.feed(all.subarray(5, 30)), ...r.feed(all.subarray(30))];
    assert.deepEqual(got.map((x) => x.id), [1, 2, 3]);
    assert.deepEqual([...decodeEmbeddings(got[0])[0]], [0.5, -1]);
    assert.deepEqual([...decodeEmbeddings(got[2])[0]], [4, 5]);
  });

  it('decodes float16 embeddings', () => {
    const body = Buffer.alloc(6);
    [0x3c00, 0xc000, 0x3555].forEach((h, i) => body.writeUInt16LE(h, i * 2)); // 1, -2, ~0.3333
    const [v] = decodeEmbeddings({ kind: 2, dtype: 3, id: 1, rows: 1, cols: 3, body });
    assert.equal(v[0], 1);
    assert.equal(v[1], -2);
    assert.ok(Math.abs(v[2] - 1 / 3) < 1e-3);
  });

  it('refuses an embeddings body of the wrong size', () => {
    assert.throws(() => decodeEmbeddings({ kind: 2, dtype: 2, id: 1, rows: 2, cols: 3, body: Buffer.alloc(8) }), /24|8 bytes/);
  });
});

describe('engine choice', () => {
  const cuda = { ok: true as const, torch: '2.4.0', cuda: true, gpu: 'NVIDIA H100' };
  it('explicit choices win', () => {
    assert.equal(decideEngine('onnx', 'cuda', 'py', cuda).engine, 'onnx');
    assert.equal(decideEngine('torch', 'cpu', 'py', undefined).engine, 'torch');
  });
  it('auto: torch only with PyTorch and a usable CUDA GPU, and says why', () => {
    assert.deepEqual(decideEngine('auto', 'auto', 'py', cuda), { engine: 'torch', reason: 'PyTorch 2.4.0 in py sees a CUDA GPU (NVIDIA H100)' });
    assert.match(decideEngine('auto', 'cpu', 'py', cuda).reason, /drehr.device is cpu/);
    assert.match(decideEngine('auto', 'auto', 'py', { ...cuda, cuda: false }).reason, /sees no usable CUDA GPU/);
    assert.match(decideEngine('auto', 'auto', 'py', { ok: false, reason: "ModuleNotFoundError: No module named 'torch'" }).reason, /py cannot run PyTorch \(ModuleNotFoundError/);
    assert.equal(decideEngine('auto', 'auto', 'py', undefined, 'macOS has no CUDA').reason, 'macOS has no CUDA');
  });
  it('knows without Python where no NVIDIA driver exists', () => {
    assert.match(noNvidiaReason('linux', () => false) ?? '', /no NVIDIA driver/);
    assert.equal(noNvidiaReason('linux', (p) => p === '/proc/driver/nvidia'), undefined);
    assert.equal(noNvidiaReason('win32', () => false), undefined);
  });
});

describe('manifest: which engine wrote the index', () => {
  it('records each engine and precision once, and a change of engine does not re-embed', () => {
    const fp = { modelId: 'm', chunker: 'c', chunking: { words: 100, overlap: 10, minWords: 50 }, columns: { text: '', patientId: '', noteId: '', noteType: '', date: '' } };
    const m = emptyManifest(fp);
    noteWriter(m, engineTag({ engine: 'torch', dtype: 'fp16' }));
    noteWriter(m, engineTag({}));
    noteWriter(m, engineTag({ engine: 'onnx' }));
    assert.deepEqual(m.writtenBy, ['onnx-fp32', 'torch-fp16']);
    assert.equal(fingerprintChange(m, fp), undefined);
  });
});
