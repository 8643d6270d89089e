"""Shared header of every benchmark results file: what ran, where, and how busy the machine was.

Each results file starts with the same bullet list (date, command, device, versions, threads,
machine load before and after) so that ``benchmarks/summarize.py`` and a reader can judge the
figures. Ratios are what the files compare: both tools run in one process, side by side.
"""

from __future__ import annotations

import datetime
import os
import platform
from collections.abc import Callable
from pathlib import Path

__all__ = ["PROVISIONAL", "cpu_name", "load", "machine_header", "ratio"]

#: Said in every results file measured on the shared development machine.
PROVISIONAL = (
    "provisional: measured on a 2-core machine shared with other jobs (see the load); rerun "
    "`python benchmarks/run_all.py` on a quiet machine for the figures to quote"
)


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load() -> str:
    """The 1, 5 and 15 minute load averages, e.g. ``"1.2, 0.9, 0.7"``."""
    if not hasattr(os, "getloadavg"):
        return "unknown"
    return ", ".join(f"{v:.1f}" for v in os.getloadavg())


def ratio(reference_s: float, ours_s: float) -> str:
    """``"12.3x"``: how many times faster neuroalign was (reference time / ours)."""
    return f"{reference_s / ours_s:.1f}x"


def machine_header(title: str, command: str, threads: str | int) -> Callable[[], list[str]]:
    """Record the load now; the returned function gives the header lines (load after included).

    Args:
        title: the results file's title.
        command: the command line that reproduces the file.
        threads: the CPU threads each tool was given.
    """
    import numpy as np
    import torch

    before = load()
    started = datetime.datetime.now(datetime.timezone.utc)

    def header() -> list[str]:
        device = f"CPU {cpu_name()}, {os.cpu_count()} cores visible"
        if torch.cuda.is_available():
            device += f"; GPU {torch.cuda.get_device_name()} (not used unless stated)"
        return [
            f"# {title}",
            "",
            f"- date: {started:%Y-%m-%d %H:%M} UTC",
            f"- command: `{command}`",
            f"- device: {device}",
            f"- versions: python {platform.python_version()}, torch {torch.__version__}, "
            f"numpy {np.__version__}",
            f"- threads: {threads}",
            f"- machine load (1/5/15 min): before {before}; after {load()}",
            f"- status: {PROVISIONAL}",
        ]

    return header
