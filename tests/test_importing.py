"""Importing ledgers: row-level reports, normalised values, all or nothing, idempotent,
undoable (gridmap.io.importing), on fixtures made here."""

import io
import json
from datetime import date

import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely

from gridmap import cli
from gridmap.errors import ValidationError
from gridmap.io import importing

from .conftest import fingerprint

TODAY = date(2026, 11, 22)
GOOD_ID = "11010519491231002X"  # a valid check digit


def valid_id(n: int) -> str:
    """An 18-character ID number with a correct check digit."""
    body = f"3211021980{n:07d}"
    total = sum(int(d) * w for d, w in zip(body, importing._ID_WEIGHTS, strict=True))
    return body + importing._ID_CHECK[total % 11]


def ledger_xlsx(rows, *, title=True) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    if title:
        sheet.append(["丹徒区困难家庭台账（2026年11月）"])
        sheet.merge_cells("A1:J1")
        sheet.append([])
    sheet.append(["户主姓名", "身份证号", "联系电话", "住址", "所属网格", "颜色等级",
                  "救助类别", "家庭人口", "经度", "纬度"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _grids(store):
    grids = store.read("grids").sort_values("grid_id")
    return grids.iloc[0], grids.iloc[1]


def test_a_messy_ledger_is_refused_row_by_row_and_writes_nothing(any_store, tmp_path):
    g0, _ = _grids(any_store)
    inside = g0.geometry.representative_point()
    path = tmp_path / "台账.xlsx"
    path.write_bytes(ledger_xlsx([
        ["张三", GOOD_ID, "13812345678", "一号", g0.grid_id, "红色等级", "低保", 2,
         inside.x, inside.y],                                                    # row 4: fine
        ["李四", GOOD_ID[:-1] + "1", "", "二号", g0.grid_id, "2", "特困", 1, None, None],
        ["王五", 110105194912310000, "", "三号", g0.grid_id, "黄", "", 3, None, None],
        ["赵六", valid_id(1), "", "四号", g0.grid_id, "紫色", "", 1, None, None],
        ["钱七", GOOD_ID, "", "五号", g0.grid_id, "green", "", 1, 100.0, 20.0],
        ["孙八", valid_id(2), "", "六号", "nope", "绿", "", 1, None, None],
    ]))
    before = fingerprint(any_store)
    prepared = importing.prepare("households", path, path.name, store=any_store, as_of=TODAY)
    assert prepared.header_row == 3  # the title and the blank row are skipped
    errors = {(p.row, p.column): p.reason for p in prepared.errors}
    assert "check digit" in errors[(5, "id_number")]
    assert "stored as a number" in errors[(6, "id_number")]
    assert "not a tier" in errors[(7, "tier")]
    assert "repeats row 4" in errors[(8, "id_number")]
    assert "no grid 'nope'" in errors[(9, "grid_id")]
    assert all(p.file == "台账.xlsx" for p in prepared.problems)
    warnings = {(p.row, p.column): p.reason for p in prepared.warnings}
    assert "outside its grid" in warnings[(8, "lon")]
    with pytest.raises(ValidationError, match="nothing written"):
        importing.commit(any_store, prepared, by="test")
    assert fingerprint(any_store) == before


def test_a_clean_ledger_imports_once_and_undoes(any_store, tmp_path):
    g0, g1 = _grids(any_store)
    inside = g0.geometry.representative_point()
    rows = [["张三", valid_id(10), "13812345678", "一号", g0.grid_id, "红色", "低保;特困", 2,
             inside.x, inside.y],
            ["李四", valid_id(11), "", "二号", g1.grid_id, "2", "", 1, None, None],
            ["王五", valid_id(12), "", "三号", g1.grid_id, "yellow", "", 3, None, None]]
    path = tmp_path / "ledger.xlsx"
    path.write_bytes(ledger_xlsx(rows))
    households_before = len(any_store.read("households"))
    data = ("households", "tier_changes")

    def content():
        return {layer: any_store.read(layer).drop(columns="geometry", errors="ignore")
                .sort_values(list(any_store.read(layer).columns[:2])).reset_index(drop=True)
                for layer in data}

    start = content()
    prepared = importing.prepare("households", path, path.name, store=any_store, as_of=TODAY)
    assert not prepared.errors
    first = importing.commit(any_store, prepared, by="test")
    households = any_store.read("households").set_index("id_number")
    assert len(households) == households_before + 3
    assert households.loc[valid_id(10), "tier"] == "red"
    assert households.loc[valid_id(11), "tier"] == "orange"
    assert households.loc[valid_id(10), "location_quality"] == "exact"
    assert households.loc[valid_id(11), "location_quality"] == "approximate"
    assert households.loc[valid_id(10), "categories"] == "低保;特困"
    new_ids = set(households.loc[[valid_id(n) for n in (10, 11, 12)], "household_id"])
    history = any_store.read("tier_changes")
    assert set(history.loc[history["household_id"].isin(new_ids), "to_tier"]) == {
        "red", "orange", "yellow"}
    after_first = content()
    # The same file again: nothing changes.
    again = importing.prepare("households", path, path.name, store=any_store, as_of=TODAY)
    second = importing.commit(any_store, again, by="test")
    log = any_store.read("imports").set_index("import_id")
    assert (log.at[first, "inserted"], log.at[first, "updated"]) == (6, 0)  # + history
    assert (log.at[second, "inserted"], log.at[second, "updated"]) == (0, 0)
    for layer in data:
        pd.testing.assert_frame_equal(content()[layer], after_first[layer])
    # A changed tier updates the row and adds its history; undo takes it all back.
    rows[2][5] = "红"
    path.write_bytes(ledger_xlsx(rows))
    third = importing.commit(any_store, importing.prepare(
        "households", path, path.name, store=any_store, as_of=TODAY), by="test")
    assert any_store.read("households").set_index("id_number").at[valid_id(12), "tier"] == "red"
    for import_id in (third, second, first):
        any_store.undo_import(import_id)
    for layer in data:
        pd.testing.assert_frame_equal(content()[layer], start[layer])
    with pytest.raises(ValidationError, match="undone already"):
        any_store.undo_import(first)


def test_visits_from_gbk_csv_with_serial_dates_and_chinese_methods(small_store, tmp_path):
    hh = small_store.read("households")["household_id"].iloc[0]
    worker = small_store.read("workers")["worker_id"].iloc[0]
    text = ("户编号,网格员编号,走访日期,走访方式,走访情况,发现新困难\n"
            f"{hh},{worker},46346,上门,老人身体稳定,否\n"            # Excel serial: 2026-11-20
            f"{hh},{worker},2026年11月21日,电话,电话问候,是\n"
            f"{hh},{worker},2026/11/22 9:30,微信,视频聊天,否\n"
            f"{hh},{worker},明天,入户,,否\n"
            f"{hh},{worker},2026-11-22,飞鸽传书,,否\n")
    path = tmp_path / "visits.csv"
    path.write_bytes(text.encode("gbk"))
    prepared = importing.prepare("visits", path, path.name, store=small_store, as_of=TODAY)
    errors = {(p.row, p.column) for p in prepared.errors}
    assert errors == {(5, "visited_at"), (6, "method")}
    good = path.read_bytes().decode("gbk").splitlines()[:4]
    path.write_bytes("\n".join(good).encode("gbk"))
    prepared = importing.prepare("visits", path, path.name, store=small_store, as_of=TODAY)
    visits = prepared.frames["visits"]
    assert list(visits["method"]) == ["door", "phone", "online"]
    assert list(visits["visited_at"].dt.strftime("%Y-%m-%d %H:%M")) == [
        "2026-11-20 00:00", "2026-11-21 00:00", "2026-11-22 09:30"]
    assert list(visits["found_difficulty"]) == [False, True, False]


def test_a_saved_mapping_reads_unusual_headers_and_points_find_one_grid(small_store, tmp_path):
    g0, g1 = _grids(small_store)
    shared = shapely.intersection(g0.geometry, g1.geometry)
    text = "人名,证件,居住,色,X,Y\n"
    if shared.length > 0:  # a point exactly on the edge two grids share
        on_edge = shared.interpolate(0.5, normalized=True)
        text += f"周九,{valid_id(20)},七号,橙色,{on_edge.x!r},{on_edge.y!r}\n"
    inside = g1.geometry.representative_point()
    text += f"吴十,{valid_id(21)},八号,绿色,{inside.x!r},{inside.y!r}\n"
    path = tmp_path / "odd.csv"
    path.write_text(text, encoding="utf-8-sig")
    with pytest.raises(ValidationError, match="no header row"):
        importing.prepare("households", path, path.name, store=small_store)
    mapping = {"人名": "head_name", "证件": "id_number", "居住": "address", "色": "tier",
               "X": "lon", "Y": "lat"}
    saved = tmp_path / "mapping.json"
    importing.save_mapping(mapping, saved)
    prepared = importing.prepare("households", path, path.name, store=small_store,
                                 mapping=importing.load_mapping(saved))
    assert not prepared.errors
    grids = prepared.frames["households"].set_index("id_number")["grid_id"]
    assert grids[valid_id(21)] == g1.grid_id
    if shared.length > 0:
        assert grids[valid_id(20)] == min(g0.grid_id, g1.grid_id)  # exactly one


def test_cli_import_dry_run_commit_and_undo(small_store, tmp_path, capsys):
    g0, _ = _grids(small_store)
    path = tmp_path / "ledger.xlsx"
    path.write_bytes(ledger_xlsx([["郑一", valid_id(30), "", "九号", g0.grid_id, "橙", "",
                                   1, None, None]]))
    store = ["--store", str(small_store.path), "--as-of", "2026-11-22"]
    before = fingerprint(small_store)
    assert cli.main(["import", "households", str(path), "--dry-run", *store]) == 0
    assert "1 accepted, 0 errors, 1 warnings" in capsys.readouterr().err
    assert fingerprint(small_store) == before
    assert cli.main(["import", "households", str(path), *store,
                     "--save-mapping", str(tmp_path / "m.json")]) == 0
    import_id = capsys.readouterr().out.strip()
    assert json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))["颜色等级"] == "tier"
    assert valid_id(30) in set(small_store.read("households")["id_number"])
    assert cli.main(["import", "undo", import_id, "--store", str(small_store.path)]) == 0
    assert valid_id(30) not in set(small_store.read("households")["id_number"])
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(ledger_xlsx([["郑二", "123", "", "十号", g0.grid_id, "橙", "", 1, None,
                                  None]]))
    assert cli.main(["import", "households", str(bad), *store]) == 2
    err = capsys.readouterr().err
    assert "bad.xlsx, row 4, column id_number" in err and "nothing written" in err


