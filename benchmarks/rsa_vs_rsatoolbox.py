"""neuroalign.rsa vs rsatoolbox: same inputs, same numbers, how much faster.

Workload (the issue's target): 1,000 stimuli x 10,000 features for a model and for 3 "subjects";
correlation-distance RDMs; Spearman comparison (model vs mean over subjects); 1,000 bootstrap
resamples of stimuli (rsatoolbox ``eval_bootstrap_pattern`` semantics: pairs of a stimulus with
itself dropped, score = mean over subject RDMs).

rsatoolbox's bootstrap is a Python loop over resamples; when ``--rsatoolbox-resamples`` is smaller
than ``--n-bootstrap`` it runs that many resamples and the full time is extrapolated linearly
(said so in the output). Agreement is checked on the same resamples: neuroalign is given
rsatoolbox's drawn stimulus indices and must reproduce each resample's score.

Run: ``.venv/bin/python benchmarks/rsa_vs_rsatoolbox.py`` (writes
``benchmarks/results/rsa_vs_rsatoolbox.md``).
"""

from __future__ import annotations

import argparse
import datetime
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

import neuroalign  # noqa: F401  (before torchvision users)
from neuroalign.io import atomic_write
from neuroalign.rsa import bootstrap_compare, compare_rdms, compute_rdm, noise_ceiling

RESULTS = Path(__file__).resolve().parent / "results" / "rsa_vs_rsatoolbox.md"

NOTES = """
Notes:
- rsatoolbox's bootstrap is the loop body of `rsatoolbox.inference.eval_bootstrap_pattern`
  (`bootstrap_sample_pattern`, `subsample_pattern`, `compare`), run for the stated number of
  resamples and extrapolated linearly to the full count; its per-resample cost does not depend on
  the resample, so the extrapolation is fair. The agreement column feeds rsatoolbox's own drawn
  stimulus indices to `neuroalign.rsa.bootstrap_compare(indices=...)`.
- neuroalign never copies an RDM per resample: a resample is a vector of pair weights
  `c_k * c_l` (stimulus multiplicities), Spearman ranks under those weights are cumulative sums
  in each RDM's precomputed sort order. The work per resample is a few memory passes over the
  ~500k pairs, so it is bandwidth-bound; on a machine shared with other jobs both tools slow down.
- By default (`dtype=None`) the Spearman bootstrap keeps the rank arithmetic in float32 (exact
  below 2**23 pairs, ~4,000 stimuli) and accumulates the sums in float64; the float64 row forces
  `dtype=torch.float64` everywhere.
- The one-off comparison and noise ceiling are dominated by sorting 500k dissimilarities, which
  both tools do once (no speed-up expected there).
"""


