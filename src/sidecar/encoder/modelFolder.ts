/**
 * Reads and validates a model folder (docs/CONTRACTS.md): drehr.json, tokenizer.json (or vocab.txt, converted),
 * config.json and the ONNX file. A missing or unreadable file becomes ModelInvalid naming that file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { modelInvalid, errorMessage } from '../errors';
import { parseDrehrJson, type DrehrJson } from './modelConfig';
import { tokenizerJsonFromVocab } from './vocab';

export interface ModelFolder {
  dir: string;
  drehr: DrehrJson;
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
  config: Record<string, unknown>;
  onnxPath: string;
  /** Absolute path of drehr.json's "onnx_int8" (not checked here: Encoder.open decides whether it is needed). */
  onnxInt8Path?: string;
}

function readJson(dir: string, file: string): Record<string, unknown> {
  const p = path.join(dir, file);
  let text: string;
  try {
    text = fs.readFileSync(p, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw modelInvalid(dir, file, code === 'ENOENT' ? 'file is missing' : `cannot be read (${errorMessage(e)})`);
  }
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw modelInvalid(dir, file, `not valid JSON (${errorMessage(e)})`);
  }
}

export function readModelFolder(dir: string): ModelFolder {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw modelInvalid(dir, '.', 'the folder does not exist');
  const parsed = parseDrehrJson(readJson(dir, 'drehr.json'));
  if (typeof parsed === 'string') throw modelInvalid(dir, 'drehr.json', parsed);
  let tokenizerJson: Record<string, unknown>;
  if (!fs.existsSync(path.join(dir, 'tokenizer.json')) && fs.existsSync(path.join(dir, 'vocab.txt'))) {
    try {
      tokenizerJson = tokenizerJsonFromVocab(fs.readFileSync(path.join(dir, 'vocab.txt'), 'utf8'));
    } catch (e) {
      throw modelInvalid(dir, 'vocab.txt', errorMessage(e));
    }
  } else {
    tokenizerJson = readJson(dir, 'tokenizer.json');
    const model = tokenizerJson.model as Record<string, unknown> | undefined;
    if (!model || typeof model.vocab !== 'object') throw modelInvalid(dir, 'tokenizer.json', 'has no model.vocab');
  }
  const tokenizerConfig = fs.existsSync(path.join(dir, 'tokenizer_config.json')) ? readJson(dir, 'tokenizer_config.json') : {};
  const config = readJson(dir, 'config.json');
  const onnxPath = path.join(dir, parsed.onnx);
  if (!fs.existsSync(onnxPath)) throw modelInvalid(dir, parsed.onnx, 'file is missing');
  const onnxInt8Path = parsed.onnxInt8 ? path.join(dir, parsed.onnxInt8) : undefined;
  return { dir, drehr: parsed, tokenizerJson, tokenizerConfig, config, onnxPath, ...(onnxInt8Path ? { onnxInt8Path } : {}) };
}
