"""Command line: python -m drehr_train <check|vocab|graph|mlm|stage1|stage2|export|eval|serve-encoder> [--config RUN.json] ...

Exit codes (docs/CONTRACTS.md): 0 done, 1 error, 2 bad config, 3 missing package, 130 interrupted.
"""
from __future__ import annotations

import argparse
import json
import re
import os
import sys
import traceback

EXIT_OK, EXIT_ERROR, EXIT_CONFIG, EXIT_MISSING, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
SHARED_DATA = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data"))


class ConfigError(Exception):
    pass


def _emit_error(message: str, hint: str, run_dir: str | None = None) -> None:
    from .events import Events
    Events(run_dir).emit("error", message=message, hint=hint)


def cmd_check(a) -> int:
    try:
        import torch
    except ImportError:
        print(json.dumps({"ok": False, "missing": "torch",
                          "hint": "install PyTorch: pip install torch (or on Debian: apt-get install python3-torch)"}))
        return EXIT_MISSING
    out = {"ok": True, "torch": torch.__version__, "cuda": bool(torch.cuda.is_available()), "python": sys.version.split()[0]}
    try:
        import onnx  # noqa: F401
        out["onnx"] = onnx.__version__
    except ImportError:
        out["onnx"] = None
    print(json.dumps(out))
    return EXIT_OK


def _default_graph_dirs() -> list[str]:
    from .graph import DATA_DIR
    return [DATA_DIR] + ([SHARED_DATA] if os.path.isdir(SHARED_DATA) else [])


def cmd_graph(a) -> int:
    from .graph import main_build
    dirs = a.sources or _default_graph_dirs()
    stats = main_build(a.out, dirs, a.extra or [])
    print(json.dumps({"graph": a.out, **stats}))
    return EXIT_OK


def _load_chunks(data: dict, warn) -> list:
    from .chunker import DEFAULT_CHUNKING as D, Chunk, chunk_note
    from .notes import read_notes
    ch = data.get("chunking") or {}
    size, overlap, minw = ch.get("words", D["words"]), ch.get("overlap", D["overlap"]), ch.get("min_words", ch.get("minWords", D["minWords"]))
    out = []
    if data.get("chunks"):
        from .stage2_data import read_jsonl
        for o in read_jsonl(data["chunks"], warn):
            if isinstance(o.get("id"), str) and isinstance(o.get("text"), str):
                out.append(Chunk(o["id"], o.get("note_id", ""), o.get("patient_id", ""), o["text"], o.get("start", 0),
                                 o.get("end", 0)))
        return out
    roots = data.get("notes")
    for root in ([roots] if isinstance(roots, str) else list(roots or [])):
        if not os.path.isdir(root):
            raise ConfigError(f"data.notes: {root} is not a folder")
        inc, exc = data.get("include") or [], data.get("exclude") or []
        for n in read_notes(root, warn=warn):
            if inc and not any(_glob(n.source, g) for g in inc):
                continue
            if exc and any(_glob(n.source, g) for g in exc):
                continue
            out.extend(chunk_note(n, size, overlap, minw))
    return out


def _glob_re(pattern: str) -> "re.Pattern[str]":
    """The include/exclude glob of the editor and the sidecar (src/shared/glob.ts), so all three pick the same
    notes: `**` any folders (`**/` also none), `*` and `?` within a name, `{a,b}` alternatives, `[...]` classes."""
    g = pattern.replace("\\", "/")
    if g.startswith("./"):
        g = g[2:]
    out, i, depth = "", 0, 0
    while i < len(g):
        c = g[i]
        if c == "*":
            if g[i + 1:i + 2] == "*":
                at_start = i == 0 or g[i - 1] == "/"
                i += 2
                if g[i:i + 1] == "/" and at_start:
                    out += "(?:[^/]*/)*"
                    i += 1
                else:
                    out += ".*"
                continue
            out += "[^/]*"
        elif c == "?":
            out += "[^/]"
        elif c == "{":
            out += "(?:"
            depth += 1
        elif c == "}" and depth:
            out += ")"
            depth -= 1
        elif c == "," and depth:
            out += "|"
        elif c == "[" and g.find("]", i + 2) > i:
            close = g.find("]", i + 2)
            body = g[i + 1:close]
            out += "[" + ("^" + body[1:] if body.startswith("!") else body).replace("\\", "\\\\") + "]"
            i = close + 1
            continue
        else:
            out += re.escape(c)
        i += 1
    return re.compile("^" + out + "$")


