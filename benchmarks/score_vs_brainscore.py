"""neuroalign's cross-validated PLS / ridge vs Brain-Score's own ``pls`` metric, side by side.

One V4 session of Cowley et al. (2023) (default 210325: 640 images x 50 neurons), features of a
random-init ResNet-18 (torchvision, seed 0) at two layers: ``avgpool`` (512 features) and the
flattened ``layer4`` conv stage (512 x 4 x 4 = 8,192 features at the images' native 112 px).
For each layer, in one run on the same features and responses:

* Brain-Score: ``brainscore_vision.load_metric('pls', crossvalidation_kwargs=
  dict(stratification_coord=None))(features, responses)`` (10 x 90/10 splits, seed 1);
* neuroalign: ``cross_validated_score(features, responses, 'pls', seed=1)`` (same splits)
  and ``'ridge'`` (per-neuroid alpha by exact LOO);

and prints scores, wall-clock times and speed-ups, then writes
``benchmarks/results/score_vs_brainscore.md``. Requirements checked: |PLS difference| < 0.005
and neuroalign >= 20x faster.

Both tools run with the same number of BLAS and torch threads (``--threads``, default 2).

Run:  .venv/bin/python benchmarks/score_vs_brainscore.py [--session 210325] [--repeats 3]
(``--quick``: the avgpool layer only, one repeat.)
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("NEUROALIGN_MIRROR", str(REPO.parent / "shared" / "data"))
os.environ.setdefault("BS_INSTALL_DEPENDENCIES", "no")
os.environ.setdefault("RESULTCACHING_DISABLE", "1")
warnings.filterwarnings("ignore")

import neuroalign  # noqa: E402
from neuroalign.data import load_cowley2023  # noqa: E402
from neuroalign.encoding import cross_validated_score  # noqa: E402
from neuroalign.extract import extract_activations, load_model  # noqa: E402
from neuroalign.io import atomic_write  # noqa: E402
from neuroalign.preprocessing import Preprocessing  # noqa: E402

sys.path.insert(0, str(REPO / "benchmarks"))
from _report import load, machine_header, results_path, speed_summary  # noqa: E402

RESULTS = REPO / "benchmarks" / "results" / "score_vs_brainscore.md"


def _timed(fn, repeats: int = 1):
    times, value = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - start)
    return value, statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--session", default="210325")
    parser.add_argument("--layers", default="avgpool,layer4")
    parser.add_argument("--repeats", type=int, default=3, help="timing repeats for neuroalign")
    parser.add_argument("--threads", type=int, default=2, help="BLAS and torch threads, both")
    parser.add_argument("--quick", action="store_true", help="avgpool only, one repeat")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.quick:
        args.layers, args.repeats = "avgpool", 1

    import torch
    from brainscore_core.supported_data_standards.brainio.assemblies import NeuroidAssembly
    from brainscore_vision import load_metric
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(args.threads)
    header = machine_header(
        "neuroalign score vs Brain-Score `pls` metric",
        f"python benchmarks/score_vs_brainscore.py --session {args.session} --layers "
        f"{args.layers} --repeats {args.repeats} --threads {args.threads}",
        threads=f"{args.threads} (BLAS via threadpoolctl and torch, both tools)",
    )
    with threadpool_limits(limits=args.threads):
        return _run(args, header, torch, NeuroidAssembly, load_metric)


def _run(args, header, torch, NeuroidAssembly, load_metric) -> int:

    responses = load_cowley2023(sessions=[args.session])[args.session]
    stimuli = responses.attrs["stimulus_set"]
    loaded = load_model("resnet18")
    loaded = dataclasses.replace(
        loaded, preprocessing=Preprocessing(image_size=112, resize=112)
    )  # the images' native size
    layers = [s for s in args.layers.split(",") if s]
    start = time.perf_counter()
    acts = extract_activations(loaded, stimuli, layers, batch_size=64)
    t_extract = time.perf_counter() - start
    print(
        f"session {args.session}: {responses.shape[0]} images x {responses.shape[1]} neurons; "
        f"extraction {t_extract:.1f} s; torch threads {torch.get_num_threads()}"
    )

    metric = load_metric("pls", crossvalidation_kwargs=dict(stratification_coord=None))
    rows = []
    for layer in layers:
        a = acts[layer]
        # Brain-Score's assemblies: stimulus_id plus another presentation coord (MultiIndex)
        features = NeuroidAssembly(
            a.values.astype("float64"),
            coords={
                "stimulus_id": ("presentation", a["stimulus_id"].values),
                "image_index": ("presentation", list(range(a.shape[0]))),
                "neuroid_id": ("neuroid", [f"{layer}.{i}" for i in range(a.shape[1])]),
                "layer": ("neuroid", [layer] * a.shape[1]),
            },
            dims=["presentation", "neuroid"],
        )
        before = load()
        bs, t_bs = _timed(lambda f=features: metric(f, responses))
        ours_pls, t_pls = _timed(
            lambda f=features: cross_validated_score(f, responses, "pls", seed=1), args.repeats
        )
        ours_ridge, t_ridge = _timed(
            lambda f=features: cross_validated_score(f, responses, "ridge", seed=1), args.repeats
        )
        row = {
            "layer": layer,
            "n_features": a.shape[1],
            "bs_pls": float(bs),
            "bs_err": float(bs.attrs["error"]),
            "t_bs": t_bs,
            "na_pls": ours_pls.center,
            "na_err": ours_pls.error,
            "t_pls": t_pls,
            "na_ridge": ours_ridge.center,
            "t_ridge": t_ridge,
            "load": f"{before} -> {load()}",
        }
        row["diff"] = abs(row["na_pls"] - row["bs_pls"])
        row["speedup_pls"] = t_bs / t_pls
        rows.append(row)
        print(
            f"{layer:8s} p={row['n_features']:6d}  Brain-Score pls {row['bs_pls']:.6f} "
            f"({t_bs:7.2f} s) | neuroalign pls {row['na_pls']:.6f} ({t_pls:6.3f} s, "
            f"x{row['speedup_pls']:.0f}) |diff| {row['diff']:.1e} | neuroalign ridge "
            f"{row['na_ridge']:.4f} ({t_ridge:6.3f} s)"
        )

    ok_agree = all(r["diff"] < 0.005 for r in rows)
    # the speed requirement is stated for sizes where Brain-Score takes minutes
    big = [r for r in rows if r["t_bs"] >= 60.0] or rows
    ok_speed = all(r["speedup_pls"] >= 20 for r in big)
    print(f"PLS agreement < 0.005: {'PASS' if ok_agree else 'FAIL'}; speed-up >= 20x where "
          f"Brain-Score takes >= 60 s: {'PASS' if ok_speed else 'FAIL'}")  # fmt: skip
    if not args.no_write:
        _write(args, header, rows, t_extract, ok_agree, ok_speed, len(responses))
    return 0 if ok_agree else 1


def _write(args, header, rows, t_extract, ok_agree, ok_speed, n_stimuli) -> None:
    lines = [
        *header(),
        f"- versions: neuroalign {neuroalign.__version__}",
        f"- data: Cowley et al. 2023 V4 session {args.session}; features: random-init ResNet-18 "
        "(torchvision, seed 0) on the 112 px images, float64; extraction "
        f"{t_extract:.1f} s (not timed below)",
        "- Brain-Score: `load_metric('pls', crossvalidation_kwargs=dict(stratification_coord=None))`"
        " (10 x 90/10 ShuffleSplit, random_state 1, sklearn PLSRegression(25, scale=False)); "
        "timed once",
        "- neuroalign: `cross_validated_score(features, responses, method, seed=1)` (same splits; "
        f"PLS in kernel form from one Gram matrix); median of {args.repeats} runs",
        "",
        "| layer | features | Brain-Score pls r (± err) | neuroalign pls r (± err) | abs. diff | "
        "Brain-Score s | neuroalign pls s | speed-up | neuroalign ridge r | ridge s | load |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r['layer']} | {r['n_features']} | {r['bs_pls']:.6f} (± {r['bs_err']:.4f}) | "
            f"{r['na_pls']:.6f} (± {r['na_err']:.4f}) | {r['diff']:.1e} | {r['t_bs']:.2f} | "
            f"{r['t_pls']:.3f} | {r['speedup_pls']:.0f}x | {r['na_ridge']:.4f} | "
            f"{r['t_ridge']:.3f} | {r['load']} |"
        )
    lines += [
        "",
        f"PLS agreement within 0.005: **{'PASS' if ok_agree else 'FAIL'}**; "
        f"neuroalign PLS >= 20x faster where Brain-Score takes minutes (>= 60 s): "
        f"**{'PASS' if ok_speed else 'FAIL'}**.",
        "",
        "Where the gain comes from: Brain-Score fits scikit-learn's NIPALS on the (n, p) "
        "features in every split (O(n p) per power iteration); neuroalign computes the Gram "
        "matrix of all stimuli once and runs the same NIPALS iterates in kernel form, with the "
        "power iteration itself in the (q, q) space of the neurons, so its cost hardly depends "
        "on p. On a 512-feature layer both are cheap and the ratio is smaller (see the table).",
        "",
        "The ridge columns are neuroalign's per-neuroid RidgeCV, a different estimator from "
        "Brain-Score's `pls` (so its score differs); no speed-up is given against PLS: ridge is "
        "compared with ridge (scikit-learn, himalaya) in `ridge_vs_sklearn.md`.",
        "",
    ]
    lines += speed_summary(
        [
            ("PLS predictivity, 10 splits", "Brain-Score `pls` metric",
             f"{n_stimuli} stimuli x {r['n_features']} features ({r['layer']})", r["t_bs"],
             r["t_pls"], r["load"])
            for r in rows
        ]
    )  # fmt: skip
    out = results_path(args.out, RESULTS, args.quick)
    with atomic_write(out) as handle:
        handle.write("\n".join(lines))
    print(f"wrote {out}")


if __name__ == "__main__":
    sys.exit(main())
