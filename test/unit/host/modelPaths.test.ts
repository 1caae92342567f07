import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeModel, findModelFolders, settingValue } from '../../../src/commands/modelPaths';

describe('Select Model helpers', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drehr-models-'));
    const mk = (rel: string, json: string) => {
      fs.mkdirSync(path.join(dir, rel), { recursive: true });
      fs.writeFileSync(path.join(dir, rel, 'drehr.json'), json);
    };
    mk('run-a/model', JSON.stringify({ name: 'Run A', trained: true, description: 'stage 1' }));
    mk('run-b/checkpoints/step-000010', JSON.stringify({ name: 'B', trained: false }));
    mk('run-c/model', '{ not json');
    mk('.hidden/model', '{}');
    mk('deep/a/b/c/model', '{}');
    fs.mkdirSync(path.join(dir, 'run-d/model'), { recursive: true });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('finds folders with a drehr.json up to three levels down, skipping hidden ones', async () => {
    const found = (await findModelFolders(dir)).map((d) => path.relative(dir, d));
    assert.deepEqual(found, ['run-a/model', 'run-b/checkpoints/step-000010', 'run-c/model'].map((p) => p.split('/').join(path.sep)));
    assert.deepEqual(await findModelFolders(path.join(dir, 'missing')), []);
  });

  it('describes a model from its drehr.json and survives a broken one', async () => {
    assert.equal(await describeModel(path.join(dir, 'run-a/model')), 'Run A — stage 1');
    assert.equal(await describeModel(path.join(dir, 'run-b/checkpoints/step-000010')), 'B (untrained)');
    assert.equal(await describeModel(path.join(dir, 'run-c/model')), 'drehr.json unreadable');
  });

  it('writes the demo model as empty, workspace folders relative, others absolute', () => {
    assert.equal(settingValue('/ext/models/demo', '/ext/models/demo', '/ws'), '');
    assert.equal(settingValue('/ws/.drehr/runs/a/model', '/ext/models/demo', '/ws'), '.drehr/runs/a/model');
    assert.equal(settingValue('/elsewhere/m', '/ext/models/demo', '/ws'), '/elsewhere/m');
    assert.equal(settingValue('/ws', '/ext/models/demo', '/ws'), '/ws');
    assert.equal(settingValue('/other/m', '/ext/models/demo', undefined), '/other/m');
  });
});
