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
   its own random t vectors and random starts) on the reference's case sizes; speed-ups (the
   reference re-run right before neuroalign for seed 0 of the first two cases, unless
   ``--cached-times``).
3. "agreement over seeds", stage by stage, on ``--seeds`` draws of the 50 x 20 x 200 case:
   the reference's own step-2 frame and t vectors (recorded from its run, see
   :class:`Reference`) through neuroalign's other steps; neuroalign's whole analysis with the
   reference's t vectors (paired ratios, t-test and Wilcoxon test of ratio 1, K equal or
   not); each tool with its own t vectors; how often neuroalign's own K changes with its
   random starts; the Monte-Carlo spread of one capacity.

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
import contextlib  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from neuroalign.geometry.capacity import (  # noqa: E402
    DEFAULT_N_T,
    anchor_analysis,
    manifold_capacity,
    prepare_manifolds,
)
from neuroalign.io import atomic_write  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import (  # noqa: E402
    git_commit,
    load,
    machine_header,
    ratio,
    results_path,
    speed_summary,
)

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


class _Stop(Exception):
    """Raised by the recording wrapper to end the reference's analysis after its step 2."""


class Reference:
    """The reference's whole analysis, with its results cached on disk.

    Besides capacity, radius, dimension, K and the time, each run records what the reference's
    own step 2 (``fun_FA``) returned and the state of numpy's global generator right after it:
    the reference draws its t vectors from that state, so :meth:`t_vectors` replays them exactly
    and neuroalign can be run on the very same t vectors (``manifold_capacity(t_vectors=...)``).
    The recording is a wrapper that calls the reference's ``fun_FA`` unchanged.
    """

    def __init__(self, checkout: Path, cache: Path | None) -> None:
        sys.path.insert(0, str(checkout))
        from mftma import manifold_analysis_correlation as mftma

        self.mftma = mftma
        self.commit = git_commit(checkout)
        self.cache = cache
        self._store = json.loads(cache.read_text()) if cache and cache.exists() else {}

    def _key(self, P: int, m: int, N: int, kappa: float, n_t: int, seed: int) -> str:
        return f"{P}x{m}x{N}:kappa={kappa}:n_t={n_t}:seed={seed}:{self.commit}"

    def _save(self) -> None:
        if self.cache is None:
            return
        merged = json.loads(self.cache.read_text()) if self.cache.exists() else {}
        merged.update(self._store)  # other processes may have added runs meanwhile
        self._store = merged
        with atomic_write(self.cache) as handle:
            json.dump(self._store, handle, indent=1)

    @contextlib.contextmanager
    def _recording_step2(self, record: dict, stop: bool) -> Iterator[None]:
        original = self.mftma.fun_FA

        def recorded(*args, **kwargs):
            out = original(*args, **kwargs)
            proj, frames, res_coeff = out[2], out[3], out[4]
            k = int(np.argmin(res_coeff)) + 1  # the reference's choice of K
            state = np.random.get_state()  # noqa: NPY002 (the reference's global generator)
            record.update(
                ranks_tried=len(res_coeff),
                basis=(proj @ frames[k - 1]).tolist(),
                rng_state=[state[0], state[1].tolist(), *state[2:]],
            )
            if stop:
                raise _Stop
            return out

        self.mftma.fun_FA = recorded
        try:
            yield
        finally:
            self.mftma.fun_FA = original

    def whole(self, P: int, m: int, N: int, kappa: float, n_t: int, seed: int) -> dict:
        """The reference's ``manifold_analysis_corr`` on case (P, m, N) drawn with ``seed``."""
        key = self._key(P, m, N, kappa, n_t, seed)
        if key not in self._store:
            mans = synthetic_manifolds(P, m, N, seed)
            record: dict = {}
            np.random.seed(seed)  # noqa: NPY002 (the reference draws from numpy's global state)
            load_before = load()
            start = time.perf_counter()
            with self._recording_step2(record, stop=False):
                a, r, d, res0, K = self.mftma.manifold_analysis_corr(
                    [x.T for x in mans], kappa, n_t
                )
            row = _summary(np.asarray(a), np.asarray(r), np.asarray(d))
            row.update(seconds=time.perf_counter() - start, K=int(K), res_corr=float(res0))
            row.update(load=f"{load_before} -> {load()}", **record)
            self._store[key] = row
            self._save()
        return self._store[key]

    def step2(self, P: int, m: int, N: int, kappa: float, n_t: int, seed: int) -> dict:
        """The reference's step-2 record of a cached run (re-run up to step 2 if missing).

        ``fun_FA`` is deterministic given numpy's global seed, so re-running the reference's
        ``manifold_analysis_corr`` under the same seed and stopping after ``fun_FA`` gives the
        frame and generator state of the cached whole run.
        """
        row = self.whole(P, m, N, kappa, n_t, seed)
        if "rng_state" not in row:
            record: dict = {}
            np.random.seed(seed)  # noqa: NPY002
            with self._recording_step2(record, stop=True), contextlib.suppress(_Stop):
                self.mftma.manifold_analysis_corr(
                    [x.T for x in synthetic_manifolds(P, m, N, seed)], kappa, n_t
                )
            row.update(record)
            self._save()
        return row

    @staticmethod
    def t_vectors(row: dict, dims: Sequence[int], n_t: int) -> list[np.ndarray]:
        """The reference's own t vectors of a recorded run: (D_i + 1, n_t) per manifold."""
        name, keys, *rest = row["rng_state"]
        rs = np.random.RandomState()
        rs.set_state((name, np.asarray(keys, dtype=np.uint32), *rest))
        return [rs.randn(d + 1, n_t) for d in dims]

    def anchor(self, normalised: list[np.ndarray], kappa: float, n_t: int, t_vecs) -> np.ndarray:
        rows = []
        for S, t in zip(normalised, t_vecs):
            sD1 = np.vstack([S.T, np.ones((1, S.shape[0]))])
            rows.append(self.mftma.each_manifold_analysis_D1(sD1, kappa, n_t, t_vec=t))
        return np.array(rows)


