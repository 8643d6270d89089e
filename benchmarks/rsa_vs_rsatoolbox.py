"""neuroalign.rsa vs rsatoolbox: same inputs, same numbers, how much faster.

Workloads: 92 stimuli (the size of the classic 92-object set, Kriegeskorte et al. 2008) and
1,000 stimuli, each x 10,000 features, for a model and for 3 "subjects"; correlation-distance
RDMs; Spearman comparison (model vs each subject); leave-one-subject-out noise ceiling; and
1,000 bootstrap resamples of stimuli.

Every rsatoolbox figure is a call of rsatoolbox's own public function with the full workload:
``calc_rdm``, ``compare``, ``boot_noise_ceiling`` and ``eval_bootstrap_pattern(model, data,
method='spearman', N=1000, boot_noise_ceil=False)`` (which also computes the noise ceiling once;
neuroalign's row is ``bootstrap_compare`` + ``noise_ceiling``). Agreement is checked on the same
resamples: rsatoolbox draws from numpy's global generator, so its draws are replayed from the
same seed and given to ``bootstrap_compare(indices=...)``, which must reproduce every resample's
score. "First call" times each tool's first RDM in a fresh process (after its imports).

Rank-based steps are bounded by sorting: an exact Spearman comparison ranks every RDM it
compares, and no code ranks a vector faster than numpy's SIMD ``argsort`` sorts it. The run
counts the sorts neuroalign's ``compare_rdms`` and ``noise_ceiling`` do, times one ``argsort``
of an RDM of that size, and prints the floor (sorts x one sort) next to both tools' times:
rsatoolbox's time over the floor is the highest speed-up any exact sort-based implementation
could reach on that step.

Run: ``python benchmarks/rsa_vs_rsatoolbox.py`` (writes ``benchmarks/results/rsa_vs_rsatoolbox.md``).
"""

from __future__ import annotations

import os

os.environ.setdefault("TQDM_DISABLE", "1")  # rsatoolbox's progress bar

import argparse
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from unittest import mock

import numpy as np
import torch

from neuroalign.io import atomic_write
from neuroalign.rsa import bootstrap_compare, compare_rdms, compute_rdm, noise_ceiling
from neuroalign.rsa.compare import PARALLEL_RANK_PAIRS

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import load, machine_header, ratio, results_path, speed_summary

RESULTS = Path(__file__).resolve().parent / "results" / "rsa_vs_rsatoolbox.md"

NOTES = """
Notes:
- neuroalign on the CPU: the Gram matrix by numpy's BLAS (`syrk`, half the flops of a general
  product), the correlation RDM from the raw Gram matrix and row sums (no centred copy) when
  every pattern's mean is small next to its spread; sorts by numpy's SIMD quicksort; the
  bootstrap turns a resample into pair weights `c_k c_l` (stimulus multiplicities) and ranks
  them by cumulative sums in each RDM's precomputed sort order, one resample at a time (its
  arrays stay in cache) on `torch.get_num_threads()` worker threads. rsatoolbox computes the RDM
  with `np.einsum` (no BLAS), ranks with `scipy.stats.rankdata` and copies every RDM per
  resample.
- By default the Spearman bootstrap keeps the rank arithmetic in float32 (exact below 2**23
  pairs, ~4,000 stimuli) and sums in float64; the agreement column is that default.
- The one-off Spearman comparison and noise ceiling are sorts and little else: the table under
  each size counts neuroalign's sorts and prices them at one numpy `argsort` each, timed the
  way neuroalign sorts (RDMs of 50,000 pairs or more one per thread; numpy releases the GIL
  while it sorts). The comparison ranks its 4 RDMs (4 sorts); the noise ceiling ranks each
  subject's RDM, each leave-one-out pool and the pool of all (2k + 1 sorts). Beyond its sorts,
  an exact rank needs one gather (the sorted values, to find ties) and one scatter (ranks back
  to pair order), both random-access passes; "neuroalign / floor" is what they and the
  correlation add. rsatoolbox's time over the floor is the most any sort-based ranking could
  gain with these threads, with nothing but the sorts. A
  packed-key alternative (value bits and index as one uint64 key for numpy's SIMD `np.sort`,
  near-collisions re-sorted) was exact but slower end to end than `argsort` on this CPU, so the
  floor stands.
- At 1,000 stimuli the Spearman comparison differs from rsatoolbox's by ~3e-12: rsatoolbox's
  value is the one off. Against the Pearson r of scipy's ranks in extended precision
  (`np.longdouble`), neuroalign's is within 4e-16 and rsatoolbox's 2.6e-12 (checked on RDMs
  built the same way from 300 features; `tests/rsa/test_compare.py` holds neuroalign to 2e-15
  at 1,000 stimuli).
"""

