/**
 * Opens a search hit: the source file (a .txt/.md note) or a drehr-note document (a CSV/JSONL row), with the
 * chunk's character range selected, revealed and decorated. Used by the quick pick and the search panel.
 */
import * as vscode from 'vscode';
import * as path from 'node:path';
import type { Ctx } from '../ctx';
import type { SearchHit } from '../shared/protocol';
import { mapChunkRange, resolveSourcePath } from './hitRange';
import { noteUri } from './noteDocument';
import { NOTE_LANGUAGE, NOTE_SCHEME } from './noteUri';

let decoration: vscode.TextEditorDecorationType | undefined;
let decorated: vscode.TextEditor | undefined;

function hitDecoration(ctx: Ctx): vscode.TextEditorDecorationType {
  if (!decoration) {
    decoration = vscode.window.createTextEditorDecorationType({
      backgroundColor: new vscode.ThemeColor('editor.findMatchHighlightBackground'),
      border: '1px solid',
      borderColor: new vscode.ThemeColor('editor.findMatchHighlightBorder'),
      overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.findMatchForeground'),
      overviewRulerLane: vscode.OverviewRulerLane.Center,
      rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
    });
    const d = decoration;
    ctx.extensionScope.push({
      dispose: () => {
        d.dispose();
        decoration = undefined;
        decorated = undefined;
      },
    });
  }
  return decoration;
}

/** The document a hit lives in. */
export function hitUri(ctx: Ctx, hit: SearchHit): vscode.Uri {
  if (hit.row !== undefined) return noteUri(hit.noteId, hit.patientId);
  const file = ctx.workspaceRoot ? resolveSourcePath(ctx.workspaceRoot, hit.sourcePath, path.sep) : undefined;
  if (!file) throw new Error(`${hit.sourcePath} is not a path inside the workspace folder.`);
  return vscode.Uri.file(file);
}

export async function openHit(ctx: Ctx, hit: SearchHit): Promise<vscode.TextEditor> {
  const uri = hitUri(ctx, hit);
  let doc: vscode.TextDocument;
  try {
    doc = await vscode.workspace.openTextDocument(uri);
    // A row of a CSV/JSONL export is one long line of text: its language turns word wrap on (package.json).
    if (uri.scheme === NOTE_SCHEME && doc.languageId !== NOTE_LANGUAGE) doc = await vscode.languages.setTextDocumentLanguage(doc, NOTE_LANGUAGE);
  } catch (e) {
    throw new Error(
      hit.row !== undefined
        ? `cannot read row ${hit.row} of ${hit.sourcePath} (${(e as Error).message})`
        : `${hit.sourcePath} cannot be opened; it may have moved since it was indexed (${(e as Error).message}). Index the workspace again.`,
    );
  }
  const mapped = mapChunkRange(doc.getText(), hit.charStart, hit.charEnd);
  const range = new vscode.Range(doc.positionAt(mapped.start), doc.positionAt(mapped.end));
  const editor = await vscode.window.showTextDocument(doc, { preview: true, selection: new vscode.Selection(range.start, range.end) });
  editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  const deco = hitDecoration(ctx);
  if (decorated && decorated !== editor) decorated.setDecorations(deco, []);
  editor.setDecorations(deco, [range]);
  decorated = editor;
  if (!mapped.exact) {
    void vscode.window.showInformationMessage(
      `${hit.sourcePath} changed since it was indexed, so the highlighted passage may be off. Index the workspace to refresh it.`,
    );
  }
  return editor;
}
