import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_EXCLUDE, DEFAULT_INCLUDE } from '../../../src/sidecar/defaults';
import { Scanner } from '../../../src/sidecar/indexer/scan';

describe('scanner', () => {
  let root: string;
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'drehr-scan-'));
    for (const f of ['a.md', 'p1/b.txt', 'p1/README.md', 'exp/x.csv', 'exp/y.jsonl', 'img.png', 'node_modules/m/c.md', '.git/d.txt', '.drehr/index/e.md', 'idx/f.md']) {
      fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
      fs.writeFileSync(path.join(root, f), 'x');
    }
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('finds note files by the default globs, skipping excluded folders and the index', () => {
    const s = new Scanner({ root, include: DEFAULT_INCLUDE, exclude: DEFAULT_EXCLUDE, skip: [path.join(root, 'idx')] });
    assert.deepEqual(
      s.scan().map((f) => f.rel),
      ['a.md', 'exp/x.csv', 'exp/y.jsonl', 'p1/b.txt'],
    );
  });
  it('scans one folder or one file', () => {
    const s = new Scanner({ root, include: DEFAULT_INCLUDE, exclude: DEFAULT_EXCLUDE, skip: [] });
    assert.deepEqual(
      s.scan(path.join(root, 'exp')).map((f) => f.rel),
      ['exp/x.csv', 'exp/y.jsonl'],
    );
    assert.deepEqual(
      s.scan(path.join(root, 'p1', 'b.txt')).map((f) => f.rel),
      ['p1/b.txt'],
    );
    assert.deepEqual(s.scan(path.join(root, 'p1', 'README.md')), []);
  });
  it('honours narrower include globs', () => {
    const s = new Scanner({ root, include: ['p1/**/*.txt'], exclude: [], skip: [] });
    assert.deepEqual(
      s.scan().map((f) => f.rel),
      ['p1/b.txt'],
    );
  });
});
