/**
 * Typed messages between the extension host and its webviews, one section per webview. Each section is a pair
 * of discriminated unions (webview → host, host → webview) plus a guard the host runs on every message it
 * receives, because a webview is untrusted input. Requests that expect an answer carry a correlation `id`
 * chosen by the webview; the host answers with the matching `…Reply` message and the same `id`.
 *
 * Browser-safe: type-only imports, no runtime dependency. The evaluation and training webviews keep their
 * sections in webview-eval.ts and webview-training.ts.
 */
import { isSearchMode } from './defaults';
import type { PatientSearchResult, PatientSummary, SearchHit, SearchMode, SearchResult } from './protocol';
import { isPatientAggregate, type PatientAggregate, type SearchFilters } from './search';
import type { BundleMatch } from './bundles';

/** A bundle file of .drehr/bundles as the panel lists it: the parsed bundle, or why it cannot be used. */
export interface BundleListing {
  /** File name inside .drehr/bundles. */
  file: string;
  name?: string;
  queries?: string[];
  match?: BundleMatch;
  /** The problems of a bundle that cannot be run (clear messages naming the field). */
  error?: string;
}

// ---------------------------------------------------------------------------------------------------------
// Search panel (view drehr.search, bundle webview-ui/search)
// ---------------------------------------------------------------------------------------------------------

/** Passages: a ranked list of passages. Patients: patients ranked by their passages, each expandable. */
export type ResultView = 'passages' | 'patients';

/** What the panel can do right now (drives its empty states and their buttons). */
export type PanelReadiness =
  | 'ready'
  /** Indexing is running: searches work on what is indexed so far, and results say they are partial. */
  | 'indexing'
  | 'noFolder'
  | 'noIndex'
  | 'starting'
  /** The sidecar is down or failed: the message says why, the panel offers a restart. */
  | 'down';

/** One search of the panel. `disabledExpansions`: the chips switched off. */
export interface PanelSearch {
  query: string;
  mode: SearchMode;
  /** Default 'passages'. */
  view?: ResultView;
  /** One patient (older panels); `filters.patientIds` is the list form. */
  patientId?: string;
  aggregate?: PatientAggregate;
  filters?: SearchFilters;
  disabledExpansions?: string[];
}

/** Commands the panel's buttons run in the host (build the index, restart the sidecar). */
export type PanelCommand = 'index' | 'restart' | 'showLogs';

/** The panel's result formats for Export. */
export type ExportFormat = 'csv' | 'jsonl' | 'patientList';

/** Webview → host. */
export type SearchPanelToHost =
  /** Sent once the script runs; the host answers with `config`. */
  | { type: 'ready' }
  /** Run a search; answered by `searchReply` with the same id. A newer search cancels older ones. */
  | ({ type: 'search'; id: number } & PanelSearch)
  /** Passages like this one (its own stored vector as the query); answered by `searchReply`. */
  | { type: 'similar'; id: number; hit: SearchHit; filters?: SearchFilters }
  /** List the patients of the index; answered by `patientsReply`. */
  | { type: 'patients'; id: number }
  /** Open a hit in the editor (the same as accepting it in the quick pick). */
  | { type: 'open'; hit: SearchHit }
  /** Save the last result the host sent (answered by `exported`). */
  | { type: 'export'; format: ExportFormat }
  | { type: 'command'; command: PanelCommand }
  /** List the term bundles of the workspace; answered by `bundlesReply`. */
  | { type: 'bundles'; id: number }
  /** Run a bundle (each query in Patients mode, combined); answered by `searchReply` with `bundle`. */
  | { type: 'runBundle'; id: number; file: string; match: BundleMatch; mode: SearchMode; aggregate?: PatientAggregate; filters?: SearchFilters }
  /** Save a new bundle holding this query (the host asks for a name and opens the file to edit). */
  | { type: 'newBundle'; query: string }
  /** Open a bundle file in the editor. */
  | { type: 'editBundle'; file: string };

