"""Print the README's speed table from the benchmark results files (``benchmarks/results``).

Every row of every table in a results file whose header has a ``speed-up`` column becomes one
line: the file, the row's first cell, and the speed-up(s); the header of each file (date,
machine load, status) is quoted so the figures can be judged. Run after
``python benchmarks/run_all.py`` on a quiet machine and paste the output into the README.
"""

from __future__ import annotations

import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def speed_rows(text: str) -> list[tuple[str, str]]:
    """(row label, speed-ups) of every table row under a header with a speed-up column."""
    rows, header, section = [], None, ""
    for line in text.splitlines():
        if line.startswith("#"):
            section = line.lstrip("#").strip()
        if not line.startswith("|"):
            header = None
            continue
        cells = _cells(line)
        if header is None:
            header = cells
            continue
        if set("".join(cells)) <= set("-: "):
            continue
        speed = [i for i, h in enumerate(header) if "speed-up" in h.lower()]
        if speed:
            label = " x ".join(cells[:3]) if header[0] == "P" else cells[0]  # P x m x N
            values = ", ".join(f"{cells[i]}" + (f" ({header[i]})" if len(speed) > 1 else "")
                               for i in speed)  # fmt: skip
            rows.append((f"{section}: {label}" if section else label, values))
    return rows


def field(text: str, name: str) -> str:
    for line in text.splitlines():
        if line.startswith(f"- {name}:"):
            return line.split(":", 1)[1].strip()
    return "?"


def main() -> int:
    lines = ["| benchmark | case | speed-up |", "| --- | --- | ---: |"]
    notes = []
    for path in sorted(RESULTS.glob("*.md")):
        text = path.read_text()
        for label, value in speed_rows(text):
            lines.append(f"| {path.stem} | {label} | {value} |")
        notes.append(
            f"- {path.stem}: {field(text, 'date')}; load {field(text, 'machine load (1/5/15 min)')}"
        )
    print("\n".join(lines))
    print("\nMeasured (see benchmarks/results/ for commands, devices and agreement):")
    print("\n".join(notes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