def test_workers_with_their_grids(small_store, tmp_path):
    grid = small_store.read("grids")["grid_id"].iloc[0]
    holder = small_store.read("assignments").query(
        "grid_id == @grid and role == 'primary'")["worker_id"].iloc[0]
    text = ("人员编号,姓名,人员类型,负责网格,职责,网格长编号\n"
            f"WNEW1,新网格员,兼职,{grid},协助,{holder}\n"
            f"WNEW2,新专职,专职,{grid},,\n"                       # would be a second primary
            "WNEW3,新志愿者,志愿者,,,WNOBODY\n")                  # unknown chief
    path = tmp_path / "workers.csv"
    path.write_text(text, encoding="utf-8-sig")
    prepared = importing.prepare("workers", path, path.name, store=small_store)
    errors = {(p.row, p.column): p.reason for p in prepared.errors}
    assert "already has the primary worker" in errors[(3, "grid_id")]
    assert "no worker 'WNOBODY'" in errors[(4, "chief_id")]
    path.write_text("\n".join(text.splitlines()[:2]) + "\n", encoding="utf-8-sig")
    prepared = importing.prepare("workers", path, path.name, store=small_store)
    importing.commit(small_store, prepared, by="test")
    workers = small_store.read("workers").set_index("worker_id")
    assert workers.at["WNEW1", "kind"] == "part_time" and workers.at["WNEW1", "capacity"] == 0.4
    mine = small_store.read("assignments").query("worker_id == 'WNEW1'")
    assert mine[["grid_id", "role"]].values.tolist() == [[grid, "backup"]]