def anchor_case(ref: Reference, P: int, m: int, N: int, kappa: float, n_t: int) -> dict:
    """Part 1: the anchor step on identical normalised manifolds and t vectors."""
    mans = synthetic_manifolds(P, m, N, 0)
    normalised, _, _, _ = prepare_manifolds(mans, center_correlation=False)
    rs = np.random.RandomState(0)
    t_vecs = [rs.randn(S.shape[1] + 1, n_t) for S in normalised]
    before = load()
    start = time.perf_counter()
    theirs = ref.anchor(normalised, kappa, n_t, t_vecs)
    t_ref = time.perf_counter() - start
    start = time.perf_counter()
    ours = anchor_analysis(normalised, kappa=kappa, n_t=n_t, t_vectors=t_vecs)
    t_ours = time.perf_counter() - start
    mine = np.c_[ours.capacity, ours.radius, ours.dimension]
    diff = float(np.max(np.abs(mine - theirs) / np.abs(theirs)))
    return {"P": P, "m": m, "N": N, "kappa": kappa, "t_ref": t_ref, "t_ours": t_ours, "diff": diff,
            "load": f"{before} -> {load()}"}  # fmt: skip


def ours_whole(P: int, m: int, N: int, kappa: float, n_t: int, seed: int, t_vectors=None) -> dict:
    """neuroalign's whole analysis (its own t vectors unless ``t_vectors`` are given)."""
    mans = synthetic_manifolds(P, m, N, seed)
    start = time.perf_counter()
    res = manifold_capacity(mans, kappa=kappa, n_t=n_t, seed=seed, t_vectors=t_vectors)
    row = _summary(res.per_manifold["capacity"].to_numpy(), res.per_manifold["radius"].to_numpy(),
                   res.per_manifold["dimension"].to_numpy())  # fmt: skip
    row.update(seconds=time.perf_counter() - start, K=res.n_removed)
    return row


def reference_stage(row: dict, P: int, m: int, N: int, kappa: float, n_t: int, seed: int) -> dict:
    """The reference's own step-2 basis and t vectors through neuroalign's steps 1, 3-6."""
    mans = synthetic_manifolds(P, m, N, seed)
    origin = np.concatenate(mans).mean(axis=0)
    basis = np.asarray(row["basis"])
    projected = [(x - origin) - ((x - origin) @ basis) @ basis.T for x in mans]
    normalised, _, _, _ = prepare_manifolds(projected, center_correlation=False)
    t_vecs = Reference.t_vectors(row, [S.shape[1] for S in normalised], n_t)
    res = anchor_analysis(normalised, kappa=kappa, n_t=n_t, t_vectors=t_vecs)
    return _summary(res.capacity, res.radius, res.dimension)


