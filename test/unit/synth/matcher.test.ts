import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultEngineConfig } from '../../../src/sidecar/defaults';
import { loadGraph, parseGraph } from '../../../src/sidecar/graph/graph';
import { EntityMatcher } from '../../../src/sidecar/graph/matcher';
import { Scanner } from '../../../src/sidecar/indexer/scan';
import { chunkNote } from '../../../src/sidecar/notes/chunker';
import { parseNoteFile } from '../../../src/sidecar/notes/parse';

// Mocha runs from the repository root.
const root = process.cwd();
const GRAPH = path.join(root, 'models', 'demo', 'graph.jsonl.gz');

interface GoldenLine {
  kind: 'golden' | 'demo' | 'case';
  id: string;
  text?: string;
  matches: Array<[number, number, string, string, string]>;
}

function demoChunks(): Map<string, string> {
  const notesRoot = path.join(root, 'demo', 'notes');
  const cfg = defaultEngineConfig(notesRoot, '.');
  const out = new Map<string, string>();
  for (const f of new Scanner({ root: notesRoot, include: cfg.include, exclude: cfg.exclude, skip: [] }).scan()) {
    const parsed = parseNoteFile(f.rel, fs.readFileSync(path.join(notesRoot, f.rel)), { columns: cfg.columns, maxFileBytes: cfg.maxFileBytes });
    for (const note of parsed.notes) for (const c of chunkNote(note, cfg.chunking)) out.set(c.id, c.text);
  }
  return out;
}

describe('EntityMatcher (TypeScript port of drehr_train.trie)', () => {
  it('reproduces matcher-golden.jsonl exactly (golden chunks, every demo chunk, the case table)', function () {
    this.timeout(60000);
    const matcher = new EntityMatcher(loadGraph(GRAPH));
    const golden = fs
      .readFileSync(path.join(root, 'test', 'fixtures', 'matcher-golden.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as GoldenLine);
    const goldenChunks = new Map(
      fs.readFileSync(path.join(root, 'test', 'fixtures', 'chunks-golden.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).map((l) => {
        const o = JSON.parse(l) as { id: string; text: string };
        return [o.id, o.text] as const;
      }),
    );
    const demo = demoChunks();
    assert.equal(golden.filter((g) => g.kind === 'demo').length, demo.size, 'the golden file covers every demo chunk');
    let compared = 0;
    let matches = 0;
    for (const g of golden) {
      const text = g.kind === 'case' ? g.text : g.kind === 'golden' ? goldenChunks.get(g.id) : demo.get(g.id);
      assert.ok(text !== undefined, `no text for ${g.kind} ${g.id}`);
      const got = matcher.find(text).map((m) => [m.start, m.end, m.conceptId, m.surface, m.kind]);
      assert.deepEqual(got, g.matches, `${g.kind} ${g.id}`);
      compared++;
      matches += got.length;
    }
    assert.ok(compared > 900 && matches > 5000, `${compared} texts, ${matches} matches`);
  });

  const g = parseGraph(
    [
      { id: 'D:1', name: 'heart failure', synonyms: ['cardiac failure'], abbreviations: [['hf', 0.9]], type: 'disease' },
      { id: 'D:2', name: 'congestive heart failure', abbreviations: [['chf', 1.0]], parents: ['D:1'], type: 'disease' },
      { id: 'D:3', name: 'hypertension', synonyms: ['HTN'], abbreviations: [['htn', 1.0]], type: 'disease' },
      { id: 'D:4', name: 'cancer', abbreviations: [['ca', 0.7], ['as', 0.9]], type: 'disease' },
      { id: 'P:1', name: 'status post', abbreviations: [['s/p', 1.0]], type: 'procedure' },
      { id: 'D:5', name: 'mitral insufficiency', abbreviations: [['mi', 0.3]], type: 'disease' },
    ]
      .map((o) => JSON.stringify(o))
      .join('\n') + '\n{broken\n',
  );

  it('reports a broken graph line and loads the rest', () => {
    assert.equal(g.concepts.size, 6);
    assert.equal(g.warnings.length, 1);
    assert.match(g.warnings[0], /graph:7: broken concept line/);
  });

  it('longest match first, whole tokens, case rules (the Python unit test cases)', () => {
    const m = new EntityMatcher(g);
    assert.deepEqual(
      m.find('Congestive heart failure and cardiac failure.').map((h) => [h.conceptId, h.surface, h.kind]),
      [
        ['D:2', 'Congestive heart failure', 'name'],
        ['D:1', 'cardiac failure', 'synonym'],
      ],
    );
    assert.deepEqual(m.find('prehypertension hypertensions'), []);
    assert.deepEqual(m.find('Hx of HTN and CHF').map((h) => h.conceptId), ['D:3', 'D:2']);
    assert.deepEqual(m.find('as it was htn chf'), []);
    assert.deepEqual(m.find('CA 19-9 and AS noted'), []);
    assert.deepEqual(m.find('MI'), []);
    assert.deepEqual(m.find('s/p CABG, S/P fall').map((h) => h.conceptId), ['P:1', 'P:1']);
    assert.equal(m.find('HTN')[0].kind, 'abbreviation');
  });
});