def timed(fn, repeat: int = 1):
    """(result of the last call, best wall time in seconds)."""
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return out, best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n-stimuli", type=int, default=1000)
    parser.add_argument("--n-features", type=int, default=10000)
    parser.add_argument("--n-subjects", type=int, default=3)
    parser.add_argument("--n-bootstrap", type=int, default=1000)
    parser.add_argument(
        "--rsatoolbox-resamples",
        type=int,
        default=30,
        help="rsatoolbox resamples actually run (then extrapolated)",
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--threads", type=int, default=1, help="CPU threads for both tools (torch and numpy's BLAS)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(args.threads)
    with threadpool_limits(limits=args.threads):
        return run(args)


def run(args: argparse.Namespace) -> int:

    from rsatoolbox.data import Dataset
    from rsatoolbox.inference import boot_noise_ceiling
    from rsatoolbox.inference.bootstrap import bootstrap_sample_pattern
    from rsatoolbox.rdm import RDMs, calc_rdm, compare

    rng = np.random.default_rng(0)
    n, c = args.n_stimuli, args.n_features
    latent = rng.normal(size=(n, 50))
    model_x = latent @ rng.normal(size=(50, c)) + 4.0 * rng.normal(size=(n, c))
    subject_x = [
        latent @ rng.normal(size=(50, c)) + 4.0 * rng.normal(size=(n, c))
        for _ in range(args.n_subjects)
    ]
    rows: list[tuple[str, float, float, str]] = []

    # 1. RDMs --------------------------------------------------------------------------------
    ref_rdm, t_ref = timed(lambda: calc_rdm(Dataset(model_x), method="correlation"), 3)
    our_rdm, t_our = timed(lambda: compute_rdm(model_x, device=args.device, condensed=True), 3)
    err = float(np.abs(ref_rdm.get_vectors()[0] - our_rdm).max())
    rows.append(("correlation RDM (1 model)", t_ref, t_our, f"max abs diff {err:.1e}"))
    model_rdm = our_rdm
    subject_rdms = np.stack([compute_rdm(x, condensed=True) for x in subject_x])
    ref_subjects = RDMs(subject_rdms)
    ref_model = RDMs(model_rdm[None])

    # 2. one comparison ------------------------------------------------------------------------
    ref_sim, t_ref = timed(lambda: compare(ref_model, ref_subjects, "spearman").mean(), 3)
    our_sim, t_our = timed(
        lambda: compare_rdms(model_rdm, subject_rdms, "spearman", device=args.device).mean(), 3
    )
    rows.append(
        (
            "Spearman, model vs 3 subject RDMs",
            t_ref,
            t_our,
            f"diff {abs(ref_sim - our_sim):.1e} (value {our_sim:.4f})",
        )
    )

    # 3. noise ceiling -----------------------------------------------------------------------
    ref_nc, t_ref = timed(lambda: boot_noise_ceiling(ref_subjects, method="spearman"))
    our_nc, t_our = timed(lambda: noise_ceiling(subject_rdms, "spearman"))
    nc_err = max(abs(ref_nc[0] - our_nc.lower), abs(ref_nc[1] - our_nc.upper))
    rows.append(
        (
            "noise ceiling (leave-one-out)",
            t_ref,
            t_our,
            f"max diff {nc_err:.1e} (lower {our_nc.lower:.4f}, upper {our_nc.upper:.4f})",
        )
    )

    # 4. bootstrap over stimuli --------------------------------------------------------------
    k = min(args.rsatoolbox_resamples, args.n_bootstrap)
    np.random.seed(0)  # rsatoolbox draws from numpy's global generator  # noqa: NPY002
    drawn, ref_scores = [], []
    start = time.perf_counter()
    for _ in range(k):  # the loop body of rsatoolbox.inference.eval_bootstrap_pattern
        sample, pattern_idx = bootstrap_sample_pattern(ref_subjects)
        pred = ref_model.subsample_pattern("index", pattern_idx)
        ref_scores.append(np.mean(compare(pred, sample, "spearman")))
        drawn.append(pattern_idx)
    t_ref_k = time.perf_counter() - start
    t_ref_full = t_ref_k * args.n_bootstrap / k
    same = bootstrap_compare(
        model_rdm, subject_rdms, "spearman", indices=np.array(drawn), device=args.device
    )
    boot_err = float(np.nanmax(np.abs(same.samples[:, 0] - np.array(ref_scores))))
    ours, t_our = timed(
        lambda: bootstrap_compare(
            model_rdm,
            subject_rdms,
            "spearman",
            n_bootstrap=args.n_bootstrap,
            seed=0,
            device=args.device,
            dtype=torch.float64,
        )
    )
    extrapolated = "" if k == args.n_bootstrap else f" (rsatoolbox: {k} run, extrapolated)"
    rows.append(
        (
            f"bootstrap, {args.n_bootstrap} resamples, float64{extrapolated}",
            t_ref_full,
            t_our,
            f"same {k} resamples: max diff {boot_err:.1e}; ours: score {ours.observed[0]:.4f}, "
            f"95% CI [{ours.ci_low[0]:.4f}, {ours.ci_high[0]:.4f}], SE {ours.std[0]:.4f}; "
            f"rsatoolbox SE over its {k}: {np.std(ref_scores, ddof=1):.4f}",
        )
    )

    fast, t_fast = timed(
        lambda: bootstrap_compare(
            model_rdm,
            subject_rdms,
            "spearman",
            n_bootstrap=args.n_bootstrap,
            seed=0,
            device=args.device,
        )
    )
    fast_err = float(np.nanmax(np.abs(fast.samples - ours.samples)))
    rows.append(
        (
            f"bootstrap, {args.n_bootstrap} resamples, default (float32 ranks, float64 sums)",
            t_ref_full,
            t_fast,
            f"vs our float64 run on the same resamples: max diff {fast_err:.1e}",
        )
    )

    # report -----------------------------------------------------------------------------------
    device_name = args.device
    if args.device.startswith("cuda"):
        device_name = torch.cuda.get_device_name()
    header = (
        f"# neuroalign.rsa vs rsatoolbox\n\n"
        f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}\n"
        f"- command: `{' '.join([Path(sys.executable).name, *sys.argv])}`\n"
        f"- device: {device_name}; CPU {platform.processor() or platform.machine()}, "
        f"{args.threads} thread(s) for each tool (machine shared with other jobs)\n"
        f"- versions: python {platform.python_version()}, torch {torch.__version__}, "
        f"numpy {np.__version__}, rsatoolbox {_rsatoolbox_version()}\n"
        f"- workload: {n} stimuli x {c} features, {args.n_subjects} subject RDMs, "
        f"Spearman, {args.n_bootstrap} bootstrap resamples of stimuli\n\n"
    )
    table = [
        "| step | rsatoolbox (s) | neuroalign (s) | speed-up | agreement |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for name, t_r, t_o, note in rows:
        table.append(f"| {name} | {t_r:.3f} | {t_o:.3f} | {t_r / t_o:.1f}x | {note} |")
    text = header + "\n".join(table) + "\n" + NOTES
    print(text)
    with atomic_write(args.out) as handle:
        handle.write(text)
    print(f"wrote {args.out}")
    return 0


def _rsatoolbox_version() -> str:
    from importlib.metadata import version

    return version("rsatoolbox")


if __name__ == "__main__":
    sys.exit(main())
