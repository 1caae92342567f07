"""The contrastive training loop shared by Stage I and Stage II: chunks against their positive entity strings with
the Multi-Similarity loss, in-batch negatives, optional false-negative masking, optional mined hard-negative chunks
(Stage II, `hard_negatives`: an added entity-anchored Multi-Similarity term, see hard_negative_loss), AdamW with linear warmup/decay,
gradient accumulation, bf16 autocast on CUDA, DDP under torchrun, crash-safe checkpoints, resume, and progress
events. SIGTERM/SIGINT/SIGHUP end the current step, write a checkpoint and raise Interrupted (exit 130)."""
from __future__ import annotations

import math
import os
import random
import signal
import time
from dataclasses import dataclass, field

import torch
import torch.distributed as dist

from . import checkpoint as ckpt
from .events import Events
from .graph import norm_term
from .loss import batch_masks, multi_similarity_loss
from .model import BertEncoder, pool
from .tokenizer import Tokenizer


class Interrupted(Exception):
    pass


@dataclass
class TrainParams:
    epochs: float = 1.0
    max_steps: int = 0            # > 0: stop after this many optimizer steps (overrides epochs for the schedule)
    batch_size: int = 32
    lr: float = 1e-4
    warmup: float = 0.1
    weight_decay: float = 0.01
    num_pos: int = 128
    max_length: dict = field(default_factory=lambda: {"passage": 160, "query": 16})
    grad_accum: int = 1
    seed: int = 42
    mask_false_negatives: bool = True
    checkpoint_every: int = 200
    eval_every: int = 0           # 0: evaluate only at the end
    log_every: int = 1
    keep_checkpoints: int = 2
    threshold: float = 0.5
    eps: float = 0.1
    scale_pos: float = 2.0
    scale_neg: float = 50.0
    pooling: str = "mean"
    max_minutes: float = 0.0      # > 0: end training (as done, with a checkpoint) once this much wall time has passed
    hard_negatives: int = 0       # Stage II: BM25-mined hard-negative chunks per batch chunk (hardneg.py); 0 = in-batch only

    @classmethod
    def from_dict(cls, d: dict) -> "TrainParams":
        names = set(cls.__dataclass_fields__)
        unknown = sorted(set(d) - names)
        if unknown:
            raise ValueError(f"unknown train settings: {', '.join(unknown)}")
        p = cls(**d)
        for k in ("batch_size", "grad_accum", "num_pos"):
            if not isinstance(getattr(p, k), int) or getattr(p, k) < 1:
                raise ValueError(f"train.{k} must be a whole number >= 1")
        if not isinstance(p.hard_negatives, int) or isinstance(p.hard_negatives, bool) or p.hard_negatives < 0:
            raise ValueError("train.hard_negatives must be a whole number >= 0")
        if not (p.lr > 0) or not (0 <= p.warmup < 1):
            raise ValueError("train.lr must be > 0 and train.warmup in [0, 1)")
        return p


class DualEncode(torch.nn.Module):
    """One forward for chunks and entity strings (DDP needs exactly one forward per backward)."""

    def __init__(self, enc: BertEncoder, pooling: str):
        super().__init__()
        self.enc = enc
        self.pooling = pooling

    def forward(self, c_ids, c_mask, e_ids, e_mask):
        c = pool(self.enc(c_ids, c_mask), c_mask, self.pooling, True)
        e = pool(self.enc(e_ids, e_mask), e_mask, self.pooling, True)
        return c, e


def dist_info() -> tuple[int, int, int]:
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", 0))
    return 0, 1, 0


def init_distributed(device: str) -> None:
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if device == "cuda" else "gloo")


def pick_device(device: str) -> str:
    if device in (None, "", "auto"):
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device cuda was asked for but this PyTorch has no CUDA device; use device cpu or auto")
    return device


def _lr_lambda(total: int, warmup: float):
    w = max(1, int(round(total * warmup)))

    def f(step: int) -> float:
        if step < w:
            return (step + 1) / w
        return max(0.0, (total - step) / max(1, total - w))
    return f


def prepare(records: list[dict]) -> list[tuple[str, list[str]]]:
    """(chunk text, normalized distinct positives) for records with at least one positive."""
    out = []
    for r in records:
        seen = []
        s = set()
        for p in r.get("positives", []):
            k = norm_term(p)
            if k and k not in s:
                s.add(k)
                seen.append(k)
        if seen:
            out.append((r["text"], seen))
    return out


