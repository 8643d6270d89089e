"""Mean-field manifold capacity: neuroalign vs the reference replicaMFT, side by side.

Anchor: github.com/schung039/neural_manifolds_replicaMFT (``mftma``; Chung, Lee & Sompolinsky
2018; Cohen et al. 2020), which solves one cvxopt quadratic programme per (manifold, t) and
finds the centre low-rank structure with pymanopt. neuroalign solves all programmes at once
(batched interior point, torch) and the centre step with L-BFGS on an analytic gradient.
Everything on the reference side is the reference's own code, imported from a checkout.

Three parts, on the same synthetic manifolds (Gaussian clouds around correlated centres):

1. "anchor" (steps 4-5 only): both implementations get the *same* normalised manifolds and the
   *same* t vectors (the reference's ``each_manifold_analysis_D1``), so capacity, radius and
   dimension must agree to solver precision; the wall times compare the quadratic programmes.
2. "whole analysis" (``manifold_analysis_corr`` vs ``manifold_capacity``, every step, each with
   its own random t vectors and random starts) on the reference's case sizes; speed-ups.
3. "agreement over seeds": the whole analysis of both on ``--seeds`` independent draws of the
   50 x 20 x 200 case; paired ratios, a paired t-test and a Wilcoxon signed-rank test of
   "neuroalign's capacity / radius / dimension equal the reference's", and the Monte-Carlo
   spread of neuroalign's own capacity over t draws on fixed manifolds (the noise the ratios
   should show).

Both run single-threaded (BLAS and torch), so the comparison is algorithmic. The reference's
whole-analysis results are cached in ``--cache`` (a JSON file keyed by case, seed, n_t and the
reference commit; default in the temp folder) so that a rerun re-measures neuroalign only;
``--no-cache`` re-runs the reference too.

Usage (needs cvxopt, pymanopt==0.2.5 and autograd for the reference, see the ``bench`` extra)::

    git clone https://github.com/schung039/neural_manifolds_replicaMFT /tmp/replicaMFT
    python benchmarks/capacity_vs_replicamft.py --replicamft /tmp/replicaMFT
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

import neuroalign  # noqa: E402, F401
from neuroalign.geometry.capacity import (  # noqa: E402
    DEFAULT_N_T,
    anchor_analysis,
    manifold_capacity,
    prepare_manifolds,
)
from neuroalign.io import atomic_write  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import machine_header, ratio  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "capacity_vs_replicamft.md"

#: (P manifolds, m points, N dims, kappa): the reference's case sizes (issue 15), plus the
#: 100 x 20 x 200 case whose reference run used to be skipped.
CASES = [(50, 20, 200, 0.0), (100, 5, 400, 0.0), (100, 20, 200, 0.0)]


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


def _summary(capacity: np.ndarray, radius: np.ndarray, dimension: np.ndarray) -> dict:
    return {
        "capacity": float(1.0 / np.mean(1.0 / capacity)),
        "radius": float(np.mean(radius)),
        "dimension": float(np.mean(dimension)),
    }


class Reference:
    """The reference's whole analysis, with its results cached on disk."""

    def __init__(self, checkout: Path, cache: Path | None) -> None:
        sys.path.insert(0, str(checkout))
        from mftma import manifold_analysis_correlation as mftma

        self.mftma = mftma
        self.commit = _git_head(checkout)
        self.cache = cache
        self._store = json.loads(cache.read_text()) if cache and cache.exists() else {}

    def whole(self, P: int, m: int, N: int, kappa: float, n_t: int, seed: int) -> dict:
        key = f"{P}x{m}x{N}:kappa={kappa}:n_t={n_t}:seed={seed}:{self.commit}"
        if key not in self._store:
            mans = synthetic_manifolds(P, m, N, seed)
            np.random.seed(seed)  # noqa: NPY002 (the reference draws from numpy's global state)
            start = time.perf_counter()
            a, r, d, res0, K = self.mftma.manifold_analysis_corr([x.T for x in mans], kappa, n_t)
            row = _summary(np.asarray(a), np.asarray(r), np.asarray(d))
            row.update(seconds=time.perf_counter() - start, K=int(K), res_corr=float(res0))
            self._store[key] = row
            if self.cache is not None:
                with atomic_write(self.cache) as handle:
                    json.dump(self._store, handle, indent=1)
        return self._store[key]

    def anchor(self, normalised: list[np.ndarray], kappa: float, n_t: int, t_vecs) -> np.ndarray:
        rows = []
        for S, t in zip(normalised, t_vecs):
            sD1 = np.vstack([S.T, np.ones((1, S.shape[0]))])
            rows.append(self.mftma.each_manifold_analysis_D1(sD1, kappa, n_t, t_vec=t))
        return np.array(rows)


