/**
 * "DR.EHR: Evaluate Model" (drehr.evaluateModel): pick a benchmark folder and a model, run `drehr eval --json`
 * as a cancellable child process (the extension host never loads onnxruntime or LanceDB), show the report in a
 * webview and keep report.md + report.json (in the training run's folder when the model is a run's model/).
 *
 * Called with `{ benchDir, modelDir, rankers? }` it skips the pickers (tests, other features) and resolves with
 * the report, or undefined when cancelled or failed.
 */
import * as vscode from 'vscode';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Ctx } from '../ctx';
import { defaultModelDir, modelDir as currentModelDir, runsFolder } from '../config';
import { applyNativeEnvDefaults } from '../shared/nativeEnv';
import { describeExit, evalChildArgs, parseChildLine } from '../eval/childProtocol';
import { RANKER_NAMES, type EvalReport, type RankerName } from '../shared/webview-eval';
import { findModelFolders } from './model';
import { offer } from './guard';
import { EvalReportPanel } from '../views/evalReport';

export interface EvaluateArgs {
  benchDir?: string;
  modelDir?: string;
  rankers?: RankerName[];
}

interface PathItem extends vscode.QuickPickItem {
  dir?: string;
  browse?: boolean;
}

/** Benchmark folders (holding bench.json) directly under each root's benchmarks/. */
export async function findBenchmarks(roots: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const root of roots) {
    const dir = path.join(root, 'benchmarks');
    let names: string[];
    try {
      names = (await fsp.readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch {
      continue;
    }
    for (const n of names.sort()) if (fs.existsSync(path.join(dir, n, 'bench.json'))) out.push(path.join(dir, n));
  }
  return [...new Set(out)];
}

async function browse(title: string): Promise<string | undefined> {
  const uris = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, title, openLabel: 'Use this folder' });
  return uris?.[0]?.fsPath;
}

async function pickFolder(items: PathItem[], title: string, browseTitle: string): Promise<string | undefined> {
  items.push({ label: '', kind: vscode.QuickPickItemKind.Separator }, { label: '$(folder-opened) Browse…', browse: true });
  const chosen = await vscode.window.showQuickPick(items, { title, matchOnDetail: true });
  if (!chosen) return undefined;
  return chosen.browse ? browse(browseTitle) : chosen.dir;
}

async function pickBenchmark(ctx: Ctx): Promise<string | undefined> {
  const roots = [ctx.workspaceRoot, ctx.extension.extensionPath].filter((r): r is string => !!r);
  const found = await findBenchmarks(roots);
  const items: PathItem[] = found.map((dir) => ({ label: `$(beaker) ${path.basename(dir)}`, detail: dir, dir }));
  return pickFolder(items, 'DR.EHR: benchmark to evaluate on', 'A benchmark folder (notes/, queries.jsonl, qrels.tsv, bench.json)');
}

async function pickModel(ctx: Ctx): Promise<string | undefined> {
  const demo = defaultModelDir(ctx.extension.extensionPath);
  const current = currentModelDir(ctx.config, ctx.places());
  const items: PathItem[] = [{ label: '$(package) Demo model', detail: demo, dir: demo }];
  if (path.resolve(current) !== path.resolve(demo)) items.push({ label: '$(check) Current model', detail: current, dir: current });
  const root = ctx.workspaceRoot;
  if (root) {
    const runs = runsFolder(ctx.config, root);
    for (const dir of await findModelFolders(runs)) {
      if (path.basename(dir) === 'model') items.push({ label: `$(beaker) ${path.relative(runs, dir)}`, detail: dir, dir });
    }
  }
  return pickFolder(items, 'DR.EHR: model to evaluate', 'A model folder (config.json, tokenizer.json, onnx/model.onnx, drehr.json)');
}

async function pickRankers(): Promise<RankerName[] | undefined> {
  const items = RANKER_NAMES.map((r) => ({ label: r, picked: true }));
  const chosen = await vscode.window.showQuickPick(items, { title: 'DR.EHR: rankers to compare', canPickMany: true });
  if (!chosen || chosen.length === 0) return undefined;
  return chosen.map((c) => c.label);
}

/** Where report.md/json go: a run folder (its model/ was evaluated) gets them via the CLI's eval-<bench>/. */
export function outDirFor(model: string, benchDir: string, workspaceRoot: string | undefined, storage: string): string {
  const parent = path.dirname(path.resolve(model));
  if (path.basename(model) === 'model' && fs.existsSync(path.join(parent, 'run.json'))) return parent;
  const name = `${path.basename(path.resolve(benchDir))}-${path.basename(path.resolve(model))}`;
  return workspaceRoot ? path.join(workspaceRoot, '.drehr', 'eval', name) : path.join(storage, 'eval', name);
}

/** A running `drehr eval`: killed (with its process group) on dispose or cancel. */
class EvalProcess implements vscode.Disposable {
  private child: ChildProcess | undefined;
  private killTimer: ReturnType<typeof setTimeout> | undefined;

