"""neuroalign.demo: its summary joins the per-step tables by model and layer.

The demo itself runs every stage for minutes (`make demo`); here its parts are checked on
small tables of the shapes the stages write.
"""

from __future__ import annotations

import pandas as pd
import pytest

from neuroalign.cli import main
from neuroalign.demo import DemoConfig, _flags, summarise


def _write(out, name, v4, it, pr):
    (out / "score" / name).mkdir(parents=True, exist_ok=True)
    (out / "rsa" / name).mkdir(parents=True, exist_ok=True)
    (out / "geometry" / name).mkdir(parents=True, exist_ok=True)
    layers = ["layer1", "layer2"]
    pd.DataFrame({"layer": layers, "score": v4}).to_csv(out / "score" / name / "scores.csv")
    pd.DataFrame(
        {
            "layer": layers * 2,
            "reference": ["monkey_IT"] * 2 + ["human_IT"] * 2,
            "score": it,
        }
    ).to_csv(out / "rsa" / name / "rsa_scores.csv")
    pd.DataFrame({"layer": layers, "pr_global": pr, "class_capacity": [0.1, 0.2]}).to_csv(
        out / "geometry" / name / "summary.csv"
    )


def test_summary_has_one_row_per_model_and_layer(tmp_path):
    _write(tmp_path, "clamp", [0.3, 0.4], [0.1, 0.2, 0.3, 0.4], [5.0, 6.0])
    _write(tmp_path, "init", [0.2, 0.1], [0.0, 0.1, 0.2, 0.3], [2.0, 3.0])
    table = summarise(tmp_path, ["clamp", "init"])
    assert list(table[["model", "layer"]].itertuples(index=False, name=None)) == [
        ("clamp", "layer1"),
        ("clamp", "layer2"),
        ("init", "layer1"),
        ("init", "layer2"),
    ]
    row = table[(table.model == "clamp") & (table.layer == "layer2")].iloc[0]
    assert row.V4_r == 0.4 and row.IT_rsa_monkey_IT == 0.2 and row.IT_rsa_human_IT == 0.4
    assert row.pr_global == 6.0 and row.class_capacity == 0.2
    assert (tmp_path / "summary.csv").is_file()


def test_demo_help_lists_the_stages(capsys):
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    text = capsys.readouterr().out
    for stage in ("train", "probe", "register", "score", "rsa", "geometry"):
        assert stage in text


def test_flags_spell_options_as_the_cli_does(tmp_path):
    assert _flags(n_images=3, out=tmp_path, select_v4=True) == [
        "--n-images",
        "3",
        "--out",
        str(tmp_path),
        "--select-v4",
    ]


def test_demo_flags_resolve_to_its_config(tmp_path):
    from neuroalign.cli import build_parser
    from neuroalign.config import config_from_args

    args = build_parser(["demo"]).parse_args(["demo", "--train-steps", "3", "--no-install"])
    cfg = config_from_args(DemoConfig, args)
    assert cfg == DemoConfig(train_steps=3, install=False)