def _glob(path: str, pattern: str) -> bool:
    """Workspace-relative glob as the editor writes them (see _glob_re)."""
    return bool(_glob_re(pattern).match(path.replace("\\", "/")))


def _config(a) -> dict:
    cfg: dict = {}
    if a.config:
        try:
            with open(a.config, encoding="utf-8") as f:
                cfg = json.load(f)
        except (OSError, json.JSONDecodeError) as e:
            raise ConfigError(f"cannot read {a.config}: {e}") from e
        if not isinstance(cfg, dict):
            raise ConfigError(f"{a.config} must hold a JSON object")
    cfg.setdefault("data", {})
    cfg.setdefault("train", {})
    if a.base:
        cfg["base_model"] = a.base
    if a.out:
        cfg["output_dir"] = a.out
    if a.device:
        cfg["device"] = a.device
    if a.notes:
        cfg["data"]["notes"] = a.notes if len(a.notes) > 1 else a.notes[0]
    for k in ("graph", "pairs", "labels", "chunks"):
        v = getattr(a, k, None)
        if v:
            cfg["data"][k] = v
    for k in ("epochs", "max_steps", "batch_size", "lr", "num_pos", "grad_accum", "seed", "checkpoint_every",
              "eval_every", "warmup", "max_minutes", "hard_negatives"):
        v = getattr(a, k, None)
        if v is not None:
            cfg["train"][k] = v
    if a.no_mask_false_negatives:
        cfg["train"]["mask_false_negatives"] = False
    if a.max_passage or a.max_query:
        ml = dict(cfg["train"].get("max_length") or {"passage": 160, "query": 16})
        ml.update({k: v for k, v in (("passage", a.max_passage), ("query", a.max_query)) if v})
        cfg["train"]["max_length"] = ml
    if a.from_scratch:
        cfg["from_scratch"] = True
    for k in ("base_model", "output_dir"):
        if not cfg.get(k):
            raise ConfigError(f"{k} is required (run.json or --{'base' if k == 'base_model' else 'out'})")
    return cfg


def _heldout_split(records: list[dict], share: float = 0.05, cap: int = 120) -> tuple[list[dict], list[dict]]:
    import hashlib
    scored = sorted(records, key=lambda r: hashlib.sha1(r["chunk_id"].encode()).hexdigest())
    n = min(cap, int(len(records) * share))
    held_ids = {r["chunk_id"] for r in scored[:n]}
    return [r for r in records if r["chunk_id"] not in held_ids], [r for r in records if r["chunk_id"] in held_ids]


