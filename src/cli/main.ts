#!/usr/bin/env node
/** `drehr`: the command-line tool (dist/cli.js). Exit codes in exitCodes.ts and README.md. */
import '../shared/nativeEnvInit'; // first: native libraries read it when they load
import { evalCommand } from '../eval/cli';
import { errorMessage } from '../sidecar/errors';
import { UsageError } from './args';
import { bundlesCommand } from './bundlesCommand';
import { chunksCommand } from './chunksCommand';
import { indexCommand, searchCommand, statusCommand } from './commands';
import { EXIT, exitCodeOf } from './exitCodes';
import { SYNTH_USAGE, synthCommand } from './synthCommand';

const USAGE = `Usage:
  drehr index <folder> [--model DIR] [--index DIR] [--rebuild] [--device auto|cpu|cuda] [--precision auto|fp32|int8] [--engine auto|onnx|torch] [--python PY] [--threads N] [--batch-chunks N] [--progress auto|json] [--json]
  torchrun --nproc_per_node N --no_python drehr index <folder> --distributed [index options]   (docs/DISTRIBUTED.md)
  drehr search <folder> <query> [--patient ID] [--note ID] [-k N] [--mode hybrid|dense|bm25] [--no-expand] [--json] [--model DIR] [--index DIR]
               [--patients [--aggregate max|topk|rrf] [--evidence N]] [--note-type T1,T2] [--from DATE] [--to DATE] [--folder F1,F2] [--patient-list FILE]
  drehr search <folder> --bundle NAME|PATH [--bundle-mode any|all] [--patients] [-k N] [--mode M] [--json] [filters as above]
  drehr bundles list <folder> [--json]
  drehr status <folder> [--model DIR] [--index DIR] [--json]
  drehr chunks <folder> --out FILE.jsonl [--words 100] [--overlap 10] [--min-words 50]
  drehr eval ...            (see drehr eval --help)
${SYNTH_USAGE}
Exit codes: 0 ok, 1 error, 2 usage, 3 model invalid or device unavailable, 4 index locked, corrupt or missing,
5 search found nothing, 6 index finished but some files or rows failed (listed on stderr), 130 cancelled.`;

async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'index':
      return indexCommand(rest);
    case 'search':
      return searchCommand(rest);
    case 'status':
      return statusCommand(rest);
    case 'bundles':
      return bundlesCommand(rest);
    case 'chunks':
      return chunksCommand(rest);
    case 'eval':
      return evalCommand(rest);
    case 'synth':
      return synthCommand(rest);
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(USAGE + '\n');
      return EXIT.ok;
    default:
      process.stderr.write((command ? `Unknown command ${command}.\n` : '') + USAGE + '\n');
      return EXIT.usage;
  }
}

export async function main(argv: string[]): Promise<number> {
  try {
    return await run(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`drehr: ${e.message}\n${USAGE}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`drehr: ${errorMessage(e)}\n`);
    return exitCodeOf(e);
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
