import * as assert from 'node:assert/strict';
import { DEFAULT_EXCLUDE, DEFAULT_INCLUDE } from '../../../src/config';
import { GlobSet, globToRegExp, isExcludedFolder, isNotePath } from '../../../src/shared/glob';

describe('watcher globs', () => {
  const inc = new GlobSet(DEFAULT_INCLUDE);
  const exc = new GlobSet(DEFAULT_EXCLUDE);

  it('matches notes at any depth, including the root', () => {
    for (const p of ['a.txt', 'p001/n.md', 'exports/notes.csv', 'a/b/c/d.jsonl']) assert.ok(isNotePath(p, inc, exc), p);
    for (const p of ['a.pdf', 'p001/n.md.bak', 'x/txt']) assert.ok(!isNotePath(p, inc, exc), p);
  });

  it('excludes the index, git, node_modules and READMEs', () => {
    for (const p of ['.drehr/index/x.txt', 'a/.git/HEAD.md', 'node_modules/x/readme.md', 'README.md', 'docs/README.md']) {
      assert.ok(!isNotePath(p, inc, exc), p);
    }
    assert.ok(isExcludedFolder('.drehr', exc));
    assert.ok(isExcludedFolder('.drehr/index/data', exc));
    assert.ok(isExcludedFolder('sub/node_modules', exc));
    assert.ok(!isExcludedFolder('p001', exc));
  });

  it('supports *, ?, {a,b}, [..] and escapes regex characters', () => {
    assert.ok(globToRegExp('notes/*.{txt,md}').test('notes/a.md'));
    assert.ok(!globToRegExp('notes/*.{txt,md}').test('notes/sub/a.md'));
    assert.ok(globToRegExp('p00?/*.md').test('p001/x.md'));
    assert.ok(globToRegExp('[ab]*.csv').test('b1.csv'));
    assert.ok(!globToRegExp('[!ab]*.csv').test('b1.csv'));
    assert.ok(globToRegExp('a+b (1).txt').test('a+b (1).txt'));
    assert.ok(!globToRegExp('a.txt').test('abtxt'));
    assert.ok(globToRegExp('./x/**').test('x/y/z'));
    assert.ok(new GlobSet(['**/*.md']).matches('.\\sub\\a.md'));
  });
});
