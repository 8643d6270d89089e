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

from neuroalign._lazy import lazy_exports

# names are imported on first use: the configs (``neuroalign.packing.config``) need no torch
__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "box": (
            "box_side",
            "make_radii",
            "minimum_image",
            "random_positions",
            "sphere_volume",
            "volume_fraction",
            "wrap",
        ),
        "compare": ("CompareResult", "compare_dynamics"),
        "config": (
            "CompareConfig",
            "DynamicsConfig",
            "Exponents",
            "MANNA_3D",
            "PackingConfig",
            "ScalingConfig",
            "ScanConfig",
            "packing_config",
        ),
        "dynamics": (
            "BRO",
            "ParticleSGD",
            "batch_size_for",
            "bro_displacement",
            "dynamics_rule",
            "sgd_displacement",
        ),
        "loss": (
            "Overlaps",
            "active_mask",
            "find_overlaps",
            "hinge_gradient",
            "hinge_loss",
            "kick_directions",
        ),
        "manifolds": ("submanifold_packing",),
        "neighbours": (
            "Pairs",
            "VerletList",
            "brute_force_pairs",
            "cell_list_pairs",
            "neighbour_pairs",
        ),
        "noise": ("noise_table", "predicted_moments", "sampled_moments"),
        "observables": ("overlap_observables", "relaxation_time", "steady_state"),
        "scaling": ("collapse_quality", "fit_collapse", "scaled_table"),
        "scan": ("estimate_phi_c", "scan_phi"),
        "simulation": ("PackingRun", "PackingSimulation", "simulate"),
        "structure": (
            "bond_order_2d",
            "contact_numbers",
            "mean_coordination",
            "radial_distribution",
            "structure_factor",
            "structure_factor_exponent",
        ),
    },
)
