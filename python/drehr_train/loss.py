"""Multi-Similarity loss (Wang et al. 2019) over cosine similarities between chunks and entity strings, with the
paper's constants (threshold 0.5, epsilon 0.1, scale_pos 2, scale_neg 50) and hard-pair mining:

  for chunk i with positives P and negatives N (every other entity string of the batch),
  keep negatives with s_in + eps > min_P s_ip and positives with s_ip - eps < max_N s_in, then
  L_i = 1/a log(1 + sum_P exp(-a (s_ip - t))) + 1/b log(1 + sum_N exp(b (s_in - t))).

False-negative masking: a string that is among chunk i's own positives (its whole pool, not only the sampled ones)
is never a negative of i, even when it was sampled for another chunk of the batch.
"""
from __future__ import annotations

import torch


def multi_similarity_loss(sim: torch.Tensor, pos: torch.Tensor, neg: torch.Tensor, threshold: float = 0.5,
                          eps: float = 0.1, scale_pos: float = 2.0, scale_neg: float = 50.0) -> torch.Tensor:
    """sim [B, E] cosine similarities; pos, neg [B, E] boolean masks. Mean over chunks that have a positive."""
    sim = sim.float()
    big = 1e4
    min_pos = torch.where(pos, sim, torch.full_like(sim, big)).min(dim=1, keepdim=True).values
    max_neg = torch.where(neg, sim, torch.full_like(sim, -big)).max(dim=1, keepdim=True).values
    neg_keep = neg & (sim + eps > min_pos)
    pos_keep = pos & (sim - eps < max_neg)
    pos_term = torch.where(pos_keep, torch.exp(-scale_pos * (sim - threshold)), torch.zeros_like(sim)).sum(1)
    neg_term = torch.where(neg_keep, torch.exp(scale_neg * (sim - threshold)), torch.zeros_like(sim)).sum(1)
    loss = torch.log1p(pos_term) / scale_pos + torch.log1p(neg_term) / scale_neg
    has = pos.any(dim=1)
    if not bool(has.any()):
        return sim.sum() * 0.0
    return loss[has].mean()


def batch_masks(sampled: list[list[str]], pools: list[set[str]], mask_false_negatives: bool = True
                ) -> tuple[list[str], torch.Tensor, torch.Tensor]:
    """The batch's distinct entity strings (keys already normalized) and the positive/negative masks.

    sampled[i]: the positives sampled for chunk i this step; pools[i]: all of chunk i's positives."""
    strings: list[str] = []
    index: dict[str, int] = {}
    for s in sampled:
        for e in s:
            if e not in index:
                index[e] = len(strings)
                strings.append(e)
    B, E = len(sampled), len(strings)
    pos = torch.zeros(B, E, dtype=torch.bool)
    for i, s in enumerate(sampled):
        for e in s:
            pos[i, index[e]] = True
    neg = ~pos
    if mask_false_negatives:
        for i, pool in enumerate(pools):
            for e in pool:
                j = index.get(e)
                if j is not None:
                    neg[i, j] = False
    return strings, pos, neg
