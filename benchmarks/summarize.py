"""Print the README's speed table from the benchmark results files (``benchmarks/results``).

Every results file ends its figures with a ``## Speed summary`` table (written by
``_report.speed_summary``: analysis, anchor tool, sizes, both times, speed-up and the machine
load while they ran); this script collects those rows into one table, one line per figure,
and lists each file's date and status underneath. Files from older runs without a summary
table are listed as such. Run after ``python benchmarks/run_all.py`` and paste the output
into the README (``python benchmarks/summarize.py <folder>`` reads another folder, e.g. the
one ``run_all.py --quick`` writes to).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import SUMMARY_TITLE

RESULTS = Path(__file__).resolve().parent / "results"


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def summary_rows(text: str) -> list[dict[str, str]]:
    """The rows of a results file's speed summary table, as dicts keyed by its header."""
    lines = text.splitlines()
    if SUMMARY_TITLE not in lines:
        return []
    table = []
    for line in lines[lines.index(SUMMARY_TITLE) + 1 :]:
        if line.startswith("|"):
            table.append(_cells(line))
        elif table:
            break
    header, body = table[0], [r for r in table[1:] if not set("".join(r)) <= set("-: ")]
    return [dict(zip(header, row)) for row in body]


def field(text: str, name: str) -> str:
    """A header field (``- name: value``) of a results file, ``?`` if absent."""
    for line in text.splitlines():
        if line.startswith(f"- {name}:"):
            return line.split(":", 1)[1].strip()
    return "?"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    folder = Path(argv[0]) if argv else RESULTS
    lines = [
        "| analysis | anchor | sizes | speed-up | machine load (1/5/15 min) |",
        "| --- | --- | --- | ---: | --- |",
    ]
    notes = []
    for path in sorted(folder.glob("*.md")):
        text = path.read_text()
        rows = summary_rows(text)
        for r in rows:
            lines.append(
                f"| {r['analysis']} | {r['anchor']} | {r['sizes']} | {r['speed-up']} | "
                f"{r['load (1/5/15 min)']} |"
            )
        status = "provisional" if "provisional" in field(text, "status") else "final"
        note = f"- {path.name}: {field(text, 'date')}, {status}"
        notes.append(note if rows else f"{note}; no speed summary (rerun the script)")
    print("\n".join(lines))
    print(f"\nFrom {folder} (commands, devices, agreement checks in each file):")
    print("\n".join(notes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
