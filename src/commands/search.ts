/**
 * Search Notes and Search Notes of One Patient: a quick pick that searches as you type (debounced, stale
 * requests cancelled in the sidecar), with a mode button, "also searched: …" from query expansion, and
 * accepting a hit opens it. `searchOnce` is the one search path (the panel and the test API use it too).
 */
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { SEARCH_MODES } from '../shared/defaults';
import { ListPatients, Search, type SearchHit, type SearchMode, type SearchResult } from '../shared/protocol';
import { explainError, isCancellation, type ErrorAction } from '../sidecar-client/errors';
import { openHit } from '../views/openHit';
import { expansionsLine, hitItemText, resultTitle, suggestionLabel } from './searchItems';
import { reportError, requireFolder, runAction } from './guard';

export const DEBOUNCE_MS = 250;

export interface SearchRequest {
  query: string;
  mode?: SearchMode;
  patientId?: string;
  k?: number;
}

export function searchOnce(ctx: Ctx, r: SearchRequest, token?: vscode.CancellationToken): Promise<SearchResult> {
  const c = ctx.config;
  return ctx.client.request(
    Search,
    {
      query: r.query,
      k: r.k ?? c.resultCount,
      mode: r.mode ?? c.searchMode,
      expand: c.queryExpansion,
      ...(r.patientId ? { patientId: r.patientId } : {}),
    },
    token,
  );
}

interface HitItem extends vscode.QuickPickItem {
  hit?: SearchHit;
  action?: ErrorAction;
  /** A spelling suggestion: accepting it searches the corrected query. */
  suggestion?: string;
}

function modeButton(mode: SearchMode): vscode.QuickInputButton {
  const icon = mode === 'dense' ? 'symbol-numeric' : mode === 'bm25' ? 'whole-word' : 'combine';
  const next = SEARCH_MODES[(SEARCH_MODES.indexOf(mode) + 1) % SEARCH_MODES.length];
  return { iconPath: new vscode.ThemeIcon(icon), tooltip: `Ranking: ${mode} (click for ${next})` };
}

export function showSearchPick(ctx: Ctx, o: { patientId?: string; value?: string } = {}): void {
  const qp = vscode.window.createQuickPick<HitItem>();
  let mode: SearchMode = ctx.config.searchMode;
  const scope = o.patientId ? `in patient ${o.patientId}` : 'in all patients';
  // Short enough for one line beside the mode button: the scope and the "also searched" terms go elsewhere.
  const baseTitle = () => `DR.EHR: ${o.patientId ? `${o.patientId} · ` : ''}${mode}`;
  qp.title = baseTitle();
  qp.placeholder = o.patientId ? `Search the notes of ${o.patientId}` : 'Search the notes, e.g. "shortness of breath" or "HTN"';
  qp.matchOnDescription = false;
  qp.matchOnDetail = false;
  qp.buttons = [modeButton(mode)];
  let cts: vscode.CancellationTokenSource | undefined;
  let timer: NodeJS.Timeout | undefined;

  const run = (query: string) => {
    cts?.cancel();
    cts?.dispose();
    clearTimeout(timer);
    if (query.trim() === '') {
      qp.busy = false;
      qp.items = [];
      qp.title = baseTitle();
      return;
    }
    const mine = new vscode.CancellationTokenSource();
    cts = mine;
    timer = setTimeout(() => {
      qp.busy = true;
      searchOnce(ctx, { query, mode, ...(o.patientId ? { patientId: o.patientId } : {}) }, mine.token).then(
        (result) => {
          if (mine !== cts) return;
          qp.busy = false;
          qp.title = `${baseTitle()} — ${resultTitle({ ...result, expansions: [] }, scope)}`;
          const items: HitItem[] = result.hits.map((hit) => ({ ...hitItemText(hit), hit, alwaysShow: true }));
          const also = expansionsLine(result);
          // "Did you mean": first, but the first hit stays the active item (Enter still opens it).
          const fix: HitItem[] = result.suggestion ? [{ label: suggestionLabel(result.suggestion), suggestion: result.suggestion.query, alwaysShow: true }] : [];
          qp.items = [...fix, ...(also ? [{ label: also, kind: vscode.QuickPickItemKind.Separator }] : []), ...items];
          if (items[0]) qp.activeItems = [items[0]];
          ctx.searchPickResults.fire({ hits: result.hits.length });
        },
        (e: unknown) => {
          if (mine !== cts || isCancellation(e)) return;
          qp.busy = false;
          const x = explainError(e, 'search');
          ctx.log.error(x.message);
          qp.items = [
            { label: `$(error) ${x.message}`, alwaysShow: true },
            ...x.actions.map((a) => ({ label: `$(arrow-right) ${a}`, action: a, alwaysShow: true })),
          ];
          ctx.searchPickResults.fire({ hits: 0, error: x.message });
        },
      );
    }, DEBOUNCE_MS);
  };

  qp.onDidChangeValue(run);
  qp.onDidTriggerButton(() => {
    mode = SEARCH_MODES[(SEARCH_MODES.indexOf(mode) + 1) % SEARCH_MODES.length];
    qp.buttons = [modeButton(mode)];
    qp.title = baseTitle();
    run(qp.value);
  });
  qp.onDidAccept(() => {
    // An accept can arrive with no selection but an active item (keyboard focus, acceptSelectedQuickOpenItem).
    const item = qp.selectedItems[0] ?? qp.activeItems[0];
    if (item?.hit) {
      const hit = item.hit;
      qp.hide();
      openHit(ctx, hit).catch((e: unknown) => reportError(ctx, e, 'open the passage'));
    } else if (item?.suggestion !== undefined) {
      qp.value = item.suggestion;
      run(item.suggestion);
    } else if (item?.action) {
      qp.hide();
      runAction(item.action);
    }
  });
  qp.onDidHide(() => {
    cts?.cancel();
    cts?.dispose();
    clearTimeout(timer);
    qp.dispose();
  });
  if (o.value) {
    qp.value = o.value;
    run(o.value);
  }
  qp.show();
}

async function pickPatient(ctx: Ctx): Promise<string | undefined> {
  try {
    const patients = await ctx.client.request0(ListPatients);
    if (patients.length === 0) {
      void vscode.window.showInformationMessage('The index holds no patients yet. Run "DR.EHR: Index Workspace" first.');
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(
      patients.map((p) => ({ label: p.patientId, description: `${p.notes} note${p.notes === 1 ? '' : 's'}` })),
      { title: 'DR.EHR: search the notes of one patient', placeHolder: 'Pick a patient' },
    );
    return picked?.label;
  } catch (e) {
    reportError(ctx, e, 'list the patients');
    return undefined;
  }
}

export function register(ctx: Ctx): void {
  ctx.extensionScope.push(
    vscode.commands.registerCommand('drehr.searchNotes', (arg?: { query?: string; patientId?: string }) => {
      if (!requireFolder(ctx)) return;
      showSearchPick(ctx, {
        ...(typeof arg?.query === 'string' ? { value: arg.query } : {}),
        ...(typeof arg?.patientId === 'string' ? { patientId: arg.patientId } : {}),
      });
    }),
    vscode.commands.registerCommand('drehr.searchPatient', async () => {
      if (!requireFolder(ctx)) return;
      const patientId = await pickPatient(ctx);
      if (patientId) showSearchPick(ctx, { patientId });
    }),
  );
}
