"""Shared header of every benchmark results file: what ran, where, and how busy the machine was.

Each results file starts with the same bullet list (date, command, device, versions, threads,
machine load before and after) so that ``benchmarks/summarize.py`` and a reader can judge the
figures. Ratios are what the files compare: both tools run in one process, side by side.
"""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = [
    "PROVISIONAL",
    "QUICK_RESULTS",
    "SUMMARY_TITLE",
    "cpu_name",
    "git_commit",
    "load",
    "machine_header",
    "ratio",
    "results_path",
    "speed_summary",
]

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


#: Where ``--quick`` runs write their results files: smoke tests, never the figures in
#: ``benchmarks/results`` (``summarize.py QUICK_RESULTS`` prints their table).
QUICK_RESULTS = Path(tempfile.gettempdir()) / "neuroalign-bench-quick"


def results_path(out: Path, default: Path, quick: bool) -> Path:
    """``out``, except that a ``--quick`` run aimed at the default results file writes to
    :data:`QUICK_RESULTS` instead."""
    if quick and Path(out) == default:
        QUICK_RESULTS.mkdir(parents=True, exist_ok=True)
        return QUICK_RESULTS / default.name
    return Path(out)


#: The section of every results file that ``summarize.py`` turns into the README's speed table.
SUMMARY_TITLE = "## Speed summary"


def speed_summary(rows: list[tuple[str, str, str, float, float, str]]) -> list[str]:
    """The results file's speed summary: one line per headline figure.

    Args:
        rows: (analysis, anchor tool, sizes, anchor seconds, neuroalign seconds, machine load
            while they ran) per figure; the ratio is computed here.
    """
    lines = [
        SUMMARY_TITLE,
        "",
        "| analysis | anchor | sizes | anchor s | neuroalign s | speed-up | load (1/5/15 min) |",
        "| --- | --- | --- | ---: | ---: | ---: | --- |",
    ]
    for analysis, anchor, sizes, t_anchor, t_ours, machine_load in rows:
        lines.append(
            f"| {analysis} | {anchor} | {sizes} | {t_anchor:.3g} | {t_ours:.3g} | "
            f"{ratio(t_anchor, t_ours)} | {machine_load} |"
        )
    return [*lines, ""]


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


def git_commit(repo: Path) -> str:
    """The checked-out commit of a reference tool's checkout, or a note if it is not a git tree."""
    try:
        out = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
