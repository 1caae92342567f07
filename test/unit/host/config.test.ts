import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import {
  DEFAULT_EXCLUDE,
  DEFAULT_INCLUDE,
  engineChange,
  engineConfig,
  indexLocation,
  readConfig,
  resolvePath,
  restartNeed,
  settingsReader,
} from './configHelpers';

describe('host config', () => {
  it('gives the documented defaults for empty settings', () => {
    const { config, warnings } = readConfig(settingsReader({}));
    assert.deepEqual(warnings, []);
    assert.equal(config.modelPath, '');
    assert.equal(config.device, 'auto');
    assert.equal(config.precision, 'auto');
    assert.deepEqual(config.include, DEFAULT_INCLUDE);
    assert.deepEqual(config.exclude, DEFAULT_EXCLUDE);
    assert.deepEqual(config.chunking, { words: 100, overlap: 10, minWords: 50 });
    assert.equal(config.maxFileBytes, 64 * 1024 * 1024);
    assert.equal(config.searchMode, 'hybrid');
    assert.equal(config.resultCount, 20);
    assert.equal(config.watch, true);
    assert.equal(config.queryExpansion, true);
    assert.equal(config.runsFolder, '.drehr/runs');
  });

  it('replaces values of the wrong type and says which', () => {
    const { config, warnings } = readConfig(
      settingsReader({ device: 'gpu', 'search.mode': 3, 'search.resultCount': 'many', 'index.watch': 'yes', modelPath: 42 }),
    );
    assert.equal(config.device, 'auto');
    assert.equal(config.searchMode, 'hybrid');
    assert.equal(config.resultCount, 20);
    assert.equal(config.watch, true);
    assert.equal(config.modelPath, '');
    assert.equal(warnings.length, 5);
    assert.ok(warnings.some((w) => w.includes('drehr.device') && w.includes('auto, cpu, cuda')));
    const bad = readConfig(settingsReader({ precision: 'fp16' }));
    assert.equal(bad.config.precision, 'auto');
    assert.ok(bad.warnings.some((w) => w.includes('drehr.precision') && w.includes('auto, fp32, int8')));
    assert.equal(readConfig(settingsReader({ precision: 'int8' })).config.precision, 'int8');
  });

  it('clamps numbers into range and keeps chunking consistent', () => {
    const { config, warnings } = readConfig(
      settingsReader({ 'chunking.words': 20, 'chunking.overlap': 25, 'chunking.minWords': 0, 'search.resultCount': 1000, 'notes.maxFileSizeMB': 0 }),
    );
    assert.deepEqual(config.chunking, { words: 20, overlap: 19, minWords: 1 });
    assert.equal(config.resultCount, 200);
    assert.equal(config.maxFileBytes, 1024 * 1024);
    assert.equal(warnings.length, 4);
  });

  it('rounds fractional numbers', () => {
    const { config } = readConfig(settingsReader({ 'chunking.words': 99.6 }));
    assert.equal(config.chunking.words, 100);
  });

  it('drops non-string globs, de-duplicates, and refuses an empty include list', () => {
    const a = readConfig(settingsReader({ 'notes.include': ['**/*.txt', 7, '', '**/*.txt', ' **/*.md '] }));
    assert.deepEqual(a.config.include, ['**/*.txt', '**/*.md']);
    assert.equal(a.warnings.length, 1);
    const b = readConfig(settingsReader({ 'notes.include': [] }));
    assert.deepEqual(b.config.include, DEFAULT_INCLUDE);
    assert.match(b.warnings[0] ?? '', /empty/);
    const c = readConfig(settingsReader({ 'notes.exclude': [] }));
    assert.deepEqual(c.config.exclude, []);
    assert.deepEqual(c.warnings, []);
    const d = readConfig(settingsReader({ 'notes.exclude': 'node_modules' }));
    assert.deepEqual(d.config.exclude, DEFAULT_EXCLUDE);
  });

  it('resolves path settings: ~, ${workspaceFolder}, relative, URIs', () => {
    const ws = path.resolve('/work/ws');
    assert.equal(resolvePath('~/models/x', ws, '/home/u'), path.join('/home/u', 'models/x'));
    assert.equal(resolvePath('~', ws, '/home/u'), path.resolve('/home/u'));
    assert.equal(resolvePath('${workspaceFolder}/m', ws), path.join(ws, 'm'));
    assert.equal(resolvePath('${userHome}/m', ws, '/home/u'), path.join('/home/u', 'm'));
    assert.equal(resolvePath('models/x', ws), path.join(ws, 'models/x'));
    assert.equal(resolvePath('/abs/x', ws), path.resolve('/abs/x'));
    assert.equal(resolvePath('s3://bucket/index', ws), 's3://bucket/index');
    assert.equal(resolvePath('memory://', ws), 'memory://');
  });

  it('builds the EngineConfig with the demo model and .drehr/index by default', () => {
    const { config } = readConfig(settingsReader({}));
    const e = engineConfig(config, { workspaceRoot: '/ws', extensionPath: '/ext' });
    assert.equal(e.modelDir, path.join('/ext', 'models', 'demo'));
    assert.equal(e.indexLocation, path.join('/ws', '.drehr', 'index'));
    assert.equal(e.workspaceRoot, '/ws');
    assert.equal(e.maxFileBytes, 64 * 1024 * 1024);
    assert.equal(e.precision, 'auto');
    assert.deepEqual(e.columns, { text: '', patientId: '', noteId: '', noteType: '', date: '' });
    const custom = readConfig(settingsReader({ modelPath: 'runs/a/model', 'index.location': 's3://b/i', 'columns.text': 'TEXT' })).config;
    const e2 = engineConfig(custom, { workspaceRoot: '/ws', extensionPath: '/ext' });
    assert.equal(e2.modelDir, path.join('/ws', 'runs/a/model'));
    assert.equal(e2.indexLocation, 's3://b/i');
    assert.equal(e2.columns.text, 'TEXT');
    assert.equal(indexLocation(custom, '/ws'), 's3://b/i');
  });

  it('knows which settings restart the sidecar and which re-initialize it', () => {
    const affects = (keys: string[]) => (s: string) => keys.some((k) => k === s || k.startsWith(s + '.'));
    assert.equal(restartNeed(affects(['drehr.modelPath'])), 'restart');
    assert.equal(restartNeed(affects(['drehr.device'])), 'restart');
    assert.equal(restartNeed(affects(['drehr.chunking.words'])), 'reinitialize');
    assert.equal(restartNeed(affects(['drehr.precision'])), 'reinitialize'); // a new Initialize opens a new encoder
    assert.equal(restartNeed(affects(['drehr.columns.text'])), 'reinitialize');
    assert.equal(restartNeed(affects(['drehr.notes.include'])), 'reinitialize');
    assert.equal(restartNeed(affects(['drehr.index.location'])), 'reinitialize');
    assert.equal(restartNeed(affects(['drehr.search.mode'])), 'none');
    assert.equal(restartNeed(affects(['drehr.search.queryExpansion'])), 'none', 'every search sends expand');
    assert.equal(restartNeed(affects(['drehr.index.watch'])), 'none');
    assert.equal(restartNeed(affects(['editor.fontSize'])), 'none');
  });
});

describe('host config: what a change asks of the sidecar', () => {
  const base = engineConfig(readConfig(settingsReader({})).config, { workspaceRoot: '/ws', extensionPath: '/ext' });
  it('nothing when the sidecar runs with these settings, or has none yet', () => {
    assert.deepEqual(engineChange(base, { ...base }), { need: 'none', keys: [] });
    assert.deepEqual(engineChange(undefined, base), { need: 'none', keys: [] });
  });
  it('query expansion never needs the sidecar (each search sends expand)', () => {
    assert.deepEqual(engineChange(base, { ...base, queryExpansion: !base.queryExpansion }), { need: 'none', keys: [] });
  });
  it('a new process for the model or device, a new Initialize for the rest; names the settings', () => {
    assert.deepEqual(engineChange(base, { ...base, chunking: { ...base.chunking, words: 80 } }), { need: 'reinitialize', keys: ['drehr.chunking'] });
    assert.deepEqual(engineChange(base, { ...base, include: ['**/*.txt'], modelDir: '/m2' }), { need: 'restart', keys: ['drehr.modelPath', 'drehr.notes.include'] });
    assert.deepEqual(engineChange(base, { ...base, device: 'cuda' }), { need: 'restart', keys: ['drehr.device'] });
  });
});
