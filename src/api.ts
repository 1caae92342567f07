/**
 * What activate() returns: a small API over the same code paths as the commands, for the integration tests
 * (and for other extensions that want to search the index). It exposes no note text beyond search results.
 */
import * as vscode from 'vscode';
import type { Ctx } from './ctx';
import { SearchPatients, SimilarPassages, type IndexResult, type IndexStatus, type PatientSearchParams, type PatientSearchResult, type SearchHit, type SearchMode, type SearchResult } from './shared/protocol';
import type { SidecarState } from './sidecar-client/client';
import { runIndex } from './commands/indexing';
import { searchOnce } from './commands/search';
import { selectModel, type SelectModelResult } from './commands/model';
import { openHit } from './views/openHit';
import { currentStatusText } from './statusBar';

export interface Snapshot {
  sidecar: SidecarState;
  status: IndexStatus | undefined;
  statusBarText: string;
  indexing: boolean;
  pid: number | undefined;
  /** Settings changed that the sidecar does not use yet (the user was asked to restart or reload it). */
  pendingSettings: string[] | undefined;
}

export interface DrehrApi {
  /** How long activate() took, in ms (the sidecar starts after it). */
  readonly activationMs: number;
  snapshot(): Snapshot;
  /** Resolves with the first snapshot (now or after a change) that satisfies `pred`; rejects after `timeoutMs`. */
  waitFor(pred: (s: Snapshot) => boolean, timeoutMs?: number): Promise<Snapshot>;
  index(o?: { rebuild?: boolean; paths?: string[]; token?: vscode.CancellationToken }): Promise<IndexResult>;
  search(query: string, o?: { mode?: SearchMode; patientId?: string; k?: number }): Promise<SearchResult>;
  openHit(hit: SearchHit): Promise<vscode.TextEditor>;
  /** Patients ranked by their passages (the search panel's Patients mode). */
  searchPatients(p: Omit<PatientSearchParams, 'k' | 'mode'> & { k?: number; mode?: SearchMode }): Promise<PatientSearchResult>;
  /** Passages like one passage (Find Similar). */
  similar(chunkId: string, k?: number): Promise<SearchResult>;
  selectModel(dir: string): Promise<SelectModelResult | undefined>;
  /** Fires whenever the Search Notes quick pick shows results (hit count) or an error. */
  onDidShowSearchResults: vscode.Event<{ hits: number; error?: string }>;
}

export function makeApi(ctx: Ctx): DrehrApi {
  const snapshot = (): Snapshot => ({
    sidecar: ctx.client.state,
    status: ctx.client.status,
    statusBarText: currentStatusText(ctx),
    indexing: ctx.indexing !== undefined,
    pid: ctx.client.pid,
    pendingSettings: ctx.pendingSettings?.keys,
  });
  return {
    get activationMs() {
      return ctx.activationMs;
    },
    snapshot,
    waitFor: (pred, timeoutMs = 60000) =>
      new Promise<Snapshot>((resolve, reject) => {
        const now = snapshot();
        if (pred(now)) return resolve(now);
        const timer = setTimeout(() => {
          sub.dispose();
          reject(new Error(`waitFor: condition not met in ${timeoutMs} ms; last state ${JSON.stringify(snapshot().sidecar.kind)} ${snapshot().statusBarText}`));
        }, timeoutMs);
        const sub = ctx.onDidChange(() => {
          const s = snapshot();
          if (pred(s)) {
            clearTimeout(timer);
            sub.dispose();
            resolve(s);
          }
        });
      }),
    index: (o = {}) => runIndex(ctx, o),
    search: (query, o = {}) => searchOnce(ctx, { query, ...o }),
    openHit: (hit) => openHit(ctx, hit),
    searchPatients: (p) => ctx.client.request(SearchPatients, { k: ctx.config.resultCount, mode: ctx.config.searchMode, expand: ctx.config.queryExpansion, ...p }),
    similar: (chunkId, k = ctx.config.resultCount) => ctx.client.request(SimilarPassages, { chunkId, k }),
    selectModel: (dir) => selectModel(ctx, dir),
    onDidShowSearchResults: ctx.searchPickResults.event,
  };
}
