/**
 * The questions "Train Stage I/II" asks with quick picks: base model, data, device and processes per node. Each
 * returns undefined when the user cancels. The same answers can come as a command argument (trainArgs.ts).
 */
import * as vscode from 'vscode';
import * as path from 'node:path';
import type { Device } from '../shared/protocol';
import type { RunData } from './runConfig';
import { baseData, checkBaseModel, type PickContext } from './trainArgs';

interface Item<T> extends vscode.QuickPickItem {
  value?: T;
  browse?: boolean;
}

function rel(root: string, p: string): string {
  const r = path.relative(root, p);
  return r && !r.startsWith('..') && !path.isAbsolute(r) ? r : p;
}

async function pick<T>(items: Array<Item<T>>, title: string, placeHolder: string, browse?: () => Promise<T | undefined>): Promise<T | undefined> {
  const chosen = await vscode.window.showQuickPick(items, { title, placeHolder, ignoreFocusOut: true, matchOnDescription: true, matchOnDetail: true });
  if (!chosen) return undefined;
  if (chosen.browse) return browse ? browse() : undefined;
  return chosen.value;
}

export async function pickBaseModel(c: PickContext, title: string): Promise<string | undefined> {
  const items: Array<Item<string>> = [];
  const seen = new Set<string>();
  const add = (label: string, dir: string, description: string): void => {
    const key = path.resolve(dir);
    if (seen.has(key)) return;
    seen.add(key);
    items.push({ label, description, detail: rel(c.workspaceRoot, dir), value: dir });
  };
  add('$(star-full) Current model', c.currentModelDir, 'drehr.modelPath');
  add('$(package) Demo model', c.demoModelDir, 'shipped with the extension');
  for (const run of c.model.runs) if (run.status.status === 'finished' && run.modelReady) add(`$(beaker) ${run.id}`, run.modelDir, 'model of a training run');
  items.push({ label: '$(folder-opened) Browse…', description: 'a Hugging Face checkpoint folder (config.json + weights), e.g. DR.EHR-small or bge-base-en-v1.5', browse: true });
  const dir = await pick(items, title, 'Base model: training starts from its weights', async () => {
    const uri = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: 'Use as Base Model', defaultUri: vscode.Uri.file(c.workspaceRoot) });
    return uri?.[0]?.fsPath;
  });
  if (!dir) return undefined;
  const problem = await checkBaseModel(dir);
  if (problem) {
    void vscode.window.showErrorMessage(problem);
    return undefined;
  }
  return dir;
}

async function browseFile(title: string, filters: Record<string, string[]>, root: string): Promise<string | undefined> {
  const uri = await vscode.window.showOpenDialog({ canSelectFiles: true, canSelectFolders: false, canSelectMany: false, openLabel: title, filters, defaultUri: vscode.Uri.file(root) });
  return uri?.[0]?.fsPath;
}

export async function pickStage1Data(c: PickContext, title: string): Promise<RunData | undefined> {
  const source = await pick<'notes' | 'chunks'>(
    [
      { label: '$(notebook) Workspace notes', description: 'chunked as the index chunks them', detail: `${c.workspaceRoot} (${c.notes.include.join(', ')})`, value: 'notes' },
      { label: '$(file) Chunks JSONL…', description: 'one chunk a line: {"id", "text"}', value: 'chunks' },
    ],
    title,
    'Stage I data: the chunks to inject knowledge into',
  );
  if (!source) return undefined;
  const data = baseData(c);
  if (source === 'chunks') {
    const file = await browseFile('Use Chunks', { 'Chunks JSONL': ['jsonl'] }, c.workspaceRoot);
    if (!file) return undefined;
    delete data.notes;
    delete data.include;
    delete data.exclude;
    data.chunks = file;
  }
  const graph = await pick<string | null>(
    [
      { label: '$(type-hierarchy) Graph shipped with the trainer', description: 'default: Disease Ontology, HPO, MeSH, ICD-10-CM, abbreviations', value: null },
      { label: '$(folder-opened) Graph file…', description: 'your own (concept, term, relation) TSV/JSONL, e.g. from UMLS', browse: true },
    ],
    title,
    'Knowledge graph for the positives (entities, synonyms, hypernyms, related concepts)',
    () => browseFile('Use Graph', { 'Graph (TSV, JSONL, OBO)': ['tsv', 'jsonl', 'obo', 'txt'] }, c.workspaceRoot),
  );
  if (graph === undefined) return undefined;
  data.graph = graph;
  return data;
}

