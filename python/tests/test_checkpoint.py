"""Checkpoints: a save that fails (disk full) or is killed leaves the last complete checkpoint as the resume point."""
import errno
import os

import pytest
import torch

from drehr_train import checkpoint as ckpt
from drehr_train.model import BertConfig, BertEncoder


def setup():
    torch.manual_seed(0)
    m = BertEncoder(BertConfig(vocab_size=32, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                               intermediate_size=16, max_position_embeddings=16))
    opt = torch.optim.AdamW(m.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0)
    return m, opt, sched


def test_disk_full_during_save_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    m, opt, sched = setup()
    d = str(tmp_path / "checkpoints")
    good = ckpt.save(d, 2, m, opt, sched, {"stage": "stage1"})

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(ckpt, "save_safetensors", full)
    with pytest.raises(OSError):
        ckpt.save(d, 4, m, opt, sched, {"stage": "stage1"})
    assert ckpt.latest(d) == good
    assert sorted(os.listdir(d)) == ["step-000002"]  # the half-written temp folder is gone


def test_killed_save_is_ignored_and_resume_restores_weights(tmp_path):
    m, opt, sched = setup()
    d = str(tmp_path / "checkpoints")
    ckpt.save(d, 2, m, opt, sched, {})
    os.makedirs(os.path.join(d, "step-000004"))            # renamed but COMPLETE never written
    os.makedirs(os.path.join(d, ".tmp-step-000006-999"))  # a temp folder of a killed process
    assert ckpt.latest(d).endswith("step-000002")
    m2, opt2, sched2 = setup()
    with torch.no_grad():
        for p in m2.parameters():
            p.add_(1.0)
    state = ckpt.load(ckpt.latest(d), m2, opt2, sched2)
    assert state["step"] == 2
    assert all(torch.equal(a, b) for a, b in zip(m.state_dict().values(), m2.state_dict().values()))


def test_keeps_only_the_newest_complete_checkpoints(tmp_path):
    m, opt, sched = setup()
    d = str(tmp_path / "c")
    for s in (1, 2, 3):
        ckpt.save(d, s, m, opt, sched, {}, keep=2)
    assert [s for s, _ in ckpt.list_complete(d)] == [2, 3]


def test_other_architecture_is_refused(tmp_path):
    m, opt, sched = setup()
    d = str(tmp_path / "c")
    p = ckpt.save(d, 1, m, opt, sched, {})
    other = BertEncoder(BertConfig(vocab_size=32, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                                   intermediate_size=16, max_position_embeddings=16))
    with pytest.raises(ValueError, match="another architecture"):
        ckpt.load(p, other)
