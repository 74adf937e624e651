import subprocess
import sys

from gridmap import cli
from gridmap.store import open_store


def test_init_then_refuse_to_overwrite(tmp_path, capsys):
    path = tmp_path / "s.gpkg"
    assert cli.main(["init", "--store", str(path)]) == 0
    assert open_store(path).exists()
    assert cli.main(["init", "--store", str(path)]) == 2
    assert "refusing" in capsys.readouterr().err


def test_demo_and_info(tmp_path, capsys):
    path = tmp_path / "d.gpkg"
    assert cli.main(["demo", "--scale", "small", "--seed", "3", "--as-of", "2026-11-20",
                     "--store", str(path)]) == 0
    assert "40 grids" in capsys.readouterr().out
    assert open_store(path).meta()["demo_seed"] == "3"
    assert cli.main(["info", "--store", str(path)]) == 0
    out = capsys.readouterr().out
    assert "grids                      40" in out and "meta.as_of = 2026-11-20" in out


def test_store_from_environment(tmp_path, monkeypatch):
    path = tmp_path / "env.gpkg"
    monkeypatch.setenv("GRIDMAP_STORE", str(path))
    assert cli.main(["init"]) == 0
    assert path.exists()


def test_errors_are_one_line_and_exit_2(tmp_path, capsys):
    assert cli.main(["info", "--store", str(tmp_path / "missing.gpkg")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "not a gridmap store" in err


def test_module_entry_point_and_schema():
    done = subprocess.run([sys.executable, "-m", "gridmap", "schema"], capture_output=True,
                          text=True, check=True)
    assert "## `households` (Point layer)" in done.stdout


def test_schema_doc_is_current():
    from pathlib import Path

    from gridmap.schema import schema_markdown
    assert Path("docs/schema.md").read_text(encoding="utf-8").strip() == schema_markdown().strip()
