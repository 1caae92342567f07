import * as assert from 'node:assert/strict';
import { emptyManifest, type FileEntry, type Manifest } from '../../../src/sidecar/indexer/manifest';
import { cudaVisibleFor, distEnvFrom, rankCudaVisible, foldRankManifest, parseShardFolderName, rankManifest, shardFolderName, shardOf } from '../../../src/sidecar/indexer/shard';

const entry = (hash: string): FileEntry => ({ hash, size: 1, mtimeMs: 1, chunks: 1, patients: { p: 1 }, problems: [] });

function manifestOf(rels: string[], pending: string[] = []): Manifest {
  const m = emptyManifest({ modelId: 'm', precision: 'fp32', chunker: 'c1', chunking: { words: 100, overlap: 10, minWords: 50 }, columns: {} } as never);
  for (const r of rels) m.files[r] = entry(`h-${r}`);
  m.pending = pending;
  return m;
}

const paths = Array.from({ length: 2000 }, (_, i) => `p${String(i % 97).padStart(3, '0')}/note-${i}.txt`);

describe('shard assignment', () => {
  it('is SHA-256 of the UTF-8 path, first 32 bits mod world: the same values Python hashlib gives', () => {
    // int.from_bytes(hashlib.sha256(p.encode()).digest()[:4], 'big') % n, computed in Python
    assert.deepEqual([2, 3, 7].map((n) => shardOf('p001/2023-01-05_discharge.txt', n)), [1, 0, 1]);
    assert.deepEqual([2, 3, 7].map((n) => shardOf('exports/aci_notes.csv', n)), [0, 2, 5]);
    assert.deepEqual([2, 3, 7].map((n) => shardOf('ü/é.txt', n)), [0, 0, 6]);
  });

  it('is stable across calls, covers every rank, and spreads files evenly', () => {
    for (const world of [1, 2, 3, 8]) {
      const counts = new Array<number>(world).fill(0);
      for (const p of paths) {
        const r = shardOf(p, world);
        assert.equal(shardOf(p, world), r);
        assert.ok(r >= 0 && r < world);
        counts[r]++;
      }
      // binomial: within 4 standard deviations of n / world
      const even = paths.length / world;
      const sd = Math.sqrt(paths.length * (1 / world) * (1 - 1 / world));
      for (const c of counts) assert.ok(Math.abs(c - even) <= 4 * sd, `world ${world}: ${counts.join(',')}`);
    }
  });

  it('rejects a world size that is not a positive integer', () => {
    assert.throws(() => shardOf('a', 0), RangeError);
    assert.throws(() => shardOf('a', 1.5), RangeError);
  });
});

describe('torchrun environment', () => {
  it('reads RANK, WORLD_SIZE, LOCAL_RANK (and LOCAL_WORLD_SIZE)', () => {
    assert.deepEqual(distEnvFrom({ RANK: '3', WORLD_SIZE: '4', LOCAL_RANK: '1', LOCAL_WORLD_SIZE: '2' }), { rank: 3, world: 4, localRank: 1, localWorld: 2 });
    assert.deepEqual(distEnvFrom({ RANK: '0', WORLD_SIZE: '1', LOCAL_RANK: '0' }), { rank: 0, world: 1, localRank: 0 });
  });

  it('names the missing variables and how to launch', () => {
    const r = distEnvFrom({ WORLD_SIZE: '2' });
    assert.ok('error' in r);
    assert.match(r.error, /RANK, LOCAL_RANK are not set/);
    assert.match(r.error, /torchrun --nproc_per_node N --no_python drehr index <folder> --distributed/);
    const none = distEnvFrom({});
    assert.ok('error' in none && /none of them is set/.test(none.error));
  });

  it('refuses values that make no sense', () => {
    for (const env of [
      { RANK: '2', WORLD_SIZE: '2', LOCAL_RANK: '0' },
      { RANK: '-1', WORLD_SIZE: '2', LOCAL_RANK: '0' },
      { RANK: '0', WORLD_SIZE: '0', LOCAL_RANK: '0' },
      { RANK: '0', WORLD_SIZE: 'two', LOCAL_RANK: '0' },
      { RANK: '0', WORLD_SIZE: '2', LOCAL_RANK: 'x' },
    ]) {
      assert.ok('error' in distEnvFrom(env), JSON.stringify(env));
    }
  });
});

