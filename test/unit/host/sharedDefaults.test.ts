import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_CHUNKING, DEFAULT_EXCLUDE, DEFAULT_INCLUDE, DEFAULT_MAX_FILE_MB, DEFAULT_SEARCH_MODE, SEARCH_MODES, isSearchMode, isUri } from '../../../src/shared/defaults';
import { ErrorCodes } from '../../../src/shared/protocol';
import { CODES } from '../../../src/sidecar-client/errors';
import { defaultEngineConfig } from '../../../src/sidecar/defaults';
import { readConfig } from '../../../src/config';

const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', '..', 'package.json'), 'utf8')) as {
  contributes: { configuration: { properties: Record<string, { default?: unknown; enum?: unknown[] }> } };
};
const setting = (k: string) => pkg.contributes.configuration.properties[`drehr.${k}`];

describe('shared contract defaults (one declaration)', () => {
  it('package.json states the same defaults as src/shared/defaults.ts', () => {
    assert.deepEqual(setting('notes.include').default, DEFAULT_INCLUDE);
    assert.deepEqual(setting('notes.exclude').default, DEFAULT_EXCLUDE);
    assert.equal(setting('notes.maxFileSizeMB').default, DEFAULT_MAX_FILE_MB);
    assert.equal(setting('chunking.words').default, DEFAULT_CHUNKING.words);
    assert.equal(setting('chunking.overlap').default, DEFAULT_CHUNKING.overlap);
    assert.equal(setting('chunking.minWords').default, DEFAULT_CHUNKING.minWords);
    assert.deepEqual(setting('search.mode').enum, [...SEARCH_MODES]);
    assert.equal(setting('search.mode').default, DEFAULT_SEARCH_MODE);
  });

  it('the extension settings and the CLI/eval defaults agree', () => {
    const host = readConfig({ get: () => undefined }).config;
    const cli = defaultEngineConfig('/w', '/m');
    assert.deepEqual(host.include, cli.include);
    assert.deepEqual(host.exclude, cli.exclude);
    assert.deepEqual(host.chunking, cli.chunking);
    assert.equal(host.maxFileBytes, cli.maxFileBytes);
  });

  it('isUri: a LanceDB URI, never a local or Windows drive path', () => {
    for (const u of ['s3://bucket/idx', 'gs://b/i', 'az://c/i', 'db://remote', 'memory://x']) assert.ok(isUri(u), u);
    // A one-letter scheme is a drive letter: the engine's old copy called this a URI, the settings' copy did not.
    for (const p of ['C://notes/index', 'c:\\notes', '/home/u/.drehr/index', 'relative/index', '~/index']) assert.ok(!isUri(p), p);
  });

  it('isSearchMode accepts exactly the modes', () => {
    for (const m of SEARCH_MODES) assert.ok(isSearchMode(m));
    for (const m of ['', 'HYBRID', 'semantic', 3, undefined]) assert.ok(!isSearchMode(m));
  });

  it('the client knows every sidecar error code', () => {
    for (const [name, code] of Object.entries(ErrorCodes)) assert.equal((CODES as Record<string, number>)[name], code, name);
  });
});