def _git_head(path: Path) -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(path), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def anchor_case(ref: Reference, P: int, m: int, N: int, kappa: float, n_t: int) -> dict:
    """Part 1: the anchor step on identical normalised manifolds and t vectors."""
    mans = synthetic_manifolds(P, m, N, 0)
    normalised, _, _, _ = prepare_manifolds(mans, center_correlation=False)
    rs = np.random.RandomState(0)
    t_vecs = [rs.randn(S.shape[1] + 1, n_t) for S in normalised]
    start = time.perf_counter()
    theirs = ref.anchor(normalised, kappa, n_t, t_vecs)
    t_ref = time.perf_counter() - start
    start = time.perf_counter()
    ours = anchor_analysis(normalised, kappa=kappa, n_t=n_t, t_vectors=t_vecs)
    t_ours = time.perf_counter() - start
    mine = np.c_[ours.capacity, ours.radius, ours.dimension]
    diff = float(np.max(np.abs(mine - theirs) / np.abs(theirs)))
    return {"P": P, "m": m, "N": N, "kappa": kappa, "t_ref": t_ref, "t_ours": t_ours, "diff": diff}


def ours_whole(P: int, m: int, N: int, kappa: float, n_t: int, seed: int) -> dict:
    mans = synthetic_manifolds(P, m, N, seed)
    start = time.perf_counter()
    res = manifold_capacity(mans, kappa=kappa, n_t=n_t, seed=seed)
    row = _summary(res.per_manifold["capacity"].to_numpy(), res.per_manifold["radius"].to_numpy(),
                   res.per_manifold["dimension"].to_numpy())  # fmt: skip
    row.update(seconds=time.perf_counter() - start, K=res.n_removed)
    return row