  run(args: string[], onLine: (line: string) => void): Promise<{ code: number | null; signal: string | null; stdout: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, args, {
        env: applyNativeEnvDefaults({ ...process.env, ELECTRON_RUN_AS_NODE: '1' }),
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: process.platform !== 'win32',
      });
      this.child = child;
      const out: Buffer[] = [];
      let pending = '';
      child.stdout?.on('data', (b: Buffer) => out.push(b));
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (s: string) => {
        pending += s;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const l of lines) onLine(l);
      });
      child.on('error', reject);
      child.on('close', (code, signal) => {
        if (pending) onLine(pending);
        this.child = undefined;
        if (this.killTimer) clearTimeout(this.killTimer);
        resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8') });
      });
    });
  }

  /** SIGTERM lets drehr eval stop between queries (exit 130); SIGKILL follows if it does not within 5 s. */
  stop(): void {
    const child = this.child;
    if (!child?.pid) return;
    const kill = (sig: NodeJS.Signals): void => {
      try {
        if (process.platform !== 'win32') process.kill(-child.pid!, sig);
        else child.kill(sig);
      } catch {
        // already gone
      }
    };
    kill('SIGTERM');
    this.killTimer = setTimeout(() => kill('SIGKILL'), 5000);
  }

  dispose(): void {
    this.stop();
  }
}

export async function evaluateModel(ctx: Ctx, args: EvaluateArgs = {}): Promise<EvalReport | undefined> {
  if (!vscode.workspace.isTrusted) {
    offer('warning', 'Evaluating a model runs the model and writes reports, so it needs a trusted workspace.', ['Manage Workspace Trust']);
    return undefined;
  }
  const benchDir = args.benchDir ?? (await pickBenchmark(ctx));
  if (!benchDir) return undefined;
  if (!fs.existsSync(path.join(benchDir, 'bench.json'))) {
    void vscode.window.showErrorMessage(`${benchDir} is not a benchmark folder: it needs bench.json, queries.jsonl, qrels.tsv and notes/.`);
    return undefined;
  }
  const model = args.modelDir ?? (await pickModel(ctx));
  if (!model) return undefined;
  const rankers = args.rankers ?? (args.benchDir ? [...RANKER_NAMES] : await pickRankers());
  if (!rankers) return undefined;
  const outDir = outDirFor(model, benchDir, ctx.workspaceRoot, ctx.extension.globalStorageUri.fsPath);
  const cli = path.join(ctx.extension.extensionPath, 'dist', 'cli.js');
  const argv = evalChildArgs(cli, { benchDir, modelDir: model, rankers, outDir, chunking: ctx.config.chunking });
  ctx.log.info(`Evaluating ${path.basename(model)} on ${path.basename(benchDir)} (${rankers.join(', ')})`);

  const proc = new EvalProcess();
  ctx.extensionScope.push(proc);
  let saved: { md: string; json: string } | undefined;
  let error: string | undefined;
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `DR.EHR: evaluating on ${path.basename(benchDir)}`, cancellable: true },
    async (progress, token) => {
      const sub = token.onCancellationRequested(() => proc.stop());
      // The bar covers the ranking (the index phase only updates the message): rankers one after another.
      let finished = 0;
      let reported = 0;
      try {
        return await proc.run(argv, (line) => {
          const ev = parseChildLine(line);
          if (!ev) return;
          if (ev.event === 'progress') {
            let increment = 0;
            if (ev.phase === 'rank' && ev.total > 0) {
              const pct = (100 * (finished + ev.done / ev.total)) / rankers.length;
              increment = Math.max(0, pct - reported);
              reported += increment;
              if (ev.done >= ev.total) finished++;
            }
            progress.report({ message: ev.message, increment });
          } else if (ev.event === 'saved') saved = { md: ev.md, json: ev.json };
          else if (ev.event === 'error') error = ev.message;
          else ctx.log.info(`eval: ${ev.line}`);
        });
      } finally {
        sub.dispose();
      }
    },
  ).then(
    (r) => r,
    (e: Error) => {
      error = `Could not start the evaluation: ${e.message}`;
      return undefined;
    },
  );
  proc.dispose();
  const i = ctx.extensionScope.indexOf(proc);
  if (i >= 0) ctx.extensionScope.splice(i, 1);

  if (!result || result.code !== 0) {
    if (result?.code === 130 || (result?.signal && !error)) {
      ctx.log.info('Evaluation cancelled');
      return undefined;
    }
    const why = error ?? (result ? describeExit(result.code, result.signal) : 'the evaluation did not start');
    ctx.log.error(`Evaluation failed: ${why}`);
    offer('error', `DR.EHR: evaluation failed: ${why}`, ['Show Logs']);
    return undefined;
  }
  let report: EvalReport;
  try {
    report = JSON.parse(result.stdout.trim().split('\n').pop() ?? '') as EvalReport;
  } catch {
    offer('error', 'DR.EHR: the evaluation finished but its report could not be read.', ['Show Logs']);
    return undefined;
  }
  EvalReportPanel.show(ctx, report, saved);
  return report;
}

export function register(ctx: Ctx): void {
  ctx.extensionScope.push(vscode.commands.registerCommand('drehr.evaluateModel', (args?: EvaluateArgs) => evaluateModel(ctx, args ?? {})));
}
