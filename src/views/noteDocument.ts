/**
 * Read-only documents (scheme drehr-note) for notes that are rows of a CSV/JSONL export: the text comes from
 * the sidecar's GetNote, exactly the note's text field, so a hit's character range applies as it is.
 */
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { GetNote } from '../shared/protocol';
import { NOTE_SCHEME, noteIdFromQuery, noteUriParts } from './noteUri';

export function noteUri(noteId: string, patientId: string): vscode.Uri {
  const { path, query } = noteUriParts(noteId, patientId);
  return vscode.Uri.from({ scheme: NOTE_SCHEME, path, query });
}

class NoteContentProvider implements vscode.TextDocumentContentProvider {
  constructor(private readonly ctx: Ctx) {}

  async provideTextDocumentContent(uri: vscode.Uri, token: vscode.CancellationToken): Promise<string> {
    const noteId = noteIdFromQuery(uri.query);
    if (noteId === undefined) throw new Error(`${uri.toString()} names no note.`);
    const note = await this.ctx.client.request(GetNote, { noteId }, token);
    return note.text;
  }
}

export function register(ctx: Ctx): void {
  ctx.extensionScope.push(vscode.workspace.registerTextDocumentContentProvider(NOTE_SCHEME, new NoteContentProvider(ctx)));
}
