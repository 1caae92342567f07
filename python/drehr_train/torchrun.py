"""`python -m drehr_train.torchrun ARGS` = `torchrun ARGS`, with a fix for PyTorch < 2.0 on Python >= 3.11.

There, torch.distributed.elastic's Std.from_str looks values up by iterating the IntFlag enum, which no longer
yields NONE (0) or ALL (3), so every launch fails with "'NoneType' object has no attribute 'get'" (Debian 12's
python3-torch 1.13 hits it). The fix converts with Std(int(v)). Newer PyTorch is left untouched.
"""
from __future__ import annotations

import re
import sys


def _patch() -> None:
    try:
        from torch.distributed.elastic.multiprocessing import api
    except ImportError:
        return
    Std = api.Std
    if Std.from_str("0") is not None:
        return

    def from_str(vm: str):
        if re.match(api._VALUE_REGEX, vm):
            return Std(int(vm))
        if re.match(api._MAPPING_REGEX, vm):
            return {int(i): Std(int(v)) for i, v in (m.split(":") for m in vm.split(","))}
        raise ValueError(f"{vm} does not match: <{api._VALUE_REGEX}> or <{api._MAPPING_REGEX}>")

    Std.from_str = staticmethod(from_str)


def main() -> None:
    _patch()
    from torch.distributed.run import main as run_main
    sys.argv[0] = "torchrun"
    run_main()


if __name__ == "__main__":
    main()
