"""The ledger (Excel) and the printable map snapshot (PNG/PDF, Chinese text)."""

import io
from datetime import date

import numpy as np
import openpyxl
import pytest

from gridmap import cli
from gridmap.coverage import household_status
from gridmap.io import ledger, spreadsheet
from gridmap.places import Area
from gridmap.policy import Policy
from gridmap.render import snapshot

AS_OF = date(2026, 11, 20)


def _community(store):
    return store.read("grids")["community_id"].value_counts().index[0]


def test_ledger_has_a_sheet_per_tier_with_chinese_headers(small_store):
    area = Area("community", _community(small_store))
    households = small_store.read("households", area=area)
    status = household_status(households, small_store.read("visits"), Policy(), as_of=AS_OF)
    args = (households, status, small_store.read("grids"), small_store.read("workers"),
            small_store.read("assignments"), small_store.read("household_helpers"))
    workbook = openpyxl.load_workbook(io.BytesIO(
        spreadsheet.xlsx_bytes(ledger.ledger_sheets(*args, personal=False))))
    assert workbook.sheetnames == ["红色", "橙色", "黄色", "绿色"]
    headers = [c.value for c in workbook["红色"][1]]
    assert headers == ["代号", "救助类别", "颜色等级", "所属网格", "最近走访", "应访日期",
                       "逾期天数", "责任人"]
    rows = sum(workbook[s].max_row - 1 for s in workbook.sheetnames)
    assert rows == len(households)
    aliases = {r[0].value for s in workbook.sheetnames for r in workbook[s].iter_rows(min_row=2)}
    assert aliases == set(households["alias"])
    text = " ".join(str(c.value) for s in workbook.sheetnames for r in workbook[s].iter_rows()
                    for c in r)
    assert not any(n in text for n in households["head_name"])
    assert not any(n in text for n in households["id_number"])
    full = openpyxl.load_workbook(io.BytesIO(
        spreadsheet.xlsx_bytes(ledger.ledger_sheets(*args, personal=True))))
    assert [c.value for c in full["绿色"][1]][-4:] == ["户主姓名", "身份证号", "联系电话", "住址"]


def test_cli_export_ledger(small_store, tmp_path, capsys):
    out = tmp_path / "台账.xlsx"
    assert cli.main(["export", "ledger", "--scope", f"community:{_community(small_store)}",
                     "--out", str(out), "--store", str(small_store.path)]) == 0
    assert openpyxl.load_workbook(out).sheetnames == ["红色", "橙色", "黄色", "绿色"]
    assert cli.main(["export", "ledger", "--scope", "street:1", "--out", str(out),
                     "--store", str(small_store.path)]) == 2
    assert "per community or grid" in capsys.readouterr().err


def _glyph(char: str) -> np.ndarray:
    """``char`` drawn alone in the snapshot's font, as a grey bitmap."""
    import matplotlib.pyplot as plt
    fig = plt.figure(figsize=(0.6, 0.6), dpi=100)
    fig.text(0.5, 0.5, char, fontproperties=snapshot.cjk_font(), fontsize=30,
             ha="center", va="center")
    fig.canvas.draw()
    pixels = np.asarray(fig.canvas.buffer_rgba())[..., 0].astype(int)
    plt.close(fig)
    return pixels


def test_the_snapshot_font_draws_chinese_glyphs():
    # Missing glyphs all draw as the same empty box: distinct characters must differ.
    net, grid, north = _glyph("网"), _glyph("格"), _glyph("北")
    assert (net < 128).sum() > 40  # ink on the page
    assert (net != grid).sum() > 40 and (grid != north).sum() > 40
    assert "CJK" in snapshot.cjk_font().get_name()


@pytest.mark.parametrize("fmt", ["png", "pdf"])
def test_cli_export_map(small_store, tmp_path, fmt):
    out = tmp_path / f"map.{fmt}"
    assert cli.main(["export", "map", "--indicator", "red_orange", "--out", str(out),
                     "--store", str(small_store.path), "--as-of", "2026-11-20"]) == 0
    data = out.read_bytes()
    if fmt == "png":
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        from PIL import Image
        image = np.asarray(Image.open(io.BytesIO(data)).convert("L"))
        assert image.shape[1] > 1500 and (image < 128).mean() > 0.01  # drawn, not blank
    else:
        assert data[:5] == b"%PDF-" and b"NotoSansCJK" in data.replace(b" ", b"")