def _ratio_table(rows: list[tuple[dict, dict]]) -> tuple[list[str], dict]:
    """Paired ratios ours / reference of capacity, radius, dimension with tests of ratio 1."""
    from scipy import stats

    lines = [
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
        p_w = float(stats.wilcoxon(log_r).pvalue) if np.any(log_r != 0) else 1.0
        summary[q] = {"mean_ratio": float(np.exp(mean)), "p_t": p_t, "p_w": p_w}
        lines.append(
            f"| {q} | {np.exp(mean):.4f} | [{np.exp(mean - half):.4f}, {np.exp(mean + half):.4f}] "
            f"| {np.std(np.exp(log_r), ddof=1):.4f} | {p_t:.2f} | {p_w:.2f} | "
            f"{int(np.sum(log_r < 0))} of {len(log_r)} |"
        )
    return lines, summary


def seed_agreement(ref: Reference, n_seeds: int, n_t: int, k_draws: int) -> list[str]:
    """Part 3: the whole analysis over seeds, stage by stage."""
    from neuroalign.geometry.capacity import remove_center_correlations

    P, m, N, kappa = CASES[0]
    own, same, stage, k_self, times = [], [], [], [], []
    for seed in range(n_seeds):
        theirs = ref.step2(P, m, N, kappa, n_t, seed)
        t_vecs = Reference.t_vectors(theirs, [min(m, N)] * P, n_t)
        mine = ours_whole(P, m, N, kappa, n_t, seed)
        mine_same_t = ours_whole(P, m, N, kappa, n_t, seed, t_vectors=t_vecs)
        staged = reference_stage(theirs, P, m, N, kappa, n_t, seed)
        own.append((theirs, mine))
        same.append((theirs, mine_same_t))
        stage.append(
            max(abs(staged[q] / theirs[q] - 1) for q in ("capacity", "radius", "dimension"))
        )
        times.append((theirs["seconds"], mine["seconds"]))
        mans = synthetic_manifolds(P, m, N, seed)
        origin = np.concatenate(mans).mean(axis=0)
        centres = np.stack([x.mean(axis=0) - origin for x in mans])
        k_self.append([remove_center_correlations(centres, rng=np.random.default_rng(1000 * d + seed))[2]
                       for d in range(k_draws)])  # fmt: skip
        print(
            f"seed {seed:2d}: K ref {theirs['K']} ours {mine['K']} (other starts {k_self[-1]}); "
            f"capacity ref {theirs['capacity']:.4f}, ours {mine['capacity']:.4f}, ours with its "
            f"t vectors {mine_same_t['capacity']:.4f}; ref frame + ref t through ours: "
            f"{stage[-1]:.1e}",
            flush=True,
        )
    own_lines, _ = _ratio_table(own)
    same_lines, _ = _ratio_table(same)
    same_k = [t["K"] == o["K"] for t, o in same]
    fewer = sum(o["K"] < t["K"] for t, o in same)
    n_diff = len(same_k) - sum(same_k)
    from scipy.stats import binomtest

    p_sign = binomtest(fewer, n_diff).pvalue if n_diff else 1.0
    matched = [abs(o["capacity"] / t["capacity"] - 1) for (t, o), k in zip(same, same_k) if k]
    # how often two of our own runs (different random starts) choose the same K
    pairs = [(a, b) for ks in k_self for i, a in enumerate(ks) for b in ks[i + 1 :]]
    self_agree = np.mean([a == b for a, b in pairs])
    vs_ref = np.mean([k == t["K"] for ks, (t, _) in zip(k_self, same) for k in ks])
    normalised, _, _, _ = prepare_manifolds(synthetic_manifolds(P, m, N, 0))
    mc = [
        _summary(r.capacity, r.radius, r.dimension)["capacity"]
        for r in (anchor_analysis(normalised, kappa=kappa, n_t=n_t, seed=s) for s in range(10))
    ]
    mc_cv = float(np.std(mc, ddof=1) / np.mean(mc))
    t_ref, t_ours = np.sum(times, axis=0)
    return [
        f"## Agreement over {n_seeds} seeds ({P} x {m} x {N}, kappa {kappa}, n_t = {n_t})",
        "",
        "Each seed draws new manifolds. Ratios are neuroalign / replicaMFT (the reference's "
        "whole analyses, cached); the tests ask whether the mean log-ratio is 0.",
        "",
        "### Stage by stage",
        "",
        "The reference's step 2 (`fun_FA`) is recorded in every run (its frame and numpy's "
        "generator state after it, from which the reference draws its t vectors), so its "
        "stages can be fed to neuroalign:",
        "",
        f"- reference frame + reference t vectors through neuroalign's steps 1 and 3-6 "
        f"(centring, projection, normalisation, QR basis, anchor points, capacity, radius, "
        f"dimension, averaging): largest relative difference over the {n_seeds} seeds "
        f"{max(stage):.1e}. Everything but step 2 is the same computation.",
        f"- neuroalign's own step 2 + the reference's t vectors: K equal in {sum(same_k)} of "
        f"{n_seeds} seeds; where K is equal the capacities differ by at most "
        f"{max(matched) if matched else float('nan'):.1e} (median "
        f"{np.median(matched) if matched else float('nan'):.1e}); where K differs they differ "
        f"by about 1 % (one shared direction more or less); neuroalign chose fewer directions "
        f"in {fewer} of those {n_diff} seeds (sign test p = {p_sign:.2f}).",
        f"- K is not a deterministic output of either tool: neuroalign's step 2 with "
        f"{k_draws} different random starts on each seed's centres agrees with itself in "
        f"{100 * self_agree:.0f} % of pairs and with the reference's K in {100 * vs_ref:.0f} % "
        "of runs: the residual correlations of neighbouring K are often within 1 % of each "
        "other, so which K wins depends on which local minima the random starts reach (the "
        "reference's own starts are random frames: its `CGmanopt` builds a warm start and "
        "calls pymanopt's `solve(problem)` without it).",
        "",
        "### Same t vectors (the reference's own, replayed), neuroalign's whole analysis",
        "",
        *same_lines,
        "",
        "### Each tool's own t vectors and random starts",
        "",
        *own_lines,
        "",
        f"Monte-Carlo noise: neuroalign's capacity over 10 t draws on the same manifolds has a "
        f"coefficient of variation of {100 * mc_cv:.2f} %, so the ratio of two independent runs "
        f"has an sd of about {100 * np.sqrt(2) * mc_cv:.2f} %: the spread of the own-t ratios is "
        "that noise, and it disappears with the same t vectors.",
        "",
        f"Time over the {n_seeds} seeds (not side by side: the reference's runs are cached, "
        f"measured when first run at load 3-17): replicaMFT {t_ref:.0f} s, neuroalign "
        f"{t_ours:.1f} s ({ratio(t_ref, t_ours)}).",
        "",
    ]


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
    parser.add_argument("--k-draws", type=int, default=4, help="our random starts per seed")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "neuroalign_replicamft_cache.json",
        help="JSON file caching the reference's whole-analysis results",
    )
    parser.add_argument("--no-cache", action="store_true")
    parser.add_argument(
        "--cached-times",
        action="store_true",
        help="take the reference's whole-analysis times from the cache instead of re-timing "
        "seed 0 of the first two cases side by side",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="first case only, 3 seeds, the anchor step on 10 manifolds, cached times",
    )
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
        f"--n-t {args.n_t} --seeds {args.seeds}{' --quick' if args.quick else ''}"
        f"{' --cached-times' if args.cached_times else ''}",
        threads="1 (BLAS and torch, both tools)",
    )
    ref = Reference(Path(args.replicamft), None if args.no_cache else args.cache)
    cases = CASES[:1] if args.quick else CASES
    n_seeds = 3 if args.quick else args.seeds
    retime = not (args.quick or args.cached_times)

    anchor_rows = []
    for P, m, N, kappa in cases:
        row = anchor_case(ref, 10 if args.quick else P, m, N, kappa, args.n_t)
        anchor_rows.append(row)
        print(f"anchor {row['P']}x{m}x{N}: ref {row['t_ref']:.1f} s, ours {row['t_ours']:.2f} s "
              f"({ratio(row['t_ref'], row['t_ours'])}), max rel diff {row['diff']:.1e}", flush=True)  # fmt: skip
    whole_rows = []
    for i, (P, m, N, kappa) in enumerate(cases):
        theirs = dict(ref.whole(P, m, N, kappa, args.n_t, 0))
        if retime and i < 2:  # side by side: the reference again, uncached, right before ours
            before = load()
            np.random.seed(0)  # noqa: NPY002
            mans = [x.T for x in synthetic_manifolds(P, m, N, 0)]
            start = time.perf_counter()
            ref.mftma.manifold_analysis_corr(mans, kappa, args.n_t)
            theirs.update(seconds=time.perf_counter() - start, load=f"{before} -> {load()}")
        before = load()
        ours = ours_whole(P, m, N, kappa, args.n_t, 0)
        ours["load"] = f"{before} -> {load()}"
        whole_rows.append((P, m, N, kappa, theirs, ours))
        print(f"whole {P}x{m}x{N}: ref {theirs['seconds']:.1f} s, ours {ours['seconds']:.2f} s "
              f"({ratio(theirs['seconds'], ours['seconds'])})", flush=True)  # fmt: skip
    seed_lines = seed_agreement(ref, n_seeds, args.n_t, 2 if args.quick else args.k_draws)

    lines = [
        *header(),
        f"- reference: github.com/schung039/neural_manifolds_replicaMFT @ {ref.commit} "
        "(cvxopt, pymanopt 0.2.5, autograd), called through its own functions; its "
        "whole-analysis results are cached in the file given by `--cache` (with the machine "
        "load of each run)",
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
        f"{args.n_t}, each with its own t vectors and random starts)",
        "",
        "| P | m | N | capacity ref / ours | radius ref / ours | dimension ref / ours | "
        "K ref / ours | replicaMFT s | neuroalign s | speed-up | load ref; ours |",
        "| --- | --- | --- | --- | --- | --- | --- | ---: | ---: | ---: | --- |",
    ]
    for P, m, N, _kappa, t, o in whole_rows:
        lines.append(
            f"| {P} | {m} | {N} | {t['capacity']:.4f} / {o['capacity']:.4f} | "
            f"{t['radius']:.4f} / {o['radius']:.4f} | {t['dimension']:.3f} / {o['dimension']:.3f} "
            f"| {t['K']} / {o['K']} | {t['seconds']:.1f} | {o['seconds']:.2f} | "
            f"{ratio(t['seconds'], o['seconds'])} | {t.get('load', 'not recorded')}; "
            f"{o['load']} |"
        )
    lines += [
        "",
        "Rows whose reference load is a range measured now ran the reference right before "
        "neuroalign (side by side); the others take its time from the cache.",
        "",
        *seed_lines,
        NOTES,
    ]
    summary = [
        ("capacity: anchor step, same inputs", "replicaMFT `each_manifold_analysis_D1`",
         f"{r['P']} x {r['m']} x {r['N']}, n_t {args.n_t}", r["t_ref"], r["t_ours"], r["load"])
        for r in anchor_rows
    ] + [
        ("capacity: whole analysis", "replicaMFT `manifold_analysis_corr`",
         f"{P} x {m} x {N}, n_t {args.n_t}", t["seconds"], o["seconds"],
         f"{t.get('load', 'not recorded')}; {o['load']}")
        for P, m, N, _kappa, t, o in whole_rows
    ]  # fmt: skip
    lines += speed_summary(summary)
    text = "\n".join(lines)
    out = results_path(args.out, RESULTS, args.quick)
    with atomic_write(out) as handle:
        handle.write(text)
    print(text)
    print(f"wrote {out}")
    return 0


