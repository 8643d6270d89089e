"""Packing dynamics: cost per step vs N, a reference implementation, and phi_c in d = 3.

Four parts, each writing its table to ``benchmarks/results/``; ``packing.md`` is rebuilt
from the tables present after every part (so the parts can be run separately):

1. ``timing`` -> ``packing_timing.csv``: milliseconds per step of BRO (eps) and particle SGD
   (b_f = 0.5, alpha = eps / b_f) in d = 3 at phi = 0.62 for N = 10^3 .. 10^5, with the
   default neighbour search (cell lists + Verlet skin 0.3), with cell lists rebuilt every step
   (skin 0) and with the naive O(N^2) all-pairs search (up to ``--naive-max``); each after a
   warm-up from the random start, so that the timed steps are typical of the dynamics. The
   slope of log(time) vs log(N) gives the scaling exponent (1 = linear).
2. ``reference`` -> ``packing_reference.csv`` (only with ``--hyperalg PATH``, a checkout of
   github.com/guanming-zhang/hyperalg4bro, the authors' C++ code): a small C++ driver is
   compiled against its headers and runs gradient descent on the same hinge loss with its
   ``InversePowerPeriodicCellLists<3>`` (a = 1, eps = R: U = (2R - r) / 2), the loop of its
   ``particle_sgd`` at b_f = 1. Reported: the largest difference of the gradient at the
   random start and of the positions after 50 GD steps (float64, same start, same alpha),
   and milliseconds per step of both at each N (one thread each).
3. ``structure`` -> ``packing_structure.csv``: BRO (eps = 0.01, N = 2000) just below phi_c
   until absorbed; mean coordination Z of the packing (contacts within 0.5 / 1 / 2 % of
   sigma, rattlers removed; isostatic jammed packings have Z = 2d = 6) and S(q) at small q.
4. ``scan`` -> ``packing_scan/<rule>.csv``: phi scans in d = 3 of each rule of
   ``--scan-rules`` (BRO with kick size eps, particle SGD at batch fraction b_f with the
   matched alpha = eps / b_f), several seeds and sizes, at most ``--steps-per-eps / eps``
   steps a run; phi_c per (rule, N) from ``neuroalign.packing.estimate_phi_c``.

Usage::

    python benchmarks/packing_scaling.py                       # all parts (about 2 hours)
    python benchmarks/packing_scaling.py --parts timing --hyperalg /tmp/hyperalg4bro
    python benchmarks/packing_scaling.py --parts scan --scan-rules bro:0.01,sgd:0.01:0.5
"""

from __future__ import annotations