def prepare_hard(records: list[dict]) -> list[dict[str, list[str]]]:
    """Aligned with prepare(): each kept record's hard negatives, normalized entity -> chunk texts (best first)."""
    out = []
    for r in records:
        if not any(norm_term(p) for p in r.get("positives", [])):
            continue
        out.append({k: [t for _i, t in v] for k, v in (r.get("hard_negatives") or {}).items() if v})
    return out


def pick_hard_negatives(sampled: list[list[str]], hard: list[dict[str, list[str]]], n: int, rng: random.Random
                        ) -> list[tuple[str, str]]:
    """(entity, chunk text) hard negatives of one batch: for each chunk, one of its sampled positives that has hard
    negatives (chosen by rng) and up to n of that entity's negatives, best first."""
    out = []
    for s, h in zip(sampled, hard):
        cands = [e for e in dict.fromkeys(s) if h.get(e)]
        if not cands or n <= 0:
            continue
        e = rng.choice(cands)
        out.extend((e, t) for t in h[e][:n])
    return out


def hard_negative_loss(ee: torch.Tensor, ce: torch.Tensor, he: torch.Tensor, pos: torch.Tensor, owner: torch.Tensor,
                       params: "TrainParams") -> torch.Tensor:
    """The entity-anchored Multi-Similarity term of the hard negatives: for each entity string of the batch that
    has hard negatives, its positives are the batch chunks it was sampled for, its negatives only its own hard
    negative chunks (owner[k] = the entity index of hard negative k). ee [E, d], ce [B, d], he [H, d], pos [B, E]."""
    E = ee.shape[0]
    H = he.shape[0]
    sim = ee @ torch.cat([ce, he]).T                       # [E, B + H]
    p = torch.cat([pos.T, torch.zeros(E, H, dtype=torch.bool, device=pos.device)], dim=1)
    n = torch.zeros(E, ce.shape[0] + H, dtype=torch.bool, device=pos.device)
    n[owner, ce.shape[0] + torch.arange(H, device=pos.device)] = True
    rows = n.any(dim=1) & p.any(dim=1)
    if not bool(rows.any()):
        return sim.sum() * 0.0
    return multi_similarity_loss(sim[rows], p[rows], n[rows], params.threshold, params.eps, params.scale_pos,
                                 params.scale_neg)


def sample_positives(pos: list[str], n: int, rng: random.Random) -> list[str]:
    """n positives: without replacement when there are enough, else all of them plus draws to fill n."""
    if len(pos) >= n:
        return rng.sample(pos, n)
    return pos + [rng.choice(pos) for _ in range(n - len(pos))]


@torch.no_grad()
def mean_cosine(model: BertEncoder, tok: Tokenizer, texts: list[str], params: TrainParams, device: str, n: int = 64,
                seed: int = 0) -> float | None:
    """Mean cosine between the pooled embeddings of up to n distinct chunks drawn at random (seeded), off the diagonal:
    near 0 for a well spread (isotropic) encoder, near 1 when every text points one way (a randomly initialised
    encoder with mean pooling is at ~0.98, bench/DEMO-RETRAIN.md). None with fewer than two texts."""
    pool_texts = sorted(set(texts))
    if len(pool_texts) < 2:
        return None
    pick = random.Random(seed).sample(pool_texts, min(n, len(pool_texts)))
    was = model.training
    model.eval()
    e = tok.batch(pick, params.max_length["passage"])
    ids = torch.tensor(e.input_ids, device=device)
    m = torch.tensor(e.attention_mask, device=device)
    v = pool(model(ids, m).float(), m, params.pooling, True)
    sims = v @ v.T
    k = sims.shape[0]
    model.train(was)
    return float((sims.sum() - sims.diagonal().sum()) / (k * (k - 1)))


