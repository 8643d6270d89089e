"""neuroalign.data.inventory: the table of `neuroalign data list`; fetch and check one set."""

from __future__ import annotations

from neuroalign.data import DATASETS
from neuroalign.data.inventory import datasets_table, fetch_and_check


def test_table_lists_every_data_set():
    table = datasets_table()
    assert table["name"].tolist() == [ds.name for ds in DATASETS.values()]
    assert list(table.columns) == ["name", "files", "cached", "description"]
    assert (table["cached"] <= table["files"]).all()


def test_fetch_and_check_describes_the_content(shared_data):
    line = fetch_and_check("kriegeskorte2008")
    assert line.startswith("kriegeskorte2008: ") and "92 images" in line
    assert "monkey_IT" in line
