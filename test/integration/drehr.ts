/** What the integration suites share to start: the extension activated, its sidecar running, the test workspace. */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { DrehrApi } from '../../src/api';

export const EXTENSION_ID = 'drehr.drehr-vscode';

/** Activates DR.EHR and waits until its sidecar runs; a sidecar that errored or failed fails the suite, saying how. */
export async function activateDrehr(): Promise<{ api: DrehrApi; ext: vscode.Extension<DrehrApi | undefined>; root: string }> {
  const ext = vscode.extensions.getExtension<DrehrApi | undefined>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is installed`);
  const api = await ext.activate();
  assert.ok(api, 'activate() returns the API (undefined means activation failed: see the DR.EHR log)');
  const s = await api.waitFor((x) => ['running', 'error', 'failed'].includes(x.sidecar.kind), 120000);
  assert.equal(s.sidecar.kind, 'running', `sidecar: ${JSON.stringify(s.sidecar)}`);
  const root = process.env.DREHR_TEST_WORKSPACE ?? vscode.workspace.workspaceFolders![0].uri.fsPath;
  return { api, ext, root };
}
