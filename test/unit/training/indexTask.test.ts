import * as assert from 'node:assert/strict';
import { checkIndexTask, indexTaskCommandLine, indexTaskLabel, isIndexTask, type IndexTaskDefinition } from '../../../src/training/indexTask';

const ctx = {
  python: '/venv/bin/python',
  node: '/vscode/code',
  cliJs: '/ext/dist/cli.js',
  workspaceRoot: '/ws',
  trainerRoot: '/ext/python',
  engine: { modelDir: '/models/m', indexLocation: '/ws/.drehr/index', device: 'auto' as const, engine: 'torch' as const },
};

function def(x: unknown): IndexTaskDefinition {
  const r = checkIndexTask(x);
  if (!r.ok) throw new Error(r.message);
  return r.value;
}

describe('drehr index task (stage "index") → torchrun command line', () => {
  it('single node: the trainer torchrun wrapper, --standalone, one rank per nproc, the CLI as a Node program', () => {
    const cl = indexTaskCommandLine(def({ type: 'drehr', stage: 'index', nproc: 4 }), ctx);
    assert.equal(cl.command, '/venv/bin/python');
    assert.deepEqual(cl.args, [
      '-m', 'drehr_train.torchrun', '--standalone', '--nproc_per_node', '4', '--no_python',
      '/vscode/code', '/ext/dist/cli.js', 'index', '/ws', '--distributed', '--model', '/models/m', '--index', '/ws/.drehr/index',
      '--device', 'auto', '--engine', 'torch', '--python', '/venv/bin/python',
    ]);
    assert.equal(cl.env.ELECTRON_RUN_AS_NODE, '1');
    assert.equal(cl.env.PYTHONPATH, '/ext/python');
    assert.equal(cl.cwd, '/ws');
  });

  it('multi-node: rendezvous arguments replace --standalone; the definition overrides device, engine, folder; rebuild', () => {
    const d = def({ type: 'drehr', stage: 'index', nproc: 8, folder: 'notes', device: 'cuda', engine: 'onnx', rebuild: true, torchrunArgs: ['--nnodes', '2', '--node_rank', '1', '--rdzv_backend', 'c10d', '--rdzv_endpoint', 'head:29400'] });
    const cl = indexTaskCommandLine(d, ctx);
    assert.ok(!cl.args.includes('--standalone'));
    assert.deepEqual(cl.args.slice(0, 14), ['-m', 'drehr_train.torchrun', '--nproc_per_node', '8', '--nnodes', '2', '--node_rank', '1', '--rdzv_backend', 'c10d', '--rdzv_endpoint', 'head:29400', '--no_python', '/vscode/code']);
    assert.equal(cl.args[cl.args.indexOf('index') + 1], '/ws/notes');
    assert.equal(cl.args[cl.args.indexOf('--device') + 1], 'cuda');
    assert.equal(cl.args[cl.args.indexOf('--engine') + 1], 'onnx');
    assert.equal(cl.args.at(-1), '--rebuild');
    assert.equal(indexTaskLabel(d), 'index (torchrun × 8, notes)');
  });

  it('rejects bad definitions naming the property', () => {
    const bad: Array<[unknown, RegExp]> = [
      [{ type: 'drehr', stage: 'index', nproc: 0 }, /"nproc"/],
      [{ type: 'drehr', stage: 'index', engine: 'tensorflow' }, /"engine"/],
      [{ type: 'drehr', stage: 'index', device: 'tpu' }, /"device"/],
      [{ type: 'drehr', stage: 'index', torchrunArgs: '--nnodes 2' }, /"torchrunArgs"/],
      [{ type: 'drehr', stage: 'index', torchrunArgs: ['--nproc_per_node', '2'] }, /use "nproc"/],
      [{ type: 'drehr', stage: 'index', folder: '' }, /"folder"/],
      [{ type: 'drehr', stage: 'index', rebuild: 'yes' }, /"rebuild"/],
    ];
    for (const [x, re] of bad) {
      const r = checkIndexTask(x);
      assert.ok(!r.ok && re.test(r.message), JSON.stringify(x));
    }
    assert.equal(isIndexTask({ type: 'drehr', stage: 'stage1' }), false);
    assert.equal(isIndexTask({ type: 'drehr', stage: 'index' }), true);
  });
});
