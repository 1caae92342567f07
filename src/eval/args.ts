/** `drehr eval` arguments: parsing and usage text. Pure. */
import type { ChunkingOptions, Device, Precision } from '../shared/protocol';
import { PRECISIONS } from '../shared/protocol';
import type { RankerName } from '../shared/webview-eval';
import { ALL_RANKERS, RANKER_NAMES } from '../shared/webview-eval';
import { parseFusion, type FusionSpec } from '../sidecar/store/rrf';

export const USAGE = `Usage: drehr eval --bench DIR [--model DIR] [--ranker bm25,dense,hybrid] [--out DIR] [--json]
                  [--chunking WORDS,OVERLAP,MIN] [--depth N] [--cache DIR] [--device auto|cpu|cuda]
                  [--precision auto|fp32|int8]
                  [--fusion SPEC[;SPEC...]]

Evaluates rankers on a benchmark in CliniQ's layout (notes/, queries.jsonl, qrels.tsv, bench.json) with
CliniQ's metrics: single-patient MRR, nDCG, MAP and multi-patient MRR, nDCG@10, Recall@100, per query
type and match type. Writes report.md and report.json into --out (a training run folder gets them in
eval-<benchmark>/), default .drehr/eval/<benchmark>/ under the current folder.

  --bench DIR      benchmark folder (required)
  --model DIR      model folder for dense and hybrid (default: the shipped demo model)
  --ranker LIST    comma-separated rankers (default: bm25,dense,hybrid); bm25x and hybridx expand the
                   query with the model's lexicon (synonyms, brands, abbreviations), as the editor's search does
  --out DIR        where report.md and report.json go
  --json           print the report as JSON on stdout, progress as JSON lines on stderr
  --chunking W,O,M chunking of the index (default 100,10,50, the paper's); must match bench.json
  --depth N        depth of the corpus ranking (default: the whole corpus, at most 1000)
  --cache DIR      where benchmark indexes are kept (default ~/.cache/drehr/eval)
  --device D       auto, cpu or cuda (default cpu)
  --precision P    auto, fp32 or int8: the model's graph (default auto: int8 when the folder has one, on CPU)
  --fusion SPECS   also evaluate each hybrid ranker with these fusions of its dense and BM25 rankings,
                   ';'-separated: rrf[:k=K][,w=W], minmax[:w=W], zscore[:w=W] (W: the dense weight, 0-1;
                   the BM25 weight is 1 - W; no W: equal weights). The search's own fusion: rrf:k=60

Exit codes: 0 done; 1 the evaluation failed (engine or model error); 2 bad arguments or an unusable
benchmark folder; 3 refused: the benchmark was chunked differently than the index; 130 cancelled.`;

export interface EvalArgs {
  bench: string;
  model?: string;
  rankers: RankerName[];
  out?: string;
  json: boolean;
  chunking?: ChunkingOptions;
  depth?: number;
  cache?: string;
  device: Device;
  precision: Precision;
  help: boolean;
  /** --fusion: extra fusions of the hybrid rankers' two rankings. */
  fusions?: FusionSpec[];
}

export class ArgError extends Error {}

export function parseEvalArgs(argv: readonly string[]): EvalArgs {
  const a: EvalArgs = { bench: '', rankers: [...RANKER_NAMES], json: false, device: 'cpu', precision: 'auto', help: false };
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new ArgError(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].includes('=') && argv[i].startsWith('--') ? argv[i].split(/=(.*)/s, 2) : [argv[i], undefined];
    const take = (): string => {
      if (inline !== undefined) return inline;
      const v = value(i, flag);
      i++;
      return v;
    };
    switch (flag) {
      case '--bench': a.bench = take(); break;
      case '--model': a.model = take(); break;
      case '--out': a.out = take(); break;
      case '--cache': a.cache = take(); break;
      case '--json': a.json = true; break;
      case '-h': case '--help': a.help = true; break;
      case '--ranker': case '--rankers': {
        const names = take().split(',').map((s) => s.trim()).filter(Boolean);
        const bad = names.filter((n) => !ALL_RANKERS.includes(n as RankerName));
        if (bad.length || !names.length) throw new ArgError(`--ranker takes a comma-separated list of ${ALL_RANKERS.join(', ')}; got "${bad.join(',') || '(nothing)'}"`);
        a.rankers = [...new Set(names as RankerName[])];
        break;
      }
      case '--chunking': {
        const parts = take().split(',').map((s) => Number(s));
        if (parts.length !== 3 || parts.some((n) => !Number.isInteger(n) || n < 0) || parts[0] < 1 || parts[1] >= parts[0]) {
          throw new ArgError('--chunking takes WORDS,OVERLAP,MIN_WORDS as whole numbers with OVERLAP < WORDS, e.g. 100,10,50');
        }
        a.chunking = { words: parts[0], overlap: parts[1], minWords: parts[2] };
        break;
      }
      case '--depth': {
        const n = Number(take());
        if (!Number.isInteger(n) || n < 1) throw new ArgError('--depth takes a positive whole number');
        a.depth = n;
        break;
      }
      case '--device': {
        const d = take();
        if (d !== 'auto' && d !== 'cpu' && d !== 'cuda') throw new ArgError('--device is auto, cpu or cuda');
        a.device = d;
        break;
      }
      case '--precision': {
        const p = take();
        if (!PRECISIONS.includes(p as Precision)) throw new ArgError('--precision is auto, fp32 or int8');
        a.precision = p as Precision;
        break;
      }
      case '--fusion': {
        try {
          a.fusions = take().split(';').map((x) => x.trim()).filter(Boolean).map(parseFusion);
        } catch (e) {
          throw new ArgError(`--fusion: ${(e as Error).message}`);
        }
        if (!a.fusions.length) throw new ArgError('--fusion needs at least one spec, e.g. rrf:k=60;minmax:w=0.5');
        break;
      }
      default:
        throw new ArgError(`unknown argument ${argv[i]}`);
    }
  }
  if (!a.bench && !a.help) throw new ArgError('--bench DIR is required');
  return a;
}
