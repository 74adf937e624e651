"""The assessment engine on a napkin configuration with known answers, and the shipped one."""

import copy

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmap import assessment
from gridmap.errors import ValidationError

NAPKIN = {
    "version": "napkin-1",
    "thresholds": {"poverty_risk": 30, "poverty": 50},
    "tiers": {"red": 70, "orange": 50, "yellow": 30},
    "dimensions": [{"key": "A", "name": "收入"}, {"key": "B", "name": "健康"},
                   {"key": "S", "name": "自助", "deduct": True}],
    "indicators": [
        {"key": "a1", "name": "人均收入", "dimension": "A", "type": "number", "rule": "below",
         "bands": [[1000, 1.0], [2000, 0.5]], "weight": 60, "poverty_type": "income"},
        {"key": "a2", "name": "支出", "dimension": "A", "type": "choice",
         "values": {"高": 1.0, "低": 0.0}, "weight": 20, "poverty_type": "expenditure"},
        {"key": "b1", "name": "重病", "dimension": "B", "type": "bool", "weight": 20,
         "poverty_type": "expenditure"},
        {"key": "s1", "name": "亲属支持", "dimension": "S", "type": "bool", "weight": 10},
        {"key": "v1", "name": "车辆价值", "dimension": "B", "type": "number", "weight": 0},
        {"key": "c1", "name": "经商", "dimension": "B", "type": "bool", "weight": 0},
    ],
    "vetoes": [{"indicator": "v1", "op": ">", "value": 5, "effect": "exclude",
                "reason": "有车"},
               {"indicator": "c1", "op": "==", "value": True, "effect": "cap", "cap": 40,
                "reason": "经商"}],
    "items": [{"item": "医疗救助", "any": [{"indicator": "b1", "op": "==", "value": True}]},
              {"item": "低保", "conclusions": ["income_poverty"]}],
}
BASE = {"a1": 500, "a2": "高", "b1": True, "s1": False, "v1": 0, "c1": False}


@pytest.fixture
def napkin():
    return assessment.config_from_dict(copy.deepcopy(NAPKIN))


def _score(config, **changes):
    return assessment.score_one(BASE | changes, config)


def test_known_answers(napkin):
    top = _score(napkin)
    assert (top["score"], top["A"], top["B"], top["S"]) == (100, 80, 20, 0)
    assert top["conclusion"] == "income_poverty" and top["suggested_tier"] == "red"
    assert top["suggested_items"] == "医疗救助;低保"
    assert top["drivers"].startswith("a1=60")
    spending = _score(napkin, a1=1500)  # income 30 points, expenditure 40
    assert spending["score"] == 70 and spending["conclusion"] == "expenditure_poverty"
    assert spending["suggested_tier"] == "red"


def test_self_help_is_deducted_and_never_below_zero(napkin):
    helped = _score(napkin, a1=1500, a2="低", b1=False, s1=True)
    assert (helped["score"], helped["A"], helped["S"]) == (20, 30, -10)
    assert helped["conclusion"] == "normal" and helped["suggested_tier"] == "green"
    assert helped["suggested_items"] == ""  # nothing suggested for a normal household
    none = _score(napkin, a1=2500, a2="低", b1=False, s1=True)
    assert none["score"] == 0 and none["S"] == 0


def test_vetoes_exclude_or_cap(napkin):
    car = _score(napkin, v1=10)
    assert car["score"] == 100 and car["conclusion"] == "normal"
    assert car["suggested_tier"] == "green" and car["vetoes"] == "有车"
    shop = _score(napkin, c1=True)
    assert (shop["score"], shop["A"], shop["B"]) == (40, 32, 8)
    assert shop["conclusion"] == "poverty_risk" and shop["suggested_tier"] == "yellow"


@settings(max_examples=80, deadline=None)
@given(a1=st.floats(0, 5000), a2=st.sampled_from(["高", "低"]), b1=st.booleans(),
       s1=st.booleans(), c1=st.booleans())
def test_contributions_always_sum_to_the_score(a1, a2, b1, s1, c1):
    config = assessment.config_from_dict(copy.deepcopy(NAPKIN))
    row = assessment.score_one(BASE | {"a1": a1, "a2": a2, "b1": b1, "s1": s1, "c1": c1},
                               config)
    assert abs(row["A"] + row["B"] + row["S"] - row["score"]) < 0.02
    assert 0 <= row["score"] <= 100


def test_the_shipped_configuration_loads_and_sums(tmp_path):
    config = assessment.load_config()
    assert len(config.dimensions) == 7 and len(config.indicators) >= 25
    answers = pd.DataFrame([{i.key: _worst(i) for i in config.indicators}])
    row = assessment.score_table(answers, config).iloc[0]
    dims = [d.key for d in config.dimensions]
    assert abs(row[dims].sum() - row["score"]) < 0.05


def _worst(ind):
    if ind.type == "bool":
        return ind.key not in ("business", "public_employee", "skills", "willing")
    if ind.type == "choice":
        return max(ind.values, key=ind.values.get) if ind.dimension != "self_help" else "无支持"
    return 0 if ind.rule == "below" else (10 if ind.key != "vehicle_value" else 0)


