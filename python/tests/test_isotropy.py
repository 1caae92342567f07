"""The base isotropy check at the start of a contrastive run (trainer.mean_cosine), against hand-computed values."""
import math
from types import SimpleNamespace

import torch

from drehr_train.trainer import TrainParams, mean_cosine


class FakeTok:
    """One token per text, its id the text's index in a fixed list."""
    def __init__(self, texts):
        self.index = {t: i for i, t in enumerate(texts)}

    def batch(self, texts, max_len):  # noqa: ARG002
        return SimpleNamespace(input_ids=[[self.index[t]] for t in texts], attention_mask=[[1] for _ in texts])


class FakeModel(torch.nn.Module):
    """Hidden state of token i = row i of a fixed table (mean pooling over one token gives that row)."""
    def __init__(self, table):
        super().__init__()
        self.table = torch.tensor(table, dtype=torch.float32)

    def forward(self, ids, mask):  # noqa: ARG002
        return self.table[ids]


def test_all_one_way_is_one_and_orthogonal_is_zero():
    texts = ["a", "b", "c"]
    same = FakeModel([[1.0, 2.0], [2.0, 4.0], [0.5, 1.0]])
    assert math.isclose(mean_cosine(same, FakeTok(texts), texts, TrainParams(), "cpu"), 1.0, abs_tol=1e-6)
    ortho = FakeModel([[1.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 2.0]])
    assert math.isclose(mean_cosine(ortho, FakeTok(texts), texts, TrainParams(), "cpu"), 0.0, abs_tol=1e-6)


def test_hand_computed_mixture_and_the_training_flag_is_restored():
    texts = ["x", "y", "z"]
    # cos(x,y) = 0, cos(x,z) = 1/sqrt(2), cos(y,z) = 1/sqrt(2): mean over the 6 ordered pairs = 2*sqrt(2)/6
    m = FakeModel([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    m.train()
    got = mean_cosine(m, FakeTok(texts), texts + ["x"], TrainParams(), "cpu")  # duplicates count once
    assert math.isclose(got, 2 * (1 / math.sqrt(2)) / 3, abs_tol=1e-6)
    assert m.training


def test_fewer_than_two_texts_is_none_and_the_sample_is_capped():
    tok = FakeTok(["only"])
    assert mean_cosine(FakeModel([[1.0]]), tok, ["only", "only"], TrainParams(), "cpu") is None
    texts = [f"t{i}" for i in range(10)]
    table = [[math.cos(i), math.sin(i)] for i in range(10)]
    a = mean_cosine(FakeModel(table), FakeTok(texts), texts, TrainParams(), "cpu", n=4, seed=1)
    b = mean_cosine(FakeModel(table), FakeTok(texts), texts, TrainParams(), "cpu", n=4, seed=1)
    assert a == b and -1.0 <= a <= 1.0
