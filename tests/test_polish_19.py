"""Issue 19, polish: every worker named on the chief's chart; the assessment's dimensions,
questions, answers and vetoes in English in the English UI, while survey files keep
their Chinese headers and answers."""

from __future__ import annotations

import copy
import json

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from gridmap import assessment
from gridmap.errors import ValidationError
from gridmap.io import survey

from .test_access import principal_of
from .test_app import APP, as_user, shown
from .test_assessment import NAPKIN


def _has_han(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


# -- the configuration -------------------------------------------------------------------

def test_the_shipped_configuration_names_everything_in_english_too():
    config = assessment.load_config()
    for thing in (*config.dimensions, *config.indicators):
        assert thing.name_en and not _has_han(thing.name_en), thing.key
        assert thing.title("en") == thing.name_en and thing.title("zh") == thing.name
    for ind in config.indicators:
        if ind.type == "choice":
            assert set(ind.values_en) == set(ind.values), ind.key
            assert not any(_has_han(ind.answer(v, "en")) for v in ind.values)
            assert [ind.answer(v, "zh") for v in ind.values] == list(ind.values)
    assert all(v.reason_en and not _has_han(v.reason_en) for v in config.vetoes)
    assert config.dimensions[0].title("en") == "Income and spending"


def test_survey_files_keep_the_chinese_headers_and_answers():
    config = assessment.load_config()
    income = config.indicator("income_change")
    row = {"户编号": "H1"} | {i.name: _answer(i) for i in config.indicators}
    row[income.name] = "大幅减少"
    answers, problems = survey.parse_answers(pd.DataFrame([row]), config, name="s.xlsx")
    assert problems == [] and answers.loc[0, "income_change"] == "大幅减少"
    english = {"户编号": "H1"} | {i.name_en: _answer(i) for i in config.indicators}
    with pytest.raises(ValidationError, match="columns missing"):  # for reading only
        survey.parse_answers(pd.DataFrame([english]), config, name="s.xlsx")


def _answer(ind):
    if ind.type == "bool":
        return "否"
    if ind.type == "choice":
        return list(ind.values)[-1]
    return 0


def test_a_configuration_without_english_names_still_loads_and_falls_back():
    config = assessment.config_from_dict(copy.deepcopy(NAPKIN))
    dim, ind = config.dimensions[0], config.indicator("a2")
    assert dim.name_en is None and dim.title("en") == dim.name == "收入"
    assert ind.title("en") == "支出" and ind.answer("高", "en") == "高"


@pytest.mark.parametrize(("change", "message"), [
    (lambda c: c["dimensions"][0].update(name_en=""), r"dimensions\[0\]\.name_en: must be text"),
    (lambda c: c["dimensions"][0].update(name_en=3), r"dimensions\[0\]\.name_en: must be text"),
    (lambda c: [d.update(name_en="Same") for d in c["dimensions"][:2]],
     r"dimensions\.name_en: two dimensions have the same name: \['Same'\]"),
    (lambda c: c["indicators"][0].update(name_en=["Income"]),
     r"indicators\[0\] \(a1\)\.name_en: must be text"),
    (lambda c: c["indicators"][1].update(values_en={"中": "Middling"}),
     r"indicators\[1\] \(a2\)\.values_en: \['中'\] are not among its values"),
    (lambda c: c["indicators"][2].update(values_en={"是": "Yes"}),
     r"indicators\[2\] \(b1\)\.values_en: only a choice"),
    (lambda c: c["indicators"][1].update(values_en={"高": " "}),
     r"values_en\.高: must be text"),
    (lambda c: c["vetoes"][0].update(reason_en=False), r"vetoes\[0\]\.reason_en: must be text"),
])
def test_bad_english_names_are_refused_naming_the_key(change, message):
    raw = copy.deepcopy(NAPKIN)
    change(raw)
    with pytest.raises(ValidationError, match=message):
        assessment.config_from_dict(raw, source="napkin.toml")


def test_good_english_names_are_kept():
    raw = copy.deepcopy(NAPKIN)
    raw["dimensions"][0]["name_en"] = "Income"
    raw["indicators"][1] |= {"name_en": "Spending", "values_en": {"高": "High"}}
    raw["vetoes"][0]["reason_en"] = "Owns a car"
    config = assessment.config_from_dict(raw)
    a2 = config.indicator("a2")
    assert config.dimensions[0].title("en") == "Income"
    assert (a2.title("en"), a2.answer("高", "en"), a2.answer("低", "en")) == (
        "Spending", "High", "低")
    assert config.vetoes[0].reason_en == "Owns a car"


# -- the pages ------------------------------------------------------------------------------

@pytest.fixture
def assessor(small_store, monkeypatch):
    monkeypatch.setenv("GRIDMAP_STORE", str(small_store.path))
    return as_user(AppTest.from_file(str(APP), default_timeout=60))


def _form(app, small_store, lang: str):
    app.query_params["lang"] = lang
    app.run()
    app.switch_page("pages/assessment.py").run()
    household = small_store.read("households")["household_id"].iloc[0]
    app.selectbox(key="gridmap.assess.household").set_value(household).run()
    app.checkbox(key="gridmap.assess.business").check().run()  # a veto: capped
    assert not app.exception
    return assessment.load_config()


def test_the_english_form_speaks_english(assessor, small_store):
    config = _form(assessor, small_store, "en")
    expanders = [shown(e.label) for e in assessor.expander]
    assert expanders == [d.name_en for d in config.dimensions]
    labels = {shown(w.label) for w in (*assessor.checkbox, *assessor.selectbox,
                                *assessor.number_input)}
    assert {i.name_en for i in config.indicators} <= labels
    assert not any(i.name in labels for i in config.indicators)
    housing = assessor.selectbox(key="gridmap.assess.housing")
    assert housing.options == list(config.indicator("housing").values_en.values())
    assert housing.value == "安全住房"  # the value kept is the survey's answer
    captions = shown(" ".join(c.value for c in assessor.caption))
    assert config.indicator("income_per_capita").name_en in captions
    assert not _has_han(captions.split("Driven by:")[-1])
    assert not any(_has_han(i.value) for i in assessor.info)  # suggested assistance
    warning = shown(" ".join(w.value for w in assessor.warning))
    assert config.vetoes[2].reason_en in warning and not _has_han(warning)


def test_the_chinese_form_stays_chinese(assessor, small_store):
    config = _form(assessor, small_store, "zh")
    assert [shown(e.label) for e in assessor.expander] == [d.name for d in config.dimensions]
    assert assessor.selectbox(key="gridmap.assess.housing").options == list(
        config.indicator("housing").values)
    captions = shown(" ".join(c.value for c in assessor.caption))
    assert config.indicator("income_per_capita").name in captions
    assert config.vetoes[2].reason in shown(" ".join(w.value for w in assessor.warning))


def test_veto_reasons_read_in_the_page_language():
    from pages.shared import assessment as ax
    vetoes = assessment.load_config().vetoes[:2]
    reasons = ";".join(v.reason for v in vetoes)
    assert ax.veto_text(reasons, "en") == "; ".join(v.reason_en for v in vetoes)
    assert ax.veto_text(reasons, "zh") == "；".join(v.reason for v in vetoes)
    assert ax.veto_text("", "en") == ""


def test_the_chiefs_chart_names_every_worker(small_store, monkeypatch):
    """Vega hides axis labels it finds crowded; the chart asks for none hidden and gives
    each bar its own 22 px row, so every name shows (the browser journey looks)."""
    from pages.shared import workload as page
    monkeypatch.setenv("GRIDMAP_STORE", str(small_store.path))
    chief = principal_of(small_store, "chief")
    app = as_user(AppTest.from_file(str(APP), default_timeout=60), "chief",
                  scope=chief.scope, worker_id=chief.worker_id)
    app.run()
    assert not app.exception
    charts = [json.loads(c.proto.spec) for c in app.get("vega_lite_chart")]
    bars = next(s for s in charts if s.get("mark", {}).get("type") == "bar"
                or s.get("mark") == "bar")
    y = bars["encoding"]["y"]
    assert y["field"] == "name" and y["axis"]["labelOverlap"] is False
    assert y["axis"]["labelLimit"] >= 120
    assert bars["height"] == {"step": page.BAR_PX}
