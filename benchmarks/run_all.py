"""Run every benchmark script in this folder, one after the other (CPU settings).

Each script compares neuroalign with an anchor tool in one run and writes its figures to
``benchmarks/results/<name>.md`` (with the machine load before and after), then
``summarize.py`` prints the README's speed table from those files. Pass names to run a subset:

    python benchmarks/run_all.py extract_vs_brainscore score_vs_brainscore
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    helpers = {Path(__file__).name, "summarize.py"}  # and _report.py (a shared module)
    scripts = sorted(p for p in HERE.glob("*.py") if p.name not in helpers and p.name[0] != "_")
    if argv:
        scripts = [p for p in scripts if p.stem in argv]
    failed = []
    for script in scripts:
        print(f"=== {script.stem}", flush=True)
        start = time.perf_counter()
        code = subprocess.call([sys.executable, str(script)])
        print(
            f"=== {script.stem}: exit {code} after {time.perf_counter() - start:.0f} s", flush=True
        )
        if code:
            failed.append(script.stem)
    if failed:
        print(f"failed: {failed}")
    subprocess.call([sys.executable, str(HERE / "summarize.py")])  # the README speed table
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
