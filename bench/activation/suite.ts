/**
 * Runs inside a real extension host (code-server, through scripts/vscode-ci/run-integration.mjs): measures the
 * extension's activation time, the sidecar's start (spawn + model load) and its resident memory with the demo
 * model, idle, after indexing the demo notes and after searches. Prints one `BENCH {json}` line that
 * bench/activationBench.mjs collects. Not a test: nothing here asserts a time.
 */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import Mocha from 'mocha';
import type { DrehrApi } from '../../src/api';

function rssMiB(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 102.4) / 10 : null;
  } catch {
    return null;
  }
}

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 600000, reporter: 'spec' });
  mocha.suite.emit('pre-require', globalThis, 'bench', mocha);
  suite('activation and sidecar memory', () => {
    test('measure', async () => {
      const ext = vscode.extensions.getExtension<DrehrApi>('drehr.drehr-vscode');
      if (!ext) throw new Error('extension not found');
      const t0 = Date.now();
      const api = await ext.activate();
      const activateCallMs = Date.now() - t0;
      await api.waitFor((s) => s.sidecar.kind === 'running', 120000);
      const sidecarReadyMs = Date.now() - t0;
      const pid = api.snapshot().pid;
      const rssIdle = rssMiB(pid);
      const ti = Date.now();
      const r = await api.index({ rebuild: true });
      const indexMs = Date.now() - ti;
      const rssIndexed = rssMiB(pid);
      for (const q of ['hypertension', 'shortness of breath', 'HTN', 'knee pain after a fall', 'metformin']) await api.search(q);
      const rssSearched = rssMiB(pid);
      const out = {
        activationMs: api.activationMs,
        activateCallMs,
        sidecarReadyMs,
        indexMs,
        chunks: r.status.chunks,
        rssMiB: { idle: rssIdle, afterIndex: rssIndexed, afterSearch: rssSearched },
      };
      console.log(`BENCH ${JSON.stringify(out)}`);
    });
  });
  return new Promise((resolve, reject) => mocha.run((f) => (f ? reject(new Error(`${f} failed`)) : resolve())));
}