def cmd_train(a) -> int:
    import torch
    from .events import Events
    from .export import default_meta, ort_parity, write_model_folder
    from .hf_load import load_base
    from .trainer import Interrupted, TrainParams, train

    torch.set_num_threads(max(1, a.threads))
    stage = a.command
    try:
        cfg = _config(a)
        params = TrainParams.from_dict({**({"num_pos": 128} if stage == "stage1" else {"num_pos": 16, "epochs": 1}),
                                        **cfg["train"]})
    except (ConfigError, ValueError, TypeError) as e:
        _emit_error(str(e), "fix the run configuration (run.json) or the command-line options")
        return EXIT_CONFIG
    run_dir = os.path.abspath(cfg["output_dir"])
    rank = int(os.environ.get("RANK", "0"))
    events = Events(run_dir, enabled=rank == 0)
    warns: list[str] = []
    warn = warns.append
    try:
        base = load_base(cfg["base_model"], from_scratch=bool(cfg.get("from_scratch")), seed=params.seed)
        params.pooling = base.meta["pooling"] if not cfg.get("pooling") else cfg["pooling"]
        data = cfg["data"]
        info: dict = {}
        if stage == "stage1":
            from .graph import build_graph, load_graph
            from .stage1_data import build_stage1, coverage_markdown
            chunks = _load_chunks(data, warn)
            extra_chunks = []
            if a.mtsamples:
                from .stage2_data import mtsamples_pairs
                extra_chunks, _, _ = mtsamples_pairs(a.mtsamples, None, "train")
            g = load_graph(data["graph"]) if data.get("graph") else build_graph(_default_graph_dirs())
            warns.extend(g.warnings)
            records, report = build_stage1(chunks + extra_chunks, g, seed=params.seed)
            info = {"coverage": report, "chunks": len(chunks) + len(extra_chunks), "graph": g.stats()}
            if rank == 0:
                os.makedirs(run_dir, exist_ok=True)
                with open(os.path.join(run_dir, "stage1_coverage.json"), "w") as f:
                    json.dump(report, f, indent=2)
                with open(os.path.join(run_dir, "report.md"), "w") as f:
                    f.write(f"# Stage I run\n\n## Coverage\n\n{coverage_markdown(report)}\n")
            lexicon = g.lexicon_for([e["concept"] for r in records for e in r["entities"]]) if a.lexicon else None
        else:
            from .stage2_data import build_stage2, mtsamples_pairs
            g2 = None
            if a.mtsamples:
                from .graph import build_graph, load_graph
                g2 = load_graph(data["graph"]) if data.get("graph") else build_graph(_default_graph_dirs())
                chunk_list, pairs, m = mtsamples_pairs(a.mtsamples, g2, "train")
                os.makedirs(run_dir, exist_ok=True)
                pairs_path = os.path.join(run_dir, "pairs.jsonl")
                with open(pairs_path, "w", encoding="utf-8") as f:
                    for p in pairs:
                        f.write(json.dumps(p) + "\n")
                data["pairs"] = pairs_path
                info["mtsamples_mapping"] = m
            else:
                chunk_list = _load_chunks(data, warn)
            if not data.get("pairs"):
                raise ConfigError("stage2 needs data.pairs (a pairs JSONL) or --mtsamples")
            records, counts = build_stage2(data["pairs"], data.get("labels"), {c.id: c for c in chunk_list},
                                           params.num_pos, warn)
            info["pairs"] = counts
            if params.hard_negatives > 0:  # BM25-mined, graph-filtered negatives from the same patient (hardneg.py)
                from .graph import build_graph, load_graph
                from .hardneg import add_hard_negatives
                if g2 is None:
                    g2 = load_graph(data["graph"]) if data.get("graph") else build_graph(_default_graph_dirs())
                info["hard_negatives"] = add_hard_negatives(records, chunk_list, g2, params.hard_negatives, params.seed)
            lexicon = None
            lex_path = os.path.join(base.path, "lexicon.json.gz")
            if os.path.exists(lex_path):  # carry the Stage I lexicon over
                import gzip
                with gzip.open(lex_path, "rt", encoding="utf-8") as f:
                    lexicon = json.load(f)
        train_recs, held = _heldout_split(records)
        result = train(base.model, base.tokenizer, train_recs, params, run_dir, stage, cfg.get("device", "auto"),
                       events, held)
        if rank != 0:
            return EXIT_OK
        prev = (base.meta.get("provenance") or {}) if base.weights else {}
        meta = default_meta(base.model.config.hidden_size, True, a.name or f"DR.EHR {stage} ({os.path.basename(run_dir)})",
                            a.description or f"Trained by drehr_train {stage}", params.pooling)
        meta["max_length"] = params.max_length
        meta["prefix"] = base.meta["prefix"]
        meta["provenance"].update({
            "base": prev.get("base") if prev else (None if cfg.get("from_scratch") else base.meta.get("id")),
            "stages": list(prev.get("stages", [])) + [{
                "stage": stage, "steps": result["steps"], "planned_steps": result["planned_steps"],
                "stopped_early": result["stopped_early"], "loss": result["loss"], "samples_per_s": result["samples_per_s"],
                "params": {k: getattr(params, k) for k in ("batch_size", "lr", "warmup", "num_pos", "grad_accum", "seed",
                                                           "mask_false_negatives", "epochs", "max_steps",
                                                           "hard_negatives")},
                "data": info}],
            "data": {**(prev.get("data") or {}), stage: {k: v for k, v in info.items() if k != "graph"}},
            "steps": int(prev.get("steps", 0)) + result["steps"],
            "metrics": result["metrics"],
        })
        out_dir = os.path.join(run_dir, "model")
        meta = write_model_folder(base.model.cpu(), base.tokenizer_json, out_dir, meta, id_prefix="drehr",
                                  lexicon=lexicon)
        try:
            diff = ort_parity(out_dir)
        except Exception as e:  # noqa: BLE001 - parity is reported, not fatal
            warns.append(f"parity check failed to run: {e}")
            diff = None
        events.emit("export", model_dir=out_dir, parity_max_abs_diff=diff)
        for w in warns[:50]:
            print(w, file=sys.stderr)
        events.emit("done", model_dir=out_dir, metrics=result["metrics"])
        return EXIT_OK
    except Interrupted as e:
        events.emit("error", message=f"interrupted at step {e.args[0]}", interrupted=True,
                    hint="run the same command again: it resumes from the last complete checkpoint")
        return EXIT_INTERRUPTED
    except ConfigError as e:
        events.emit("error", message=str(e), hint="fix the run configuration (run.json) or the command-line options")
        return EXIT_CONFIG
    except ValueError as e:
        events.emit("error", message=str(e), hint="check the base model folder and the data paths")
        return EXIT_ERROR
    except OSError as e:
        from . import checkpoint as ckpt
        last = ckpt.latest(os.path.join(run_dir, "checkpoints"))
        events.emit("error", message=f"{type(e).__name__}: {e}",
                    hint="free disk space or fix permissions; " + (f"the last complete checkpoint {last} is intact and "
                                                                    "the same command resumes from it" if last else
                                                                    "no complete checkpoint was written yet"))
        return EXIT_ERROR
    except Exception as e:  # noqa: BLE001 - every failure must end as an error event
        traceback.print_exc(file=sys.stderr)
        events.emit("error", message=f"{type(e).__name__}: {e}", hint="see the trainer's stderr for the traceback")
        return EXIT_ERROR


