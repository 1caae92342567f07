import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { latestManifest, referencedFiles, tableDamage } from '../../../src/sidecar/store/integrity';

/** A protobuf-like string field: tag, one-byte length, bytes. */
const field = (name: string): Buffer => Buffer.concat([Buffer.from([0x0a, name.length]), Buffer.from(name, 'latin1')]);

describe('index table integrity check', () => {
  it('reads file names from a manifest by their length prefix, not glued to neighbouring bytes', () => {
    // '8' (56) is the length of the first name and also a name character; a '0' (48) inside a name is a chance match.
    const a = '10100111010110000011110053a59e43f586579869a27ae7de.lance';
    const m = Buffer.concat([Buffer.from('xx'), field(a), Buffer.from([0x10, 0x05]), field('part_0_docs.lance'), Buffer.from('zz.lance')]);
    assert.deepEqual(referencedFiles(m).sort(), [a, 'part_0_docs.lance']);
  });
  it('finds the latest version in both manifest namings', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drehr-int-'));
    try {
      fs.mkdirSync(path.join(dir, '_versions'));
      for (const n of ['1', '2', '10']) fs.writeFileSync(path.join(dir, '_versions', `${n}.manifest`), '');
      assert.equal(path.basename(latestManifest(dir) ?? ''), '10.manifest');
      fs.rmSync(path.join(dir, '_versions'), { recursive: true });
      fs.mkdirSync(path.join(dir, '_versions'));
      for (const n of ['18446744073709551607', '18446744073709551612']) fs.writeFileSync(path.join(dir, '_versions', `${n}.manifest`), '');
      assert.equal(path.basename(latestManifest(dir) ?? ''), '18446744073709551607.manifest');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  it('names missing and cut-short files, and passes a whole table', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drehr-int-'));
    try {
      fs.mkdirSync(path.join(dir, '_versions'));
      fs.mkdirSync(path.join(dir, 'data'));
      fs.writeFileSync(path.join(dir, '_versions', '1.manifest'), Buffer.concat([field('aaaa.lance'), field('bbbb.lance'), field('cccc.lance')]));
      for (const n of ['aaaa', 'bbbb', 'cccc']) fs.writeFileSync(path.join(dir, 'data', `${n}.lance`), 'rows…LANC');
      assert.equal(tableDamage(dir), undefined);
      fs.rmSync(path.join(dir, 'data', 'bbbb.lance'));
      fs.writeFileSync(path.join(dir, 'data', 'cccc.lance'), 'rows…');
      assert.equal(tableDamage(dir), 'the index table is damaged: 1 file is missing (bbbb.lance); 1 file is cut short (cccc.lance)');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