FIRST_CALL = {
    "rsatoolbox": (
        "from rsatoolbox.data import Dataset\nfrom rsatoolbox.rdm import calc_rdm\n"
        "f = lambda x: calc_rdm(Dataset(x), method='correlation')\n"
    ),
    "neuroalign": (
        "import neuroalign\nfrom neuroalign.rsa import compute_rdm\n"
        "f = lambda x: compute_rdm(x, condensed=True)\n"
    ),
}


def timed(fn, repeat: int = 1):
    """(result of the last call, seconds per call: the best of ``repeat`` rounds).

    A round is one call, or as many calls as fit in ~0.2 s when a call is faster than that
    (sub-millisecond steps are otherwise timer and scheduler noise on a shared machine).
    """
    start = time.perf_counter()
    out = fn()
    once = time.perf_counter() - start
    calls = max(1, min(1000, int(0.2 / max(once, 1e-6))))
    best = once if calls == 1 else float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(calls):
            out = fn()
        best = min(best, (time.perf_counter() - start) / calls)
    return out, best


def first_call(tool: str, n: int, c: int, threads: int) -> float:
    """Seconds of the first RDM call in a fresh process (imports done before the clock)."""
    code = (
        f"import time, numpy as np, torch\ntorch.set_num_threads({threads})\n"
        f"{FIRST_CALL[tool]}x = np.random.default_rng(0).normal(size=({n}, {c}))\n"
        "t = time.perf_counter(); f(x); print(time.perf_counter() - t)\n"
    )
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    return float(out.stdout.strip().splitlines()[-1])


def count_sorts(fn) -> int:
    """How many times ``fn()`` calls ``np.argsort`` (neuroalign's only way to rank)."""
    with mock.patch.object(np, "argsort", wraps=np.argsort) as spy:
        fn()
    return spy.call_count


def sort_floor(vectors: np.ndarray, repeat: int, threads: int) -> float:
    """Seconds per vector of numpy ``argsort`` over the rows of ``vectors``, run as neuroalign
    runs its sorts: one row per thread on ``threads`` threads (best of ``repeat`` rounds)."""
    if threads == 1:
        _, seconds = timed(lambda: [np.argsort(v) for v in vectors], repeat)
    else:
        with ThreadPoolExecutor(threads) as pool:
            _, seconds = timed(lambda: list(pool.map(np.argsort, vectors)), repeat)
    return seconds / len(vectors)


#: One row of the sort-bound table: step, sorts, one sort (s), threads neuroalign ranks on,
#: rsatoolbox (s), neuroalign (s).
Bound = tuple[str, int, float, int, float, float]


def workload(n: int, c: int, n_subjects: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 50))
    model_x = latent @ rng.normal(size=(50, c)) + 4.0 * rng.normal(size=(n, c))
    subject_x = [
        latent @ rng.normal(size=(50, c)) + 4.0 * rng.normal(size=(n, c)) for _ in range(n_subjects)
    ]
    return model_x, subject_x