def seed_agreement(ref: Reference, n_seeds: int, n_t: int) -> tuple[list[str], dict]:
    """Part 3: paired whole-analysis ratios over seeds, with tests of ratio = 1."""
    from scipy import stats

    P, m, N, kappa = CASES[0]
    rows, lines = [], []
    for seed in range(n_seeds):
        theirs = ref.whole(P, m, N, kappa, n_t, seed)
        ours = ours_whole(P, m, N, kappa, n_t, seed)
        rows.append((theirs, ours))
        print(
            f"seed {seed:2d}: capacity ref {theirs['capacity']:.4f} ours {ours['capacity']:.4f} "
            f"(K {theirs['K']} / {ours['K']})",
            flush=True,
        )
    lines += [
        f"## Agreement over {n_seeds} seeds ({P} x {m} x {N}, kappa {kappa}, n_t = {n_t})",
        "",
        "Each seed draws new manifolds; each tool draws its own t vectors and random starts. "
        "Ratio = neuroalign / replicaMFT; the tests ask whether the mean log-ratio is 0.",
        "",
        "| quantity | mean ratio | 95 % CI of the mean | sd of ratios | paired t-test p | "
        "Wilcoxon p | neuroalign lower in |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    summary = {}
    for q in ("capacity", "radius", "dimension"):
        log_r = np.log([o[q] / t[q] for t, o in rows])
        mean, se = float(np.mean(log_r)), float(np.std(log_r, ddof=1) / np.sqrt(len(log_r)))
        half = stats.t.ppf(0.975, len(log_r) - 1) * se
        p_t = float(stats.ttest_1samp(log_r, 0.0).pvalue)
        p_w = float(stats.wilcoxon(log_r).pvalue)
        lower = int(np.sum(log_r < 0))
        summary[q] = {"mean_ratio": float(np.exp(mean)), "p_t": p_t, "p_w": p_w}
        lines.append(
            f"| {q} | {np.exp(mean):.4f} | [{np.exp(mean - half):.4f}, {np.exp(mean + half):.4f}] "
            f"| {np.std(np.exp(log_r), ddof=1):.4f} | {p_t:.2f} | {p_w:.2f} | "
            f"{lower} of {len(log_r)} |"
        )
    same_k = sum(t["K"] == o["K"] for t, o in rows)
    # Monte-Carlo spread of our own capacity over t draws on fixed (seed 0) manifolds
    normalised, _, _, _ = prepare_manifolds(synthetic_manifolds(P, m, N, 0))
    mc = [
        _summary(r.capacity, r.radius, r.dimension)["capacity"]
        for r in (anchor_analysis(normalised, kappa=kappa, n_t=n_t, seed=s) for s in range(10))
    ]
    mc_cv = float(np.std(mc, ddof=1) / np.mean(mc))
    lines += [
        "",
        f"K (shared centre directions removed) equal in {same_k} of {n_seeds} seeds. Monte-Carlo "
        f"noise: neuroalign's capacity over 10 t draws on the same manifolds has a coefficient "
        f"of variation of {100 * mc_cv:.2f} %, so the ratio of two independent runs has an sd "
        f"of about {100 * np.sqrt(2) * mc_cv:.2f} %.",
        "",
    ]
    summary["mc_cv"] = mc_cv
    return lines, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--replicamft",
        type=Path,
        default=os.environ.get("REPLICAMFT_PATH"),
        help="checkout of the reference (default: $REPLICAMFT_PATH)",
    )
    parser.add_argument("--n-t", type=int, default=DEFAULT_N_T)
    parser.add_argument("--seeds", type=int, default=20, help="seeds of the agreement test")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "neuroalign_replicamft_cache.json",
        help="JSON file caching the reference's whole-analysis results",
    )
    parser.add_argument("--no-cache", action="store_true")
    parser.add_argument("--quick", action="store_true", help="first case, 3 seeds")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.replicamft is None or not (Path(args.replicamft) / "mftma").is_dir():
        print(
            "capacity_vs_replicamft: skipped, the reference is not available; clone "
            "github.com/schung039/neural_manifolds_replicaMFT and pass --replicamft or set "
            "REPLICAMFT_PATH (needs cvxopt, pymanopt==0.2.5, autograd)"
        )
        return 0
    torch.set_num_threads(1)
    header = machine_header(
        "Manifold capacity: neuroalign vs replicaMFT",
        "python benchmarks/capacity_vs_replicamft.py --replicamft <checkout> "
        f"--n-t {args.n_t} --seeds {args.seeds}{' --quick' if args.quick else ''}",
        threads="1 (BLAS and torch, both tools)",
    )
    ref = Reference(Path(args.replicamft), None if args.no_cache else args.cache)
    cases = CASES[:1] if args.quick else CASES
    n_seeds = 3 if args.quick else args.seeds

    anchor_rows = []
    for P, m, N, kappa in cases:
        row = anchor_case(ref, P, m, N, kappa, args.n_t)
        anchor_rows.append(row)
        print(f"anchor {P}x{m}x{N}: ref {row['t_ref']:.1f} s, ours {row['t_ours']:.2f} s "
              f"({ratio(row['t_ref'], row['t_ours'])}), max rel diff {row['diff']:.1e}", flush=True)  # fmt: skip
    whole_rows = []
    for P, m, N, kappa in cases:
        theirs = ref.whole(P, m, N, kappa, args.n_t, 0)
        ours = ours_whole(P, m, N, kappa, args.n_t, 0)
        whole_rows.append((P, m, N, kappa, theirs, ours))
        print(f"whole {P}x{m}x{N}: ref {theirs['seconds']:.1f} s, ours {ours['seconds']:.2f} s "
              f"({ratio(theirs['seconds'], ours['seconds'])})", flush=True)  # fmt: skip
    seed_lines, _ = seed_agreement(ref, n_seeds, args.n_t)

    lines = [
        *header(),
        f"- reference: github.com/schung039/neural_manifolds_replicaMFT @ {ref.commit} "
        "(cvxopt, pymanopt 0.2.5, autograd), called through its own functions; its "
        "whole-analysis times come from the cache file when present (measured when first run, "
        "on this machine)",
        "- manifolds: Gaussian clouds (m points, N dims) around random centres with 2 shared "
        "directions (see `synthetic_manifolds`)",
        "",
        f"## Anchor step (same normalised manifolds, same t vectors, n_t = {args.n_t})",
        "",
        "| P | m | N | kappa | replicaMFT s | neuroalign s | speed-up | max rel. diff |",
        "| --- | --- | --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for r in anchor_rows:
        lines.append(
            f"| {r['P']} | {r['m']} | {r['N']} | {r['kappa']} | {r['t_ref']:.2f} | "
            f"{r['t_ours']:.2f} | {ratio(r['t_ref'], r['t_ours'])} | {r['diff']:.1e} |"
        )
    lines += [
        "",
        f"## Whole analysis, seed 0 (`manifold_analysis_corr` vs `manifold_capacity`, n_t = "
        f"{args.n_t})",
        "",
        "| P | m | N | kappa | capacity ref / ours | radius ref / ours | dimension ref / ours | "
        "K ref / ours | replicaMFT s | neuroalign s | speed-up |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | ---: | ---: | ---: |",
    ]
    for P, m, N, kappa, t, o in whole_rows:
        lines.append(
            f"| {P} | {m} | {N} | {kappa} | {t['capacity']:.4f} / {o['capacity']:.4f} | "
            f"{t['radius']:.4f} / {o['radius']:.4f} | {t['dimension']:.3f} / {o['dimension']:.3f} "
            f"| {t['K']} / {o['K']} | {t['seconds']:.1f} | {o['seconds']:.2f} | "
            f"{ratio(t['seconds'], o['seconds'])} |"
        )
    lines += ["", *seed_lines, NOTES]
    text = "\n".join(lines)
    with atomic_write(args.out) as handle:
        handle.write(text)
    print(text)
    print(f"wrote {args.out}")
    return 0


NOTES = """Notes:
- Each whole-analysis value carries Monte-Carlo error from its n_t Gaussian t vectors (see the
  coefficient of variation above); single-seed differences of a few per cent are that noise, the
  seed table is the test.
"""


if __name__ == "__main__":
    sys.exit(main())