/** Host → webview. */
export type SearchPanelToWebview =
  /** Defaults from the settings and whether searching can work right now. */
  | { type: 'config'; mode: SearchMode; aggregate: PatientAggregate; ready: boolean; readiness: PanelReadiness; message?: string }
  | { type: 'searchReply'; id: number; ok: true; result: SearchResult; partial?: boolean; similarTo?: string }
  | { type: 'searchReply'; id: number; ok: true; patients: PatientSearchResult; partial?: boolean; bundle?: string }
  | { type: 'searchReply'; id: number; ok: false; error: string }
  | { type: 'patientsReply'; id: number; ok: true; patients: PatientSummary[] }
  | { type: 'patientsReply'; id: number; ok: false; error: string }
  /** The index changed (indexing finished, the sidecar restarted): the panel may refresh its patient list. */
  | { type: 'indexChanged'; ready: boolean; readiness: PanelReadiness; message?: string }
  /** A search started from outside the panel (Search for Selection): fill the query and run it. */
  | { type: 'runQuery'; query: string }
  | { type: 'exported'; ok: boolean; message: string }
  | { type: 'bundlesReply'; id: number; bundles: BundleListing[] };

/** State the search panel keeps with setState, restored when the view is shown again. */
export interface SearchPanelState {
  query: string;
  mode: SearchMode;
  /** Legacy single-patient filter (kept for restored states); the filters' patient list supersedes it. */
  patientId: string;
  view?: ResultView;
  aggregate?: PatientAggregate;
  filters?: SearchFilters;
  disabledExpansions?: string[];
  /** Recent queries, newest first. */
  history?: string[];
  result?: SearchResult;
  patients?: PatientSearchResult;
  /** Patients expanded in the Patients view. */
  expanded?: string[];
  /** The bundle the shown patients came from, and whether a patient must match any or every query. */
  bundle?: string;
  bundleMatch?: BundleMatch;
}

export { isSearchMode };

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isHit(x: unknown): x is SearchHit {
  return (
    isObject(x) &&
    typeof x.chunkId === 'string' &&
    typeof x.noteId === 'string' &&
    typeof x.patientId === 'string' &&
    typeof x.sourcePath === 'string' &&
    typeof x.charStart === 'number' &&
    typeof x.charEnd === 'number' &&
    (x.row === undefined || typeof x.row === 'number')
  );
}

const isStrings = (x: unknown): x is string[] => Array.isArray(x) && x.every((v) => typeof v === 'string');

/** Shape only; the sidecar checks the values (dates, counts) and answers with a message. */
function isFilters(x: unknown): x is SearchFilters {
  if (x === undefined) return true;
  if (!isObject(x)) return false;
  for (const [k, v] of Object.entries(x)) {
    if (k === 'noteTypes' || k === 'folders' || k === 'patientIds') {
      if (v !== undefined && !isStrings(v)) return false;
    } else if (k === 'dateFrom' || k === 'dateTo') {
      if (v !== undefined && typeof v !== 'string') return false;
    } else return false;
  }
  return true;
}

/** A plain file name inside .drehr/bundles (no folder part, so a message cannot point elsewhere). */
export function isBundleFile(x: unknown): x is string {
  return typeof x === 'string' && /^[^/\\]+\.json$/.test(x) && !x.startsWith('.');
}

/** The host's guard for messages from the search panel. */
export function isSearchPanelToHost(x: unknown): x is SearchPanelToHost {
  if (!isObject(x)) return false;
  switch (x.type) {
    case 'ready':
      return true;
    case 'search':
      return (
        Number.isInteger(x.id) &&
        typeof x.query === 'string' &&
        isSearchMode(x.mode) &&
        (x.view === undefined || x.view === 'passages' || x.view === 'patients') &&
        (x.patientId === undefined || typeof x.patientId === 'string') &&
        (x.aggregate === undefined || isPatientAggregate(x.aggregate)) &&
        isFilters(x.filters) &&
        (x.disabledExpansions === undefined || isStrings(x.disabledExpansions))
      );
    case 'similar':
      return Number.isInteger(x.id) && isHit(x.hit) && isFilters(x.filters);
    case 'patients':
      return Number.isInteger(x.id);
    case 'open':
      return isHit(x.hit);
    case 'export':
      return x.format === 'csv' || x.format === 'jsonl' || x.format === 'patientList';
    case 'command':
      return x.command === 'index' || x.command === 'restart' || x.command === 'showLogs';
    case 'bundles':
      return Number.isInteger(x.id);
    case 'runBundle':
      return (
        Number.isInteger(x.id) &&
        isBundleFile(x.file) &&
        (x.match === 'any' || x.match === 'all') &&
        isSearchMode(x.mode) &&
        (x.aggregate === undefined || isPatientAggregate(x.aggregate)) &&
        isFilters(x.filters)
      );
    case 'newBundle':
      return typeof x.query === 'string';
    case 'editBundle':
      return isBundleFile(x.file);
    default:
      return false;
  }
}
