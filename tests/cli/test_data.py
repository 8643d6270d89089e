"""`neuroalign data`: list the data sets, fetch one, refuse an unknown name."""

from __future__ import annotations

from neuroalign.cli import main


def test_data_list_and_fetch(capsys):
    assert main(["data", "list"]) == 0
    out = capsys.readouterr().out
    assert "cowley2023" in out and "kriegeskorte2008" in out
    assert main(["data", "fetch", "kriegeskorte2008"]) == 0
    assert "92 images" in capsys.readouterr().out
    assert main(["data", "fetch", "nonsense"]) == 2
