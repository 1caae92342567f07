/** The model's tokenizer (tokenizer.json through @huggingface/tokenizers) with the contract's truncation. */
import { Tokenizer } from '@huggingface/tokenizers';
import { modelInvalid, errorMessage } from '../errors';
import type { ModelFolder } from './modelFolder';
import { withSpecials, type PieceTokenizer, type SpecialIds } from './tokenize';

export type TextKind = 'query' | 'passage';

export class TextTokenizer implements PieceTokenizer {
  readonly ids: SpecialIds;
  private readonly tok: Tokenizer;

  constructor(private readonly model: ModelFolder) {
    try {
      this.tok = new Tokenizer(model.tokenizerJson, model.tokenizerConfig);
    } catch (e) {
      throw modelInvalid(model.dir, 'tokenizer.json', `cannot be loaded (${errorMessage(e)})`);
    }
    const id = (t: string): number => {
      const v = this.tok.token_to_id(t);
      if (v === undefined) throw modelInvalid(model.dir, 'tokenizer.json', `has no ${t} token`);
      return v;
    };
    this.ids = { cls: id('[CLS]'), sep: id('[SEP]'), pad: this.tok.token_to_id('[PAD]') ?? 0 };
  }

  pieces(text: string): number[] {
    return this.tok.encode(text, { add_special_tokens: false }).ids;
  }

  /** Ids with prefix, truncation and [CLS]/[SEP] for a query or a passage. */
  encode(text: string, kind: TextKind): number[] {
    const d = this.model.drehr;
    return withSpecials(this.pieces(d.prefix[kind] + text), d.maxLength[kind], this.ids);
  }
}