@torch.no_grad()
def evaluate(model: BertEncoder, tok: Tokenizer, data: list[tuple[str, list[str]]], params: TrainParams, device: str,
             batch: int = 64) -> dict:
    """Entity -> chunk retrieval among held-out chunks: MRR and recall@1 over (positive string, chunk) pairs; chunks
    that hold the same string count as relevant too."""
    if not data:
        return {}
    was = model.training
    model.eval()

    def enc(texts, ml):
        out = []
        for i in range(0, len(texts), batch):
            e = tok.batch(texts[i:i + batch], ml)
            ids = torch.tensor(e.input_ids, device=device)
            m = torch.tensor(e.attention_mask, device=device)
            out.append(pool(model(ids, m).float(), m, params.pooling, True))
        return torch.cat(out)

    chunks = enc([t for t, _ in data], params.max_length["passage"])
    strings = sorted({p for _, ps in data for p in ps})
    owners: dict[str, set[int]] = {}
    for i, (_, ps) in enumerate(data):
        for p in ps:
            owners.setdefault(p, set()).add(i)
    ents = enc(strings, params.max_length["query"])
    sims = ents @ chunks.T
    rr, hit = [], []
    for j, s in enumerate(strings):
        rel = owners[s]
        order = torch.argsort(sims[j], descending=True).tolist()
        rank = next(k for k, i in enumerate(order) if i in rel) + 1
        rr.append(1.0 / rank)
        hit.append(1.0 if rank == 1 else 0.0)
    model.train(was)
    return {"heldout_mrr": round(sum(rr) / len(rr), 4), "heldout_recall@1": round(sum(hit) / len(hit), 4),
            "heldout_entities": len(strings)}


