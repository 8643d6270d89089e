"""Run every benchmark script in this folder, one after the other (CPU settings).

Each script compares neuroalign with an anchor tool in one run and writes its figures to
``benchmarks/results/<name>.md`` (with the machine load, and a speed summary table), then
``summarize.py`` prints the README's speed table from those files. Pass names to run a subset,
``--quick`` for small sizes that finish in a few minutes (a smoke test of every script; its
results files go to a temporary folder, ``_report.QUICK_RESULTS``, not to ``results/``):

    python benchmarks/run_all.py
    python benchmarks/run_all.py --quick
    python benchmarks/run_all.py extract_vs_brainscore score_vs_brainscore

Scripts whose anchor needs a checkout (``capacity_vs_replicamft``: ``REPLICAMFT_PATH``,
``clamp_reference``: ``CLAMP_REFERENCE_REPO``) say so and skip without it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _report import QUICK_RESULTS  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="scripts to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="small sizes: a few minutes in all")
    args = parser.parse_args(argv)
    helpers = {Path(__file__).name, "summarize.py"}  # and _report.py (a shared module)
    scripts = sorted(p for p in HERE.glob("*.py") if p.name not in helpers and p.name[0] != "_")
    if args.names:
        unknown = set(args.names) - {p.stem for p in scripts}
        if unknown:
            parser.error(
                f"unknown benchmark(s) {sorted(unknown)}; valid: {[p.stem for p in scripts]}"
            )
        scripts = [p for p in scripts if p.stem in args.names]
    failed = []
    for script in scripts:
        print(f"=== {script.stem}", flush=True)
        start = time.perf_counter()
        code = subprocess.call([sys.executable, str(script), *(["--quick"] if args.quick else [])])
        print(
            f"=== {script.stem}: exit {code} after {time.perf_counter() - start:.0f} s", flush=True
        )
        if code:
            failed.append(script.stem)
    if failed:
        print(f"failed: {failed}")
    folder = [str(QUICK_RESULTS)] if args.quick else []
    subprocess.call([sys.executable, str(HERE / "summarize.py"), *folder])  # the speed table
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