NOTES = """Notes:
- The earlier report (issue 15: neuroalign's capacity 0.9906 +- 0.0046 of the reference's over
  11 seeds, -1.0 % in another run) was the Monte-Carlo noise of two independent sets of t
  vectors, not a difference of method: replaying the reference's own t vectors (tables above),
  the same seeds agree to about 1e-3 wherever K is equal (seeds 0 and 1, -2.7 % and -3.7 % with
  independent t vectors, become +0.1 % and 0.0 %), and the reference's own step-2 frame and t
  vectors through neuroalign's other steps reproduce its values to 1e-9: centring,
  normalisation, the number of t vectors (n_t per manifold), the kappa handling, the
  averaging (1 / mean(1 / alpha_i) for the capacity, plain means for radius and dimension) and
  the radius and dimension definitions are the reference's. What differs is step 2's search:
  the reference runs pymanopt's conjugate gradient (up to 1,000 iterations) from random frames,
  neuroalign L-BFGS (up to 300) from the previous rank's frame plus a random direction; the
  frames agree where K does, and K itself changes with the random starts in both.
- Where neuroalign's time goes: the centre-correlation step (step 2: up to ~8 ranks x 10
  starts of L-BFGS, 300 iterations at most each, the 10 starts of a rank vectorised into one
  cost-and-gradient call per iteration) is most of it; the anchor step (one NNLS per hard
  programme, the rest in closed form) about a second.
- replicaMFT's time varies from seed to seed by more than 10x (33-960 s on 50 x 20 x 200),
  with the number of ranks its search tries and with the machine load.
"""


if __name__ == "__main__":
    sys.exit(main())
