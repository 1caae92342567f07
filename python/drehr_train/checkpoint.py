"""Checkpoints that survive kill -9: checkpoints/step-NNNNNN/ is written as a temp folder, fsynced, renamed, and
gets a COMPLETE marker last; resume takes the newest folder that has the marker. Older complete checkpoints beyond
`keep` are removed only after a newer one is complete, so a full disk leaves the last good one in place."""
from __future__ import annotations

import json
import os
import re
import shutil

import torch

from .fsutil import fsync_dir, fsync_tree
from .safetensors_io import load_safetensors, save_safetensors

_STEP = re.compile(r"^step-(\d{6,})$")


def list_complete(ckpt_dir: str) -> list[tuple[int, str]]:
    if not os.path.isdir(ckpt_dir):
        return []
    out = []
    for name in os.listdir(ckpt_dir):
        m = _STEP.match(name)
        p = os.path.join(ckpt_dir, name)
        if m and os.path.exists(os.path.join(p, "COMPLETE")):
            out.append((int(m.group(1)), p))
    return sorted(out)


def latest(ckpt_dir: str) -> str | None:
    c = list_complete(ckpt_dir)
    return c[-1][1] if c else None


def save(ckpt_dir: str, step: int, model: torch.nn.Module, optimizer, scheduler, state: dict, keep: int = 2) -> str:
    os.makedirs(ckpt_dir, exist_ok=True)
    final = os.path.join(ckpt_dir, f"step-{step:06d}")
    tmp = os.path.join(ckpt_dir, f".tmp-step-{step:06d}-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    try:
        save_safetensors(model.state_dict(), os.path.join(tmp, "model.safetensors"))
        torch.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                    "torch_rng": torch.get_rng_state()}, os.path.join(tmp, "optimizer.pt"))
        with open(os.path.join(tmp, "state.json"), "w") as f:
            json.dump({**state, "step": step, "config": model.config.to_hf()}, f, indent=2)
        fsync_tree(tmp)
        if os.path.exists(final):
            shutil.rmtree(final)
        os.replace(tmp, final)
        fsync_dir(ckpt_dir)
        with open(os.path.join(final, "COMPLETE"), "w") as f:
            f.write(str(step))
            f.flush()
            os.fsync(f.fileno())
        fsync_dir(final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    for s, p in list_complete(ckpt_dir)[:-keep]:
        shutil.rmtree(p, ignore_errors=True)
    for name in os.listdir(ckpt_dir):  # leftovers of killed saves
        if name.startswith(".tmp-step-") and not name.endswith(f"-{os.getpid()}"):
            shutil.rmtree(os.path.join(ckpt_dir, name), ignore_errors=True)
    return final


def load(path: str, model: torch.nn.Module, optimizer=None, scheduler=None) -> dict:
    """Loads a complete checkpoint; a checkpoint of another architecture gives a clear ValueError."""
    with open(os.path.join(path, "state.json")) as f:
        state = json.load(f)
    ours = model.config.to_hf()
    theirs = state.get("config", {})
    diffs = [k for k in ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size")
             if theirs.get(k) != ours.get(k)]
    if diffs:
        raise ValueError(f"checkpoint {path} is from another architecture ("
                         + ", ".join(f"{k} {theirs.get(k)} vs {ours.get(k)}" for k in diffs)
                         + "); start a new run folder or use the matching base model")
    model.load_state_dict(load_safetensors(os.path.join(path, "model.safetensors")))
    if optimizer is not None:
        o = torch.load(os.path.join(path, "optimizer.pt"), map_location="cpu")
        optimizer.load_state_dict(o["optimizer"])
        if scheduler is not None:
            scheduler.load_state_dict(o["scheduler"])
        torch.set_rng_state(o["torch_rng"])
    return state