describe('GPU per rank or worker (CUDA_VISIBLE_DEVICES)', () => {
  it('takes the index-th visible device, from the parent list when there is one', () => {
    assert.equal(cudaVisibleFor(1, undefined), '1');
    assert.equal(cudaVisibleFor(1, '4,5,6'), '5');
    assert.equal(cudaVisibleFor(0, ' GPU-aaa , GPU-bbb '), 'GPU-aaa');
  });
  it('a rank takes its LOCAL_RANK-th GPU, unless the device is cpu or there is no NVIDIA driver', () => {
    assert.equal(rankCudaVisible(2, 'auto', undefined, undefined, 4), '2');
    assert.equal(rankCudaVisible(1, 'cuda', '3,7', undefined), '7');
    assert.equal(rankCudaVisible(5, 'auto', undefined, undefined, 4), '1');
    assert.equal(rankCudaVisible(1, 'cpu', '3,7', undefined), undefined);
    assert.equal(rankCudaVisible(1, 'auto', undefined, 'no NVIDIA driver is loaded'), undefined);
  });
  it('wraps around past the device count (two ranks share a GPU rather than find none)', () => {
    assert.equal(cudaVisibleFor(3, '4,5'), '5');
    assert.equal(cudaVisibleFor(5, undefined, 4), '1');
    assert.equal(cudaVisibleFor(5, ''), '5');
  });
});

describe('rank manifests', () => {
  const rels = paths.slice(0, 60);

  it('cut per rank: each file in exactly one rank manifest, pending files with their rank', () => {
    const main = manifestOf(rels, [rels[3], rels[7]]);
    const parts = [0, 1, 2].map((r) => rankManifest(main, r, 3));
    for (const rel of rels) assert.equal(parts.filter((p) => rel in p.files).length, 1, rel);
    assert.deepEqual(parts.flatMap((p) => p.pending).sort(), [rels[3], rels[7]].sort());
    for (const [r, p] of parts.entries()) for (const rel of Object.keys(p.files)) assert.equal(shardOf(rel, 3), r);
  });

  it('folding the cut parts back gives the manifest again, and folding twice changes nothing', () => {
    const main = manifestOf(rels, [rels[5]]);
    let folded = main;
    for (let r = 0; r < 4; r++) folded = foldRankManifest(folded, rankManifest(main, r, 4), r, 4);
    assert.deepEqual(folded.files, main.files);
    assert.deepEqual(folded.pending, main.pending);
    const again = foldRankManifest(folded, rankManifest(main, 1, 4), 1, 4);
    assert.deepEqual(again, folded);
  });

  it('a rank\'s added, changed, removed and pending files replace its shard only', () => {
    const main = manifestOf(rels);
    const part = rankManifest(main, 1, 2);
    const [changed, removed] = Object.keys(part.files);
    part.files[changed] = entry('new');
    delete part.files[removed];
    const added = paths.slice(100).find((p) => shardOf(p, 2) === 1)!;
    part.files[added] = entry('added');
    part.pending = [added];
    part.writtenBy = ['torch-fp16'];
    const out = foldRankManifest({ ...main, writtenBy: ['onnx-fp32'] }, part, 1, 2);
    assert.equal(out.files[changed].hash, 'new');
    assert.ok(!(removed in out.files));
    assert.equal(out.files[added].hash, 'added');
    assert.deepEqual(out.pending, [added]);
    assert.deepEqual(out.writtenBy, ['onnx-fp32', 'torch-fp16']);
    for (const rel of rels) if (shardOf(rel, 2) === 0) assert.deepEqual(out.files[rel], main.files[rel]);
  });

  it('per-path resume records of streamed exports (`partial`) are cut and folded by shard like the files', () => {
    // untyped here: the record type belongs to the streaming reader
    type Partial = Record<string, { offset: number }> | undefined;
    const partialOf = (m: Manifest): Partial => (m as unknown as { partial?: Partial }).partial;
    const withPartial = (m: Manifest, p: Partial): Manifest => ({ ...m, partial: p }) as unknown as Manifest;
    const [a, b] = [rels.find((r) => shardOf(r, 2) === 0)!, rels.find((r) => shardOf(r, 2) === 1)!];
    const main = withPartial(manifestOf(rels, [a, b]), { [a]: { offset: 10 }, [b]: { offset: 20 } });
    const p1 = rankManifest(main, 1, 2);
    assert.deepEqual(partialOf(p1), { [b]: { offset: 20 } });
    assert.deepEqual(partialOf(foldRankManifest(main, withPartial(p1, { [b]: { offset: 99 } }), 1, 2)), { [a]: { offset: 10 }, [b]: { offset: 99 } });
    // rank 1 finished its export: no partial record left for it; rank 0's stays
    const done1 = withPartial(p1, undefined);
    assert.deepEqual(partialOf(foldRankManifest(main, done1, 1, 2)), { [a]: { offset: 10 } });
    const done0 = withPartial(rankManifest(main, 0, 2), undefined);
    assert.ok(!('partial' in foldRankManifest(foldRankManifest(main, done1, 1, 2), done0, 0, 2)));
  });

  it('folder names round-trip', () => {
    assert.deepEqual(parseShardFolderName(shardFolderName(2, 5)), { rank: 2, world: 5 });
    assert.equal(parseShardFolderName('shard-5-of-5'), undefined);
    assert.equal(parseShardFolderName('lock-rank-1'), undefined);
  });
});
