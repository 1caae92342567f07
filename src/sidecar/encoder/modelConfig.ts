/** drehr.json of a model folder (docs/CONTRACTS.md): parsed and checked. Pure. */

export interface DrehrJson {
  format: number;
  id: string;
  name: string;
  trained: boolean;
  description?: string;
  pooling: 'cls' | 'mean';
  normalize: boolean;
  dim: number;
  maxLength: { passage: number; query: number };
  prefix: { query: string; passage: string };
  onnx: string;
  /** The dynamically quantized graph (`python -m drehr_train quantize`), when the folder has one. */
  onnxInt8?: string;
  lexicon?: string;
}

/** Returns the parsed config, or the reason it is unusable. */
export function parseDrehrJson(raw: unknown): DrehrJson | string {
  if (typeof raw !== 'object' || raw === null) return 'not a JSON object';
  const o = raw as Record<string, unknown>;
  const str = (k: string): string | undefined => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
  const obj = (k: string): Record<string, unknown> => (typeof o[k] === 'object' && o[k] !== null ? (o[k] as Record<string, unknown>) : {});
  const id = str('id');
  if (!id) return 'missing "id"';
  const pooling = o.pooling ?? 'cls';
  if (pooling !== 'cls' && pooling !== 'mean') return `"pooling" must be "cls" or "mean", not ${JSON.stringify(pooling)}`;
  const dim = o.dim;
  if (typeof dim !== 'number' || !Number.isInteger(dim) || dim <= 0) return '"dim" must be a positive integer';
  const ml = obj('max_length');
  const passage = ml.passage ?? 512;
  const query = ml.query ?? 64;
  if (typeof passage !== 'number' || typeof query !== 'number' || passage < 3 || query < 3) {
    return '"max_length" needs numbers passage and query of at least 3';
  }
  const pf = obj('prefix');
  return {
    format: typeof o.format === 'number' ? o.format : 1,
    id,
    name: str('name') ?? id,
    trained: o.trained === true,
    description: str('description'),
    pooling,
    normalize: o.normalize !== false,
    dim,
    maxLength: { passage, query },
    prefix: { query: typeof pf.query === 'string' ? pf.query : '', passage: typeof pf.passage === 'string' ? pf.passage : '' },
    onnx: str('onnx') ?? 'onnx/model.onnx',
    onnxInt8: str('onnx_int8'),
    lexicon: str('lexicon'),
  };
}
