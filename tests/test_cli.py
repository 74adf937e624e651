import subprocess
import sys
from datetime import date

import pytest

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


def test_report_coverage_formats_agree(tmp_path, small_store, capsys):
    import json

    import openpyxl
    import pandas as pd
    store = str(small_store.path)
    args = ["report", "coverage", "--level", "street", "--as-of", "2026-11-20", "--store", store]
    assert cli.main([*args, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert cli.main([*args, "--format", "csv", "--out", str(tmp_path / "c.csv")]) == 0
    csv = pd.read_csv(tmp_path / "c.csv", dtype={"area_id": str}, encoding="utf-8-sig")
    assert cli.main([*args, "--format", "xlsx", "--out", str(tmp_path / "c.xlsx")]) == 0
    sheet = openpyxl.load_workbook(tmp_path / "c.xlsx").active
    header = [c.value for c in sheet[1]]
    assert header[:6] == ["area_id", "name", "households", "covered", "overdue", "coverage_pct"]
    assert len(rows) == len(csv) == sheet.max_row - 1 == 3
    assert [r["households"] for r in rows] == csv["households"].tolist()
    hh = small_store.read("households")
    assert sum(r["households"] for r in rows) == len(hh)
    for r in rows:
        assert r["covered"] + r["overdue"] == r["households"]
        assert r["coverage_pct"] == pytest.approx(100 * r["covered"] / r["households"])


def test_report_levels_sum_to_the_whole(small_store, capsys):
    import json
    totals = {}
    for level in ("district", "street", "community", "grid"):
        assert cli.main(["report", "coverage", "--level", level, "--as-of", "2026-11-20",
                         "--format", "json", "--store", str(small_store.path)]) == 0
        rows = json.loads(capsys.readouterr().out)
        totals[level] = (sum(r["households"] for r in rows), sum(r["covered"] for r in rows))
    assert len(set(totals.values())) == 1  # every level adds up to the same city totals
    communities = small_store.read("areas").query("level == 'community'")
    assert cli.main(["report", "coverage", "--level", "community", "--format", "json",
                     "--store", str(small_store.path)]) == 0
    assert len(json.loads(capsys.readouterr().out)) == len(communities)  # empty ones listed too


def test_report_xlsx_needs_out(small_store, capsys):
    assert cli.main(["report", "coverage", "--format", "xlsx",
                     "--store", str(small_store.path)]) == 2
    assert "--out" in capsys.readouterr().err


def test_report_cases_and_needs(small_store, capsys):
    import json

    from gridmap.casework import case_state
    from gridmap.policy import load_policy
    path = str(small_store.path)
    assert cli.main(["report", "cases", "--level", "grid", "--as-of", "2026-11-20", "--format",
                     "json", "--store", path]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert set(rows[0]) == {"area_id", "name", "reported", "open", "overdue", "closed",
                            "followed_up", "median_days_to_close"}
    state = case_state(small_store.read("cases"), load_policy(), as_of=date(2026, 11, 20))
    assert sum(r["open"] for r in rows) == state["is_open"].sum() > 0
    assert sum(r["overdue"] for r in rows) == state["overdue"].sum()
    assert len(rows) == len(small_store.read("grids"))
    assert cli.main(["report", "needs", "--level", "category", "--as-of", "2026-11-20",
                     "--store", path]) == 0
    header, *lines = capsys.readouterr().out.splitlines()
    assert header.split(",")[:5] == ["category", "posted", "claimed", "delivered", "confirmed"]
    assert sum(int(line.split(",")[1]) for line in lines) == len(small_store.read("needs"))


@pytest.mark.parametrize("report", [
    ["report", "coverage", "--level", "community"], ["report", "cases", "--level", "street"],
    ["report", "needs", "--level", "category"], ["report", "workload"],
    ["report", "hotspots", "--indicator", "red_orange", "--permutations", "99"]])
def test_every_report_is_the_same_from_either_backend(any_store, _small_store_template,
                                                     capsys, report):
    args = [*report, "--as-of", "2026-11-20"]
    assert cli.main([*args, "--store", str(_small_store_template)]) == 0
    expected = capsys.readouterr().out
    assert cli.main([*args, "--store", any_store.url]) == 0
    assert capsys.readouterr().out == expected
