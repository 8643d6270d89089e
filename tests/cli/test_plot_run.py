"""`neuroalign plot-run`: parses, calls save_run_figure, prints the path; errors exit 2."""

from __future__ import annotations

from neuroalign.cli import main


def test_plot_run_writes_the_figure(tmp_path, capsys) -> None:
    (tmp_path / "metrics.csv").write_text(
        "step,loss,packing/embedding/neighbour_count\n10,2.0,30\n20,1.5,\n30,1.2,12\n"
    )
    (tmp_path / "config.yaml").write_text("loss: clamp\n")
    assert main(["plot-run", str(tmp_path)]) == 0
    assert (tmp_path / "dynamics.png").stat().st_size > 5_000
    assert f"wrote {tmp_path / 'dynamics.png'}" in capsys.readouterr().out
    out = tmp_path / "sub" / "f.png"
    assert main(["plot-run", str(tmp_path), str(tmp_path), "--out", str(out)]) == 0
    assert out.is_file()


def test_plot_run_names_a_folder_without_metrics(tmp_path, capsys) -> None:
    assert main(["plot-run", str(tmp_path / "missing")]) == 2
    assert "no metrics.csv" in capsys.readouterr().err
