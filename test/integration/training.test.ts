/**
 * Training from the editor, inside a real VS Code extension host, with a FAKE trainer: drehr.python.interpreter
 * points at a small shell script that runs a Node script speaking the trainer's contract (check, JSON events on
 * stdout and in events.jsonl, a model folder copied from the demo model, exit 130 when stopped). No Python or
 * torch needed, and fast.
 *
 * The fake's behaviour is chosen by the run's train.seed: 1 finishes at once, 2 keeps running until stopped.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

const FAKE_TRAINER = String.raw`
const fs = require('fs'), path = require('path');
const args = process.argv.slice(2);
const cmd = args[args.indexOf('drehr_train') + 1];
if (cmd === 'check') {
  if (process.env.FAKE_NO_TORCH || path.basename(process.argv[1]).includes('notorch')) {
    console.log(JSON.stringify({ ok: false, missing: 'torch', hint: 'Install PyTorch.' }));
    process.exit(3);
  }
  console.log(JSON.stringify({ ok: true, torch: 'fake-1.0', cuda: false }));
  process.exit(0);
}
const config = JSON.parse(fs.readFileSync(args[args.indexOf('--config') + 1], 'utf8'));
const out = config.output_dir;
const emit = (e) => {
  const line = JSON.stringify(e) + '\n';
  fs.appendFileSync(path.join(out, 'events.jsonl'), line);
  try { process.stdout.write(line); } catch { /* the terminal is gone after Terminate Task */ }
};
const hang = config.train.seed === 2;
const total = hang ? 1000 : 3;
emit({ event: 'start', stage: cmd, total_steps: total, device: 'cpu', time: Date.now() / 1000 });
for (let s = 1; s <= 3; s++) emit({ event: 'step', step: s, total_steps: total, loss: 2 / s, lr: 1e-4, samples_per_s: 100, eta_s: 1 });
fs.mkdirSync(path.join(out, 'checkpoints', 'step-000003'), { recursive: true });
fs.writeFileSync(path.join(out, 'checkpoints', 'step-000003', 'COMPLETE'), '');
emit({ event: 'checkpoint', step: 3, path: path.join(out, 'checkpoints', 'step-000003') });
if (hang) {
  // Like the real trainer: an error event that says "interrupted", then exit 130. Terminate Task sends SIGHUP.
  const stop = () => { emit({ event: 'error', message: 'interrupted at step 3', hint: 'run the same command again' }); process.exit(130); };
  process.on('SIGTERM', stop); process.on('SIGINT', stop); process.on('SIGHUP', stop);
  setInterval(() => {}, 1000);
} else {
  emit({ event: 'eval', step: 3, metrics: { mrr: 0.5, 'ndcg@10': 0.6 } });
  const demo = path.join(process.env.PYTHONPATH.split(path.delimiter)[0], '..', 'models', 'demo');
  fs.cpSync(demo, path.join(out, 'model'), { recursive: true });
  emit({ event: 'export', model_dir: path.join(out, 'model'), parity_max_abs_diff: 1e-7 });
  emit({ event: 'done', model_dir: path.join(out, 'model'), metrics: { mrr: 0.5 } });
}
`;

interface RunSummary {
  id: string;
  status: string;
  detail: string;
  contextValue: string;
  step: number;
  totalSteps?: number;
  modelDir: string;
  modelReady: boolean;
}

interface SidecarSnapshot {
  sidecar: { kind: string; init?: { model: { dir: string } } };
}
interface Api {
  snapshot(): SidecarSnapshot;
  waitFor(pred: (s: SidecarSnapshot) => boolean, timeoutMs?: number): Promise<SidecarSnapshot>;
}

function workspaceRoot(): string {
  const f = vscode.workspace.workspaceFolders?.[0];
  assert.ok(f, 'the integration tests need an open folder');
  return f.uri.fsPath;
}

/** The fake interpreter: a shell script that runs the fake trainer with the extension host's Node. */
async function writeFakePython(dir: string, name: string): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  const script = path.join(dir, `${name}.js`);
  await fs.writeFile(script, FAKE_TRAINER);
  const exe = path.join(dir, name);
  await fs.writeFile(exe, `#!/bin/sh\nELECTRON_RUN_AS_NODE=1 exec '${process.execPath}' '${script}' "$@"\n`, { mode: 0o755 });
  return exe;
}

