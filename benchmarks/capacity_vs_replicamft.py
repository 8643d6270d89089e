"""Mean-field manifold capacity: neuroalign vs the reference replicaMFT, side by side.

Anchor: github.com/schung039/neural_manifolds_replicaMFT (``mftma``; Chung, Lee & Sompolinsky
2018; Cohen et al. 2020), which solves one cvxopt quadratic programme per (manifold, t) and
finds the centre low-rank structure with pymanopt. neuroalign solves all programmes at once
(batched interior point, torch) and the centre step with L-BFGS on an analytic gradient.

Two comparisons on the same synthetic manifolds (Gaussian clouds around correlated centres):

1. "anchor" (steps 4-5 only): both implementations get the *same* normalised manifolds and the
   *same* t vectors, so capacity, radius and dimension must agree to solver precision; the
   wall times compare the per-manifold quadratic programmes.
2. "full" (``manifold_analysis_corr`` vs ``manifold_capacity``, every step, independent
   random t vectors and random starts): values agree within Monte-Carlo error.

Both run single-threaded (BLAS and torch) so the comparison is algorithmic.

Usage (needs cvxopt, pymanopt==0.2.5 and autograd for the reference)::

    git clone https://github.com/schung039/neural_manifolds_replicaMFT /tmp/replicaMFT
    python benchmarks/capacity_vs_replicamft.py --replicamft /tmp/replicaMFT
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import datetime  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

import neuroalign  # noqa: E402
from neuroalign.geometry.capacity import (  # noqa: E402
    anchor_analysis,
    manifold_capacity,
    prepare_manifolds,
)
from neuroalign.io import atomic_write  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "capacity_vs_replicamft.md"


def synthetic_manifolds(P: int, m: int, N: int, seed: int) -> list[np.ndarray]:
    """P clouds of m points in N dims: random centres sharing 2 common directions, plus
    anisotropic Gaussian spread of rank min(m, N) (points as rows)."""
    rng = np.random.default_rng(seed)
    shared = rng.standard_normal((2, N))
    out = []
    for _ in range(P):
        centre = rng.standard_normal(N) + rng.standard_normal(2) @ shared
        axes = rng.standard_normal((N, N)) / np.sqrt(N) * np.linspace(1.0, 0.1, N)
        out.append(centre + 0.6 * rng.standard_normal((m, N)) @ axes.T)
    return out


def run_case(
    mftma, P: int, m: int, N: int, n_t: int, kappa: float, seed: int, full_reference: bool
) -> dict:
    mans = synthetic_manifolds(P, m, N, seed)
    row: dict = {"P": P, "m": m, "N": N, "n_t": n_t, "kappa": kappa}

    # 1. anchor step on identical inputs
    normalised, _, _, _ = prepare_manifolds(mans, center_correlation=False)
    rs = np.random.RandomState(seed)
    t_vecs = [rs.randn(S.shape[1] + 1, n_t) for S in normalised]
    t0 = time.perf_counter()
    ref = np.array(
        [
            mftma.each_manifold_analysis_D1(
                np.vstack([S.T, np.ones((1, S.shape[0]))]), kappa, n_t, t_vec=t
            )
            for S, t in zip(normalised, t_vecs)
        ]
    )
    row["anchor_ref_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    ours = anchor_analysis(normalised, kappa=kappa, n_t=n_t, t_vectors=t_vecs)
    row["anchor_ours_s"] = time.perf_counter() - t0
    mine = np.c_[ours.capacity, ours.radius, ours.dimension]
    row["anchor_max_rel_diff"] = float(np.max(np.abs(mine - ref) / np.abs(ref)))

    # 2. the whole pipeline, each with its own randomness
    if full_reference:
        np.random.seed(seed)  # noqa: NPY002 (the reference draws from numpy's global state)
        t0 = time.perf_counter()
        a, r, d, res0, K = mftma.manifold_analysis_corr([x.T for x in mans], kappa, n_t)
        row["full_ref_s"] = time.perf_counter() - t0
        row.update(
            ref_capacity=1.0 / np.mean(1.0 / a),
            ref_radius=np.mean(r),
            ref_dimension=np.mean(d),
            ref_K=int(K),
            ref_res_corr=float(res0),
        )
    else:  # the reference's pymanopt search alone takes many minutes here
        row.update(
            full_ref_s=np.nan,
            ref_capacity=np.nan,
            ref_radius=np.nan,
            ref_dimension=np.nan,
            ref_K=-1,
            ref_res_corr=np.nan,
        )
    t0 = time.perf_counter()
    res = manifold_capacity(mans, kappa=kappa, n_t=n_t, seed=seed)
    row["full_ours_s"] = time.perf_counter() - t0
    row.update(
        capacity=res.capacity,
        radius=res.radius,
        dimension=res.dimension,
        K=res.n_removed,
        res_corr=res.residual_correlation,
    )
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--replicamft",
        type=Path,
        default=os.environ.get("REPLICAMFT_PATH"),
        help="checkout of the reference (default: $REPLICAMFT_PATH)",
    )
    parser.add_argument("--n-t", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="only the smallest case")
    args = parser.parse_args(argv)
    if args.replicamft is None or not (Path(args.replicamft) / "mftma").is_dir():
        print(
            "capacity_vs_replicamft: skipped, the reference is not available; clone "
            "github.com/schung039/neural_manifolds_replicaMFT and pass --replicamft or set "
            "REPLICAMFT_PATH (needs cvxopt, pymanopt==0.2.5, autograd)"
        )
        return 0
    sys.path.insert(0, str(args.replicamft))
    from mftma import manifold_analysis_correlation as mftma

    # (P, m, N, kappa, run the reference's whole analysis too)
    cases = [
        (10, 20, 100, 0.0, True),
        (20, 40, 200, 0.5, True),
        (50, 20, 200, 0.0, True),
        (100, 20, 200, 0.0, False),
    ]
    if args.quick:
        cases = cases[:1]
    rows = []
    for P, m, N, kappa, full in cases:
        row = run_case(mftma, P, m, N, args.n_t, kappa, seed=0, full_reference=full)
        rows.append(row)
        write_results(rows, args)  # after every case, so a long run keeps what it measured
        print(
            f"P={P:3d} m={m} N={N} kappa={kappa}: anchor step ref {row['anchor_ref_s']:.1f}s "
            f"ours {row['anchor_ours_s']:.2f}s (x{row['anchor_ref_s'] / row['anchor_ours_s']:.0f}), "
            f"max rel diff {row['anchor_max_rel_diff']:.1e}; full ref {row['full_ref_s']:.1f}s "
            f"ours {row['full_ours_s']:.1f}s; capacity {row['ref_capacity']:.4f} vs "
            f"{row['capacity']:.4f}, radius {row['ref_radius']:.4f} vs {row['radius']:.4f}, "
            f"dimension {row['ref_dimension']:.3f} vs {row['dimension']:.3f}",
            flush=True,
        )
    return 0


def write_results(rows: list[dict], args: argparse.Namespace) -> None:
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Manifold capacity: neuroalign vs replicaMFT",
        "",
        f"- date: {now}",
        f"- device: CPU ({platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        "single-threaded BLAS and torch for both); shared machine, other jobs running",
        f"- command: `python benchmarks/capacity_vs_replicamft.py --replicamft <checkout> "
        f"--n-t {args.n_t}{' --quick' if args.quick else ''}`",
        "- reference: github.com/schung039/neural_manifolds_replicaMFT @ d56eda1 "
        "(cvxopt 1.3.3, pymanopt 0.2.5, autograd 1.9.1); "
        f"ours: neuroalign {neuroalign.__version__}, torch {torch.__version__}",
        "- manifolds: Gaussian clouds (m points, N dims) around random centres with 2 shared "
        "directions (see `synthetic_manifolds`)",
        "",
        "## Anchor step (same normalised manifolds, same t vectors)",
        "",
        "| P | m | N | kappa | replicaMFT s | neuroalign s | speed-up | max rel. diff (capacity, radius, dimension) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r['P']} | {r['m']} | {r['N']} | {r['kappa']} | {r['anchor_ref_s']:.2f} | "
            f"{r['anchor_ours_s']:.2f} | {r['anchor_ref_s'] / r['anchor_ours_s']:.1f}x | "
            f"{r['anchor_max_rel_diff']:.1e} |"
        )
    lines += [
        "",
        "## Whole analysis (`manifold_analysis_corr` vs `manifold_capacity`, independent "
        f"random draws, n_t = {args.n_t})",
        "",
        "| P | m | N | kappa | capacity ref / ours (ratio) | radius ref / ours (ratio) | "
        "dimension ref / ours (ratio) | K ref / ours | replicaMFT s | neuroalign s | speed-up |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r['P']} | {r['m']} | {r['N']} | {r['kappa']} | "
            f"{r['ref_capacity']:.4f} / {r['capacity']:.4f} ({r['capacity'] / r['ref_capacity']:.3f}) | "
            f"{r['ref_radius']:.4f} / {r['radius']:.4f} ({r['radius'] / r['ref_radius']:.3f}) | "
            f"{r['ref_dimension']:.3f} / {r['dimension']:.3f} ({r['dimension'] / r['ref_dimension']:.3f}) | "
            f"{r['ref_K']} / {r['K']} | {r['full_ref_s']:.1f} | {r['full_ours_s']:.1f} | "
            f"{r['full_ref_s'] / r['full_ours_s']:.1f}x |"
        )
    lines += [
        "",
        "Rows with `nan` for the reference: its whole analysis was not run (its pymanopt "
        "centre search alone takes many minutes at that size); the anchor-step table has it.",
        "",
        "Differences in the whole analysis come from independent Gaussian t vectors (Monte-Carlo "
        "error about 1/sqrt(n_t) per manifold) and from the random starts of the centre "
        "low-rank search (K may differ by one when two ranks give nearly equal residual "
        "correlation).",
        "",
    ]
    with atomic_write(RESULTS) as handle:
        handle.write("\n".join(lines))
    print(f"wrote {RESULTS}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