@pytest.mark.parametrize(("change", "message"), [
    (lambda c: c["indicators"][0].pop("weight"), "indicators\\[0\\] \\(a1\\).weight: is missing"),
    (lambda c: c["thresholds"].update(poverty=20), "thresholds: needs 0 < poverty_risk"),
    (lambda c: c["indicators"][1].update(type="slider"), "'slider' is not one of"),
    (lambda c: c["indicators"][0].update(weight=50), "add up to 90, not 100"),
    (lambda c: c["tiers"].update(red=40), "yellow < orange < red"),
    (lambda c: c["vetoes"][0].update(indicator="boat"), "'boat' is not an indicator"),
    (lambda c: c["items"][0].update(item="彩票"), "'彩票' is not one of"),
    (lambda c: c["indicators"][0].update(bands=[[2000, 0.5], [1000, 1.0], ]),
     "bounds must rise"),
    (lambda c: c.pop("version"), "version"),
])
def test_bad_configurations_are_refused_clearly(change, message):
    raw = copy.deepcopy(NAPKIN)
    change(raw)
    with pytest.raises(ValidationError, match=message):
        assessment.config_from_dict(raw, source="napkin.toml")


def test_bad_answers_name_row_and_indicator(napkin):
    answers = pd.DataFrame([BASE, BASE | {"a2": "中"}])
    with pytest.raises(ValidationError, match="row 2, column a2"):
        assessment.score_table(answers, napkin)


EXAMPLE = "data/examples/assessment_survey.xlsx"


def test_the_example_survey_reports_its_malformed_rows_by_row():
    from gridmap.io import survey
    config = assessment.load_config()
    answers, problems = survey.parse_answers(survey.read_table(EXAMPLE, "s.xlsx"), config,
                                             name="s.xlsx")
    assert [(p.row, p.column) for p in problems] == [
        (9, "劳动力状况"), (17, "家庭人均月收入（元）"), (25, "户编号"),
        (33, "独居或仅与未成年人同住")]
    assert len(answers) == 46
    scored = assessment.score_table(answers[config.keys], config)
    dims = [d.key for d in config.dimensions]
    assert (scored[dims].sum(axis=1) - scored["score"]).abs().max() < 0.05


def test_csv_in_gbk_with_yes_no_words(tmp_path):
    from gridmap.io import survey
    config = assessment.config_from_dict(copy.deepcopy(NAPKIN))
    text = "户编号,人均收入,支出,重病,亲属支持,车辆价值,经商\nH1,500,高,是,否,0,无\n"
    path = tmp_path / "s.csv"
    path.write_bytes(text.encode("gbk"))
    answers, problems = survey.parse_answers(survey.read_table(path, "s.csv"), config)
    assert problems == []
    row = assessment.score_table(answers[config.keys], config).iloc[0]
    assert row["score"] == 100 and answers.loc[0, "household_id"] == "H1"


def test_cli_assess_scores_the_valid_rows_and_lists_the_malformed_ones(tmp_path, capsys):
    from gridmap import cli
    partial = tmp_path / "partial.csv"
    assert cli.main(["assess", EXAMPLE, "--out", str(partial)]) == 0
    err = capsys.readouterr().err
    assert "row 9, column 劳动力状况" in err and "row 17" in err and "row 33" in err
    assert "46 rows scored" in err
    assert len(pd.read_csv(partial, encoding="utf-8-sig")) == 46  # the 46 valid rows
    from gridmap.io import survey
    only_bad = tmp_path / "bad.xlsx"
    survey.read_table(EXAMPLE, "s.xlsx").iloc[[7]].to_excel(only_bad, index=False)
    assert cli.main(["assess", str(only_bad)]) == 2  # nothing valid: an error
    assert "no row of bad.xlsx could be scored" in capsys.readouterr().err
    from gridmap.io import survey
    table = survey.read_table(EXAMPLE, "s.xlsx").drop(index=[7, 15, 23, 31])
    good = tmp_path / "good.xlsx"
    table.to_excel(good, index=False)
    out = tmp_path / "scores.csv"
    assert cli.main(["assess", str(good), "--out", str(out)]) == 0
    scores = pd.read_csv(out, encoding="utf-8-sig")
    assert len(scores) == 46 and {"score", "income", "self_help", "conclusion",
                                  "suggested_tier", "suggested_items"} <= set(scores.columns)


def test_assessments_are_saved_all_or_nothing(small_store):
    rows = small_store.read("assessments").head(3).copy()
    rows["assessment_id"] = ["X1", "X2", "X3"]
    rows.loc[rows.index[2], "household_id"] = "nobody"
    n = len(small_store.read("assessments"))
    with pytest.raises(ValidationError, match="row 3, column household_id"):
        small_store.save_assessments(rows)
    assert len(small_store.read("assessments")) == n
    assert small_store.save_assessments(rows.iloc[:2]) == 2


def test_mismatches_and_profiles(small_frames):
    config = assessment.load_config()
    stored, hh = small_frames["assessments"], small_frames["households"]
    table = assessment.mismatches(stored, hh)
    last = assessment.latest(stored).set_index("household_id")
    tiers = hh.set_index("household_id")["tier"]
    assert (table["tier"] != table["suggested_tier"]).all()
    assert len(table) == (tiers.reindex(last.index) != last["suggested_tier"]).sum()
    keys = hh.set_index("household_id")["grid_id"].str[:9]
    profiles = assessment.area_profiles(stored, keys, config)
    assert profiles["assessed"].sum() == len(last)
