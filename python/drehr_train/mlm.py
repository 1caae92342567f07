"""Masked-language-model pretraining on a folder of notes (domain adaptation before Stage I): 15% of the pieces
are chosen, 80% of those become [MASK], 10% a random piece, 10% stay; cross-entropy on the chosen ones."""
from __future__ import annotations

import hashlib
import random
import signal
import time

import torch
import torch.nn.functional as F

from . import checkpoint as ckpt
from .events import Events
from .model import BertEncoder, MLMHead
from .tokenizer import Tokenizer
from .trainer import Interrupted


def mask_tokens(ids: torch.Tensor, attn: torch.Tensor, tok: Tokenizer, vocab_size: int, g: torch.Generator,
                prob: float = 0.15) -> tuple[torch.Tensor, torch.Tensor]:
    labels = ids.clone()
    special = (ids == tok.cls_id) | (ids == tok.sep_id) | (attn == 0)
    chosen = (torch.rand(ids.shape, generator=g) < prob) & ~special
    labels[~chosen] = -100
    inp = ids.clone()
    r = torch.rand(ids.shape, generator=g)
    inp[chosen & (r < 0.8)] = tok.mask_id
    rnd = chosen & (r >= 0.8) & (r < 0.9)
    inp[rnd] = torch.randint(5, vocab_size, ids.shape, generator=g)[rnd]
    return inp, labels


class _MLMState(torch.nn.Module):
    """The encoder and its MLM head as one module, so a checkpoint holds both (the head shares the word embeddings)."""

    def __init__(self, model: BertEncoder, head: MLMHead):
        super().__init__()
        self.model = model
        self.head = head
        self.config = model.config


def _step_generators(seed: int, step: int) -> tuple[random.Random, torch.Generator]:
    """The data and masking draws of one step depend only on (seed, step), so a resumed run draws what an
    uninterrupted one would have."""
    key = f"{seed}:mlm:{step}"
    g = torch.Generator().manual_seed(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "little") >> 1)
    return random.Random(key), g


def pretrain(model: BertEncoder, tok: Tokenizer, texts: list[str], steps: int, batch_size: int = 32,
             max_length: int = 128, lr: float = 5e-4, warmup: float = 0.1, seed: int = 42,
             events: Events | None = None, max_minutes: float = 0.0, ckpt_dir: str | None = None,
             checkpoint_every: int = 100, keep: int = 2) -> dict:
    """MLM steps on random chunks of `texts`; with max_minutes > 0 it ends early once that much wall time has
    passed (the steps done are returned, with stopped_early). With ckpt_dir it checkpoints every checkpoint_every
    steps, at the end and on SIGTERM / SIGINT / SIGHUP (then raises trainer.Interrupted), and a second call with the
    same ckpt_dir resumes from the last complete checkpoint (a changed `steps` re-shapes the rest of the schedule)."""
    if not texts:
        raise ValueError("mlm: no text to pretrain on")
    events = events or Events(None)
    head = MLMHead(model.config, model.embeddings.word_embeddings)
    params = list(model.parameters()) + [p for n, p in head.named_parameters() if not n.startswith("word_embeddings")]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    w = max(1, int(steps * warmup))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: (s + 1) / w if s < w else max(0.0, (steps - s) / max(1, steps - w)))
    both = _MLMState(model, head)
    start = 0
    if ckpt_dir:
        last = ckpt.latest(ckpt_dir)
        if last:
            start = int(ckpt.load(last, both, opt, sched)["step"])
    model.train()
    events.emit("start", stage="mlm", total_steps=steps, device="cpu", start_step=start)
    stop = {"flag": False}

    def on_signal(signum, frame):  # noqa: ARG001
        stop["flag"] = True

    old = {s_: signal.signal(s_, on_signal) for s_ in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)} if ckpt_dir else {}
    t0 = time.time()
    loss_v = float("nan")
    done = start
    try:
        for step in range(start + 1, steps + 1):
            rng, g = _step_generators(seed, step)
            enc = tok.batch([rng.choice(texts) for _ in range(batch_size)], max_length)
            ids = torch.tensor(enc.input_ids)
            attn = torch.tensor(enc.attention_mask)
            inp, labels = mask_tokens(ids, attn, tok, model.config.vocab_size, g)
            logits = head(model(inp, attn))
            loss = F.cross_entropy(logits.view(-1, logits.shape[-1]), labels.view(-1), ignore_index=-100)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            loss_v = float(loss.detach())
            sps = (step - start) * batch_size / max(1e-9, time.time() - t0)
            events.emit("step", step=step, total_steps=steps, loss=round(loss_v, 5), lr=sched.get_last_lr()[0],
                        samples_per_s=round(sps, 2), eta_s=round((steps - step) * batch_size / max(sps, 1e-9), 1))
            done = step
            out_of_time = max_minutes > 0 and time.time() - t0 > max_minutes * 60
            if ckpt_dir and (stop["flag"] or out_of_time or step % checkpoint_every == 0 or step == steps):
                events.emit("checkpoint", step=step, path=ckpt.save(ckpt_dir, step, both, opt, sched,
                                                                    {"stage": "mlm", "loss": loss_v}, keep))
            if stop["flag"]:
                raise Interrupted(step)
            if out_of_time:
                break
    finally:
        for s_, h in old.items():
            signal.signal(s_, h)
    return {"steps": done, "planned_steps": steps, "stopped_early": done < steps, "loss": loss_v,
            "samples_per_s": round((done - start) * batch_size / max(1e-9, time.time() - t0), 2)}
