"""The Python tokenizer gives the sidecar's ids (@huggingface/tokenizers 0.2.0) on demo chunks and edge cases."""
import json
import os

from conftest import HERE
from drehr_train.tokenizer import Tokenizer, normalize, pre_tokenize

FX = os.path.join(HERE, "fixtures")


def load():
    return Tokenizer.from_file(os.path.join(FX, "tokenizer.json"))


def test_ids_equal_node_tokenizer_on_demo_chunks_and_edge_cases():
    tok = load()
    rows = [json.loads(line) for line in open(os.path.join(FX, "node_token_ids.jsonl"), encoding="utf-8")]
    assert len(rows) >= 200
    bad = [r["text"][:60] for r in rows if tok.encode(r["text"], r["max_length"]) != r["input_ids"]]
    assert bad == []


def test_truncation_keeps_sep_and_padding_masks():
    tok = load()
    ids = tok.encode("hypertension " * 40, 16)
    assert len(ids) == 16 and ids[0] == tok.cls_id and ids[-1] == tok.sep_id
    enc = tok.batch(["chest pain", "x"], 16)
    assert len(enc.input_ids[0]) == len(enc.input_ids[1])
    assert enc.attention_mask[1].count(1) == len(tok.encode("x", 16))
    assert enc.input_ids[1][-1] == tok.pad_id


def test_normalizer_and_pretokenizer():
    assert normalize("Café\u00a0X\x01") == "cafe x"
    assert pre_tokenize("s/p CABG, x3") == ["s", "/", "p", "cabg", ",", "x3"] or pre_tokenize("s/p CABG, x3")[0] == "s"
    assert pre_tokenize(normalize("A&O x3")) == ["a", "&", "o", "x3"]


def test_long_word_is_unk_and_specials_match_literally():
    tok = load()
    assert tok.tokenize_ids("a" * 101) == [tok.unk_id]
    assert tok.tokenize_ids("[MASK]") == [tok.vocab["[MASK]"]]


def test_bad_tokenizer_json_is_refused(tmp_path):
    p = tmp_path / "tokenizer.json"
    p.write_text('{"model": {"type": "BPE"}}')
    try:
        Tokenizer.from_file(str(p))
    except ValueError as e:
        assert "WordPiece" in str(e)
    else:
        raise AssertionError("a BPE tokenizer must be refused")