def cmd_vocab(a) -> int:
    """Builds a from-scratch base folder: tokenizer.json (WordPiece from the notes) + config.json (BERT size)."""
    from .chunker import chunk_note
    from .model import BertConfig
    from .notes import read_notes
    from .tokenizer import tokenizer_json
    from .vocab import build_vocab, count_words
    texts = []
    for root in a.notes or []:
        texts += [n.text for n in read_notes(root)]
    if a.mtsamples:
        from .stage2_data import mtsamples_notes, mtsamples_split
        texts += [n.text for n, _, key in mtsamples_notes(a.mtsamples) if mtsamples_split(key) == "train"]
    if a.graph:
        from .graph import load_graph
        g = load_graph(a.graph)
        texts += [t for c in g.concepts.values() for t in [c.name] + c.synonyms]
    if not texts:
        print(json.dumps({"event": "error", "message": "no text for the vocabulary", "hint": "give --notes"}))
        return EXIT_CONFIG
    del chunk_note
    tokens = build_vocab(count_words(texts), a.size)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer_json(tokens), f, ensure_ascii=False)
    cfg = BertConfig(vocab_size=len(tokens), hidden_size=a.hidden, num_hidden_layers=a.layers,
                     num_attention_heads=a.heads, intermediate_size=a.ff)
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(cfg.to_hf(), f, indent=2)
    with open(os.path.join(a.out, "drehr.json"), "w") as f:
        json.dump({"format": 1, "id": "scratch", "pooling": "mean", "normalize": True,
                   "max_length": {"passage": 160, "query": 16}, "prefix": {"query": "", "passage": ""}}, f, indent=2)
    print(json.dumps({"vocab": len(tokens), "texts": len(texts), "out": a.out}))
    return EXIT_OK


