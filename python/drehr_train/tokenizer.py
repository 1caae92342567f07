"""The WordPiece tokenizer of a model folder's tokenizer.json, identical to the sidecar's (@huggingface/tokenizers).

Implements exactly what docs/CONTRACTS.md fixes: BertNormalizer (clean text, CJK spacing, lowercase, strip accents),
BertPreTokenizer (whitespace and punctuation split), WordPiece (greedy longest match, "##" continuation, max 100
chars per word), special tokens matched literally in the raw text, truncation of the pieces to max_length - 2, then
[CLS] ... [SEP], padding with [PAD] to the longest sequence. The details follow tokenizers.js 0.2.0, which is what
the sidecar runs (e.g. its CJK check looks at UTF-16 code units, so only BMP CJK characters are spaced).
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable

# JavaScript's \s (ECMAScript WhiteSpace + LineTerminator), which tokenizers.js uses for both cleaning and splitting.
_JS_SPACE = set("\t\n\v\f\r \u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff") | {chr(c) for c in range(0x2000, 0x200B)}


def _is_js_space(ch: str) -> bool:
    return ch in _JS_SPACE or unicodedata.category(ch) == "Zs"


def _is_control(ch: str) -> bool:
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs")


def _is_punct(ch: str) -> bool:
    cp = ord(ch)
    if 0x21 <= cp <= 0x2F or 0x3A <= cp <= 0x40 or 0x5B <= cp <= 0x60 or 0x7B <= cp <= 0x7E:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_cjk_bmp(cp: int) -> bool:
    return 0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0xF900 <= cp <= 0xFAFF


def normalize(text: str, lowercase: bool = True, strip_accents: bool | None = None, clean_text: bool = True,
              handle_chinese_chars: bool = True) -> str:
    """BertNormalizer as tokenizers.js 0.2.0 applies it."""
    if clean_text:
        out = []
        for ch in text:
            cp = ord(ch)
            if cp == 0 or cp == 0xFFFD or _is_control(ch):
                continue
            out.append(" " if _is_js_space(ch) else ch)
        text = "".join(out)
    if handle_chinese_chars:
        text = "".join(f" {ch} " if _is_cjk_bmp(ord(ch)) else ch for ch in text)
    if lowercase:
        text = text.lower()
        if strip_accents is not False:
            text = _strip_accents(text)
    elif strip_accents:
        text = _strip_accents(text)
    return text


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def pre_tokenize(text: str) -> list[str]:
    """BertPreTokenizer: runs of non-space non-punctuation characters, and each punctuation character alone."""
    words: list[str] = []
    cur: list[str] = []
    for ch in text:
        if _is_js_space(ch):
            if cur:
                words.append("".join(cur))
                cur = []
        elif _is_punct(ch):
            if cur:
                words.append("".join(cur))
                cur = []
            words.append(ch)
        else:
            cur.append(ch)
    if cur:
        words.append("".join(cur))
    return words


@dataclass
class Encoding:
    input_ids: list[list[int]]
    attention_mask: list[list[int]]


class Tokenizer:
    """A BERT WordPiece tokenizer loaded from a Hugging Face tokenizer.json (or built from a vocabulary list)."""

    def __init__(self, vocab: dict[str, int], unk_token: str = "[UNK]", prefix: str = "##", max_chars: int = 100,
                 lowercase: bool = True, strip_accents: bool | None = None, clean_text: bool = True,
                 handle_chinese_chars: bool = True, specials: Iterable[str] = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")):
        self.vocab = vocab
        self.id_to_token = {i: t for t, i in vocab.items()}
        self.unk_token = unk_token
        self.prefix = prefix
        self.max_chars = max_chars
        self.norm_args = dict(lowercase=lowercase, strip_accents=strip_accents, clean_text=clean_text,
                              handle_chinese_chars=handle_chinese_chars)
        self.specials = [s for s in specials if s in vocab]
        self._special_re = re.compile("|".join(re.escape(s) for s in sorted(self.specials, key=len, reverse=True))) \
            if self.specials else None
        for name in ("[PAD]", "[UNK]", "[CLS]", "[SEP]"):
            if name not in vocab:
                raise ValueError(f"tokenizer vocabulary lacks {name}; a BERT WordPiece vocabulary needs it")
        self.pad_id = vocab["[PAD]"]
        self.unk_id = vocab[unk_token]
        self.cls_id = vocab["[CLS]"]
        self.sep_id = vocab["[SEP]"]
        self.mask_id = vocab.get("[MASK]", self.unk_id)
        self._cache: dict[str, list[int]] = {}

    # --- loading -------------------------------------------------------------------------------------------------
    @classmethod
    def from_file(cls, path: str) -> "Tokenizer":
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
        except (OSError, json.JSONDecodeError) as e:
            raise ValueError(f"cannot read tokenizer {path}: {e}") from e
        return cls.from_json(data, path)

    @classmethod
    def from_json(cls, data: dict, origin: str = "tokenizer.json") -> "Tokenizer":
        model = data.get("model") or {}
        if model.get("type") != "WordPiece":
            raise ValueError(f"{origin}: model type {model.get('type')!r} is not supported; a BERT WordPiece tokenizer is needed")
        norm = data.get("normalizer") or {}
        if norm and norm.get("type") != "BertNormalizer":
            raise ValueError(f"{origin}: normalizer {norm.get('type')!r} is not supported (BertNormalizer expected)")
        specials = [t["content"] for t in data.get("added_tokens", []) if t.get("special", True)]
        return cls(model["vocab"], unk_token=model.get("unk_token", "[UNK]"),
                   prefix=model.get("continuing_subword_prefix", "##"),
                   max_chars=model.get("max_input_chars_per_word", 100),
                   lowercase=norm.get("lowercase", True), strip_accents=norm.get("strip_accents"),
                   clean_text=norm.get("clean_text", True), handle_chinese_chars=norm.get("handle_chinese_chars", True),
                   specials=specials or ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"))

    @classmethod
    def from_vocab_txt(cls, path: str, lowercase: bool = True) -> "Tokenizer":
        with open(path, encoding="utf-8") as f:
            tokens = [line.rstrip("\n") for line in f if line.rstrip("\n")]
        return cls({t: i for i, t in enumerate(tokens)}, lowercase=lowercase)

    # --- encoding ------------------------------------------------------------------------------------------------
    def _wordpiece(self, word: str) -> list[int]:
        hit = self._cache.get(word)
        if hit is not None:
            return hit
        if len(word) > self.max_chars:
            ids = [self.unk_id]
        else:
            ids = []
            start = 0
            n = len(word)
            while start < n:
                end = n
                found = None
                while start < end:
                    sub = word[start:end]
                    if start > 0:
                        sub = self.prefix + sub
                    tid = self.vocab.get(sub)
                    if tid is not None:
                        found = tid
                        break
                    end -= 1
                if found is None:
                    ids = [self.unk_id]
                    break
                ids.append(found)
                start = end
        if len(self._cache) < 200_000:
            self._cache[word] = ids
        return ids

    def tokenize_ids(self, text: str) -> list[int]:
        """Piece ids of a text, without [CLS]/[SEP] and without truncation."""
        parts: list[tuple[str, bool]] = []
        if self._special_re is not None:
            pos = 0
            for m in self._special_re.finditer(text):
                if m.start() > pos:
                    parts.append((text[pos:m.start()], False))
                parts.append((m.group(0), True))
                pos = m.end()
            if pos < len(text):
                parts.append((text[pos:], False))
        else:
            parts.append((text, False))
        ids: list[int] = []
        for part, special in parts:
            if special:
                ids.append(self.vocab[part])
                continue
            for word in pre_tokenize(normalize(part, **self.norm_args).strip()):
                ids.extend(self._wordpiece(word))
        return ids

    def encode(self, text: str, max_length: int) -> list[int]:
        """[CLS] + pieces truncated to max_length - 2 + [SEP] (the contract's truncation: [SEP] is never cut)."""
        if max_length < 2:
            raise ValueError("max_length must be at least 2 ([CLS] and [SEP])")
        return [self.cls_id] + self.tokenize_ids(text)[: max_length - 2] + [self.sep_id]

    def batch(self, texts: list[str], max_length: int) -> Encoding:
        """Encode and pad to the longest sequence of the batch."""
        seqs = [self.encode(t, max_length) for t in texts]
        width = max(len(s) for s in seqs) if seqs else 0
        return Encoding([s + [self.pad_id] * (width - len(s)) for s in seqs],
                        [[1] * len(s) + [0] * (width - len(s)) for s in seqs])

    def tokens(self, ids: list[int]) -> list[str]:
        return [self.id_to_token.get(i, self.unk_token) for i in ids]

    def __len__(self) -> int:
        return len(self.vocab)


def tokenizer_json(tokens: list[str]) -> dict:
    """A Hugging Face tokenizer.json for a BERT WordPiece vocabulary (ids = list positions)."""
    vocab = {t: i for i, t in enumerate(tokens)}
    specials = [t for t in ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]") if t in vocab]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [{"id": vocab[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for t in specials],
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                       "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
            "special_tokens": {t: {"id": t, "ids": [vocab[t]], "tokens": [t]} for t in ("[CLS]", "[SEP]")},
        },
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": vocab},
    }