function nextTaskEnd(runId: string): Promise<vscode.TaskProcessEndEvent> {
  return new Promise((resolve) => {
    const sub = vscode.tasks.onDidEndTaskProcess((e) => {
      if (e.execution.task.definition.type === 'drehr' && String(e.execution.task.definition.config).includes(runId)) {
        sub.dispose();
        resolve(e);
      }
    });
  });
}

function nextDrehrTaskEnd(): Promise<vscode.TaskProcessEndEvent> {
  return new Promise((resolve) => {
    const sub = vscode.tasks.onDidEndTaskProcess((e) => {
      if (e.execution.task.definition.type === 'drehr') {
        sub.dispose();
        resolve(e);
      }
    });
  });
}

function nextTaskStart(): Promise<vscode.TaskProcessStartEvent> {
  return new Promise((resolve) => {
    const sub = vscode.tasks.onDidStartTaskProcess((e) => {
      if (e.execution.task.definition.type === 'drehr') {
        sub.dispose();
        resolve(e);
      }
    });
  });
}

/** Resolves with the editor tab of this label once the workbench reports it (tab changes reach the host later). */
function waitForTab(label: string, timeoutMs = 20000): Promise<vscode.Tab> {
  const find = (): vscode.Tab | undefined => vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.label === label);
  const now = find();
  if (now) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`no tab "${label}"; tabs: ${vscode.window.tabGroups.all.flatMap((g) => g.tabs).map((t) => t.label).join(', ')}`));
    }, timeoutMs);
    const sub = vscode.window.tabGroups.onDidChangeTabs(() => {
      const t = find();
      if (t) {
        clearTimeout(timer);
        sub.dispose();
        resolve(t);
      }
    });
  });
}

const waitForRun = (id: string, until: string[], minStep = 0, timeoutMs = 30000): Thenable<RunSummary | undefined> =>
  vscode.commands.executeCommand<RunSummary | undefined>('drehr.training.waitForRun', id, until, timeoutMs, minStep);

