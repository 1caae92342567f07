"""Multi-Similarity loss against a hand-computed example, and false-negative masking."""
import math

import torch

from drehr_train.loss import batch_masks, multi_similarity_loss


def test_hand_computed_example():
    # one chunk, positives s=0.6, 0.3; negatives s=0.4 (kept: 0.4 + 0.1 > min pos 0.3), 0.1 (dropped: 0.2 < 0.3)
    sim = torch.tensor([[0.6, 0.3, 0.4, 0.1]])
    pos = torch.tensor([[True, True, False, False]])
    neg = ~pos
    # positives kept when s - 0.1 < max neg 0.4: 0.3 only (0.6 - 0.1 = 0.5 is not < 0.4)
    expected = math.log(1 + math.exp(-2 * (0.3 - 0.5))) / 2 + math.log(1 + math.exp(50 * (0.4 - 0.5))) / 50
    got = float(multi_similarity_loss(sim, pos, neg))
    assert abs(got - expected) < 1e-6


def test_no_hard_pairs_gives_zero_loss():
    sim = torch.tensor([[0.9, -0.5]])
    pos = torch.tensor([[True, False]])
    assert float(multi_similarity_loss(sim, pos, ~pos)) == 0.0


def test_false_negative_masking():
    sampled = [["hypertension", "htn"], ["hypertension", "asthma"], ["asthma"]]
    pools = [{"hypertension", "htn", "asthma"}, {"hypertension", "asthma"}, {"asthma"}]
    strings, pos, neg = batch_masks(sampled, pools, mask_false_negatives=True)
    assert strings == ["hypertension", "htn", "asthma"]
    # chunk 0 also holds "asthma" in its pool: not a negative though it was only sampled for chunks 1 and 2
    assert not bool(neg[0, 2]) and not bool(pos[0, 2])
    assert bool(neg[2, 0]) and bool(neg[2, 1])
    _, _, neg_off = batch_masks(sampled, pools, mask_false_negatives=False)
    assert bool(neg_off[0, 2])


def test_masking_changes_the_loss():
    sim = torch.tensor([[0.8, 0.75], [0.2, 0.9]])  # b is a hard negative of chunk 0 unless masked
    sampled = [["a"], ["b"]]
    pools = [{"a", "b"}, {"b"}]
    _, pos, neg_m = batch_masks(sampled, pools, True)
    _, _, neg_u = batch_masks(sampled, pools, False)
    assert float(multi_similarity_loss(sim, pos, neg_m)) < float(multi_similarity_loss(sim, pos, neg_u))
