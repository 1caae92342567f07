import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { appendAudit, AUDIT_FILE, auditLine, osUser } from '../../../src/audit';

describe('audit trail', () => {
  it('writes one JSON object per line', () => {
    const line = auditLine({ time: '2031-01-01T00:00:00.000Z', user: 'u', action: 'patients', query: 'a "b"\nc', patients: 3 });
    assert.ok(line.endsWith('\n'));
    assert.equal(line.split('\n').length, 2);
    assert.deepEqual(JSON.parse(line), { time: '2031-01-01T00:00:00.000Z', user: 'u', action: 'patients', query: 'a "b"\nc', patients: 3 });
  });
  it('appends records to .drehr/audit.jsonl, creating the folder, never rewriting earlier ones', async () => {
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'drehr-audit-'));
    try {
      await appendAudit(ws, { action: 'search', query: 'htn', mode: 'hybrid', patients: 2, passages: 5 }, new Date('2031-02-03T04:05:06Z'));
      const first = fs.readFileSync(path.join(ws, AUDIT_FILE), 'utf8');
      await appendAudit(ws, { action: 'bundle', bundle: 'heart failure', patients: 7 });
      const text = fs.readFileSync(path.join(ws, AUDIT_FILE), 'utf8');
      assert.ok(text.startsWith(first));
      const rows = text.trim().split('\n').map((l) => JSON.parse(l));
      assert.equal(rows.length, 2);
      assert.equal(rows[0].time, '2031-02-03T04:05:06.000Z');
      assert.equal(rows[0].user, osUser());
      assert.equal(rows[1].bundle, 'heart failure');
      assert.equal(rows[1].patients, 7);
    } finally {
      fs.rmSync(ws, { recursive: true, force: true });
    }
  });
});