def train(model: BertEncoder, tok: Tokenizer, records: list[dict], params: TrainParams, run_dir: str, stage: str,
          device: str = "auto", events: Events | None = None, heldout: list[dict] | None = None,
          resume: bool = True) -> dict:
    """Trains in place; returns {"steps", "metrics", "samples_per_s"}."""
    device = pick_device(device)
    init_distributed(device)
    rank, world, local = dist_info()
    if device == "cuda":
        torch.cuda.set_device(local)
        dev = f"cuda:{local}"
    else:
        dev = "cpu"
    events = events or Events(run_dir, enabled=rank == 0)
    data = prepare(records)
    if not data:
        raise ValueError(f"{stage}: no chunk has a positive; nothing to train on")
    hard = prepare_hard(records) if params.hard_negatives > 0 else [{} for _ in data]
    held = prepare(heldout or [])
    per_step = params.batch_size * params.grad_accum * world
    steps_per_epoch = max(1, len(data) // per_step) if len(data) >= per_step else 1
    total = params.max_steps if params.max_steps > 0 else max(1, int(math.ceil(steps_per_epoch * params.epochs)))
    torch.manual_seed(params.seed + rank)
    model.to(dev).train()
    net = DualEncode(model, params.pooling)
    if world > 1:
        net = torch.nn.parallel.DistributedDataParallel(net, device_ids=[local] if device == "cuda" else None)
    decay = [p for n, p in model.named_parameters() if not (n.endswith("bias") or "LayerNorm" in n)]
    no_decay = [p for n, p in model.named_parameters() if n.endswith("bias") or "LayerNorm" in n]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": params.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=params.lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, _lr_lambda(total, params.warmup))
    ckpt_dir = os.path.join(run_dir, "checkpoints")
    step = 0
    if resume:
        last = ckpt.latest(ckpt_dir)
        if last:
            state = ckpt.load(last, model, opt, sched)
            step = int(state["step"])
    stop = {"flag": False}

    def on_signal(signum, frame):  # noqa: ARG001
        stop["flag"] = True

    # SIGHUP too: VS Code's Terminate Task ends a task's process with it.
    old = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    events.emit("start", stage=stage, total_steps=total, device=device, world_size=world, chunks=len(data),
                start_step=step)
    if step == 0 and rank == 0:
        # Isotropy of the base, before the first step, recorded with the run (bench/DEMO-RETRAIN.md has the values of
        # a random init, a short MLM run, and the trained models): a figure to compare runs by, not a verdict.
        iso = mean_cosine(model, tok, [t for t, _ in data], params, dev, seed=params.seed)
        if iso is not None:
            events.emit("eval", step=0, metrics={"base_mean_cosine": round(iso, 4)})
    amp = torch.autocast("cuda", dtype=torch.bfloat16) if device == "cuda" else None
    micro = params.batch_size
    t0 = time.time()
    samples = 0
    metrics: dict = {}
    last_loss = float("nan")
    stopped_early = False
    try:
        while step < total:
            # the data order of the micro-batches of this optimizer step depends only on (seed, step)
            losses = []
            for a in range(params.grad_accum):
                gidx = step * params.grad_accum + a  # global micro-batch counter
                epoch = (gidx * micro * world) // len(data)
                order = list(range(len(data)))
                random.Random(f"{params.seed}:epoch:{epoch}").shuffle(order)
                start = ((gidx * micro * world) % len(data)) + rank * micro
                idx = [order[(start + k) % len(data)] for k in range(micro)]
                rng = random.Random(f"{params.seed}:{gidx}:{rank}")
                sampled = [sample_positives(data[i][1], params.num_pos, rng) for i in idx]
                pools = [set(data[i][1]) for i in idx]
                strings, pos, neg = batch_masks([list(dict.fromkeys(s)) for s in sampled], pools,
                                                params.mask_false_negatives)
                # Hard negatives join the chunk side of the same forward (one forward per backward under DDP).
                hn = pick_hard_negatives(sampled, [hard[i] for i in idx], params.hard_negatives,
                                         random.Random(f"{params.seed}:hard:{gidx}:{rank}")) if params.hard_negatives else []
                c = tok.batch([data[i][0] for i in idx] + [t for _e, t in hn], params.max_length["passage"])
                e = tok.batch(strings, params.max_length["query"])
                args = [torch.tensor(x, device=dev) for x in (c.input_ids, c.attention_mask, e.input_ids, e.attention_mask)]
                sync = world > 1 and a < params.grad_accum - 1
                ctx = net.no_sync() if sync else _null()
                with ctx:
                    if amp is not None:
                        with amp:
                            ce, ee = net(*args)
                    else:
                        ce, ee = net(*args)
                    ce, he = ce[:micro].float(), ce[micro:].float()
                    loss = multi_similarity_loss(ce @ ee.float().T, pos.to(dev), neg.to(dev), params.threshold,
                                                 params.eps, params.scale_pos, params.scale_neg)
                    if hn:
                        index = {x: j for j, x in enumerate(strings)}
                        owner = torch.tensor([index[x] for x, _t in hn], device=dev)
                        loss = loss + hard_negative_loss(ee.float(), ce, he, pos.to(dev), owner, params)
                    (loss / params.grad_accum).backward()
                losses.append(float(loss.detach()))
                samples += micro * world
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            step += 1
            last_loss = sum(losses) / len(losses)
            if world > 1:
                t = torch.tensor([last_loss, 1.0 if stop["flag"] else 0.0], device=dev)
                dist.all_reduce(t)
                last_loss = float(t[0]) / world
                stop["flag"] = bool(t[1] > 0)
            now = time.time()
            if step % params.log_every == 0 or step == total:
                sps = samples / max(1e-9, now - t0)
                events.emit("step", step=step, total_steps=total, loss=round(last_loss, 6),
                            lr=sched.get_last_lr()[0], samples_per_s=round(sps, 2),
                            eta_s=round((total - step) * per_step / max(sps, 1e-9), 1))
            if params.eval_every and step % params.eval_every == 0 and held and rank == 0:
                metrics = evaluate(model, tok, held, params, dev)
                events.emit("eval", step=step, metrics=metrics)
            out_of_time = params.max_minutes > 0 and (time.time() - t0) > params.max_minutes * 60
            if world > 1 and params.max_minutes > 0:
                t = torch.tensor([1.0 if out_of_time else 0.0], device=dev)
                dist.all_reduce(t)
                out_of_time = bool(t[0] > 0)
            if stop["flag"] or out_of_time or step % params.checkpoint_every == 0 or step == total:
                if rank == 0:
                    p = ckpt.save(ckpt_dir, step, model, opt, sched, {"stage": stage, "loss": last_loss},
                                  params.keep_checkpoints)
                    events.emit("checkpoint", step=step, path=p)
                if world > 1:
                    dist.barrier()
            if stop["flag"]:
                raise Interrupted(step)
            if out_of_time:
                stopped_early = True
                break
        if held and rank == 0:
            metrics = evaluate(model, tok, held, params, dev)
            events.emit("eval", step=step, metrics=metrics)
    finally:
        for s, h in old.items():
            signal.signal(s, h)
    return {"steps": step, "metrics": metrics, "loss": last_loss, "planned_steps": total, "stopped_early": stopped_early,
            "samples_per_s": round(samples / max(1e-9, time.time() - t0), 2)}


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False
