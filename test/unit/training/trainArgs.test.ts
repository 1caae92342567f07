import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RunsModel } from '../../../src/training/runsModel';
import { checkBaseModel, dataFromArgs, type PickContext } from '../../../src/training/trainArgs';
import { validateRunConfig, buildRunConfig } from '../../../src/training/runConfig';

const pc: PickContext = {
  workspaceRoot: '/ws',
  currentModelDir: '/ext/models/demo',
  demoModelDir: '/ext/models/demo',
  model: new RunsModel('/ws/.drehr/runs'),
  notes: { include: ['**/*.md'], exclude: ['**/.drehr/**'], chunking: { words: 100, overlap: 10, minWords: 50 } },
};

describe('training: answers given as a command argument', () => {
  it('Stage I defaults to the workspace notes, chunked like the index, and the shipped graph', () => {
    assert.deepEqual(dataFromArgs('stage1', {}, pc), {
      notes: '/ws', include: ['**/*.md'], exclude: ['**/.drehr/**'], chunking: { words: 100, overlap: 10, min_words: 50 }, graph: null,
    });
  });

  it('Stage I with a chunks file and a graph resolves them against the workspace', () => {
    const d = dataFromArgs('stage1', { chunks: 'data/chunks.jsonl', graph: '/g/umls.tsv' }, pc);
    assert.ok(typeof d !== 'string');
    assert.equal(d.chunks, '/ws/data/chunks.jsonl');
    assert.equal(d.notes, undefined);
    assert.equal(d.graph, '/g/umls.tsv');
  });

  it('Stage II needs pairs; labels are optional', () => {
    assert.match(dataFromArgs('stage2', {}, pc) as string, /needs "pairs"/);
    const d = dataFromArgs('stage2', { pairs: 'pairs.jsonl' }, pc);
    assert.ok(typeof d !== 'string');
    assert.equal(d.pairs, '/ws/pairs.jsonl');
    assert.equal(d.labels, null);
    // What the command builds from it is a valid run.json.
    const c = buildRunConfig({ stage: 'stage2', id: 'r', runDir: '/ws/.drehr/runs/r', baseModel: '/m', device: 'auto', nproc: 1, data: d, now: new Date() });
    assert.deepEqual(validateRunConfig(c), []);
  });

  it('a base model folder needs a config.json', async () => {
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'drehr-base-'));
    try {
      assert.match((await checkBaseModel(path.join(tmp, 'missing')))!, /does not exist/);
      assert.match((await checkBaseModel(tmp))!, /no config\.json/);
      await fs.writeFile(path.join(tmp, 'config.json'), '{}');
      assert.equal(await checkBaseModel(tmp), undefined);
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
  });
});