def run_size(
    n: int, args: argparse.Namespace
) -> tuple[list[tuple[str, float, float, str, str]], list[Bound]]:
    from rsatoolbox.data import Dataset
    from rsatoolbox.inference import boot_noise_ceiling, eval_bootstrap_pattern
    from rsatoolbox.model import ModelFixed
    from rsatoolbox.rdm import RDMs, calc_rdm, compare

    c, repeat = args.n_features, 15 if n < 500 else 2
    model_x, subject_x = workload(n, c, args.n_subjects)
    rows: list[tuple[str, float, float, str, str]] = []
    bounds: list[Bound] = []
    before = load()

    def add(name: str, t_ref: float, t_our: float, note: str) -> None:
        nonlocal before
        rows.append((name, t_ref, t_our, note, f"{before} -> {load()}"))
        before = load()

    t_ref = first_call("rsatoolbox", n, c, args.threads)
    t_our = first_call("neuroalign", n, c, args.threads)
    add("correlation RDM, first call in a fresh process", t_ref, t_our, "")

    ref_rdm, t_ref = timed(lambda: calc_rdm(Dataset(model_x), method="correlation"), repeat)
    our_rdm, t_our = timed(lambda: compute_rdm(model_x, condensed=True), repeat)
    err = float(np.abs(ref_rdm.get_vectors()[0] - our_rdm).max())
    add("correlation RDM", t_ref, t_our, f"max abs diff {err:.1e}")

    subject_rdms = np.stack([compute_rdm(x, condensed=True) for x in subject_x])
    ref_subjects, ref_model = RDMs(subject_rdms), RDMs(our_rdm[None])
    ref_sim, t_ref = timed(lambda: compare(ref_model, ref_subjects, "spearman"), repeat)
    our_sim, t_our = timed(lambda: compare_rdms(our_rdm, subject_rdms, "spearman"), repeat)
    err = float(np.abs(ref_sim - our_sim).max())
    name = f"Spearman, model vs {args.n_subjects} subject RDMs"
    add(name, t_ref, t_our, f"max diff {err:.1e} (mean {our_sim.mean():.4f})")
    threads = args.threads if our_rdm.size >= PARALLEL_RANK_PAIRS else 1
    one_sort = sort_floor(np.vstack([our_rdm[None], subject_rdms]), repeat, threads)
    sorts = count_sorts(lambda: compare_rdms(our_rdm, subject_rdms, "spearman"))
    bounds.append((name, sorts, one_sort, threads, t_ref, t_our))

    ref_nc, t_ref = timed(lambda: boot_noise_ceiling(ref_subjects, method="spearman"), repeat)
    our_nc, t_our = timed(lambda: noise_ceiling(subject_rdms, "spearman"), repeat)
    err = max(abs(ref_nc[0] - our_nc.lower), abs(ref_nc[1] - our_nc.upper))
    name = "noise ceiling (leave one subject out)"
    add(name, t_ref, t_our, f"max diff {err:.1e}")
    sorts = count_sorts(lambda: noise_ceiling(subject_rdms, "spearman"))
    bounds.append((name, sorts, one_sort, threads, t_ref, t_our))

    B = args.n_bootstrap
    model = ModelFixed("model", ref_model)
    np.random.seed(0)  # noqa: NPY002  (rsatoolbox draws from numpy's global generator)
    start = time.perf_counter()
    ref_boot = eval_bootstrap_pattern(model, ref_subjects, method="spearman", N=B,
                                      boot_noise_ceil=False)  # fmt: skip
    t_ref = time.perf_counter() - start
    np.random.seed(0)  # noqa: NPY002  (replay rsatoolbox's draws: one randint per resample)
    drawn = np.stack([np.random.randint(0, n, size=n) for _ in range(B)])  # noqa: NPY002
    start = time.perf_counter()
    ours = bootstrap_compare(our_rdm, subject_rdms, "spearman", indices=drawn)
    noise_ceiling(subject_rdms, "spearman")
    t_our = time.perf_counter() - start
    ref_scores = np.asarray(ref_boot.evaluations).reshape(B, -1)[:, 0]
    err = float(np.nanmax(np.abs(ours.samples[:, 0] - ref_scores)))
    add(
        f"bootstrap over stimuli, {B} resamples (+ noise ceiling)",
        t_ref,
        t_our,
        f"same resamples: max diff {err:.1e}; SE {ours.std[0]:.4f}",
    )
    return rows, bounds


