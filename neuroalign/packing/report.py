"""Workflows behind ``neuroalign packing run|scan|fss|compare``: run, then write tables,
figures and the resolved config into one folder.

Each function returns what the command prints; the folder is written by
:func:`neuroalign.provenance.write_report` (run.json with versions, command and config; every
file atomically), as the other commands' result folders are.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from neuroalign.io import atomic_path
from neuroalign.packing.compare import CompareResult, compare_dynamics
from neuroalign.packing.config import CompareConfig, PackingConfig, ScalingConfig, ScanConfig
from neuroalign.packing.plots import (
    plot_activity,
    plot_collapse,
    plot_history,
    plot_noise,
    plot_structure,
)
from neuroalign.packing.scaling import collapse_quality, fit_collapse, scaled_table
from neuroalign.packing.scan import estimate_phi_c, scan_phi
from neuroalign.packing.simulation import simulate
from neuroalign.packing.structure import (
    mean_coordination,
    radial_distribution,
    structure_factor,
)
from neuroalign.provenance import run_record, write_report

__all__ = ["compare_report", "fss_report", "run_packing", "run_report", "scan_report"]


def _write(
    out: str | Path, config: Any, analysis: str, tables: dict, figures: dict, **fields: Any
) -> None:
    """The result folder of one action, through the project's one writer of result folders:
    run.json (versions, command, config, ``fields``), the tables, the figures, config.yaml."""
    record = run_record(config, analysis=f"packing {analysis}", **fields)
    write_report(out, record, tables, figures, config)


def run_report(
    config: PackingConfig, out: str | Path, *, progress: bool = True, structure: bool = True
) -> dict[str, Any]:
    """Simulate ``config``; write history.csv, summary.csv, final.npz (positions, radii,
    side), history.png, config.yaml and, with ``structure``, structure_factor.csv,
    radial_distribution.csv and structure.png. Returns the summary row (plus the
    coordination of the final configuration with contacts at 1 % tolerance, rattlers
    removed)."""
    out = Path(out)
    run = simulate(config, progress=progress)
    summary = run.summary()
    coordination = mean_coordination(
        run.positions, run.radii, run.side, tolerance=0.01, remove_rattlers=True
    )
    summary["z_contacts_1pct"] = coordination["z"]
    summary["rattler_fraction"] = coordination["rattler_fraction"]
    label = f"{config.dynamics.upper()} d={config.d} N={config.n} phi={config.phi}"
    tables = {"history": run.history, "summary": pd.DataFrame([summary])}
    figures = {"history": plot_history(run.history, title=label)}
    if structure:
        sq = structure_factor(run.positions, run.side)
        gr = radial_distribution(run.positions, run.side)
        tables.update(structure_factor=sq, radial_distribution=gr)
        figures["structure"] = plot_structure(sq, gr, title=f"{label}, final configuration")
    _write(out, config, "run", tables, figures, summary=summary)
    with atomic_path(out / "final.npz", suffix=".npz") as tmp:
        np.savez(tmp, positions=run.positions.numpy(), radii=run.radii.numpy(), side=run.side)
    return summary


def scan_report(config: ScanConfig, out: str | Path, *, progress: bool = True) -> pd.DataFrame:
    """phi scan of ``config``; writes scan.csv, phi_c.csv, activity.png, config.yaml and
    returns the phi_c table."""
    out = Path(out)
    table = scan_phi(config, progress=progress)
    phi_c = estimate_phi_c(table, beta=config.beta, f_max=config.f_max)
    best = float(phi_c["phi_c_fit"].iloc[-1]) if len(phi_c) else math.nan
    title = f"{config.dynamics.upper()} d={config.d}, steady-state activity"
    figures = {"activity": plot_activity(table, best, title=title)}
    _write(
        out,
        config,
        "scan",
        {"scan": table, "phi_c": phi_c},
        figures,
        phi_c=phi_c.to_dict("records"),
    )
    return phi_c


def fss_report(config: ScalingConfig, out: str | Path, *, progress: bool = True) -> dict[str, Any]:
    """phi scan + finite-size scaling; writes scan.csv, phi_c.csv, scaled.csv, activity.png,
    collapse.png, config.yaml. phi_c is ``config.phi_c`` or, when 0, the best collapse."""
    out = Path(out)
    table = scan_phi(config, progress=progress)
    estimates = estimate_phi_c(table, beta=config.beta, f_max=config.f_max)
    exponents = config.exponents
    if config.phi_c > 0:
        phi_c = config.phi_c
        quality = collapse_quality(scaled_table(table, phi_c, config.d, exponents))
    else:
        phi_c, quality = fit_collapse(table, config.d, exponents)
    scaled = scaled_table(table, phi_c, config.d, exponents)
    title = f"{config.dynamics.upper()} d={config.d}, steady-state activity"
    figures = {
        "activity": plot_activity(table, phi_c, title=title),
        "collapse": plot_collapse(scaled, exponents, phi_c, config.d),
    }
    tables = {"scan": table, "phi_c": estimates, "scaled": scaled}
    _write(out, config, "fss", tables, figures, phi_c=phi_c, collapse_quality=quality)
    return {"phi_c": phi_c, "collapse_quality": quality, "estimates": estimates}


def compare_report(
    config: CompareConfig, out: str | Path, *, progress: bool = True
) -> CompareResult:
    """BRO vs matched SGD; writes scan.csv, phi_c.csv, noise.csv, activity.png, noise.png,
    config.yaml."""
    out = Path(out)
    result = compare_dynamics(config, progress=progress)
    largest = result.scan[result.scan["n"] == max(config.sizes)]
    title = f"BRO vs particle SGD (alpha = eps / b_f), d={config.d}, N={max(config.sizes)}"
    figures = {
        "activity": plot_activity(largest, by="rule", title=title),
        "noise": plot_noise(result.noise),
    }
    tables = {"scan": result.scan, "phi_c": result.phi_c, "noise": result.noise}
    _write(out, config, "compare", tables, figures, phi_c=result.phi_c.to_dict("records"))
    return result


def _table(table: pd.DataFrame, fmt: str = ".4f") -> str:
    return table.to_string(index=False, float_format=lambda v: f"{v:{fmt}}")


def run_packing(
    action: str,
    config: PackingConfig | ScanConfig | ScalingConfig | CompareConfig,
    out: str | Path,
    *,
    progress: bool = True,
    structure: bool = True,
) -> str:
    """``neuroalign packing ACTION`` as one call: run ``action`` (``run``, ``scan``, ``fss`` or
    ``compare``, with its config) into ``out`` and return the summary the command prints."""
    if action == "run":
        summary = run_report(config, out, progress=progress, structure=structure)
        state = "absorbed (L = 0)" if summary["absorbed"] else "active"
        return (
            f"{config.dynamics.upper()} d={config.d} N={config.n} phi={config.phi}: {state} "
            f"after {summary['steps']} steps ({summary['steps_per_s']:.0f} steps/s); steady "
            f"state f_a={summary['f_active']:.4f} L={summary['loss']:.4g} "
            f"Z={summary['z']:.3f}; tau={summary['tau']:.0f}; wrote {out}"
        )
    if action == "scan":
        return f"{_table(scan_report(config, out, progress=progress))}\nwrote {out}"
    if action == "fss":
        result = fss_report(config, out, progress=progress)
        return (
            f"{_table(result['estimates'])}\ncollapse with beta={config.beta}, "
            f"nu_par={config.nu_parallel}, nu_perp={config.nu_perp}: "
            f"phi_c={result['phi_c']:.4f} (quality {result['collapse_quality']:.3g}, "
            f"0 = perfect); wrote {out}"
        )
    if action == "compare":
        result = compare_report(config, out, progress=progress)
        return f"{_table(result.phi_c)}\n{_table(result.noise, '.4g')}\nwrote {out}"
    raise ValueError(f"unknown packing action {action!r}; valid: run, scan, fss, compare")