def test_large_files_report_progress(small_store, tmp_path, monkeypatch):
    from gridmap.store import Transaction
    monkeypatch.setattr(Transaction, "chunk", 5_000)  # written in chunks, reported
    grid = small_store.read("grids")["grid_id"].iloc[0]
    lines = ["户主姓名,身份证号,住址,所属网格,颜色等级"]
    lines += [f"户{i},{valid_id(100 + i)},地址,{grid},绿" for i in range(12_000)]
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    heard = []
    prepared = importing.prepare("households", path, path.name, store=small_store,
                                 progress=lambda f, m: heard.append((f, m)))
    assert not prepared.errors and len(prepared.frames["households"]) == 12_000
    fractions = [f for f, _ in heard]
    assert fractions == sorted(fractions) and 0 < fractions[0] < 1 and len(heard) >= 2
    written, before = [], small_store.version()
    importing.commit(small_store, prepared, by="test",
                     progress=lambda f, m: written.append((f, m)))
    assert small_store.version() != before  # caches see the import
    households = [f for f, m in written if m.endswith("households")]
    assert households == sorted(households) and households[-1] == 1.0 and len(households) == 3
    assert len(small_store.read("households").query("address == '地址'")) == 12_000
    # Written in bulk, the spatial index and QGIS's feature count still agree.
    import sqlite3
    total = len(small_store.read("households"))
    con = sqlite3.connect(small_store.path)
    assert con.execute("SELECT count(*) FROM rtree_households_geom").fetchone()[0] == total
    con.close()
    assert pyogrio.read_info(small_store.path, layer="households")["features"] == total
    con = sqlite3.connect(small_store.path)  # and its triggers are back in place
    assert con.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = "
                       "'gridmap_bump_households_insert'").fetchone()[0] == 1
    con.close()
    found = pyogrio.read_dataframe(small_store.path, layer="households",
                                   bbox=tuple(small_store.read("grids").set_index("grid_id")
                                              .geometry[grid].bounds))
    assert (found["address"] == "地址").sum() == 12_000  # found through the R-tree


