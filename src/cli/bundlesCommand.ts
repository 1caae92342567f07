/**
 * `drehr bundles list <folder>` and `drehr search <folder> --bundle NAME|PATH`: the term bundles of
 * `.drehr/bundles/` (src/shared/bundleFiles.ts), run with the panel's code (runBundle in src/shared/bundles.ts).
 */
import type { PatientSearchResult } from '../shared/protocol';
import { BUNDLES_FOLDER, runBundle, type BundleMatch, type TermBundle } from '../shared/bundles';
import { findBundle, listBundleFiles } from '../shared/bundleFiles';
import type { PatientAggregate, SearchFilters } from '../shared/search';
import type { SearchMode } from '../shared/defaults';
import type { Engine } from '../sidecar/engine';
import { parseArgs, stringFlag, UsageError, type ParsedArgs } from './args';
import { EXIT } from './exitCodes';
import { engineConfigFrom } from './options';

export const BUNDLE_MODES: readonly BundleMatch[] = ['any', 'all'];

export async function bundlesCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'list') throw new UsageError(sub ? `unknown bundles command ${sub}: drehr bundles list <folder>` : 'drehr bundles list <folder>');
  const args = parseArgs(rest, [], ['json']);
  const root = engineConfigFrom(args.positionals[0], args).workspaceRoot;
  const list = listBundleFiles(root);
  if (args.flags.has('json')) {
    process.stdout.write(JSON.stringify({ folder: BUNDLES_FOLDER, bundles: list }) + '\n');
    return EXIT.ok;
  }
  if (list.length === 0) {
    process.stdout.write(`No bundles in ${BUNDLES_FOLDER}/ yet: save one from the search panel, or write ${BUNDLES_FOLDER}/NAME.json as {"name": "...", "queries": ["...", "..."]}.\n`);
    return EXIT.ok;
  }
  for (const b of list) {
    const id = b.file.replace(/\.json$/, '');
    if (b.error) process.stdout.write(`${id}  (cannot be run) ${b.error}\n`);
    else {
      const n = b.queries?.length ?? 0;
      process.stdout.write(`${id}  "${b.name}"  ${n} quer${n === 1 ? 'y' : 'ies'}, match ${b.match}${b.mode ? `, mode ${b.mode}` : ''}${b.description ? `: ${b.description}` : ''}\n`);
      for (const q of b.queries ?? []) process.stdout.write(`    ${q}\n`);
    }
  }
  return EXIT.ok;
}

export interface BundleSearchOptions {
  /** The mode for a bundle that names none (as in the panel, a bundle's own "mode" wins). */
  mode: SearchMode;
  match: BundleMatch;
  k: number;
  aggregate?: PatientAggregate;
  evidence?: number;
  filters?: SearchFilters;
  expand?: boolean;
}

/** The bundle `--bundle` names and the match of `--bundle-mode` (default: the bundle's own), or a UsageError. */
export function bundleFromArgs(root: string, args: ParsedArgs): { bundle: TermBundle; match: BundleMatch } {
  const ref = stringFlag(args, 'bundle') ?? '';
  const m = stringFlag(args, 'bundle-mode');
  if (m !== undefined && !(BUNDLE_MODES as readonly string[]).includes(m)) throw new UsageError('--bundle-mode must be any or all');
  const found = findBundle(root, ref);
  if (!found.ok) throw new UsageError(found.error);
  for (const w of found.warnings) process.stderr.write(`warning: ${w}\n`);
  return { bundle: found.bundle, match: (m as BundleMatch | undefined) ?? found.bundle.match };
}

/** Runs a bundle through the engine: patients found by any (or every) query, best first, `k` of them. */
export async function searchBundle(engine: Engine, bundle: TermBundle, o: BundleSearchOptions): Promise<PatientSearchResult & { bundle: string; match: BundleMatch }> {
  const result = await runBundle(
    bundle,
    { mode: o.mode, match: o.match, ...(o.aggregate ? { aggregate: o.aggregate } : {}), ...(o.filters ? { filters: o.filters } : {}), ...(o.expand !== undefined ? { expand: o.expand } : {}), ...(o.evidence ? { evidence: o.evidence } : {}) },
    (p) => engine.searchPatients(p),
  );
  result.patients = result.patients.slice(0, o.k);
  return { ...result, match: o.match };
}