async function findJsonl(hint: RegExp): Promise<string[]> {
  const found = await vscode.workspace.findFiles('**/*.jsonl', '{**/node_modules/**,**/.git/**,**/index/**,**/checkpoints/**}', 500);
  return found.map((u) => u.fsPath).filter((p) => hint.test(path.basename(p))).sort();
}

export async function pickStage2Data(c: PickContext, title: string): Promise<RunData | undefined> {
  const pairsFiles = await findJsonl(/pair/i);
  const pairs = await pick<string>(
    [
      ...pairsFiles.map((p) => ({ label: `$(file) ${path.basename(p)}`, detail: rel(c.workspaceRoot, p), value: p })),
      { label: '$(folder-opened) Browse…', description: 'synthetic (chunk, entity) pairs JSONL', browse: true },
    ],
    title,
    pairsFiles.length ? 'Stage II data: the synthetic pairs' : 'No *pairs*.jsonl in the workspace: browse for the synthetic pairs',
    () => browseFile('Use Pairs', { 'Pairs JSONL': ['jsonl'] }, c.workspaceRoot),
  );
  if (!pairs) return undefined;
  const labelFiles = await findJsonl(/label/i);
  const labels = await pick<string | null>(
    [
      ...labelFiles.map((p) => ({ label: `$(checklist) ${path.basename(p)}`, description: 'pairs labelled noise are left out', detail: rel(c.workspaceRoot, p), value: p })),
      { label: '$(circle-slash) No label log', description: 'train on every pair', value: null },
      { label: '$(folder-opened) Browse…', description: 'the review label log (JSONL)', browse: true },
    ],
    title,
    'Label log from the review (the last label of a pair counts)',
    () => browseFile('Use Labels', { 'Label log JSONL': ['jsonl'] }, c.workspaceRoot),
  );
  if (labels === undefined) return undefined;
  return { ...baseData(c), pairs, labels };
}

export async function pickDevice(title: string): Promise<{ device: Device; nproc: number } | undefined> {
  const device = await pick<Device>(
    [
      { label: 'auto', description: 'CUDA when PyTorch sees a GPU, else CPU', value: 'auto' },
      { label: 'cpu', description: 'always CPU', value: 'cpu' },
      { label: 'cuda', description: 'GPU only: fail if PyTorch has no CUDA', value: 'cuda' },
    ],
    title,
    'Device for training',
  );
  if (!device) return undefined;
  if (device === 'cpu') return { device, nproc: 1 };
  const n = await pick<number>(
    [
      { label: '1', description: 'one process (one GPU)', value: 1 },
      { label: '2', description: 'torchrun, 2 processes per node', value: 2 },
      { label: '4', description: 'torchrun, 4 processes per node', value: 4 },
      { label: '8', description: 'torchrun, 8 processes per node (the paper: 8 GPUs × batch 32)', value: 8 },
      { label: 'Other…', browse: true },
    ],
    title,
    'Processes per node (one per GPU; DDP through torchrun)',
    async () => {
      const s = await vscode.window.showInputBox({ title, prompt: 'Processes per node (1 to 64)', validateInput: (v) => (/^\d+$/.test(v) && +v >= 1 && +v <= 64 ? undefined : 'A whole number from 1 to 64') });
      return s === undefined ? undefined : Number(s);
    },
  );
  return n === undefined ? undefined : { device, nproc: n };
}
