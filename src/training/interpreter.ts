/**
 * Which Python runs the trainer, and whether it can: the resolution order and the reading of
 * `python -m drehr_train check` are pure; spawning lives in pythonCheck.ts and the Python extension's API in
 * pythonEnv.ts.
 *
 * Order: the drehr.python.interpreter setting when it is set (an explicit choice for this extension wins), else
 * the Python extension's active environment for the workspace folder, else `python3` on PATH.
 */

export type InterpreterSource = 'setting' | 'python-extension' | 'default';

export interface ResolvedInterpreter {
  command: string;
  source: InterpreterSource;
  /** Why a preferred source was passed over (for the log), e.g. the Python extension is not installed. */
  notes: string[];
}

export interface InterpreterCandidates {
  /** drehr.python.interpreter, raw. */
  setting?: string;
  /** The Python extension's active environment executable, or why there is none. */
  pythonExtension: { path: string } | { unavailable: string };
}

export const DEFAULT_PYTHON = 'python3';

export function resolveInterpreter(c: InterpreterCandidates): ResolvedInterpreter {
  const notes: string[] = [];
  const setting = c.setting?.trim();
  if (setting) return { command: expandHome(setting), source: 'setting', notes };
  if ('path' in c.pythonExtension && c.pythonExtension.path.trim()) {
    return { command: c.pythonExtension.path.trim(), source: 'python-extension', notes };
  }
  notes.push('unavailable' in c.pythonExtension ? c.pythonExtension.unavailable : 'the Python extension has no active interpreter');
  return { command: DEFAULT_PYTHON, source: 'default', notes };
}

function expandHome(p: string): string {
  const home = process.env.HOME ?? process.env.USERPROFILE;
  return home && (p === '~' || p.startsWith('~/')) ? home + p.slice(1) : p;
}

export interface CheckRun {
  /** The process could not start at all (ENOENT, EACCES): the error code. */
  spawnError?: string;
  exitCode: number | null;
  /** Killed after the time limit. */
  timedOut?: boolean;
  stdout: string;
  stderr: string;
}

export type CheckResult =
  | { ok: true; torch: string; cuda: boolean }
  | {
      ok: false;
      /** One or two sentences: what is wrong, with the interpreter named. */
      message: string;
      /** The exact command that fixes it, when there is one. */
      install?: string;
    };

/** Quotes a path for the user's shell when it needs quoting. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:@%+=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The pip command that installs a package into this interpreter. */
export function pipInstall(python: string, pkg: string): string {
  return `${shellQuote(python)} -m pip install ${pkg}`;
}

/** A sentence about where the package comes from, for packages with more than one way in. */
function packageTip(pkg: string): string {
  return pkg === 'torch'
    ? ' For a CPU-only PyTorch add --index-url https://download.pytorch.org/whl/cpu; on Debian/Ubuntu, apt-get install python3-torch works for /usr/bin/python3.'
    : '';
}

function sentence(s: string): string {
  const t = s.trim();
  if (!t) return '';
  const c = t[0]!.toUpperCase() + t.slice(1);
  return /[.!?]$/.test(c) ? c : `${c}.`;
}

function lastJsonObject(text: string): Record<string, unknown> | undefined {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.startsWith('{'));
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const v: unknown = JSON.parse(lines[i]!);
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      /* not JSON: keep looking */
    }
  }
  return undefined;
}

function lastLine(text: string): string {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  return (lines[lines.length - 1] ?? '').slice(0, 300);
}

/**
 * Reads the outcome of `<python> -m drehr_train check`. The trainer prints {"ok": true, "torch", "cuda"}, or on
 * exit 3 the missing package and how to install it; anything else (no Python, an old Python, no trainer on
 * PYTHONPATH) is recognised from the process error and stderr.
 */
export function interpretCheck(python: string, run: CheckRun): CheckResult {
  if (run.spawnError === 'ENOENT') {
    return {
      ok: false,
      message: `Python was not found: "${python}" is not an executable file or a command on PATH. Install Python 3.9 or later, or set "drehr.python.interpreter" (or select an interpreter in the Python extension).`,
    };
  }
  if (run.spawnError) {
    return { ok: false, message: `"${python}" could not be started (${run.spawnError}). Check that it is an executable Python 3.9+ interpreter, or set "drehr.python.interpreter".` };
  }
  if (run.timedOut) {
    return { ok: false, message: `"${python} -m drehr_train check" did not answer in time. Run it in a terminal to see what it waits for.` };
  }
  const json = lastJsonObject(run.stdout);
  if (run.exitCode === 0 && json?.ok === true) {
    return { ok: true, torch: typeof json.torch === 'string' ? json.torch : 'unknown', cuda: json.cuda === true };
  }
  if (json && json.ok === false) {
    const missing = typeof json.missing === 'string' ? json.missing : undefined;
    const hint = typeof json.hint === 'string' ? json.hint : undefined;
    const msg = typeof json.message === 'string' ? sentence(json.message) : missing ? `The Python package "${missing}" is missing from ${python}.` : `The trainer reports a problem with ${python}.`;
    return {
      ok: false,
      message: missing ? `${msg}${packageTip(missing)}` : `${msg}${hint ? ` ${sentence(hint)}` : ''}`,
      ...(missing ? { install: pipInstall(python, missing) } : {}),
    };
  }
  const err = run.stderr;
  const noModule = /No module named '?([A-Za-z0-9_.]+)'?/.exec(err);
  if (noModule) {
    const mod = noModule[1]!.split('.')[0]!;
    if (mod === 'drehr_train') {
      return {
        ok: false,
        message: `The trainer package drehr_train is not importable by ${python}. The extension puts its python/ folder on PYTHONPATH; if that folder is missing, install the trainer from a checkout of the project.`,
        install: `${shellQuote(python)} -m pip install -e <project>/python`,
      };
    }
    const pkg = mod === 'torch' ? 'torch' : mod;
    return { ok: false, message: `The Python package "${pkg}" is missing from ${python}.${packageTip(pkg)}`, install: pipInstall(python, pkg) };
  }
  if (/SyntaxError|requires Python|python_requires/.test(err)) {
    return { ok: false, message: `${python} is too old for the trainer: it needs Python 3.9 or later. ${lastLine(err)}` };
  }
  if (run.exitCode === 3) {
    return { ok: false, message: `A Python package the trainer needs is missing (interpreter: ${python}): ${lastLine(run.stdout + '\n' + err)}` };
  }
  return { ok: false, message: `"${python} -m drehr_train check" failed (exit code ${run.exitCode ?? 'none'}): ${lastLine(err || run.stdout) || 'no output'}` };
}
