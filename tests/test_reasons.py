"""Errors as pages show them: where and why, in the page's language."""

from datetime import datetime

import pandas as pd
import pytest

from gridmap import schema, stages
from gridmap.errors import GridmapError, ValidationError
from gridmap.io import importing
from gridmap.reasons import error_text, reason_text


def _raised(call) -> GridmapError:
    with pytest.raises(GridmapError) as caught:
        call()
    return caught.value


def test_a_schema_error_names_file_row_and_column_in_chinese(small_frames):
    grids = small_frames["grids"].copy()
    grids.loc[3, "grid_type"] = "suburban"
    error = _raised(lambda: schema.validate("grids", grids, source="grids.csv"))
    assert error_text(error, "zh") == (
        "文件 grids.csv，第 4 行，列 网格类型：'suburban' 不是可选值（城市网格, 农村网格, "
        "专属网格）之一")
    assert error_text(error, "en") == str(error)  # English as the CLI prints it


def test_a_refused_case_step_says_which_steps_are_open(small_store):
    case = small_store.read("cases").query("stage == 'reported'").iloc[0]
    error = _raised(lambda: small_store.advance_case(case["case_id"], "closed", actor="W1",
                                                     at=datetime.now()))
    text = error_text(error, "zh")
    assert f"案件 {case['case_id']} 目前处于“发现报告”" in text and "不能进入“办结”" in text


def test_store_refusals_in_chinese(small_store):
    household = small_store.read("households").iloc[0]
    error = _raised(lambda: small_store.change_tier(household["household_id"], "red",
                                                    reason="", changed_by="W1"))
    assert error_text(error, "zh") == "原因：调整等级须填写原因"
    assert error_text(_raised(lambda: stages.advance_need(
        {"stage": "posted", "need_id": "N1", "posted_at": pd.Timestamp("2026-11-01")},
        "confirmed", actor="x", at=datetime(2026, 11, 2))), "zh").startswith("环节：需求 N1")


def test_import_problems_are_translated_row_by_row(tmp_path, small_store):
    path = tmp_path / "workers.csv"
    path.write_text("人员编号,姓名,类型,工作量系数\nWX1,甲,临时工,1\nWX2,乙,专职,很多\n",
                    encoding="utf-8")
    prepared = importing.prepare("workers", path, path.name, store=small_store)
    reasons = [reason_text(p.reason, "zh") for p in prepared.errors]
    assert reasons == ["'临时工' 不是 专职/兼职/志愿者 之一", "'很多' 不是数字"]


def test_an_unknown_reason_is_shown_as_it_is():
    assert reason_text("something nobody translated", "zh") == "something nobody translated"
    assert error_text(ValidationError("odd", row=2), "zh") == "第 2 行：odd"


def test_household_ledger_reasons_in_chinese():
    assert reason_text("'123' is not 18 characters (17 digits and a digit or X)", "zh") == (
        "'123' 不是 18 位（17 位数字加一位数字或 X）")
    assert reason_text("'11010519491231002Y' fails its check digit", "zh").endswith("校验位不对")
