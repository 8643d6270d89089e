"""Packing dynamics: Biased Random Organization and particle SGD of spheres in a periodic box.

The particle model of Zhang & Martiniani, "Neural manifold packing by stochastic gradient
descent" (SCIENCE.md section 5), the companion of CLAMP: N spheres at volume fraction phi in
d >= 2 dimensions, a hinge pair loss, and two dynamics with an absorbing (L = 0) to active
(L > 0) transition at phi_c (-> 0.64 in d = 3 for small steps, Manna class).

Modules, one concept each: ``box`` (periodic box, radii), ``neighbours`` (cell lists, Verlet
lists), ``loss`` (hinge loss, gradient), ``dynamics`` (BRO, particle SGD), ``observables``
(f_a, L, Z, tau over time), ``structure`` (S(q), g(r), contacts, hexatic order),
``simulation`` (configs, the simulator), ``scan`` (phi_c), ``scaling`` (finite-size scaling),
``noise`` (Eq. 1 / Eq. 3 moments), ``compare`` (BRO vs SGD), ``manifolds`` (the same
observables on a network's augmentation sub-manifolds), ``plots``, ``report`` (CLI workflows). Example::

    from neuroalign.packing import PackingConfig, simulate, ScanConfig, scan_phi, estimate_phi_c
    run = simulate(PackingConfig(d=3, n=2000, phi=0.6, dynamics="sgd", eps=0.02,
                                 batch_fraction=0.5))
    run.absorbed, run.summary()["tau"], run.history      # one row per recorded step
    table = scan_phi(ScanConfig(sizes=(500, 1000), phis=(0.60, 0.62, 0.64), eps=0.02))
    estimate_phi_c(table)                                # phi_c per N
"""

from __future__ import annotations

from neuroalign.packing.box import (
    box_side,
    make_radii,
    minimum_image,
    random_positions,
    sphere_volume,
    volume_fraction,
    wrap,
)
from neuroalign.packing.compare import CompareConfig, CompareResult, compare_dynamics
from neuroalign.packing.dynamics import (
    BRO,
    ParticleSGD,
    batch_size_for,
    bro_displacement,
    sgd_displacement,
)
from neuroalign.packing.loss import (
    Overlaps,
    active_mask,
    find_overlaps,
    hinge_gradient,
    hinge_loss,
    kick_directions,
)
from neuroalign.packing.manifolds import submanifold_packing
from neuroalign.packing.neighbours import (
    Pairs,
    VerletList,
    brute_force_pairs,
    cell_list_pairs,
    neighbour_pairs,
)
from neuroalign.packing.noise import noise_table, predicted_moments, sampled_moments
from neuroalign.packing.observables import overlap_observables, relaxation_time, steady_state
from neuroalign.packing.scaling import (
    MANNA_3D,
    Exponents,
    ScalingConfig,
    collapse_quality,
    fit_collapse,
    scaled_table,
)
from neuroalign.packing.scan import ScanConfig, estimate_phi_c, scan_phi
from neuroalign.packing.simulation import (
    DynamicsConfig,
    PackingConfig,
    PackingRun,
    PackingSimulation,
    packing_config,
    simulate,
)
from neuroalign.packing.structure import (
    bond_order_2d,
    contact_numbers,
    mean_coordination,
    radial_distribution,
    structure_factor,
    structure_factor_exponent,
)

__all__ = [
    "BRO",
    "MANNA_3D",
    "CompareConfig",
    "CompareResult",
    "DynamicsConfig",
    "Exponents",
    "Overlaps",
    "PackingConfig",
    "PackingRun",
    "PackingSimulation",
    "Pairs",
    "ParticleSGD",
    "ScalingConfig",
    "ScanConfig",
    "VerletList",
    "active_mask",
    "batch_size_for",
    "bond_order_2d",
    "box_side",
    "bro_displacement",
    "brute_force_pairs",
    "cell_list_pairs",
    "collapse_quality",
    "compare_dynamics",
    "contact_numbers",
    "estimate_phi_c",
    "find_overlaps",
    "fit_collapse",
    "hinge_gradient",
    "hinge_loss",
    "kick_directions",
    "make_radii",
    "mean_coordination",
    "minimum_image",
    "neighbour_pairs",
    "noise_table",
    "overlap_observables",
    "packing_config",
    "predicted_moments",
    "radial_distribution",
    "random_positions",
    "relaxation_time",
    "sampled_moments",
    "scaled_table",
    "scan_phi",
    "sgd_displacement",
    "simulate",
    "sphere_volume",
    "steady_state",
    "structure_factor",
    "structure_factor_exponent",
    "submanifold_packing",
    "volume_fraction",
    "wrap",
]