def bound_table(bounds: list[Bound]) -> list[str]:
    """The sort-bound table of one size (see the module docstring)."""
    lines = [
        "",
        "What bounds the rank-based steps (sorts counted in neuroalign's own call; one sort: "
        "numpy `argsort` of one RDM, timed as neuroalign sorts, one RDM per thread; the floor "
        "is the sorts alone):",
        "",
        "| step | sorts | threads | one sort (ms) | floor (ms) | neuroalign / floor | "
        "rsatoolbox / floor (the highest possible speed-up) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, sorts, one_sort, threads, t_ref, t_our in bounds:
        floor = sorts * one_sort
        lines.append(
            f"| {name} | {sorts} | {threads} | {one_sort * 1e3:.2f} | {floor * 1e3:.2f} | "
            f"{t_our / floor:.2f} | {t_ref / floor:.1f}x |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="92,1000", help="numbers of stimuli")
    parser.add_argument("--n-features", type=int, default=10000)
    parser.add_argument("--n-subjects", type=int, default=3)
    parser.add_argument("--n-bootstrap", type=int, default=1000)
    parser.add_argument(
        "--threads", type=int, default=2, help="CPU threads for both tools (torch and BLAS)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="92 and 300 stimuli, 2,000 features, 50 resamples"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.n_features, args.n_bootstrap = "92,300", 2000, 50
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(args.threads)
    with threadpool_limits(limits=args.threads):
        return run(args)


def run(args: argparse.Namespace) -> int:
    header = machine_header(
        "neuroalign.rsa vs rsatoolbox",
        f"python benchmarks/rsa_vs_rsatoolbox.py --sizes {args.sizes} --n-features "
        f"{args.n_features} --n-bootstrap {args.n_bootstrap} --threads {args.threads}",
        threads=f"{args.threads} per tool (torch and BLAS; rsatoolbox's loops are single-threaded)",
    )
    sections, summary = [], []
    for n in (int(s) for s in args.sizes.split(",")):
        rows, bounds = run_size(n, args)
        table = [
            f"## {n} stimuli x {args.n_features} features",
            "",
            "| step | rsatoolbox (s) | neuroalign (s) | speed-up | agreement | load |",
            "| --- | ---: | ---: | ---: | --- | --- |",
        ]
        for name, t_r, t_o, note, machine_load in rows:
            table.append(
                f"| {name} | {t_r:.4f} | {t_o:.4f} | {ratio(t_r, t_o)} | {note} | {machine_load} |"
            )
            summary.append((f"RSA: {name}", "rsatoolbox", f"{n} stimuli x {args.n_features} "
                            "features", t_r, t_o, machine_load))  # fmt: skip
        table += bound_table(bounds)
        sections.append("\n".join(table))
        print(sections[-1], flush=True)
    lines = [
        *header(),
        f"- versions: rsatoolbox {_rsatoolbox_version()}",
        f"- workload: {args.n_subjects} subject RDMs, Spearman, {args.n_bootstrap} bootstrap "
        "resamples of stimuli; the one-off steps: best of 15 rounds (fewer than 500 stimuli) or 2, "
        "a round being as many calls as fit in 0.2 s (time per call); the bootstrap: one call",
        "",
    ]
    text = "\n".join(lines) + "\n" + "\n\n".join(sections) + "\n" + NOTES + "\n"
    text += "\n".join(speed_summary(summary))
    out = results_path(args.out, RESULTS, args.quick)
    with atomic_write(out) as handle:
        handle.write(text)
    print(f"wrote {out}")
    return 0


def _rsatoolbox_version() -> str:
    from importlib.metadata import version

    return version("rsatoolbox")


if __name__ == "__main__":
    sys.exit(main())