def test_one_vocabulary_household_categories_take_the_case_categories(small_store, tmp_path):
    """因病 and 因残 are case categories; a ledger tags households with them too. An
    unknown category is refused with every allowed value named, in Chinese in full."""
    from gridmap import schema
    from gridmap.reasons import reason_text
    assert set(schema.CASE_CATEGORIES) <= set(schema.HOUSEHOLD_CATEGORIES)
    assert set(schema.CATEGORIES) <= set(schema.HOUSEHOLD_CATEGORIES)
    g0, _ = _grids(small_store)
    path = tmp_path / "ledger.xlsx"
    path.write_bytes(ledger_xlsx([
        ["张三", valid_id(20), "", "一号", g0.grid_id, "红", "低保;因病", 2, None, None],
        ["李四", valid_id(21), "", "二号", g0.grid_id, "橙", "因残、独居老人", 1, None, None],
        ["王五", valid_id(22), "", "三号", g0.grid_id, "黄", "因穷", 1, None, None]]))
    prepared = importing.prepare("households", path, path.name, store=small_store,
                                 as_of=TODAY)
    assert [(p.row, p.column) for p in prepared.errors] == [(6, "categories")]
    reason = reason_text(prepared.errors[0].reason, "zh")
    assert reason.startswith("未知的救助类别 '因穷'；可选：")
    assert all(c in reason for c in schema.HOUSEHOLD_CATEGORIES)  # none cut off
    path.write_bytes(ledger_xlsx([
        ["张三", valid_id(20), "", "一号", g0.grid_id, "红", "低保;因病", 2, None, None],
        ["李四", valid_id(21), "", "二号", g0.grid_id, "橙", "因残、独居老人", 1, None, None]]))
    importing.commit(small_store, importing.prepare(
        "households", path, path.name, store=small_store, as_of=TODAY), by="test")
    households = small_store.read("households").set_index("id_number")
    assert households.loc[valid_id(20), "categories"] == "低保;因病"
    assert households.loc[valid_id(21), "categories"] == "因残;独居老人"


@pytest.mark.parametrize(("cell", "text"), [
    (" 王大 ", "王大"), (1234.0, "1234"), ("320102.0", "320102"), (1.5, "1.5"),
    ("", None), ("   ", None), (None, None), (float("nan"), None)])
def test_a_cell_as_text(cell, text):
    """The one reading of a cell as text, shared by the ledger and service-record imports:
    stripped, a whole number read as a float without its ``.0``, empty as ``None``."""
    assert importing.cell_text(cell) == text