import argparse
import datetime
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from neuroalign.io import atomic_write
from neuroalign.packing import (
    MANNA_3D,
    PackingConfig,
    PackingSimulation,
    ScanConfig,
    estimate_phi_c,
    find_overlaps,
    fit_collapse,
    hinge_gradient,
    mean_coordination,
    scan_phi,
    structure_factor,
    structure_factor_exponent,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import git_commit

RESULTS = Path(__file__).resolve().parent / "results"
PHI_TIMING = 0.62

DRIVER = r"""
// Gradient descent on the hinge loss with hyperalg4bro's cell-list potential (its own code);
// reads n, side, radius, lr, steps and n*3 coordinates from argv[1], writes the gradient at the
// start, the final coordinates and the milliseconds per step to argv[2].
#include <chrono>
#include <cmath>
#include <cstdio>
#include <vector>
#include "hyperalg/inversepower_potential.hpp"

int main(int argc, char** argv) {
    FILE* in = std::fopen(argv[1], "rb");
    double head[5];
    if (std::fread(head, sizeof(double), 5, in) != 5) return 1;
    const size_t n = (size_t)head[0];
    const double side = head[1], radius = head[2], lr = head[3];
    const long steps = (long)head[4];
    std::vector<double> x(3 * n), g(3 * n), g0(3 * n), radii(n, radius), box(3, side);
    if (std::fread(x.data(), sizeof(double), 3 * n, in) != 3 * n) return 1;
    std::fclose(in);
    ha::InversePowerPeriodicCellLists<3> pot(1.0, radius, radii, box, 1.0, true);
    pot.get_energy_gradient(x, g0);
    auto start = std::chrono::steady_clock::now();
    for (long s = 0; s < steps; ++s) {
        pot.get_energy_gradient(x, g);
        for (size_t k = 0; k < 3 * n; ++k) {
            x[k] -= lr * g[k];
            x[k] -= side * std::floor(x[k] / side);
        }
    }
    double ms = std::chrono::duration<double, std::milli>(
        std::chrono::steady_clock::now() - start).count() / (steps > 0 ? steps : 1);
    FILE* out = std::fopen(argv[2], "wb");
    std::fwrite(g0.data(), sizeof(double), 3 * n, out);
    std::fwrite(x.data(), sizeof(double), 3 * n, out);
    std::fwrite(&ms, sizeof(double), 1, out);
    std::fclose(out);
    return 0;
}
"""


def machine() -> str:
    return (
        f"CPU {platform.machine()}, {os.cpu_count()} cores visible (shared with other jobs), "
        f"torch {torch.__version__}, {torch.get_num_threads()} torch thread(s) where not stated"
    )


def time_steps(cfg: PackingConfig, warmup: int, steps: int) -> tuple[float, int]:
    """ms per step after ``warmup`` steps, and neighbour-list builds during the timed steps."""
    sim = PackingSimulation(cfg)
    sim.run(warmup)
    builds = sim.search.builds
    start = time.perf_counter()
    sim.run(steps)
    return 1e3 * (time.perf_counter() - start) / steps, sim.search.builds - builds


def timing(sizes: list[int], eps: float, steps: int, warmup: int, naive_max: int) -> pd.DataFrame:
    rows = []
    variants = {
        "cells + Verlet (default)": {"skin": 0.3},
        "cells, rebuilt every step": {"skin": 0.0},
        "naive O(N^2)": {"skin": 0.0, "neighbours": "brute"},
    }
    for n in sizes:
        for dynamics, extra in (("bro", {}), ("sgd", {"batch_fraction": 0.5})):
            for name, opts in variants.items():
                if name.startswith("naive") and n > naive_max:
                    continue
                cfg = PackingConfig(
                    d=3, n=n, phi=PHI_TIMING, dynamics=dynamics, eps=eps, **extra, **opts
                )
                k = max(3, steps // 10) if name.startswith("naive") else steps
                ms, builds = time_steps(cfg, warmup if not name.startswith("naive") else 3, k)
                rows.append(
                    {
                        "n": n,
                        "dynamics": dynamics,
                        "search": name,
                        "ms_per_step": ms,
                        "steps_per_s": 1e3 / ms,
                        "timed_steps": k,
                        "list_builds": builds,
                        "load": os.getloadavg()[0],
                    }
                )
                print(f"timing N={n} {dynamics} {name}: {ms:.2f} ms/step", flush=True)
    return pd.DataFrame(rows)


def reference(repo: Path, sizes: list[int], eps: float, steps: int) -> pd.DataFrame:
    """GD with hyperalg4bro's cell-list hinge potential vs neuroalign, same start."""
    source = repo / "hyperalg" / "source"
    if not (source / "hyperalg" / "inversepower_potential.hpp").is_file():
        raise SystemExit(f"{source} has no hyperalg headers: is {repo} a hyperalg4bro checkout?")
    compiler = shutil.which("g++")
    if compiler is None:
        raise SystemExit("g++ not found: needed to build the hyperalg4bro driver")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "driver.cpp").write_text(DRIVER)
        subprocess.run(
            [compiler, "-O3", "-std=c++14", "-fopenmp", f"-I{source}", "driver.cpp", "-o", "drv"],
            cwd=tmp,
            check=True,
            capture_output=True,
        )
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        for n in sizes:
            cfg = PackingConfig(
                d=3, n=n, phi=PHI_TIMING, dynamics="sgd", lr=eps, dtype="float64", skin=0.3
            )
            sim = PackingSimulation(cfg)
            x0 = sim.positions.clone()
            for k, n_steps in enumerate((50, steps)):
                head = np.array([n, sim.side, 0.5, cfg.learning_rate, n_steps], dtype=np.float64)
                (tmp / "in.bin").write_bytes(head.tobytes() + x0.numpy().tobytes())
                subprocess.run(
                    [str(tmp / "drv"), "in.bin", "out.bin"],
                    cwd=tmp,
                    env=env,
                    check=True,
                    capture_output=True,
                )
                out = np.frombuffer((tmp / "out.bin").read_bytes(), dtype=np.float64)
                if k == 0:
                    grad_ref = torch.from_numpy(out[: 3 * n].reshape(n, 3).copy())
                    x_ref = torch.from_numpy(out[3 * n : 6 * n].reshape(n, 3).copy())
                    grad = hinge_gradient(find_overlaps(x0, sim.radii, sim.side))
                    sim_gd = PackingSimulation(cfg, positions=x0)
                    for _ in range(50):
                        sim_gd.step()
                    diff = sim_gd.positions - x_ref
                    diff = diff - sim.side * torch.round(diff / sim.side)
                    grad_diff = float((grad - grad_ref).abs().max())
                    pos_diff = float(diff.abs().max())
                else:
                    ref_ms = float(out[-1])
            ours_ms, _ = time_steps(cfg, warmup=50, steps=steps)
            rows.append(
                {
                    "n": n,
                    "max_abs_grad_diff": grad_diff,
                    "max_abs_pos_diff_50_steps": pos_diff,
                    "hyperalg4bro_ms_per_step": ref_ms,
                    "neuroalign_ms_per_step": ours_ms,
                    "load": os.getloadavg()[0],
                }
            )
            print(
                f"reference N={n}: grad diff {grad_diff:.1e}, pos diff {pos_diff:.1e}, "
                f"{ref_ms:.2f} vs {ours_ms:.2f} ms/step",
                flush=True,
            )
    return pd.DataFrame(rows)


def structure(n: int, eps: float, phis: list[float], steps_per_eps: float) -> pd.DataFrame:
    """BRO runs just below phi_c: coordination and low-q S(q) of the absorbed packings."""
    rows = []
    for phi in phis:
        cfg = PackingConfig(d=3, n=n, phi=phi, eps=eps, steps=int(steps_per_eps / eps))
        run = PackingSimulation(cfg).run()
        row = {"n": n, "eps": eps, "phi": phi, "absorbed": run.absorbed, "steps": run.steps}
        for tol in (0.005, 0.01, 0.02):
            z = mean_coordination(run.positions, run.radii, run.side, tol, remove_rattlers=True)
            row[f"z_tol{tol:g}"] = z["z"]
            row[f"rattlers_tol{tol:g}"] = z["rattler_fraction"]
        sq = structure_factor(run.positions.double(), run.side)
        row["s_q_min"] = float(sq["s"].iloc[0])
        row["q_min"] = float(sq["q"].iloc[0])
        row["s_q_slope_low_q"] = structure_factor_exponent(sq, q_max=4.0)
        row["load"] = os.getloadavg()[0]
        rows.append(row)
        print(
            f"structure phi={phi}: absorbed={run.absorbed} z(1%)={row['z_tol0.01']:.2f}", flush=True
        )
    return pd.DataFrame(rows)


def parse_rule(text: str) -> tuple[str, float, float]:
    """'bro:EPS' or 'sgd:EPS:B_F' -> (dynamics, eps, b_f); SGD runs at alpha = eps / b_f."""
    parts = text.split(":")
    if parts[0] == "bro" and len(parts) == 2:
        return "bro", float(parts[1]), 1.0
    if parts[0] == "sgd" and len(parts) == 3:
        return "sgd", float(parts[1]), float(parts[2])
    raise SystemExit(f"--scan-rules: expected bro:EPS or sgd:EPS:B_F, got {text!r}")


def rule_label(dynamics: str, eps: float, b_f: float) -> str:
    if dynamics == "bro":
        return f"BRO eps={eps:g}"
    return f"SGD b_f={b_f:g} alpha={eps / b_f:g}"


def scan(rule: str, sizes: list[int], phis: list[float], seeds: int, steps_per_eps: float):
    """phi scan of one rule; its table (one row per run, with the rule label)."""
    dynamics, eps, b_f = parse_rule(rule)
    cfg = ScanConfig(
        d=3,
        sizes=tuple(sizes),
        phis=tuple(phis),
        n_seeds=seeds,
        dynamics=dynamics,
        eps=eps,
        batch_fraction=b_f,
        lr=eps / b_f if dynamics == "sgd" else 0.0,
        steps=int(steps_per_eps / eps),
        record_every=50,
    )
    return scan_phi(cfg, progress=True).assign(rule=rule_label(dynamics, eps, b_f))


def slope(table: pd.DataFrame) -> float:
    return float(np.polyfit(np.log(table["n"]), np.log(table["ms_per_step"]), 1)[0])


def _commands(table: pd.DataFrame) -> list[str]:
    if "command" not in table:
        return []
    return [f"command: `{c}`" for c in dict.fromkeys(table["command"])] + [""]


def _summary(results: Path) -> list[str]:
    """The headline numbers of whichever tables exist."""
    out = []
    scans = sorted((results / "packing_scan").glob("*.csv"))
    if scans:
        s = pd.concat([pd.read_csv(f) for f in scans], ignore_index=True)
        est = estimate_phi_c(s, by=("rule", "n"))
        for rule, part in est.groupby("rule"):
            values = ", ".join(f"{v:.4f} (N = {n})" for n, v in zip(part.n, part.phi_c_half))
            out.append(
                f"- phi_c (half the seeds absorbed), {rule}: {values}; random close packing: 0.64"
            )
    timing_csv = results / "packing_timing.csv"
    if timing_csv.is_file():
        t = pd.read_csv(timing_csv)
        default = t[t.search.str.startswith("cells + Verlet")]
        for dyn, part in default.groupby("dynamics"):
            big = part.loc[part.n.idxmax()]
            out.append(
                f"- {dyn}, default search: cost per step ~ N^{slope(part):.2f}; "
                f"{big.steps_per_s:.1f} steps/s at N = {big.n}"
            )
        naive = t[t.search.str.startswith("naive")]
        if len(naive):
            n = naive.n.max()
            fast = default[(default.n == n)].ms_per_step.mean()
            out.append(
                f"- naive O(N^2) search at N = {n}: {naive[naive.n == n].ms_per_step.mean() / fast:.0f}x "
                "slower than the default"
            )
    ref_csv = results / "packing_reference.csv"
    if ref_csv.is_file():
        r = pd.read_csv(ref_csv)
        ratio = r.neuroalign_ms_per_step / r.hyperalg4bro_ms_per_step
        out.append(
            f"- vs hyperalg4bro (C++): gradients equal to {r.max_abs_grad_diff.max():.0e}, "
            f"positions after 50 GD steps to {r.max_abs_pos_diff_50_steps.max():.0e}; "
            f"neuroalign {ratio.min():.1f}-{ratio.max():.1f}x slower per step on one CPU thread"
        )
    return ["## Summary", "", *out, ""] if out else []


def write_report(path: Path) -> None:
    """Rebuild packing.md from the part tables in its folder."""
    results = path.parent
    lines = [
        "# Packing dynamics: cost per step, reference implementation, phi_c in d = 3",
        "",
        f"- report written: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC "
        "from the tables in this folder",
        f"- device: {machine()}",
        "- each section names the command that produced its table",
        "- `load` columns: 1-minute load average of the machine when the row was measured",
        "",
        *_summary(results),
    ]
    timing_csv = results / "packing_timing.csv"
    if timing_csv.is_file():
        t = pd.read_csv(timing_csv)
        lines += [
            f"## Cost per step vs N (d = 3, phi = {PHI_TIMING}, one torch thread)",
            "",
            *_commands(t),
            "| N | dynamics | neighbour search | ms / step | steps / s | list builds / timed steps | load |",
            "| ---: | --- | --- | ---: | ---: | --- | ---: |",
        ]
        for r in t.itertuples():
            lines.append(
                f"| {r.n} | {r.dynamics} | {r.search} | {r.ms_per_step:.2f} | "
                f"{r.steps_per_s:.1f} | {r.list_builds} / {r.timed_steps} | {r.load:.1f} |"
            )
        lines += ["", "Scaling exponent (slope of log ms/step vs log N; 1 = linear):", ""]
        for (dyn, search), part in t.groupby(["dynamics", "search"]):
            lines.append(
                f"- {dyn}, {search}: {slope(part):.2f} (N = {part.n.min()} .. {part.n.max()})"
            )
        lines.append("")
    ref_csv = results / "packing_reference.csv"
    if ref_csv.is_file():
        r = pd.read_csv(ref_csv)
        commit = r["reference_commit"].iloc[0] if "reference_commit" in r else "unknown commit"
        lines += [
            "## Against hyperalg4bro (the authors' C++ code, github.com/guanming-zhang/hyperalg4bro)",
            "",
            *_commands(r),
            f"Commit {commit}; its headers compiled with g++ -O3 -fopenmp into a small driver "
            "(`DRIVER` in the script) that calls `InversePowerPeriodicCellLists<3>::"
            "get_energy_gradient` and moves every sphere by -alpha grad.",
            "",
            "Gradient descent (particle SGD at b_f = 1) on the hinge loss, float64, same random "
            f"start at phi = {PHI_TIMING}, one thread each (OMP_NUM_THREADS=1, torch 1 thread).",
            "",
            "| N | max abs grad diff | max abs position diff after 50 steps | hyperalg4bro ms/step | neuroalign ms/step | ratio | load |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for x in r.itertuples():
            lines.append(
                f"| {x.n} | {x.max_abs_grad_diff:.1e} | {x.max_abs_pos_diff_50_steps:.1e} | "
                f"{x.hyperalg4bro_ms_per_step:.2f} | {x.neuroalign_ms_per_step:.2f} | "
                f"{x.neuroalign_ms_per_step / x.hyperalg4bro_ms_per_step:.1f}x | {x.load:.1f} |"
            )
        lines.append("")
    structure_csv = results / "packing_structure.csv"
    if structure_csv.is_file():
        st = pd.read_csv(structure_csv)
        lines += [
            "## Absorbed BRO packings just below phi_c (d = 3)",
            "",
            *_commands(st),
            "Mean coordination Z of the final configuration with contacts at |r_ij| < "
            "sigma (1 + tol), rattlers (fewer than d + 1 contacts) removed repeatedly; S(q) at the "
            "smallest wave number of the box and the slope of log S vs log q for q <= 4. Z = 0 "
            "means that removing rattlers emptied the packing at that tolerance (the gaps left by "
            "kicks of size eps are mostly wider than it).",
            "",
            "| N | eps | phi | absorbed | steps | Z (tol 0.5 %) | Z (1 %) | Z (2 %) | rattlers (1 %) "
            "| S(q_min) | q_min | slope of S(q), q <= 4 | load |",
            "| ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for r in st.to_dict("records"):
            lines.append(
                f"| {r['n']} | {r['eps']:g} | {r['phi']:g} | {r['absorbed']} | {r['steps']} | "
                f"{r['z_tol0.005']:.2f} | {r['z_tol0.01']:.2f} | {r['z_tol0.02']:.2f} | "
                f"{r['rattlers_tol0.01']:.3f} | {r['s_q_min']:.3g} | {r['q_min']:.3f} | "
                f"{r['s_q_slope_low_q']:.2f} | {r['load']:.1f} |"
            )
        lines.append("")
    scans = sorted((results / "packing_scan").glob("*.csv"))
    if scans:
        s = pd.concat([pd.read_csv(f) for f in scans], ignore_index=True)
        est = estimate_phi_c(s, by=("rule", "n"))
        lines += [
            "## phi_c in d = 3 (BRO and particle SGD, monodisperse, random start)",
            "",
            *_commands(s),
            "| rule | N | seeds | steps (max) | phi_c (fit of f_a^(1/0.84)) | s.e. | phi_c (half the seeds absorbed) | largest phi all absorbed | smallest phi none absorbed | wall time (s) |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for e in est.itertuples():
            part = s[(s.rule == e.rule) & (s.n == e.n)]
            lines.append(
                f"| {e.rule} | {e.n} | {part.seed.nunique()} | {part.steps.max()} | "
                f"{e.phi_c_fit:.4f} | {e.phi_c_fit_se:.4f} | {e.phi_c_half:.4f} | "
                f"{e.phi_absorbed_max:.4f} | {e.phi_active_min:.4f} | {part.wall_s.sum():.0f} |"
            )
        lines += [
            "",
            "phi_c per rule from the best finite-size collapse of f_a over the sizes, with the "
            "d = 3 Manna exponents fixed (`neuroalign.packing.fit_collapse`):",
            "",
        ]
        for rule, part in s.groupby("rule"):
            if part["n"].nunique() > 1:
                phi_c, quality = fit_collapse(part, 3, MANNA_3D)
                lines.append(f"- {rule}: phi_c = {phi_c:.4f} (collapse mismatch {quality:.3g})")
        bro = est[est["rule"].str.startswith("BRO")].copy()
        if bro["rule"].nunique() >= 2:
            bro["eps"] = bro["rule"].str.split("=").str[1].astype(float)
            per_eps = bro.groupby("eps")["phi_c_half"].mean().sort_index()
            (e1, p1), (e2, p2) = list(per_eps.items())[:2]
            limit = p1 - e1 * (p2 - p1) / (e2 - e1)
            lines += [
                "",
                "BRO, phi_c (half absorbed, mean over N) vs kick size: "
                + ", ".join(f"eps = {e:g}: {p:.4f}" for e, p in per_eps.items())
                + f"; a straight line through the two smallest eps reaches {limit:.3f} at "
                "eps = 0 (an extrapolation, assuming phi_c linear in eps).",
            ]
        lines += [
            "",
            "Steady-state active fraction (mean over seeds; 0 = every seed absorbed):",
            "",
        ]
        pivot = s.groupby(["rule", "n", "phi"])["f_active"].mean().unstack("phi")
        lines.append("| rule | N | " + " | ".join(f"{p:g}" for p in pivot.columns) + " |")
        lines.append("| --- | ---: |" + " ---: |" * len(pivot.columns))
        for (rule, n), row in pivot.iterrows():
            lines.append(
                f"| {rule} | {n} | "
                + " | ".join("" if math.isnan(v) else f"{v:.3f}" for v in row)
                + " |"
            )
        lines.append("")
    with atomic_write(path) as handle:
        handle.write("\n".join(lines))


def _floats(text: str) -> list[float]:
    return [float(v) for v in text.split(",") if v]


def _ints(text: str) -> list[int]:
    return [int(v) for v in text.split(",") if v]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--parts",
        default="timing,reference,structure,scan",
        help="comma-separated parts (timing, reference, structure, scan); 'report' alone only "
        "rewrites "
        "packing.md from the tables already in the results folder",
    )
    parser.add_argument("--sizes", type=_ints, default=[1000, 3000, 10000, 30000, 100000])
    parser.add_argument("--eps", type=float, default=0.01, help="kick size of the timing runs")
    parser.add_argument("--steps", type=int, default=50, help="timed steps per size")
    parser.add_argument("--warmup", type=int, default=200, help="steps before timing")
    parser.add_argument("--naive-max", type=int, default=10000, help="largest N for O(N^2)")
    parser.add_argument(
        "--hyperalg",
        type=Path,
        default=os.environ.get("HYPERALG4BRO_REPO"),
        help="checkout of github.com/guanming-zhang/hyperalg4bro",
    )
    parser.add_argument(
        "--scan-rules",
        default="bro:0.02,bro:0.01,sgd:0.01:0.5",
        help="comma-separated bro:EPS or sgd:EPS:B_F (alpha = EPS / B_F); each rule's table is "
        "written to results/packing_scan/<rule>.csv",
    )
    parser.add_argument("--scan-sizes", type=_ints, default=[500, 1000])
    parser.add_argument(
        "--scan-phis",
        type=_floats,
        default=[0.605, 0.61, 0.615, 0.62, 0.6225, 0.625, 0.6275, 0.63, 0.635, 0.64],
    )
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument(
        "--steps-per-eps", type=float, default=400.0, help="step budget of a scan run = this / eps"
    )
    parser.add_argument("--structure-n", type=int, default=2000)
    parser.add_argument("--structure-eps", type=float, default=0.01)
    parser.add_argument("--structure-phis", type=_floats, default=[0.62, 0.6225, 0.625])
    parser.add_argument("--out", type=Path, default=RESULTS / "packing.md")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    results = args.out.parent
    parts = [p.strip() for p in args.parts.split(",")]
    command = "python benchmarks/packing_scaling.py " + " ".join(
        argv if argv is not None else sys.argv[1:]
    )

    def save(table: pd.DataFrame, path: Path) -> None:
        """Write one part's table (with the command that made it) and rebuild packing.md."""
        table = table.assign(command=command)
        if "reference" in path.name:
            table = table.assign(reference_commit=git_commit(Path(args.hyperalg)))
        with atomic_write(path) as handle:
            table.to_csv(handle, index=False)
        write_report(args.out)

    if "timing" in parts:
        table = timing(args.sizes, args.eps, args.steps, args.warmup, args.naive_max)
        save(table, results / "packing_timing.csv")
    if "reference" in parts:
        if args.hyperalg is None:
            print("reference: no --hyperalg checkout given; skipped")
        else:
            table = reference(Path(args.hyperalg), args.sizes, args.eps, args.steps)
            save(table, results / "packing_reference.csv")
    if "structure" in parts:
        table = structure(
            args.structure_n, args.structure_eps, args.structure_phis, args.steps_per_eps
        )
        save(table, results / "packing_structure.csv")
    if "scan" in parts:
        for rule in args.scan_rules.split(","):
            table = scan(rule, args.scan_sizes, args.scan_phis, args.seeds, args.steps_per_eps)
            save(table, results / "packing_scan" / f"{rule.replace(':', '_')}.csv")
    if parts == ["report"]:
        write_report(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
