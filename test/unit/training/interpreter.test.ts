import * as assert from 'node:assert/strict';
import { interpretCheck, pipInstall, resolveInterpreter, shellQuote } from '../../../src/training/interpreter';

describe('training interpreter: resolution order', () => {
  it('the setting wins when set', () => {
    const r = resolveInterpreter({ setting: ' /opt/py/bin/python ', pythonExtension: { path: '/venv/bin/python' } });
    assert.deepEqual(r, { command: '/opt/py/bin/python', source: 'setting', notes: [] });
  });

  it('then the Python extension, then python3', () => {
    assert.equal(resolveInterpreter({ setting: '', pythonExtension: { path: '/venv/bin/python' } }).source, 'python-extension');
    assert.equal(resolveInterpreter({ pythonExtension: { path: '/venv/bin/python' } }).command, '/venv/bin/python');
    const d = resolveInterpreter({ setting: '  ', pythonExtension: { unavailable: 'Python extension is not installed or is disabled' } });
    assert.deepEqual(d, { command: 'python3', source: 'default', notes: ['Python extension is not installed or is disabled'] });
    assert.equal(resolveInterpreter({ pythonExtension: { path: ' ' } }).source, 'default');
  });

  it('expands ~ in the setting', () => {
    const home = process.env.HOME;
    process.env.HOME = '/home/u';
    try {
      assert.equal(resolveInterpreter({ setting: '~/venv/bin/python', pythonExtension: { path: '' } }).command, '/home/u/venv/bin/python');
    } finally {
      process.env.HOME = home;
    }
  });
});

describe('training interpreter: reading `drehr_train check`', () => {
  const py = '/usr/bin/python3';

  it('ok with the torch version and CUDA', () => {
    const r = interpretCheck(py, { exitCode: 0, stdout: 'some warning\n{"ok": true, "torch": "1.13.1", "cuda": false}\n', stderr: '' });
    assert.deepEqual(r, { ok: true, torch: '1.13.1', cuda: false });
  });

  it('exit 3 with the missing package: the exact pip command for this interpreter', () => {
    const r = interpretCheck(py, { exitCode: 3, stdout: '{"ok": false, "missing": "torch", "hint": "pip install torch"}', stderr: '' });
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.match(r.message, /^The Python package "torch" is missing from \/usr\/bin\/python3\. For a CPU-only PyTorch/);
    assert.equal(r.install, '/usr/bin/python3 -m pip install torch');
  });

  it('a Python without torch that fails on import', () => {
    const r = interpretCheck('/my py/python', { exitCode: 1, stdout: '', stderr: "Traceback...\nModuleNotFoundError: No module named 'torch'\n" });
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.install, `'/my py/python' -m pip install torch`);
  });

  it('no trainer on PYTHONPATH', () => {
    const r = interpretCheck(py, { exitCode: 1, stdout: '', stderr: '/usr/bin/python3: No module named drehr_train\n' });
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.message, /drehr_train is not importable/);
  });

  it('no Python at all, an unstartable file, a hang, an old Python', () => {
    const missing = interpretCheck('python3.12', { spawnError: 'ENOENT', exitCode: null, stdout: '', stderr: '' });
    assert.equal(missing.ok, false);
    if (!missing.ok) assert.match(missing.message, /Python was not found: "python3.12".*drehr\.python\.interpreter/);
    const perm = interpretCheck('/tmp/x', { spawnError: 'EACCES', exitCode: null, stdout: '', stderr: '' });
    if (!perm.ok) assert.match(perm.message, /EACCES/);
    const hang = interpretCheck(py, { exitCode: null, timedOut: true, stdout: '', stderr: '' });
    if (!hang.ok) assert.match(hang.message, /did not answer in time/);
    const old = interpretCheck('python2', { exitCode: 1, stdout: '', stderr: '  File "x.py", line 3\nSyntaxError: invalid syntax\n' });
    assert.equal(old.ok, false);
    if (!old.ok) assert.match(old.message, /too old/);
  });

  it('a trainer message with a hint reads as sentences', () => {
    const r = interpretCheck(py, { exitCode: 3, stdout: '{"ok": false, "message": "onnx is too old", "hint": "upgrade it"}', stderr: '' });
    assert.deepEqual(r, { ok: false, message: 'Onnx is too old. Upgrade it.' });
  });

  it('anything else quotes the last line of stderr', () => {
    const r = interpretCheck(py, { exitCode: 1, stdout: '', stderr: 'line one\nRuntimeError: boom\n' });
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.message, /exit code 1\): RuntimeError: boom/);
  });

  it('quotes paths for a shell only when needed', () => {
    assert.equal(shellQuote('/usr/bin/python3'), '/usr/bin/python3');
    assert.equal(shellQuote("/a b/it's"), `'/a b/it'\\''s'`);
    assert.equal(pipInstall('/p', 'numpy'), '/p -m pip install numpy');
  });
});
