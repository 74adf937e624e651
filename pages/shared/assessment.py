"""Streamlit side of the assessment: the live form, batch upload, and saving."""

from __future__ import annotations

import json
from datetime import datetime

import pandas as pd
import streamlit as st

from gridmap import assessment, stages
from gridmap.errors import GridmapError
from gridmap.i18n import label, label_list, t
from gridmap.io import survey
from gridmap.reasons import reason_text
from gridmap.sanitize import display_name, plain
from pages.shared import common as ui
from pages.shared.forms import household_staff, pick_household


@st.cache_resource
def config() -> assessment.Config:
    """The assessment configuration in force (``data/assessment.toml``)."""
    return assessment.load_config()


def dimension_names(lang: str) -> dict[str, str]:
    """Each dimension's key -> its name in ``lang`` (``name_en`` in English)."""
    return {d.key: d.title(lang) for d in config().dimensions}


def veto_text(reasons: str, lang: str) -> str:
    """Veto reasons (joined by ';', as scored) in ``lang``, joined for reading."""
    words = {v.reason: v.reason_en for v in config().vetoes if v.reason_en}
    parts = [words.get(r, r) if lang == "en" else r for r in reasons.split(";") if r]
    return ("; " if lang == "en" else "；").join(parts)


def _widget(ind: assessment.Indicator, key: str, lang: str):
    question = plain(ind.title(lang))
    if ind.type == "bool":
        return st.checkbox(question, key=key)
    if ind.type == "choice":  # the answer kept is the survey's (Chinese) value
        options = list(ind.values)
        return st.selectbox(question, options, index=len(options) - 1, key=key,
                            format_func=lambda v: ind.answer(v, lang))
    return st.number_input(question, min_value=0.0, value=0.0, key=key)


def records(answers: pd.DataFrame, scored: pd.DataFrame, ids, assessor: str) -> pd.DataFrame:
    """Rows for the store's ``assessments`` layer."""
    cfg = config()
    dims = [d.key for d in cfg.dimensions]
    return pd.DataFrame({
        "assessment_id": [stages.new_id("A") for _ in range(len(scored))],
        "household_id": list(ids), "assessed_at": pd.Timestamp(datetime.now()).floor("s"),
        "assessor": assessor, "config_version": cfg.version,
        "score": scored["score"].to_numpy(float), "conclusion": scored["conclusion"].to_numpy(),
        "suggested_tier": scored["suggested_tier"].to_numpy(),
        "suggested_items": scored["suggested_items"].replace("", None).to_numpy(),
        "contributions": [json.dumps(r, ensure_ascii=False)
                          for r in scored[dims].to_dict("records")],
        "answers": [json.dumps(r, ensure_ascii=False, default=str)
                    for r in answers[cfg.keys].to_dict("records")]})


def live_form(households: pd.DataFrame, lang: str) -> None:
    """Answers grouped by dimension; the score and its drivers update as they change."""
    cfg = config()
    household = pick_household(households, lang, "gridmap.assess.household")
    if household is None:
        return
    left, right = st.columns([3, 2])
    answers = {}
    with left:
        for dim in cfg.dimensions:
            with st.expander(plain(dim.title(lang)),
                             expanded=dim.key == cfg.dimensions[0].key):
                for ind in (i for i in cfg.indicators if i.dimension == dim.key):
                    answers[ind.key] = _widget(ind, f"gridmap.assess.{ind.key}", lang)
    row = assessment.score_one(answers, cfg)
    with right:
        st.metric(t("assess.score", lang), f"{row['score']:.1f}")
        st.markdown(f"**{t('assess.conclusion', lang)}** {label(row['conclusion'], lang)} · "
                    f"**{t('assess.suggested_tier', lang)}** "
                    f"{label(row['suggested_tier'], lang)}")
        st.bar_chart(pd.Series({d.title(lang): row[d.key] for d in cfg.dimensions},
                               name=t("assess.points", lang)), horizontal=True)
        names = {i.key: i.title(lang) for i in cfg.indicators}
        colon, semicolon = (": ", "; ") if lang == "en" else ("：", "；")
        drivers = [f"{names[k]}{colon}{v}" for k, _, v in
                   (d.partition("=") for d in row["drivers"].split(";") if d)]
        st.caption(t("assess.drivers", lang) + plain(semicolon.join(drivers)))
        if row["vetoes"]:
            st.warning(t("assess.vetoes", lang) + plain(veto_text(row["vetoes"], lang)))
        if row["suggested_items"]:
            st.info(t("assess.items", lang) + plain(label_list(row["suggested_items"], lang)))
        if not ui.may("save_assessments"):
            return
        staff = household_staff(households, household)
        assessor = st.selectbox(t("cases.actor", lang), list(staff), format_func=staff.get)
        if st.button(t("assess.save", lang), type="primary"):
            frame = pd.DataFrame([answers])
            try:
                ui.store().save_assessments(records(frame, assessment.score_table(frame, cfg),
                                                    [household], assessor))
            except GridmapError as exc:
                ui.show_error(exc, lang, "cases.error")
            else:
                st.success(t("assess.saved", lang, n=1))


def batch(lang: str) -> None:
    """Upload a survey: the valid rows are scored, the malformed ones listed by row (an
    assessment writes nothing, so one typo does not hold up the rest). Saving into the
    store takes the whole file or nothing: it is offered once no row has a problem."""
    cfg = config()
    upload = st.file_uploader(t("assess.upload", lang), type=["xlsx", "csv"],
                              key="gridmap.assess.upload")
    if upload is None:
        st.caption(t("assess.upload_hint", lang))
        return
    try:
        answers, problems = survey.parse_answers(survey.read_table(upload, upload.name), cfg,
                                                 name=upload.name)
    except GridmapError as exc:
        ui.show_error(exc, lang, "cases.error")
        return
    name = display_name(upload.name)
    if problems:
        bad = len({p.row for p in problems if p.row} | {
            f"dup{i}" for i, p in enumerate(problems) if not p.row})
        st.warning(plain(t("assess.partial", lang, name=name, bad=bad, good=len(answers))))
        table = pd.DataFrame([p.__dict__ for p in problems])
        table["reason"] = [reason_text(r, lang) for r in table["reason"]]
        table["row"] = table["row"].map(lambda r: r if r else "")
        st.dataframe(ui.labelled(table, lang), hide_index=True, width="stretch",
                     column_config={t("map.col.reason", lang): st.column_config.TextColumn(
                         width="large")})
    if answers.empty:
        st.info(t("assess.none_valid", lang))
        return
    scored = assessment.score_table(answers[cfg.keys], cfg)
    shown = scored.drop(columns=["drivers"]).rename(columns=dimension_names(lang))
    shown.insert(0, "household_id", answers["household_id"])
    shown["vetoes"] = [veto_text(v, lang) for v in shown["vetoes"]]
    st.dataframe(ui.labelled(shown, lang), hide_index=True, width="stretch")
    if problems:
        st.caption(t("assess.fix_to_save", lang))
        return
    if st.button(t("assess.save_all", lang, n=len(scored)), type="primary"):
        try:
            n = ui.store().save_assessments(records(answers, scored, answers["household_id"],
                                                    upload.name))
        except GridmapError as exc:
            ui.show_error(exc, lang, "cases.error")
        else:
            st.success(t("assess.saved", lang, n=n))
