"""Progress events (docs/CONTRACTS.md "Training runs"): one JSON object a line on stdout, also appended to
<run>/events.jsonl. Only rank 0 of a distributed run writes. Never carries note or query text."""
from __future__ import annotations

import json
import math
import os
import sys
import time


def _clean(x):
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_clean(v) for v in x]
    return x


class Events:
    def __init__(self, run_dir: str | None, enabled: bool = True, stream=None):
        self.enabled = enabled
        self.stream = stream or sys.stdout
        self.path = os.path.join(run_dir, "events.jsonl") if run_dir else None
        if self.path and enabled:
            os.makedirs(run_dir, exist_ok=True)

    def emit(self, event: str, **fields) -> None:
        if not self.enabled:
            return
        obj = _clean({"event": event, **fields})
        if event == "start" and "time" not in obj:
            obj["time"] = time.time()
        line = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
        # The run folder's events.jsonl first: it is the record the editor reads back. Then stdout, which may be
        # gone (the task's terminal closed after Terminate Task): a failed write there must not stop the run
        # from checkpointing and recording its end.
        if self.path:
            try:
                os.makedirs(os.path.dirname(self.path), exist_ok=True)
                with open(self.path, "a", encoding="utf-8") as f:
                    f.write(line + "\n")
                    f.flush()
                    os.fsync(f.fileno())
            except OSError as e:  # the run folder vanished or the disk is full: stdout still carries the event
                if not getattr(self, "_warned", False):
                    self._warned = True
                    print(f"cannot append to {self.path}: {e.strerror}", file=sys.stderr)
        if not getattr(self, "_stdout_gone", False):
            try:
                self.stream.write(line + "\n")
                self.stream.flush()
            except (OSError, ValueError):
                self._stdout_gone = True