def cmd_mlm(a) -> int:
    import torch
    from .events import Events
    from .hf_load import load_base
    from .notes import read_notes
    from .safetensors_io import save_safetensors
    torch.set_num_threads(max(1, a.threads))
    try:
        base = load_base(a.base, from_scratch=a.from_scratch, seed=a.seed or 42)
    except ValueError as e:
        _emit_error(str(e), "check the base model folder")
        return EXIT_ERROR
    texts = []
    for root in a.notes or []:
        texts += [n.text for n in read_notes(root)]
    if a.mtsamples:
        from .stage2_data import mtsamples_notes, mtsamples_split
        texts += [n.text for n, _, key in mtsamples_notes(a.mtsamples) if mtsamples_split(key) == "train"]
    from .chunker import chunk_text
    pieces = [t for x in texts for t, _, _ in chunk_text(x)]
    from .mlm import pretrain
    from .trainer import Interrupted
    ckpt_dir = os.path.join(a.out, "checkpoints")
    try:
        res = pretrain(base.model, base.tokenizer, pieces, a.max_steps or 100, a.batch_size or 32, a.max_passage or 128,
                       a.lr or 5e-4, seed=a.seed or 42, events=Events(None), max_minutes=a.max_minutes or 0.0,
                       ckpt_dir=ckpt_dir, checkpoint_every=a.checkpoint_every or 100)
    except Interrupted as e:
        print(json.dumps({"event": "error", "message": f"interrupted at step {e.args[0]}", "interrupted": True,
                          "hint": "run the same command again: it resumes from the last complete checkpoint"}))
        return EXIT_INTERRUPTED
    os.makedirs(a.out, exist_ok=True)
    import shutil
    for f in ("tokenizer.json", "config.json", "drehr.json"):
        if os.path.exists(os.path.join(base.path, f)):
            shutil.copy(os.path.join(base.path, f), os.path.join(a.out, f))
    save_safetensors(base.model.state_dict(), os.path.join(a.out, "model.safetensors"))
    # Record the pretraining in drehr.json's provenance, so the stages trained on top of it carry it on.
    meta_path = os.path.join(a.out, "drehr.json")
    meta = {}
    if os.path.exists(meta_path):
        with open(meta_path, encoding="utf-8") as f:
            meta = json.load(f)
    prov = meta.get("provenance") or {"base": None if a.from_scratch else base.meta.get("id"), "stages": [], "data": {},
                                      "steps": 0, "metrics": {}}
    prov["stages"] = list(prov.get("stages", [])) + [{"stage": "mlm", "steps": res["steps"], "planned_steps": res["planned_steps"],
                                                      "stopped_early": res["stopped_early"], "loss": res["loss"],
                                                      "samples_per_s": res["samples_per_s"],
                                                      "params": {"batch_size": a.batch_size or 32, "lr": a.lr or 5e-4,
                                                                 "seed": a.seed or 42, "max_length": a.max_passage or 128},
                                                      "data": {"chunks": len(pieces)}}]
    prov["steps"] = int(prov.get("steps", 0)) + res["steps"]
    meta["provenance"] = prov
    from .fsutil import write_json_atomic
    write_json_atomic(meta_path, meta)
    print(json.dumps({"event": "done", "model_dir": a.out, "metrics": {"mlm_loss": res["loss"]},
                      "mlm": {k: res[k] for k in ("steps", "planned_steps", "stopped_early", "samples_per_s")}}))
    return EXIT_OK


def cmd_export(a) -> int:
    """Exports a checkpoint (or a base folder with weights, e.g. a Hugging Face BERT) as a model folder."""
    import torch
    from .export import default_meta, ort_parity, write_model_folder
    from .hf_load import load_base
    from .safetensors_io import load_safetensors
    torch.set_num_threads(max(1, a.threads))
    try:
        base = load_base(a.base, from_scratch=bool(a.checkpoint))
        if a.checkpoint:
            base.model.load_state_dict(load_safetensors(os.path.join(a.checkpoint, "model.safetensors")))
    except (ValueError, OSError, RuntimeError) as e:
        _emit_error(str(e), "check --base and --checkpoint")
        return EXIT_ERROR
    meta = default_meta(base.model.config.hidden_size, True, a.name or os.path.basename(os.path.abspath(a.out)),
                        a.description or f"exported from {os.path.basename(a.base)}", a.pooling or base.meta["pooling"])
    meta["prefix"] = base.meta["prefix"]
    meta["max_length"] = base.meta["max_length"]
    meta["provenance"] = {**meta["provenance"], **(base.meta.get("provenance") or {}), "tool": "drehr_train export"}
    meta["provenance"]["base"] = meta["provenance"].get("base") or base.meta.get("id")
    meta = write_model_folder(base.model, base.tokenizer_json, a.out, meta)
    from .events import Events
    Events(None).emit("export", model_dir=a.out, parity_max_abs_diff=ort_parity(a.out))
    return EXIT_OK


def cmd_eval(a) -> int:
    """Held-out entity->chunk retrieval of a model folder on Stage I/II records (JSONL with text, positives)."""
    import torch
    from .hf_load import load_base
    from .stage2_data import read_jsonl
    from .trainer import TrainParams, evaluate, prepare
    torch.set_num_threads(max(1, a.threads))
    base = load_base(a.base)
    recs = read_jsonl(a.records, lambda m: print(m, file=sys.stderr))
    p = TrainParams(pooling=base.meta["pooling"], max_length=base.meta["max_length"])
    m = evaluate(base.model, base.tokenizer, prepare(recs), p, "cpu")
    print(json.dumps({"event": "eval", "step": 0, "metrics": m}))
    return EXIT_OK