suite('training from the editor (fake trainer)', function () {
  this.timeout(120000);
  let root: string;
  let fakeDir: string;
  let api: Api | undefined;

  suiteSetup(async () => {
    root = workspaceRoot();
    const ext = vscode.extensions.all.find((e) => e.packageJSON?.name === 'drehr-vscode');
    assert.ok(ext, 'the extension under test is loaded');
    api = (await ext.activate()) as Api | undefined;
    fakeDir = path.join(root, '.drehr', 'fake-trainer');
    const python = await writeFakePython(fakeDir, 'python');
    await vscode.workspace.getConfiguration('drehr').update('python.interpreter', python, vscode.ConfigurationTarget.Workspace);
  });

  suiteTeardown(async () => {
    const cfg = vscode.workspace.getConfiguration('drehr');
    await cfg.update('python.interpreter', undefined, vscode.ConfigurationTarget.Workspace);
    await cfg.update('modelPath', undefined, vscode.ConfigurationTarget.Workspace);
  });

  test('Train Stage I writes the run folder and runs the drehr task; the run finishes and its model is used', async () => {
    const started = nextTaskStart();
    const ended = nextDrehrTaskEnd();
    const run = await vscode.commands.executeCommand<{ runId: string; runDir: string } | undefined>('drehr.trainStage1', { device: 'cpu', train: { seed: 1 } });
    assert.ok(run, 'Train Stage I returned the new run');
    assert.equal(path.dirname(run.runDir), path.join(root, '.drehr', 'runs'));
    const config = JSON.parse(await fs.readFile(path.join(run.runDir, 'run.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(config.stage, 'stage1');
    assert.equal(config.output_dir, run.runDir);
    assert.equal(config.device, 'cpu');

    // The run's panel (live loss curve) opened beside the task.
    const tab = await waitForTab(`Run ${run.runId}`);
    assert.ok(tab.input instanceof vscode.TabInputWebview);

    // The task is a ProcessExecution of the interpreter with the contract's command line.
    const start = await started;
    const exec = start.execution.task.execution;
    assert.ok(exec instanceof vscode.ProcessExecution, 'a ProcessExecution');
    assert.deepEqual(exec.args, ['-m', 'drehr_train', 'stage1', '--config', path.join(run.runDir, 'run.json')]);

    const done = await waitForRun(run.runId, ['finished', 'failed', 'interrupted']);
    assert.ok(done, 'the view saw the run end');
    assert.equal(done.status, 'finished', done.detail);
    assert.equal(done.contextValue, 'drehrRunFinished', 'Use This Model is offered');
    assert.equal(done.step, 3);
    assert.equal(done.totalSteps, 3);
    assert.ok(done.modelReady);

    assert.equal((await ended).exitCode, 0);
    // Refreshing waits for the editor's record of the ended task.
    const runs = await vscode.commands.executeCommand<RunSummary[]>('drehr.refreshRuns');
    assert.ok(runs.some((r) => r.id === run.runId && r.status === 'finished'));
    const record = JSON.parse(await fs.readFile(path.join(run.runDir, 'task.json'), 'utf8')) as { exitCode?: number; endedAt?: string };
    assert.equal(record.exitCode, 0);
    assert.ok(record.endedAt);

    // Use This Model: drehr.modelPath → the run's model, the sidecar reloads it, the index is re-embedded.
    const used = await vscode.commands.executeCommand<{ modelPath: string; reindexed: boolean } | undefined>('drehr.useRunModel', run.runId);
    assert.ok(used, 'Use This Model succeeded');
    assert.equal(vscode.workspace.getConfiguration('drehr').get('modelPath'), `.drehr/runs/${run.runId}/model`);
    assert.equal(used.reindexed, true);
    if (api) {
      const s = api.snapshot();
      assert.equal(s.sidecar.kind, 'running');
      assert.equal(path.resolve(s.sidecar.init!.model.dir), path.join(run.runDir, 'model'));
    }
  });

  test('Terminate Task stops the trainer and the run shows interrupted', async () => {
    const run = await vscode.commands.executeCommand<{ runId: string; runDir: string } | undefined>('drehr.trainStage1', { device: 'cpu', train: { seed: 2 } });
    assert.ok(run);
    // Running, with its checkpoint of step 3 written (the fake then waits to be stopped).
    const running = await waitForRun(run.runId, ['running'], 3);
    assert.equal(running?.status, 'running');
    assert.equal(running?.step, 3);
    const ended = nextTaskEnd(run.runId);
    const execution = vscode.tasks.taskExecutions.find((x) => String(x.task.definition.config).includes(run.runId));
    assert.ok(execution, 'the run has a live task');
    execution.terminate();
    await ended;
    const stopped = await waitForRun(run.runId, ['interrupted', 'failed', 'finished']);
    assert.equal(stopped?.status, 'interrupted', stopped?.detail);
    assert.match(stopped!.detail, /resumes from the checkpoint of step 3/);
    assert.notEqual(stopped!.contextValue, 'drehrRunFinished');
    // A run that did not finish has no model to use.
    const used = await vscode.commands.executeCommand('drehr.useRunModel', run.runId);
    assert.equal(used, undefined);
  });

  test('the task provider offers a drehr task per run, and resolves tasks.json-style definitions', async () => {
    const tasks = await vscode.tasks.fetchTasks({ type: 'drehr' });
    assert.ok(tasks.length >= 2, `tasks: ${tasks.map((t) => t.name).join(', ')}`);
    const t = tasks.find((x) => x.definition.stage === 'stage1');
    assert.ok(t && t.execution instanceof vscode.ProcessExecution);
    assert.deepEqual(t.execution.args.slice(0, 4), ['-m', 'drehr_train', 'stage1', '--config']);
    assert.equal(t.execution.options?.env?.PYTHONUNBUFFERED, '1');
    // the distributed index task: torchrun (the trainer's wrapper) running dist/cli.js index --distributed
    const ix = tasks.find((x) => x.definition.stage === 'index');
    assert.ok(ix && ix.execution instanceof vscode.ProcessExecution, `tasks: ${tasks.map((x) => x.name).join(', ')}`);
    assert.deepEqual(ix.execution.args.slice(0, 3), ['-m', 'drehr_train.torchrun', '--standalone']);
    const cli = ix.execution.args.indexOf('--no_python');
    assert.ok(cli > 0 && ix.execution.args[cli + 2].endsWith(path.join('dist', 'cli.js')), ix.execution.args.join(' '));
    assert.ok(ix.execution.args.includes('--distributed'));
    assert.equal(ix.execution.options?.env?.ELECTRON_RUN_AS_NODE, '1');
  });

  test('a Python without torch: Train Stage I refuses and writes no run', async () => {
    const before = (await fs.readdir(path.join(root, '.drehr', 'runs'))).length;
    const notorch = await writeFakePython(fakeDir, 'python-notorch');
    const cfg = vscode.workspace.getConfiguration('drehr');
    const previous = cfg.get<string>('python.interpreter');
    await cfg.update('python.interpreter', notorch, vscode.ConfigurationTarget.Workspace);
    try {
      const run = await vscode.commands.executeCommand('drehr.trainStage1', { device: 'cpu', train: { seed: 1 } });
      assert.equal(run, undefined);
      assert.equal((await fs.readdir(path.join(root, '.drehr', 'runs'))).length, before);
    } finally {
      await cfg.update('python.interpreter', previous, vscode.ConfigurationTarget.Workspace);
    }
  });
});

/**
 * The real trainer (python/drehr_train) on the untrained fixture model: 3 optimizer steps of Stage I on the
 * workspace notes, through the same command and task. Needs a Python with torch: DREHR_TEST_PYTHON, else
 * /usr/bin/python3; skipped (saying why) when its `drehr_train check` fails.
 */
suite('training from the editor (real trainer, 3 steps)', function () {
  this.timeout(300000);
  let root: string;
  let python: string;

  suiteSetup(async function () {
    root = workspaceRoot();
    python = process.env.DREHR_TEST_PYTHON ?? '/usr/bin/python3';
    const ext = vscode.extensions.all.find((e) => e.packageJSON?.name === 'drehr-vscode');
    assert.ok(ext);
    await ext.activate();
    // Asynchronous: a synchronous spawn would block the extension host while Python imports torch.
    const { execFile } = await import('node:child_process');
    const failure = await new Promise<string | undefined>((resolve) => {
      execFile(python, ['-m', 'drehr_train', 'check'], { env: { ...process.env, PYTHONPATH: path.join(ext.extensionPath, 'python') }, timeout: 60000 }, (err, stdout, stderr) =>
        resolve(err ? `${stdout}${stderr}${err.message}`.trim().slice(0, 200) : undefined),
      );
    });
    if (failure) {
      console.log(`  (skipped: ${python} -m drehr_train check failed: ${failure})`);
      this.skip();
    }
    await vscode.workspace.getConfiguration('drehr').update('python.interpreter', python, vscode.ConfigurationTarget.Workspace);
  });

  suiteTeardown(async () => {
    await vscode.workspace.getConfiguration('drehr').update('python.interpreter', undefined, vscode.ConfigurationTarget.Workspace);
    await vscode.workspace.getConfiguration('drehr').update('modelPath', undefined, vscode.ConfigurationTarget.Workspace);
  });

  /** A few steps of a stage on the defaults (base: the current model), to a finished run whose model is then used. */
  async function trainAndUse(stage: 'stage1' | 'stage2', extra: Record<string, unknown>): Promise<{ runId: string; runDir: string }> {
    const run = await vscode.commands.executeCommand<{ runId: string; runDir: string } | undefined>(stage === 'stage1' ? 'drehr.trainStage1' : 'drehr.trainStage2', {
      device: 'cpu',
      train: { max_steps: 2, batch_size: 4, num_pos: 4, max_length: { passage: 64, query: 16 } },
      ...extra,
    });
    assert.ok(run, `Train ${stage} started a run`);
    const done = await waitForRun(run.runId, ['finished', 'failed', 'interrupted'], 0, 240000);
    assert.equal(done?.status, 'finished', `${done?.detail}; events: ${await fs.readFile(path.join(run.runDir, 'events.jsonl'), 'utf8').catch(() => '')}`);
    assert.equal(done.step, 2);
    assert.equal(done.contextValue, 'drehrRunFinished');
    const used = await vscode.commands.executeCommand<{ modelPath: string; reindexed: boolean } | undefined>('drehr.useRunModel', run.runId);
    assert.ok(used, 'Use This Model succeeded');
    assert.equal(used.reindexed, true);
    assert.equal(vscode.workspace.getConfiguration('drehr').get('modelPath'), `.drehr/runs/${run.runId}/model`);
    const meta = JSON.parse(await fs.readFile(path.join(run.runDir, 'model', 'drehr.json'), 'utf8')) as { provenance: { stages: Array<{ stage: string }> } };
    assert.equal(meta.provenance.stages.at(-1)?.stage, stage);
    return run;
  }

  test('Train Stage I, then Stage II, on the defaults (the shipped demo model as base): finished runs, models adopted', async function () {
    // Two trainings of the demo-size model, two exports and two re-indexes: 2.5 min on a quiet machine, more on a busy one.
    this.timeout(600000);
    const ext = vscode.extensions.all.find((e) => e.packageJSON?.name === 'drehr-vscode')!;
    await vscode.workspace.getConfiguration('drehr').update('modelPath', undefined, vscode.ConfigurationTarget.Workspace);
    // The demo model ships without model.safetensors: the trainer reads its weights from onnx/model.onnx.
    const demo = path.join(ext.extensionPath, 'models', 'demo');
    await assert.rejects(fs.access(path.join(demo, 'model.safetensors')), 'the demo model has no safetensors (the case under test)');
    const s1 = await trainAndUse('stage1', {});
    const c1 = JSON.parse(await fs.readFile(path.join(s1.runDir, 'run.json'), 'utf8')) as { base_model: string };
    assert.equal(path.resolve(c1.base_model), demo, 'Stage I defaulted to the shipped model');

    // Stage II: pairs for the workspace's chunks (ids <note id>::<index>, as the trainer chunks the notes).
    const pairs = path.join(root, '.drehr', 'test-pairs.jsonl');
    const lines = ['virtassist-d2n001', 'virtassist-d2n002', 'virtassist-d2n003'].flatMap((note, i) => [
      { id: `p${i}a`, chunk_id: `${note}::0`, entity: 'hypertension', entity_type: 'diagnosis', produced_by: 'test', model: 'none', prompt_version: 'test' },
      { id: `p${i}b`, chunk_id: `${note}::0`, entity: 'annual exam', entity_type: 'procedure', produced_by: 'test', model: 'none', prompt_version: 'test' },
    ]);
    await fs.writeFile(pairs, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const s2 = await trainAndUse('stage2', { pairs });
    const c2 = JSON.parse(await fs.readFile(path.join(s2.runDir, 'run.json'), 'utf8')) as { base_model: string };
    assert.equal(path.resolve(c2.base_model), path.join(s1.runDir, 'model'), 'Stage II defaulted to the model in use: Stage I\'s');
  });

  test('Stage I runs to the end and exports a model folder the view offers', async () => {
    const ext = vscode.extensions.all.find((e) => e.packageJSON?.name === 'drehr-vscode')!;
    // A workspace without notes still trains on the notes shipped as demo data.
    const notes = await fs.readdir(root).catch(() => []);
    const args: Record<string, unknown> = {
      baseModel: path.join(ext.extensionPath, 'test', 'fixtures', 'untrained-model'),
      device: 'cpu',
      train: { max_steps: 3, batch_size: 4, num_pos: 8, checkpoint_every: 2 },
    };
    if (!notes.some((n) => !n.startsWith('.'))) {
      await fs.cp(path.join(ext.extensionPath, 'demo', 'notes', 'p001'), path.join(root, 'p001'), { recursive: true });
    }
    const run = await vscode.commands.executeCommand<{ runId: string; runDir: string } | undefined>('drehr.trainStage1', args);
    assert.ok(run);
    const done = await waitForRun(run.runId, ['finished', 'failed', 'interrupted'], 0, 240000);
    assert.equal(done?.status, 'finished', done?.detail);
    assert.equal(done.step, 3);
    assert.equal(done.contextValue, 'drehrRunFinished');
    await fs.access(path.join(run.runDir, 'model', 'onnx', 'model.onnx'));
    await fs.access(path.join(run.runDir, 'checkpoints', 'step-000002', 'COMPLETE'));
  });
});
