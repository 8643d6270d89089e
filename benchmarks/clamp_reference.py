"""Compare neuroalign's CLAMP loss with the authors' reference implementation.

The reference is ``LogRepulsiveEllipsoidPackingLossUnitNorm`` in ``model/loss_module.py`` of
github.com/guanming-zhang/clamp (Zhang, Heeger & Martiniani, NeurIPS 2025). Give the path of a
checkout of that repository as the first argument or in ``CLAMP_REFERENCE_REPO``; without one
the script prints a message and exits 0. It

1. evaluates both losses on the same random embeddings (several shapes, r_s values, lw0, and
   tight or loose sub-manifolds so that the overlap mask varies) and reports the largest
   absolute differences of the loss values and of the gradients w.r.t. the embeddings, in
   float64 and float32;
2. times forward + backward of both at batch 512 x 4 views x dim 512 (float32, CPU).

Results go to ``benchmarks/results/clamp_reference.md`` (``--out`` to change).

Usage::

    python benchmarks/clamp_reference.py /path/to/clamp
    CLAMP_REFERENCE_REPO=/path/to/clamp python benchmarks/clamp_reference.py --repeats 5
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

from neuroalign.io import atomic_write
from neuroalign.losses import clamp_loss, submanifold_geometry

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import PROVISIONAL, git_commit, load, results_path, speed_summary

RESULTS = Path(__file__).resolve().parent / "results" / "clamp_reference.md"

# (n_views, batch, dim, r_s, lw0, spread): image i's base embedding lies in a random
# 4-dimensional subspace (so centroid distances vary), its views add spread * noise; the
# spreads are chosen so that 4 % to 72 % of the pairs overlap and some contact distances are
# capped at max_range.
CASES = [
    (2, 64, 128, 1.0, 0.0, 1.0),
    (4, 128, 64, 3.0, 0.0, 0.4),
    (4, 256, 512, 8.5, 0.0, 0.2),
    (8, 64, 32, 8.5, 0.05, 0.3),
    (16, 128, 256, 7.0, 0.0, 0.4),
    (16, 128, 256, 7.0, 0.0, 0.2),
    (3, 50, 2, 0.5, 0.0, 0.5),
]


def load_reference(repo: Path):
    """The reference loss class, loaded straight from its file (no other module of the repo)."""
    path = repo / "model" / "loss_module.py"
    if not path.is_file():
        raise SystemExit(f"{path} not found: is {repo} a checkout of guanming-zhang/clamp?")
    spec = importlib.util.spec_from_file_location("clamp_reference_loss_module", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.LogRepulsiveEllipsoidPackingLossUnitNorm


def make_embeddings(n_views, batch, dim, spread, dtype, seed=0, latent=4) -> torch.Tensor:
    """z (n_views, batch, dim) = base_i + spread * noise, bases in a random latent subspace."""
    gen = torch.Generator().manual_seed(seed)
    loadings = torch.randn(latent, dim, generator=gen, dtype=torch.float64) / latent**0.5
    base = torch.randn(1, batch, latent, generator=gen, dtype=torch.float64) @ loadings
    noise = torch.randn(n_views, batch, dim, generator=gen, dtype=torch.float64)
    return (base + spread * noise).to(dtype)


def reference_loss_and_grad(ref_cls, z, r_s, lw0):
    """Reference value and gradient; it takes preds of shape (n_views * batch, dim), view-major."""
    n_views, batch, dim = z.shape
    leaf = z.clone().requires_grad_(True)
    ref = ref_cls(
        n_views, batch, lw0=lw0, lw1=1.0, rs=r_s, pot_pow=2.0, min_margin=1e-3, max_range=1.5
    )
    # the reference subtracts in place, so hand it a non-leaf copy
    loss = ref(leaf.clone().reshape(n_views * batch, dim), None)
    (grad,) = torch.autograd.grad(loss, leaf)
    return loss.detach(), grad


def ours_loss_and_grad(z, r_s, lw0, compute_dtype=torch.float64):
    leaf = z.clone().requires_grad_(True)
    loss = clamp_loss(leaf, r_s, lw0=lw0, compute_dtype=compute_dtype)
    (grad,) = torch.autograd.grad(loss, leaf)
    return loss.detach(), grad


def compare(ref_cls) -> list[dict]:
    rows = []
    for n_views, batch, dim, r_s, lw0, spread in CASES:
        for dtype in (torch.float64, torch.float32):
            z = make_embeddings(n_views, batch, dim, spread, dtype)
            ref_loss, ref_grad = reference_loss_and_grad(ref_cls, z, r_s, lw0)
            our_loss, our_grad = ours_loss_and_grad(z, r_s, lw0)
            geo = submanifold_geometry(z, r_s)
            contact = (geo.radii[:, None] + geo.radii[None, :] + 1e-6).clamp(max=1.5)
            off = ~torch.eye(batch, dtype=torch.bool)
            overlap = ((geo.distances < contact) & (geo.distances > 1e-3) & off).sum().item()
            row = {
                "shape": f"{n_views}x{batch}x{dim}",
                "r_s": r_s,
                "lw0": lw0,
                "dtype": str(dtype).replace("torch.", ""),
                "overlap": overlap / (batch * (batch - 1)),
                "loss_ref": ref_loss.item(),
                "loss_diff": abs(ref_loss.item() - our_loss.item()),
                "grad_max": ref_grad.abs().max().item(),
                "grad_diff": (ref_grad.double() - our_grad.double()).abs().max().item(),
            }
            if dtype == torch.float32:  # same-precision variant of ours
                loss32, grad32 = ours_loss_and_grad(z, r_s, lw0, compute_dtype=None)
                row["loss_diff_f32"] = abs(ref_loss.item() - loss32.item())
                row["grad_diff_f32"] = (ref_grad - grad32).abs().max().item()
            rows.append(row)
            print(
                f"{row['shape']:>12} r_s={r_s:<4} lw0={lw0:<5} {row['dtype']:<8} "
                f"overlap={row['overlap']:.2f} loss={row['loss_ref']:+.6f} "
                f"|dloss|={row['loss_diff']:.2e} |dgrad|max={row['grad_diff']:.2e}"
            )
    return rows


def time_forward_backward(variants: dict, z: torch.Tensor, repeats: int) -> dict[str, float]:
    """Median seconds of forward + backward per variant; the variants take turns (after one
    warm-up each) so that load from other processes affects them alike."""
    times: dict[str, list[float]] = {name: [] for name in variants}
    for i in range(repeats + 1):
        for name, fn in variants.items():
            leaf = z.clone().requires_grad_(True)
            start = time.perf_counter()
            fn(leaf).backward()
            elapsed = time.perf_counter() - start
            if i > 0:
                times[name].append(elapsed)
    return {name: statistics.median(values) for name, values in times.items()}


def timing(ref_cls, repeats: int) -> dict:
    n_views, batch, dim, r_s = 4, 512, 512, 8.5
    z = make_embeddings(n_views, batch, dim, 0.3, torch.float32, seed=1)
    ref = ref_cls(n_views, batch, lw0=0.0, lw1=1.0, rs=r_s, min_margin=1e-3, max_range=1.5)
    variants = {
        "reference (float32)": lambda x: ref(x.clone().reshape(n_views * batch, dim), None),
        "neuroalign (float64 compute, default)": lambda x: clamp_loss(x, r_s),
        "neuroalign (float32 compute)": lambda x: clamp_loss(x, r_s, compute_dtype=None),
    }
    out = time_forward_backward(variants, z, repeats)
    for name, seconds in out.items():
        print(f"{name:>40}: {seconds * 1e3:8.1f} ms forward+backward")
    return out


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.1e}"


def write_report(
    path: Path, repo: Path, rows: list[dict], times: dict, repeats: int, machine_load: str
) -> None:
    ref_time = times["reference (float32)"]
    lines = [
        "# CLAMP loss: neuroalign vs the reference implementation",
        "",
        f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}",
        f"- device: CPU, {platform.processor() or platform.machine()}, "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads "
        f"({os.cpu_count()} cores visible, shared with other jobs; load average "
        f"{os.getloadavg()[0]:.1f} at the end of the run)",
        f"- command: `python benchmarks/clamp_reference.py {repo} --repeats {repeats}`",
        f"- status: {PROVISIONAL}",
        "- reference: github.com/guanming-zhang/clamp `model/loss_module.py`, "
        "`LogRepulsiveEllipsoidPackingLossUnitNorm` (lw1 = 1, pot_pow = 2, min_margin = 1e-3, "
        f"max_range = 1.5), commit {git_commit(repo)}",
        "- inputs: z = base_i + spread * noise (standard normal), the same tensor to both; "
        "`overlap` = fraction of ordered pairs inside the contact distance",
        "",
        "## Agreement (max absolute differences)",
        "",
        "neuroalign computes in float64 by default (`compute_dtype`); for float32 inputs the "
        "last two columns use `compute_dtype=None` (float32 throughout, like the reference).",
        "",
        "| z shape (m x B x d) | r_s | lw0 | dtype | overlap | reference loss | abs diff loss "
        "| max abs grad | abs diff grad | abs diff loss (f32 compute) "
        "| abs diff grad (f32 compute) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r['shape']} | {r['r_s']} | {r['lw0']} | {r['dtype']} | {r['overlap']:.2f} "
            f"| {r['loss_ref']:.6f} | {r['loss_diff']:.1e} | {r['grad_max']:.1e} "
            f"| {r['grad_diff']:.1e} | {_fmt(r.get('loss_diff_f32'))} "
            f"| {_fmt(r.get('grad_diff_f32'))} |"
        )
    lines += [
        "",
        f"## Forward + backward time, z 4 views x 512 images x 512 dims, float32, median of "
        f"{repeats}",
        "",
        "| implementation | ms | speed-up vs reference |",
        "| --- | --- | --- |",
    ]
    for name, seconds in times.items():
        lines.append(f"| {name} | {seconds * 1e3:.1f} | {ref_time / seconds:.2f}x |")
    lines += [
        "",
        "The reference forms the (B, B, d) tensor of centroid differences; neuroalign uses the "
        "(B, B) Gram matrix (in float64 by default, so no cancellation error). In float64 the "
        "two agree to rounding; with float32 inputs the differences are the reference's own "
        "float32 rounding. With `compute_dtype=None` (float32 Gram matrix) nearly coincident "
        "centroids in very low dimension (the 3x50x2 case) lose about 1e-4 relative accuracy "
        "in the gradient to cancellation, which is why float64 is the default.",
        "",
    ]
    lines += speed_summary(
        [
            ("CLAMP loss, forward + backward", "reference implementation (float32)",
             "4 views x 512 images x 512 dims", ref_time, seconds, machine_load)
            for name, seconds in times.items()
            if name.startswith("neuroalign (float64")
        ]
    )  # fmt: skip
    with atomic_write(path) as handle:
        handle.write("\n".join(lines))
    print(f"wrote {path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "repo",
        nargs="?",
        default=os.environ.get("CLAMP_REFERENCE_REPO"),
        help="checkout of github.com/guanming-zhang/clamp (default: $CLAMP_REFERENCE_REPO)",
    )
    parser.add_argument("--repeats", type=int, default=5, help="timed runs (median reported)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="Markdown report to write")
    parser.add_argument("--quick", action="store_true", help="one timed run")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats = 1
    if not args.repo:
        print(
            "skipped: give the path of a guanming-zhang/clamp checkout as an argument or in "
            "CLAMP_REFERENCE_REPO"
        )
        return 0
    repo = Path(args.repo).resolve()
    ref_cls = load_reference(repo)
    rows = compare(ref_cls)
    before = load()
    times = timing(ref_cls, args.repeats)
    out = results_path(args.out, RESULTS, args.quick)
    write_report(out, repo, rows, times, args.repeats, f"{before} -> {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
