"""Where the ML potential runs: `[energy] device = "auto" | "cpu" | "cuda"` (or "cuda:N").

"auto" picks the first CUDA GPU when torch sees one and the CPU otherwise. "cuda" asked for on a
machine without one fails in one line instead of falling back silently: a campaign configured for a
GPU should not quietly take weeks on a CPU. The device changes speed, not results (float32 on
either; a GPU's reduction order moves energies by ~1e-6 eV/atom), so it is not part of any settings
hash.
"""

from __future__ import annotations

import re

from ipscreen.errors import InputError


def check_device(requested: str) -> str:
    """`requested` if it names a device ipscreen knows ("auto", "cpu", "cuda", "cuda:N"); InputError otherwise."""
    if not isinstance(requested, str) or not re.fullmatch(r"auto|cpu|cuda(:\d+)?", requested):
        raise InputError(f"[energy] device = {requested!r}: use \"auto\", \"cpu\" or \"cuda\" (or \"cuda:N\")")
    return requested


def resolve_device(requested: str = "auto") -> str:
    """The torch device string for `requested`: "cpu" or "cuda[:N]". InputError for "cuda" without a GPU that
    torch can use."""
    check_device(requested)
    if requested == "cpu":
        return "cpu"
    try:
        import torch

        available = torch.cuda.is_available()
        count = torch.cuda.device_count() if available else 0
        build = torch.__version__
    except ImportError:
        available, count, build = False, 0, "not installed"
    if requested == "auto":
        return "cuda" if available else "cpu"
    index = int(requested.partition(":")[2] or 0)
    if not available or index >= count:
        seen = f"{count} CUDA device(s)" if available else "no CUDA device"
        raise InputError(f"[energy] device = {requested!r}, but torch {build} sees {seen}; use device = \"auto\" "
                         "or \"cpu\" on this machine")
    return requested
