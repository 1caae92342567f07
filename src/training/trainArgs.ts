/**
 * The answers of Train Stage I/II without the pickers: the command argument scripts and tests pass
 * (`executeCommand('drehr.trainStage1', { device: 'cpu', train: { max_steps: 3 } })`), and the checks both paths
 * share. Node only (no vscode), unit-tested.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Device } from '../shared/protocol';
import type { RunData, TrainParams, TrainStage } from './runConfig';
import type { RunsModel } from './runsModel';

/** Answers given as an argument of drehr.trainStage1/2 (absolute paths or relative to the workspace folder). */
export interface TrainArgs {
  baseModel?: string;
  /** Stage I: a chunks JSONL instead of the workspace notes. */
  chunks?: string;
  /** Stage I: a graph file; omitted = the trainer's graph. */
  graph?: string;
  /** Stage II. */
  pairs?: string;
  labels?: string;
  device?: Device;
  nproc?: number;
  train?: Partial<TrainParams>;
}

export interface PickContext {
  workspaceRoot: string;
  currentModelDir: string;
  demoModelDir: string;
  model: RunsModel;
  notes: { include: string[]; exclude: string[]; chunking: { words: number; overlap: number; minWords: number } };
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}

/** A folder is a usable base when it holds a Hugging Face config.json (weights are the trainer's business). */
export async function checkBaseModel(dir: string): Promise<string | undefined> {
  if (!(await exists(dir))) return `The base model folder ${dir} does not exist.`;
  if (!(await exists(path.join(dir, 'config.json')))) return `${dir} is not a model folder: it has no config.json (a Hugging Face BERT checkpoint or a DR.EHR model folder has one).`;
  return undefined;
}

export function baseData(c: PickContext): RunData {
  return {
    notes: c.workspaceRoot,
    include: c.notes.include,
    exclude: c.notes.exclude,
    chunking: { words: c.notes.chunking.words, overlap: c.notes.chunking.overlap, min_words: c.notes.chunking.minWords },
  };
}

/** Data from command arguments, checked like picked data. */
export function dataFromArgs(stage: TrainStage, a: TrainArgs, c: PickContext): RunData | string {
  const abs = (p: string): string => path.resolve(c.workspaceRoot, p);
  const data = baseData(c);
  if (stage === 'stage1') {
    if (a.chunks) {
      delete data.notes;
      delete data.include;
      delete data.exclude;
      data.chunks = abs(a.chunks);
    }
    data.graph = a.graph ? abs(a.graph) : null;
    return data;
  }
  if (!a.pairs) return 'Stage II needs "pairs": a synthetic pairs JSONL';
  return { ...data, pairs: abs(a.pairs), labels: a.labels ? abs(a.labels) : null };
}
