/**
 * "DR.EHR: Evaluate Model" inside a real extension host: the command runs `drehr eval --json` as a child process
 * (never in the extension host), on the benchmark shipped with the extension, and saves its report next to the
 * workspace. Arguments skip the pickers, as a keybinding or another extension would.
 */
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EvalReport } from '../../src/shared/webview-eval';

const EXTENSION_ID = 'drehr.drehr-vscode';

suite('DR.EHR: Evaluate Model', function () {
  this.timeout(300000);

  test('evaluates the shipped model on the shipped benchmark with BM25 and saves the report', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is installed`);
    await ext.activate();
    const benchDir = path.join(ext.extensionPath, 'benchmarks', 'aci-demo');
    const modelDir = path.join(ext.extensionPath, 'models', 'demo');
    const report = await vscode.commands.executeCommand<EvalReport | undefined>('drehr.evaluateModel', { benchDir, modelDir, rankers: ['bm25'] });
    assert.ok(report, 'the command returns the report (undefined: see the DR.EHR log)');
    assert.equal(report.results.length, 1);
    assert.equal(report.results[0].ranker, 'bm25');
    assert.ok(report.counts.queriesEvaluated > 0, 'some queries were evaluated');
    const overall = report.results[0].multi[0];
    assert.ok(overall.scores.mrr > 0 && overall.scores.mrr <= 1, `multi-patient MRR in (0, 1]: ${overall.scores.mrr}`);

    const root = process.env.DREHR_TEST_WORKSPACE ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(root);
    const saved = path.join(root, '.drehr', 'eval', 'aci-demo-demo', 'report.json');
    const onDisk = JSON.parse(await fs.readFile(saved, 'utf8')) as EvalReport;
    assert.equal(onDisk.results[0].ranker, 'bm25', 'report.json holds the same results');
    await fs.access(path.join(path.dirname(saved), 'report.md'));
  });

  test('refuses a folder that is not a benchmark, without starting anything', async () => {
    const root = process.env.DREHR_TEST_WORKSPACE ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(root);
    const report = await vscode.commands.executeCommand<EvalReport | undefined>('drehr.evaluateModel', { benchDir: root, modelDir: root, rankers: ['bm25'] });
    assert.equal(report, undefined);
  });
});
