/**
 * Tokenization as docs/CONTRACTS.md fixes it: pieces without specials, truncated to max_length - 2, then
 * [CLS] ... [SEP] (so [SEP] is never cut), padded with [PAD] to the longest in the batch. The truncation and
 * padding are ours because @huggingface/tokenizers' encode() does neither.
 */

export interface PieceTokenizer {
  /** Token ids of the text without special tokens. */
  pieces(text: string): number[];
}

export interface SpecialIds {
  cls: number;
  sep: number;
  pad: number;
}

export function withSpecials(pieces: readonly number[], maxLength: number, ids: SpecialIds): number[] {
  const keep = Math.max(0, maxLength - 2);
  return [ids.cls, ...pieces.slice(0, keep), ids.sep];
}

export interface PaddedBatch {
  batch: number;
  seq: number;
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  /** The same mask as numbers, for pooling. */
  mask: Uint8Array;
}

export function padBatch(sequences: readonly (readonly number[])[], padId: number): PaddedBatch {
  const batch = sequences.length;
  const seq = sequences.reduce((m, s) => Math.max(m, s.length), 0);
  const inputIds = new BigInt64Array(batch * seq).fill(BigInt(padId));
  const attentionMask = new BigInt64Array(batch * seq);
  const mask = new Uint8Array(batch * seq);
  sequences.forEach((s, b) => {
    for (let t = 0; t < s.length; t++) {
      inputIds[b * seq + t] = BigInt(s[t]);
      attentionMask[b * seq + t] = 1n;
      mask[b * seq + t] = 1;
    }
  });
  return { batch, seq, inputIds, attentionMask, mask };
}
