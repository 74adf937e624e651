"""Multidimensional assessment (/assessment): score a household, score a survey file,
review households whose tier disagrees with their score, and area profiles."""

from pages.shared.shell import enter

enter()  # started alone (the first request after a start): the shell runs this page

import streamlit as st

from gridmap import assessment
from gridmap.coverage import area_keys
from gridmap.i18n import label, t
from pages.shared import assessment as ax
from pages.shared import common as ui
from pages.shared import forms as forms

lang, area = ui.lang(), ui.current_area()
st.title(t("assess.title", lang))
ui.breadcrumb(area, lang)
households = ui.read("households", area)
stored = ui.read("assessments", area)

writes = ui.may("save_assessments")
shown = ui.view_choice(["form"] + (["batch"] if writes else []) + ["mismatch", "profiles"],
                       "assess", lang)
if shown == "form":
    ax.live_form(households, lang)
elif shown == "batch":
    ax.batch(lang)
elif shown == "mismatch":
    table = assessment.mismatches(stored, households)
    st.caption(t("assess.mismatch_caption", lang, n=f"{len(table):,}"))
    view = table.assign(tier=[label(x, lang) for x in table["tier"]],
                        suggested_tier=[label(x, lang) for x in table["suggested_tier"]],
                        conclusion=[label(x, lang) for x in table["conclusion"]])
    st.dataframe(ui.labelled(view.drop(columns=["household_id"]), lang), hide_index=True,
                 width="stretch", height=320)
    if ui.may("change_tier"):
        forms.tier_form(households[households["household_id"].isin(table["household_id"])],
                        lang)
else:
    level = ui.child_level(area)
    keys = area_keys(households, ui.read("grids"), level)
    profiles = assessment.area_profiles(
        stored, households.set_index("household_id").assign(k=keys)["k"], ax.config())
    names = ax.dimension_names(lang)
    areas = ui.read("areas").set_index("area_id")["name"]
    grids = ui.read("grids").set_index("grid_id")["name"]
    profiles.insert(1, "area", profiles["area_id"].map(areas).fillna(
        profiles["area_id"].map(grids)))
    st.caption(t("assess.profiles_caption", lang))
    st.dataframe(ui.labelled(profiles.rename(columns=names), lang), hide_index=True,
                 width="stretch")
    chart = profiles.set_index("area")[list(names)].rename(columns=names)
    st.bar_chart(chart.drop(columns=[names[d.key] for d in ax.config().dimensions
                                     if d.deduct]), horizontal=True)
    forms.downloads(profiles, f"assessment-profiles-{level}", lang)
