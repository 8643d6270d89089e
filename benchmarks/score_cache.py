"""Cold vs warm `neuroalign score`: what the content-hashed activation cache saves.

Runs the same command twice in fresh processes, side by side in one run:

    neuroalign score --model resnet18 --benchmark V4 [--n-boot ...]

* cold: an empty activation cache (the data sets themselves are already decoded, as after
  `neuroalign data fetch`): every layer is extracted, scored, and written to the cache;
* warm: the same command again: the activations are read from the cache, only scored.

The activation cache lives in ``$NEUROALIGN_HOME/activations``; the script gives both runs a
temporary ``NEUROALIGN_HOME`` whose data folders link to a warm data home (default:
``.cache/test-home``, the tests' one) and whose ``activations`` folder starts empty. Wall-clock
times include the interpreter start and imports; the load average is recorded next to them.
Writes ``benchmarks/results/score_cache.md``.

Run:  .venv/bin/python benchmarks/score_cache.py [--data-home DIR] [--repeats 1]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results" / "score_cache.md"
COMMAND = ["score", "--model", "resnet18", "--benchmark", "V4"]
NOTES = "<!-- notes (kept when the script rewrites this file) -->"


def _run(home: Path, extra: list[str]) -> tuple[float, tuple[float, float], str]:
    env = dict(os.environ, NEUROALIGN_HOME=str(home), PYTHONPATH=str(REPO))
    env.setdefault("NEUROALIGN_MIRROR", str(REPO.parent / "shared" / "data"))
    env.setdefault("BS_INSTALL_DEPENDENCIES", "no")
    env.setdefault("RESULTCACHING_DISABLE", "1")
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "neuroalign", *COMMAND, *extra],
        env=env,
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"neuroalign score failed:\n{proc.stderr[-3000:]}")
    return elapsed, (load_before, os.getloadavg()[0]), proc.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-home", type=Path, default=REPO / ".cache" / "test-home")
    parser.add_argument("--repeats", type=int, default=1, help="cold/warm pairs")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("extra", nargs="*", help="more flags for `neuroalign score`")
    args = parser.parse_args(argv)

    rows = []
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory(prefix="score-cache-") as tmp:
            home = Path(tmp)
            for entry in args.data_home.iterdir():
                if entry.is_dir() and entry.name != "activations":
                    (home / entry.name).symlink_to(entry.resolve())
            cold, cold_load, out = _run(home, args.extra)
            size = sum(f.stat().st_size for f in (home / "activations").rglob("*") if f.is_file())
            warm, warm_load, out_warm = _run(home, args.extra)
            same = out.split("\n\n")[1] == out_warm.split("\n\n")[1]  # the printed table
            rows.append((cold, warm, cold_load, warm_load, size, same))
            print(
                f"cold {cold:.1f} s (load {cold_load[0]:.1f}->{cold_load[1]:.1f}), warm "
                f"{warm:.1f} s (load {warm_load[0]:.1f}->{warm_load[1]:.1f}), warm/cold "
                f"{warm / cold:.2f}, cache {size / 2**20:.0f} MiB, same table: {same}"
            )
    print(out)
    if not args.no_write:
        _write(args, rows, out)
    return 0


def _write(args, rows, out) -> None:
    import neuroalign

    lines = [
        "# `neuroalign score`: cold vs warm activation cache",
        "",
        f"- date: {datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds')}",
        f"- machine: {os.cpu_count()} CPU cores visible ({platform.processor() or 'CPU'}), no "
        "GPU, shared with other jobs (load averages below: absolute times are noisy, the "
        "ratio of a pair run back to back less so)",
        f"- command: `neuroalign {' '.join(COMMAND + list(args.extra))}` (resnet18 random init, "
        "5 layers, Cowley2023.V4-pls on session 210325: 640 images x 50 neurons, 1000 neuroid "
        "resamples for the interval), each run a fresh process (imports included)",
        f"- script: `python benchmarks/score_cache.py {' '.join(args.extra)}`; neuroalign "
        f"{neuroalign.__version__}",
        "",
        "| pair | cold s (load 1-min avg before -> after) | warm s (load) | warm / cold | "
        "cache size | same table |",
        "| ---: | ---: | ---: | ---: | ---: | :---: |",
    ]
    for i, (cold, warm, cl, wl, size, same) in enumerate(rows, 1):
        lines.append(
            f"| {i} | {cold:.1f} ({cl[0]:.1f} -> {cl[1]:.1f}) | {warm:.1f} ({wl[0]:.1f} -> "
            f"{wl[1]:.1f}) | {warm / cold:.2f} | {size / 2**20:.0f} MiB | {same} |"
        )
    lines += ["", "Output of the warm run:", "", "```", out.strip(), "```", ""]
    if RESULTS.is_file() and NOTES in RESULTS.read_text():  # keep the hand-written notes
        lines += [NOTES + RESULTS.read_text().split(NOTES, 1)[1].rstrip(), ""]
    from neuroalign.io import atomic_write

    with atomic_write(RESULTS) as handle:
        handle.write("\n".join(lines))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    raise SystemExit(main())