def cmd_quantize(a) -> int:
    """Writes a dynamically quantized int8 ONNX beside the fp32 one and records it in drehr.json (quantize.py)."""
    from .quantize import INT8_ONNX, quantize_folder
    try:
        res = quantize_folder(a.model, a.out or INT8_ONNX, a.min_elements)
    except (OSError, ValueError, RuntimeError) as e:
        _emit_error(str(e), "give --model a model folder with drehr.json and its fp32 ONNX")
        return EXIT_ERROR
    print(json.dumps({"event": "quantize", **res}))
    return EXIT_OK


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m drehr_train", description="DR.EHR trainer")
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("check", help="check the Python packages")
    g = sub.add_parser("graph", help="build the knowledge graph")
    g.add_argument("--out", required=True)
    g.add_argument("--sources", action="append", help="folder with source files (repeatable)")
    g.add_argument("--extra", action="append", help="plain TSV/JSONL (concept, term, relation) file (repeatable)")
    q = sub.add_parser("quantize", help="write a dynamically quantized int8 ONNX beside the fp32 one")
    q.add_argument("--model", required=True, help="model folder (drehr.json, onnx/model.onnx)")
    q.add_argument("--out", help="path inside the folder (default onnx/model.int8.onnx)")
    q.add_argument("--min-elements", dest="min_elements", type=int, default=0,
                   help="leave weights with fewer elements in fp32")
    for name in ("stage1", "stage2", "mlm", "export", "eval", "vocab"):
        p = sub.add_parser(name)
        p.add_argument("--config")
        p.add_argument("--base", help="base model folder")
        p.add_argument("--out", help="run folder (stage1/stage2) or output folder")
        p.add_argument("--device", choices=["auto", "cpu", "cuda"])
        p.add_argument("--notes", action="append")
        p.add_argument("--mtsamples", help="MTSamples CSV: stage1 adds its training split; stage2 uses its keywords")
        p.add_argument("--graph")
        p.add_argument("--pairs")
        p.add_argument("--labels")
        p.add_argument("--chunks")
        p.add_argument("--records")
        p.add_argument("--checkpoint")
        p.add_argument("--epochs", type=float)
        p.add_argument("--max-steps", dest="max_steps", type=int)
        p.add_argument("--max-minutes", dest="max_minutes", type=float,
                       help="end training early (as done, checkpointed, exported) after this much wall time")
        p.add_argument("--batch-size", dest="batch_size", type=int)
        p.add_argument("--lr", type=float)
        p.add_argument("--warmup", type=float)
        p.add_argument("--num-pos", dest="num_pos", type=int)
        p.add_argument("--grad-accum", dest="grad_accum", type=int)
        p.add_argument("--seed", type=int)
        p.add_argument("--checkpoint-every", dest="checkpoint_every", type=int)
        p.add_argument("--eval-every", dest="eval_every", type=int)
        p.add_argument("--max-passage", dest="max_passage", type=int)
        p.add_argument("--max-query", dest="max_query", type=int)
        p.add_argument("--no-mask-false-negatives", action="store_true")
        p.add_argument("--hard-negatives", dest="hard_negatives", type=int,
                       help="stage2: BM25-mined hard-negative chunks per batch chunk (same patient, graph-filtered)")
        p.add_argument("--from-scratch", action="store_true", help="random weights of the base folder's size")
        p.add_argument("--threads", type=int, default=int(os.environ.get("DREHR_THREADS", "2")))
        p.add_argument("--name")
        p.add_argument("--description")
        p.add_argument("--pooling", choices=["cls", "mean"])
        p.add_argument("--lexicon", action="store_true", help="stage1: write lexicon.json.gz into the model folder")
        p.add_argument("--size", type=int, default=8000, help="vocab: vocabulary size")
        p.add_argument("--hidden", type=int, default=256)
        p.add_argument("--layers", type=int, default=4)
        p.add_argument("--heads", type=int, default=4)
        p.add_argument("--ff", type=int, default=1024)
    from .serve_encoder import add_parser as add_serve_encoder
    add_serve_encoder(sub)
    return ap


def main(argv: list[str] | None = None) -> int:
    a = parser().parse_args(argv)
    if a.command == "serve-encoder":  # answers in binary frames, a missing torch included
        from .serve_encoder import cmd_serve_encoder
        return cmd_serve_encoder(a)
    if a.command != "check":
        try:
            import torch  # noqa: F401
        except ImportError:
            if a.command not in ("graph", "quantize"):
                _emit_error("PyTorch is not installed in this Python",
                            "install it: pip install torch (Debian: apt-get install python3-torch), or pick another interpreter")
                return EXIT_MISSING
    handlers = {"check": cmd_check, "graph": cmd_graph, "stage1": cmd_train, "stage2": cmd_train, "vocab": cmd_vocab,
                "mlm": cmd_mlm, "export": cmd_export, "eval": cmd_eval, "quantize": cmd_quantize}
    try:
        return handlers[a.command](a)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
