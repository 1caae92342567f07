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
import type { PatientSummary, SearchHit, SearchMode, SearchResult } from './protocol';

// ---------------------------------------------------------------------------------------------------------
// Search panel (view drehr.search, bundle webview-ui/search)
// ---------------------------------------------------------------------------------------------------------

/** Webview → host. */
export type SearchPanelToHost =
  /** Sent once the script runs; the host answers with `config`. */
  | { type: 'ready' }
  /** Run a search; answered by `searchReply` with the same id. A newer search cancels older ones. */
  | { type: 'search'; id: number; query: string; mode: SearchMode; patientId?: string }
  /** List the patients of the index; answered by `patientsReply`. */
  | { type: 'patients'; id: number }
  /** Open a hit in the editor (the same as accepting it in the quick pick). */
  | { type: 'open'; hit: SearchHit };

/** Host → webview. */
export type SearchPanelToWebview =
  /** Defaults from the settings and whether searching can work right now. */
  | { type: 'config'; mode: SearchMode; ready: boolean; message?: string }
  | { type: 'searchReply'; id: number; ok: true; result: SearchResult }
  | { type: 'searchReply'; id: number; ok: false; error: string }
  | { type: 'patientsReply'; id: number; ok: true; patients: PatientSummary[] }
  | { type: 'patientsReply'; id: number; ok: false; error: string }
  /** The index changed (indexing finished, the sidecar restarted): the panel may refresh its patient list. */
  | { type: 'indexChanged'; ready: boolean; message?: string };

/** State the search panel keeps with setState, restored when the view is shown again. */
export interface SearchPanelState {
  query: string;
  mode: SearchMode;
  patientId: string;
  result?: SearchResult;
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
        (x.patientId === undefined || typeof x.patientId === 'string')
      );
    case 'patients':
      return Number.isInteger(x.id);
    case 'open':
      return isHit(x.hit);
    default:
      return false;
  }
}
