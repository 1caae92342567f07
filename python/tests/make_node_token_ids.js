// Makes python/tests/fixtures/node_token_ids.jsonl: the ids that @huggingface/tokenizers (the sidecar's tokenizer)
// gives for the texts in fixtures/token_texts.jsonl, with the contract's truncation ([CLS] + pieces cut to
// max_length - 2 + [SEP]). test_tokenizer.py checks the Python tokenizer gives the same ids.
// Usage (repository root): node python/tests/make_node_token_ids.js
'use strict';
const fs = require('fs');
const path = require('path');
const { Tokenizer } = require(path.resolve(__dirname, '../../node_modules/@huggingface/tokenizers'));

const fx = path.join(__dirname, 'fixtures');
const tj = JSON.parse(fs.readFileSync(path.join(fx, 'tokenizer.json'), 'utf8'));
const tok = new Tokenizer(tj, {});
const cls = tj.model.vocab['[CLS]'];
const sep = tj.model.vocab['[SEP]'];
const lines = fs.readFileSync(path.join(fx, 'token_texts.jsonl'), 'utf8').split('\n').filter((l) => l.trim());
const out = lines.map((l) => {
  const { text, max_length: maxLength } = JSON.parse(l);
  const ids = tok.encode(text, { add_special_tokens: false }).ids;
  return JSON.stringify({ text, max_length: maxLength, input_ids: [cls, ...ids.slice(0, maxLength - 2), sep] });
});
fs.writeFileSync(path.join(fx, 'node_token_ids.jsonl'), out.join('\n') + '\n');
process.stdout.write(`wrote ${out.length} encodings\n`);
