/**
 * The interpreter for training: the drehr.python.interpreter setting, else the Python extension's active
 * environment (through @vscode/python-extension), else python3 (order and reasons in interpreter.ts). Then the
 * trainer's own `check`, whose failure becomes an error message with the exact fix and buttons.
 */
import * as vscode from 'vscode';
import * as path from 'node:path';
import { PythonExtension } from '@vscode/python-extension';
import { resolvePath } from '../config';
import { resolveInterpreter, type CheckResult, type InterpreterCandidates, type ResolvedInterpreter } from './interpreter';
import { checkTrainer } from './pythonCheck';
import { withTimeout } from '../shared/withTimeout';

const PYTHON_API_TIMEOUT_MS = 10_000;

async function pythonExtensionInterpreter(folder: vscode.Uri | undefined): Promise<InterpreterCandidates['pythonExtension']> {
  if (!vscode.extensions.getExtension('ms-python.python')) return { unavailable: 'the Python extension (ms-python.python) is not installed' };
  try {
    const api = await withTimeout(PythonExtension.api(), PYTHON_API_TIMEOUT_MS, 'The Python extension');
    const active = api.environments.getActiveEnvironmentPath(folder);
    const env = await withTimeout(api.environments.resolveEnvironment(active), PYTHON_API_TIMEOUT_MS, 'The Python extension');
    const exe = env?.executable.uri?.fsPath;
    return exe ? { path: exe } : { unavailable: `the Python extension's active environment (${active.path}) has no executable` };
  } catch (e) {
    return { unavailable: `the Python extension's API failed: ${(e as Error).message}` };
  }
}

/** The interpreter for a workspace folder; `notes` says why a preferred source was passed over. */
export async function findInterpreter(workspaceRoot: string): Promise<ResolvedInterpreter> {
  const raw = vscode.workspace.getConfiguration('drehr').get<unknown>('python.interpreter');
  let setting = typeof raw === 'string' ? raw.trim() : '';
  // A path (not a bare command name such as "python3") may use ~ and ${workspaceFolder}, relative to the folder.
  if (setting && /[\\/~$]/.test(setting)) setting = resolvePath(setting, workspaceRoot);
  const folder = vscode.workspace.workspaceFolders?.find((f) => f.uri.fsPath === workspaceRoot)?.uri;
  const pythonExtension = setting ? { unavailable: 'not asked: drehr.python.interpreter is set' } : await pythonExtensionInterpreter(folder);
  return resolveInterpreter({ setting, pythonExtension });
}

/** Folder of the drehr_train package shipped with the extension. */
export function trainerRoot(extensionPath: string): string {
  return path.join(extensionPath, 'python');
}

export function trainerEnv(extensionPath: string): Record<string, string> {
  const pp = process.env.PYTHONPATH;
  return { PYTHONPATH: [trainerRoot(extensionPath), ...(pp ? [pp] : [])].join(path.delimiter), PYTHONUNBUFFERED: '1' };
}

/** Runs the trainer's check with a progress notification. */
export function checkWithProgress(python: string, workspaceRoot: string, extensionPath: string): Promise<CheckResult> {
  return Promise.resolve(
    vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `DR.EHR: checking Python for training (${python})…`, cancellable: true }, (_p, token) => {
      const abort = new AbortController();
      const sub = token.onCancellationRequested(() => abort.abort());
      return checkTrainer(python, { cwd: workspaceRoot, env: trainerEnv(extensionPath), timeoutMs: 60_000, signal: abort.signal }).finally(() => sub.dispose());
    }),
  );
}

/** Shows a failed check: the message, and buttons that copy the install command or change the interpreter. */
export function showCheckFailure(result: Extract<CheckResult, { ok: false }>, log: vscode.LogOutputChannel): void {
  const text = result.install ? `${result.message} Install it with: ${result.install}` : result.message;
  log.error(`Training check failed: ${text}`);
  const actions = [...(result.install ? ['Copy Install Command'] : []), 'Set Interpreter', 'Show Logs'];
  void vscode.window.showErrorMessage(text, ...actions).then(async (picked) => {
    if (picked === 'Copy Install Command' && result.install) {
      await vscode.env.clipboard.writeText(result.install);
      void vscode.window.showInformationMessage('Copied. Run it in a terminal, then start training again.');
    } else if (picked === 'Set Interpreter') {
      if (vscode.extensions.getExtension('ms-python.python')) await vscode.commands.executeCommand('python.setInterpreter');
      else await vscode.commands.executeCommand('workbench.action.openSettings', 'drehr.python.interpreter');
    } else if (picked === 'Show Logs') {
      log.show(true);
    }
  });
}
